// Charset handling: BOM, declared charset (content type / <meta> / http-equiv), validation of
// the declaration, and a uchardet fallback when nothing is declared or the declaration is wrong.
#include "normalize/html/charset.h"

#include <uchardet/uchardet.h>
#include <unicode/ucnv.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>
#include <string>

#include "normalize/internal.h"

namespace copydesk::normalize {
namespace html {
namespace {

std::string LowerTrim(std::string_view s) {
  while (!s.empty() &&
         (std::isspace(static_cast<unsigned char>(s.front())) || s.front() == '"' || s.front() == '\''))
    s.remove_prefix(1);
  while (!s.empty() &&
         (std::isspace(static_cast<unsigned char>(s.back())) || s.back() == '"' || s.back() == '\''))
    s.remove_suffix(1);
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Finds `charset=` in a content attribute value and returns the label.
std::string CharsetFromContent(std::string_view content) {
  std::string lower = LowerTrim(content);
  auto pos = lower.find("charset");
  if (pos == std::string::npos) return "";
  pos += 7;
  while (pos < lower.size() && std::isspace(static_cast<unsigned char>(lower[pos]))) ++pos;
  if (pos >= lower.size() || lower[pos] != '=') return "";
  ++pos;
  while (pos < lower.size() &&
         (std::isspace(static_cast<unsigned char>(lower[pos])) || lower[pos] == '"' || lower[pos] == '\''))
    ++pos;
  size_t end = pos;
  while (end < lower.size() && !std::isspace(static_cast<unsigned char>(lower[end])) && lower[end] != ';' &&
         lower[end] != '"' && lower[end] != '\'')
    ++end;
  return lower.substr(pos, end - pos);
}

}  // namespace

std::string CanonicalCharset(std::string_view label) {
  std::string l = LowerTrim(label);
  if (l.empty()) return l;
  if (l == "utf8" || l == "utf-8" || l == "unicode-1-1-utf-8" || l == "x-unicode20utf8") return "utf-8";
  // A <meta> that says UTF-16 in an ASCII-compatible document means UTF-8 (HTML spec).
  if (l == "utf-16" || l == "unicode" || l == "ucs-2") return "utf-8";
  if (l == "iso-8859-1" || l == "iso8859-1" || l == "latin1" || l == "latin-1" || l == "l1" ||
      l == "us-ascii" || l == "ascii" || l == "iso_8859-1" || l == "cp1252" || l == "windows-1252" ||
      l == "x-cp1252" || l == "ansi_x3.4-1968" || l == "cp819" || l == "ibm819")
    return "windows-1252";
  if (l == "gb2312" || l == "gbk" || l == "x-gbk" || l == "gb_2312-80" || l == "euc-cn" || l == "cp936" ||
      l == "gb18030" || l == "chinese" || l == "csgb2312" || l == "iso-ir-58")
    return "gb18030";
  if (l == "shift_jis" || l == "shift-jis" || l == "sjis" || l == "x-sjis" || l == "ms_kanji" ||
      l == "windows-31j" || l == "csshiftjis" || l == "ms932" || l == "cp932")
    return "shift_jis";
  if (l == "euc-kr" || l == "ks_c_5601-1987" || l == "windows-949" || l == "cp949" || l == "korean")
    return "windows-949";
  if (l == "iso-8859-9" || l == "latin5" || l == "windows-1254") return "windows-1254";
  if (l == "tis-620" || l == "iso-8859-11" || l == "windows-874") return "windows-874";
  if (l == "big5" || l == "big5-hkscs" || l == "x-x-big5") return "big5";
  return l;
}

std::string SniffHtmlCharset(std::string_view bytes) {
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF") return "utf-8";
  if (bytes.size() >= 2 && bytes.substr(0, 2) == "\xFF\xFE") return "utf-16le";
  if (bytes.size() >= 2 && bytes.substr(0, 2) == "\xFE\xFF") return "utf-16be";
  std::string_view head = bytes.substr(0, 4096);
  // XML declaration
  if (head.rfind("<?xml", 0) == 0) {
    auto end = head.find("?>");
    std::string decl(head.substr(0, end));
    std::transform(decl.begin(), decl.end(), decl.begin(), [](unsigned char c) { return std::tolower(c); });
    auto pos = decl.find("encoding=");
    if (pos != std::string::npos) {
      pos += 9;
      char q = pos < decl.size() ? decl[pos] : 0;
      if (q == '"' || q == '\'') {
        auto close = decl.find(q, pos + 1);
        if (close != std::string::npos) return decl.substr(pos + 1, close - pos - 1);
      }
    }
  }
  size_t i = 0;
  while (true) {
    i = head.find('<', i);
    if (i == std::string_view::npos || i + 5 >= head.size()) return "";
    if (head.compare(i, 4, "<!--") == 0) {
      auto e = head.find("-->", i + 4);
      if (e == std::string_view::npos) return "";
      i = e + 3;
      continue;
    }
    const bool is_meta = (head[i + 1] | 0x20) == 'm' && (head[i + 2] | 0x20) == 'e' &&
                         (head[i + 3] | 0x20) == 't' && (head[i + 4] | 0x20) == 'a' &&
                         (std::isspace(static_cast<unsigned char>(head[i + 5])) || head[i + 5] == '/');
    auto gt = head.find('>', i);
    if (gt == std::string_view::npos) return "";
    if (!is_meta) {
      i = gt;
      continue;
    }
    std::string tag = LowerTrim(head.substr(i + 5, gt - i - 5));
    // <meta charset="...">
    auto cpos = tag.find("charset");
    bool http_equiv =
        tag.find("http-equiv") != std::string::npos && tag.find("content-type") != std::string::npos;
    if (cpos != std::string::npos) {
      size_t p = cpos + 7;
      while (p < tag.size() && std::isspace(static_cast<unsigned char>(tag[p]))) ++p;
      if (p < tag.size() && tag[p] == '=') {
        ++p;
        while (p < tag.size() &&
               (std::isspace(static_cast<unsigned char>(tag[p])) || tag[p] == '"' || tag[p] == '\''))
          ++p;
        size_t e = p;
        while (e < tag.size() && !std::isspace(static_cast<unsigned char>(tag[e])) && tag[e] != '"' &&
               tag[e] != '\'' && tag[e] != ';' && tag[e] != '/')
          ++e;
        // either <meta charset=x> or inside http-equiv content="...; charset=x"
        if (e > p) return tag.substr(p, e - p);
      }
    }
    if (http_equiv) {
      std::string c = CharsetFromContent(tag);
      if (!c.empty()) return c;
    }
    i = gt;
  }
}

}  // namespace html

namespace internal {
namespace {

using ConverterPtr = std::unique_ptr<UConverter, decltype(&ucnv_close)>;

bool IsValidUtf8(std::string_view s, bool* has_non_ascii) {
  size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  bool non_ascii = false;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if ((w & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    non_ascii = true;
    size_t len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
    }
    if (len == 2 && c < 0xC2) return false;
    if (len == 3) {
      unsigned cp = ((c & 0x0F) << 12) | ((p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F);
      if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    }
    if (len == 4) {
      unsigned cp =
          ((c & 0x07) << 18) | ((p[i + 1] & 0x3F) << 12) | ((p[i + 2] & 0x3F) << 6) | (p[i + 3] & 0x3F);
      if (cp < 0x10000 || cp > 0x10FFFF) return false;
    }
    i += len;
  }
  if (has_non_ascii) *has_non_ascii = non_ascii;
  return true;
}

bool IsSingleByte(const std::string& cs) {
  return cs.rfind("windows-12", 0) == 0 || cs.rfind("iso-8859", 0) == 0 || cs.rfind("koi8", 0) == 0 ||
         cs == "windows-874" || cs.rfind("mac", 0) == 0 || cs.rfind("ibm", 0) == 0 || cs.rfind("cp", 0) == 0;
}

// Converts with ICU. strict: fail on an illegal or unmappable sequence instead of substituting.
Result<std::string> Convert(std::string_view bytes, const std::string& charset, bool strict) {
  UErrorCode status = U_ZERO_ERROR;
  ConverterPtr conv(ucnv_open(charset.c_str(), &status), ucnv_close);
  if (U_FAILURE(status)) {
    return Error{v1::ERROR_CODE_UNSUPPORTED_CHARSET, "unsupported charset '" + charset + "'"};
  }
  if (strict) {
    status = U_ZERO_ERROR;
    ucnv_setToUCallBack(conv.get(), UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);
  }
  status = U_ZERO_ERROR;
  ConverterPtr utf8(ucnv_open("UTF-8", &status), ucnv_close);
  if (U_FAILURE(status)) return Error{v1::ERROR_CODE_INTERNAL, "ICU has no UTF-8 converter"};
  std::string out(bytes.size() * 3 + 16, '\0');
  char* target = out.data();
  const char* source = bytes.data();
  status = U_ZERO_ERROR;
  ucnv_convertEx(utf8.get(), conv.get(), &target, out.data() + out.size(), &source,
                 bytes.data() + bytes.size(), nullptr, nullptr, nullptr, nullptr, true, true, &status);
  if (U_FAILURE(status)) {
    return Error{v1::ERROR_CODE_UNSUPPORTED_CHARSET, "cannot decode bytes as '" + charset + "'"};
  }
  out.resize(static_cast<size_t>(target - out.data()));
  return out;
}

// uchardet's guess, canonicalized; "" when it has none.
std::string Detect(std::string_view bytes) {
  std::unique_ptr<std::remove_pointer_t<uchardet_t>, decltype(&uchardet_delete)> ud(uchardet_new(),
                                                                                    uchardet_delete);
  std::string_view sample = bytes.substr(0, 256 * 1024);
  uchardet_handle_data(ud.get(), sample.data(), sample.size());
  uchardet_data_end(ud.get());
  const char* cs = uchardet_get_charset(ud.get());
  std::string name = cs ? cs : "";
  return html::CanonicalCharset(name);
}

}  // namespace

Result<std::string> ToUtf8(std::string_view bytes, std::string_view declared_charset,
                           std::string* charset_used) {
  std::string cs = html::CanonicalCharset(declared_charset);
  auto set_used = [&](const std::string& c) {
    if (charset_used) *charset_used = c;
  };
  // A BOM wins over any declaration.
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF") {
    bytes.remove_prefix(3);
    cs = "utf-8";
  } else if (bytes.size() >= 2 && (bytes.substr(0, 2) == "\xFF\xFE" || bytes.substr(0, 2) == "\xFE\xFF")) {
    std::string u16 = bytes[0] == '\xFF' ? "utf-16le" : "utf-16be";
    bytes.remove_prefix(2);
    set_used(u16);
    return Convert(bytes, u16, false);
  }
  bool non_ascii = false;
  const bool valid_utf8 = IsValidUtf8(bytes, &non_ascii);
  if (cs.empty() || cs == "utf-8") {
    if (valid_utf8) {
      set_used("utf-8");
      return std::string(bytes);
    }
    cs.clear();  // undeclared, or declared UTF-8 but not: detect
  } else if (valid_utf8 && non_ascii &&
             (IsSingleByte(cs) || cs == "shift_jis" || cs == "gb18030" || cs == "windows-949" ||
              cs == "big5" || cs.rfind("euc", 0) == 0)) {
    // Declared a legacy charset, but the bytes are well-formed UTF-8 with non-ASCII
    // characters: legacy text is practically never valid UTF-8 by chance.
    set_used("utf-8");
    return std::string(bytes);
  } else if (!non_ascii && valid_utf8) {
    set_used(cs);
    return std::string(bytes);  // pure ASCII decodes the same in every ASCII-compatible charset
  }
  if (!cs.empty()) {
    auto strict = Convert(bytes, cs, true);
    if (strict.ok()) {
      set_used(cs);
      return strict;
    }
    if (strict.error().reason.rfind("unsupported", 0) == 0) cs.clear();
  }
  // Undeclared or wrong declaration: ask the detector.
  std::string detected = Detect(bytes);
  if (detected.empty() || detected == "utf-8") detected = cs.empty() ? "windows-1252" : cs;
  auto conv = Convert(bytes, detected, true);
  if (conv.ok()) {
    set_used(detected);
    return conv;
  }
  // Nothing decodes cleanly: substitute what cannot be decoded.
  const std::string fallback = !cs.empty() ? cs : detected;
  set_used(fallback);
  return Convert(bytes, fallback, false);
}

}  // namespace internal
}  // namespace copydesk::normalize
