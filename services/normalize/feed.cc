// A single RSS 2.0 <item> (bare, or the first item of an <rss>/<channel>) or a single Atom <entry>
// (bare, or the first entry of a <feed>) -> Article. Embedded HTML (description, content:encoded,
// Atom content/summary) goes through the same HTML engine as pages.
#include <algorithm>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "normalize/ascii.h"
#include "normalize/deadline.h"
#include "normalize/html/extract.h"
#include "normalize/internal.h"
#include "normalize/xml_item.h"
#include "normalize/xml_util.h"

namespace copydesk::normalize::internal {
namespace {

// Media RSS / enclosure type -> "picture" / "video" / "audio".
std::string MediaKind(std::string_view medium, std::string_view mime) {
  if (medium == "image" || mime.substr(0, 6) == "image/") return "picture";
  if (medium == "video" || mime.substr(0, 6) == "video/") return "video";
  if (medium == "audio" || mime.substr(0, 6) == "audio/") return "audio";
  return std::string(medium);
}

uint64_t Number(std::string_view v) {
  uint64_t n = 0;
  for (char c : v) {
    if (c == '.') break;  // "12.5" seconds -> 12
    if (c < '0' || c > '9' || n > (uint64_t{1} << 50)) return 0;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

void FillRendition(const xmlNode* mc, std::string name, v1::Rendition& r) {
  r.set_name(std::move(name));
  r.set_href(Attr(mc, "url"));
  r.set_mime_type(Attr(mc, "type"));
  r.set_width(static_cast<uint32_t>(std::min<uint64_t>(Number(Attr(mc, "width")), 1000000000)));
  r.set_height(static_cast<uint32_t>(std::min<uint64_t>(Number(Attr(mc, "height")), 1000000000)));
  r.set_size_bytes(Number(Attr(mc, "fileSize")));
  r.set_duration_seconds(static_cast<double>(Number(Attr(mc, "duration"))));
}

// The Media RSS elements that describe a media item, looked up on the media:content and then on
// its media:group.
const xmlNode* MediaChild(const xmlNode* mc, const xmlNode* group, std::string_view name) {
  if (const xmlNode* n = Child(mc, name)) return n;
  return group ? Child(group, name) : nullptr;
}

// One Media RSS item: a media:content, or a media:group whose media:content elements are its
// renditions ("main" the default one or the first), with media:thumbnail as "thumbnail".
void AddMediaRss(const xmlNode* group, const std::vector<const xmlNode*>& contents, v1::Article& out) {
  if (contents.empty()) return;
  const xmlNode* main = contents.front();
  for (const xmlNode* c : contents) {
    if (Attr(c, "isDefault") == "true") main = c;
  }
  auto* m = out.add_media();
  m->set_url(Attr(main, "url"));
  m->set_mime_type(Attr(main, "type"));
  m->set_type(MediaKind(Attr(main, "medium"), m->mime_type()));
  m->set_title(Text(MediaChild(main, group, "title")));
  m->set_description(Text(MediaChild(main, group, "description")));
  m->set_credit(Text(MediaChild(main, group, "credit")));
  m->set_copyright_notice(Text(MediaChild(main, group, "copyright")));
  FillRendition(main, "main", *m->add_renditions());
  int n = 1;
  for (const xmlNode* c : contents) {
    if (c != main) FillRendition(c, "alternate" + std::to_string(n++), *m->add_renditions());
  }
  if (const xmlNode* thumb = MediaChild(main, group, "thumbnail")) {
    FillRendition(thumb, "thumbnail", *m->add_renditions());
  }
  if (!m->description().empty()) {
    auto* c = out.add_captions();
    c->set_text(m->description());
    c->set_secondary(m->credit());
    c->set_media_url(m->url());
  }
}

// Media RSS on an item: media:content elements and media:group elements.
void AddMediaRssOf(const xmlNode* item, v1::Article& out) {
  for (const xmlNode* c = item->children; c; c = c->next) {
    if (DeadlinePassed()) break;
    if (c->type != XML_ELEMENT_NODE) continue;
    if (LocalName(c) == "content" && !Attr(c, "url").empty()) AddMediaRss(nullptr, {c}, out);
    if (LocalName(c) == "group") {
      std::vector<const xmlNode*> contents;
      for (const xmlNode* mc : Children(c, "content")) {
        if (DeadlinePassed()) break;
        if (!Attr(mc, "url").empty()) contents.push_back(mc);
      }
      AddMediaRss(c, contents, out);
    }
  }
}

// A standfirst as a description of role "summary".
void AddSummary(v1::Article& out) {
  if (out.standfirst().empty()) return;
  auto* d = out.add_descriptions();
  d->set_role("summary");
  d->set_content_type("text/plain");
  d->set_value(out.standfirst());
}

// The effective xml:base of `n` (RFC 3986 resolution of every xml:base from the root down,
// starting from `fallback`, the URL the input came from).
std::string BaseOf(const xmlNode* n, std::string_view fallback) {
  std::vector<std::string> bases;
  for (const xmlNode* p = n; p && p->type == XML_ELEMENT_NODE; p = p->parent) {
    if (xmlChar* b = xmlGetNsProp(p, reinterpret_cast<const xmlChar*>("base"), XML_XML_NAMESPACE)) {
      bases.emplace_back(reinterpret_cast<const char*>(b));
      xmlFree(b);
    }
  }
  std::string base(fallback);
  for (auto it = bases.rbegin(); it != bases.rend(); ++it) {
    base = base.empty() ? *it : html::ResolveUrl(base, *it);
  }
  return base;
}

// A link of the item, made absolute against its base.
std::string Absolute(const xmlNode* at, std::string_view href, std::string_view fallback) {
  std::string ref = CollapseSpace(href);
  if (ref.empty()) return ref;
  std::string base = BaseOf(at, fallback);
  return base.empty() ? ref : html::ResolveUrl(base, ref);
}

// "jane@example.com (Jane Doe)" -> "Jane Doe".
std::string RssAuthorName(std::string s) {
  auto open = s.find('(');
  auto close = s.rfind(')');
  if (open != std::string::npos && close != std::string::npos && close > open) {
    return CollapseSpace(s.substr(open + 1, close - open - 1));
  }
  if (s.find('@') != std::string::npos && s.find(' ') == std::string::npos) return "";
  return s;
}

Status BodyFromHtml(const std::string& html, const Limits& limits, v1::Article& out) {
  if (html.empty() || !out.body().empty()) return OkStatus();
  return ExtractHtmlFragment(html, limits, out);
}

// RSS authors: dc:creator (names) or author (e-mail with the name in brackets); categories as
// subjects; dc:contributor.
void ReadRssPeople(const xmlNode* item, v1::Article& out) {
  for (const xmlNode* c : Children(item, "creator")) {
    if (DeadlinePassed()) break;
    SetBylineAndAuthors(Text(c), out);
  }
  if (out.authors().empty()) {
    for (const xmlNode* a : Children(item, "author")) {
      if (DeadlinePassed()) break;
      std::string name = RssAuthorName(Text(a));
      if (!name.empty()) SetBylineAndAuthors(name, out);
    }
  }
  for (const xmlNode* c : Children(item, "category")) {
    if (DeadlinePassed()) break;
    auto* s = out.add_subjects();
    s->set_name(Text(c));
    s->set_scheme(Attr(c, "domain"));
  }
  for (const xmlNode* c : Children(item, "contributor")) {  // dc:contributor
    if (DeadlinePassed()) break;
    auto* p = out.add_authors();
    p->set_name(Text(c));
    p->set_role("contributor");
  }
}

// dc:subject and media:keywords are keywords.
void ReadRssKeywords(const xmlNode* item, v1::Article& out) {
  for (const xmlNode* c = item->children; c; c = c->next) {
    if (DeadlinePassed()) break;
    if (c->type != XML_ELEMENT_NODE) continue;
    if (LocalName(c) == "subject") {
      if (std::string k = Text(c); !k.empty()) out.add_keywords(k);
    } else if (LocalName(c) == "keywords") {
      std::string all = Text(c);
      size_t start = 0;
      while (start <= all.size()) {
        size_t comma = all.find(',', start);
        std::string k =
            CollapseSpace(all.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (!k.empty()) out.add_keywords(k);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
  }
}

// Body: content:encoded is the full story, description the summary (or the story when alone).
Status RssBody(const xmlNode* item, const Limits& limits, v1::Article& out) {
  std::string description = RawText(Child(item, "description"));
  std::string encoded;
  for (const xmlNode* c = item->children; c; c = c->next) {
    if (DeadlinePassed()) break;
    if (c->type == XML_ELEMENT_NODE && LocalName(c) == "encoded") encoded = RawText(c);
  }
  if (!encoded.empty()) {
    out.set_standfirst(StripTags(description));
    AddSummary(out);
    if (Status st = BodyFromHtml(encoded, limits, out); !st.ok()) return st;
  } else {
    if (Status st = BodyFromHtml(description, limits, out); !st.ok()) return st;
  }
  return OkStatus();
}

Status DecodeRssItem(xmlDoc* doc, const xmlNode* channel, const xmlNode* item, const Metadata& meta,
                     const Limits& limits, v1::Article& out) {
  (void)doc;
  auto& prov = *out.mutable_provenance();
  prov.set_format("rss");
  out.set_headline(StripTags(Text(Child(item, "title"))));
  const std::string link = Absolute(item, Text(Child(item, "link")), meta.url);
  if (!link.empty()) out.set_canonical_url(CanonicalizeUrl(link));
  const xmlNode* guid = Child(item, "guid");
  prov.set_guid(guid ? Text(guid) : Text(Child(item, "link")));
  google::protobuf::Timestamp t;
  // pubDate, else dc:date.
  if (SetTimeFrom(Text(Child(item, "pubDate")), meta.timezone, &t) ||
      SetTimeFrom(Text(Child(item, "date")), meta.timezone, &t))
    *out.mutable_firstcreated() = t;
  if (SetTimeFrom(Text(Child(item, "updated")), meta.timezone, &t))
    *out.mutable_versioncreated() = t;  // atom:updated
  ReadRssPeople(item, out);
  for (const xmlNode* e : Children(item, "enclosure")) {
    if (DeadlinePassed()) break;
    auto* m = out.add_media();
    m->set_url(Absolute(e, Attr(e, "url"), meta.url));
    m->set_mime_type(Attr(e, "type"));
    m->set_type(MediaKind("", m->mime_type()));
    auto* r = m->add_renditions();
    r->set_name("enclosure");
    r->set_href(m->url());
    r->set_mime_type(m->mime_type());
    r->set_size_bytes(Number(Attr(e, "length")));
  }
  AddMediaRssOf(item, out);
  ReadRssKeywords(item, out);
  if (const xmlNode* src = Child(item, "source")) {
    auto* is = out.add_infosources();
    is->set_name(Text(src));
    is->set_uri(Attr(src, "url"));
    is->set_role("source");
    if (meta.provider.empty()) prov.set_provider(Text(src));
  }
  if (channel) {
    if (meta.provider.empty() && prov.provider().empty()) prov.set_provider(Text(Child(channel, "title")));
    out.set_language(Text(Child(channel, "language")));
    out.set_copyright_notice(Text(Child(channel, "copyright")));
  }
  if (const xmlNode* rights = Child(item, "rights")) out.set_copyright_notice(Text(rights));  // dc:rights
  return RssBody(item, limits, out);
}

// Atom text constructs: type="html" holds escaped markup, type="xhtml" a <div>.
std::string AtomText(const xmlNode* n) {
  if (!n) return "";
  std::string type = Attr(n, "type");
  if (type == "html") return StripTags(RawText(n));
  return Text(n);
}

// The entry's authors (else the feed's) and contributors, and the byline of the authors.
void ReadAtomAuthors(const xmlNode* feed, const xmlNode* entry, v1::Article& out) {
  std::vector<const xmlNode*> authors;
  for (const xmlNode* a : Children(entry, "author")) {
    if (DeadlinePassed()) break;
    authors.push_back(a);
  }
  if (authors.empty() && feed) {
    for (const xmlNode* a : Children(feed, "author")) {
      if (DeadlinePassed()) break;
      authors.push_back(a);
    }
  }
  for (const xmlNode* a : authors) {
    auto* p = out.add_authors();
    p->set_name(Text(Child(a, "name")));
    p->set_uri(Text(Child(a, "uri")));
    p->set_role("author");
  }
  for (const xmlNode* a : Children(entry, "contributor")) {
    if (DeadlinePassed()) break;
    auto* p = out.add_authors();
    p->set_name(Text(Child(a, "name")));
    p->set_uri(Text(Child(a, "uri")));
    p->set_role("contributor");
  }
  std::string joined;
  int n_auth = 0;
  for (const auto& a : out.authors()) {
    if (a.role() != "author") continue;
    ++n_auth;
  }
  int i = 0;
  for (const auto& a : out.authors()) {
    if (a.role() != "author") continue;
    if (i > 0) joined += i + 1 == n_auth ? " and " : ", ";
    joined += a.name();
    ++i;
  }
  out.set_byline(joined);
}

// Links: the alternate is the canonical URL, enclosures media (with a rendition of their length
// and type), related links related.
void ReadAtomLinks(const xmlNode* entry, const Metadata& meta, v1::Article& out) {
  for (const xmlNode* l : Children(entry, "link")) {
    if (DeadlinePassed()) break;
    std::string rel = Attr(l, "rel");
    std::string href = Absolute(l, Attr(l, "href"), meta.url);
    if (href.empty()) continue;
    if (rel.empty() || rel == "alternate") {
      if (out.canonical_url().empty()) out.set_canonical_url(CanonicalizeUrl(href));
    } else if (rel == "enclosure") {
      auto* m = out.add_media();
      m->set_url(href);
      m->set_mime_type(Attr(l, "type"));
      m->set_type(MediaKind("", m->mime_type()));
      m->set_title(Attr(l, "title"));
    } else if (rel == "related") {
      auto* r = out.add_related();
      r->set_url(href);
      r->set_title(Attr(l, "title"));
    }
  }
  // An enclosure's length and type as its rendition (media by URL: one pass, not one per link).
  std::unordered_map<std::string, std::vector<int>> media_by_url;
  for (int i = 0; i < out.media_size(); ++i) media_by_url[out.media(i).url()].push_back(i);
  for (const xmlNode* l : Children(entry, "link")) {
    if (DeadlinePassed()) break;
    if (Attr(l, "rel") != "enclosure" || out.media().empty()) continue;
    auto it = media_by_url.find(Absolute(l, Attr(l, "href"), meta.url));
    if (it == media_by_url.end()) continue;
    for (int i : it->second) {
      auto& m = *out.mutable_media(i);
      if (!m.renditions().empty()) continue;
      auto* r = m.add_renditions();
      r->set_name("enclosure");
      r->set_href(m.url());
      r->set_mime_type(m.mime_type());
      r->set_size_bytes(Number(Attr(l, "length")));
    }
  }
}

// Body: <content> (html escaped, xhtml inline, or text), else the summary.
Status AtomBody(xmlDoc* doc, const xmlNode* entry, const Limits& limits, v1::Article& out) {
  const xmlNode* content = Child(entry, "content");
  if (content && Attr(content, "src").empty()) {
    std::string type = Attr(content, "type");
    if (type == "xhtml") {
      const xmlNode* div = Child(content, "div");
      Status st = ExtractHtmlFragment(InnerXml(doc, div ? div : content), limits, out);
      if (!st.ok()) return st;
    } else if (type == "html" || type == "text/html") {
      Status st = ExtractHtmlFragment(RawText(content), limits, out);
      if (!st.ok()) return st;
    } else {
      AddTextParagraphs(RawText(content), out);
    }
  }
  if (out.body().empty()) {
    const xmlNode* summary = Child(entry, "summary");
    if (summary && Attr(summary, "type") == "html") {
      if (Status st = ExtractHtmlFragment(RawText(summary), limits, out); !st.ok()) return st;
    } else if (summary) {
      AddTextParagraphs(RawText(summary), out);
    }
  }
  return OkStatus();
}

Status DecodeAtomEntry(xmlDoc* doc, const xmlNode* feed, const xmlNode* entry, const Metadata& meta,
                       const Limits& limits, v1::Article& out) {
  auto& prov = *out.mutable_provenance();
  prov.set_format("atom");
  prov.set_guid(Text(Child(entry, "id")));
  out.set_headline(AtomText(Child(entry, "title")));
  google::protobuf::Timestamp t;
  if (SetTimeFrom(Text(Child(entry, "published")), meta.timezone, &t)) *out.mutable_firstcreated() = t;
  if (SetTimeFrom(Text(Child(entry, "updated")), meta.timezone, &t)) {
    *out.mutable_versioncreated() = t;
    if (!out.has_firstcreated()) *out.mutable_firstcreated() = t;
  }
  ReadAtomAuthors(feed, entry, out);
  for (const xmlNode* c : Children(entry, "category")) {
    if (DeadlinePassed()) break;
    auto* s = out.add_subjects();
    std::string label = Attr(c, "label");
    std::string term = Attr(c, "term");
    s->set_name(label.empty() ? term : label);
    s->set_code(term);
    s->set_scheme(Attr(c, "scheme"));
    // The term is the code within the scheme; it is the concept's IRI only when it is one.
    if (term.find(':') != std::string::npos) s->set_uri(term);
  }
  ReadAtomLinks(entry, meta, out);
  AddMediaRssOf(entry, out);
  std::string lang = Attr(entry, "lang");
  if (lang.empty() && feed) lang = Attr(feed, "lang");
  out.set_language(lang);
  const xmlNode* rights = Child(entry, "rights");
  if (!rights && feed) rights = Child(feed, "rights");
  out.set_copyright_notice(AtomText(rights));
  if (const xmlNode* src = Child(entry, "source")) {
    auto* is = out.add_infosources();
    is->set_name(AtomText(Child(src, "title")));
    is->set_uri(Text(Child(src, "id")));
    is->set_role("source");
    if (meta.provider.empty()) prov.set_provider(is->name());
  }
  if (meta.provider.empty() && prov.provider().empty() && feed) {
    prov.set_provider(AtomText(Child(feed, "title")));
  }
  out.set_standfirst(AtomText(Child(entry, "summary")));
  AddSummary(out);
  return AtomBody(doc, entry, limits, out);
}

// The items of an RSS or Atom document, parsed once.
class FeedItems final : public ItemDecoder {
 public:
  FeedItems(XmlDocPtr doc, bool atom, const xmlNode* channel, std::vector<const xmlNode*> items,
            bool container)
      : doc_(std::move(doc)),
        atom_(atom),
        channel_(channel),
        items_(std::move(items)),
        container_(container),
        head_(nullptr, xmlFreeNode) {
    charset_ = doc_->encoding ? AsciiLower(reinterpret_cast<const char*>(doc_->encoding)) : "utf-8";
    if (channel_) {
      // The channel's (feed's) own elements without its items, which every item reads: looking
      // them up among 100,000 items once per item would be quadratic.
      head_.reset(xmlDocCopyNode(const_cast<xmlNode*>(channel_), doc_.get(), 2));
      for (const xmlNode* c = channel_->children; head_ && c; c = c->next) {
        if (IsElement(c, "item") || IsElement(c, "entry")) continue;
        if (xmlNode* copy = xmlDocCopyNode(const_cast<xmlNode*>(c), doc_.get(), 1))
          xmlAddChild(head_.get(), copy);
      }
      if (head_) channel_ = head_.get();
    }
  }
  [[nodiscard]] bool container() const override { return container_; }
  [[nodiscard]] size_t size() const override { return items_.size(); }
  [[nodiscard]] std::string Guid(size_t i) const override {
    const xmlNode* item = items_[i];
    if (atom_) return Text(Child(item, "id"));
    const xmlNode* guid = Child(item, "guid");
    return guid ? Text(guid) : Text(Child(item, "link"));
  }
  [[nodiscard]] std::string Bytes(size_t i) const override { return StandaloneXml(items_[i]); }
  Status Decode(size_t i, const Metadata& meta, const Limits& limits, v1::Article& out) override {
    out.mutable_provenance()->set_charset(charset_);
    return atom_ ? DecodeAtomEntry(doc_.get(), channel_, items_[i], meta, limits, out)
                 : DecodeRssItem(doc_.get(), channel_, items_[i], meta, limits, out);
  }

 private:
  XmlDocPtr doc_;
  bool atom_;
  // <channel> or Atom <feed> without its items (head_); nullptr for a bare item.
  const xmlNode* channel_;
  std::vector<const xmlNode*> items_;  // owned by doc_
  bool container_;
  std::string charset_;
  std::unique_ptr<xmlNode, decltype(&xmlFreeNode)> head_;  // freed before doc_
};

}  // namespace

Result<std::unique_ptr<ItemDecoder>> OpenFeed(std::string_view bytes, const Limits& limits) {
  auto parsed = ParseXmlSafely(bytes, limits);
  if (!parsed.ok()) return parsed.error();
  XmlDocPtr doc = std::move(parsed.value());
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  std::string_view name = LocalName(root);
  std::vector<const xmlNode*> items;
  if (name == "item" || name == "entry") {
    items.push_back(root);
    return std::unique_ptr<ItemDecoder>(
        std::make_unique<FeedItems>(std::move(doc), name == "entry", nullptr, std::move(items), false));
  }
  if (name == "rss" || name == "RDF") {
    const xmlNode* channel = Child(root, "channel");
    for (const xmlNode* item : Children(channel, "item")) items.push_back(item);
    for (const xmlNode* item : Children(root, "item")) items.push_back(item);  // RSS 1.0: beside the channel
    if (items.empty()) return Error{v1::ERROR_CODE_NO_CONTENT, "the RSS document has no <item>"};
    return std::unique_ptr<ItemDecoder>(
        std::make_unique<FeedItems>(std::move(doc), false, channel, std::move(items), true));
  }
  if (name == "feed") {
    for (const xmlNode* entry : Children(root, "entry")) items.push_back(entry);
    if (items.empty()) return Error{v1::ERROR_CODE_NO_CONTENT, "the Atom feed has no <entry>"};
    return std::unique_ptr<ItemDecoder>(
        std::make_unique<FeedItems>(std::move(doc), true, root, std::move(items), true));
  }
  return Error{v1::ERROR_CODE_UNSUPPORTED_FORMAT,
               "root element <" + std::string(name) + "> is not RSS or Atom"};
}

}  // namespace copydesk::normalize::internal
