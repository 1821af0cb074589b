// Internal interfaces between the normalizer's decoders. Not for use outside services/normalize.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "copydesk/v1/article.pb.h"
#include "normalize/normalize.h"

namespace copydesk::normalize::internal {

// Each decoder fills `out` from bytes that already passed the size check. The dispatcher in
// normalize.cc sets provenance and calls Finalize() afterwards.
Status DecodeHtml(std::string_view bytes, const Metadata& meta, const Limits& limits, v1::Article& out);
Status DecodeText(std::string_view bytes, const Metadata& meta, const Limits& limits, v1::Article& out);
Status DecodeNinjs(std::string_view bytes, const Metadata& meta, const Limits& limits, v1::Article& out);
Status DecodeNitf(std::string_view bytes, const Metadata& meta, const Limits& limits, v1::Article& out);
Status DecodeNewsMlG2(std::string_view bytes, const Metadata& meta, const Limits& limits, v1::Article& out);
// A single RSS 2.0 <item> (or a one-item <rss>) / a single Atom <entry> (or a one-entry feed).
Status DecodeFeedEntry(std::string_view bytes, const Metadata& meta, const Limits& limits, v1::Article& out);

// Extracts body blocks, captions, pull quotes, media and related links from an HTML fragment
// (already UTF-8) with the same engine as whole pages. Used for bodies embedded in ninjs,
// NITF, NewsML-G2 and feeds. Leaves headline/byline/time fields untouched unless empty.
Status ExtractHtmlFragment(std::string_view utf8_html, const Limits& limits, v1::Article& out);

// Decodes bytes in `declared_charset` (or detected when empty or wrong) into valid UTF-8.
// Sets *charset_used to the charset actually used.
Result<std::string> ToUtf8(std::string_view bytes, std::string_view declared_charset,
                           std::string* charset_used);

// Common post-processing after any decoder: NFC, whitespace, body_text from blocks, word
// count, language (CLD2) when not given, canonical URL, fingerprints.
void Finalize(const Metadata& meta, v1::Article& out);

// Canonical form of a URL: lower-case scheme/host, no fragment, no tracking parameters
// (utm_*, fbclid, gclid, ...), default port removed. Returns "" for a non-URL.
std::string CanonicalizeUrl(std::string_view url);

}  // namespace copydesk::normalize::internal
