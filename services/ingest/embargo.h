// Embargoes: versions held in the partition's state until their time, then released exactly once.
// Pure (state in, records and state changes out); the pipeline holds (Hold), the worker releases
// (Release) on its own clock and commits the release with the state change that marks it.
//
// A held version is the state key "h/<story>/<version, 10 digits>" whose value is the version's
// ArticleEvent (its Article inside), with `embargo.release_time` set to the version's due time
// (unset: at once). It goes to the changelog like every state change, so a restore, a restart or
// a takeover finds it. A story is held while it has held versions; it is due at the due time of
// its latest held version, and its held versions are then released together, oldest first.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/record.h"
#include "common/result.h"
#include "copydesk/v1/events.pb.h"
#include "dedup/dedup.h"
#include "dedup/state_store.h"

namespace copydesk::ingest {

struct PipelineOptions;
struct OutputContext;

namespace embargo {

inline constexpr std::string_view kHeldKeyPrefix = "h/";

std::string HeldKey(std::string_view story_id, uint32_t version);
// The story of a held-version key ("" when `key` is not one).
std::string_view StoryOfHeldKey(std::string_view key);

// Milliseconds since the epoch of a timestamp (0 when unset).
int64_t Millis(const google::protobuf::Timestamp& ts);
void SetMillis(google::protobuf::Timestamp* ts, int64_t ms);

// What the worker's clock says when the pipeline decides, and whether the partition holds any
// story at all (when not, an article without a future embargo needs no state read).
struct HoldContext {
  int64_t now_ms = 0;
  bool any_held = true;
};

// A held story's due time changed: `due_ms` (0 = at once), or nullopt when it is no longer held.
struct HeldChange {
  std::string story_id;
  std::optional<int64_t> due_ms;
};

// What an embargo does to one accepted change.
struct HoldResult {
  // Nothing of the version is published now (held, or dropped by a cancel).
  bool withheld = false;
  // The outcome's `hold` (set when the version is held, or a cancel dropped a held story).
  std::optional<v1::Hold> outcome;
  // Records to publish besides (or instead of) the version's: the held-topic record.
  std::vector<Record> records;
  std::optional<HeldChange> change;
};

// Decides whether the accepted change `ev` (its decision `d`; ev.article() is the version) is
// held: its article's embargo lies in the future (on `hc.now_ms`), or its story is held already
// (a later version replaces it as the latest: all are released together, in order). A cancel of
// a held story drops the held versions; it is itself published only when the story has versions
// published before the hold. A replayed decision stages nothing unless versions before it are
// held (an aborted batch undid their release): it is withheld when its version is still held or
// its embargo is still in the future. State changes go to `batch`.
Result<HoldResult> Hold(const dedup::StateStore& store, const v1::ArticleEvent& ev, const dedup::Decision& d,
                        const HoldContext& hc, const PipelineOptions& options, const OutputContext& ctx,
                        dedup::MutationBatch* batch);

// The release of one held story at `now_ms`.
struct Release {
  std::string story_id;
  int64_t due_ms = 0;  // 0: at once (an update lifted the embargo)
  // Every held version's records (Article, ArticleEvent with `embargo` set, ninjs), oldest first,
  // then the held topic's tombstone.
  std::vector<Record> records;
  // Deletes the held versions; `undo` puts them back (a transactional abort).
  dedup::MutationBatch changes;
  dedup::MutationBatch undo;
  size_t versions = 0;
};
// Builds the release of `story_id` (nullopt when it holds nothing).
Result<std::optional<Release>> ReleaseStory(const dedup::StateStore& store, std::string_view story_id,
                                            int64_t now_ms, const PipelineOptions& options);

// A partition's held stories by due time, kept by the worker: built from the state when the
// partition opens (Load), then from the pipeline's HeldChanges.
class HeldIndex {
 public:
  Status Load(const dedup::StateStore& store);
  void Apply(const HeldChange& change);
  [[nodiscard]] bool empty() const { return due_.empty(); }
  [[nodiscard]] size_t size() const { return due_.size(); }
  // The earliest due time (INT64_MAX when none is held).
  [[nodiscard]] int64_t next_due_ms() const;
  // The stories due at `now_ms`, earliest first.
  [[nodiscard]] std::vector<std::string> Due(int64_t now_ms) const;

 private:
  std::map<std::string, int64_t, std::less<>> due_;
  std::set<std::pair<int64_t, std::string>> by_time_;
};

}  // namespace embargo
}  // namespace copydesk::ingest
