// Safe XML parsing and small DOM helpers for the structured wire formats (NITF, NewsML-G2, RSS,
// Atom). Hostile input becomes an error code: no network, no DTD loading, external entities
// rejected (ERROR_CODE_EXTERNAL_ENTITY) and never fetched, internal entity expansion bounded
// (ERROR_CODE_ENTITY_EXPANSION), element depth bounded (ERROR_CODE_NESTING_TOO_DEEP), anything
// else not well-formed -> ERROR_CODE_MALFORMED_XML.
#pragma once

#include <libxml/tree.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "copydesk/v1/article.pb.h"
#include "normalize/normalize.h"

namespace copydesk::normalize::internal {

struct XmlDocDeleter {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
// Owns a parsed libxml2 document.
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocDeleter>;

Result<XmlDocPtr> ParseXmlSafely(std::string_view bytes, const Limits& limits);

// Local name of an element ("p" for "xhtml:p").
std::string_view LocalName(const xmlNode* n);
bool IsElement(const xmlNode* n, std::string_view local_name);
// First child element with that local name, or nullptr.
xmlNode* Child(const xmlNode* n, std::string_view local_name);
std::vector<xmlNode*> Children(const xmlNode* n, std::string_view local_name);
// First descendant element (depth-first) with that local name, or nullptr.
xmlNode* Descendant(const xmlNode* n, std::string_view local_name);
// Attribute value by local name, "" when absent.
std::string Attr(const xmlNode* n, std::string_view local_name);
// Text content with whitespace collapsed and trimmed.
std::string Text(const xmlNode* n);
// Text content exactly as written (line breaks kept), for plain-text payloads.
std::string RawText(const xmlNode* n);
// The children of `n` serialized as markup (for handing embedded XHTML to the HTML engine).
std::string InnerXml(xmlDoc* doc, const xmlNode* n);

// Collapses runs of whitespace to one space and trims.
std::string CollapseSpace(std::string_view s);
// Tags removed and the common entities decoded: for short HTML snippets such as descriptions.
std::string StripTags(std::string_view html);

// A timestamp from ISO 8601 (extended or basic) or an RFC 822 / printed date; false when unparsable.
// A time that states no zone or offset is wall-clock time in `zone` (Metadata::timezone; "" = UTC);
// a date alone is midnight UTC of that date (text_dates.h, ToUtcSeconds).
bool SetTimeFrom(std::string_view value, std::string_view zone, google::protobuf::Timestamp* ts);

// "usable" / "withheld" / "canceled" (also "stat:" qcodes, "cancelled", "killed"); anything else, including
// "embargoed" (usable once the embargo lifts), is usable.
v1::PubStatus PubStatusFrom(std::string_view value);

// Splits "By Jane Doe and John Roe" into names (strips "By", roles after a comma are dropped when
// they look like job titles) and records them as authors plus the joined byline.
void SetBylineAndAuthors(std::string_view byline, v1::Article& out);

// Paragraph blocks from plain text: blank lines (or single newlines) separate paragraphs.
void AddTextParagraphs(std::string_view text, v1::Article& out);

}  // namespace copydesk::normalize::internal
