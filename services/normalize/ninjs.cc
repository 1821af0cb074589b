// IPTC ninjs (News in JSON) 1.x, 2.x and 3.x (and Superdesk's ninjs) -> Article. The three generations differ
// in spelling (1.x: headline / body_html / description_text / byline / associations as an object; 2.x:
// lower-case headlines[] / bodies[] / descriptions[] / by / associations[]; 3.x: the same in camelCase), so
// every field is looked up under each of its names.
#include <simdjson.h>

#include <algorithm>
#include <initializer_list>
#include <string>

#include "normalize/ascii.h"
#include "normalize/deadline.h"
#include "normalize/internal.h"
#include "normalize/xml_util.h"

namespace copydesk::normalize::internal {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

// The value under the first of `keys` present in `obj`.
bool Find(const object& obj, std::initializer_list<std::string_view> keys, element& out) {
  for (auto k : keys) {
    if (obj.at_key(k).get(out) == simdjson::SUCCESS && !out.is_null()) return true;
  }
  return false;
}

// A string under one of `keys` (numbers are rendered, e.g. a numeric "version"), "" when absent.
std::string Str(const object& obj, std::initializer_list<std::string_view> keys) {
  element e;
  if (!Find(obj, keys, e)) return "";
  std::string_view sv;
  if (e.get(sv) == simdjson::SUCCESS) return std::string(sv);
  int64_t i;
  if (e.get(i) == simdjson::SUCCESS) return std::to_string(i);
  uint64_t u;
  if (e.get(u) == simdjson::SUCCESS) return std::to_string(u);
  return "";
}

std::string Str(const element& e) {
  std::string_view sv;
  return e.get(sv) == simdjson::SUCCESS ? std::string(sv) : std::string();
}

bool IsHtmlType(std::string_view content_type) {
  std::string ct = AsciiLower(content_type);
  return ct.find("html") != std::string::npos || ct.find("xml") != std::string::npos;
}

// A {role, contenttype, value} list (2.x/3.x) or the 2.0 draft's {name, text}/{name, value}.
struct Variant {
  std::string role, content_type, value;
};
std::vector<Variant> Variants(const element& e) {
  std::vector<Variant> out;
  array arr;
  if (e.get(arr) == simdjson::SUCCESS) {
    for (element item : arr) {
      if (DeadlinePassed()) break;
      object o;
      if (item.get(o) == simdjson::SUCCESS) {
        Variant v;
        v.role = Str(o, {"role", "name"});
        v.content_type = Str(o, {"contenttype", "contentType", "content_type", "mimetype"});
        v.value = Str(o, {"value", "text"});
        if (!v.value.empty()) out.push_back(std::move(v));
      } else if (std::string s = Str(item); !s.empty()) {
        out.push_back({"", "", s});
      }
    }
  } else if (std::string s = Str(e); !s.empty()) {
    out.push_back({"", "", s});
  }
  return out;
}

// A non-negative number (JSON number or numeric string), 0 when absent or not a number.
double Num(const object& obj, std::initializer_list<std::string_view> keys) {
  element e;
  if (!Find(obj, keys, e)) return 0;
  double d = 0;
  if (e.get(d) == simdjson::SUCCESS) return d > 0 ? d : 0;
  int64_t i = 0;
  if (e.get(i) == simdjson::SUCCESS) return i > 0 ? static_cast<double>(i) : 0;
  uint64_t u = 0;
  if (e.get(u) == simdjson::SUCCESS) return static_cast<double>(u);
  std::string_view sv;
  if (e.get(sv) == simdjson::SUCCESS) {
    double v = 0;
    for (char c : sv) {
      if (c < '0' || c > '9') return v;
      v = v * 10 + (c - '0');
      if (v > 1e15) return 0;
    }
    return v;
  }
  return 0;
}

// urgency / priority: 1 (highest) to 9; 0 when absent or out of range.
uint32_t Scale9(const object& obj, std::initializer_list<std::string_view> keys) {
  double v = Num(obj, keys);
  return v >= 1 && v <= 9 ? static_cast<uint32_t>(v) : 0;
}

void FillRendition(std::string_view name, const object& o, v1::Rendition& r) {
  r.set_name(std::string(name));
  r.set_href(Str(o, {"href", "uri"}));
  r.set_mime_type(Str(o, {"contenttype", "contentType", "mimetype", "mime_type"}));
  r.set_width(static_cast<uint32_t>(std::min(Num(o, {"width"}), 1e9)));
  r.set_height(static_cast<uint32_t>(std::min(Num(o, {"height"}), 1e9)));
  r.set_size_bytes(static_cast<uint64_t>(Num(o, {"sizeinbytes", "sizeInBytes", "size"})));
  r.set_duration_seconds(Num(o, {"duration"}));
  r.set_title(Str(o, {"title"}));
  r.set_format(Str(o, {"format"}));
}

// Renditions: 1.x an object keyed by name, 2.x+ an array of objects with a name.
void ReadRenditions(const object& item, google::protobuf::RepeatedPtrField<v1::Rendition>& out) {
  element r;
  if (!Find(item, {"renditions"}, r)) return;
  object map;
  array arr;
  if (r.get(map) == simdjson::SUCCESS) {
    for (auto [k, v] : map) {
      if (DeadlinePassed()) break;
      object o;
      if (v.get(o) == simdjson::SUCCESS) FillRendition(k, o, *out.Add());
    }
  } else if (r.get(arr) == simdjson::SUCCESS) {
    for (element v : arr) {
      if (DeadlinePassed()) break;
      object o;
      if (v.get(o) == simdjson::SUCCESS) FillRendition(Str(o, {"name"}), o, *out.Add());
    }
  }
}

// The main rendition: the one named main/original/highres/baseimage, else the first with an href.
const v1::Rendition* MainRendition(const google::protobuf::RepeatedPtrField<v1::Rendition>& rs) {
  const v1::Rendition* best = nullptr;
  for (const auto& r : rs) {
    if (DeadlinePassed()) break;
    if (r.href().empty()) continue;
    std::string n = AsciiLower(r.name());
    if (n == "main" || n == "original" || n == "highres" || n == "hires" || n == "baseimage") return &r;
    if (!best) best = &r;
  }
  return best;
}

std::string HeadlineOf(const object& o) {
  element h;
  if (Find(o, {"headlines", "headline"}, h)) {
    auto vs = Variants(h);
    if (!vs.empty()) return vs.front().value;
  }
  return "";
}

// The description with one of `roles` (any when empty), as plain text.
std::string DescriptionOf(const object& o, std::initializer_list<std::string_view> roles = {}) {
  std::string d = Str(o, {"description_text"});
  if (!d.empty()) return CollapseSpace(d);
  if (d = Str(o, {"description_html"}); !d.empty()) return StripTags(d);
  element e;
  if (Find(o, {"descriptions", "description"}, e)) {
    auto vs = Variants(e);
    const Variant* pick = vs.empty() ? nullptr : &vs.front();
    for (const auto& v : vs) {
      if (DeadlinePassed()) break;
      for (auto role : roles) {
        if (AsciiLower(v.role) == role) {
          pick = &v;
          break;
        }
      }
      if (pick == &v) break;
    }
    if (pick) return IsHtmlType(pick->content_type) ? StripTags(pick->value) : CollapseSpace(pick->value);
  }
  return "";
}

// scheme and code of a concept from its uri: "medtop:04000000" -> ("medtop", "04000000"),
// "http://cv.iptc.org/newscodes/mediatopic/04000000" -> ("http://cv.iptc.org/newscodes/mediatopic/",
// "04000000").
void SchemeAndCode(std::string_view uri, v1::Subject& s) {
  if (uri.empty()) return;
  if (uri.find("://") == std::string_view::npos) {
    if (auto colon = uri.find(':'); colon != std::string_view::npos) {
      if (s.scheme().empty()) s.set_scheme(std::string(uri.substr(0, colon)));
      if (s.code().empty()) s.set_code(std::string(uri.substr(colon + 1)));
    }
    return;
  }
  std::string_view path = uri.substr(0, uri.find_first_of("?#"));
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (auto slash = path.rfind('/'); slash != std::string_view::npos && slash + 1 < path.size()) {
    if (s.scheme().empty()) s.set_scheme(std::string(uri.substr(0, slash + 1)));
    if (s.code().empty()) s.set_code(std::string(path.substr(slash + 1)));
  }
}

// A concept object: {name, uri, literal, rel} (2.x), {name, code, scheme} (1.x, Superdesk).
void FillConcept(const object& o, v1::Subject& s) {
  s.set_name(CollapseSpace(Str(o, {"name", "label"})));
  s.set_rel(Str(o, {"rel", "role"}));
  s.set_literal(Str(o, {"literal"}));
  s.set_scheme(Str(o, {"scheme"}));
  std::string code = Str(o, {"code", "qcode", "qCode"});
  std::string uri = Str(o, {"uri"});
  if (uri.empty() && code.find(':') != std::string::npos)
    uri = code;  // a qcode
  else if (!code.empty())
    s.set_code(code);
  s.set_uri(uri);
  SchemeAndCode(uri, s);
  if (s.code().empty()) s.set_code(s.literal());
  if (s.name().empty()) s.set_name(s.literal());
}

bool IsAuthorRel(std::string_view rel) {
  return rel == "author" || rel == "creator" || rel == "byline" || rel == "contributor" ||
         rel == "photographer" || rel == "editor" || rel == "writer" || rel == "cameraman" ||
         rel == "videographer";
}

// A concept list (`keys`) into `dest`; people with an authoring rel become authors when
// `authors_from_rel`. `default_rel` fills an empty rel (events keep theirs as subjects).
void AddConcepts(const object& root, std::initializer_list<std::string_view> keys,
                 google::protobuf::RepeatedPtrField<v1::Subject>& dest, v1::Article& out,
                 bool authors_from_rel, std::string_view default_rel = {}) {
  element e;
  if (!Find(root, keys, e)) return;
  array arr;
  if (e.get(arr) != simdjson::SUCCESS) return;
  for (element item : arr) {
    if (DeadlinePassed()) break;
    object o;
    if (item.get(o) != simdjson::SUCCESS) continue;
    v1::Subject s;
    FillConcept(o, s);
    std::string rel = AsciiLower(s.rel());
    if (authors_from_rel && IsAuthorRel(rel)) {
      auto* p = out.add_authors();
      p->set_name(s.name());
      p->set_role(rel == "byline" || rel == "creator" || rel == "writer" ? "author" : rel);
      p->set_uri(s.uri());
      continue;
    }
    if (s.name().empty() && s.uri().empty() && s.code().empty()) continue;
    if (s.rel().empty()) s.set_rel(std::string(default_rel));
    *dest.Add() = std::move(s);
  }
}

void AddAssociation(const object& item, std::string_view name, v1::Article& out) {
  auto* m = out.add_media();
  std::string type = AsciiLower(Str(item, {"type"}));
  m->set_role(std::string(name));
  m->set_type(type.empty() ? std::string(name) : type);
  m->set_uri(Str(item, {"uri", "guid"}));
  ReadRenditions(item, *m->mutable_renditions());
  if (const v1::Rendition* main = MainRendition(m->renditions())) {
    m->set_url(main->href());
    m->set_mime_type(main->mime_type());
  }
  m->set_title(HeadlineOf(item));
  m->set_description(DescriptionOf(item, {"caption", "summary", "text"}));
  m->set_credit(CollapseSpace(Str(item, {"by", "byline", "credit", "copyrightholder", "copyrightHolder"})));
  m->set_copyright_notice(Str(item, {"copyrightnotice", "copyrightNotice"}));
  m->set_usage_terms(Str(item, {"usageterms", "usageTerms"}));
  m->set_alt_text(Str(item, {"alt_text", "alttext", "altText"}));
  if (m->alt_text().empty()) {
    element e;
    if (Find(item, {"descriptions"}, e)) {
      for (const auto& v : Variants(e)) {
        if (DeadlinePassed()) break;
        std::string role = AsciiLower(v.role);
        if (role == "alt" || role == "alternative" || role == "alttext")
          m->set_alt_text(CollapseSpace(v.value));
      }
    }
  }
}

void ApplySignals(const element& e, v1::Signals& sig) {
  auto apply = [&](std::string v) {
    v = AsciiLower(v);
    if (v.find("update") != std::string::npos) sig.set_update(true);
    if (v.find("correct") != std::string::npos) sig.set_correction(true);
    if (v.find("kill") != std::string::npos) sig.set_kill(true);
    if (v.find("embargo") != std::string::npos) sig.set_embargo(true);
  };
  array arr;
  object obj;
  if (e.get(arr) == simdjson::SUCCESS) {
    for (element item : arr) {
      if (DeadlinePassed()) break;
      object o;
      if (item.get(o) == simdjson::SUCCESS) {
        apply(Str(o, {"name", "uri", "qcode", "value", "code"}));
      } else {
        apply(Str(item));
      }
    }
  } else if (e.get(obj) == simdjson::SUCCESS) {
    for (auto [k, v] : obj) {
      if (DeadlinePassed()) break;
      bool b = false;
      if (v.get(b) == simdjson::SUCCESS && b) apply(std::string(k));
    }
  } else {
    apply(Str(e));
  }
}

void ReadTimesAndStatus(const object& root, std::string_view zone, v1::Article& out) {
  google::protobuf::Timestamp ts;
  if (SetTimeFrom(Str(root, {"firstcreated", "firstCreated"}), zone, &ts)) *out.mutable_firstcreated() = ts;
  if (SetTimeFrom(Str(root, {"versioncreated", "versionCreated"}), zone, &ts))
    *out.mutable_versioncreated() = ts;
  if (SetTimeFrom(Str(root, {"contentcreated", "contentCreated"}), zone, &ts))
    *out.mutable_contentcreated() = ts;
  if (SetTimeFrom(Str(root, {"embargoed", "embargoedUntil"}), zone, &ts)) {
    *out.mutable_embargoed() = ts;
    out.mutable_signals()->set_embargo(true);
  }
  if (SetTimeFrom(Str(root, {"expires", "expiry"}), zone, &ts)) *out.mutable_expires() = ts;
  out.set_pubstatus(PubStatusFrom(Str(root, {"pubstatus", "pubStatus"})));
  if (out.pubstatus() == v1::PUB_STATUS_CANCELED) out.mutable_signals()->set_kill(true);
  element e;
  if (Find(root, {"signals", "signal"}, e)) ApplySignals(e, *out.mutable_signals());
  out.set_urgency(Scale9(root, {"urgency"}));
  out.set_priority(Scale9(root, {"priority"}));
}

// Headlines: the one with role "main" (or the first) is the headline, the others alternates.
// Descriptions: all kept; the summary (or the first) is also the standfirst.
void ReadHeadlinesAndDescriptions(const object& root, const Limits& limits, v1::Article& out) {
  element e;
  if (Find(root, {"headlines", "headline"}, e)) {
    auto hs = Variants(e);
    size_t main = 0;
    for (size_t i = 0; i < hs.size(); ++i) {
      if (AsciiLower(hs[i].role) == "main") {
        main = i;
        break;
      }
    }
    for (size_t i = 0; i < hs.size(); ++i) {
      std::string v = IsHtmlType(hs[i].content_type) ? StripTags(hs[i].value) : CollapseSpace(hs[i].value);
      if (i == main) {
        out.set_headline(v);
      } else {
        auto* alt = out.add_headlines();
        alt->set_role(hs[i].role);
        alt->set_value(v);
      }
    }
  }
  out.set_standfirst(DescriptionOf(root, {"summary", "abstract", "lead"}));
  if (Find(root, {"descriptions", "description"}, e)) {
    for (const auto& v : Variants(e)) {
      if (DeadlinePassed()) break;
      auto* d = out.add_descriptions();
      d->set_role(v.role);
      if (IsHtmlType(v.content_type)) {
        d->set_content_type("text/html");
        d->set_value(SanitizedHtml(v.value, limits));
      } else {
        d->set_content_type("text/plain");
        d->set_value(v.value);
      }
    }
  }
}

void ReadPeopleAndConcepts(const object& root, v1::Article& out) {
  // Superdesk's ninjs: "authors": [{"name", "role", ...}].
  element e;
  if (Find(root, {"authors"}, e)) {
    array arr;
    if (e.get(arr) == simdjson::SUCCESS) {
      for (element item : arr) {
        if (DeadlinePassed()) break;
        object o;
        if (item.get(o) != simdjson::SUCCESS) continue;
        std::string name = CollapseSpace(Str(o, {"name", "sub_label", "display_name"}));
        if (name.empty()) continue;
        auto* p = out.add_authors();
        p->set_name(name);
        p->set_role(AsciiLower(Str(o, {"role"})));
        if (p->role().empty() || p->role() == "writer") p->set_role("author");
        p->set_uri(Str(o, {"uri", "code"}));
      }
    }
  }
  AddConcepts(root, {"people", "person"}, *out.mutable_people(), out, true);
  std::string by = Str(root, {"by", "byline"});
  if (!by.empty()) {
    SetBylineAndAuthors(by, out);
  } else if (!out.authors().empty()) {
    std::string joined;
    for (int i = 0; i < out.authors_size(); ++i) {
      if (i > 0) joined += i + 1 == out.authors_size() ? " and " : ", ";
      joined += out.authors(i).name();
    }
    out.set_byline(joined);
  }
  AddConcepts(root, {"subjects", "subject"}, *out.mutable_subjects(), out, false);
  AddConcepts(root, {"events", "event"}, *out.mutable_subjects(), out, false, "event");
  AddConcepts(root, {"genres", "genre"}, *out.mutable_genres(), out, false);
  AddConcepts(root, {"organisations", "organisation", "organizations"}, *out.mutable_organisations(), out,
              false);
  AddConcepts(root, {"places", "place"}, *out.mutable_places(), out, false);
  if (Find(root, {"keywords"}, e)) {
    array arr;
    if (e.get(arr) == simdjson::SUCCESS) {
      for (element k : arr) {
        if (DeadlinePassed()) break;
        if (std::string s = Str(k); !s.empty()) out.add_keywords(s);
      }
    }
  }
  // Subjects written as keywords (rel "keyword", as copydesk's own ninjs output writes them).
  // (One pass that keeps the others in order: deleting one at a time is quadratic.)
  auto* subjects = out.mutable_subjects();
  int kept = 0;
  for (int i = 0; i < subjects->size(); ++i) {
    if (AsciiLower(subjects->Get(i).rel()) == "keyword" && subjects->Get(i).uri().empty()) {
      out.add_keywords(subjects->Get(i).name());
    } else {
      if (kept != i) subjects->SwapElements(kept, i);
      ++kept;
    }
  }
  if (kept < subjects->size()) subjects->DeleteSubrange(kept, subjects->size() - kept);
}

void ReadRights(const object& root, const Metadata& meta, v1::Article& out) {
  out.set_copyright_holder(Str(root, {"copyrightholder", "copyrightHolder"}));
  out.set_copyright_notice(Str(root, {"copyrightnotice", "copyrightNotice"}));
  out.set_usage_terms(Str(root, {"usageterms", "usageTerms"}));
  out.set_ednote(Str(root, {"ednote", "edNote"}));
  out.set_slugline(CollapseSpace(Str(root, {"slugline"})));
  auto& prov = *out.mutable_provenance();
  element e;
  if (Find(root, {"infosources", "infoSources", "infosource"}, e)) {
    array arr;
    if (e.get(arr) == simdjson::SUCCESS) {
      for (element item : arr) {
        if (DeadlinePassed()) break;
        object o;
        if (item.get(o) != simdjson::SUCCESS) continue;
        auto* src = out.add_infosources();
        src->set_name(CollapseSpace(Str(o, {"name", "literal"})));
        src->set_role(Str(o, {"role", "rel"}));
        src->set_uri(Str(o, {"uri"}));
        // The provider: the source among the info sources, else the first.
        std::string role = AsciiLower(src->role());
        if (meta.provider.empty() && (prov.provider().empty() || role.find("source") != std::string::npos ||
                                      role.find("originat") != std::string::npos)) {
          prov.set_provider(src->name());
        }
      }
    }
  }
  if (meta.provider.empty() && prov.provider().empty()) prov.set_provider(out.copyright_holder());
  // Alternative ids: 2.x [{role, value}], 1.x {role: value}.
  if (Find(root, {"altids", "altIds"}, e)) {
    array arr;
    object map;
    if (e.get(arr) == simdjson::SUCCESS) {
      for (element item : arr) {
        if (DeadlinePassed()) break;
        object o;
        if (item.get(o) != simdjson::SUCCESS) continue;
        auto* a = out.add_altids();
        a->set_role(Str(o, {"role"}));
        a->set_value(Str(o, {"value"}));
      }
    } else if (e.get(map) == simdjson::SUCCESS) {
      for (auto [k, v] : map) {
        if (DeadlinePassed()) break;
        auto* a = out.add_altids();
        a->set_role(std::string(k));
        a->set_value(Str(v));
      }
    }
  }
}

// Body: markup preferred (same engine as pages, and sanitized into body_html), plain text otherwise.
Status ReadBody(const object& root, const Limits& limits, v1::Article& out) {
  std::string html = Str(root, {"body_html", "body_xhtml"});
  std::string text = Str(root, {"body_text"});
  element e;
  if (Find(root, {"bodies", "body"}, e)) {
    for (const auto& v : Variants(e)) {
      if (DeadlinePassed()) break;
      std::string role = AsciiLower(v.role);
      bool markup = IsHtmlType(v.content_type) || role == "xhtml" || role == "html" || role == "richtext";
      if (markup && html.empty()) html = v.value;
      if (!markup && text.empty()) text = v.value;
    }
  }
  if (!html.empty()) {
    Status st = ExtractHtmlFragment(html, limits, out);
    if (!st.ok()) return st;
  }
  if (out.body().empty() && !text.empty()) AddTextParagraphs(text, out);
  return OkStatus();
}

}  // namespace

Status DecodeNinjs(std::string_view bytes, const Metadata& meta, const Limits& limits, v1::Article& out) {
  simdjson::dom::parser parser;
  if (parser.allocate(bytes.size() + 64, limits.max_depth) != simdjson::SUCCESS) {
    return Error{v1::ERROR_CODE_INTERNAL, "could not allocate the JSON parser"};
  }
  simdjson::padded_string padded(bytes.data(), bytes.size());
  element doc;
  if (auto err = parser.parse(padded).get(doc); err != simdjson::SUCCESS) {
    if (err == simdjson::DEPTH_ERROR) {
      return Error{v1::ERROR_CODE_NESTING_TOO_DEEP,
                   "JSON nesting exceeds " + std::to_string(limits.max_depth) + " levels"};
    }
    if (err == simdjson::UTF8_ERROR) return Error{v1::ERROR_CODE_INVALID_UTF8, "ninjs is not valid UTF-8"};
    return Error{v1::ERROR_CODE_MALFORMED_JSON,
                 std::string("ninjs is not valid JSON: ") + simdjson::error_message(err)};
  }
  object root;
  if (doc.get(root) != simdjson::SUCCESS) {
    return Error{v1::ERROR_CODE_MALFORMED_JSON, "ninjs must be a JSON object"};
  }
  auto& prov = *out.mutable_provenance();
  prov.set_charset("utf-8");
  prov.set_guid(Str(root, {"uri", "guid"}));
  prov.set_provider_version(Str(root, {"version"}));
  std::string type = Str(root, {"type"});
  if (!type.empty()) out.set_type(type);
  ReadTimesAndStatus(root, meta.timezone, out);
  ReadHeadlinesAndDescriptions(root, limits, out);
  ReadPeopleAndConcepts(root, out);
  std::string located = Str(root, {"located"});
  if (!located.empty()) {
    auto* loc = out.mutable_located();
    loc->set_name(located);
    auto comma = located.find(',');
    loc->set_city(CollapseSpace(located.substr(0, comma)));
    if (comma != std::string::npos) loc->set_country(CollapseSpace(located.substr(comma + 1)));
  }
  out.set_language(Str(root, {"language"}));
  ReadRights(root, meta, out);
  ReadRenditions(root, *out.mutable_renditions());

  // Associations: 1.x an object keyed by name, 2.x+ an array of items with a name.
  element e;
  if (Find(root, {"associations"}, e)) {
    object map;
    array arr;
    if (e.get(map) == simdjson::SUCCESS) {
      for (auto [k, v] : map) {
        if (DeadlinePassed()) break;
        object o;
        if (v.get(o) == simdjson::SUCCESS) AddAssociation(o, k, out);
      }
    } else if (e.get(arr) == simdjson::SUCCESS) {
      for (element v : arr) {
        if (DeadlinePassed()) break;
        object o;
        if (v.get(o) == simdjson::SUCCESS) AddAssociation(o, Str(o, {"name"}), out);
      }
    }
  }
  return ReadBody(root, limits, out);
}

}  // namespace copydesk::normalize::internal
