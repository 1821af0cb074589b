// IPTC NewsML-G2 -> Articles. A bare <newsItem> or <packageItem> is one item; a <newsMessage> is
// every newsItem and packageItem of its itemSet, each its own Article. itemMeta gives identity,
// status and signals; contentMeta the descriptive metadata; contentSet the body (inlineXML XHTML
// through the HTML engine, inlineData text otherwise); a packageItem's groupSet its members,
// which become associations referenced by uri.
#include <memory>
#include <string>
#include <vector>

#include "normalize/ascii.h"
#include "normalize/deadline.h"
#include "normalize/internal.h"
#include "normalize/xml_item.h"
#include "normalize/xml_util.h"

namespace copydesk::normalize::internal {
namespace {

// "medtop:04000000" -> "medtop".
std::string SchemeOf(std::string_view qcode) {
  auto colon = qcode.find(':');
  return colon == std::string_view::npos ? std::string() : std::string(qcode.substr(0, colon));
}

// The code part of a qcode: "stat:usable" -> "usable".
std::string CodeOf(std::string_view qcode) {
  auto colon = qcode.rfind(':');
  return std::string(colon == std::string_view::npos ? qcode : qcode.substr(colon + 1));
}

// The <name> of a G2 concept element, else its literal, else its text.
std::string ConceptName(const xmlNode* n) {
  if (!n) return "";
  if (const xmlNode* name = Child(n, "name")) return Text(name);
  std::string lit = Attr(n, "literal");
  if (!lit.empty()) return lit;
  return Text(n);
}

void SetTimeIf(const xmlNode* n, std::string_view zone, google::protobuf::Timestamp* (v1::Article::*mut)(),
               v1::Article& out) {
  if (!n) return;
  google::protobuf::Timestamp t;
  if (SetTimeFrom(Text(n), zone, &t)) *(out.*mut)() = t;
}

std::string MediaTypeFromItemClass(std::string_view item_class, std::string_view content_type) {
  std::string code = CodeOf(item_class);
  if (code == "picture" || code == "video" || code == "audio" || code == "graphic") return code;
  if (content_type.substr(0, 6) == "image/") return "picture";
  if (content_type.substr(0, 6) == "video/") return "video";
  if (content_type.substr(0, 6) == "audio/") return "audio";
  return code;
}

uint32_t Number(std::string_view v) {
  uint32_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9' || n > 100000000) return 0;
    n = n * 10 + static_cast<uint32_t>(c - '0');
  }
  return n;
}

// 1 to 9, else 0.
uint32_t Digit(std::string_view v) {
  uint32_t n = Number(v);
  return n >= 1 && n <= 9 ? n : 0;
}

// A G2 concept (subject, genre, ...): name, qcode (uri, scheme alias and code), uri, literal.
void FillConcept(const xmlNode* n, v1::Subject& s) {
  s.set_name(ConceptName(n));
  std::string q = Attr(n, "qcode");
  s.set_uri(q.empty() ? Attr(n, "uri") : q);
  s.set_scheme(SchemeOf(q));
  if (!q.empty()) s.set_code(q.substr(q.find(':') + 1));
  s.set_literal(Attr(n, "literal"));
  if (s.code().empty()) s.set_code(s.literal());
  std::string rel = Attr(n, "rel");
  s.set_rel(CodeOf(rel.empty() ? Attr(n, "role") : rel));
}

// contentMeta concepts: subjects by their concept type (cpnat:person, organisation, geoArea,
// poi, event, abstract, ...), genres.
void ReadConcepts(const xmlNode* cm, v1::Article& out) {
  for (const xmlNode* n : Children(cm, "subject")) {
    if (DeadlinePassed()) break;
    v1::Subject s;
    FillConcept(n, s);
    if (s.name().empty() && s.uri().empty()) continue;
    std::string type = CodeOf(Attr(n, "type"));
    if (type == "person") {
      *out.add_people() = std::move(s);
    } else if (type == "organisation" || type == "organization") {
      *out.add_organisations() = std::move(s);
    } else if (type == "geoArea" || type == "poi") {
      *out.add_places() = std::move(s);
    } else {
      if (type == "event" && s.rel().empty()) s.set_rel("event");
      *out.add_subjects() = std::move(s);
    }
  }
  for (const xmlNode* g : Children(cm, "genre")) {
    if (DeadlinePassed()) break;
    FillConcept(g, *out.add_genres());
  }
}

// The members of a package: every itemRef of its groups, in document order, as an associated
// item referenced by uri (residref) under its group's role.
void AddPackageMembers(const xmlNode* pkg, v1::Article& out) {
  if (out.type().empty()) out.set_type("composite");
  const xmlNode* gs = Child(pkg, "groupSet");
  for (const xmlNode* g : Children(gs, "group")) {
    if (DeadlinePassed()) break;
    const std::string role = CodeOf(Attr(g, "role"));
    for (const xmlNode* ref : Children(g, "itemRef")) {
      if (DeadlinePassed()) break;
      auto* m = out.add_media();
      m->set_uri(Attr(ref, "residref"));
      m->set_role(role);
      m->set_type(CodeOf(Attr(Child(ref, "itemClass"), "qcode")));
      if (std::string href = Attr(ref, "href"); !href.empty()) m->set_url(href);
      m->set_title(Text(Child(ref, "title")));
      if (m->title().empty()) m->set_title(Text(Child(ref, "headline")));
      m->set_description(Text(Child(ref, "description")));
    }
  }
}

// itemMeta: type, provider, times, status, signals, links. Returns the item class qcode.
std::string ReadItemMeta(const xmlNode* im, const Metadata& meta, v1::Article& out) {
  auto& prov = *out.mutable_provenance();
  std::string item_class = Attr(Child(im, "itemClass"), "qcode");
  if (!item_class.empty()) out.set_type(CodeOf(item_class));
  if (meta.provider.empty()) prov.set_provider(ConceptName(Child(im, "provider")));
  if (prov.provider().empty() && meta.provider.empty())
    prov.set_provider(CodeOf(Attr(Child(im, "provider"), "qcode")));
  SetTimeIf(Child(im, "versionCreated"), meta.timezone, &v1::Article::mutable_versioncreated, out);
  SetTimeIf(Child(im, "firstCreated"), meta.timezone, &v1::Article::mutable_firstcreated, out);
  if (const xmlNode* emb = Child(im, "embargoed")) {
    google::protobuf::Timestamp t;
    if (SetTimeFrom(Text(emb), meta.timezone, &t)) {
      *out.mutable_embargoed() = t;
      out.mutable_signals()->set_embargo(true);
    }
  }
  out.set_pubstatus(PubStatusFrom(Attr(Child(im, "pubStatus"), "qcode")));
  if (out.pubstatus() == v1::PUB_STATUS_CANCELED) out.mutable_signals()->set_kill(true);
  out.set_ednote(Text(Child(im, "edNote")));
  for (const xmlNode* sig : Children(im, "signal")) {
    if (DeadlinePassed()) break;
    std::string code = CodeOf(Attr(sig, "qcode"));
    if (code == "update") out.mutable_signals()->set_update(true);
    if (code == "correction") out.mutable_signals()->set_correction(true);
    if (code == "kill" || code == "cancel") out.mutable_signals()->set_kill(true);
    if (code == "embargo") out.mutable_signals()->set_embargo(true);
  }
  for (const xmlNode* link : Children(im, "link")) {
    if (DeadlinePassed()) break;
    std::string rel = Attr(link, "rel");
    std::string href = Attr(link, "href");
    if (href.empty()) continue;
    if (CodeOf(rel) == "canonical" || CodeOf(rel) == "alternate") {
      if (out.canonical_url().empty()) out.set_canonical_url(CanonicalizeUrl(href));
      continue;
    }
    auto* r = out.add_related();
    r->set_title(Attr(link, "title"));
    r->set_url(href);
  }
  return item_class;
}

// contentMeta: creation time, place, creators and contributors, byline.
void ReadCreation(const xmlNode* cm, const Metadata& meta, v1::Article& out) {
  SetTimeIf(Child(cm, "contentCreated"), meta.timezone, &v1::Article::mutable_contentcreated, out);
  if (const xmlNode* loc = Child(cm, "located")) {
    auto* l = out.mutable_located();
    l->set_name(ConceptName(loc));
    l->set_city(ConceptName(loc));
    for (const xmlNode* b : Children(loc, "broader")) {
      if (DeadlinePassed()) break;
      std::string type = Attr(b, "type");
      if (type.find("country") != std::string::npos || l->country().empty()) l->set_country(ConceptName(b));
    }
  }
  if (const xmlNode* dl = Child(cm, "dateline")) out.mutable_located()->set_dateline(Text(dl));
  for (const char* kind : {"creator", "contributor"}) {
    for (const xmlNode* c : Children(cm, kind)) {
      if (DeadlinePassed()) break;
      auto* a = out.add_authors();
      a->set_name(ConceptName(c));
      a->set_uri(Attr(c, "uri").empty() ? Attr(c, "qcode") : Attr(c, "uri"));
      std::string role = CodeOf(Attr(c, "role"));
      a->set_role(role.empty() ? (std::string_view(kind) == "creator" ? "author" : "contributor") : role);
    }
  }
  if (const xmlNode* by = Child(cm, "by")) {
    SetBylineAndAuthors(Text(by), out);
  } else if (!out.authors().empty()) {
    std::string joined;
    for (int i = 0; i < out.authors_size(); ++i) {
      if (i > 0) joined += i + 1 == out.authors_size() ? " and " : ", ";
      joined += out.authors(i).name();
    }
    out.set_byline(joined);
  }
}

// contentMeta: headlines (the main one and the others) and descriptions.
void ReadHeadlines(const xmlNode* cm, const xmlNode* im, v1::Article& out) {
  bool have_main = false;
  for (const xmlNode* h : Children(cm, "headline")) {
    if (DeadlinePassed()) break;
    std::string role = CodeOf(Attr(h, "role"));
    if (!have_main && (role.empty() || role == "main")) {
      out.set_headline(Text(h));
      have_main = true;
    } else {
      auto* alt = out.add_headlines();
      alt->set_role(role);
      alt->set_value(Text(h));
    }
  }
  if (!have_main && out.headlines_size() > 0) {
    out.set_headline(out.headlines(0).value());
    out.mutable_headlines()->erase(out.mutable_headlines()->begin());
  }
  if (out.headline().empty()) out.set_headline(Text(Child(im, "title")));
  for (const xmlNode* d : Children(cm, "description")) {
    if (DeadlinePassed()) break;
    std::string role = CodeOf(Attr(d, "role"));
    if (out.standfirst().empty() || role == "summary") out.set_standfirst(Text(d));
    auto* desc = out.add_descriptions();
    desc->set_role(role);
    desc->set_content_type("text/plain");
    desc->set_value(Text(d));
  }
}

// contentMeta: urgency, slugline, alternative ids, information sources, credit line.
void ReadHandling(const xmlNode* cm, const Metadata& meta, v1::Article& out) {
  auto& prov = *out.mutable_provenance();
  if (uint32_t urg = Digit(Text(Child(cm, "urgency")))) out.set_urgency(urg);
  out.set_slugline(Text(Child(cm, "slugline")));
  for (const xmlNode* a : Children(cm, "altId")) {
    if (DeadlinePassed()) break;
    auto* alt = out.add_altids();
    std::string role = Attr(a, "type");
    alt->set_role(CodeOf(role.empty() ? Attr(a, "role") : role));
    alt->set_value(Text(a));
  }
  for (const xmlNode* src : Children(cm, "infoSource")) {
    if (DeadlinePassed()) break;
    auto* p = out.add_infosources();
    p->set_name(ConceptName(src));
    p->set_role(CodeOf(Attr(src, "role")));
    p->set_uri(Attr(src, "uri").empty() ? Attr(src, "qcode") : Attr(src, "uri"));
  }
  if (meta.provider.empty() && prov.provider().empty()) prov.set_provider(Text(Child(cm, "creditline")));
}

// contentSet: the body (inline XHTML or text) and the item's renditions.
Status ReadContentSet(xmlDoc* doc, const xmlNode* item, const std::string& item_class, const Limits& limits,
                      v1::Article& out) {
  const xmlNode* cs = Child(item, "contentSet");
  for (const xmlNode* c = cs ? cs->children : nullptr; c; c = c->next) {
    if (DeadlinePassed()) break;
    if (c->type != XML_ELEMENT_NODE) continue;
    std::string_view name = LocalName(c);
    std::string ct = Attr(c, "contenttype");
    if (name == "inlineXML" && out.body().empty()) {
      // The XHTML document (or fragment) inside, serialized for the HTML engine.
      const xmlNode* html = Child(c, "html");
      const xmlNode* body = html ? Child(html, "body") : nullptr;
      std::string markup = InnerXml(doc, body ? body : c);
      Status st = ExtractHtmlFragment(markup, limits, out);
      if (!st.ok()) return st;
    } else if (name == "inlineData" && out.body().empty()) {
      AddTextParagraphs(RawText(c), out);
    } else if (name == "remoteContent") {
      // A rendition of the item itself (the picture, video, audio or graphic it is).
      auto* r = out.add_renditions();
      std::string rendition = CodeOf(Attr(c, "rendition"));
      r->set_name(rendition.empty() ? "rendition" + std::to_string(out.renditions_size()) : rendition);
      r->set_href(Attr(c, "href"));
      r->set_mime_type(ct);
      r->set_width(Number(Attr(c, "width")));
      r->set_height(Number(Attr(c, "height")));
      r->set_size_bytes(Number(Attr(c, "size")));
      r->set_duration_seconds(Number(Attr(c, "duration")));
      r->set_format(CodeOf(Attr(c, "format")));
      if (out.type().empty() || out.type() == "text") out.set_type(MediaTypeFromItemClass(item_class, ct));
    }
  }
  return OkStatus();
}

// A newsItem or packageItem -> Article.
Status DecodeItem(xmlDoc* doc, const xmlNode* item, const Metadata& meta, const Limits& limits,
                  v1::Article& out, uint32_t priority) {
  out.set_priority(priority);
  auto& prov = *out.mutable_provenance();
  prov.set_guid(Attr(item, "guid"));
  prov.set_provider_version(Attr(item, "version"));
  std::string lang = Attr(item, "lang");  // xml:lang

  // rightsInfo
  if (const xmlNode* rights = Child(item, "rightsInfo")) {
    out.set_copyright_notice(Text(Child(rights, "copyrightNotice")));
    out.set_usage_terms(Text(Child(rights, "usageTerms")));
    out.set_copyright_holder(ConceptName(Child(rights, "copyrightHolder")));
  }

  // itemMeta
  const xmlNode* im = Child(item, "itemMeta");
  const std::string item_class = ReadItemMeta(im, meta, out);

  // contentMeta
  const xmlNode* cm = Child(item, "contentMeta");
  ReadCreation(cm, meta, out);
  if (const xmlNode* l = Child(cm, "language")) lang = Attr(l, "tag");
  out.set_language(lang);
  ReadConcepts(cm, out);
  for (const xmlNode* k : Children(cm, "keyword")) {
    if (DeadlinePassed()) break;
    if (std::string t = Text(k); !t.empty()) out.add_keywords(t);
  }
  ReadHeadlines(cm, im, out);
  ReadHandling(cm, meta, out);

  // contentSet
  if (Status st = ReadContentSet(doc, item, item_class, limits, out); !st.ok()) return st;
  if (IsElement(item, "packageItem")) AddPackageMembers(item, out);
  return OkStatus();
}

// The items of a NewsML-G2 document, parsed once.
class G2Items final : public ItemDecoder {
 public:
  G2Items(XmlDocPtr doc, std::vector<const xmlNode*> items, bool container, uint32_t priority)
      : doc_(std::move(doc)), items_(std::move(items)), container_(container), priority_(priority) {
    charset_ = doc_->encoding ? AsciiLower(reinterpret_cast<const char*>(doc_->encoding)) : "utf-8";
  }
  [[nodiscard]] bool container() const override { return container_; }
  [[nodiscard]] size_t size() const override { return items_.size(); }
  [[nodiscard]] std::string Guid(size_t i) const override { return Attr(items_[i], "guid"); }
  [[nodiscard]] std::string Bytes(size_t i) const override { return StandaloneXml(items_[i]); }
  Status Decode(size_t i, const Metadata& meta, const Limits& limits, v1::Article& out) override {
    out.mutable_provenance()->set_charset(charset_);
    return DecodeItem(doc_.get(), items_[i], meta, limits, out, priority_);
  }

 private:
  XmlDocPtr doc_;
  std::vector<const xmlNode*> items_;  // owned by doc_
  bool container_;
  uint32_t priority_;  // the newsMessage header's priority, 0 when none
  std::string charset_;
};

// The newsItems and packageItems under `n` in document order, not looking inside an item.
void CollectItems(const xmlNode* n, std::vector<const xmlNode*>& out, int depth) {
  if (depth > 32) return;
  for (const xmlNode* c = n->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (IsElement(c, "newsItem") || IsElement(c, "packageItem")) {
      out.push_back(c);
    } else {
      CollectItems(c, out, depth + 1);
    }
  }
}

}  // namespace

Result<std::unique_ptr<ItemDecoder>> OpenNewsMlG2(std::string_view bytes, const Limits& limits) {
  auto parsed = ParseXmlSafely(bytes, limits);
  if (!parsed.ok()) return parsed.error();
  XmlDocPtr doc = std::move(parsed.value());
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  std::vector<const xmlNode*> items;
  if (IsElement(root, "newsItem") || IsElement(root, "packageItem")) {
    items.push_back(root);
    return std::unique_ptr<ItemDecoder>(
        std::make_unique<G2Items>(std::move(doc), std::move(items), false, 0));
  }
  CollectItems(root, items, 0);
  if (items.empty()) {
    return Error{v1::ERROR_CODE_UNSUPPORTED_FORMAT,
                 "no NewsML-G2 <newsItem> or <packageItem> in the document"};
  }
  const uint32_t priority = Digit(Text(Child(Child(root, "header"), "priority")));
  return std::unique_ptr<ItemDecoder>(
      std::make_unique<G2Items>(std::move(doc), std::move(items), true, priority));
}

}  // namespace copydesk::normalize::internal
