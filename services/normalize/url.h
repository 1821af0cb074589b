// Canonical URLs: the one form in which copydesk stores and looks up every URL (Article URL
// fields, GetArticleByUrl). Pure and thread-safe.
//
// A URL is read as the WHATWG URL Standard reads an http(s) URL: leading and trailing C0 controls
// and spaces are stripped and tabs and line breaks removed anywhere; the scheme is matched
// without regard to case; '\' counts as '/' before the query; slashes after "http:" may be
// missing or repeated; the host is percent-decoded, mapped with UTS #46 (ICU, non-transitional,
// as the standard's "domain to ASCII") and written in punycode, and IPv4 hosts in any of the
// forms the standard accepts ("0x7f.1", "2130706433") and IPv6 hosts are written in their
// standard serialization. The canonical form then drops what does not identify the resource:
// user name and password, the default port (80 for http, 443 for https), the fragment, and the
// tracking parameters of the query (utm_*, fbclid, gclid, ...); dot segments are resolved
// (uriparser, RFC 3986 section 5.2.4); percent-encoding is normalized (uriparser: hex digits in
// upper case, unreserved characters decoded), and characters that RFC 3986 does not allow in a
// path or query (space, '"', '<', '>', '`', '{', '}', '|', '^', '[', ']', a '%' not followed by
// two hex digits, every byte >= 0x80) are percent-encoded. An empty path is "/".
//
// Only http and https URLs have a canonical form: any other scheme (javascript:, data:,
// vbscript:, file:, ftp:, mailto:, ...), a relative or protocol-relative URL without a base, an
// empty or invalid host, or an invalid port yields "".
#pragma once

#include <string>
#include <string_view>

namespace copydesk::normalize {

// The canonical form of an absolute http(s) URL; "" when `url` has none.
std::string CanonicalUrl(std::string_view url);

// `ref` resolved against `base` (an absolute http(s) URL), in canonical form: "" when the result
// is not an http(s) URL. A protocol-relative `ref` ("//host/path") takes the base's scheme.
std::string ResolveUrl(std::string_view base, std::string_view ref);

}  // namespace copydesk::normalize
