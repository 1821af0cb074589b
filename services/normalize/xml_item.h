// Helpers for the items of multi-item XML inputs (feeds, NewsML-G2 newsMessage).
#pragma once

#include <libxml/tree.h>

#include <string>

namespace copydesk::normalize::internal {

// `n` alone as a UTF-8 XML document, with the namespaces it uses declared on it: what a dead
// letter carries for one item of a multi-item input.
std::string StandaloneXml(const xmlNode* n);

}  // namespace copydesk::normalize::internal
