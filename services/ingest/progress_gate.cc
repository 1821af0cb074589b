#include "ingest/progress_gate.h"

#include <algorithm>

#include "common/log.h"

namespace copydesk::ingest {

// Markers name input partitions; a larger number is not one of ours (a foreign record).
constexpr int32_t kMaxPartition = 100000;

void ProgressGate::Size(size_t partitions) {
  progress_.resize(partitions, INT64_MIN);
  seen_ms_.resize(partitions, clock_.NowMillis());
}

void ProgressGate::OnMarker(int32_t partition, int64_t progress_ms) {
  if (partition < 0 || partition > kMaxPartition) return;
  const auto q = static_cast<size_t>(partition);
  const int64_t now = clock_.NowMillis();
  if (q >= progress_.size()) {
    progress_.resize(q + 1, INT64_MIN);
    seen_ms_.resize(q + 1, now);
  }
  progress_[q] = std::max(progress_[q], progress_ms);
  seen_ms_[q] = now;
}

int64_t ProgressGate::progress(int32_t partition) const {
  const auto q = static_cast<size_t>(partition);
  return partition >= 0 && q < progress_.size() ? progress_[q] : INT64_MIN;
}

bool ProgressGate::MayDecide(int32_t partition, const Partition& p, int64_t timestamp_ms,
                             const Partitions& own, bool* decided_without) {
  const int64_t need = std::max(p.clock, timestamp_ms) - delay_ms_;
  const int64_t now = clock_.NowMillis();
  bool absent = false;
  for (size_t i = 0; i < progress_.size(); ++i) {
    const auto q = static_cast<int32_t>(i);
    if (q == partition) continue;
    // A partition of this worker: its progress as of now (its documents are in the shared index
    // as soon as they are decided). Another worker's (or one still restoring): its last marker.
    auto mine = own.find(q);
    if (mine != own.end() && mine->second.ready() && mine->second.progress_live) {
      if (ProgressOf(mine->second) >= need) continue;
      blocked_by_ = {q, ProgressOf(mine->second), need};
      return false;
    }
    if (progress_[i] >= need) continue;
    if (now - seen_ms_[i] < wait_ms_) {
      blocked_by_ = {q, progress_[i], need};
      return false;
    }
    absent = true;  // no marker for wait_ms: no owner; decide without it
  }
  if (decided_without) *decided_without = absent;
  return true;
}

bool ProgressGate::Hold(int32_t partition, Partition& p, Record in) {
  p.held.push_back(std::move(in));
  if (p.held.size() != 1) return false;
  p.held_since_ms = clock_.NowMillis();
  Logger("ingest")->debug(
      "waiting for progress partition={} offset={} timestamp={} on={} progress={} need={}", partition,
      p.held.front().offset, p.held.front().timestamp_ms, blocked_by_.partition, blocked_by_.progress,
      blocked_by_.need);
  return true;
}

int64_t ProgressGate::ProgressOf(const Partition& p) {
  return p.held.empty() ? p.clock : std::max(p.clock, p.held.front().timestamp_ms);
}

std::optional<int64_t> ProgressGate::FloorDue(const Partition& p) const {
  const int64_t now = clock_.NowMillis();
  // Records that arrive later get at least this τ, persisted with the marker that announces it,
  // so that a new owner raises them the same way.
  const int64_t floor = now - kFloorLagMs;
  if (p.held.empty() && now - p.last_delivery_ms >= kIdleMs && p.clock < floor - kFloorStepMs) return floor;
  return std::nullopt;
}

bool ProgressGate::MarkerDue(const Partition& p) const {
  return ProgressOf(p) > p.progress_sent || clock_.NowMillis() - p.progress_sent_ms >= kHeartbeatMs;
}

void ProgressGate::MarkerSent(Partition& p, int64_t progress) const {
  p.progress_sent = std::max(p.progress_sent, progress);
  p.progress_sent_ms = clock_.NowMillis();
}

void ProgressGate::ForgetSent(Partition& p) {
  p.progress_sent = INT64_MIN;
  p.progress_sent_ms = 0;
}

}  // namespace copydesk::ingest
