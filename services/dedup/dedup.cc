#include "dedup/dedup.h"

#include <xxhash.h>

#include <cstdio>

namespace copydesk::dedup {

std::optional<std::string> MemoryStateStore::Get(std::string_view key) const {
  auto it = kv_.find(key);
  if (it == kv_.end()) return std::nullopt;
  return it->second;
}
void MemoryStateStore::Put(std::string_view key, std::string_view value) { kv_[std::string(key)] = value; }
void MemoryStateStore::Delete(std::string_view key) {
  auto it = kv_.find(key);
  if (it != kv_.end()) kv_.erase(it);
}

std::string IdentityKey(const v1::Article& a) {
  const auto& p = a.provenance();
  if (!p.guid().empty()) return "g|" + p.provider() + "|" + p.guid();
  if (!a.canonical_url().empty()) return "u|" + p.provider() + "|" + a.canonical_url();
  return "";
}

std::string StoryIdFor(std::string_view identity_or_content) {
  XXH128_hash_t h = XXH3_128bits(identity_or_content.data(), identity_or_content.size());
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return std::string("st_") + std::string(buf, 24);
}

Decision Deduper::Decide(const v1::Article& article, const EventContext& ctx) {
  Decision d;
  std::string identity = IdentityKey(article);
  if (identity.empty()) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016llx",
                  static_cast<unsigned long long>(article.fingerprints().content_hash()));
    identity = std::string("c|") + buf;
  }
  const std::string key = "id/" + identity;
  auto prev = store_.Get(key);
  const uint64_t hash = article.fingerprints().content_hash();
  d.story_id = StoryIdFor(identity);
  if (!prev) {
    d.decision = v1::DECISION_NEW;
    d.kind = v1::EVENT_KIND_CREATED;
    d.version = 1;
  } else {
    unsigned version = 0;
    unsigned long long last_hash = 0;
    std::sscanf(prev->c_str(), "%u %llx", &version, &last_hash);
    if (last_hash == hash) {
      d.decision = v1::DECISION_REDELIVERY;
      d.version = version;
      d.of = d.story_id;
      return d;
    }
    d.decision = v1::DECISION_UPDATE;
    d.kind = article.signals().correction() ? v1::EVENT_KIND_CORRECTED : v1::EVENT_KIND_UPDATED;
    d.previous_version = version;
    d.version = version + 1;
  }
  if (article.pubstatus() == v1::PUB_STATUS_CANCELED) {
    d.decision = v1::DECISION_CANCEL;
    d.kind = v1::EVENT_KIND_CANCELED;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "%u %llx", d.version, static_cast<unsigned long long>(hash));
  store_.Put(key, buf);
  (void)ctx;
  return d;
}

}  // namespace copydesk::dedup
