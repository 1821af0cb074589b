// Internal interfaces between the normalizer's decoders. Not for use outside services/normalize.
#pragma once

#include <memory>
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

// The items of an input in one of the multi-item formats (RSS, Atom, NewsML-G2), parsed once and
// decoded one at a time, so that one item's failure or the time limit stops only what is left.
class ItemDecoder {
 public:
  virtual ~ItemDecoder() = default;
  // True for a container (a feed, a newsMessage), false for a bare <item>, <entry>, <newsItem>
  // or <packageItem>, which is a single-item input.
  [[nodiscard]] virtual bool container() const = 0;
  [[nodiscard]] virtual size_t size() const = 0;
  // The item's own id as the input gives it (RSS guid else link, Atom id, G2 guid).
  [[nodiscard]] virtual std::string Guid(size_t i) const = 0;
  // The item alone as a UTF-8 XML document (namespaces it uses declared), which the same
  // content type decodes again; for its dead letter.
  [[nodiscard]] virtual std::string Bytes(size_t i) const = 0;
  // Fills `out` with the item's fields; the dispatcher finishes it (provenance, Finalize).
  virtual Status Decode(size_t i, const Metadata& meta, const Limits& limits, v1::Article& out) = 0;
};

// RSS 2.0 / RSS 1.0 (<rss>, <rdf:RDF>, or a bare <item>) and Atom (<feed> or a bare <entry>).
Result<std::unique_ptr<ItemDecoder>> OpenFeed(std::string_view bytes, const Limits& limits);
// NewsML-G2: a <newsMessage> (its newsItems and packageItems) or a bare <newsItem>/<packageItem>.
Result<std::unique_ptr<ItemDecoder>> OpenNewsMlG2(std::string_view bytes, const Limits& limits);
// NewsML 1.2: a <NewsML> document (a container when it holds several NewsItems) or a bare <NewsItem>.
Result<std::unique_ptr<ItemDecoder>> OpenNewsMl1(std::string_view bytes, const Limits& limits);
// ANPA 1312 and IPTC 7901 messages: 7/8-bit text in the declared charset (ISO-8859-1 when none).
Status DecodeAnpa1312(std::string_view bytes, const Metadata& meta, const Limits& limits, v1::Article& out);
Status DecodeIptc7901(std::string_view bytes, const Metadata& meta, const Limits& limits, v1::Article& out);

// Extracts body blocks, captions, pull quotes, media and related links from an HTML fragment
// (already UTF-8) with the same engine as whole pages. Used for bodies embedded in ninjs,
// NITF, NewsML-G2 and feeds. Leaves headline/byline/time fields untouched unless empty.
Status ExtractHtmlFragment(std::string_view utf8_html, const Limits& limits, v1::Article& out);

// The sanitized markup of an HTML fragment (html/sanitize.h), "" when it cannot be parsed.
std::string SanitizedHtml(std::string_view utf8_html, const Limits& limits);

// Decodes bytes in `declared_charset` (or detected when empty or wrong) into valid UTF-8.
// Sets *charset_used to the charset actually used.
Result<std::string> ToUtf8(std::string_view bytes, std::string_view declared_charset,
                           std::string* charset_used);

// Common post-processing after any decoder: NFC, the final field pass (field_pass.h), body_text
// from blocks, word count, language (CLD2) when not given, canonical URL, fingerprints.
// `input_bytes` is the size of the input (bounds the body fields); `diagnostics` may be null.
// Errors: ERROR_CODE_TIMEOUT past limits.deadline_ns.
Status Finalize(const Metadata& meta, const Limits& limits, size_t input_bytes, v1::Article& out,
                Diagnostics* diagnostics);

// Canonical form of a URL: lower-case scheme/host, no fragment, no tracking parameters
// (utm_*, fbclid, gclid, ...), default port removed. Returns "" for a non-URL.
std::string CanonicalizeUrl(std::string_view url);

}  // namespace copydesk::normalize::internal
