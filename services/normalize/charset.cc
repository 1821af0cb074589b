#include <uchardet/uchardet.h>
#include <unicode/ucnv.h>

#include <memory>
#include <string>

#include "normalize/internal.h"

namespace copydesk::normalize::internal {
namespace {

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) { ++i; continue; }
    size_t len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > n) return false;
    for (size_t k = 1; k < len; ++k) if ((p[i + k] & 0xC0) != 0x80) return false;
    if (len == 2 && c < 0xC2) return false;
    if (len == 3) {
      unsigned cp = ((c & 0x0F) << 12) | ((p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F);
      if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    }
    if (len == 4) {
      unsigned cp = ((c & 0x07) << 18) | ((p[i + 1] & 0x3F) << 12) | ((p[i + 2] & 0x3F) << 6) | (p[i + 3] & 0x3F);
      if (cp < 0x10000 || cp > 0x10FFFF) return false;
    }
    i += len;
  }
  return true;
}

Result<std::string> Convert(std::string_view bytes, const std::string& charset) {
  UErrorCode status = U_ZERO_ERROR;
  UConverter* conv = ucnv_open(charset.c_str(), &status);
  if (U_FAILURE(status)) return Error{v1::ERROR_CODE_UNSUPPORTED_CHARSET, "unsupported charset '" + charset + "'"};
  std::unique_ptr<UConverter, decltype(&ucnv_close)> holder(conv, ucnv_close);
  std::string out(bytes.size() * 3 + 16, '\0');
  status = U_ZERO_ERROR;
  UConverter* utf8 = ucnv_open("UTF-8", &status);
  std::unique_ptr<UConverter, decltype(&ucnv_close)> utf8_holder(utf8, ucnv_close);
  char* target = out.data();
  const char* source = bytes.data();
  status = U_ZERO_ERROR;
  ucnv_convertEx(utf8, conv, &target, out.data() + out.size(), &source, bytes.data() + bytes.size(), nullptr,
                 nullptr, nullptr, nullptr, true, true, &status);
  if (U_FAILURE(status)) return Error{v1::ERROR_CODE_UNSUPPORTED_CHARSET, "cannot decode bytes as '" + charset + "'"};
  out.resize(static_cast<size_t>(target - out.data()));
  return out;
}

}  // namespace

Result<std::string> ToUtf8(std::string_view bytes, std::string_view declared_charset, std::string* charset_used) {
  std::string cs(declared_charset);
  if (bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xEF &&
      static_cast<unsigned char>(bytes[1]) == 0xBB && static_cast<unsigned char>(bytes[2]) == 0xBF) {
    bytes.remove_prefix(3);
    cs = "utf-8";
  }
  for (auto& c : cs) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (cs.empty() || cs == "utf-8" || cs == "utf8") {
    if (IsValidUtf8(bytes)) {
      if (charset_used) *charset_used = "utf-8";
      return std::string(bytes);
    }
    // Declared UTF-8 (or nothing) but not valid: detect.
    uchardet_t ud = uchardet_new();
    uchardet_handle_data(ud, bytes.data(), bytes.size());
    uchardet_data_end(ud);
    cs = uchardet_get_charset(ud);
    uchardet_delete(ud);
    if (cs.empty() || cs == "UTF-8" || cs == "ASCII") cs = "windows-1252";
  }
  if (charset_used) *charset_used = cs;
  return Convert(bytes, cs);
}

}  // namespace copydesk::normalize::internal
