// The normalizer: the bytes of one raw event plus its metadata -> a complete copydesk.v1.Article.
// Pure: no Kafka, gRPC or Prometheus. Thread-safe: Normalize() may run on many threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "copydesk/v1/article.pb.h"

namespace copydesk::normalize {

// Written into Article.provenance.normalizer_version. Bump when output changes.
inline constexpr std::string_view kNormalizerVersion = "copydesk-normalize/0.1.0";

// What travels with the bytes: Kafka headers, RawArticle envelope fields, CLI flags.
struct Metadata {
  // MIME type, possibly with parameters ("text/html; charset=iso-8859-1").
  std::string content_type;
  // Declared charset, when known outside the content type.
  std::string charset;
  std::string url;
  std::string provider;
  std::string guid;
  std::string version;
  std::string event_id;
  // Kafka timestamp of the raw event (ms since epoch), 0 when unknown.
  int64_t event_time_ms = 0;
  // IANA time zone ("Europe/Berlin") in which the provider's times without a zone or offset are
  // read; "" means UTC. Comes from config (normalize.timezone, normalize.provider_timezones).
  std::string timezone;
  // Any other headers, in order.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Limits that turn hostile input into an error code instead of a crash or a hang.
struct Limits {
  size_t max_bytes = 10u << 20;  // ERROR_CODE_VALUE_TOO_LARGE
  uint32_t max_depth = 512;      // ERROR_CODE_NESTING_TOO_DEEP beyond this element depth
  // ERROR_CODE_TIMEOUT. Checked cooperatively in every stage; the work stops at 90 % of it so
  // that freeing what was built fits in the rest. 0 = no limit.
  uint32_t max_millis = 2000;
  size_t max_entity_expansion = 1u << 20;  // ERROR_CODE_ENTITY_EXPANSION (bytes)
  // Multi-item inputs (feeds, NewsML-G2 newsMessage): items past this count are each rejected
  // with ERROR_CODE_TOO_MANY_ITEMS (never dropped silently).
  size_t max_items = 1000;
  // Absolute steady-clock deadline (ns, std::chrono::steady_clock) for the work of every stage
  // and item of one input; 0 = 90 % of max_millis from the start of the call (Normalize() sets
  // it).
  int64_t deadline_ns = 0;
};

// What the normalizer repaired or removed on the way, for the worker's metrics. Never affects
// whether an input is accepted.
struct Diagnostics {
  // URLs removed from Article fields: a scheme other than http(s), or not a URL.
  uint32_t urls_dropped = 0;
  // Strings with invalid UTF-8 or control characters that were repaired.
  uint32_t strings_repaired = 0;
  // Strings cut to their field's length limit.
  uint32_t strings_truncated = 0;
};

// One item of an input: the whole input for single-item formats, one entry / newsItem of a
// multi-item input.
struct Item {
  // Position in the input, from 0.
  uint32_t index = 0;
  // The item's own id as the input gives it (RSS guid, Atom id, G2 guid), "" when none.
  std::string guid;
  // The item's own bytes, for its dead letter: the item alone as a UTF-8 XML document (its
  // <item>, <entry>, <newsItem> or <packageItem> with the namespaces it uses declared), which the
  // input's content type decodes again. Empty for a single-item input, whose bytes are the
  // input's (also a bare <item>, <entry> or <newsItem>).
  std::string bytes;
  Result<v1::Article> article = Error{v1::ERROR_CODE_INTERNAL, "not normalized"};
  Diagnostics diagnostics;
};

// The formats the normalizer decodes, chosen from the content type.
enum class Format {
  kUnknown,
  kHtml,
  kText,
  kNinjs,
  kNitf,
  kNewsMlG2,
  kRss,
  kAtom,
  kRawArticle,
  kAnpa1312,
  kIptc7901,
  kNewsMl1
};

// Maps a MIME type (parameters ignored, case-insensitive) to a format.
Format FormatFromContentType(std::string_view content_type);
// Maps a file name's extension to a MIME type ("" if unknown): .html .txt .json .ninjs.json
// .nitf.xml .g2.xml .rss.xml .atom.xml .pb .anpa .7901 .newsml1.xml
std::string ContentTypeFromFileName(std::string_view path);

// Normalizes a single-item event. On success the Article has everything the input provides
// except the story identity (uri, version), which dedup assigns. `diagnostics`, when given, is
// filled. A multi-item input with more than one item is ERROR_CODE_TOO_MANY_ITEMS: use
// NormalizeItems, which returns every item.
Result<v1::Article> Normalize(std::string_view bytes, const Metadata& meta, const Limits& limits = {},
                              Diagnostics* diagnostics = nullptr);

// Normalizes every item of an event, in input order: one Item for single-item formats, one per
// RSS <item>, Atom <entry>, or NewsML-G2 newsItem/packageItem of a container (a feed, a
// newsMessage). An error means the input as a whole cannot be read (empty, too large, malformed
// container, a feed without items, unknown content type, or the one item of a single-item input
// failed): dead-letter the input. An item of a container that cannot be normalized carries its
// own error and the others go on; items past limits.max_items are ERROR_CODE_TOO_MANY_ITEMS and
// items not reached within limits.max_millis (which bounds the whole input) ERROR_CODE_TIMEOUT.
// Each container item's Article has provenance.item_index and item_count set; the input's guid,
// version and URL metadata belong to the container and are not applied to its items (the URL is
// kept as provenance.source_url and resolves the items' relative links).
Result<std::vector<Item>> NormalizeItems(std::string_view bytes, const Metadata& meta,
                                         const Limits& limits = {});

}  // namespace copydesk::normalize
