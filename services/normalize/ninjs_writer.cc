#include "normalize/ninjs_writer.h"

#include <google/protobuf/util/time_util.h>

#include <cmath>
#include <cstdio>
#include <set>
#include <string_view>

#include "common/json.h"

namespace copydesk::normalize {
namespace {

// A minimal streaming JSON writer: objects and arrays with commas placed for the caller.
class Json {
 public:
  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  void Key(std::string_view k) {
    Comma();
    AppendJsonString(out_, k);
    out_ += ':';
    after_key_ = true;
  }
  void String(std::string_view v) {
    Comma();
    AppendJsonString(out_, v);
  }
  void Number(double v) {
    Comma();
    char buf[32];
    if (!std::isfinite(v)) v = 0;
    if (v == std::floor(v) && std::fabs(v) < 1e15) {
      std::snprintf(buf, sizeof buf, "%.0f", v);
    } else {
      std::snprintf(buf, sizeof buf, "%.17g", v);
    }
    out_ += buf;
  }
  // Key and string value, skipped when the value is empty.
  void Field(std::string_view k, std::string_view v) {
    if (v.empty()) return;
    Key(k);
    String(v);
  }
  void Field(std::string_view k, double v) {
    if (!(v > 0)) return;
    Key(k);
    Number(v);
  }
  std::string Take() { return std::move(out_); }

 private:
  void Comma() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_) out_ += ',';
    first_ = false;
  }
  void Open(char c) {
    Comma();
    out_ += c;
    first_ = true;
  }
  void Close(char c) {
    out_ += c;
    first_ = false;
  }

  std::string out_;
  bool first_ = true;
  bool after_key_ = false;
};

bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Characters a URI may hold as they are (RFC 3986 unreserved and reserved, and '%').
bool UriChar(char c) {
  if (IsAlpha(c) || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':
    case ':':
    case '/':
    case '?':
    case '#':
    case '@':
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ';':
    case '=': return true;
    default: return false;
  }
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsAlpha(ch) || (c >= '0' && c <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Time(const google::protobuf::Timestamp& t) {
  // RFC 3339 needs a four-digit year: 0001-01-01 .. 9999-12-31.
  if (t.seconds() < -62135596800LL || t.seconds() > 253402300799LL || t.nanos() < 0 ||
      t.nanos() > 999999999) {
    return "";
  }
  return google::protobuf::util::TimeUtil::ToString(t);
}

bool IsTextType(std::string_view type) {
  return type.empty() || type == "text" || type == "composite";
}

std::string NinjsType(std::string_view type) {
  static constexpr std::string_view kTypes[] = {"text",    "audio",     "video",    "picture",
                                                "graphic", "composite", "component"};
  for (auto t : kTypes) {
    if (type == t) return std::string(t);
  }
  return "";
}

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// A concept (subject, place, organisation, person, genre): name, rel, uri (a URI only; the
// scheme URL joined with the code when there is no uri), literal (the provider's code).
void Concept(Json& j, const v1::Subject& s, bool with_rel) {
  std::string uri = AsUri(s.uri());
  if (uri.empty() && s.scheme().find("://") != std::string::npos && !s.code().empty()) {
    uri = AsUri(s.scheme() + s.code());
  }
  std::string literal = s.literal();
  if (literal.empty() && uri.empty()) literal = !s.code().empty() ? s.code() : s.uri();
  j.BeginObject();
  j.Field("name", s.name());
  if (with_rel) j.Field("rel", s.rel());
  j.Field("uri", uri);
  j.Field("literal", literal);
  j.EndObject();
}

bool Empty(const v1::Subject& s) {
  return s.name().empty() && s.uri().empty() && s.literal().empty() && s.code().empty();
}

void Concepts(Json& j, std::string_view key, const google::protobuf::RepeatedPtrField<v1::Subject>& list,
              bool with_rel) {
  bool open = false;
  for (const auto& s : list) {
    if (Empty(s)) continue;
    if (!open) {
      j.Key(key);
      j.BeginArray();
      open = true;
    }
    Concept(j, s, with_rel);
  }
  if (open) j.EndArray();
}

void Rendition(Json& j, const v1::Rendition& r, size_t index) {
  j.BeginObject();
  j.Field("name", r.name().empty() ? "rendition" + std::to_string(index + 1) : r.name());
  j.Field("href", AsUri(r.href()));
  j.Field("contenttype", r.mime_type());
  j.Field("title", r.title());
  j.Field("width", static_cast<double>(r.width()));
  j.Field("height", static_cast<double>(r.height()));
  j.Field("sizeinbytes", static_cast<double>(r.size_bytes()));
  j.Field("duration", r.duration_seconds());
  j.Field("format", r.format());
  j.EndObject();
}

void Renditions(Json& j, const google::protobuf::RepeatedPtrField<v1::Rendition>& list,
                std::string_view web_url, std::string_view fallback_href, std::string_view fallback_type) {
  if (list.empty() && web_url.empty() && fallback_href.empty()) return;
  j.Key("renditions");
  j.BeginArray();
  bool has_web = false;
  for (int i = 0; i < list.size(); ++i) {
    Rendition(j, list.Get(i), static_cast<size_t>(i));
    has_web = has_web || list.Get(i).href() == web_url;
  }
  if (list.empty() && !fallback_href.empty()) {
    v1::Rendition r;
    r.set_name("main");
    r.set_href(std::string(fallback_href));
    r.set_mime_type(std::string(fallback_type));
    Rendition(j, r, 0);
  }
  if (!web_url.empty() && !has_web) {
    v1::Rendition r;
    r.set_name("web");
    r.set_href(std::string(web_url));
    r.set_mime_type("text/html");
    Rendition(j, r, 0);
  }
  j.EndArray();
}

// One entry of headlines, descriptions or bodies: {"role", "contenttype", "value"}.
void TextObject(Json& j, std::string_view role, std::string_view content_type, std::string_view value) {
  j.BeginObject();
  j.Field("role", role);
  j.Field("contenttype", content_type);
  j.Field("value", value);
  j.EndObject();
}

void Headlines(Json& j, const v1::Article& a) {
  if (a.headline().empty() && a.headlines().empty()) return;
  j.Key("headlines");
  j.BeginArray();
  if (!a.headline().empty()) {
    TextObject(j, "main", "text/plain", a.headline());
  }
  for (const auto& h : a.headlines()) {
    if (h.value().empty()) continue;
    TextObject(j, h.role(), "text/plain", h.value());
  }
  j.EndArray();
}

void Descriptions(Json& j, const v1::Article& a) {
  // The standfirst is written as the summary unless a description already carries it.
  bool has_summary = false;
  for (const auto& d : a.descriptions()) {
    has_summary = has_summary || (d.role() == "summary" && !d.value().empty()) || d.value() == a.standfirst();
  }
  const bool standfirst = !a.standfirst().empty() && !has_summary;
  if (!standfirst && a.descriptions().empty()) return;
  j.Key("descriptions");
  j.BeginArray();
  if (standfirst) {
    TextObject(j, "summary", "text/plain", a.standfirst());
  }
  for (const auto& d : a.descriptions()) {
    if (d.value().empty()) continue;
    TextObject(j, d.role(), d.content_type(), d.value());
  }
  j.EndArray();
}

void Bodies(Json& j, const v1::Article& a) {
  if (a.body_text().empty() && a.body_html().empty()) return;
  j.Key("bodies");
  j.BeginArray();
  if (!a.body_text().empty()) {
    j.BeginObject();
    j.Field("role", "main");
    j.Field("contenttype", "text/plain");
    j.Field("charcount", static_cast<double>(CodePoints(a.body_text())));
    j.Field("wordcount", static_cast<double>(a.word_count()));
    j.Field("value", a.body_text());
    j.EndObject();
  }
  if (!a.body_html().empty()) {
    TextObject(j, "main", "text/html", a.body_html());
  }
  j.EndArray();
}

// Subjects, then the section path (rel "section") and keywords (rel "keyword").
void Subjects(Json& j, const v1::Article& a) {
  bool any = !a.section_path().empty() || !a.keywords().empty();
  for (const auto& s : a.subjects()) any = any || !Empty(s);
  if (!any) return;
  j.Key("subjects");
  j.BeginArray();
  for (const auto& s : a.subjects()) {
    if (!Empty(s)) Concept(j, s, true);
  }
  for (const auto& name : a.section_path()) {
    v1::Subject s;
    s.set_name(name);
    s.set_rel("section");
    Concept(j, s, true);
  }
  for (const auto& name : a.keywords()) {
    v1::Subject s;
    s.set_name(name);
    s.set_rel("keyword");
    Concept(j, s, true);
  }
  j.EndArray();
}

// People: the authors (rel: their role, "author" when none), then the people of the story.
void People(Json& j, const v1::Article& a) {
  bool any = false;
  for (const auto& p : a.authors()) any = any || !p.name().empty();
  for (const auto& s : a.people()) any = any || !Empty(s);
  if (!any) return;
  j.Key("people");
  j.BeginArray();
  for (const auto& p : a.authors()) {
    if (p.name().empty()) continue;
    v1::Subject s;
    s.set_name(p.name());
    s.set_rel(p.role().empty() ? "author" : p.role());
    s.set_uri(p.uri());
    Concept(j, s, true);
  }
  for (const auto& s : a.people()) {
    if (!Empty(s)) Concept(j, s, true);
  }
  j.EndArray();
}

void Infosources(Json& j, const v1::Article& a) {
  const std::string& provider = a.provenance().provider();
  bool listed = provider.empty();
  for (const auto& p : a.infosources()) listed = listed || p.name() == provider;
  if (a.infosources().empty() && listed) return;
  j.Key("infosources");
  j.BeginArray();
  for (const auto& p : a.infosources()) {
    if (p.name().empty() && p.uri().empty()) continue;
    std::string uri = AsUri(p.uri());
    j.BeginObject();
    j.Field("name", p.name());
    j.Field("role", p.role());
    j.Field("uri", uri);
    if (uri.empty()) j.Field("literal", p.uri());
    j.EndObject();
  }
  if (!listed) {
    j.BeginObject();
    j.Field("name", provider);
    j.Field("role", "provider");
    j.EndObject();
  }
  j.EndArray();
}

// Media items and related links, each an association with a unique name and a uri.
void Associations(Json& j, const v1::Article& a) {
  std::set<std::string> names;
  bool open = false;
  auto begin = [&](std::string name, std::string_view fallback, const std::string& uri) {
    if (name.empty() || names.count(name)) {
      for (int k = 1;; ++k) {
        name = std::string(fallback) + std::to_string(k);
        if (!names.count(name)) break;
      }
    }
    names.insert(name);
    if (!open) {
      j.Key("associations");
      j.BeginArray();
      open = true;
    }
    j.BeginObject();
    j.Field("name", name);
    j.Field("uri", uri);
  };
  for (const auto& m : a.media()) {
    std::string uri = AsUri(m.uri());
    if (uri.empty()) uri = AsUri(m.url());
    if (uri.empty()) continue;  // ninjs requires a uri for every association
    std::string type = NinjsType(m.type());
    begin(m.role(), type.empty() ? "media" : type, uri);
    j.Field("type", type);
    if (!m.title().empty()) {
      j.Key("headlines");
      j.BeginArray();
      j.BeginObject();
      j.Field("value", m.title());
      j.EndObject();
      j.EndArray();
    }
    if (!m.description().empty() || !m.alt_text().empty()) {
      j.Key("descriptions");
      j.BeginArray();
      if (!m.description().empty()) {
        j.BeginObject();
        j.Field("role", "caption");
        j.Field("value", m.description());
        j.EndObject();
      }
      if (!m.alt_text().empty()) {
        j.BeginObject();
        j.Field("role", "alt");
        j.Field("value", m.alt_text());
        j.EndObject();
      }
      j.EndArray();
    }
    j.Field("by", m.credit());
    j.Field("copyrightnotice", m.copyright_notice());
    j.Field("usageterms", m.usage_terms());
    Renditions(j, m.renditions(), "", AsUri(m.url()), m.mime_type());
    j.EndObject();
  }
  for (const auto& r : a.related()) {
    std::string uri = AsUri(r.url());
    if (uri.empty()) continue;
    begin("", "related", uri);
    j.Field("type", "text");
    if (!r.title().empty()) {
      j.Key("headlines");
      j.BeginArray();
      j.BeginObject();
      j.Field("value", r.title());
      j.EndObject();
      j.EndArray();
    }
    j.EndObject();
  }
  if (open) j.EndArray();
}

std::string ItemUri(const v1::Article& a, const NinjsOptions& options) {
  if (!a.uri().empty()) {
    std::string uri = AsUri(a.uri());
    return !uri.empty() ? uri : AsUri(options.story_uri_prefix + PercentEncode(a.uri()));
  }
  const auto& prov = a.provenance();
  if (std::string guid = AsUri(prov.guid()); !guid.empty()) return guid;
  if (std::string url = AsUri(a.canonical_url()); !url.empty()) return url;
  if (!prov.guid().empty()) {
    return "urn:copydesk:guid:" + PercentEncode(prov.provider()) + ":" + PercentEncode(prov.guid());
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(a.fingerprints().content_hash()));
  return std::string("urn:copydesk:content:") + buf;
}

}  // namespace

std::string AsUri(std::string_view s) {
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || !IsAlpha(s[0])) return "";
  for (size_t i = 1; i < colon; ++i) {
    char c = s[i];
    if (!IsAlpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return "";
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  bool fragment = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    const auto c = static_cast<unsigned char>(ch);
    bool keep = UriChar(ch);
    if (ch == '%') keep = i + 2 < s.size() && IsHex(s[i + 1]) && IsHex(s[i + 2]);
    if (ch == '#') {
      keep = !fragment;
      fragment = true;
    }
    if (keep) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string ToNinjs(const v1::Article& a, const NinjsOptions& options) {
  Json j;
  j.BeginObject();
  j.Field("uri", ItemUri(a, options));
  j.Field("type", NinjsType(a.type()));
  j.Field("version", a.version() > 0 ? std::to_string(a.version()) : a.provenance().provider_version());
  if (a.has_firstcreated()) j.Field("firstcreated", Time(a.firstcreated()));
  if (a.has_versioncreated()) j.Field("versioncreated", Time(a.versioncreated()));
  if (a.has_contentcreated()) j.Field("contentcreated", Time(a.contentcreated()));
  if (a.has_embargoed()) j.Field("embargoed", Time(a.embargoed()));
  if (a.has_expires()) j.Field("expires", Time(a.expires()));
  j.Field("pubstatus", a.pubstatus() == v1::PUB_STATUS_CANCELED   ? "canceled"
                       : a.pubstatus() == v1::PUB_STATUS_WITHHELD ? "withheld"
                                                                  : "usable");
  j.Field("urgency", static_cast<double>(a.urgency()));
  j.Field("copyrightholder", a.copyright_holder());
  j.Field("copyrightnotice", a.copyright_notice());
  j.Field("usageterms", a.usage_terms());
  j.Field("ednote", a.ednote());
  j.Field("language", a.language());
  Headlines(j, a);
  Descriptions(j, a);
  Bodies(j, a);
  j.Field("by", a.byline());
  j.Field("slugline", a.slugline());
  std::string located = a.located().name();
  if (located.empty() && !a.located().city().empty()) {
    located = a.located().city() + (a.located().country().empty() ? "" : ", " + a.located().country());
  }
  j.Field("located", located);
  Subjects(j, a);
  Concepts(j, "genres", a.genres(), false);
  Concepts(j, "places", a.places(), true);
  Concepts(j, "organisations", a.organisations(), true);
  People(j, a);
  Infosources(j, a);
  Associations(j, a);
  Renditions(j, a.renditions(), IsTextType(a.type()) ? AsUri(a.canonical_url()) : "", "", "");
  if (!a.altids().empty()) {
    j.Key("altids");
    j.BeginArray();
    for (const auto& id : a.altids()) {
      if (id.value().empty()) continue;
      j.BeginObject();
      j.Field("role", id.role());
      j.Field("value", id.value());
      j.EndObject();
    }
    j.EndArray();
  }
  j.EndObject();
  return j.Take();
}

}  // namespace copydesk::normalize
