// Text that leaves the process through a side channel (a log line, a metric label) must be
// valid UTF-8, bounded and escaped, whatever bytes an input carried. These helpers do that in
// one place for every such channel.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace copydesk::text {

// Length in bytes of the valid UTF-8 sequence at the start of `s` (1..4), or 0 when the
// first byte does not start one (stray continuation byte, overlong form, surrogate, beyond
// U+10FFFF, truncated sequence). `s` must not be empty.
size_t Utf8SequenceLength(std::string_view s);

bool IsValidUtf8(std::string_view s);

// `s` with every byte that is not part of a valid UTF-8 sequence replaced by U+FFFD.
std::string ToValidUtf8(std::string_view s);

// The longest prefix of `s` of at most `max_bytes` bytes that does not cut a UTF-8 sequence
// (for valid UTF-8 input).
std::string_view TruncateUtf8(std::string_view s, size_t max_bytes);

// How EscapeForLog writes what cannot appear literally.
enum class EscapeStyle {
  kText,  // \n \r \t \\ \xNN (invalid bytes and C0 controls), \u{NNNN} (C1 controls, U+2028/9)
  kJson,  // JSON string content: \" \\ \n \r \t \u00NN; invalid bytes as the text "\\xNN"
};

// Appends `s` to `out` so that it cannot end or forge a line: control characters (C0, DEL, C1,
// U+2028, U+2029) and invalid UTF-8 are escaped, and so is the escape character itself.
void AppendEscaped(std::string& out, std::string_view s, EscapeStyle style);
std::string Escaped(std::string_view s, EscapeStyle style);

}  // namespace copydesk::text
