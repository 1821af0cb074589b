// The worker's metrics and counters (STYLE.md item 9: one metrics struct per component, passed in
// by reference): what a decision, a commit, an abort and the partitions' states add to the
// Prometheus metrics (common/metrics.h) and to the summary counters.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "common/metrics.h"
#include "common/record.h"
#include "ingest/pipeline.h"

namespace copydesk::ingest {

// Counters for summaries (the demo) and tests; safe to read from any thread.
struct WorkerCounters {
  std::atomic<int64_t> consumed{0};
  std::atomic<int64_t> created{0};
  std::atomic<int64_t> updated{0};
  std::atomic<int64_t> canceled{0};
  std::atomic<int64_t> syndicated{0};
  std::atomic<int64_t> redeliveries{0};
  std::atomic<int64_t> duplicates{0};
  std::atomic<int64_t> stale{0};
  std::atomic<int64_t> dead_letters{0};
  std::atomic<int64_t> committed_batches{0};
  std::atomic<int64_t> aborted_batches{0};
  std::atomic<int64_t> embargo_releases{0};
};

// Written on the poll thread (the commit's writer thread touches none of it); the metrics are
// thread-safe to scrape.
class WorkerProbe {
 public:
  // `metrics` must outlive the probe.
  explicit WorkerProbe(metrics::IngestMetrics& metrics) : metrics_(metrics) {}
  WorkerProbe(const WorkerProbe&) = delete;
  WorkerProbe& operator=(const WorkerProbe&) = delete;

  // One input decided (or dead-lettered): formats, stage times, the decision, the provider. (The
  // consumed counter counts every input handed to the pipeline: the worker increments it.)
  void Decided(const ProcessResult& res, const Record& in);
  // The outputs of an input with this Kafka timestamp are acknowledged at `now_ms`.
  void Delivered(int64_t now_ms, int64_t timestamp_ms);
  // A batch committed: the outputs sent per topic, and how long the commit took.
  void Committed(const std::map<std::string, int64_t>& published, double seconds);
  void Aborted();
  void Fenced() { metrics_.txn_fenced.Increment(); }
  void TransactionCommitted() { metrics_.txn_commits.Increment(); }
  void InFlight(int64_t events) { metrics_.in_flight.Set(static_cast<double>(events)); }
  void RecordRestored() { metrics_.restored_records.Increment(); }
  void InputLost(int64_t count) { metrics_.input_lost.Increment(static_cast<double>(count)); }
  void DecidedWithoutProgress() { metrics_.decided_without_progress.Increment(); }
  // A held story released `late_ms` after it was due (late past `tolerance_ms`).
  void EmbargoReleased(int64_t late_ms, int64_t tolerance_ms);
  // Stories held on the worker's partitions, and the earliest due time (INT64_MAX: none).
  void EmbargoHeld(size_t stories, int64_t next_due_ms);
  void Rebalanced(bool assigned);
  void PartitionRevoked(int32_t partition) { metrics_.lag.Remove(std::to_string(partition)); }
  // The partitions' gauges: assigned, being opened or restored, holding records.
  void Partitions(size_t assigned, size_t restoring, size_t waiting);
  // Memory and disk of the state: the shared index in memory, the partitions' band entries in
  // memory, the local stores on disk.
  void StoreSizes(uint64_t shared_index_bytes, uint64_t partition_bands_bytes, uint64_t disk_bytes);
  void OnStatistics(std::string_view json) { metrics_.OnStatistics(json); }

  [[nodiscard]] WorkerCounters& counters() { return counters_; }
  [[nodiscard]] const WorkerCounters& counters() const { return counters_; }

 private:
  std::atomic<int64_t>* DecisionCounter(v1::Decision d);

  metrics::IngestMetrics& metrics_;  // borrowed
  WorkerCounters counters_;
};

}  // namespace copydesk::ingest
