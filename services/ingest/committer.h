// How a batch's results become visible and its input offsets committed: one committer per
// delivery mode (ingest.mode), chosen once at start-up (MakeCommitter), behind one interface.
//
// A batch is the inputs decided since the last commit. Committing it (README.md, "When offsets
// are committed") means: its state changes (with their decision memos) acknowledged on the
// changelog before any of its outputs; its outputs and the partitions' progress markers sent; its
// input offsets committed for the group; its state written to the local stores with a new
// checkpoint. An output is never visible without the memo that replays its decision.
//
// - TransactionalCommitter: everything of the batch is sent at the commit, inside one Kafka
//   transaction with the input offsets.
// - AtLeastOnceCommitter: an input's state changes go to the changelog as soon as it is decided,
//   and its outputs follow once they are acknowledged (ReleaseQueue); the commit waits for the
//   acknowledgements and commits the offsets.
//
// Both run on the poll thread; the transactional commit of a large batch writes the local state
// on a second thread meanwhile (see its Commit).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "ingest/band_budget.h"
#include "ingest/embargo.h"
#include "ingest/fatal.h"
#include "ingest/index_feed.h"
#include "ingest/io.h"
#include "ingest/partition.h"
#include "ingest/probe.h"
#include "ingest/progress_gate.h"

namespace copydesk::ingest {

// What a committer works with; everything borrowed outlives it.
struct CommitContext {
  std::string changelog_topic;
  int64_t commit_interval_ms = 100;
  RecordSink& sink;
  OffsetCommitter& offsets;
  const RecordSource& source;  // input lag (when a batch commits)
  Cluster& cluster;            // the cluster id, in the checkpoints
  Partitions& partitions;
  WorkerProbe& probe;
  const Clock& clock;
  const BandBudget& budget;
  FatalError& fatal;
  const WorkerIdentity& identity;
  // Progress markers go out with every commit (null: no visibility wait), and documents are copied
  // to the index topic (null: no shared index).
  ProgressGate* gate = nullptr;
  SharedIndexFeed* feed = nullptr;
};

class Committer {
 public:
  virtual ~Committer() = default;
  Committer(const Committer&) = delete;
  Committer& operator=(const Committer&) = delete;

  // Opens a batch unless one is open (a transaction, in transactional mode).
  Status Open();
  [[nodiscard]] bool open() const { return open_; }
  [[nodiscard]] int64_t events() const { return events_; }
  // When the open batch commits at the latest.
  [[nodiscard]] int64_t deadline_ms() const { return deadline_ms_; }

  // Adds a decided input of `partition` to the open batch: its state changes are staged in p's
  // store, `outputs` are its records to publish.
  virtual Status Add(int32_t partition, Partition& p, const Record& in, std::vector<Record> outputs) = 0;
  // Adds the release of a held story of `partition` to the open batch: its state changes (the held
  // versions deleted) are staged in p's store and its records published, so that the release is
  // visible exactly when the state that marks it is (transactional: in one transaction; an abort
  // puts the held versions back), or, at-least-once, the records are acknowledged before the state
  // change is sent (a worker that dies between them releases the story again).
  virtual Status AddRelease(int32_t partition, Partition& p, embargo::Release release) = 0;
  // True while outputs wait to be sent or acknowledged: the loop comes back at once (Serve).
  [[nodiscard]] virtual bool waiting() const { return false; }
  // Serves delivery reports and sends the outputs that may go; an Error when a delivery failed
  // (the batch must be aborted).
  virtual Status Serve() { return OkStatus(); }
  // Commits the open batch. An Error: the batch must be aborted (the caller's AbortBatch), unless
  // the error was fatal (set in the context's FatalError).
  virtual Status Commit() = 0;
  // Drops the open batch. What it staged stays staged in the partitions' stores (the rewound
  // inputs replay their decisions from the memos, and the next commit sends it all).
  void Abort();
  // At-least-once: a document restored from the changelog beyond the committed input offset,
  // whose index copy the previous owner may never have sent: sent with the next commit.
  virtual void AddRestoredCopy(Record copy) { (void)copy; }
  [[nodiscard]] virtual bool has_restored_copies() const { return false; }
  // How long each call to Kafka may wait (shortened at shutdown).
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

 protected:
  explicit Committer(CommitContext ctx) : ctx_(ctx) {}
  virtual Status BeginBatch() { return OkStatus(); }
  virtual void AbortBatch() {}

  // The open batch's bookkeeping for a decided input.
  void NoteInput(Partition& p, const Record& in);
  // ... for a partition in the batch for a state change only (no input offset to commit).
  static void NoteStateOnly(Partition& p);
  // Sends one staged state change to the changelog and, for a document, its index copy (to
  // `defer` when given, else at once). Derived keys are not sent: a restore rebuilds them.
  Status SendStateChange(int32_t partition, int64_t batch_next, dedup::Mutation&& m,
                         std::vector<Record>* defer);
  // The progress markers due, after the batch's documents.
  Status SendMarkers();
  // The next input offsets of the batch's partitions (not those in it for a clock floor only).
  [[nodiscard]] std::vector<PartitionOffset> BatchOffsets() const;
  // The end of every commit: the offsets through the consumer (`offsets_required`: a failure
  // aborts the batch), the staged state to the local stores with the checkpoint (`state_written`:
  // it is there already), the band budget, the metrics. Closes the batch.
  Status Finish(int64_t started_us, bool offsets_required, bool state_written);

  CommitContext ctx_;
  std::chrono::milliseconds timeout_{30000};
  bool open_ = false;
  int64_t events_ = 0;
  int64_t deadline_ms_ = 0;
  std::map<std::string, int64_t> published_;  // outputs sent in the open batch, per topic
};

// The two delivery modes. `transactions` must outlive the committer.
std::unique_ptr<Committer> MakeTransactionalCommitter(CommitContext ctx, Transactions& transactions);
std::unique_ptr<Committer> MakeAtLeastOnceCommitter(CommitContext ctx);

}  // namespace copydesk::ingest
