// A partition's local-state checkpoint: one key in its local store, written in the same atomic
// write as each committed batch's state, that binds the store to the cluster, the committed input
// offset and the changelog position it reflects. On assignment the store is used as it is only
// when its checkpoint says it holds exactly what the changelog does (CheckCheckpoint); otherwise
// the partition is restored from the changelog. Pure: no Kafka, no store here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace copydesk::ingest {

// The checkpoint's key: local only (never on the changelog), sorted after every state key.
std::string CheckpointKey();

struct Checkpoint {
  std::string cluster;         // the cluster's id ("unknown" when the broker had not said it)
  int64_t committed_next = 0;  // the input offset the local state is committed up to
  int64_t changelog_next = 0;  // the changelog offset after the last record the state reflects
};

// "<state layout><cluster>/<committed_next>/<changelog_next>", the layout first
// (dedup::kStateLayout): a store written in another layout is never taken as current.
std::string EncodeCheckpoint(const Checkpoint& c);
// nullopt when the value is in another layout or malformed.
std::optional<Checkpoint> DecodeCheckpoint(std::string_view value);

enum class CheckpointVerdict {
  kCurrent,  // the local state is exactly what the changelog holds: use it
  kRestore,  // restore from the changelog
  // The changelog has one offset more than the checkpoint: current only if that offset holds no
  // record (a transaction control record, which is never delivered); read it to know.
  kCheckLastOffset,
};

// Whether a store whose checkpoint is `c` may be used for a partition whose group committed
// `committed_next`, on the cluster `cluster`, whose changelog partition ends at `changelog_end`.
// At or past the committed offset is fine: past it, the offset commits of the last batches failed
// (a rebalance), their decisions are in the state, and reprocessing those inputs replays them.
CheckpointVerdict CheckCheckpoint(const Checkpoint& c, std::string_view cluster, int64_t committed_next,
                                  int64_t changelog_end);

}  // namespace copydesk::ingest
