#include "normalize/xml_item.h"

#include <libxml/xmlsave.h>

#include <memory>

#include "normalize/xml_util.h"

namespace copydesk::normalize::internal {
namespace {

struct XmlFreeDeleter {
  void operator()(void* p) const { xmlFree(p); }
};

}  // namespace

std::string StandaloneXml(const xmlNode* n) {
  if (!n || n->type != XML_ELEMENT_NODE) return "";
  // The element as written in the document (one serialization, no copy of the tree: an item can
  // be most of a 10 MiB input), with the namespaces in scope from its ancestors declared on it.
  std::unique_ptr<xmlBuffer, decltype(&xmlBufferFree)> buf(xmlBufferCreate(), xmlBufferFree);
  if (!buf || xmlNodeDump(buf.get(), n->doc, const_cast<xmlNode*>(n), 0, 0) < 0) return "";
  const std::string_view dumped(reinterpret_cast<const char*>(xmlBufferContent(buf.get())),
                                static_cast<size_t>(xmlBufferLength(buf.get())));
  std::string declarations;
  std::unique_ptr<xmlNs*, XmlFreeDeleter> in_scope(xmlGetNsList(n->doc, n));
  for (xmlNs** ns = in_scope.get(); ns && *ns; ++ns) {
    bool own = false;  // declared on the element itself: already in the output
    for (const xmlNs* d = n->nsDef; d && !own; d = d->next) {
      own = (d->prefix == nullptr) == ((*ns)->prefix == nullptr) &&
            (d->prefix == nullptr || xmlStrEqual(d->prefix, (*ns)->prefix));
    }
    if (own || !(*ns)->href) continue;
    declarations +=
        (*ns)->prefix ? " xmlns:" + std::string(reinterpret_cast<const char*>((*ns)->prefix)) : " xmlns";
    declarations += "=\"";
    for (const xmlChar* c = (*ns)->href; *c; ++c) {
      if (*c == '"') {
        declarations += "&quot;";
      } else if (*c == '&') {
        declarations += "&amp;";
      } else if (*c == '<') {
        declarations += "&lt;";
      } else {
        declarations += static_cast<char>(*c);
      }
    }
    declarations += '"';
  }
  // After "<" and the element's (prefixed) name.
  const size_t name_end = dumped.find_first_of(" \t\n\r/>", 1);
  if (name_end == std::string_view::npos) return "";
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out.reserve(out.size() + dumped.size() + declarations.size() + 1);
  out.append(dumped.substr(0, name_end));
  out += declarations;
  out.append(dumped.substr(name_end));
  out += '\n';
  return out;
}

}  // namespace copydesk::normalize::internal
