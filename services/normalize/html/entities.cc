#include "normalize/html/entities.h"

#include <algorithm>
#include <cstdint>

#include "common/utf8.h"

namespace copydesk::normalize::html {
namespace {

#include "normalize/html/entities_table.inc"

// Windows-1252 for numeric references in 0x80..0x9F (the tokenizer's replacement table; the
// five undefined positions keep their code point).
constexpr uint16_t kCp1252[32] = {0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                  0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D,   0x017D, 0x8F,
                                  0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                  0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};

// The legacy names (no ';') are at most this long ("middot", "curren", ...).
constexpr size_t kLongestLegacyName = 6;

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

const EntityEntry* Find(std::string_view name) {
  const auto* end = std::end(kEntities);
  const auto* it = std::lower_bound(std::begin(kEntities), end, name,
                                    [](const EntityEntry& e, std::string_view n) { return e.name < n; });
  return it != end && it->name == name ? it : nullptr;
}

// Appends a numeric reference's character; `s` starts after "&#". Returns the bytes consumed
// after "&#", 0 when there are no digits (the text stays as written).
size_t DecodeNumeric(std::string_view s, std::string& out) {
  size_t k = 0;
  const bool hex = !s.empty() && (s[0] == 'x' || s[0] == 'X');
  if (hex) ++k;
  uint32_t cp = 0;
  size_t digits = 0;
  for (; k < s.size(); ++k, ++digits) {
    const char c = s[k];
    int d = -1;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
      d = (c | 0x20) - 'a' + 10;
    }
    if (d < 0) break;
    if (cp <= 0x10FFFF) cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
  }
  if (digits == 0) return 0;
  if (k < s.size() && s[k] == ';') ++k;
  if (cp >= 0x80 && cp <= 0x9F) cp = kCp1252[cp - 0x80];
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  utf8::Append(out, cp);
  return k;
}

}  // namespace

size_t MatchNamedReference(std::string_view s, std::string_view* value, bool* legacy) {
  size_t run = 0;
  while (run < s.size() && run < kLongestEntityName && IsAsciiAlnum(s[run])) ++run;
  if (run == 0) return 0;
  // A name with ';' must span the whole run of letters and digits; only the legacy names
  // (without ';') can match a shorter prefix of it.
  if (run < s.size() && s[run] == ';') {
    if (const EntityEntry* e = Find(s.substr(0, run + 1))) {
      *value = e->value;
      *legacy = false;
      return run + 1;
    }
  }
  for (size_t len = std::min(run, kLongestLegacyName); len >= 2; --len) {
    if (const EntityEntry* e = Find(s.substr(0, len))) {
      *value = e->value;
      *legacy = true;
      return len;
    }
  }
  return 0;
}

void DecodeEntities(std::string_view in, std::string& out, bool in_attribute) {
  size_t i = 0;
  const size_t n = in.size();
  while (i < n) {
    const size_t amp = in.find('&', i);
    if (amp == std::string_view::npos) {
      out.append(in.substr(i));
      return;
    }
    out.append(in.substr(i, amp - i));
    i = amp + 1;
    if (i < n && in[i] == '#') {
      const size_t used = DecodeNumeric(in.substr(i + 1), out);
      if (used == 0) {
        out.push_back('&');
      } else {
        i += 1 + used;
      }
      continue;
    }
    std::string_view value;
    bool legacy = false;
    const size_t used = MatchNamedReference(in.substr(i), &value, &legacy);
    const bool kept_in_attribute = used > 0 && legacy && in_attribute && i + used < n &&
                                   (in[i + used] == '=' || IsAsciiAlnum(in[i + used]));
    if (used == 0 || kept_in_attribute) {
      out.push_back('&');
      continue;
    }
    out.append(value);
    i += used;
  }
}

}  // namespace copydesk::normalize::html
