// Minimal JSON output helpers for hand-written JSON lines (CLI output, replay records).
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace copydesk {

// Appends `s` as a quoted JSON string (", \, control characters escaped; UTF-8 passed through).
inline void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
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
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

// `s` as a quoted JSON string.
inline std::string JsonString(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

}  // namespace copydesk
