// IPTC ninjs (News in JSON) 1.x, 2.x and 3.x -> Article. The three generations differ in spelling
// (1.x: headline / body_html / description_text / byline / associations as an object; 2.x: lower-case
// headlines[] / bodies[] / descriptions[] / by / associations[]; 3.x: the same in camelCase), so every
// field is looked up under each of its names.
#include <simdjson.h>

#include <initializer_list>
#include <string>

#include "normalize/ascii.h"
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

// The first rendition href (the one named main/original/highres preferred) and its media type.
void BestRendition(const object& item, std::string& href, std::string& mime) {
  element r;
  if (!Find(item, {"renditions"}, r)) return;
  auto consider = [&](std::string_view name, const object& o) {
    std::string h = Str(o, {"href", "uri"});
    if (h.empty()) return;
    std::string n = AsciiLower(name);
    bool preferred = n == "main" || n == "original" || n == "highres" || n == "hires" || n == "baseimage";
    if (href.empty() || preferred) {
      href = h;
      mime = Str(o, {"mimetype", "contenttype", "contentType"});
    }
  };
  object map;
  array arr;
  if (r.get(map) == simdjson::SUCCESS) {  // 1.x: {"name": {...}}
    for (auto [k, v] : map) {
      object o;
      if (v.get(o) == simdjson::SUCCESS) consider(k, o);
    }
  } else if (r.get(arr) == simdjson::SUCCESS) {  // 2.x+: [{"name": ..., ...}]
    for (element v : arr) {
      object o;
      if (v.get(o) == simdjson::SUCCESS) consider(Str(o, {"name"}), o);
    }
  }
}

std::string HeadlineOf(const object& o) {
  element h;
  if (Find(o, {"headlines", "headline"}, h)) {
    auto vs = Variants(h);
    if (!vs.empty()) return vs.front().value;
  }
  return "";
}

std::string DescriptionOf(const object& o) {
  std::string d = Str(o, {"description_text"});
  if (!d.empty()) return CollapseSpace(d);
  if (d = Str(o, {"description_html"}); !d.empty()) return StripTags(d);
  element e;
  if (Find(o, {"descriptions", "description"}, e)) {
    for (const auto& v : Variants(e)) {
      return IsHtmlType(v.content_type) ? StripTags(v.value) : CollapseSpace(v.value);
    }
  }
  return "";
}

void AddAssociation(const object& item, std::string_view name, v1::Article& out) {
  std::string type = AsciiLower(Str(item, {"type"}));
  std::string href, mime;
  BestRendition(item, href, mime);
  if (type == "text" || type == "composite") {
    auto* r = out.add_related();
    r->set_title(HeadlineOf(item));
    r->set_url(href.empty() ? Str(item, {"uri", "guid"}) : href);
    return;
  }
  auto* m = out.add_media();
  m->set_type(type.empty() ? std::string(name) : type);
  m->set_url(href.empty() ? Str(item, {"uri"}) : href);
  m->set_title(HeadlineOf(item));
  m->set_description(DescriptionOf(item));
  std::string credit = Str(item, {"by", "byline", "copyrightholder", "copyrightHolder"});
  m->set_credit(CollapseSpace(credit));
  m->set_mime_type(mime);
}

void AddSubjects(const object& root, std::initializer_list<std::string_view> keys, std::string_view scheme,
                 v1::Article& out, bool authors_from_rel) {
  element e;
  if (!Find(root, keys, e)) return;
  array arr;
  if (e.get(arr) != simdjson::SUCCESS) return;
  for (element item : arr) {
    object o;
    if (item.get(o) != simdjson::SUCCESS) continue;
    std::string name = Str(o, {"name", "literal"});
    std::string uri = Str(o, {"uri", "code", "qcode"});
    std::string rel = AsciiLower(Str(o, {"rel", "role"}));
    if (authors_from_rel && (rel == "author" || rel == "creator" || rel == "byline" || rel == "contributor" ||
                             rel == "photographer" || rel == "editor" || rel == "writer")) {
      auto* p = out.add_authors();
      p->set_name(name);
      p->set_role(rel == "byline" || rel == "creator" || rel == "writer" ? "author" : rel);
      p->set_uri(uri);
      continue;
    }
    if (name.empty() && uri.empty()) continue;
    auto* s = out.add_subjects();
    s->set_name(name);
    s->set_uri(uri);
    std::string sch(scheme);
    if (auto colon = uri.find(':');
        sch.empty() && colon != std::string::npos && uri.find("://") == std::string::npos) {
      sch = uri.substr(0, colon);  // "medtop:20000822" -> "medtop"
    } else if (sch.empty()) {
      if (auto slash = uri.rfind('/'); slash != std::string::npos) sch = uri.substr(0, slash + 1);
    }
    s->set_scheme(sch);
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
      object o;
      if (item.get(o) == simdjson::SUCCESS) {
        apply(Str(o, {"name", "uri", "qcode", "value", "code"}));
      } else {
        apply(Str(item));
      }
    }
  } else if (e.get(obj) == simdjson::SUCCESS) {
    for (auto [k, v] : obj) {
      bool b = false;
      if (v.get(b) == simdjson::SUCCESS && b) apply(std::string(k));
    }
  } else {
    apply(Str(e));
  }
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
  out.mutable_provenance()->set_charset("utf-8");
  auto& prov = *out.mutable_provenance();
  prov.set_guid(Str(root, {"uri", "guid"}));
  prov.set_provider_version(Str(root, {"version"}));
  std::string type = Str(root, {"type"});
  if (!type.empty()) out.set_type(type);

  google::protobuf::Timestamp ts;
  if (SetTimeFrom(Str(root, {"firstcreated", "firstCreated"}), &ts)) *out.mutable_firstcreated() = ts;
  if (SetTimeFrom(Str(root, {"versioncreated", "versionCreated"}), &ts)) *out.mutable_versioncreated() = ts;
  if (SetTimeFrom(Str(root, {"contentcreated", "contentCreated"}), &ts)) *out.mutable_contentcreated() = ts;
  if (SetTimeFrom(Str(root, {"embargoed", "embargoedUntil"}), &ts)) {
    *out.mutable_embargoed() = ts;
    out.mutable_signals()->set_embargo(true);
  }
  out.set_pubstatus(PubStatusFrom(Str(root, {"pubstatus", "pubStatus"})));
  if (out.pubstatus() == v1::PUB_STATUS_CANCELED) out.mutable_signals()->set_kill(true);
  element e;
  if (Find(root, {"signals", "signal"}, e)) ApplySignals(e, *out.mutable_signals());

  // Headlines: the one with role "main" (or the first) is the headline, the others alternates.
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
  out.set_standfirst(DescriptionOf(root));

  // People (authors by rel), then the byline string.
  AddSubjects(root, {"people", "person"}, "person", out, true);
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
  AddSubjects(root, {"subjects", "subject"}, "", out, false);
  AddSubjects(root, {"organisations", "organisation", "organizations"}, "organisation", out, false);
  AddSubjects(root, {"places", "place"}, "place", out, false);
  AddSubjects(root, {"events", "event"}, "event", out, false);
  if (Find(root, {"keywords"}, e)) {
    array arr;
    if (e.get(arr) == simdjson::SUCCESS) {
      for (element k : arr) {
        if (std::string s = Str(k); !s.empty()) out.add_keywords(s);
      }
    }
  }

  std::string located = Str(root, {"located"});
  if (!located.empty()) {
    auto* loc = out.mutable_located();
    loc->set_name(located);
    auto comma = located.find(',');
    loc->set_city(CollapseSpace(located.substr(0, comma)));
    if (comma != std::string::npos) loc->set_country(CollapseSpace(located.substr(comma + 1)));
  }
  out.set_language(Str(root, {"language"}));
  out.set_copyright_notice(Str(root, {"copyrightnotice", "copyrightNotice"}));
  out.set_usage_terms(Str(root, {"usageterms", "usageTerms"}));
  out.set_ednote(Str(root, {"ednote", "edNote"}));
  if (meta.provider.empty()) {
    // The source among the info sources, else the copyright holder.
    if (Find(root, {"infosources", "infoSources", "infosource"}, e)) {
      array arr;
      if (e.get(arr) == simdjson::SUCCESS) {
        for (element item : arr) {
          object o;
          if (item.get(o) != simdjson::SUCCESS) continue;
          std::string role = AsciiLower(Str(o, {"role"}));
          if (prov.provider().empty() || role.find("source") != std::string::npos ||
              role.find("originat") != std::string::npos) {
            prov.set_provider(Str(o, {"name", "literal"}));
          }
        }
      }
    }
    if (prov.provider().empty()) prov.set_provider(Str(root, {"copyrightholder", "copyrightHolder"}));
  }

  // Associations: 1.x an object keyed by name, 2.x+ an array of items with a name.
  if (Find(root, {"associations"}, e)) {
    object map;
    array arr;
    if (e.get(map) == simdjson::SUCCESS) {
      for (auto [k, v] : map) {
        object o;
        if (v.get(o) == simdjson::SUCCESS) AddAssociation(o, k, out);
      }
    } else if (e.get(arr) == simdjson::SUCCESS) {
      for (element v : arr) {
        object o;
        if (v.get(o) == simdjson::SUCCESS) AddAssociation(o, Str(o, {"name"}), out);
      }
    }
  }

  // Body: markup preferred (same engine as pages), plain text otherwise.
  std::string html = Str(root, {"body_html", "body_xhtml"});
  std::string text = Str(root, {"body_text"});
  if (Find(root, {"bodies", "body"}, e)) {
    for (const auto& v : Variants(e)) {
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

}  // namespace copydesk::normalize::internal
