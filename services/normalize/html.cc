// First cut of the HTML decoder: <title> or <h1> as headline, <p> elements as paragraphs.
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include <memory>
#include <string>

#include "normalize/internal.h"

namespace copydesk::normalize::internal {
namespace {

std::string NodeText(xmlNode* n) {
  xmlChar* c = xmlNodeGetContent(n);
  std::string s = c ? reinterpret_cast<const char*>(c) : "";
  xmlFree(c);
  std::string out;
  bool space = false;
  for (char ch : s) {
    if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r') {
      space = !out.empty();
    } else {
      if (space) out += ' ';
      space = false;
      out += ch;
    }
  }
  return out;
}

void Walk(xmlNode* n, v1::Article& out, std::string& title) {
  for (; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    std::string_view name = reinterpret_cast<const char*>(n->name);
    if (name == "script" || name == "style" || name == "nav" || name == "footer") continue;
    if (name == "title" && title.empty()) { title = NodeText(n); continue; }
    if (name == "h1" && out.headline().empty()) { out.set_headline(NodeText(n)); continue; }
    if (name == "p") {
      std::string t = NodeText(n);
      if (!t.empty()) {
        auto* b = out.add_body();
        b->set_type(v1::BLOCK_TYPE_PARAGRAPH);
        b->set_text(t);
      }
      continue;
    }
    Walk(n->children, out, title);
  }
}

}  // namespace

Status ExtractHtmlFragment(std::string_view utf8_html, const Limits&, v1::Article& out) {
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(
      htmlReadMemory(utf8_html.data(), static_cast<int>(utf8_html.size()), nullptr, "UTF-8",
                     HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET),
      xmlFreeDoc);
  if (!doc) return Error{v1::ERROR_CODE_MALFORMED_XML, "HTML could not be parsed"};
  std::string title;
  Walk(xmlDocGetRootElement(doc.get()), out, title);
  if (out.headline().empty()) out.set_headline(title);
  return OkStatus();
}

Status DecodeHtml(std::string_view bytes, const Metadata& meta, const Limits& limits, v1::Article& out) {
  std::string charset;
  auto utf8 = ToUtf8(bytes, meta.charset, &charset);
  if (!utf8.ok()) return utf8.error();
  out.mutable_provenance()->set_charset(charset);
  return ExtractHtmlFragment(utf8.value(), limits, out);
}

}  // namespace copydesk::normalize::internal
