// First cut of the text/plain page-dump decoder: first non-empty line is the headline, the
// remaining lines are paragraphs.
#include <string>

#include "normalize/internal.h"

namespace copydesk::normalize::internal {

Status DecodeText(std::string_view bytes, const Metadata& meta, const Limits&, v1::Article& out) {
  std::string charset;
  auto utf8 = ToUtf8(bytes, meta.charset, &charset);
  if (!utf8.ok()) return utf8.error();
  out.mutable_provenance()->set_charset(charset);
  std::string_view text = utf8.value();
  bool have_headline = false;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.empty()) continue;
    if (!have_headline) {
      out.set_headline(std::string(line));
      have_headline = true;
      continue;
    }
    auto* b = out.add_body();
    b->set_type(v1::BLOCK_TYPE_PARAGRAPH);
    b->set_text(std::string(line));
  }
  return OkStatus();
}

}  // namespace copydesk::normalize::internal
