// Canonical URLs (url.h): the WHATWG reading of an http(s) URL by hand where the standard
// differs from RFC 3986 (preprocessing, backslashes, hosts), uriparser for the RFC 3986 parts
// (dot segments, percent-encoding normalization, relative resolution) and ICU for IDNA.
#include "normalize/url.h"

#include <arpa/inet.h>
#include <unicode/bytestream.h>
#include <unicode/idna.h>
#include <unicode/stringpiece.h>
#include <uriparser/Uri.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "normalize/ascii.h"
#include "normalize/internal.h"

namespace copydesk::normalize {
namespace {

bool IsTrackingParam(std::string_view name) {
  std::string n = AsciiLower(name);
  if (n.rfind("utm_", 0) == 0) return true;
  static constexpr std::string_view kNames[] = {
      "fbclid",      "gclid",  "dclid",     "msclkid",     "mc_cid",      "mc_eid",    "igshid",
      "_ga",         "yclid",  "ocid",      "cmpid",       "ns_mchannel", "ns_source", "ns_campaign",
      "ns_linkname", "ns_fee", "at_medium", "at_campaign", "smid",        "ref_src"};
  return std::find(std::begin(kNames), std::end(kNames), n) != std::end(kNames);
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}
int HexValue(char c) {
  return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

// Percent-encodes, for uriparser, what RFC 3986 does not allow in a path or query: controls,
// space, '"', '<', '>', '\', '^', '`', '{', '|', '}', '[', ']', bytes >= 0x80, and a '%' not
// followed by two hex digits; in a query also '\'' (the WHATWG special-query set). The WHATWG
// path and query percent-encode sets are subsets of these.
void AppendEncoded(std::string_view s, std::string& out, bool query = false) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    bool encode = c <= 0x20 || c >= 0x7F;
    switch (c) {
      case '"':
      case '<':
      case '>':
      case '\\':
      case '^':
      case '`':
      case '{':
      case '|':
      case '}':
      case '[':
      case ']': encode = true; break;
      case '%': encode = !(i + 2 < s.size() && IsHex(s[i + 1]) && IsHex(s[i + 2])); break;
      case '\'': encode = query; break;
      default: break;
    }
    if (encode) {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && IsHex(s[i + 1]) && IsHex(s[i + 2])) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// The WHATWG IPv4 number parser: decimal, "0x" hex or leading-zero octal; nullopt on failure.
std::optional<uint64_t> Ipv4Number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int base = 10;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() >= 2 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  uint64_t v = 0;
  for (char c : s) {
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (base == 16 && IsHex(c)) d = HexValue(c);
    if (d < 0 || d >= base) return std::nullopt;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    if (v > 0xFFFFFFFFull * 256) return std::nullopt;  // far out of range: stop growing
  }
  return v;
}

// The WHATWG "ends in a number" check and IPv4 parser. Returns 0 when `host` is not meant as an
// IPv4 address, 1 and the dotted form in *out when it is one, -1 when it is an invalid one.
int ParseIpv4(std::string_view host, std::string* out) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t dot = host.find('.', start);
    parts.push_back(host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() > 1 && parts.back().empty()) parts.pop_back();
  const std::string_view last = parts.back();
  const bool all_digits =
      !last.empty() && std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; });
  const bool hex = last.size() >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X') &&
                   std::all_of(last.begin() + 2, last.end(), IsHex);
  if (!all_digits && !hex) return 0;
  if (parts.size() > 4) return -1;
  std::vector<uint64_t> numbers;
  for (auto p : parts) {
    auto v = Ipv4Number(p);
    if (!v) return -1;
    numbers.push_back(*v);
  }
  for (size_t i = 0; i + 1 < numbers.size(); ++i) {
    if (numbers[i] > 255) return -1;
  }
  if (numbers.back() >= (1ull << (8 * (5 - numbers.size())))) return -1;
  uint64_t ip = numbers.back();
  for (size_t i = 0; i + 1 < numbers.size(); ++i) ip += numbers[i] << (8 * (3 - i));
  *out = std::to_string((ip >> 24) & 255) + "." + std::to_string((ip >> 16) & 255) + "." +
         std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
  return 1;
}

// "[...]" -> the WHATWG IPv6 serialization (lower-case hex, the first longest run of two or more
// zero pieces compressed); "" when invalid.
std::string ParseIpv6(std::string_view bracketed) {
  std::string inner(bracketed.substr(1, bracketed.size() - 2));
  std::array<unsigned char, 16> addr{};
  if (inet_pton(AF_INET6, inner.c_str(), addr.data()) != 1) return "";
  std::array<uint16_t, 8> pieces{};
  for (size_t i = 0; i < 8; ++i) pieces[i] = static_cast<uint16_t>(addr[2 * i] << 8 | addr[2 * i + 1]);
  int best = -1, best_len = 1;
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && pieces[static_cast<size_t>(j)] == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j == i ? i + 1 : j;
  }
  std::string out = "[";
  char buf[8];
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += i == 0 ? "::" : ":";
      i += best_len - 1;
      continue;
    }
    std::snprintf(buf, sizeof(buf), "%x", pieces[static_cast<size_t>(i)]);
    out += buf;
    if (i < 7) out += ':';
  }
  out += ']';
  return out;
}

const icu::IDNA* Uts46() {
  static const icu::IDNA* idna = [] {
    UErrorCode status = U_ZERO_ERROR;
    icu::IDNA* p = icu::IDNA::createUTS46Instance(
        UIDNA_NONTRANSITIONAL_TO_ASCII | UIDNA_CHECK_BIDI | UIDNA_CHECK_CONTEXTJ, status);
    return U_SUCCESS(status) ? p : nullptr;
  }();
  return idna;
}

// The WHATWG host parser for a special scheme: "" on failure.
std::string ParseHost(std::string_view raw) {
  if (raw.empty()) return "";
  if (raw.front() == '[') return raw.back() == ']' ? ParseIpv6(raw) : "";
  const std::string decoded = PercentDecode(raw);
  std::string ascii;
  const bool plain = std::all_of(decoded.begin(), decoded.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
  if (plain && AsciiLower(decoded).find("xn--") == std::string::npos) {
    ascii = AsciiLower(decoded);
  } else {
    const icu::IDNA* idna = Uts46();
    if (!idna) return "";
    UErrorCode status = U_ZERO_ERROR;
    icu::IDNAInfo info;
    icu::StringByteSink<std::string> sink(&ascii);
    idna->nameToASCII_UTF8(icu::StringPiece(decoded.data(), static_cast<int32_t>(decoded.size())), sink, info,
                           status);
    // The standard's "domain to ASCII" checks neither hyphens nor DNS lengths.
    constexpr uint32_t kIgnored = UIDNA_ERROR_EMPTY_LABEL | UIDNA_ERROR_LABEL_TOO_LONG |
                                  UIDNA_ERROR_DOMAIN_NAME_TOO_LONG | UIDNA_ERROR_LEADING_HYPHEN |
                                  UIDNA_ERROR_TRAILING_HYPHEN | UIDNA_ERROR_HYPHEN_3_4;
    if (U_FAILURE(status) || (info.getErrors() & ~kIgnored) != 0 || ascii.empty()) return "";
  }
  for (unsigned char c : ascii) {  // forbidden domain code points
    if (c <= 0x20 || c == 0x7F || c == '#' || c == '%' || c == '/' || c == ':' || c == '<' || c == '>' ||
        c == '?' || c == '@' || c == '[' || c == '\\' || c == ']' || c == '^' || c == '|')
      return "";
  }
  std::string ipv4;
  const int v4 = ParseIpv4(ascii, &ipv4);
  if (v4 < 0) return "";
  return v4 > 0 ? ipv4 : ascii;
}

// Owns the members of a parsed uriparser URI.
struct UriHolder {
  UriUriA uri{};
  bool parsed = false;
  UriHolder() = default;
  UriHolder(const UriHolder&) = delete;
  UriHolder& operator=(const UriHolder&) = delete;
  ~UriHolder() {
    if (parsed) uriFreeUriMembersA(&uri);
  }
  bool Parse(const std::string& text) {
    const char* error = nullptr;
    parsed = uriParseSingleUriA(&uri, text.c_str(), &error) == URI_SUCCESS;
    return parsed;
  }
  std::optional<std::string> ToString() const {
    int chars = 0;
    if (uriToStringCharsRequiredA(&uri, &chars) != URI_SUCCESS) return std::nullopt;
    std::string out(static_cast<size_t>(chars) + 1, '\0');
    if (uriToStringA(out.data(), &uri, chars + 1, nullptr) != URI_SUCCESS) return std::nullopt;
    out.resize(static_cast<size_t>(chars));
    return out;
  }
};

// Path and query ("/a/../b?x=1") with dot segments removed and percent-encoding normalized by
// uriparser, and tracking parameters dropped from the query.
std::optional<std::string> NormalizePathQuery(std::string_view path, std::string_view query, bool has_query) {
  // A placeholder authority: uriparser normalizes the path and query of an absolute URI.
  std::string text = "http://h";
  if (path.empty() || path.front() != '/') text += '/';
  // "%2e" is '.', so an encoded dot segment is one (the standard says so; RFC 3986 agrees once
  // unreserved characters are decoded).
  AppendEncoded(path, text);
  if (has_query) {
    text += '?';
    AppendEncoded(query, text, /*query=*/true);
  }
  for (size_t p = 0; (p = text.find("%2", p)) != std::string::npos;) {
    if (p + 2 < text.size() && (text[p + 2] == 'e' || text[p + 2] == 'E')) {
      text.replace(p, 3, ".");
    } else {
      ++p;
    }
  }
  UriHolder u;
  if (!u.Parse(text)) return std::nullopt;
  if (uriNormalizeSyntaxExA(&u.uri, URI_NORMALIZE_PATH | URI_NORMALIZE_QUERY) != URI_SUCCESS)
    return std::nullopt;
  auto s = u.ToString();
  if (!s) return std::nullopt;
  std::string out = s->substr(8);  // after "http://h"
  if (out.empty() || out.front() != '/') out.insert(0, "/");
  const size_t q = out.find('?');
  if (q == std::string::npos) return out;
  std::string kept;
  std::string_view params = std::string_view(out).substr(q + 1);
  while (!params.empty()) {
    const size_t amp = params.find('&');
    std::string_view kv = params.substr(0, amp);
    if (!kv.empty() && !IsTrackingParam(kv.substr(0, kv.find('=')))) {
      kept += kept.empty() ? '?' : '&';
      kept += kv;
    }
    if (amp == std::string_view::npos) break;
    params.remove_prefix(amp + 1);
  }
  out.resize(q);
  return out + kept;
}

// WHATWG preprocessing: no leading/trailing C0 control or space, no tab or newline anywhere.
std::string Preprocess(std::string_view url) {
  while (!url.empty() && static_cast<unsigned char>(url.front()) <= 0x20) url.remove_prefix(1);
  while (!url.empty() && static_cast<unsigned char>(url.back()) <= 0x20) url.remove_suffix(1);
  std::string out;
  out.reserve(url.size());
  for (char c : url) {
    if (c != '\t' && c != '\n' && c != '\r') out.push_back(c);
  }
  return out;
}

// The scheme in lower case when `s` starts with one ("" when not), and the rest after ':'.
std::string SchemeOf(std::string_view s, std::string_view* rest) {
  if (s.empty() || !((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z')) return "";
  size_t i = 1;
  while (i < s.size() &&
         (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
    ++i;
  if (i >= s.size() || s[i] != ':') return "";
  *rest = s.substr(i + 1);
  return AsciiLower(s.substr(0, i));
}

std::string Canonical(std::string_view url) {
  const std::string pre = Preprocess(url);
  std::string_view rest;
  const std::string scheme = SchemeOf(pre, &rest);
  if (scheme != "http" && scheme != "https") return "";
  // Special authority: any run of '/' or '\' after the scheme, then the authority up to the
  // first '/', '\', '?' or '#'.
  while (!rest.empty() && (rest.front() == '/' || rest.front() == '\\')) rest.remove_prefix(1);
  rest = rest.substr(0, rest.find('#'));
  const size_t auth_end = rest.find_first_of("/\\?");
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view tail = auth_end == std::string_view::npos ? std::string_view() : rest.substr(auth_end);
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view host_part = authority;
  std::string_view port;
  const size_t bracket = authority.rfind(']');
  const size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    host_part = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  const std::string host = ParseHost(host_part);
  if (host.empty()) return "";
  std::string out = scheme + "://" + host;
  if (!port.empty()) {
    if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) return "";
    const size_t nz = port.find_first_not_of('0');
    const std::string_view digits = nz == std::string_view::npos ? std::string_view("0") : port.substr(nz);
    if (digits.size() > 5 || std::stoul(std::string(digits)) > 65535) return "";
    const bool is_default = (scheme == "http" && digits == "80") || (scheme == "https" && digits == "443");
    if (!is_default) out += ":" + std::string(digits);
  }
  const size_t q = tail.find('?');
  std::string path(tail.substr(0, q));
  std::replace(path.begin(), path.end(), '\\', '/');
  auto pq = NormalizePathQuery(path, q == std::string_view::npos ? std::string_view() : tail.substr(q + 1),
                               q != std::string_view::npos);
  if (!pq) return "";
  return out + *pq;
}

}  // namespace

std::string CanonicalUrl(std::string_view url) {
  return Canonical(url);
}

std::string ResolveUrl(std::string_view base, std::string_view ref) {
  const std::string abs_base = CanonicalUrl(base);
  std::string r = Preprocess(ref);
  std::string_view rest;
  if (!SchemeOf(r, &rest).empty() || abs_base.empty()) return CanonicalUrl(r);
  const std::string scheme = abs_base.substr(0, abs_base.find(':'));
  // '\' is '/' before the query in a special URL.
  const size_t q = r.find_first_of("?#");
  std::replace(r.begin(), q == std::string::npos ? r.end() : r.begin() + static_cast<std::ptrdiff_t>(q), '\\',
               '/');
  if (r.rfind("//", 0) == 0) return CanonicalUrl(scheme + ":" + r);
  r = r.substr(0, r.find('#'));
  std::string encoded;
  AppendEncoded(r, encoded);
  UriHolder b, rel, dest;
  if (!b.Parse(abs_base) || !rel.Parse(encoded)) return "";
  if (uriAddBaseUriA(&dest.uri, &rel.uri, &b.uri) != URI_SUCCESS) return "";
  dest.parsed = true;
  auto s = dest.ToString();
  return s ? CanonicalUrl(*s) : "";
}

namespace internal {

std::string CanonicalizeUrl(std::string_view url) {
  return CanonicalUrl(url);
}

}  // namespace internal
}  // namespace copydesk::normalize
