// Charset sniffing for HTML bytes (BOM, <meta charset>, http-equiv Content-Type, XML declaration).
// Decoding itself is internal::ToUtf8 (charset.cc).
#pragma once

#include <string>
#include <string_view>

namespace copydesk::normalize::html {

// The charset an HTML document declares in its first 4096 bytes ("" when none). A BOM wins.
std::string SniffHtmlCharset(std::string_view bytes);

// Maps a charset label to the name ICU should decode it with (WHATWG-style aliases:
// iso-8859-1 and us-ascii decode as windows-1252, gb2312 as GB18030, ...). Lower case.
std::string CanonicalCharset(std::string_view label);

}  // namespace copydesk::normalize::html
