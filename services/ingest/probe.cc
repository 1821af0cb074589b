#include "ingest/probe.h"

#include <algorithm>

#include "common/log.h"
#include "dedup/dedup.h"

namespace copydesk::ingest {

// The summary counter of a counted decision (null for dead letters and unset outcomes).
std::atomic<int64_t>* WorkerProbe::DecisionCounter(v1::Decision d) {
  switch (d) {
    case v1::DECISION_NEW: return &counters_.created;
    case v1::DECISION_UPDATE: return &counters_.updated;
    case v1::DECISION_CANCEL: return &counters_.canceled;
    case v1::DECISION_SYNDICATED: return &counters_.syndicated;
    case v1::DECISION_REDELIVERY: return &counters_.redeliveries;
    case v1::DECISION_DUPLICATE: return &counters_.duplicates;
    case v1::DECISION_STALE: return &counters_.stale;
    default: return nullptr;
  }
}

void WorkerProbe::Decided(const ProcessResult& res, const Record& in) {
  metrics_.consumed.Get(res.format).Increment();
  for (const ItemResult& item : res.items) {
    metrics_
        .Item(res.format, item.dead_letter ? std::string_view("dead_letter")
                                           : std::string_view(dedup::DecisionName(item.decision)))
        .Increment();
    // An item of a multi-item input dead-lettered on its own (the input's own dead letter is
    // counted below).
    if (item.dead_letter && !res.dead_letter) {
      counters_.dead_letters++;
      metrics_.dead_letters.Get(item.dead_letter->CodeName()).Increment();
    }
  }
  metrics_.decode_seconds.Observe(res.times.decode);
  for (const auto& change : res.held_changes) {
    if (!change.due_ms) metrics_.embargo_dropped.Increment();  // only a cancel ends a hold here
  }
  if (res.dead_letter) {
    counters_.dead_letters++;
    metrics_.dead_letters.Get(res.dead_letter->CodeName()).Increment();
    Logger("ingest")->warn("dead letter partition={} offset={} code={} reason=\"{}\"", in.partition,
                           in.offset, res.dead_letter->CodeName(), res.dead_letter->reason);
    return;
  }
  metrics_.decoded.Get(res.format).Increment();
  metrics_.normalized.Get(res.format).Increment();
  metrics_.normalize_seconds.Observe(res.times.normalize);
  metrics_.decide_seconds.Observe(res.times.decide);
  if (std::atomic<int64_t>* counter = DecisionCounter(res.outcome.decision())) {
    ++*counter;
    metrics_.decisions.Get(dedup::DecisionName(res.outcome.decision())).Increment();
  }
  if (res.outcome.decision() != v1::DECISION_REDELIVERY && !res.provider.empty()) {
    metrics_.provider_last_article.Get(res.provider).Set(static_cast<double>(in.timestamp_ms) / 1000.0);
  }
}

void WorkerProbe::EmbargoReleased(int64_t late_ms, int64_t tolerance_ms) {
  counters_.embargo_releases++;
  metrics_.embargo_releases.Increment();
  metrics_.embargo_lateness_seconds.Observe(static_cast<double>(late_ms) / 1000.0);
  if (late_ms > tolerance_ms) metrics_.embargo_late_releases.Increment();
}

void WorkerProbe::EmbargoHeld(size_t stories, int64_t next_due_ms) {
  metrics_.embargo_held.Set(static_cast<double>(stories));
  // A story due at once (an update lifted its embargo) reads as due at the epoch's first
  // millisecond, not as 0 (none held): overdue if it stays.
  metrics_.embargo_next_release.Set(
      next_due_ms == INT64_MAX ? 0.0 : static_cast<double>(std::max<int64_t>(next_due_ms, 1)) / 1000.0);
}

void WorkerProbe::Delivered(int64_t now_ms, int64_t timestamp_ms) {
  if (timestamp_ms > 0)
    metrics_.end_to_end_seconds.Observe(static_cast<double>(now_ms - timestamp_ms) / 1000.0);
}

void WorkerProbe::Committed(const std::map<std::string, int64_t>& published, double seconds) {
  for (const auto& [topic, n] : published) metrics_.published.Get(topic).Increment(static_cast<double>(n));
  metrics_.commit_seconds.Observe(seconds);
  metrics_.in_flight.Set(0);
  counters_.committed_batches++;
}

void WorkerProbe::Aborted() {
  metrics_.txn_aborts.Increment();
  metrics_.in_flight.Set(0);
  counters_.aborted_batches++;
}

void WorkerProbe::Rebalanced(bool assigned) {
  if (assigned) {
    metrics_.rebalance_assign.Increment();
  } else {
    metrics_.rebalance_revoke.Increment();
  }
}

void WorkerProbe::Partitions(size_t assigned, size_t restoring, size_t waiting) {
  metrics_.assigned_partitions.Set(static_cast<double>(assigned));
  metrics_.restoring_partitions.Set(static_cast<double>(restoring));
  metrics_.waiting_partitions.Set(static_cast<double>(waiting));
}

void WorkerProbe::StoreSizes(uint64_t shared_index_bytes, uint64_t partition_bands_bytes,
                             uint64_t disk_bytes) {
  metrics_.shared_index_bytes.Set(static_cast<double>(shared_index_bytes));
  metrics_.partition_bands_bytes.Set(static_cast<double>(partition_bands_bytes));
  metrics_.state_store_bytes.Set(static_cast<double>(disk_bytes));
}

}  // namespace copydesk::ingest
