// At-least-once delivery: an input's state changes (with its decision memo) go to the changelog as
// soon as it is decided, and its outputs wait in the ReleaseQueue until every record sent before
// them is acknowledged; then they are sent, without waiting for the batch to close. The commit
// waits for every outstanding acknowledgement and commits the input offsets. So an output is never
// visible before the memo that replays its decision, and it is visible after two produce round
// trips instead of after the commit interval.
#include "common/log.h"
#include "ingest/committer.h"
#include "ingest/release.h"

namespace copydesk::ingest {
namespace {

class AtLeastOnceCommitter final : public Committer {
 public:
  explicit AtLeastOnceCommitter(CommitContext ctx) : Committer(ctx) {}

  Status Add(int32_t partition, Partition& p, const Record& in, std::vector<Record> outputs) override {
    NoteInput(p, in);
    // The input's state changes go out now; its outputs wait for their acknowledgement (and for
    // that of everything sent before them).
    if (Status st = SendChanges(partition, p); !st.ok()) return st;
    release_.Hold(ctx_.sink.last_sequence(), in.timestamp_ms, std::move(outputs));
    return Serve();
  }

  // Everything decided before goes out first (the held-topic record of a story before its
  // tombstone); the release's records are acknowledged before the state change that marks it.
  Status AddRelease(int32_t partition, Partition& p, embargo::Release release) override {
    (void)partition;
    Status st = ctx_.sink.Flush(timeout_);
    if (st.ok()) st = Serve();
    for (size_t i = 0; st.ok() && i < release.records.size(); ++i) {
      st = ctx_.sink.Send(release.records[i]);
      if (st.ok()) ++published_[release.records[i].topic];
    }
    if (st.ok()) st = ctx_.sink.Flush(timeout_);
    if (st.ok()) st = Serve();
    if (st.ok()) st = p.store->Apply(release.changes);  // sent with the next changes
    if (st.ok()) NoteStateOnly(p);
    return st;
  }

  [[nodiscard]] bool waiting() const override { return release_.held() > 0 || release_.unacknowledged() > 0; }
  Status Serve() override;
  Status Commit() override;
  void AddRestoredCopy(Record copy) override { restored_copies_.push_back(std::move(copy)); }
  [[nodiscard]] bool has_restored_copies() const override { return !restored_copies_.empty(); }

 private:
  void AbortBatch() override;
  // The partition's state changes staged since the last call (changelog and shared index records).
  Status SendChanges(int32_t partition, Partition& p);

  ReleaseQueue release_;
  // The open batch's shared index copies, sent at its commit just before its progress markers:
  // one message set per index partition and commit instead of one per input.
  std::vector<Record> index_copies_;
  // Copies of documents restored beyond the committed input offset (AddRestoredCopy), sent with
  // every commit until one succeeds. A copy sent twice is applied twice, harmlessly.
  std::vector<Record> restored_copies_;
};

Status AtLeastOnceCommitter::SendChanges(int32_t partition, Partition& p) {
  for (auto& m : p.store->TakeChanges()) {
    if (Status st = SendStateChange(partition, p.batch_next, std::move(m), &index_copies_); !st.ok())
      return st;
  }
  return OkStatus();
}

Status AtLeastOnceCommitter::Serve() {
  ctx_.sink.Poll();
  if (ctx_.sink.delivery_failed()) return Error{v1::ERROR_CODE_INTERNAL, "a delivery failed"};
  for (auto& held : release_.TakeReleasable(ctx_.sink.DeliveredThrough())) {
    for (const auto& r : held.outputs) {
      if (Status st = ctx_.sink.Send(r); !st.ok()) return st;
      ++published_[r.topic];
    }
    release_.Sent(ctx_.sink.last_sequence(), held.timestamp_ms);
  }
  const int64_t now = ctx_.clock.NowMillis();
  for (int64_t ts : release_.TakeDelivered(ctx_.sink.DeliveredThrough())) ctx_.probe.Delivered(now, ts);
  return OkStatus();
}

// Everything staged is on its way already; wait for the acknowledgements, release the rest of the
// outputs and wait for theirs: then the offsets can be committed.
Status AtLeastOnceCommitter::Commit() {
  if (!open_) return OkStatus();
  const int64_t started_us = ctx_.clock.MonotonicMicros();
  for (auto& [part, p] : ctx_.partitions) {
    if (!p.in_batch()) continue;
    if (Status st = SendChanges(part, p); !st.ok()) return st;
  }
  for (const auto* copies : {&restored_copies_, &index_copies_}) {
    for (const auto& copy : *copies) {
      if (Status st = ctx_.sink.Send(copy); !st.ok()) return st;
    }
  }
  index_copies_.clear();  // an abort stages them again (MarkAllChanged); restored ones stay
  if (Status st = SendMarkers(); !st.ok()) return st;
  Status st = ctx_.sink.Flush(timeout_);
  if (st.ok()) st = Serve();
  if (st.ok()) st = ctx_.sink.Flush(timeout_);
  if (st.ok()) st = Serve();  // observes the latency of the last outputs
  if (!st.ok()) return st;
  restored_copies_.clear();  // acknowledged
  return Finish(started_us, /*offsets_required=*/true, /*state_written=*/false);
}

// Held outputs are never sent. The delivery failure (it is what aborted the batch) is cleared,
// and every staged change is sent again with the next commit: some of the sends may have failed.
void AtLeastOnceCommitter::AbortBatch() {
  index_copies_.clear();
  release_.Clear();
  (void)ctx_.sink.Flush(std::min<std::chrono::milliseconds>(timeout_, std::chrono::seconds(1)));
  for (auto& [part, p] : ctx_.partitions) {
    if (p.store) p.store->MarkAllChanged();
  }
}

}  // namespace

std::unique_ptr<Committer> MakeAtLeastOnceCommitter(CommitContext ctx) {
  return std::make_unique<AtLeastOnceCommitter>(ctx);
}

}  // namespace copydesk::ingest
