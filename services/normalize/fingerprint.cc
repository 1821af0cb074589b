#include "normalize/fingerprint.h"

#include <xxhash.h>

#include <cctype>

namespace copydesk::normalize {

std::vector<std::string_view> Words(std::string_view text, std::string& storage) {
  storage.clear();
  storage.reserve(text.size());
  std::vector<std::pair<size_t, size_t>> spans;
  size_t start = std::string::npos;
  for (unsigned char c : text) {
    bool word = std::isalnum(c) || c >= 0x80;
    if (word) {
      if (start == std::string::npos) start = storage.size();
      storage.push_back(static_cast<char>(std::tolower(c)));
    } else if (start != std::string::npos) {
      spans.emplace_back(start, storage.size() - start);
      start = std::string::npos;
    }
  }
  if (start != std::string::npos) spans.emplace_back(start, storage.size() - start);
  std::vector<std::string_view> out;
  out.reserve(spans.size());
  for (auto [s, n] : spans) out.emplace_back(storage.data() + s, n);
  return out;
}

void ComputeFingerprints(v1::Article& article) {
  auto* fp = article.mutable_fingerprints();
  std::string headline_store, body_store;
  auto hw = Words(article.headline(), headline_store);
  auto bw = Words(article.body_text(), body_store);
  auto hash_words = [](const std::vector<std::string_view>& w) {
    XXH3_state_t* st = XXH3_createState();
    XXH3_64bits_reset(st);
    for (auto s : w) {
      XXH3_64bits_update(st, s.data(), s.size());
      XXH3_64bits_update(st, " ", 1);
    }
    uint64_t h = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    return h;
  };
  fp->set_headline_hash(hash_words(hw));
  fp->set_body_hash(hash_words(bw));
  fp->set_content_hash(fp->headline_hash() ^ (fp->body_hash() * 0x9E3779B97F4A7C15ull));
  // SimHash over word 3-shingles.
  int acc[64] = {0};
  for (size_t i = 0; i + 3 <= bw.size(); ++i) {
    uint64_t h = 0;
    for (size_t k = 0; k < 3; ++k) h = XXH3_64bits_withSeed(bw[i + k].data(), bw[i + k].size(), h);
    for (int b = 0; b < 64; ++b) acc[b] += ((h >> b) & 1) ? 1 : -1;
  }
  uint64_t sim = 0;
  for (int b = 0; b < 64; ++b) if (acc[b] > 0) sim |= (1ull << b);
  fp->set_simhash(sim);
}

}  // namespace copydesk::normalize
