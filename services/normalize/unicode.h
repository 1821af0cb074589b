// Unicode helpers for the normalizer (ICU): NFC normalization of UTF-8 text.
#pragma once

#include <string>
#include <string_view>

namespace copydesk::normalize {

// Returns `utf8` in Unicode Normalization Form C. ASCII and already-normalized text are returned
// unchanged without copying work beyond the check. Invalid sequences become U+FFFD.
std::string ToNfc(std::string_view utf8);

// Normalizes `s` to NFC in place.
void NfcInPlace(std::string& s);

}  // namespace copydesk::normalize
