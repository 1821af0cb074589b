// Minimal JSON output helpers for hand-written JSON (CLI output, replay records, ninjs): every
// string written is valid JSON and valid UTF-8, whatever bytes it came from.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "common/utf8.h"

namespace copydesk {

// Appends `s` as a JSON string: invalid UTF-8 replaced by U+FFFD (one per maximal subpart, as
// browsers decode), quotes, backslashes and control characters escaped, and U+2028/U+2029 too
// (they end lines in JavaScript).
inline void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // A multi-byte sequence; an invalid one (its maximal subpart, as the WHATWG decoder reads
    // it) becomes U+FFFD.
    size_t len = 0;
    const uint32_t cp = utf8::Decode(s, i, &len);
    if (cp == 0x2028 || cp == 0x2029) {
      out += cp == 0x2028 ? "\\u2028" : "\\u2029";
    } else if (cp == 0xFFFD) {
      out += "\xEF\xBF\xBD";
    } else {
      out.append(s.data() + i, len);
    }
    i += len;
  }
  out += '"';
}

// `s` as a quoted JSON string.
inline std::string JsonString(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

}  // namespace copydesk
