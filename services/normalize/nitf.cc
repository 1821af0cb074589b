// NITF 3.x (News Industry Text Format) -> Article.
// head/docdata carries identity, status and rights; body.head the headline, byline, dateline and
// abstract; body.content the story. body.content is NITF's own XHTML-like vocabulary (p, hl2, bq,
// media, block, ul/ol), so it is walked directly: its media, block quotes and subheads have exact
// NITF meanings that a generic HTML pass would have to guess.
#include <string>

#include "normalize/deadline.h"
#include "normalize/internal.h"
#include "normalize/text_dates.h"
#include "normalize/xml_util.h"

namespace copydesk::normalize::internal {
namespace {

void AddBlock(v1::Article& out, v1::BlockType type, std::string text, bool ordered = false) {
  if (text.empty()) return;
  auto* b = out.add_body();
  b->set_type(type);
  b->set_text(std::move(text));
  if (ordered) b->set_ordered(true);
}

std::string MediaType(std::string_view nitf_type) {
  if (nitf_type == "image" || nitf_type == "photo") return "picture";
  if (nitf_type == "video" || nitf_type == "audio" || nitf_type == "graphic") return std::string(nitf_type);
  return std::string(nitf_type);
}

uint32_t Dimension(std::string_view v) {
  uint32_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9' || n > 1000000) return 0;
    n = n * 10 + static_cast<uint32_t>(c - '0');
  }
  return n;
}

// A <media> element: every media-reference is a rendition, the first the main one.
void AddMedia(const xmlNode* media, v1::Article& out) {
  const xmlNode* ref = Child(media, "media-reference");
  auto* m = out.add_media();
  m->set_type(MediaType(Attr(media, "media-type")));
  m->set_url(Attr(ref, "source"));
  m->set_mime_type(Attr(ref, "mime-type"));
  m->set_title(Attr(ref, "alternate-text"));
  m->set_alt_text(Attr(ref, "alternate-text"));
  m->set_copyright_notice(Attr(ref, "copyright"));
  int i = 0;
  for (const xmlNode* mr : Children(media, "media-reference")) {
    if (DeadlinePassed()) break;
    auto* r = m->add_renditions();
    std::string name = Attr(mr, "name");
    r->set_name(!name.empty() ? name : i == 0 ? "main" : "rendition" + std::to_string(i + 1));
    r->set_href(Attr(mr, "source"));
    r->set_mime_type(Attr(mr, "mime-type"));
    r->set_width(Dimension(Attr(mr, "width")));
    r->set_height(Dimension(Attr(mr, "height")));
    ++i;
  }
  std::string caption = Text(Child(media, "media-caption"));
  std::string producer = Text(Child(media, "media-producer"));
  m->set_description(caption);
  m->set_credit(producer);
  if (!caption.empty()) {
    auto* c = out.add_captions();
    c->set_text(caption);
    c->set_secondary(producer);
    c->set_media_url(m->url());
  }
}

void WalkContent(const xmlNode* n, v1::Article& out, int depth) {
  if (depth > 64) return;
  for (const xmlNode* c = n ? n->children : nullptr; c; c = c->next) {
    if (DeadlinePassed()) break;
    if (c->type != XML_ELEMENT_NODE) continue;
    std::string_view name = LocalName(c);
    if (name == "p" || name == "pre") {
      AddBlock(out, v1::BLOCK_TYPE_PARAGRAPH, Text(c));
    } else if (name == "hl1" || name == "hl2" || name == "h1" || name == "h2" || name == "h3") {
      AddBlock(out, v1::BLOCK_TYPE_SUBHEADING, Text(c));
    } else if (name == "ul" || name == "ol" || name == "dl") {
      for (const xmlNode* li : Children(c, name == "dl" ? "dd" : "li")) {
        if (DeadlinePassed()) break;
        AddBlock(out, v1::BLOCK_TYPE_LIST_ITEM, Text(li), name == "ol");
      }
    } else if (name == "bq" || name == "blockquote") {
      for (const xmlNode* q = c->children; q; q = q->next) {
        if (DeadlinePassed()) break;
        if (q->type != XML_ELEMENT_NODE || LocalName(q) == "credit") continue;
        if (LocalName(q) == "block") {
          for (const xmlNode* p = q->children; p; p = p->next) {
            if (DeadlinePassed()) break;
            if (p->type == XML_ELEMENT_NODE) AddBlock(out, v1::BLOCK_TYPE_BLOCK_QUOTE, Text(p));
          }
        } else {
          AddBlock(out, v1::BLOCK_TYPE_BLOCK_QUOTE, Text(q));
        }
      }
    } else if (name == "media") {
      AddMedia(c, out);
    } else if (name == "block" || name == "div" || name == "section") {
      WalkContent(c, out, depth + 1);
    }
    // table, nitf-table, note, fn, hr, ... carry no body text of their own.
  }
}

// A concept of identified-content: its text (or value), the id source as scheme and the value as
// code.
void FillConcept(const xmlNode* c, v1::Subject& s) {
  s.set_name(Text(c));
  s.set_scheme(Attr(c, "idsrc"));
  s.set_code(Attr(c, "value"));
  if (s.name().empty()) s.set_name(s.code());
  if (s.scheme().find("://") != std::string::npos && !s.code().empty()) s.set_uri(s.scheme() + s.code());
}

// Keywords, tobject (IPTC subject codes and genre), identified-content (people, organisations,
// places, events, classifiers).
void ReadClassification(const xmlNode* head, const xmlNode* docdata, v1::Article& out) {
  for (const xmlNode* kl : Children(docdata, "key-list")) {
    if (DeadlinePassed()) break;
    for (const xmlNode* kw : Children(kl, "keyword")) {
      if (DeadlinePassed()) break;
      if (std::string k = Attr(kw, "key"); !k.empty()) out.add_keywords(k);
    }
  }
  if (const xmlNode* ic = Child(docdata, "identified-content")) {
    for (const xmlNode* c = ic->children; c; c = c->next) {
      if (DeadlinePassed()) break;
      if (c->type != XML_ELEMENT_NODE) continue;
      std::string_view kind = LocalName(c);
      v1::Subject s;
      if (kind == "classifier") {
        s.set_name(Attr(c, "value"));
        s.set_scheme(Attr(c, "type"));
        *out.add_subjects() = std::move(s);
        continue;
      }
      FillConcept(c, s);
      if (s.name().empty()) continue;
      if (kind == "person") {
        *out.add_people() = std::move(s);
      } else if (kind == "org") {
        *out.add_organisations() = std::move(s);
      } else if (kind == "location") {
        *out.add_places() = std::move(s);
      } else {
        s.set_rel(std::string(kind));  // event, function, object.title, virtloc
        *out.add_subjects() = std::move(s);
      }
    }
  }
  for (const xmlNode* tob : Children(head, "tobject")) {
    if (DeadlinePassed()) break;
    for (const xmlNode* tp : Children(tob, "tobject.property")) {
      if (DeadlinePassed()) break;
      if (std::string g = Attr(tp, "tobject.property.type"); !g.empty()) {
        auto* genre = out.add_genres();
        genre->set_name(g);
        genre->set_code(g);
        genre->set_scheme("tobject.property.type");
      }
    }
    for (const xmlNode* ts : Children(tob, "tobject.subject")) {
      if (DeadlinePassed()) break;
      auto* s = out.add_subjects();
      std::string matter = Attr(ts, "tobject.subject.matter");
      std::string detail = Attr(ts, "tobject.subject.detail");
      s->set_name(!detail.empty() ? detail : !matter.empty() ? matter : Attr(ts, "tobject.subject.type"));
      std::string ref = Attr(ts, "tobject.subject.refnum");
      s->set_uri(ref.empty() ? "" : "subj:" + ref);
      s->set_code(ref);
      s->set_scheme("subj");
    }
  }
}

void SetTime(std::string_view norm, std::string_view zone, google::protobuf::Timestamp* ts, bool& set) {
  google::protobuf::Timestamp t;
  set = SetTimeFrom(norm, zone, &t);
  if (set) *ts = t;
}

// Identity, version, status.
void ReadIdentity(const xmlNode* docdata, v1::Article& out) {
  auto& prov = *out.mutable_provenance();
  prov.set_guid(Attr(Child(docdata, "doc-id"), "id-string"));
  const xmlNode* du_key = Child(docdata, "du-key");
  std::string version = Attr(du_key, "version");
  if (version.empty()) version = Attr(du_key, "generation");
  prov.set_provider_version(version);
  const std::string status = Attr(docdata, "management-status");
  out.set_pubstatus(PubStatusFrom(status));
  if (out.pubstatus() == v1::PUB_STATUS_CANCELED) out.mutable_signals()->set_kill(true);
  if (status == "embargoed") out.mutable_signals()->set_embargo(true);
  if (Child(docdata, "correction")) out.mutable_signals()->set_correction(true);
}

// Times: date.issue is the publication, date.release a later release time is an embargo.
void ReadTimes(const xmlNode* root, const xmlNode* head, const xmlNode* docdata, const Metadata& meta,
               v1::Article& out) {
  bool issued = false, released = false;
  SetTime(Attr(Child(docdata, "date.issue"), "norm"), meta.timezone, out.mutable_firstcreated(), issued);
  if (!issued) out.clear_firstcreated();
  google::protobuf::Timestamp release;
  SetTime(Attr(Child(docdata, "date.release"), "norm"), meta.timezone, &release, released);
  if (released && (!issued || release.seconds() > out.firstcreated().seconds())) {
    *out.mutable_embargoed() = release;
    out.mutable_signals()->set_embargo(true);
  }
  // The revision history's latest entry is this version's time.
  for (const xmlNode* rev : Children(head, "revision-history")) {
    if (DeadlinePassed()) break;
    google::protobuf::Timestamp t;
    if (SetTimeFrom(Attr(rev, "norm"), meta.timezone, &t) && t.seconds() > out.versioncreated().seconds()) {
      *out.mutable_versioncreated() = t;
    }
  }
  if (const xmlNode* sd = Descendant(root, "story.date")) {
    google::protobuf::Timestamp t;
    if (!out.has_firstcreated() && SetTimeFrom(Attr(sd, "norm"), meta.timezone, &t))
      *out.mutable_firstcreated() = t;
  }

  google::protobuf::Timestamp expire;
  bool expires = false;
  SetTime(Attr(Child(docdata, "date.expire"), "norm"), meta.timezone, &expire, expires);
  if (expires) *out.mutable_expires() = expire;
}

// Urgency, slugline, event location, registered id.
void ReadHandling(const xmlNode* head, const xmlNode* docdata, v1::Article& out) {
  const xmlNode* du_key = Child(docdata, "du-key");
  if (uint32_t urg = Dimension(Attr(Child(docdata, "urgency"), "ed-urg")); urg >= 1 && urg <= 9)
    out.set_urgency(urg);
  out.set_slugline(Attr(du_key, "key"));
  // As Superdesk reads NITF: the ANPA keyword meta is the slugline when du-key has none, and the
  // event location is a place.
  for (const xmlNode* m : Children(head, "meta")) {
    if (DeadlinePassed()) break;
    if (out.slugline().empty() && Attr(m, "name") == "anpa-keyword") out.set_slugline(Attr(m, "content"));
  }
  if (const xmlNode* ev = Child(docdata, "evloc"); ev && !Attr(ev, "city").empty()) {
    auto* place = out.add_places();
    place->set_name(Attr(ev, "city"));
    place->set_code(Attr(ev, "iso-cc"));
    place->set_rel("located");
  }
  if (const xmlNode* id = Child(docdata, "doc-id"); id && !Attr(id, "regsrc").empty()) {
    auto* alt = out.add_altids();
    alt->set_role(Attr(id, "regsrc"));
    alt->set_value(Attr(id, "id-string"));
  }
}

// Rights and notes. Returns the copyright holder.
std::string ReadRights(const xmlNode* docdata, v1::Article& out) {
  const xmlNode* copyright = Child(docdata, "doc.copyright");
  std::string holder = Attr(copyright, "holder");
  out.set_copyright_holder(holder);
  std::string year = Attr(copyright, "year");
  if (!holder.empty()) {
    out.set_copyright_notice("Copyright " + (year.empty() ? "" : year + " ") + holder);
  }
  std::string usage = Attr(Child(docdata, "doc.rights"), "limitations");
  out.set_usage_terms(usage);
  std::string ednote = Attr(Child(docdata, "ed-msg"), "info");
  if (const xmlNode* corr = Child(docdata, "correction"); corr && !Attr(corr, "info").empty()) {
    ednote += (ednote.empty() ? "" : " ") + Attr(corr, "info");
  }
  out.set_ednote(ednote);
  return holder;
}

// Section path and canonical URL from <pubdata>.
void ReadPubdata(const xmlNode* head, v1::Article& out) {
  for (const xmlNode* pd : Children(head, "pubdata")) {
    if (DeadlinePassed()) break;
    std::string section = Attr(pd, "position.section");
    if (!section.empty() && out.section_path().empty()) {
      std::string part;
      for (char ch : section + "/") {
        if (ch == '/' || ch == '>') {
          if (auto p = CollapseSpace(part); !p.empty()) out.add_section_path(p);
          part.clear();
        } else {
          part += ch;
        }
      }
    }
    if (std::string ref = Attr(pd, "ex-ref"); !ref.empty() && out.canonical_url().empty()) {
      out.set_canonical_url(CanonicalizeUrl(ref));
    }
  }
}

void ReadHeadlines(const xmlNode* head, const xmlNode* bhead, v1::Article& out) {
  if (const xmlNode* hed = Child(bhead, "hedline")) {
    out.set_headline(Text(Child(hed, "hl1")));
    for (const xmlNode* hl2 : Children(hed, "hl2")) {
      if (DeadlinePassed()) break;
      auto* alt = out.add_headlines();
      alt->set_role("subheadline");
      alt->set_value(Text(hl2));
    }
  }
  if (out.headline().empty()) out.set_headline(Text(Child(head, "title")));
}

void ReadBylines(const xmlNode* bhead, v1::Article& out) {
  for (const xmlNode* by : Children(bhead, "byline")) {
    if (DeadlinePassed()) break;
    // <byttl> is a job title ("Staff Writer"), not a role in the story: the people are its authors.
    std::vector<std::string> people;
    for (const xmlNode* p : Children(by, "person")) {
      if (DeadlinePassed()) break;
      people.push_back(Text(p));
    }
    if (people.empty()) {
      SetBylineAndAuthors(Text(by), out);
      continue;
    }
    for (const auto& name : people) {
      auto* a = out.add_authors();
      a->set_name(name);
      a->set_role("author");
    }
  }
  if (!out.authors().empty() && out.byline().empty()) {
    std::string joined;
    for (int i = 0; i < out.authors_size(); ++i) {
      if (i > 0) joined += i + 1 == out.authors_size() ? " and " : ", ";
      joined += out.authors(i).name();
    }
    out.set_byline(joined);
  }
}

void ReadDateline(const xmlNode* bhead, const xmlNode* docdata, v1::Article& out) {
  if (const xmlNode* dl = Child(bhead, "dateline")) {
    auto* loc = out.mutable_located();
    loc->set_dateline(Text(dl));
    if (const xmlNode* l = Child(dl, "location")) {
      loc->set_city(Text(Child(l, "city")));
      loc->set_country(Text(Child(l, "country")));
      loc->set_name(Text(l));
    }
    if (loc->city().empty()) {
      std::string d = Text(dl);
      loc->set_city(CollapseSpace(d.substr(0, d.find_first_of(",("))));
      if (loc->name().empty()) loc->set_name(loc->city());
    }
  } else if (const xmlNode* ev = Child(docdata, "evloc")) {
    out.mutable_located()->set_city(Attr(ev, "city"));
    out.mutable_located()->set_country(Attr(ev, "iso-cc"));
    out.mutable_located()->set_name(Attr(ev, "city"));
  }
}

}  // namespace

Status DecodeNitf(std::string_view bytes, const Metadata& meta, const Limits& limits, v1::Article& out) {
  auto parsed = ParseXmlSafely(bytes, limits);
  if (!parsed.ok()) return parsed.error();
  xmlDoc* doc = parsed.value().get();
  xmlNode* root = xmlDocGetRootElement(doc);
  if (!IsElement(root, "nitf")) {
    return Error{v1::ERROR_CODE_UNSUPPORTED_FORMAT, "root element is not <nitf>"};
  }
  out.mutable_provenance()->set_charset(doc->encoding ? reinterpret_cast<const char*>(doc->encoding)
                                                      : "utf-8");
  std::string baselang = Attr(root, "baselang");
  const xmlNode* head = Child(root, "head");
  const xmlNode* docdata = Child(head, "docdata");
  auto& prov = *out.mutable_provenance();

  ReadIdentity(docdata, out);
  ReadTimes(root, head, docdata, meta, out);
  ReadHandling(head, docdata, out);
  std::string holder = ReadRights(docdata, out);
  ReadClassification(head, docdata, out);
  ReadPubdata(head, out);

  // body.head
  const xmlNode* body = Child(root, "body");
  const xmlNode* bhead = Child(body, "body.head");
  ReadHeadlines(head, bhead, out);
  ReadBylines(bhead, out);
  ReadDateline(bhead, docdata, out);
  out.set_standfirst(Text(Child(bhead, "abstract")));
  if (const xmlNode* dist = Child(bhead, "distributor")) {
    auto* src = out.add_infosources();
    src->set_name(Text(dist));
    src->set_role("distributor");
    if (meta.provider.empty()) prov.set_provider(Text(dist));
  }
  if (prov.provider().empty() && meta.provider.empty()) prov.set_provider(holder);

  // body.content: typed blocks, and its markup mapped onto HTML and sanitized.
  std::string markup;
  for (const xmlNode* bc : Children(body, "body.content")) {
    if (DeadlinePassed()) break;
    WalkContent(bc, out, 0);
    markup += InnerXml(doc, bc);
  }
  if (!markup.empty()) out.set_body_html(SanitizedHtml(markup, limits));
  out.set_language(baselang);
  return OkStatus();
}

}  // namespace copydesk::normalize::internal
