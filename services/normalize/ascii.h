// ASCII case folding shared by the decoders (markup names, boilerplate phrases, month names:
// all ASCII). Locale-independent and much cheaper than std::tolower per byte.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
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

// `s` starts with `lower` (lower case) when A-Z in `s` count as a-z.
inline bool StartsWithAsciiLower(std::string_view s, std::string_view lower) {
  if (s.size() < lower.size()) return false;
  for (size_t i = 0; i < lower.size(); ++i)
    if (AsciiLowerChar(s[i]) != lower[i]) return false;
  return true;
}

// Up to 32 phrases of at least two bytes, in lower case (bytes >= 0x80 match themselves), found
// anywhere in a text ignoring ASCII case, in one pass without copying it: a phrase is compared
// only where its first two bytes are. The same answer as lower-casing the text and calling find()
// for each phrase, at a fraction of the cost on long lines.
template <size_t N>
class PhraseSet {
  static_assert(N >= 1 && N <= 32, "a PhraseSet holds 1 to 32 phrases");

 public:
  consteval explicit PhraseSet(const std::array<std::string_view, N>& phrases) : phrases_(phrases) {
    for (size_t k = 0; k < N; ++k) {
      if (phrases[k].size() < 2) throw "a PhraseSet phrase needs two bytes or more";
      for (size_t j = 0; j < 2; ++j) {
        const auto c = static_cast<unsigned char>(phrases[k][j]);
        if (c >= 'A' && c <= 'Z') throw "PhraseSet phrases are given in lower case";
        at_[j][c] |= 1u << k;
        if (c >= 'a' && c <= 'z') at_[j][c - ('a' - 'A')] |= 1u << k;  // and its upper case
      }
    }
  }

  // Every phrase found (bit k = phrase k), in the same one pass.
  [[nodiscard]] uint32_t Found(std::string_view s) const {
    uint32_t found = 0;
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      uint32_t mask =
          at_[0][static_cast<unsigned char>(s[i])] & at_[1][static_cast<unsigned char>(s[i + 1])] & ~found;
      while (mask != 0) {
        const int k = __builtin_ctz(mask);
        mask &= mask - 1;
        if (StartsWithAsciiLower(s.substr(i), phrases_[static_cast<size_t>(k)])) found |= 1u << k;
      }
    }
    return found;
  }

  [[nodiscard]] bool FoundIn(std::string_view s) const { return Found(s) != 0; }

 private:
  std::array<std::string_view, N> phrases_;
  uint32_t at_[2][256] = {};
};

}  // namespace copydesk::normalize
