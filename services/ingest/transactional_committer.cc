// Transactional delivery: a batch is one Kafka transaction. Its outputs wait for the commit, which
// sends the batch's state changes first (acknowledged before any output: an output is never
// visible without the memo that replays its decision), then its progress markers, its outputs and
// its input offsets, and commits the transaction.
#include <thread>

#include "common/log.h"
#include "ingest/batching.h"
#include "ingest/checkpoint.h"
#include "ingest/committer.h"

namespace copydesk::ingest {
namespace {

// Batches of at least this many inputs (a backlog: throughput counts) write their local state
// while the transaction commits.
constexpr int64_t kOverlapMinEvents = 128;

class TransactionalCommitter final : public Committer {
 public:
  TransactionalCommitter(CommitContext ctx, Transactions& transactions)
      : Committer(ctx), transactions_(transactions) {}

  Status Add(int32_t partition, Partition& p, const Record& in, std::vector<Record> outputs) override {
    if (events_ == 0) {
      // The batch's first input: its outputs wait for the commit, which is timed from the input's
      // Kafka timestamp, not from when it was fetched (batching.h).
      const auto lag = ctx_.source.Lag(partition, in.offset + 1);
      deadline_ms_ = AnchoredDeadline(deadline_ms_, ctx_.clock.NowMillis(), in.timestamp_ms,
                                      ctx_.commit_interval_ms, /*backlog=*/!lag || *lag >= kBacklogEvents);
    }
    NoteInput(p, in);
    for (auto& r : outputs) outputs_.push_back(std::move(r));
    timestamps_.push_back(in.timestamp_ms);
    return OkStatus();
  }

  Status AddRelease(int32_t partition, Partition& p, embargo::Release release) override {
    if (Status st = p.store->Apply(release.changes); !st.ok()) return st;
    NoteStateOnly(p);
    undo_.emplace_back(partition, std::move(release.undo));
    for (auto& r : release.records) outputs_.push_back(std::move(r));
    return OkStatus();
  }

  Status Commit() override;

 private:
  Status BeginBatch() override;
  void AbortBatch() override;
  // The batch's state without its checkpoint (deleted in the same write) to every partition's
  // local store; the batch stays staged until Finish. Runs on the commit's writer thread.
  Status WriteLocalState();

  Transactions& transactions_;  // borrowed
  // A transactional abort that failed transiently: tried again before the next transaction.
  bool abort_pending_ = false;
  std::vector<Record> outputs_;      // the open batch's outputs, sent at the commit
  std::vector<int64_t> timestamps_;  // its inputs' Kafka timestamps (end-to-end latency)
  // The held versions the open batch releases, per partition: put back when it aborts.
  std::vector<std::pair<int32_t, dedup::MutationBatch>> undo_;
};

Status TransactionalCommitter::BeginBatch() {
  if (abort_pending_) {
    if (Status st = transactions_.AbortTransaction(timeout_); !st.ok()) {
      if (transactions_.last_error() == Transactions::ErrorKind::kFatal) ctx_.fatal.Set(st.error());
      return st;
    }
    abort_pending_ = false;
  }
  if (Status st = transactions_.Begin(); !st.ok()) return st;
  outputs_.clear();
  timestamps_.clear();
  undo_.clear();
  return OkStatus();
}

void TransactionalCommitter::AbortBatch() {
  if (open_) {
    if (Status st = transactions_.AbortTransaction(timeout_); !st.ok()) {
      if (transactions_.last_error() == Transactions::ErrorKind::kFatal) {
        ctx_.fatal.Set(st.error());
      } else {
        // A transient failure (e.g. the coordinator did not answer in time): the abort is tried
        // again before the next transaction begins.
        abort_pending_ = true;
      }
    }
  }
  outputs_.clear();
  // The releases did not happen: their held versions are staged again (the worker reloads its
  // held indexes from the stores after an abort).
  for (auto& [part, undo] : undo_) {
    auto it = ctx_.partitions.find(part);
    if (it != ctx_.partitions.end() && it->second.store) {
      if (Status st = it->second.store->Apply(undo); !st.ok()) ctx_.fatal.Set(st.error());
    }
  }
  undo_.clear();
}

Status TransactionalCommitter::WriteLocalState() {
  for (auto& [part, p] : ctx_.partitions) {
    if (!p.in_batch()) continue;
    if (Status st = p.store->WriteThrough({{CheckpointKey(), std::nullopt}}); !st.ok()) return st;
  }
  return OkStatus();
}

// A large batch has its state written to the local stores on a second thread while Kafka
// acknowledges and commits; the poll thread does not touch the stores until the writer is joined.
// The checkpoint is removed in the same write and written again once the transaction is committed
// (Finish): a worker that dies in between restores from the changelog instead of trusting state
// Kafka may not have. A small batch (steady traffic: latency counts) writes after the commit, so
// that the writer does not take CPU from the commit its inputs wait for.
Status TransactionalCommitter::Commit() {
  if (!open_) return OkStatus();
  const int64_t started_us = ctx_.clock.MonotonicMicros();
  for (auto& [part, p] : ctx_.partitions) {
    if (!p.in_batch()) continue;
    for (auto& m : p.store->Pending()) {
      if (Status st = SendStateChange(part, p.batch_next, std::move(m), nullptr); !st.ok()) return st;
    }
  }
  if (Status st = SendMarkers(); !st.ok()) return st;
  const bool overlap = events_ >= kOverlapMinEvents;
  Status local_st = OkStatus();
  std::thread writer;
  if (overlap) writer = std::thread([this, &local_st] { local_st = WriteLocalState(); });
  // State (and memos) first, acknowledged; then the outputs.
  Status st = ctx_.sink.Flush(timeout_);
  for (size_t i = 0; st.ok() && i < outputs_.size(); ++i) {
    st = ctx_.sink.Send(outputs_[i]);
    if (st.ok()) ++published_[outputs_[i].topic];
  }
  if (st.ok()) st = transactions_.SendOffsets(BatchOffsets(), timeout_);
  if (st.ok()) st = transactions_.CommitTransaction(timeout_);
  if (writer.joinable()) writer.join();
  if (!local_st.ok()) {
    ctx_.fatal.Set(local_st.error());  // the local store failed: restart and restore
    if (st.ok()) return local_st;
  }
  if (!st.ok()) {
    if (transactions_.last_error() == Transactions::ErrorKind::kFatal) {
      ctx_.probe.Fenced();
      ctx_.fatal.Set(st.error());
    }
    return st;
  }
  ctx_.probe.TransactionCommitted();
  undo_.clear();
  const int64_t now = ctx_.clock.NowMillis();
  for (int64_t ts : timestamps_) ctx_.probe.Delivered(now, ts);
  // The offsets went with the transaction; committing them through the consumer as well is a
  // no-op on a real cluster and keeps restarts correct on the embedded broker, which does not
  // store offsets sent in a transaction.
  return Finish(started_us, /*offsets_required=*/false, /*state_written=*/overlap);
}

}  // namespace

std::unique_ptr<Committer> MakeTransactionalCommitter(CommitContext ctx, Transactions& transactions) {
  return std::make_unique<TransactionalCommitter>(ctx, transactions);
}

}  // namespace copydesk::ingest
