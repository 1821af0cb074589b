// The headers the pipeline reads from an input, checked against one policy (README.md, "Headers
// and values"): identity headers are used exactly as sent or the input is dead-lettered with
// ERROR_CODE_INVALID_HEADER, never silently turned into another identity; the URL is repaired
// losslessly; trace context that is not W3C Trace Context is ignored. Pure.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/record.h"
#include "common/result.h"

namespace copydesk::ingest {

// Bounds of the headers the pipeline reads, in bytes.
inline constexpr size_t kMaxContentTypeBytes = 256;
inline constexpr size_t kMaxProviderBytes = 256;
inline constexpr size_t kMaxGuidBytes = 1024;
inline constexpr size_t kMaxVersionBytes = 64;
inline constexpr size_t kMaxEventIdBytes = 256;
inline constexpr size_t kMaxUrlBytes = 8192;
inline constexpr size_t kMaxTraceparentBytes = 256;
inline constexpr size_t kMaxTracestateBytes = 512;

// The checked headers of an input; "" = absent (an empty header is absent too).
struct InputHeaders {
  std::string content_type;
  std::string provider;
  std::string guid;
  std::string version;
  std::string url;  // repaired: see RepairUrl
  std::string event_id;
  // W3C Trace Context, carried to the outputs; both "" when traceparent is absent or invalid.
  std::string traceparent;
  std::string tracestate;
};

// Reads the headers (the first of each name, case-insensitive) and checks them. An error
// (ERROR_CODE_INVALID_HEADER) names the first header that cannot be used and why, never its value.
Result<InputHeaders> ReadInputHeaders(const Record& in);

// The producer's event id of an input when its `event-id` header is present and usable (valid
// UTF-8 without control characters, at most kMaxEventIdBytes); nullopt otherwise.
std::optional<std::string_view> UsableEventId(const Record& in);

// True for valid UTF-8 with no control characters (C0, DEL, C1).
bool IsPrintableUtf8(std::string_view s);
// `s` as valid UTF-8 (each invalid byte becomes U+FFFD) without control characters (each becomes
// U+FFFD; tab and newline become a space), cut to at most `max_bytes` on a character boundary.
std::string SafeText(std::string_view s, size_t max_bytes);
// A URL header made safe without changing which URL it names: every byte of an invalid UTF-8
// sequence, every control character and space percent-encoded (as a browser sends them).
std::string RepairUrl(std::string_view url);
// True for a W3C Trace Context traceparent (version 00, or a later version's 00-compatible
// prefix): lower-case hex fields, trace and parent ids not all zero, version not ff.
bool IsTraceparent(std::string_view s);
// True for a tracestate that can be carried: printable ASCII, at most kMaxTracestateBytes.
bool IsTracestate(std::string_view s);

}  // namespace copydesk::ingest
