#include "common/text.h"

#include <cstdint>
#include <cstdio>

#include "common/utf8.h"

namespace copydesk::text {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool Continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// The code point of a valid sequence of `len` bytes at the start of `s`.
uint32_t Decode(std::string_view s, size_t len) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  switch (len) {
    case 1: return b(0);
    case 2: return ((b(0) & 0x1Fu) << 6) | (b(1) & 0x3Fu);
    case 3: return ((b(0) & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
    default: return ((b(0) & 0x07u) << 18) | ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) | (b(3) & 0x3Fu);
  }
}

void AppendHexByte(std::string& out, const char* prefix, unsigned char c) {
  char buf[12];
  std::snprintf(buf, sizeof buf, "%s%02x", prefix, c);
  out += buf;
}

}  // namespace

size_t Utf8SequenceLength(std::string_view s) {
  const auto c0 = static_cast<unsigned char>(s[0]);
  if (c0 < 0x80) return 1;
  size_t len = 0;
  uint32_t min = 0;
  if ((c0 & 0xE0) == 0xC0) {
    len = 2;
    min = 0x80;
  } else if ((c0 & 0xF0) == 0xE0) {
    len = 3;
    min = 0x800;
  } else if ((c0 & 0xF8) == 0xF0) {
    len = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if (!Continuation(static_cast<unsigned char>(s[i]))) return 0;
  }
  const uint32_t cp = Decode(s, len);
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = Utf8SequenceLength(s.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string ToValidUtf8(std::string_view s) {
  if (IsValidUtf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  size_t i = 0;
  while (i < s.size()) {
    const size_t n = Utf8SequenceLength(s.substr(i));
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string_view TruncateUtf8(std::string_view s, size_t max_bytes) {
  return utf8::Truncate(s, max_bytes);
}

void AppendEscaped(std::string& out, std::string_view s, EscapeStyle style) {
  const bool json = style == EscapeStyle::kJson;
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F) {
      if (c == '\\') {
        out += "\\\\";
      } else if (c == '"' && json) {
        out += "\\\"";
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    if (c < 0x80) {  // C0 control or DEL
      switch (c) {
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default: AppendHexByte(out, json ? "\\u00" : "\\x", c);
      }
      ++i;
      continue;
    }
    const size_t n = Utf8SequenceLength(s.substr(i));
    if (n == 0) {  // invalid byte: shown, never passed through
      AppendHexByte(out, json ? "\\\\x" : "\\x", c);
      ++i;
      continue;
    }
    const uint32_t cp = Decode(s.substr(i), n);
    if ((cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029) {
      char buf[16];
      std::snprintf(buf, sizeof buf, json ? "\\u%04x" : "\\u{%04x}", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
}

std::string Escaped(std::string_view s, EscapeStyle style) {
  std::string out;
  out.reserve(s.size());
  AppendEscaped(out, s, style);
  return out;
}

}  // namespace copydesk::text
