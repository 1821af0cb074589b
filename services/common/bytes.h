// Big-endian numbers in byte strings: state keys sort in numeric order when their numbers are
// written big-endian, and fixed-size values read back with the same functions. Header-only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace copydesk::bytes {

// Appends `v` big-endian.
inline void PutBe32(std::string& s, uint32_t v) {
  const uint32_t be = __builtin_bswap32(v);
  s.append(reinterpret_cast<const char*>(&be), sizeof be);
}
inline void PutBe64(std::string& s, uint64_t v) {
  const uint64_t be = __builtin_bswap64(v);
  s.append(reinterpret_cast<const char*>(&be), sizeof be);
}

// The big-endian number of `n` bytes (at most 8) at `pos` of `s`; the caller checks the size.
inline uint64_t GetBe(std::string_view s, size_t pos, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(s[pos + i]);
  return v;
}
inline uint64_t GetBe64(std::string_view s, size_t pos) {
  return GetBe(s, pos, 8);
}
inline uint32_t GetBe32(std::string_view s, size_t pos) {
  return static_cast<uint32_t>(GetBe(s, pos, 4));
}

// Order-preserving map of a signed number to unsigned (the sign bit flipped), so that signed
// times and offsets written big-endian sort numerically; OrderedToSigned undoes it.
inline uint64_t SignedToOrdered(int64_t v) {
  return static_cast<uint64_t>(v) ^ (1ull << 63);
}
inline int64_t OrderedToSigned(uint64_t k) {
  return static_cast<int64_t>(k ^ (1ull << 63));
}

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "PutBe32/PutBe64 swap from little-endian");

}  // namespace copydesk::bytes
