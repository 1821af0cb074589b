// Cross-partition determinism (README.md, "Progress and the visibility wait"). A record of
// partition p sees another partition's documents only when they were indexed more than Δ
// (dedup.visibility_delay_ms) before its own visibility time τ (dedup::Deduper). Every owner
// publishes its partitions' progress on the index topic: a lower bound of τ for everything the
// partition decides from then on. Once every other partition's progress is at least τ - Δ, exactly
// the documents the rule admits are in the shared index, in every run.
//
// The gate keeps the other partitions' progress (from their markers), says whether a record may
// be decided now (hold), which held records may go (release), and when a partition's clock floor
// and progress marker are due (advance). Pure: the worker does the Kafka side.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "ingest/partition.h"

namespace copydesk::ingest {

// Who sent a progress marker: the instance, its process start (a restarted instance reads its
// earlier markers at start-up) and the assignment.
struct WorkerIdentity {
  std::string instance;
  int64_t started_ms = 0;
  [[nodiscard]] std::string Tag(uint64_t assignment) const {
    return instance + "#" + std::to_string(started_ms) + "#" + std::to_string(assignment);
  }
};

class ProgressGate {
 public:
  // An idle partition (nothing delivered for kIdleMs, caught up) raises its clock to now -
  // kFloorLagMs once it is kFloorStepMs behind that; markers are resent every kHeartbeatMs.
  static constexpr int64_t kIdleMs = 250;
  static constexpr int64_t kFloorLagMs = 250;
  static constexpr int64_t kFloorStepMs = 250;
  static constexpr int64_t kHeartbeatMs = 1000;

  // `wait_ms` 0: never wait (the gate lets everything through and sends no markers).
  ProgressGate(int64_t visibility_delay_ms, int64_t wait_ms, const Clock& clock)
      : delay_ms_(visibility_delay_ms), wait_ms_(wait_ms), clock_(clock) {}

  [[nodiscard]] bool enabled() const { return wait_ms_ > 0; }
  // The input topic has this many partitions: a partition without any marker so far is waited
  // for from now (markers read before count as fresh).
  void Size(size_t partitions);
  // A progress marker read from the index topic (after the documents sent before it).
  void OnMarker(int32_t partition, int64_t progress_ms);
  [[nodiscard]] int64_t progress(int32_t partition) const;

  // Whether a record of `partition` with this Kafka timestamp may be decided now: every other
  // partition's progress covers τ - Δ, or a partition sent no marker for wait_ms (no owner; the
  // record is then decided without it and `*decided_without` is set). The worker's own ready
  // partitions count as of now once their progress is live.
  bool MayDecide(int32_t partition, const Partition& p, int64_t timestamp_ms, const Partitions& own,
                 bool* decided_without);
  // Holds a record behind the partition's held ones; true when it is the first (pause the
  // partition: memory stays bounded by what was fetched already).
  bool Hold(int32_t partition, Partition& p, Record in);
  // The lower bound of the visibility time of everything the partition decides from now on: its
  // clock, or the τ of the first held record (decided next).
  [[nodiscard]] static int64_t ProgressOf(const Partition& p);
  // The clock floor an idle partition (nothing held, nothing delivered for kIdleMs) is raised to
  // now, or nullopt. The worker raises it only when the partition is also caught up.
  [[nodiscard]] std::optional<int64_t> FloorDue(const Partition& p) const;
  // A marker is due: the progress moved since the last one, or the heartbeat.
  [[nodiscard]] bool MarkerDue(const Partition& p) const;
  // Notes that the partition's marker was sent with this progress.
  void MarkerSent(Partition& p, int64_t progress) const;
  // After an aborted batch, whose markers may be gone: they are sent again with the next commit.
  static void ForgetSent(Partition& p);

  // What the last record that could not be decided waited for (debug log).
  struct Blocked {
    int32_t partition = -1;
    int64_t progress = 0, need = 0;
  };
  [[nodiscard]] const Blocked& blocked_by() const { return blocked_by_; }

 private:
  int64_t delay_ms_;
  int64_t wait_ms_;
  const Clock& clock_;
  // Per input partition: the highest progress marker read, and when the last one was read.
  std::vector<int64_t> progress_;
  std::vector<int64_t> seen_ms_;
  Blocked blocked_by_;
};

}  // namespace copydesk::ingest
