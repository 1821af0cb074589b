// IPTC NewsML-G2 newsItem -> Article. Accepts a bare <newsItem> or the first newsItem inside a
// <newsMessage>. itemMeta gives identity, status and signals; contentMeta the descriptive metadata;
// contentSet the body (inlineXML XHTML through the HTML engine, inlineData text otherwise).
#include <string>

#include "normalize/internal.h"
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

void SetTimeIf(const xmlNode* n, google::protobuf::Timestamp* (v1::Article::*mut)(), v1::Article& out) {
  if (!n) return;
  google::protobuf::Timestamp t;
  if (SetTimeFrom(Text(n), &t)) *(out.*mut)() = t;
}

std::string MediaTypeFromItemClass(std::string_view item_class, std::string_view content_type) {
  std::string code = CodeOf(item_class);
  if (code == "picture" || code == "video" || code == "audio" || code == "graphic") return code;
  if (content_type.substr(0, 6) == "image/") return "picture";
  if (content_type.substr(0, 6) == "video/") return "video";
  if (content_type.substr(0, 6) == "audio/") return "audio";
  return code;
}

}  // namespace

Status DecodeNewsMlG2(std::string_view bytes, const Metadata& meta, const Limits& limits, v1::Article& out) {
  auto parsed = ParseXmlSafely(bytes, limits);
  if (!parsed.ok()) return parsed.error();
  xmlDoc* doc = parsed.value().get();
  xmlNode* root = xmlDocGetRootElement(doc);
  const xmlNode* item = IsElement(root, "newsItem") ? root : Descendant(root, "newsItem");
  if (!item) return Error{v1::ERROR_CODE_UNSUPPORTED_FORMAT, "no NewsML-G2 <newsItem> in the document"};
  out.mutable_provenance()->set_charset(doc->encoding ? reinterpret_cast<const char*>(doc->encoding)
                                                      : "utf-8");
  auto& prov = *out.mutable_provenance();
  prov.set_guid(Attr(item, "guid"));
  prov.set_provider_version(Attr(item, "version"));
  std::string lang = Attr(item, "lang");  // xml:lang

  // rightsInfo
  if (const xmlNode* rights = Child(item, "rightsInfo")) {
    out.set_copyright_notice(Text(Child(rights, "copyrightNotice")));
    out.set_usage_terms(Text(Child(rights, "usageTerms")));
    if (out.copyright_notice().empty())
      out.set_copyright_notice(ConceptName(Child(rights, "copyrightHolder")));
  }

  // itemMeta
  const xmlNode* im = Child(item, "itemMeta");
  std::string item_class = Attr(Child(im, "itemClass"), "qcode");
  if (!item_class.empty()) out.set_type(CodeOf(item_class));
  if (meta.provider.empty()) prov.set_provider(ConceptName(Child(im, "provider")));
  if (prov.provider().empty() && meta.provider.empty())
    prov.set_provider(CodeOf(Attr(Child(im, "provider"), "qcode")));
  SetTimeIf(Child(im, "versionCreated"), &v1::Article::mutable_versioncreated, out);
  SetTimeIf(Child(im, "firstCreated"), &v1::Article::mutable_firstcreated, out);
  if (const xmlNode* emb = Child(im, "embargoed")) {
    google::protobuf::Timestamp t;
    if (SetTimeFrom(Text(emb), &t)) {
      *out.mutable_embargoed() = t;
      out.mutable_signals()->set_embargo(true);
    }
  }
  out.set_pubstatus(PubStatusFrom(Attr(Child(im, "pubStatus"), "qcode")));
  if (out.pubstatus() == v1::PUB_STATUS_CANCELED) out.mutable_signals()->set_kill(true);
  out.set_ednote(Text(Child(im, "edNote")));
  for (const xmlNode* sig : Children(im, "signal")) {
    std::string code = CodeOf(Attr(sig, "qcode"));
    if (code == "update") out.mutable_signals()->set_update(true);
    if (code == "correction") out.mutable_signals()->set_correction(true);
    if (code == "kill" || code == "cancel") out.mutable_signals()->set_kill(true);
    if (code == "embargo") out.mutable_signals()->set_embargo(true);
  }
  for (const xmlNode* link : Children(im, "link")) {
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

  // contentMeta
  const xmlNode* cm = Child(item, "contentMeta");
  SetTimeIf(Child(cm, "contentCreated"), &v1::Article::mutable_contentcreated, out);
  if (const xmlNode* loc = Child(cm, "located")) {
    auto* l = out.mutable_located();
    l->set_name(ConceptName(loc));
    l->set_city(ConceptName(loc));
    for (const xmlNode* b : Children(loc, "broader")) {
      std::string type = Attr(b, "type");
      if (type.find("country") != std::string::npos || l->country().empty()) l->set_country(ConceptName(b));
    }
  }
  if (const xmlNode* dl = Child(cm, "dateline")) out.mutable_located()->set_dateline(Text(dl));
  for (const char* kind : {"creator", "contributor"}) {
    for (const xmlNode* c : Children(cm, kind)) {
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
  if (const xmlNode* l = Child(cm, "language")) lang = Attr(l, "tag");
  out.set_language(lang);
  for (const xmlNode* s : Children(cm, "subject")) {
    auto* sub = out.add_subjects();
    sub->set_name(ConceptName(s));
    std::string q = Attr(s, "qcode");
    sub->set_uri(q.empty() ? Attr(s, "uri") : q);
    sub->set_scheme(SchemeOf(q));
  }
  for (const xmlNode* g : Children(cm, "genre")) {
    auto* sub = out.add_subjects();
    sub->set_name(ConceptName(g));
    sub->set_uri(Attr(g, "qcode"));
    sub->set_scheme(SchemeOf(Attr(g, "qcode")));
  }
  for (const xmlNode* k : Children(cm, "keyword")) {
    if (std::string t = Text(k); !t.empty()) out.add_keywords(t);
  }
  bool have_main = false;
  for (const xmlNode* h : Children(cm, "headline")) {
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
  for (const xmlNode* d : Children(cm, "description")) {
    std::string role = CodeOf(Attr(d, "role"));
    if (out.standfirst().empty() || role == "summary") out.set_standfirst(Text(d));
  }
  if (meta.provider.empty() && prov.provider().empty()) prov.set_provider(Text(Child(cm, "creditline")));

  // contentSet
  const xmlNode* cs = Child(item, "contentSet");
  for (const xmlNode* c = cs ? cs->children : nullptr; c; c = c->next) {
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
      auto* m = out.add_media();
      m->set_url(Attr(c, "href"));
      m->set_mime_type(ct);
      m->set_type(MediaTypeFromItemClass(item_class, ct));
      m->set_title(out.headline());
    }
  }
  return OkStatus();
}

}  // namespace copydesk::normalize::internal
