// ASCII case folding shared by the decoders (markup names, boilerplate phrases, month names:
// all ASCII). Locale-independent and much cheaper than std::tolower per byte.
#pragma once

#include <string>
#include <string_view>

namespace copydesk::normalize {

inline char AsciiLowerChar(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

// `s` with A-Z mapped to a-z; every other byte (UTF-8 included) unchanged.
inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLowerChar(c);
  return out;
}

}  // namespace copydesk::normalize
