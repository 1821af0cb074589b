// The body's markup for Article.body_html: an allow-list sanitizer over a parsed fragment, and
// the same markup rendered from typed body blocks for inputs whose markup is a whole page.
//
// What survives: p, h1-h6, ul/ol/li, blockquote, table (caption, thead, tbody, tfoot, tr, th,
// td with numeric colspan/rowspan), a with an absolute http(s) href (scheme checked
// case-insensitively; the link's canonical form), em/strong/i/b/sub/sup, br, and figure with
// figcaption and img (http(s) src, alt, numeric width/height) inside a figure. Scripts, styles,
// frames, objects, forms, SVG/MathML and templates are dropped with their content; every other
// element is unwrapped to its content; no other attribute survives. NITF's body vocabulary maps
// onto the same set (hl2 -> h2, bq -> blockquote, media -> figure, media-reference -> img,
// media-caption -> figcaption). Text is escaped, empty elements are dropped, and the output is
// well-formed (void elements self-closed) and at most kMaxBodyHtmlBytes long, cut only between
// elements.
#pragma once

#include <cstddef>
#include <string>

#include "copydesk/v1/article.pb.h"
#include "normalize/html/dom.h"

namespace copydesk::normalize::html {

inline constexpr size_t kMaxBodyHtmlBytes = 2u << 20;

// The sanitized markup of the whole document (a fragment).
std::string SanitizeHtml(const Document& doc);

// Markup for typed body blocks: paragraphs, subheadings (h2), lists, block quotes.
std::string BlocksToHtml(const google::protobuf::RepeatedPtrField<v1::BodyBlock>& body);

}  // namespace copydesk::normalize::html
