// NewsML 1.2 NewsComponents -> Article: NewsLines, AdministrativeMetadata, RightsMetadata and
// DescriptiveMetadata of the top component (completed by those of the component that holds the
// text), the text body, and media. The body is the first text ContentItem outside a media
// component: NITF DataContent goes through the NITF decoder, XHTML through the HTML engine, plain
// text becomes paragraphs. A component that holds pictures, graphics, audio or video (directly, or
// one rendition per child component as agencies send them) becomes one media item with its
// renditions and its caption.
#include <algorithm>
#include <string>
#include <vector>

#include "normalize/ascii.h"
#include "normalize/internal.h"
#include "normalize/newsml1.h"
#include "normalize/wire_text.h"
#include "normalize/xml_util.h"

namespace copydesk::normalize::internal::newsml1 {
namespace {

constexpr int kMaxComponentDepth = 32;

std::string RoleOf(const xmlNode* component) {
  return FormalNameOf(component, "Role");
}

// Adds a concept unless one with the same scheme, code and name is there.
v1::Subject* AddConcept(google::protobuf::RepeatedPtrField<v1::Subject>* list, std::string_view name,
                        std::string_view scheme, std::string_view code) {
  // Duplicates come from a component repeating the top one's metadata: short lists. A long list
  // is not searched, so a hostile document cannot make this quadratic.
  for (int i = 0; i < list->size() && i < 256; ++i) {
    const auto& s = list->Get(i);
    if (s.name() == name && s.scheme() == scheme && s.code() == code) return nullptr;
  }
  auto* s = list->Add();
  s->set_name(std::string(name));
  s->set_scheme(std::string(scheme));
  s->set_code(std::string(code));
  if (!scheme.empty() && !code.empty()) s->set_uri(std::string(scheme) + ":" + std::string(code));
  return s;
}

void SetIfEmpty(std::string* field, std::string value) {
  if (field->empty()) *field = std::move(value);
}

// "STOCKHOLM, Aug 29, 2014 (AFP) -" -> located "Stockholm".
void ApplyDateLine(std::string_view dateline, v1::Article& out) {
  if (dateline.empty() || !out.located().dateline().empty()) return;
  auto* loc = out.mutable_located();
  loc->set_dateline(std::string(dateline));
  const size_t end = dateline.find_first_of(",(");
  const std::string city = wire::Squeeze(dateline.substr(0, end));
  if (!city.empty() && loc->city().empty()) {
    loc->set_city(wire::TitleCaseIfCaps(city));
    loc->set_name(loc->city());
  }
}

void ApplyNewsLines(const xmlNode* lines, v1::Article& out) {
  if (lines == nullptr) return;
  SetIfEmpty(out.mutable_headline(), Text(Child(lines, "HeadLine")));
  for (const xmlNode* sub : Children(lines, "SubHeadLine")) {
    auto* h = out.add_headlines();
    h->set_role("subheadline");
    h->set_value(Text(sub));
  }
  for (const xmlNode* series : Children(lines, "SeriesLine")) {
    auto* h = out.add_headlines();
    h->set_role("series");
    h->set_value(Text(series));
  }
  if (const std::string by = Text(Child(lines, "ByLine")); !by.empty() && out.byline().empty()) {
    wire::SetWireByline(by, Text(Child(lines, "ByLineTitle")), out);
  }
  ApplyDateLine(Text(Child(lines, "DateLine")), out);
  if (const std::string credit = Text(Child(lines, "CreditLine")); !credit.empty()) {
    auto* c = out.add_infosources();
    c->set_name(credit);
    c->set_role("credit");
  }
  SetIfEmpty(out.mutable_copyright_notice(), Text(Child(lines, "CopyrightLine")));
  SetIfEmpty(out.mutable_usage_terms(), Text(Child(lines, "RightsLine")));
  SetIfEmpty(out.mutable_slugline(), Text(Child(lines, "SlugLine")));
  for (const xmlNode* kl : Children(lines, "KeywordLine")) {
    const std::string v = Text(kl);
    size_t start = 0;
    while (start <= v.size()) {
      size_t sep = v.find_first_of(",;", start);
      if (sep == std::string::npos) sep = v.size();
      if (auto k = wire::Squeeze(std::string_view(v).substr(start, sep - start)); !k.empty())
        out.add_keywords(k);
      start = sep + 1;
    }
  }
  for (const xmlNode* nl : Children(lines, "NewsLine")) {
    const std::string text = Text(Child(nl, "NewsLineText"));
    if (text.empty()) continue;
    auto* d = out.add_descriptions();
    d->set_role(AsciiLower(FormalNameOf(nl, "NewsLineType")));
    d->set_content_type("text/plain");
    d->set_value(text);
  }
}

void AddParties(const xmlNode* admin, std::string_view element, std::string_view role, v1::Article& out) {
  for (const xmlNode* group : Children(admin, element)) {
    for (const xmlNode* party : Children(group, "Party")) {
      const std::string name = Attr(party, "FormalName");
      if (name.empty()) continue;
      if (role == "source") {
        auto* s = out.add_infosources();
        s->set_name(name);
        s->set_role("source");
        continue;
      }
      bool known = false;
      for (int i = 0; i < out.authors_size() && i < 256 && !known; ++i) known = out.authors(i).name() == name;
      if (known) continue;
      auto* a = out.add_authors();
      a->set_name(name);
      a->set_role(std::string(role));
    }
  }
}

void ApplyAdministrative(const xmlNode* admin, const Metadata& meta, v1::Article& out) {
  if (admin == nullptr) return;
  auto add_id = [&](std::string_view role, std::string value) {
    if (value.empty()) return;
    auto* a = out.add_altids();
    a->set_role(std::string(role));
    a->set_value(std::move(value));
  };
  add_id("file-name", Text(Child(admin, "FileName")));
  add_id("system-identifier", Text(Child(admin, "SystemIdentifier")));
  if (meta.provider.empty() && out.provenance().provider().empty()) {
    out.mutable_provenance()->set_provider(Attr(Child(Child(admin, "Provider"), "Party"), "FormalName"));
  }
  const bool had_byline = !out.authors().empty();
  AddParties(admin, "Creator", "author", out);
  AddParties(admin, "Contributor", "contributor", out);
  AddParties(admin, "Source", "source", out);
  if (!had_byline && out.byline().empty() && !out.authors().empty()) {
    std::string joined;
    for (int i = 0; i < out.authors_size(); ++i) {
      if (i > 0) joined += i + 1 == out.authors_size() ? " and " : ", ";
      joined += out.authors(i).name();
    }
    out.set_byline(joined);
  }
}

void ApplyRights(const xmlNode* rights, std::string_view zone, v1::Article& out) {
  if (rights == nullptr) return;
  if (const xmlNode* c = Child(rights, "Copyright")) {
    const std::string holder = Text(Child(c, "CopyrightHolder"));
    const std::string date = Text(Child(c, "CopyrightDate"));
    SetIfEmpty(out.mutable_copyright_holder(), holder);
    if (!holder.empty())
      SetIfEmpty(out.mutable_copyright_notice(), "Copyright " + (date.empty() ? "" : date + " ") + holder);
  }
  for (const xmlNode* u : Children(rights, "UsageRights")) {
    std::vector<std::string> parts;
    for (const char* field : {"UsageType", "Limitations", "Geography", "RightsHolder"}) {
      if (std::string v = Text(Child(u, field)); !v.empty()) parts.push_back(std::move(v));
    }
    const std::string start = Text(Child(u, "StartDate")), end = Text(Child(u, "EndDate"));
    if (!start.empty()) parts.push_back("from " + start);
    // The end of the usage rights is when the item expires.
    google::protobuf::Timestamp t;
    if (!end.empty() && SetTimeFrom(end, zone, &t) && !out.has_expires()) *out.mutable_expires() = t;
    std::string joined;
    for (const auto& p : parts) joined += (joined.empty() ? "" : "; ") + p;
    if (!joined.empty()) {
      if (!out.usage_terms().empty()) out.mutable_usage_terms()->append("; ");
      out.mutable_usage_terms()->append(joined);
    }
  }
}

// A Location: its Properties (City, CountryArea, Country, WorldRegion) as a place; the origin is
// where the story was filed from.
void ApplyLocation(const xmlNode* loc, v1::Article& out) {
  std::string city, area, country, region;
  for (const xmlNode* p : Children(loc, "Property")) {
    const std::string name = AsciiLower(Attr(p, "FormalName"));
    const std::string value = Attr(p, "Value");
    if (name == "city") city = value;
    if (name == "countryarea") area = value;
    if (name == "country") country = value;
    if (name == "worldregion") region = value;
  }
  const std::string how = AsciiLower(Attr(loc, "HowPresent"));
  const std::string name = !city.empty() ? city : !area.empty() ? area : !country.empty() ? country : region;
  if (name.empty()) return;
  // The ISO 3166 code names the place only when the place is the country itself.
  const bool is_country = name == country;
  if (auto* s = AddConcept(out.mutable_places(), name, is_country ? "iso3166-1a3" : "",
                           is_country ? country : "")) {
    s->set_rel(how);
  }
  if (how == "origin") {
    auto* l = out.mutable_located();
    if (l->city().empty() && !city.empty()) l->set_city(city);
    if (l->name().empty()) l->set_name(name);
    if (l->country().empty()) l->set_country(country);
  }
}

// A TopicOccurrence: the Topic it points at, by its TopicType, as a person, organisation, place
// or subject.
void ApplyTopic(const xmlNode* occurrence, const TopicIndex& topics, v1::Article& out) {
  std::string ref = Attr(occurrence, "Topic");
  if (!ref.empty() && ref[0] == '#') ref.erase(0, 1);
  const auto it = topics.find(ref);
  if (it == topics.end()) return;
  const xmlNode* topic = it->second;
  std::string name = Text(Child(topic, "FormalName"));
  if (name.empty()) name = Text(Child(topic, "Description"));
  if (name.empty()) return;
  const std::string type = AsciiLower(FormalNameOf(topic, "TopicType"));
  google::protobuf::RepeatedPtrField<v1::Subject>* list = out.mutable_subjects();
  if (type == "person") list = out.mutable_people();
  if (type == "organisation" || type == "organization" || type == "company")
    list = out.mutable_organisations();
  if (type == "location" || type == "city" || type == "country" || type == "place" || type == "region")
    list = out.mutable_places();
  // The Duid only names the topic inside this document, so the concept is its name.
  if (auto* s = AddConcept(list, name, "", "")) s->set_rel(AsciiLower(Attr(occurrence, "HowPresent")));
}

void ApplyDescriptive(const xmlNode* dm, const TopicIndex& topics, std::string_view zone, v1::Article& out) {
  if (dm == nullptr) return;
  SetIfEmpty(out.mutable_language(), FormalNameOf(dm, "Language"));
  for (const xmlNode* g : Children(dm, "Genre")) {
    const std::string code = Attr(g, "FormalName");
    std::string scheme = Attr(g, "Scheme");
    if (scheme.empty()) scheme = Attr(g, "Vocabulary");
    if (!code.empty()) AddConcept(out.mutable_genres(), code, scheme, code);
  }
  for (const xmlNode* sc : Children(dm, "SubjectCode")) {
    for (const xmlNode* s = sc->children; s; s = s->next) {
      if (s->type != XML_ELEMENT_NODE) continue;
      const std::string_view kind = LocalName(s);
      if (kind != "Subject" && kind != "SubjectMatter" && kind != "SubjectDetail") continue;
      const std::string code = Attr(s, "FormalName");
      if (!code.empty()) AddConcept(out.mutable_subjects(), "", "subj", code);
    }
  }
  if (const xmlNode* dld = Child(dm, "DateLineDate"); dld && !out.has_contentcreated()) {
    google::protobuf::Timestamp t;
    if (SetTimeFrom(Text(dld), zone, &t)) *out.mutable_contentcreated() = t;
  }
  for (const xmlNode* loc : Children(dm, "Location")) ApplyLocation(loc, out);
  for (const xmlNode* occ : Children(dm, "TopicOccurrence")) ApplyTopic(occ, topics, out);
  for (const xmlNode* p : Children(dm, "Property")) {
    if (AsciiLower(Attr(p, "FormalName")) == "keyword" && !Attr(p, "Value").empty())
      out.add_keywords(Attr(p, "Value"));
  }
}

void ApplyComponentMetadata(const xmlNode* c, const TopicIndex& topics, const Metadata& meta,
                            v1::Article& out) {
  ApplyNewsLines(Child(c, "NewsLines"), out);
  ApplyAdministrative(Child(c, "AdministrativeMetadata"), meta, out);
  ApplyRights(Child(c, "RightsMetadata"), meta.timezone, out);
  ApplyDescriptive(Child(c, "DescriptiveMetadata"), topics, meta.timezone, out);
}

enum class Kind { kOther, kText, kMedia };

std::string MediaTypeOf(const xmlNode* ci) {
  const std::string media = AsciiLower(FormalNameOf(ci, "MediaType"));
  const std::string mime = AsciiLower(FormalNameOf(ci, "MimeType"));
  if (media == "photo" || media == "picture" || media == "image" || mime.rfind("image/", 0) == 0)
    return "picture";
  if (media == "graphic") return "graphic";
  if (media == "video" || mime.rfind("video/", 0) == 0) return "video";
  if (media == "audio" || media == "sound" || mime.rfind("audio/", 0) == 0) return "audio";
  return "";
}

Kind KindOf(const xmlNode* ci) {
  if (!MediaTypeOf(ci).empty()) return Kind::kMedia;
  const std::string media = AsciiLower(FormalNameOf(ci, "MediaType"));
  const std::string mime = AsciiLower(FormalNameOf(ci, "MimeType"));
  if (media == "text" || mime.rfind("text/", 0) == 0 || mime == "application/xhtml+xml" ||
      (media.empty() && Child(ci, "DataContent") != nullptr))
    return Kind::kText;
  return Kind::kOther;
}

// A component holding only media content items and no components: one rendition per component.
bool IsRenditionOnly(const xmlNode* c) {
  if (Child(c, "NewsComponent") != nullptr) return false;
  const std::vector<xmlNode*> items = Children(c, "ContentItem");
  if (items.empty()) return false;
  for (const xmlNode* ci : items) {
    if (KindOf(ci) != Kind::kMedia) return false;
  }
  return true;
}

// The body text of a text ContentItem: NITF, XHTML or plain text.
Status DecodeText(xmlDoc* doc, const xmlNode* ci, const Metadata& meta, const Limits& limits,
                  v1::Article& out) {
  const xmlNode* data = Child(ci, "DataContent");
  if (data == nullptr) return OkStatus();
  const std::string format = AsciiLower(FormalNameOf(ci, "Format"));
  const std::string mime = AsciiLower(FormalNameOf(ci, "MimeType"));
  if (const xmlNode* nitf = Child(data, "nitf")) {
    // The NITF decoder reads it into its own Article; what NewsML already says wins, lists join.
    v1::Article inner;
    Status st = DecodeNitf(InnerXml(doc, data), meta, limits, inner);
    if (!st.ok()) {
      const xmlNode* content = Descendant(nitf, "body.content");
      return ExtractHtmlFragment(InnerXml(doc, content != nullptr ? content : nitf), limits, out);
    }
    inner.clear_provenance();
    inner.MergeFrom(out);
    out = std::move(inner);
    return OkStatus();
  }
  bool has_elements = false;
  for (const xmlNode* c = data->children; c; c = c->next)
    has_elements = has_elements || c->type == XML_ELEMENT_NODE;
  if (has_elements) {
    const xmlNode* html = Child(data, "html");
    const xmlNode* body = html != nullptr ? Child(html, "body") : Child(data, "body");
    return ExtractHtmlFragment(InnerXml(doc, body != nullptr ? body : data), limits, out);
  }
  const std::string raw = RawText(data);
  if (format.find("html") != std::string::npos || mime.find("html") != std::string::npos) {
    return ExtractHtmlFragment(raw, limits, out);
  }
  AddTextParagraphs(raw, out);
  return OkStatus();
}

uint64_t ToNumber(std::string_view v) {
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') break;
    n = std::min<uint64_t>(n * 10 + static_cast<uint64_t>(c - '0'), 1ull << 48);
  }
  return n;
}

bool IsHttpUrl(std::string_view href) {
  return StartsWithAsciiLower(href, "http://") || StartsWithAsciiLower(href, "https://");
}

// One media ContentItem as a rendition; false when it has no http(s) location.
bool AddRendition(const xmlNode* ci, std::string_view name, v1::MediaItem& m) {
  const std::string href = Attr(ci, "Href");
  if (!IsHttpUrl(href)) return false;
  auto* r = m.add_renditions();
  r->set_name(std::string(name));
  r->set_href(href);
  r->set_mime_type(FormalNameOf(ci, "MimeType"));
  r->set_format(FormalNameOf(ci, "Format"));
  if (const xmlNode* ch = Child(ci, "Characteristics")) {
    r->set_size_bytes(ToNumber(Text(Child(ch, "SizeInBytes"))));
    for (const xmlNode* p : Children(ch, "Property")) {
      const std::string prop = AsciiLower(Attr(p, "FormalName"));
      const uint64_t v = ToNumber(Attr(p, "Value"));
      if (prop == "width") r->set_width(static_cast<uint32_t>(std::min<uint64_t>(v, UINT32_MAX)));
      if (prop == "height") r->set_height(static_cast<uint32_t>(std::min<uint64_t>(v, UINT32_MAX)));
      if (prop == "duration" || prop == "totalduration") r->set_duration_seconds(static_cast<double>(v));
    }
  }
  return true;
}

struct Walker {
  xmlDoc* doc;
  const TopicIndex& topics;
  const Metadata& meta;
  const Limits& limits;
  v1::Article& out;
  bool have_body = false;
  std::vector<v1::MediaItem> media;

  Status Walk(const xmlNode* c, int depth) {
    if (depth > kMaxComponentDepth) return OkStatus();
    std::vector<const xmlNode*> texts, renditions;
    for (const xmlNode* ci : Children(c, "ContentItem")) {
      const Kind k = KindOf(ci);
      if (k == Kind::kText) texts.push_back(ci);
      if (k == Kind::kMedia) renditions.push_back(ci);
    }
    std::vector<const xmlNode*> rendition_children, other_children;
    for (const xmlNode* child : Children(c, "NewsComponent")) {
      (IsRenditionOnly(child) ? rendition_children : other_children).push_back(child);
    }
    if (!renditions.empty() || !rendition_children.empty()) {
      MediaFrom(c, renditions, rendition_children, texts, other_children);
      return OkStatus();
    }
    for (const xmlNode* ci : texts) {
      if (have_body || Child(ci, "DataContent") == nullptr) continue;
      if (depth > 0) ApplyComponentMetadata(c, topics, meta, out);
      Status st = DecodeText(doc, ci, meta, limits, out);
      if (!st.ok()) return st;
      have_body = true;
    }
    for (const xmlNode* child : other_children) {
      Status st = Walk(child, depth + 1);
      if (!st.ok()) return st;
    }
    return OkStatus();
  }

  // A media component: its renditions, and its caption from a text item or a caption component.
  void MediaFrom(const xmlNode* c, const std::vector<const xmlNode*>& renditions,
                 const std::vector<const xmlNode*>& rendition_children,
                 const std::vector<const xmlNode*>& texts,
                 const std::vector<const xmlNode*>& other_children) {
    v1::MediaItem m;
    const xmlNode* lines = Child(c, "NewsLines");
    m.set_title(Text(Child(lines, "HeadLine")));
    m.set_credit(Text(Child(lines, "CreditLine")));
    m.set_copyright_notice(Text(Child(lines, "CopyrightLine")));
    m.set_role(RoleOf(c));
    m.set_uri(Attr(c, "Duid"));
    for (const xmlNode* ci : renditions) {
      if (m.type().empty()) m.set_type(MediaTypeOf(ci));
      AddRendition(ci, RoleOf(c), m);
    }
    for (const xmlNode* rc : rendition_children) {
      for (const xmlNode* ci : Children(rc, "ContentItem")) {
        if (m.type().empty()) m.set_type(MediaTypeOf(ci));
        AddRendition(ci, RoleOf(rc), m);
      }
    }
    std::string caption;
    for (const xmlNode* t : texts) {
      if (caption.empty()) caption = CollapseSpace(StripTags(InnerXml(doc, Child(t, "DataContent"))));
    }
    for (const xmlNode* oc : other_children) {
      const std::string role = AsciiLower(RoleOf(oc));
      if (!caption.empty() || role.find("caption") == std::string::npos) continue;
      for (const xmlNode* t : Children(oc, "ContentItem")) {
        if (caption.empty()) caption = CollapseSpace(StripTags(InnerXml(doc, Child(t, "DataContent"))));
      }
    }
    for (const xmlNode* nl : Children(lines, "NewsLine")) {
      if (caption.empty() && AsciiLower(FormalNameOf(nl, "NewsLineType")) == "caption")
        caption = Text(Child(nl, "NewsLineText"));
    }
    m.set_description(caption);
    // The main rendition: the largest picture, else the first.
    const v1::Rendition* best = nullptr;
    for (const auto& r : m.renditions()) {
      if (best == nullptr || uint64_t{r.width()} * r.height() > uint64_t{best->width()} * best->height())
        best = &r;
    }
    if (best != nullptr) {
      m.set_url(best->href());
      m.set_mime_type(best->mime_type());
    }
    media.push_back(std::move(m));
  }
};

}  // namespace

std::string FormalNameOf(const xmlNode* parent, std::string_view child) {
  return Attr(Child(parent, child), "FormalName");
}

TopicIndex IndexTopics(const xmlNode* root) {
  TopicIndex index;
  // TopicSets sit under the NewsML root, a NewsItem or a NewsComponent; a bounded walk finds them.
  std::vector<std::pair<const xmlNode*, int>> stack = {{root, 0}};
  size_t visited = 0;
  while (!stack.empty() && visited < 100000) {
    auto [n, depth] = stack.back();
    stack.pop_back();
    ++visited;
    for (const xmlNode* c = n->children; c; c = c->next) {
      if (c->type != XML_ELEMENT_NODE) continue;
      if (IsElement(c, "Topic")) {
        if (std::string duid = Attr(c, "Duid"); !duid.empty()) index.emplace(std::move(duid), c);
      } else if (depth < kMaxComponentDepth && !IsElement(c, "DataContent")) {
        stack.emplace_back(c, depth + 1);
      }
    }
  }
  return index;
}

Status DecodeComponents(xmlDoc* doc, const xmlNode* component, const TopicIndex& topics, const Metadata& meta,
                        const Limits& limits, v1::Article& out) {
  ApplyComponentMetadata(component, topics, meta, out);
  Walker w{doc, topics, meta, limits, out, false, {}};
  Status st = w.Walk(component, 0);
  if (!st.ok()) return st;
  // An item that is itself a picture (or video, ...) with no text: its renditions are the item's.
  if (!w.have_body && w.media.size() == 1 && !w.media[0].type().empty()) {
    out.set_type(w.media[0].type());
    for (const auto& r : w.media[0].renditions()) *out.add_renditions() = r;
    bool described = false;
    for (const auto& d : out.descriptions()) described = described || d.value() == w.media[0].description();
    if (!w.media[0].description().empty() && !described) {
      auto* d = out.add_descriptions();
      d->set_role("caption");
      d->set_content_type("text/plain");
      d->set_value(w.media[0].description());
    }
  }
  for (auto& m : w.media) {
    if (!m.description().empty()) {
      auto* c = out.add_captions();
      c->set_text(m.description());
      c->set_secondary(m.credit());
      c->set_media_url(m.url());
    }
    *out.add_media() = std::move(m);
  }
  return OkStatus();
}

}  // namespace copydesk::normalize::internal::newsml1
