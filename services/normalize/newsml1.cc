// IPTC NewsML 1.2 -> Article: the NewsEnvelope (priority, transmission), each NewsItem's
// Identification (story identity and revision) and NewsManagement (status, urgency, times,
// instructions); the NewsComponents are in newsml1_content.cc.
//
// Identity: ProviderId, DateId and NewsItemId name the item across its revisions, so the guid is
// "urn:newsml:<ProviderId>:<DateId>:<NewsItemId>" and the RevisionId is the provider version (the
// PublicIdentifier, which ends with the revision, is kept as an altid).
#include "normalize/newsml1.h"

#include <libxml/xmlsave.h>

#include <string>
#include <vector>

#include "normalize/ascii.h"
#include "normalize/internal.h"
#include "normalize/xml_util.h"

namespace copydesk::normalize::internal {
namespace {

using newsml1::FormalNameOf;

void AddAltId(v1::Article& out, std::string_view role, std::string_view value) {
  if (value.empty()) return;
  auto* a = out.add_altids();
  a->set_role(std::string(role));
  a->set_value(std::string(value));
}

bool SetTime(const xmlNode* n, std::string_view zone, google::protobuf::Timestamp* ts) {
  if (n == nullptr) return false;
  google::protobuf::Timestamp t;
  if (!SetTimeFrom(Text(n), zone, &t)) return false;
  *ts = t;
  return true;
}

uint32_t OneToNine(std::string_view v) {
  return v.size() == 1 && v[0] >= '1' && v[0] <= '9' ? static_cast<uint32_t>(v[0] - '0') : 0;
}

std::string Identity(const xmlNode* ni) {
  const std::string provider = Text(Child(ni, "ProviderId"));
  const std::string date = Text(Child(ni, "DateId"));
  const std::string item = Text(Child(ni, "NewsItemId"));
  if (!provider.empty() && !item.empty()) return "urn:newsml:" + provider + ":" + date + ":" + item;
  // Only a PublicIdentifier: drop its trailing ":<revision>".
  std::string pub = Text(Child(ni, "PublicIdentifier"));
  const std::string rev = Text(Child(ni, "RevisionId"));
  if (!rev.empty() && pub.size() > rev.size() + 1 &&
      pub.compare(pub.size() - rev.size() - 1, std::string::npos, ":" + rev) == 0)
    pub.erase(pub.size() - rev.size() - 1);
  return pub;
}

void DecodeIdentification(const xmlNode* item, v1::Article& out) {
  const xmlNode* id = Child(item, "Identification");
  const xmlNode* ni = Child(id, "NewsIdentifier");
  auto& prov = *out.mutable_provenance();
  prov.set_guid(Identity(ni));
  const std::string rev = Text(Child(ni, "RevisionId"));
  prov.set_provider_version(rev);
  const std::string previous = Attr(Child(ni, "RevisionId"), "PreviousRevision");
  if (!previous.empty() && previous != "0") out.mutable_signals()->set_update(true);
  AddAltId(out, "public-identifier", Text(Child(ni, "PublicIdentifier")));
  AddAltId(out, "name-label", Text(Child(id, "NameLabel")));
  AddAltId(out, "date-label", Text(Child(id, "DateLabel")));
  AddAltId(out, "label", Text(Child(id, "Label")));
}

// Instruction FormalNames (IPTC NewsML 1 and agency practice) -> signals.
void ApplyInstruction(std::string_view formal_name, v1::Article& out) {
  const std::string v = AsciiLower(formal_name);
  if (v == "rectify" || v == "correction" || v == "correct") {
    out.mutable_signals()->set_correction(true);
  } else if (v == "kill" || v == "delete" || v == "cancel" || v == "withdraw" || v == "elimination") {
    out.mutable_signals()->set_kill(true);
    out.set_pubstatus(v1::PUB_STATUS_CANCELED);
  } else if (v == "update") {
    out.mutable_signals()->set_update(true);
  }
}

void DecodeManagement(const xmlNode* item, std::string_view zone, v1::Article& out) {
  const xmlNode* nm = Child(item, "NewsManagement");
  if (const std::string type = FormalNameOf(nm, "NewsItemType"); !type.empty()) {
    auto* g = out.add_genres();
    g->set_name(type);
    g->set_code(type);
    g->set_scheme("NewsItemType");
  }
  SetTime(Child(nm, "FirstCreated"), zone, out.mutable_firstcreated());
  SetTime(Child(nm, "ThisRevisionCreated"), zone, out.mutable_versioncreated());
  const std::string status = FormalNameOf(nm, "Status");
  out.set_pubstatus(PubStatusFrom(status));
  if (out.pubstatus() == v1::PUB_STATUS_CANCELED) out.mutable_signals()->set_kill(true);
  // An embargoed item becomes usable when its StatusWillChange says so.
  if (AsciiLower(status) == "embargoed") {
    out.mutable_signals()->set_embargo(true);
    if (const xmlNode* will = Child(nm, "StatusWillChange"))
      SetTime(Child(will, "DateAndTime"), zone, out.mutable_embargoed());
  }
  out.set_urgency(OneToNine(FormalNameOf(nm, "Urgency")));
  for (const xmlNode* ins : Children(nm, "Instruction")) {
    ApplyInstruction(Attr(ins, "FormalName"), out);
    for (const xmlNode* rs : Children(ins, "RevisionStatus"))
      ApplyInstruction(FormalNameOf(rs, "Status"), out);
  }
  for (const xmlNode* aw : Children(nm, "AssociatedWith"))
    AddAltId(out, "associated-with", Attr(aw, "NewsItem"));
}

void DecodeEnvelope(const xmlNode* env, v1::Article& out) {
  if (env == nullptr) return;
  out.set_priority(OneToNine(FormalNameOf(env, "Priority")));
  AddAltId(out, "transmission-id", Text(Child(env, "TransmissionId")));
  for (const xmlNode* s : Children(env, "NewsService")) AddAltId(out, "news-service", Attr(s, "FormalName"));
  for (const xmlNode* p : Children(env, "NewsProduct")) AddAltId(out, "news-product", Attr(p, "FormalName"));
}

Status DecodeItem(xmlDoc* doc, const xmlNode* root, const xmlNode* item, const Metadata& meta,
                  const Limits& limits, v1::Article& out) {
  auto& prov = *out.mutable_provenance();
  prov.set_format("newsml1");
  prov.set_charset(doc->encoding ? reinterpret_cast<const char*>(doc->encoding) : "utf-8");
  DecodeEnvelope(IsElement(root, "NewsML") ? Child(root, "NewsEnvelope") : nullptr, out);
  DecodeIdentification(item, out);
  DecodeManagement(item, meta.timezone, out);
  const std::string update =
      Attr(Child(Child(Child(item, "Identification"), "NewsIdentifier"), "RevisionId"), "Update");
  if (update == "U") {
    return Error{v1::ERROR_CODE_UNSUPPORTED_FORMAT,
                 "NewsML 1.2 revision " + prov.provider_version() +
                     " is a delta (RevisionId Update=\"U\") that needs the previous revision to apply"};
  }
  const xmlNode* component = Child(item, "NewsComponent");
  if (component == nullptr && out.pubstatus() != v1::PUB_STATUS_CANCELED) {
    return Error{v1::ERROR_CODE_NO_CONTENT,
                 update == "A"
                     ? "NewsML 1.2 revision " + prov.provider_version() +
                           " changes only NewsManagement (Update=\"A\") and does not cancel the item"
                     : std::string("NewsML 1.2 NewsItem has no NewsComponent")};
  }
  const newsml1::TopicIndex topics = newsml1::IndexTopics(root);
  if (component != nullptr) {
    Status st = newsml1::DecodeComponents(doc, component, topics, meta, limits, out);
    if (!st.ok()) return st;
  }
  // An alert has no headline of its own: its first line is the alert.
  if (out.headline().empty() && out.body_size() > 0 &&
      AsciiLower(FormalNameOf(Child(item, "NewsManagement"), "NewsItemType")) == "alert") {
    out.set_headline(out.body(0).text());
  }
  if (out.language().empty()) out.set_language(Attr(item, "lang"));
  if (out.type().empty()) out.set_type("text");
  return OkStatus();
}

// The NewsML root and its NewsItems (a bare NewsItem is its own root).
Result<std::vector<const xmlNode*>> Items(const xmlNode* root) {
  std::vector<const xmlNode*> items;
  if (IsElement(root, "NewsItem")) {
    items.push_back(root);
  } else if (IsElement(root, "NewsML")) {
    for (const xmlNode* n : Children(root, "NewsItem")) items.push_back(n);
  } else {
    return Error{v1::ERROR_CODE_UNSUPPORTED_FORMAT, "root element is not <NewsML> or <NewsItem>"};
  }
  if (items.empty()) return Error{v1::ERROR_CODE_NO_CONTENT, "NewsML document without a NewsItem"};
  return items;
}

// The NewsItems of a NewsML 1.2 document, parsed once. A document with one NewsItem (the usual
// delivery) is a single-item input; with several, a container.
class NewsMl1Items final : public ItemDecoder {
 public:
  NewsMl1Items(XmlDocPtr doc, std::vector<const xmlNode*> items)
      : doc_(std::move(doc)), root_(xmlDocGetRootElement(doc_.get())), items_(std::move(items)) {}
  [[nodiscard]] bool container() const override { return items_.size() > 1; }
  [[nodiscard]] size_t size() const override { return items_.size(); }
  [[nodiscard]] std::string Guid(size_t i) const override {
    return Identity(Child(Child(items_[i], "Identification"), "NewsIdentifier"));
  }
  // The item alone under a copy of the root with everything that is not a NewsItem (catalog,
  // envelope, topic sets), so that it decodes exactly as it does inside the whole document.
  [[nodiscard]] std::string Bytes(size_t i) const override {
    XmlDocPtr one(xmlNewDoc(BAD_CAST "1.0"));
    if (!one) return "";
    xmlNode* copy = xmlDocCopyNode(root_, one.get(), 2);
    if (copy == nullptr) return "";
    xmlDocSetRootElement(one.get(), copy);
    for (xmlNode* c = root_->children; c; c = c->next) {
      if (c->type != XML_ELEMENT_NODE || (IsElement(c, "NewsItem") && c != items_[i])) continue;
      if (xmlNode* cc = xmlDocCopyNode(c, one.get(), 1)) xmlAddChild(copy, cc);
    }
    xmlChar* mem = nullptr;
    int size = 0;
    xmlDocDumpMemoryEnc(one.get(), &mem, &size, "UTF-8");
    if (mem == nullptr) return "";
    std::string out(reinterpret_cast<const char*>(mem), static_cast<size_t>(size));
    xmlFree(mem);
    return out;
  }
  Status Decode(size_t i, const Metadata& meta, const Limits& limits, v1::Article& out) override {
    return DecodeItem(doc_.get(), root_, items_[i], meta, limits, out);
  }

 private:
  XmlDocPtr doc_;
  xmlNode* root_;                      // owned by doc_
  std::vector<const xmlNode*> items_;  // owned by doc_
};

}  // namespace

Result<std::unique_ptr<ItemDecoder>> OpenNewsMl1(std::string_view bytes, const Limits& limits) {
  auto parsed = ParseXmlSafely(bytes, limits);
  if (!parsed.ok()) return parsed.error();
  XmlDocPtr doc = std::move(parsed.value());
  auto items = Items(xmlDocGetRootElement(doc.get()));
  if (!items.ok()) return items.error();
  return std::unique_ptr<ItemDecoder>(
      std::make_unique<NewsMl1Items>(std::move(doc), std::move(items.value())));
}

}  // namespace copydesk::normalize::internal
