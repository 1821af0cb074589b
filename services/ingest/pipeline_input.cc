#include "ingest/pipeline_input.h"

#include <algorithm>
#include <cstdint>

namespace copydesk::ingest {
namespace {

// The length of the valid UTF-8 sequence at s[i] and its code point in *cp; 0 when the bytes
// there are not one (overlong, surrogate, above U+10FFFF, truncated, stray continuation).
size_t Utf8At(std::string_view s, size_t i, uint32_t* cp) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t n = 0;
  uint32_t v = 0, min = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2, v = c & 0x1Fu, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, v = c & 0x0Fu, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, v = c & 0x07u, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return 0;
    v = (v << 6) | (d & 0x3Fu);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return n;
}

bool IsControl(uint32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZero(std::string_view s) {
  return s.find_first_not_of('0') == std::string_view::npos;
}

Error Invalid(std::string_view header, std::string_view why) {
  return Error{v1::ERROR_CODE_INVALID_HEADER, "header '" + std::string(header) + "' " + std::string(why)};
}

// A header that names an identity (or orders versions): used exactly as sent, so it must be
// printable UTF-8 and bounded; "" when absent.
Result<std::string> IdentityHeader(const Record& in, std::string_view name, size_t max_bytes) {
  auto v = in.HeaderValue(name);
  if (!v || v->empty()) return std::string();
  if (v->size() > max_bytes) return Invalid(name, "is longer than " + std::to_string(max_bytes) + " bytes");
  if (!IsPrintableUtf8(*v)) return Invalid(name, "is not valid UTF-8 or has control characters");
  return std::string(*v);
}

}  // namespace

bool IsPrintableUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    const size_t n = Utf8At(s, i, &cp);
    if (n == 0 || IsControl(cp)) return false;
    i += n;
  }
  return true;
}

std::string SafeText(std::string_view s, size_t max_bytes) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(std::min(s.size(), max_bytes));
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    size_t n = Utf8At(s, i, &cp);
    std::string_view piece = s.substr(i, n);
    if (n == 0) {
      piece = kReplacement;
      n = 1;
    } else if (cp == '\t' || cp == '\n' || cp == '\r') {
      piece = " ";
    } else if (IsControl(cp)) {
      piece = kReplacement;
    }
    if (out.size() + piece.size() > max_bytes) break;
    out.append(piece);
    i += n;
  }
  return out;
}

std::string RepairUrl(std::string_view url) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(url.size());
  for (size_t i = 0; i < url.size();) {
    uint32_t cp = 0;
    size_t n = Utf8At(url, i, &cp);
    const bool keep = n != 0 && cp != ' ' && !IsControl(cp);
    if (n == 0) n = 1;
    if (keep) {
      out.append(url.substr(i, n));
    } else {
      for (size_t k = 0; k < n; ++k) {
        const auto b = static_cast<unsigned char>(url[i + k]);
        out += '%';
        out += kHex[b >> 4];
        out += kHex[b & 0xF];
      }
    }
    i += n;
  }
  return out;
}

bool IsTraceparent(std::string_view s) {
  // version "-" trace-id (32) "-" parent-id (16) "-" flags (2): 55 bytes for version 00; a later
  // version may append "-" and more, which a version-00 reader ignores.
  if (s.size() < 55 || s.size() > kMaxTraceparentBytes) return false;
  if (s[2] != '-' || s[35] != '-' || s[52] != '-') return false;
  const std::string_view version = s.substr(0, 2), trace = s.substr(3, 32), parent = s.substr(36, 16),
                         flags = s.substr(53, 2);
  if (!IsLowerHex(version) || !IsLowerHex(trace) || !IsLowerHex(parent) || !IsLowerHex(flags)) return false;
  if (version == "ff" || AllZero(trace) || AllZero(parent)) return false;
  if (version == "00") return s.size() == 55;
  return s.size() == 55 || s[55] == '-';
}

bool IsTracestate(std::string_view s) {
  if (s.size() > kMaxTracestateBytes) return false;
  for (char c : s) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

std::optional<std::string_view> UsableEventId(const Record& in) {
  auto h = in.HeaderValue("event-id");
  if (!h || h->empty() || h->size() > kMaxEventIdBytes || !IsPrintableUtf8(*h)) return std::nullopt;
  return h;
}

Result<InputHeaders> ReadInputHeaders(const Record& in) {
  InputHeaders out;
  if (auto ct = in.HeaderValue("content-type"); ct && !ct->empty()) {
    if (ct->size() > kMaxContentTypeBytes)
      return Invalid("content-type", "is longer than " + std::to_string(kMaxContentTypeBytes) + " bytes");
    for (char c : *ct) {
      if (c < 0x20 || c > 0x7E) return Invalid("content-type", "is not printable ASCII");
    }
    out.content_type = std::string(*ct);
  }
  struct Identity {
    std::string_view name;
    size_t max_bytes;
    std::string* into;
  };
  for (const Identity& h :
       {Identity{"provider", kMaxProviderBytes, &out.provider}, Identity{"guid", kMaxGuidBytes, &out.guid},
        Identity{"version", kMaxVersionBytes, &out.version},
        Identity{"event-id", kMaxEventIdBytes, &out.event_id}}) {
    auto v = IdentityHeader(in, h.name, h.max_bytes);
    if (!v.ok()) return v.error();
    *h.into = std::move(v.value());
  }
  if (auto url = in.HeaderValue("url"); url && !url->empty()) {
    if (url->size() > kMaxUrlBytes)
      return Invalid("url", "is longer than " + std::to_string(kMaxUrlBytes) + " bytes");
    out.url = RepairUrl(*url);
  }
  if (auto tp = in.HeaderValue("traceparent"); tp && IsTraceparent(*tp)) {
    out.traceparent = std::string(*tp);
    if (auto ts = in.HeaderValue("tracestate"); ts && IsTracestate(*ts)) out.tracestate = std::string(*ts);
  }
  return out;
}

}  // namespace copydesk::ingest
