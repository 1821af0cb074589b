// UTF-8 validation, shared by the decoders and the ingest edge.
#pragma once

#include <string_view>

namespace copydesk::normalize {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace copydesk::normalize
