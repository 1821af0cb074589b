#include "normalize/xml_item.h"

#include <libxml/xmlsave.h>

#include <memory>

#include "normalize/xml_util.h"

namespace copydesk::normalize::internal {
namespace {

struct XmlCharDeleter {
  void operator()(xmlChar* p) const { xmlFree(p); }
};

}  // namespace

std::string StandaloneXml(const xmlNode* n) {
  if (!n) return "";
  XmlDocPtr doc(xmlNewDoc(reinterpret_cast<const xmlChar*>("1.0")));
  if (!doc) return "";
  // A deep copy into the new document declares, on the copy, every namespace that the element
  // and its descendants use from their ancestors.
  xmlNode* copy = xmlDocCopyNode(const_cast<xmlNode*>(n), doc.get(), 1);
  if (!copy) return "";
  xmlDocSetRootElement(doc.get(), copy);
  xmlReconciliateNs(doc.get(), copy);
  xmlChar* mem = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc.get(), &mem, &size, "UTF-8");
  std::unique_ptr<xmlChar, XmlCharDeleter> owned(mem);
  if (!mem || size <= 0) return "";
  return std::string(reinterpret_cast<const char*>(mem), static_cast<size_t>(size));
}

}  // namespace copydesk::normalize::internal
