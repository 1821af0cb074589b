// UTF-8 validation and encoding, shared by the decoders and the ingest edge.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace copydesk::normalize {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s);

// Appends the UTF-8 encoding of a code point (<= U+10FFFF; callers map surrogates and other
// invalid values to U+FFFD first).
void AppendUtf8(std::string& out, uint32_t cp);

}  // namespace copydesk::normalize
