// UTF-8 decoding and encoding, one code point at a time, for code that reads or writes text
// byte by byte (the normalizer's field pass and HTML references, the JSON writer). Header-only, so
// the pure core can use it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace copydesk::utf8 {

// Decodes one UTF-8 sequence at s[i] as the WHATWG decoder does: returns its code point and
// length, or U+FFFD and the length of the maximal invalid subpart (at least 1).
inline uint32_t Decode(std::string_view s, size_t i, size_t* len) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    *len = 1;
    return c;
  }
  size_t need = 0;
  uint32_t cp = 0;
  unsigned char lower = 0x80, upper = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    cp = c & 0x0F;
    if (c == 0xE0) lower = 0xA0;
    if (c == 0xED) upper = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    cp = c & 0x07;
    if (c == 0xF0) lower = 0x90;
    if (c == 0xF4) upper = 0x8F;
  } else {
    *len = 1;
    return 0xFFFD;
  }
  size_t k = 1;
  for (; k <= need; ++k) {
    if (i + k >= s.size()) break;
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (b < lower || b > upper) break;
    lower = 0x80;
    upper = 0xBF;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (k <= need) {
    *len = k;
    return 0xFFFD;
  }
  *len = need + 1;
  return cp;
}

// Appends the UTF-8 encoding of a code point (<= U+10FFFF; callers map surrogates and other
// invalid values to U+FFFD first).
inline void Append(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The longest prefix of `s` of at most `max_bytes` bytes that does not cut a UTF-8 sequence
// (for valid UTF-8 input).
inline std::string_view Truncate(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

}  // namespace copydesk::utf8
