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
  // Any other headers, in order.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Limits that turn hostile input into an error code instead of a crash or a hang.
struct Limits {
  size_t max_bytes = 10u << 20;            // ERROR_CODE_VALUE_TOO_LARGE
  uint32_t max_depth = 512;                // ERROR_CODE_NESTING_TOO_DEEP beyond this element depth
  uint32_t max_millis = 2000;              // ERROR_CODE_TIMEOUT (checked cooperatively)
  size_t max_entity_expansion = 1u << 20;  // ERROR_CODE_ENTITY_EXPANSION (bytes)
};

// The formats the normalizer decodes, chosen from the content type.
enum class Format { kUnknown, kHtml, kText, kNinjs, kNitf, kNewsMlG2, kRss, kAtom, kRawArticle };

// Maps a MIME type (parameters ignored, case-insensitive) to a format.
Format FormatFromContentType(std::string_view content_type);
// Maps a file name's extension to a MIME type ("" if unknown): .html .txt .json .ninjs.json
// .nitf.xml .g2.xml .rss.xml .atom.xml .pb
std::string ContentTypeFromFileName(std::string_view path);

// Normalizes one event. On success the Article has everything the input provides except the
// story identity (uri, version), which dedup assigns.
Result<v1::Article> Normalize(std::string_view bytes, const Metadata& meta, const Limits& limits = {});

}  // namespace copydesk::normalize
