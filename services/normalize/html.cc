// The HTML decoder: charset -> UTF-8, a compact tree (html/dom.h), metadata (html/meta.h) and
// body extraction (html/extract.h), then NFC on every text field it wrote.
#include <string>

#include "normalize/deadline.h"
#include "normalize/html/charset.h"
#include "normalize/html/dom.h"
#include "normalize/html/extract.h"
#include "normalize/html/meta.h"
#include "normalize/html/sanitize.h"
#include "normalize/internal.h"
#include "normalize/unicode.h"

namespace copydesk::normalize::internal {
namespace {

int64_t Deadline(const Limits& limits) {
  return DeadlineFor(limits);
}

void NfcFields(v1::Article& out) {
  NfcInPlace(*out.mutable_headline());
  NfcInPlace(*out.mutable_standfirst());
  NfcInPlace(*out.mutable_byline());
  for (auto& a : *out.mutable_authors()) NfcInPlace(*a.mutable_name());
  for (auto& b : *out.mutable_body()) NfcInPlace(*b.mutable_text());
  for (auto& c : *out.mutable_captions()) NfcInPlace(*c.mutable_text());
  for (auto& q : *out.mutable_pull_quotes()) {
    NfcInPlace(*q.mutable_text());
    NfcInPlace(*q.mutable_attribution());
  }
  for (auto& s : *out.mutable_section_path()) NfcInPlace(s);
  if (out.has_located()) {
    NfcInPlace(*out.mutable_located()->mutable_name());
    NfcInPlace(*out.mutable_located()->mutable_city());
    NfcInPlace(*out.mutable_located()->mutable_dateline());
  }
}

}  // namespace

Status ExtractHtmlFragment(std::string_view utf8_html, const Limits& limits, v1::Article& out) {
  auto doc = html::Parse(utf8_html, limits, Deadline(limits));
  if (!doc.ok()) return doc.error();
  html::ExtractOptions opts;
  opts.fragment = true;
  opts.headline = out.headline();
  opts.deadline_ns = Deadline(limits);
  v1::Article tmp;
  auto st = html::ExtractBody(doc.value(), opts, tmp);
  if (!st.ok()) return st;
  NfcFields(tmp);
  for (auto& b : *tmp.mutable_body()) *out.add_body() = std::move(b);
  for (auto& c : *tmp.mutable_captions()) *out.add_captions() = std::move(c);
  for (auto& q : *tmp.mutable_pull_quotes()) *out.add_pull_quotes() = std::move(q);
  for (auto& m : *tmp.mutable_media()) *out.add_media() = std::move(m);
  for (auto& r : *tmp.mutable_related()) *out.add_related() = std::move(r);
  if (out.headline().empty() && !doc->title.empty()) out.set_headline(ToNfc(doc->title));
  if (out.body_html().empty()) out.set_body_html(ToNfc(html::SanitizeHtml(doc.value())));
  return OkStatus();
}

std::string SanitizedHtml(std::string_view utf8_html, const Limits& limits) {
  auto doc = html::Parse(utf8_html, limits, Deadline(limits));
  if (!doc.ok()) return "";
  return ToNfc(html::SanitizeHtml(doc.value()));
}

Status DecodeHtml(std::string_view bytes, const Metadata& meta, const Limits& limits, v1::Article& out) {
  const int64_t deadline = Deadline(limits);
  std::string declared = meta.charset;
  if (declared.empty()) declared = html::SniffHtmlCharset(bytes);
  std::string charset;
  auto utf8 = ToUtf8(bytes, declared, &charset);
  if (!utf8.ok()) return utf8.error();
  out.mutable_provenance()->set_charset(charset);
  auto doc = html::Parse(utf8.value(), limits, deadline);
  if (!doc.ok()) return doc.error();
  html::PageMeta page = html::ExtractMetadata(doc.value(), meta, out, deadline);
  if (PastDeadline(deadline)) return Error{v1::ERROR_CODE_TIMEOUT, "HTML metadata exceeded the time limit"};
  html::ExtractOptions opts;
  opts.headline = out.headline();
  opts.hint_body = page.hint_body;
  opts.base_url = page.base_url;
  opts.deadline_ns = deadline;
  auto st = html::ExtractBody(doc.value(), opts, out);
  if (!st.ok()) return st;
  html::ExtractDateline(out);
  NfcFields(out);
  // A page's markup is mostly not its story: the body's markup is rendered from its blocks.
  out.set_body_html(html::BlocksToHtml(out.body()));
  return OkStatus();
}

}  // namespace copydesk::normalize::internal
