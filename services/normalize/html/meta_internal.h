// Internal to the HTML metadata extractor (html/meta*.cc): the bounds on what one page
// contributes, the text clean-up its parts share, byline splitting, and the page's JSON-LD article.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "normalize/deadline.h"
#include "normalize/html/dom.h"

namespace copydesk::normalize::internal {

// Bounds on what one page contributes, whatever its size: more authors, keywords or breadcrumbs
// than this are never real, and a title longer than this is not a title.
inline constexpr size_t kMaxAuthors = 64;
inline constexpr size_t kMaxKeywords = 200;
inline constexpr size_t kMaxBreadcrumbs = 16;
inline constexpr size_t kMaxTitleBytes = 1000;

std::string Trim(std::string_view s);
// Collapses white space runs and trims.
std::string Clean(std::string_view s);
// Decodes entities that some publishers leave in meta/JSON-LD values ("&amp;", "&#8217;").
std::string CleanValue(std::string_view s);
// Letters and digits only, lower-cased, for loose comparisons.
std::string Norm(std::string_view s);

// The names in a byline ("By Jane Doe and John Smith | Updated ..."), without roles, e-mail
// addresses or dates; all-capital names in title case.
std::vector<std::string> SplitAuthors(std::string_view raw);

// The most article-like object of the page's JSON-LD blocks, with the first breadcrumb list.
struct LdArticle {
  std::string headline, description, published, modified, body, section, language, url, keywords;
  std::vector<std::string> authors;
  std::vector<std::string> breadcrumbs;
  int score = -1;  // how article-like the best object was
};

LdArticle ParseJsonLd(const html::Document& doc, DeadlineCheck<1024>& clock);

}  // namespace copydesk::normalize::internal
