// One assigned input partition, as the worker's parts see it: its state (store and deduper),
// where its input stands, what the restorer and the progress gate keep for it. Touched only on
// the poll thread.
#pragma once

#include <climits>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/record.h"
#include "dedup/dedup.h"
#include "dedup/state_store.h"
#include "ingest/embargo.h"
#include "ingest/io.h"
#include "ingest/state.h"

namespace copydesk::ingest {

// The header of every changelog record: the input offset the partition's state reaches once the
// input that staged the change is done (a restore sets decided_next from it).
inline constexpr std::string_view kInputOffsetHeader = "x-copydesk-input-offset";

// A partition being opened or restored (Restorer). Opening takes three steps, each tried again
// after a transient Kafka error until `deadline_us`: the group's committed offset, the local store
// (its checkpoint checked against the changelog), and the changelog reader (not needed when the
// local state is current).
struct RestoreState {
  int64_t deadline_us = 0;  // Clock::MonotonicMicros
  bool have_committed = false;
  // The local store while its checkpoint is checked, and the checkpoint it holds.
  std::unique_ptr<dedup::StateStore> db;
  std::optional<std::string> checkpoint;
  // The changelog read: from `lo` to the end `hi` seen when it started; `pos` is the next offset.
  bool reading = false;
  std::unique_ptr<PartitionReader> reader;
  int64_t lo = 0, hi = 0, pos = 0;
  int64_t applied = 0;  // records applied
  int64_t beyond = 0;   // ... of them beyond the committed input offset
  std::vector<dedup::Mutation> pending;
  // Transient errors: how many, the last one, when the failed step is tried again, and when the
  // last warning was logged.
  int64_t retries = 0;
  std::string last_error;
  int64_t retry_at_us = 0;
  int64_t warned_at_us = 0;
};

struct Partition {
  // The partition's state: null until the restorer opened the store; the deduper is set once the
  // state is ready to decide (restored, or current on disk).
  std::unique_ptr<OverlayStore> store;
  std::unique_ptr<dedup::Deduper> deduper;
  // Set while the state is being opened or restored: the partition is not in the consumer's
  // assignment yet (the rebalance hook held it back).
  std::unique_ptr<RestoreState> restore;

  // Input offsets.
  int64_t committed_next = 0;  // next offset to consume after the last committed batch
  bool has_committed = false;  // the group had a committed offset for it when it was assigned
  int64_t batch_next = -1;     // next offset after the last input in the open batch, -1 = none
  // Next offset after the last input whose decision is in the state (restored, or decided here):
  // inputs below it were processed, whether or not their offset commit went through.
  int64_t decided_next = 0;
  // In the batch for a state change only (a clock floor): no input offset to commit.
  bool state_only = false;

  // The partition's clock (dedup::Deduper::VisibilityTime) as of the staged state.
  int64_t clock = 0;
  uint64_t assignment = 0;       // which assignment of this worker (progress marker tag)
  int64_t last_delivery_ms = 0;  // when the consumer last delivered one of its records

  // Progress gate (progress_gate.h). Records waiting for the other partitions' progress (the
  // partition is paused meanwhile), and since when.
  std::deque<Record> held;
  int64_t held_since_ms = 0;
  // Set once this worker read back one of its own progress markers for the partition, sent since
  // it was assigned: the previous owner's documents are then in the shared index, and the
  // partition's progress counts as of now instead of as of its last marker.
  bool progress_live = false;
  // The progress marker last sent, and when (resent every second as a heartbeat).
  int64_t progress_sent = INT64_MIN;
  int64_t progress_sent_ms = 0;
  // Its held embargoed stories by due time (loaded when the state is ready).
  embargo::HeldIndex embargo;

  [[nodiscard]] bool ready() const { return deduper != nullptr; }
  [[nodiscard]] bool in_batch() const { return batch_next >= 0; }
  // Where consumption starts once the state is ready: exactly where the state is, the committed
  // offset, or (nullopt) the beginning of the partition for a group that never committed one.
  [[nodiscard]] std::optional<int64_t> StartOffset() const {
    return has_committed ? std::optional<int64_t>(committed_next) : std::nullopt;
  }
};

// The worker's assigned partitions, by partition number.
using Partitions = std::map<int32_t, Partition>;

}  // namespace copydesk::ingest
