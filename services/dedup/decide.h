// One Deduper::Decide() call as named steps (internal to services/dedup). README.md, "Decisions",
// says what each outcome means; this is the order they are tried in:
//
//   1. ReplayLoggedDecision   an input (or producer event id) decided before: its logged decision
//   2. AdvanceTimes           event time, visibility time (the partition's clock)
//   3. ExpireOldEntries       index documents and decision-log entries past the window
//   4. DecideKnownIdentity    the identity has a story: stale, redelivery, update or cancel
//   5. FindBestMatch          near-duplicate candidates from the LSH buckets, best one
//   6. DecideDuplicate        same provider: an alias of the matched story
//   7. DecideOwnStory         new, syndicated copy, or cancel of an unseen story
//
// Each step reads the state through one OverlayView (the store plus what the decision staged so
// far) and stages its changes in the decision's MutationBatch; nothing touches the store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dedup/dedup.h"
#include "dedup/records.h"

namespace copydesk::dedup::internal {

// A near-duplicate candidate that passed the visibility, window and threshold checks.
struct Match {
  uint64_t doc = 0;
  DocRecord rec;
  bool local = false;  // from the partition's own store
  double similarity = 0;
};

class Decider {
 public:
  Decider(const Deduper& dedup, const v1::Article& article, const EventContext& ctx, MutationBatch* out);
  Decider(const Decider&) = delete;
  Decider& operator=(const Decider&) = delete;

  Result<Decision> Run();

 private:
  Result<bool> ReplayLoggedDecision();
  Status AdvanceTimes();
  Status ExpireOldEntries();
  Status ExpireDocuments(std::string_view start);
  Status ExpireMemos(std::string_view start);
  void DescribeRecord();
  Result<bool> DecideKnownIdentity();
  bool DecideStaleOrRedelivery(const IdentityRecord& known, bool story_canceled);
  bool RedeliversAliasContent(const IdentityRecord& known);
  void DecideForeignAlias(const IdentityRecord& known);
  void DecideUpdateOrCancel(StoryRecord& story);
  Result<std::optional<Match>> FindBestMatch();
  Result<std::optional<DocRecord>> Candidate(uint64_t doc, bool local) const;
  Result<bool> DecideDuplicate(const Match& best);
  void DecideOwnStory(const std::optional<Match>& best);
  const StoryRecord& StartStory(const std::string& seed, const std::string& root);
  // Everything after the logged-decision check (steps 2 to 7).
  Result<Decision> DecideNew();

  // The value of `key` as the decision sees it (store + staged changes).
  Result<std::optional<std::string>> Get(std::string_view key) const { return view_.Get(key); }
  void IndexDocument(const std::string& story_id, const std::string& root, uint32_t version,
                     int64_t story_created_ms);
  [[nodiscard]] IdentityRecord NextIdentity(const IdentityRecord& known, const std::string& story_id) const;
  void PutIdentity(const IdentityRecord& rec);
  void SetStoryContent(StoryRecord& s) const;
  const std::vector<FieldHash>* Fields();
  void AdvanceStoryLineage(StoryRecord& s, uint32_t version);
  void RecordMemo();
  // Moves the expiry cursors below whatever the decision wrote into their queues.
  void LowerCursors();

  const Deduper& dedup_;
  const Config& config_;
  const v1::Article& article_;
  const EventContext& ctx_;
  MutationBatch* out_;
  OverlayView view_;
  Decision d_;

  // Steps 1-3.
  std::string memo_key_;
  uint64_t event_key_ = 0;
  int64_t now_ = 0;             // event time
  int64_t tau_ = 0;             // visibility time
  int64_t visible_before_ = 0;  // other partitions' documents: tau below this
  int64_t cutoff_ = 0;          // window: event times from here ...
  int64_t horizon_ = 0;         // ... to here
  // Steps 4-7: the record.
  std::vector<uint16_t> sig_;
  std::vector<uint32_t> paras_;
  std::optional<std::vector<FieldHash>> fields_;
  uint64_t provider_hash_ = 0;
  bool cancel_ = false;
  IdentityRecord incoming_;
  std::string identity_;
  bool content_identity_ = false;
  std::string identity_key_;
  uint64_t doc_id_ = 0;
  StoryRecord new_story_;  // StartStory's
};

}  // namespace copydesk::dedup::internal
