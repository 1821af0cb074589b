// Article body extraction from a parsed HTML Document: boilerplate marking, Readability-style
// candidate scoring with a few extra signals, then an emission pass that turns the chosen
// subtree into typed body blocks and moves captions, pull quotes, media and related links into
// their own fields.
#pragma once

#include <string_view>

#include "common/result.h"
#include "copydesk/v1/article.pb.h"
#include "normalize/html/dom.h"

namespace copydesk::normalize::html {

struct ExtractOptions {
  // The headline, to drop its repetition from the body.
  std::string_view headline;
  // The publisher's own plain-text body (JSON-LD articleBody), used as a hint when present.
  std::string_view hint_body;
  // A fragment (an embedded body) rather than a page: take everything that is not boilerplate.
  bool fragment = false;
  // Base URL to resolve media and link URLs against ("" = leave relative).
  std::string_view base_url;
  int64_t deadline_ns = 0;
};

// Fills out.body, captions, pull_quotes, media and related. Errors: ERROR_CODE_TIMEOUT.
Status ExtractBody(const Document& doc, const ExtractOptions& opts, v1::Article& out);

// `ref` resolved against `base` in canonical form (normalize/url.h); "" when the result is not
// an http(s) URL.
std::string ResolveUrl(std::string_view base, std::string_view ref);

}  // namespace copydesk::normalize::html
