// Story identity and version decisions. Pure: a function of the article and the state store.
// First cut (foundation): identity by provider + guid (else canonical URL), redelivery when the
// content hash is unchanged, otherwise an update. The dedup issue replaces the internals.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "copydesk/v1/article.pb.h"
#include "copydesk/v1/events.pb.h"

namespace copydesk::dedup {

// Where the article came from; decisions are deterministic in (article, state, context).
struct EventContext {
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
  std::string event_id;
};

// The decision for one article.
struct Decision {
  v1::Decision decision = v1::DECISION_UNSPECIFIED;
  // For accepted changes: the ArticleEvent kind to publish.
  v1::EventKind kind = v1::EVENT_KIND_UNSPECIFIED;
  std::string story_id;
  uint32_t version = 0;
  uint32_t previous_version = 0;
  // The story (or record) this one matched.
  std::string of;
  double similarity = 0;
  v1::ChangeSummary change;

  // True when the decision is an accepted change that goes to the output topics.
  [[nodiscard]] bool Publishes() const {
    return decision == v1::DECISION_NEW || decision == v1::DECISION_UPDATE ||
           decision == v1::DECISION_CANCEL || decision == v1::DECISION_SYNDICATED;
  }
};

// Key/value state. Implementations: in memory (tests, replay) and RocksDB (workers).
class StateStore {
 public:
  virtual ~StateStore() = default;
  [[nodiscard]] virtual std::optional<std::string> Get(std::string_view key) const = 0;
  virtual void Put(std::string_view key, std::string_view value) = 0;
  virtual void Delete(std::string_view key) = 0;
};

// A StateStore in a std::map.
class MemoryStateStore final : public StateStore {
 public:
  [[nodiscard]] std::optional<std::string> Get(std::string_view key) const override;
  void Put(std::string_view key, std::string_view value) override;
  void Delete(std::string_view key) override;
  [[nodiscard]] size_t size() const { return kv_.size(); }

 private:
  std::map<std::string, std::string, std::less<>> kv_;
};

// The identity key of an article: "g|provider|guid", else "u|provider|canonical url", else
// "" (identity must come from content).
std::string IdentityKey(const v1::Article& article);

// A stable story id derived from an identity key (or, without one, from the content hash).
std::string StoryIdFor(std::string_view identity_or_content);

// Decides what an article is relative to the state and records it in the state.
// Not thread-safe: one Deduper per partition, used from one thread.
class Deduper {
 public:
  explicit Deduper(StateStore& store) : store_(store) {}
  Deduper(const Deduper&) = delete;
  Deduper& operator=(const Deduper&) = delete;

  Decision Decide(const v1::Article& article, const EventContext& ctx);

 private:
  StateStore& store_;  // borrowed; must outlive the Deduper
};

}  // namespace copydesk::dedup
