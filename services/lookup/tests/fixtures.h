// Helpers for the lookup tests: ArticleEvents, records and a temporary view directory.
#pragma once

#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "lookup/store.h"

namespace copydesk::lookup::testing {

// A directory under /tmp removed at destruction.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("copydesk-lookup-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// The view store in `dir` (a test failure and null when it cannot be opened).
inline std::unique_ptr<ViewStore> OpenStore(const std::string& dir) {
  ViewStore::Options o;
  o.dir = dir;
  auto s = ViewStore::Open(o);
  if (!s.ok()) {
    ADD_FAILURE() << "open the view store in " << dir << ": " << s.error().reason;
    return nullptr;
  }
  return std::move(*s);
}

inline google::protobuf::Timestamp Ms(int64_t ms) {
  return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(ms);
}

struct EventSpec {
  std::string story;
  uint32_t version = 1;
  v1::EventKind kind = v1::EVENT_KIND_CREATED;
  std::string headline;
  int64_t versioncreated_ms = 1'700'000'000'000;
  std::string provider = "reuters";
  std::string language = "en";
  std::vector<std::string> section = {"World"};
  std::string url;
  std::vector<uint32_t> minhash;
  uint64_t simhash = 0;
};

inline v1::ArticleEvent MakeEvent(const EventSpec& s) {
  v1::ArticleEvent ev;
  ev.set_kind(s.kind);
  ev.set_story_id(s.story);
  ev.set_version(s.version);
  ev.set_previous_version(s.version > 1 ? s.version - 1 : 0);
  *ev.mutable_event_time() = Ms(s.versioncreated_ms);
  if (s.kind == v1::EVENT_KIND_CANCELED) {
    ev.mutable_article()->set_uri(s.story);
    ev.mutable_article()->set_version(s.version);
    ev.mutable_article()->set_pubstatus(v1::PUB_STATUS_CANCELED);
    return ev;
  }
  v1::Article& a = *ev.mutable_article();
  a.set_uri(s.story);
  a.set_version(s.version);
  a.set_headline(s.headline.empty() ? s.story + " v" + std::to_string(s.version) : s.headline);
  *a.mutable_versioncreated() = Ms(s.versioncreated_ms);
  a.set_language(s.language);
  for (const auto& p : s.section) a.add_section_path(p);
  a.mutable_provenance()->set_provider(s.provider);
  if (!s.url.empty()) {
    a.set_canonical_url(s.url);
    a.add_urls(s.url);
  }
  for (uint32_t m : s.minhash) a.mutable_fingerprints()->add_minhash(m);
  a.mutable_fingerprints()->set_simhash(s.simhash);
  a.set_body_text("Body of " + s.story + " version " + std::to_string(s.version));
  return ev;
}

inline InputRecord Rec(int32_t partition, int64_t offset, const v1::ArticleEvent& ev) {
  return InputRecord{partition, offset, ev.SerializeAsString()};
}

// Appends records to per-partition logs, assigning consecutive offsets (like a broker).
class FakeTopic {
 public:
  explicit FakeTopic(int partitions) : next_(static_cast<size_t>(partitions), 0) {}
  InputRecord Add(int32_t partition, const v1::ArticleEvent& ev) {
    return Rec(partition, next_[static_cast<size_t>(partition)]++, ev);
  }
  [[nodiscard]] int64_t next(int32_t partition) const { return next_[static_cast<size_t>(partition)]; }

 private:
  std::vector<int64_t> next_;
};

inline std::vector<uint32_t> Signature(uint32_t seed, int differing = 0) {
  std::vector<uint32_t> sig(128);
  for (size_t i = 0; i < sig.size(); ++i) sig[i] = static_cast<uint32_t>(i * 2654435761u + 17);
  for (int i = 0; i < differing; ++i)
    sig[static_cast<size_t>(i) * 4] = seed * 1000 + static_cast<uint32_t>(i);
  if (seed != 0 && differing == 0) {
    for (auto& v : sig) v ^= seed * 0x9e3779b9u;
  }
  return sig;
}

}  // namespace copydesk::lookup::testing
