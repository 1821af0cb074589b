// NewsML 1.2 internals shared by newsml1.cc (document, envelope, identification, management) and
// newsml1_content.cc (NewsComponents: news lines, metadata, content items, media).
#pragma once

#include <libxml/tree.h>

#include <map>
#include <string>

#include "common/result.h"
#include "copydesk/v1/article.pb.h"
#include "normalize/normalize.h"

namespace copydesk::normalize::internal::newsml1 {

// Topics of the document's TopicSets by Duid, for TopicOccurrence Topic="#duid".
using TopicIndex = std::map<std::string, const xmlNode*, std::less<>>;

TopicIndex IndexTopics(const xmlNode* root);

// The FormalName attribute of the named child: <Status FormalName="Usable"/> -> "Usable".
std::string FormalNameOf(const xmlNode* parent, std::string_view child);

// Fills `out` from a NewsItem's top NewsComponent and the components under it: news lines,
// administrative, rights and descriptive metadata, the text body (NITF or XHTML through the NITF
// and HTML decoders, plain text as paragraphs) and media with their renditions.
Status DecodeComponents(xmlDoc* doc, const xmlNode* component, const TopicIndex& topics, const Metadata& meta,
                        const Limits& limits, v1::Article& out);

}  // namespace copydesk::normalize::internal::newsml1
