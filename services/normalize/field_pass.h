// The final field pass: run once over a whole Article at the end of normalization, by reflection
// over every string field of the message and of its nested messages, so that a field added to
// the proto later is covered without a change here.
//
// Every string comes out valid UTF-8 (invalid sequences become U+FFFD), free of NUL and other
// control characters (C0, DEL, C1; '\n' and '\t' stay only in the multi-line body and paragraph fields, where
// "\r\n" and a lone '\r' become '\n'; in any other field a tab or line break becomes a space), and
// no longer than its field class allows (cut on a code point boundary):
//   label      256 B   type, role, rel, scheme, code, mime_type, format, language, charset, ...
//   line       2 KiB   headline, names, titles, byline, slugline, keywords, ids, ... (default for
//                      a string field not listed anywhere)
//   paragraph  64 KiB  standfirst, descriptions, captions, notes, rights, pull quotes
//   body       2 x the input + the entity expansion limit: body_text, body[].text
//   markup     body_html: the body limit, at least 4 MiB (html/sanitize.h already cuts it
//              between elements at 2 MiB); longer markup is removed, never cut mid-tag
// A URL field is one whose name is `url`, `urls`, `href` or ends in `_url` / `_urls` / `_href`
// (canonical_url, urls, media[].url, renditions[].href, related[].url, captions[].media_url,
// provenance.source_url, ...): it holds the canonical form of an http(s) URL (url.h) or nothing;
// anything else (another scheme, a relative or unparsable URL, more than 8 KiB) is removed, and
// a repeated URL field keeps each canonical URL once.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/result.h"
#include "copydesk/v1/article.pb.h"
#include "normalize/normalize.h"

namespace copydesk::normalize {

// Field classes, by their byte limit.
inline constexpr size_t kMaxLabelBytes = 256;
inline constexpr size_t kMaxLineBytes = 2 * 1024;
inline constexpr size_t kMaxParagraphBytes = 64 * 1024;
inline constexpr size_t kMaxUrlBytes = 8 * 1024;

struct SanitizeOptions {
  // Size of the input the Article came from; bounds the body fields.
  size_t input_bytes = 0;
  // Allowance for XML internal entity expansion on top of the input (Limits::max_entity_expansion).
  size_t entity_expansion = 0;
  // Steady-clock deadline (0 = none): past it the pass stops with ERROR_CODE_TIMEOUT.
  int64_t deadline_ns = 0;
};

// Repairs, truncates and drops as described above, counting each in `diagnostics` (may be null).
Status SanitizeArticle(v1::Article& article, const SanitizeOptions& options, Diagnostics* diagnostics);

// The byte limit of the body fields for an input of `input_bytes`.
size_t MaxBodyBytes(size_t input_bytes, size_t entity_expansion);

}  // namespace copydesk::normalize
