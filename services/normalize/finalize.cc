// clang-format off
#include <cstdio>  // compact_lang_det.h uses FILE without including it: keep it first
#include <compact_lang_det.h>
// clang-format on
#include <xxhash.h>

#include <algorithm>
#include <string>

#include "normalize/deadline.h"
#include "normalize/field_pass.h"
#include "normalize/fingerprint.h"
#include "normalize/internal.h"
#include "normalize/unicode.h"

namespace copydesk::normalize::internal {
namespace {

// Words = whitespace-separated runs. Branch-free (arithmetic on the byte's class): a branch per
// word boundary mispredicts once per word.
uint32_t CountWords(std::string_view s) {
  uint32_t n = 0;
  uint32_t prev_space = 1;
  for (unsigned char c : s) {
    const uint32_t space = static_cast<uint32_t>(c == ' ') | static_cast<uint32_t>(c == '\n') |
                           static_cast<uint32_t>(c == '\t') | static_cast<uint32_t>(c == '\r');
    n += (space ^ 1u) & prev_space;
    prev_space = space;
  }
  return n;
}

}  // namespace

Status Finalize(const Metadata& meta, const Limits& limits, size_t input_bytes, v1::Article& out,
                Diagnostics* diagnostics) {
  const int64_t deadline = DeadlineFor(limits);
  const Error timeout{v1::ERROR_CODE_TIMEOUT, "finishing the article exceeded the time limit"};
  if (PastDeadline(deadline)) return timeout;
  // Every decoder's text in NFC (cheap when it already is).
  NfcInPlace(*out.mutable_headline());
  NfcInPlace(*out.mutable_standfirst());
  NfcInPlace(*out.mutable_byline());
  for (auto& b : *out.mutable_body()) NfcInPlace(*b.mutable_text());
  for (auto& c : *out.mutable_captions()) NfcInPlace(*c.mutable_text());
  for (auto& q : *out.mutable_pull_quotes()) NfcInPlace(*q.mutable_text());
  if (out.canonical_url().empty() && !meta.url.empty()) out.set_canonical_url(meta.url);
  // The final field pass: valid, bounded, control-free strings and canonical http(s) URLs in every
  // field, before anything is derived from them.
  SanitizeOptions sanitize;
  sanitize.input_bytes = input_bytes;
  sanitize.entity_expansion = limits.max_entity_expansion;
  sanitize.deadline_ns = deadline;
  if (Status st = SanitizeArticle(out, sanitize, diagnostics); !st.ok()) return st;
  std::string text;
  for (const auto& b : out.body()) {
    if (b.text().empty()) continue;
    if (!text.empty()) text += "\n\n";
    text += b.text();
  }
  if (const size_t max = MaxBodyBytes(input_bytes, limits.max_entity_expansion); text.size() > max) {
    size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
    if (diagnostics) ++diagnostics->strings_truncated;
  }
  out.set_body_text(text);
  out.set_word_count(CountWords(text));
  if (!out.canonical_url().empty() && (out.urls().empty() || out.urls(0) != out.canonical_url())) {
    // The canonical URL first, once.
    auto& urls = *out.mutable_urls();
    urls.erase(std::remove(urls.begin(), urls.end(), out.canonical_url()), urls.end());
    urls.Add(std::string(out.canonical_url()));
    std::rotate(urls.begin(), urls.end() - 1, urls.end());
  }
  if (PastDeadline(deadline)) return timeout;
  if (out.language().empty() && !text.empty()) {
    // The opening of the body decides: 512 bytes of prose (~80 words) are plenty for CLD2, whose
    // time grows with its input (on Reuters bodies 39 us per call at 1 KiB, 17 us at 512 bytes,
    // every one detected English either way). Cut on a UTF-8 sequence boundary.
    constexpr size_t kLanguageSample = 512;
    std::string_view sample = text;
    if (sample.size() > kLanguageSample) {
      size_t cut = kLanguageSample;
      while (cut > 0 && (static_cast<unsigned char>(sample[cut]) & 0xC0) == 0x80) --cut;
      sample = sample.substr(0, cut);
    }
    bool reliable = false;
    CLD2::Language lang =
        CLD2::DetectLanguage(sample.data(), static_cast<int>(sample.size()), true, &reliable);
    if (lang != CLD2::UNKNOWN_LANGUAGE) out.set_language(CLD2::LanguageCode(lang));
  }
  if (!ComputeFingerprints(out, deadline)) return timeout;
  return OkStatus();
}

}  // namespace copydesk::normalize::internal
