// Helpers shared by the dedup store tests.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "dedup/dedup.h"
#include "normalize/fingerprint.h"

namespace copydesk::dedup::testing {

// A fresh directory under the test's temp dir, removed at the end.
class TempDir {
 public:
  TempDir() {
    path_ = (std::filesystem::temp_directory_path() /
             ("copydesk-rocks-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++)))
                .string();
    std::filesystem::remove_all(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

inline std::vector<std::string> Paragraphs(uint32_t seed, int n) {
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (int p = 0; p < n; ++p) {
    std::string s;
    for (int w = 0; w < 40; ++w) s += "w" + std::to_string(rng() % 50000) + " ";
    out.push_back(s);
  }
  return out;
}

inline v1::Article Make(const std::string& provider, const std::string& guid,
                        const std::vector<std::string>& paras) {
  v1::Article a;
  a.mutable_provenance()->set_provider(provider);
  a.mutable_provenance()->set_guid(guid);
  a.set_headline("H " + guid);
  std::string text;
  for (const auto& p : paras) {
    a.add_body()->set_text(p);
    if (!text.empty()) text += "\n\n";
    text += p;
  }
  a.set_body_text(text);
  normalize::ComputeFingerprints(a);
  return a;
}

// A stream of `n` articles from two providers with repeated guids (updates, redeliveries) and
// shared paragraphs (near-duplicates).
inline std::vector<v1::Article> MixedStream(int n) {
  std::vector<v1::Article> stream;
  for (int i = 0; i < n; ++i) {
    auto paras = Paragraphs(static_cast<uint32_t>(i % 9), 5);
    if (i % 4 == 3) paras.push_back("An update paragraph number " + std::to_string(i));
    stream.push_back(Make(i % 5 == 0 ? "Q" : "P", "g" + std::to_string(i % 11), paras));
  }
  return stream;
}

}  // namespace copydesk::dedup::testing
