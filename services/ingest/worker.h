// The ingest worker: a member of the consumer group over the raw topic that decides every input
// (pipeline.h) and publishes the results. It owns its parts and schedules them on one thread, the
// poll thread that calls Run(): the Kafka adapters (io.h), the partitions' state and its restorer,
// the progress gate, the shared-index feed, the committer of its delivery mode, the band budget
// and the probe. The transactional committer writes a large batch's local state on a second
// thread during its commit. See README.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/health.h"
#include "common/metrics.h"
#include "common/result.h"
#include "ingest/band_budget.h"
#include "ingest/committer.h"
#include "ingest/fatal.h"
#include "ingest/index_feed.h"
#include "ingest/io.h"
#include "ingest/options.h"
#include "ingest/partition.h"
#include "ingest/pipeline.h"
#include "ingest/probe.h"
#include "ingest/progress_gate.h"
#include "ingest/restorer.h"

namespace copydesk::ingest {

class Worker {
 public:
  // Connects to Kafka (worker_kafka.cc), reads the shared index to its end and joins the group.
  // `metrics` and `clock` must outlive the worker.
  static Result<std::unique_ptr<Worker>> Create(const WorkerOptions& options, metrics::IngestMetrics& metrics,
                                                const Clock& clock = SystemClock::Instance());
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker();

  // Runs until `stop` is set (then commits or aborts the open batch and leaves the group) or a
  // fatal error (returned: the process exits with status 3 so that the orchestrator restarts it).
  Status Run(const std::atomic<bool>& stop);

  // Reports to /livez and /readyz (call before Run): the poll loop beats a heartbeat every turn
  // (live while its latest beat is younger than ingest.liveness_max_age_ms), and the worker is
  // ready once it has polled the group and no assigned partition is restoring its state.
  void AttachHealth(health::Registry& registry);
  [[nodiscard]] const WorkerCounters& counters() const { return probe_.counters(); }

 private:
  Worker(WorkerOptions options, metrics::IngestMetrics& metrics, const Clock& clock);
  // Creates the parts that do not talk to Kafka, over the adapters already set.
  void MakeParts();

  // One turn of the loop; `backoff_ms` grows after a failure and is reset by a commit.
  void Turn(int64_t& backoff_ms, bool& caught_up);
  // The group assigned or revoked partitions (called from inside the source's Poll).
  void OnRebalance(bool assigned, std::vector<int32_t>& partitions);
  void Assign(int32_t partition);
  // Advances the partitions being opened or restored, for about 50 ms.
  void StepRestores();
  // The partition's state is ready: its deduper is made and it joins the consumer's assignment.
  Status MakeReady(int32_t partition, Partition& p);
  // The broker no longer has a partition's position: continue where the data is, and say loudly
  // what was lost (input_position.h).
  void OnOutOfRange(const PartitionOffset& position);

  // A delivered input: held if its partition waits for the others' progress, else decided.
  Status HandleEvent(const Record& in);
  // Decides one input and adds it to the open batch.
  Status Decide(int32_t partition, Partition& p, const Record& in);
  bool MayDecide(int32_t partition, const Partition& p, int64_t timestamp_ms);
  // Decides the held inputs that may be decided now; resumes the partitions left with none.
  Status ReleaseHeld();
  // Raises idle partitions' clocks and opens a batch when a progress marker is due.
  void AdvanceProgress();
  // Adds every held story that is due to the open batch (embargo.h), and updates the gauges.
  Status ReleaseEmbargoes();
  // The earliest due time of a held story on this worker (INT64_MAX: none).
  [[nodiscard]] int64_t NextEmbargoDue() const;

  // Commits the open batch; on a failure that is not fatal, aborts it.
  Status CommitBatch();
  // Drops the open batch and rewinds its partitions to their committed offsets.
  void AbortBatch(const std::string& why);
  // Seeks a partition back to its committed offset; its held inputs are dropped (fetched again).
  void Rewind(int32_t partition, Partition& p);

  void UpdateGauges();
  void UpdateStoreSizes();
  // librdkafka 2.0.2 aborts when a cooperative-sticky member is destroyed between its first
  // JoinGroup and SyncGroup answers (librdkafka issue #4312, fixed in 2.3.0): a worker stopped
  // that early waits, bounded, for its first assignment (processing nothing meanwhile).
  void AwaitFirstAssignment(int64_t bound_ms);
  Status ExitFatal();
  Status Shutdown();
  // <state_dir>/<instance id>: this instance's local state (several workers on one host never
  // share, and lock, the same RocksDB databases).
  [[nodiscard]] std::string InstanceRoot() const { return options_.state_dir + "/" + options_.instance_id; }

  // Declared in the order they may be destroyed in reverse: each part outlives the ones that
  // borrow it. The destructor closes the source first, while everything its revoke hook touches
  // still exists.
  WorkerOptions options_;
  PipelineOptions pipeline_;
  const Clock& clock_;
  WorkerIdentity identity_;
  WorkerProbe probe_;
  FatalError fatal_;
  ProgressGate gate_;
  // The Kafka adapters (kafka_io.h), set by Create.
  std::unique_ptr<RecordSink> sink_;
  std::unique_ptr<Cluster> cluster_;
  std::unique_ptr<SharedIndexFeed> feed_;  // null without the shared index
  std::unique_ptr<RecordSource> source_;
  std::unique_ptr<Transactions> transactions_;  // null at-least-once
  std::unique_ptr<OffsetCommitter> offsets_;
  std::unique_ptr<BandBudget> budget_;
  // Touched only on the poll thread (and by the transactional commit's writer thread, while the
  // poll thread waits for Kafka).
  Partitions partitions_;
  std::unique_ptr<Restorer> restorer_;
  std::unique_ptr<Committer> committer_;

  // Scheduling, on the poll thread.
  bool waits_for_progress_ = false;               // shared index on and ingest.visibility_wait_ms > 0
  bool ever_assigned_ = false;                    // a rebalance has assigned partitions once
  bool closing_ = false;                          // being destroyed: a revoke commits nothing
  std::shared_ptr<health::Heartbeat> heartbeat_;  // null without AttachHealth
  std::shared_ptr<health::ReadinessFlag> ready_;
  bool reported_ready_ = false;
  uint64_t assignments_ = 0;
  int64_t last_store_size_ms_ = 0;
  int64_t last_index_drain_ms_ = 0;
  int64_t last_release_ms_ = 0;
  int64_t last_progress_ms_ = 0;
  int64_t last_embargo_gauges_ms_ = 0;
};

}  // namespace copydesk::ingest
