// libFuzzer target: the whole normalizer on arbitrary bytes with one content type, fixed at compile
// time (COPYDESK_FUZZ_CONTENT_TYPE). Any crash, sanitizer report, leak, hang or memory blow-up is a
// finding; a rejected input must come back as an Error with a code.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "normalize/normalize.h"

#ifndef COPYDESK_FUZZ_CONTENT_TYPE
#error "define COPYDESK_FUZZ_CONTENT_TYPE"
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace copydesk;
  normalize::Metadata meta;
  meta.content_type = COPYDESK_FUZZ_CONTENT_TYPE;
  meta.url = "https://fuzz.example.com/a/b?utm_source=x";
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto r = normalize::Normalize(bytes, meta);
  if (!r.ok()) {
    // Errors are values with a code, never UNSPECIFIED.
    if (r.error().code == v1::ERROR_CODE_UNSPECIFIED) std::abort();
    return 0;
  }
  // The body text is made of the blocks; the word count is of the body text.
  if (r->body().empty() && !r->body_text().empty()) std::abort();
  return 0;
}
