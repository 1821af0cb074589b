// The ingest worker: a consumer-group member over the raw topic that runs the pipeline and
// publishes its outputs. Threading: everything runs on the thread that calls Run() (the poll
// thread), including rebalance callbacks. See services/ingest/README.md for the commit protocol.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/kafka.h"
#include "common/metrics.h"
#include "dedup/index_store.h"
#include "dedup/rocksdb_store.h"
#include "ingest/pipeline.h"
#include "ingest/release.h"
#include "ingest/state.h"

namespace copydesk::ingest {

struct WorkerOptions {
  KafkaConfig kafka;
  TopicsConfig topics;
  std::string group_id = "copydesk-ingest";
  // "transactional" (default) or "at-least-once". Never a silent fallback.
  std::string mode = "transactional";
  // This worker's stable identity; the transactional.id is "<group>-<instance_id>".
  std::string instance_id;
  int64_t commit_interval_ms = 100;
  int64_t commit_max_events = 500;
  int64_t max_value_bytes = 10 << 20;
  int64_t max_event_millis = 2000;
  int64_t session_timeout_ms = 6000;
  // Local dedup state: one RocksDB per input partition under
  // <state_dir>/<instance_id>/<raw topic>/p<N>.
  // Empty = in memory (restored from the changelog on every assignment).
  std::string state_dir = "./copydesk-data/ingest";
  // Match near-duplicates across partitions through the shared index topic.
  bool shared_index = true;
  // Each worker's copy of the shared index (rebuilt from the topic at every start) is kept in
  // memory (dedup::IndexMemoryStore, ~2 KiB per document in the near-duplicate window) up to
  // this many MiB, then moved to RocksDB under state_dir (bounded memory, more CPU per document).
  // 0 = RocksDB from the start. Without a state_dir it stays in memory.
  int64_t shared_index_memory_mib = 128;
  // The assigned partitions' LSH band entries (20 per document, rebuilt from the documents when a
  // partition is opened) are kept in memory (dedup::PartitionStore, ~1 KiB per document) up to
  // this many MiB in all; past it, the largest partition's move into its RocksDB store.
  // 0 = RocksDB from the start. Without a state_dir they stay in memory.
  int64_t partition_bands_memory_mib = 128;
  // Cross-partition determinism (services/ingest/README.md, "Progress and the visibility wait"):
  // a record sees another partition's documents only when indexed more than this earlier ...
  int64_t visibility_delay_ms = 2000;
  // ... and waits until every other partition's progress marker covers that, at most until a
  // partition has published no marker for this long (no owner): then it is decided without
  // (counted). 0 = never wait (decisions across partitions then depend on timing).
  int64_t visibility_wait_ms = 30000;
  // A partition's restore (opening its state and reading its changelog) retries transient Kafka
  // errors for this long, then fails the worker (exit 3; the orchestrator restarts it).
  int64_t restore_timeout_ms = 300000;

  // Registers every key on a config schema.
  void Describe(ConfigSchema& schema);
};

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
};

// One ingest worker. Owns its Kafka clients and the state of its assigned partitions.
class Worker {
 public:
  static Result<std::unique_ptr<Worker>> Create(const WorkerOptions& options,
                                                metrics::IngestMetrics& metrics);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker();

  // Runs until `stop` is set (then commits or aborts the open batch and leaves the group) or
  // a fatal error (returned; the process should exit so the orchestrator restarts it).
  Status Run(const std::atomic<bool>& stop);
  [[nodiscard]] const WorkerCounters& counters() const { return counters_; }

 private:
  // A changelog restore in progress, advanced between polls (StepRestores) so that the worker
  // keeps serving its other partitions and the group while it runs.
  // Opening takes three steps, each retried on a transient Kafka error until the deadline: the
  // group's committed offset, the local store (once; a failure there is fatal), and the changelog
  // reader (skipped when the local state is current).
  struct Restore {
    bool have_committed = false;  // the committed offset is known
    // The local store, open while it is checked against the changelog, and its marker.
    std::unique_ptr<dedup::StateStore> db;
    std::optional<std::string> marker;
    bool reading = false;  // the changelog reader is positioned (lo, hi known)
    std::unique_ptr<kafka::Consumer> consumer;
    int64_t lo = 0, hi = 0, pos = 0;
    int64_t applied = 0, beyond = 0;
    std::vector<dedup::Mutation> pending;
    std::chrono::steady_clock::time_point deadline;
    // Transient errors: when the failed step is tried again, the last error, and its last warning.
    std::chrono::steady_clock::time_point retry_at;
    std::string last_error;
    std::chrono::steady_clock::time_point warned_at;
    int64_t retries = 0;
  };
  struct Partition {
    std::unique_ptr<OverlayStore> store;
    // Set while the state is being restored: the partition is not yet in the consumer's
    // assignment (held back by the rebalance hook) and has no deduper.
    std::unique_ptr<Restore> restore;
    std::unique_ptr<dedup::Deduper> deduper;
    int64_t committed_next = 0;  // next offset to consume after the last committed batch
    bool has_committed = false;  // the group had a committed offset for it when it was assigned
    int64_t batch_next = -1;     // next offset after the last event in the open batch, -1 = none
    // Next offset after the last input whose decision is in the state (restored, or decided here):
    // inputs below it were processed, whether or not their offset commit went through.
    int64_t decided_next = 0;
    // In the batch for a state change only (a clock floor): no input offset to commit.
    bool state_only = false;
    // Records waiting for the other partitions' progress (the partition is paused meanwhile).
    std::deque<Record> held;
    int64_t held_since_ms = 0;
    // The partition's clock (dedup::Deduper::VisibilityTime) as of the staged state.
    int64_t clock = 0;
    // Set once this worker read back one of its own markers for the partition, sent since it was
    // assigned: the previous owner's documents are then in the shared index, and the partition's
    // progress counts as of now (MayDecide) instead of as of its last marker.
    bool progress_live = false;
    uint64_t assignment = 0;       // which assignment of this worker (marker tag)
    int64_t last_delivery_ms = 0;  // when the consumer last delivered one of its records
    // The progress marker last sent, and when (resent every second as a heartbeat).
    int64_t progress_sent = INT64_MIN;
    int64_t progress_sent_ms = 0;
  };

  Worker(WorkerOptions options, metrics::IngestMetrics& metrics);
  void OnRebalance(bool assigned, std::vector<kafka::TopicPartitionOffset>& parts);
  // Registers an assigned partition; its state is opened (and restored) between polls.
  void Assign(int32_t partition);
  // One step of opening a partition's state: an error only when it is fatal (the local store
  // failed); transient Kafka errors leave the step to be tried again (NoteRetry).
  Status OpenPartition(int32_t partition, Partition& p);
  void NoteRetry(int32_t partition, Restore& r, const Error& e);
  // The partition's state is ready: its deduper is made and it joins the consumer's assignment.
  Status MakeReady(int32_t partition, Partition& p);
  // Seeks a partition back to its committed offset; held records are dropped (fetched again).
  void Rewind(int32_t partition, Partition& p);
  // The position of an input partition is not on the broker: resume where the data is, and say
  // loudly what was lost.
  void OnOutOfRange(const kafka::TopicPartitionOffset& position);
  // Starts rebuilding a partition's state from the changelog; finishes at once when it is empty.
  Status BeginRestore(int32_t partition, Partition& p);
  // Advances every partition being opened or restored, within about `budget`: a finished one joins
  // the consumer's assignment. Transient Kafka errors are retried until restore_timeout_ms; a
  // failure past that, or of the local store, is fatal (the process restarts and restores again).
  void StepRestores(std::chrono::milliseconds budget);
  // Applies what the partition's changelog reader has ready, until `until`.
  Status ReadChangelog(int32_t partition, Partition& p, std::chrono::steady_clock::time_point until);
  // Applies the last records, writes the marker and makes the partition ready to decide.
  Status FinishRestore(int32_t partition, Partition& p);
  // Where consumption starts once the state is ready: the committed offset, or the beginning.
  [[nodiscard]] static int64_t StartOffset(const Partition& p);
  [[nodiscard]] size_t RestoringCount() const;
  void UpdateRestoring();  // the restoring-partitions gauge
  std::atomic<int64_t>* DecisionCounter(v1::Decision d);
  // A delivered input: held if the partition waits for the others' progress, else decided.
  Status HandleEvent(const Record& in);
  // Decides one input and stages its outputs in the open batch.
  Status DecideEvent(int32_t partition, Partition& p, const Record& in);
  [[nodiscard]] dedup::Config DedupConfig() const;
  // Cross-partition determinism: true when the progress markers of every other partition cover
  // what a record with this timestamp may see (or a partition published none for
  // visibility_wait_ms).
  [[nodiscard]] bool WaitsForProgress() const { return shared_store_ && options_.visibility_wait_ms > 0; }
  bool MayDecide(int32_t partition, const Partition& p, int64_t timestamp_ms);
  void Hold(int32_t partition, Partition& p, Record in);
  // Decides the held records that may be decided now; resumes partitions left with none.
  Status ReleaseHeld();
  void UpdateWaiting();
  // The lower bound of the visibility time of everything the partition decides from now on.
  static int64_t ProgressOf(const Partition& p);
  // The deduper of a partition whose state is ready, and its cached clock.
  Status MakeDeduper(Partition& p);
  // Raises the clocks of idle partitions (a floor, staged in the batch) and opens a batch when a
  // progress marker is due; the commit sends the markers (SendProgress).
  void AdvanceProgress();
  Status SendProgress();
  // Publishes and commits the open batch; on an abortable failure, aborts and rewinds.
  Status CommitBatch();
  [[nodiscard]] std::vector<kafka::TopicPartitionOffset> BatchOffsets() const;
  // state_written: the batch's state is in the local stores already (WriteLocalState), only the
  // markers are written.
  Status FinishCommit(std::chrono::steady_clock::time_point t0, bool state_written = false);
  Status WriteLocalState();
  void AbortBatch(const std::string& why);
  Status BeginIfNeeded();
  [[nodiscard]] std::string StateRoot() const;
  [[nodiscard]] std::string MarkerHead() const;
  // The cluster's id, once the broker told it (MarkerHead); never changes for a process.
  mutable std::string cluster_id_;
  void KeepBandsInBudget();
  [[nodiscard]] std::string MarkerValue(int64_t committed_next, int64_t changelog_next) const;
  // The input offset the local state reaches when it is current; nullopt: restore. An error when
  // the changelog's end could not be read (transient: try again).
  [[nodiscard]] Result<std::optional<int64_t>> LocalStateIsCurrent(const std::string& marker,
                                                                   int32_t partition,
                                                                   int64_t committed_next) const;
  [[nodiscard]] bool OnlyMarkerAt(int32_t partition, int64_t offset) const;
  [[nodiscard]] Result<std::unique_ptr<kafka::Consumer>> CreateReader(int fetch_wait_ms) const;
  [[nodiscard]] bool transactional() const { return options_.mode == "transactional"; }
  // At-least-once: state changes go to the changelog as events are decided, and each event's
  // outputs are released as soon as the changelog records sent before them are acknowledged.
  [[nodiscard]] bool pipelined() const { return !transactional(); }
  // Pipelined: sends the partition's state changes staged since the last call (changelog and
  // shared index records).
  Status SendChanges(int32_t partition, Partition& p);
  // Sends one staged state change to the changelog (and the shared index topic).
  Status SendStateChange(int32_t partition, int64_t batch_next, dedup::Mutation&& m);
  // A shared index record for the index topic: partition IndexPartition(partition).
  [[nodiscard]] Record IndexCopy(int32_t partition, std::string key, std::optional<std::string> value) const;
  // Pipelined: serves delivery reports, sends the outputs whose state is acknowledged, and
  // observes the end-to-end latency of the events whose outputs are acknowledged. An error if a
  // delivery failed (the batch must be aborted: nothing held is released after a failure).
  Status ReleaseReady();
  ReleaseQueue release_;

  WorkerOptions options_;
  PipelineOptions pipeline_;
  metrics::IngestMetrics& metrics_;  // borrowed; outlives the worker
  WorkerCounters counters_;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<kafka::Consumer> consumer_;
  // The shared near-duplicate index of all partitions, fed from topics.index on the poll thread.
  std::unique_ptr<dedup::SharedIndexStore> shared_store_;
  std::unique_ptr<kafka::Consumer> index_consumer_;
  int32_t index_partitions_ = 0;
  // The index topic partition of an input partition's documents and markers (-1: by key).
  [[nodiscard]] int32_t IndexPartition(int32_t partition) const {
    return index_partitions_ > 0 ? partition % index_partitions_ : -1;
  }
  // Per input partition: the highest progress marker read from the index topic, and when the
  // last marker (of any value) was read.
  std::vector<int64_t> progress_;
  std::vector<int64_t> progress_seen_ms_;
  int64_t last_progress_check_ms_ = 0;
  int64_t last_release_ms_ = 0;
  // What the last record that could not be decided waited for (debug log).
  struct Blocked {
    int32_t partition = -1;
    int64_t progress = 0, need = 0;
  } blocked_by_;
  // This worker's documents (and expiries) not yet in its shared index, the least visibility
  // time among their decisions, and when the oldest was added.
  std::vector<dedup::Mutation> own_index_pending_;
  int64_t own_index_min_tau_ = INT64_MAX;
  int64_t own_index_since_ms_ = 0;
  Status FlushOwnIndex();
  // At-least-once: the open batch's shared index copies, sent at its commit.
  std::vector<Record> index_copies_;
  // At-least-once: shared index copies of documents restored from the changelog beyond the
  // committed input offset, sent (again) with the next commit.
  std::vector<Record> restored_index_copies_;
  uint64_t assignments_ = 0;
  int64_t started_ms_ = 0;
  [[nodiscard]] std::string MarkerTag(uint64_t assignment) const;
  int64_t index_records_ = 0;
  int64_t index_skipped_ = 0;  // copies of the worker's own documents, already in the shared index
  int64_t last_index_drain_ms_ = 0;
  Status OpenSharedIndex();
  // Applies up to `max` index records that are ready; returns how many. `reached` (start-up
  // catch-up only): the next offset per partition, after each record or at the partition's end.
  int DrainIndex(int max, std::chrono::milliseconds wait, std::map<int32_t, int64_t>* reached = nullptr);
  // Touched only on the poll thread.
  std::map<int32_t, Partition> partitions_;
  bool txn_open_ = false;
  // An abort that failed transiently: retried before the next transaction begins.
  bool abort_pending_ = false;
  // Set while the worker is being destroyed: a revoke then commits nothing.
  bool closing_ = false;
  bool ever_assigned_ = false;  // a rebalance callback has assigned partitions once
  int64_t batch_events_ = 0;
  // When the open batch commits at the latest (commit_interval_ms after it opened, or after its
  // first event's Kafka timestamp: AnchoredDeadline).
  int64_t batch_deadline_ms_ = 0;
  std::vector<int64_t> batch_timestamps_;
  // Transactional: output records of the open batch, held until commit: the batch's state
  // changes (with the decision memos) are acknowledged on the changelog before any output is
  // sent, so an output is never visible without the memo that lets a reprocessing worker replay
  // its decision. (At-least-once: per event, in release_.)
  std::vector<Record> batch_outputs_;
  std::map<std::string, int64_t> published_;  // outputs sent in the open batch, per topic
  int64_t last_store_size_ms_ = 0;
  void UpdateStoreSize();
  void AwaitFirstAssignment(std::chrono::milliseconds bound);
  Status fatal_ = OkStatus();
  // Set by Run(); restore loops stop early when it is set.
  const std::atomic<bool>* stop_ = nullptr;
  // Timeout of each transactional call; shortened during shutdown so that SIGTERM ends in time.
  std::chrono::milliseconds txn_timeout_{30000};
};

}  // namespace copydesk::ingest
