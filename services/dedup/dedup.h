// Story identity and version decisions: new, update, redelivery, stale, cancel, duplicate,
// syndicated. Pure: a decision is a function of (article, event context, state); the state
// changes it implies are returned as a MutationBatch, never written behind the caller's back.
// See services/dedup/README.md for the state layout, the near-duplicate index and how the
// worker persists and restores state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "copydesk/v1/article.pb.h"
#include "copydesk/v1/events.pb.h"
#include "dedup/index_format.h"
#include "dedup/state_store.h"

namespace copydesk::dedup {

namespace internal {
class Decider;
}  // namespace internal

// Where the article came from; decisions are deterministic in (article, context, state).
struct EventContext {
  int32_t partition = 0;
  int64_t offset = 0;
  // Event time (Kafka CreateTime of the raw event), ms since epoch. 0 = unknown: the article's
  // versioncreated is used, else the event time of the partition's previous record. Never
  // wall-clock time.
  int64_t timestamp_ms = 0;
  std::string event_id;
  // The producer's own id of the event (the `event-id` header), when it gave one: another record
  // with the same id is the same event delivered twice (a producer retry the broker stored
  // twice) and gets the same decision. Empty: every record is an event of its own.
  std::string producer_event_id = {};
  // The item's position in a multi-item input (a feed, a NewsML-G2 newsMessage): each item is
  // decided on its own, with its own decision-log entry and index document. 0 for a single-item
  // input (its keys are the input's, as they have always been).
  uint32_t item = 0;
};

// Dedup settings. Defaults are the tuned values (see README.md for the figures).
struct Config {
  // Near-duplicate window in event time: only index entries whose event time is within the
  // window of the record's event time (either side) match; entries older than the window of
  // the current record are expired (removed from the state).
  int64_t window_ms = 7LL * 24 * 3600 * 1000;
  // Estimated word 5-shingle Jaccard at or above which a same-provider record without an
  // identity match is a duplicate of the matched story (an alias: it is not published, so the
  // bar is "near-identical").
  double duplicate_threshold = 0.7;
  // ... and an other-provider record is a syndicated copy (published as its own story with a
  // link to the original, so a lower bar: wire copies trimmed or extended by the outlet).
  double syndicated_threshold = 0.4;
  // Use the canonical URL as identity when there is no guid. Turn off for feeds whose URLs
  // change with every version (e.g. a date in the URL).
  bool url_identity = true;
  // Most index entries read per LSH band bucket (bounds work on pathological buckets).
  int max_bucket_entries = 32;
  // Most expired documents removed per decision (bounds one batch; the rest go next time).
  int max_expiries_per_decision = 64;
  // Change classes: body similarity >= minor -> minor edit; >= substantive -> substantive
  // update; below -> rewrite.
  double minor_edit_similarity = 0.8;
  double substantive_similarity = 0.2;
  // Field lineage on accepted versions (Decision::lineage) and, in change summaries, the fields
  // changed and the paragraph edit script. Off: only the counts and classes of a change.
  bool lineage = true;
  // Cross-partition visibility margin (Δ): a document indexed by another partition is a
  // candidate for a record only when its visibility time is below the record's by more than
  // this. With the worker's progress wait (services/dedup/README.md, "Cross-partition
  // determinism") this makes the set of documents a decision sees the same in every run, so a
  // takeover decides exactly as the previous owner would have. Copies less than Δ apart on
  // different partitions are not linked.
  int64_t visibility_delay_ms = 2000;

  // Rejects out-of-range values; the error names the field.
  [[nodiscard]] Status Validate() const;
};

// The decision for one article.
struct Decision {
  v1::Decision decision = v1::DECISION_UNSPECIFIED;
  // For accepted changes (Publishes()): the ArticleEvent kind to publish.
  v1::EventKind kind = v1::EVENT_KIND_UNSPECIFIED;
  // The story this record belongs to (for duplicate: the story it is an alias of).
  std::string story_id;
  // The story's version after this decision (for counted decisions: its current version).
  uint32_t version = 0;
  uint32_t previous_version = 0;
  // The story this one matched: duplicate -> that story; syndicated -> the original story
  // (the root when the match was itself a syndicated copy); redelivery/stale -> own story.
  std::string of;
  // duplicate/syndicated: estimated 5-shingle Jaccard to `of`; update: body similarity to the
  // previous version; redelivery: 1.
  double similarity = 0;
  // For updates. With Config::lineage also the fields changed and the paragraph edits, whose
  // texts are left out (they are the article's paragraphs: FillParagraphTexts).
  v1::ChangeSummary change;
  // For new, syndicated and updated versions (with Config::lineage): which version set each field.
  v1::Lineage lineage;
  // The event time the decision used (ms since epoch).
  int64_t event_time_ms = 0;
  // The partition's clock after this record (its visibility time; not kept in the memo).
  int64_t visibility_time_ms = 0;
  // Hash of EventContext::producer_event_id (0: none); recorded in the memo.
  uint64_t event_key = 0;
  // True when this decision was read back from the decision log (an input reprocessed after a
  // crash) rather than made now.
  bool replayed = false;

  // True when the decision is an accepted change that goes to the output topics.
  [[nodiscard]] bool Publishes() const {
    return decision == v1::DECISION_NEW || decision == v1::DECISION_UPDATE ||
           decision == v1::DECISION_CANCEL || decision == v1::DECISION_SYNDICATED;
  }
};

// "new", "update", "redelivery", "stale", "duplicate", "syndicated", "cancel", "dead_letter".
std::string_view DecisionName(v1::Decision d);

// The identity of an article: "g|provider|guid", else (when url_identity) "u|provider|canonical
// url", else "" (identity must come from content).
std::string IdentityKey(const v1::Article& article, bool url_identity = true);

// A stable story id ("st_" + 24 hex digits) derived from an identity (or content + position).
std::string StoryIdFor(std::string_view identity_or_content);

// Applies one shared-index record (key "d/<doc>", value or tombstone) read from the shared index
// topic to a worker's shared-index store: stores the doc and maintains its LSH band bucket
// entries. Call it for every record of the topic, in order, on one thread.
Status ApplySharedIndexMutation(StateStore& shared, const Mutation& m);

// True for the derived state keys: LSH band bucket entries and the expiry queues. Each is a
// function of one doc or decision-memo record, so they are not written to the changelog.
bool IsDerivedKey(std::string_view key);

// Applies changelog records (the primary state keys, in log order) to `store`, rebuilding the
// derived keys of every doc and decision-memo record exactly as Decide() writes them. Derived keys
// in the input are ignored. `derive_expiry` = false leaves out the expiry queues (shared index).
Status ApplyChangelog(StateStore& store, const std::vector<Mutation>& mutations, bool derive_expiry = true);

// The key prefixes Deduper scans in order (band buckets and expiry queues); a MemoryStateStore
// built with these keeps only them ordered, which makes it much faster.
inline const std::vector<std::string> kDedupScannedPrefixes = {"b/", "x/", "y/"};

// Decides what an article is relative to everything the partition has seen.
//
// Not thread-safe: one Deduper per partition, used from one thread (the partition's worker
// thread). `store` is the partition's state and must outlive the Deduper. `shared_index`, when
// given, is a read-only store holding the shared index keys (IsSharedIndexKey) of all
// partitions, fed from the shared index topic; it must outlive the Deduper.
class Deduper {
 public:
  Deduper(Config config, StateStore& store, const StateStore* shared_index = nullptr);
  explicit Deduper(StateStore& store) : Deduper(Config{}, store) {}
  Deduper(const Deduper&) = delete;
  Deduper& operator=(const Deduper&) = delete;

  // Decides without changing the store: every state change goes to `out` (cleared first).
  // The caller applies `out` with Apply() after (or while) publishing the outputs and the
  // changelog records. Errors only when the store fails (retry or stop the partition).
  Result<Decision> Decide(const v1::Article& article, const EventContext& ctx, MutationBatch* out) const;

  // Applies a decision's mutations (or a changelog's) to the store.
  Status Apply(const MutationBatch& batch) { return store_.Apply(batch); }

  // The visibility time a record with this Kafka timestamp gets: the partition's clock raised
  // to the timestamp. The clock never goes back, so it is a lower bound for every record the
  // partition decides later, which is what the worker publishes as the partition's progress.
  [[nodiscard]] Result<int64_t> VisibilityTime(int64_t timestamp_ms) const;
  // Raises the partition's clock to `floor_ms` (an idle partition's floor): records decided
  // later get at least this visibility time. Stages the change in `out` (nothing when the clock
  // is there already).
  Status RaiseClock(int64_t floor_ms, MutationBatch* out) const;

  // Applies a decision's batch (Decide's `out`) to the store, taking its strings (the batch is
  // left empty). `shared_out`, when given, first receives a copy of the batch's shared index
  // mutations (IsSharedIndexKey). Decide, then Commit, is Process.
  Status Commit(MutationBatch& batch, std::vector<Mutation>* shared_out = nullptr);

  // Decide + Apply, for replay, the worker and tests. `shared_out`, when given, receives a copy
  // of the decision's shared index mutations (IsSharedIndexKey: its document, expired documents'
  // deletions), which the worker applies to its shared index at once.
  Result<Decision> Process(const v1::Article& article, const EventContext& ctx,
                           std::vector<Mutation>* shared_out = nullptr);

  [[nodiscard]] const Config& config() const { return config_; }
  // The partition's state (read-only), for state the pipeline keeps beside the decisions.
  [[nodiscard]] const StateStore& store() const { return store_; }

 private:
  friend class internal::Decider;  // Decide()'s steps (decide.h)

  // Where a scan of an expiry queue (x/, y/) starts. Expired keys are deleted from the front of
  // the queue, and RocksDB keeps deleted keys as tombstones until compaction: a scan from the
  // queue's first key would step over every one of them on every decision. `floor`: no live key
  // of the queue is below it (empty: the queue's start). `pending`: the last key a decision
  // expired; it becomes the floor once the store no longer has it (its batch was applied).
  // Only where a scan starts depends on it, never what it finds: decisions are the same.
  struct ExpiryCursor {
    std::string_view prefix;
    std::string floor;
    std::string pending;
  };
  // The first key of the queue the decision must look at (promoting `pending` when applied).
  Result<std::string> ScanStart(const OverlayView& view, ExpiryCursor& cursor) const;
  // A decision wrote `key` into the cursor's queue: the floor must not be above it.
  static void Lower(ExpiryCursor& cursor, std::string_view key);

  Config config_;
  StateStore& store_;               // borrowed; must outlive the Deduper
  const StateStore* shared_index_;  // borrowed, may be null; must outlive the Deduper
  mutable ExpiryCursor doc_expiry_{"x/", {}, {}};
  mutable ExpiryCursor memo_expiry_{"y/", {}, {}};
};

}  // namespace copydesk::dedup
