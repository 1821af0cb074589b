#include "ingest/committer.h"

#include "common/log.h"
#include "dedup/dedup.h"
#include "ingest/checkpoint.h"

namespace copydesk::ingest {

Status Committer::Open() {
  if (open_) return OkStatus();
  if (Status st = BeginBatch(); !st.ok()) return st;
  open_ = true;
  events_ = 0;
  deadline_ms_ = ctx_.clock.NowMillis() + ctx_.commit_interval_ms;
  published_.clear();
  return OkStatus();
}

void Committer::Abort() {
  AbortBatch();
  ctx_.probe.Aborted();
  open_ = false;
  published_.clear();
}

void Committer::NoteInput(Partition& p, const Record& in) {
  p.batch_next = in.offset + 1;
  p.decided_next = std::max(p.decided_next, p.batch_next);
  p.state_only = false;
  ++events_;
  ctx_.probe.InFlight(events_);
}

void Committer::NoteStateOnly(Partition& p) {
  if (p.in_batch()) return;
  p.batch_next = p.committed_next;
  p.state_only = true;
}

Status Committer::SendStateChange(int32_t partition, int64_t batch_next, dedup::Mutation&& m,
                                  std::vector<Record>* defer) {
  if (dedup::IsDerivedKey(m.key)) return OkStatus();
  Record r;
  r.topic = ctx_.changelog_topic;
  r.partition = partition;
  r.key = m.key;
  r.value = m.value;
  // The input offset the state reaches once the input that staged it is done.
  r.headers.push_back({std::string(kInputOffsetHeader), std::to_string(batch_next)});
  Status st = ctx_.sink.Send(r);
  if (st.ok() && ctx_.feed && dedup::IsSharedIndexKey(m.key)) {
    Record copy = ctx_.feed->DocumentRecord(partition, std::move(m.key), std::move(m.value));
    if (defer) {
      defer->push_back(std::move(copy));
    } else {
      st = ctx_.sink.Send(copy);
    }
  }
  return st;
}

// In the batch, after its state changes: a reader that has a marker has every document before it.
Status Committer::SendMarkers() {
  if (!ctx_.gate) return OkStatus();
  for (auto& [part, p] : ctx_.partitions) {
    if (!p.ready() || !ctx_.gate->MarkerDue(p)) continue;
    const int64_t progress = ProgressGate::ProgressOf(p);
    if (Status st =
            ctx_.sink.Send(ctx_.feed->ProgressRecord(part, progress, ctx_.identity.Tag(p.assignment)));
        !st.ok())
      return st;
    ctx_.gate->MarkerSent(p, progress);
  }
  return OkStatus();
}

std::vector<PartitionOffset> Committer::BatchOffsets() const {
  std::vector<PartitionOffset> offsets;
  for (const auto& [part, p] : ctx_.partitions) {
    if (p.in_batch() && !p.state_only) offsets.push_back({part, p.batch_next});
  }
  return offsets;
}

Status Committer::Finish(int64_t started_us, bool offsets_required, bool state_written) {
  // Asynchronous: a lost offset commit only means reprocessing, which replays the recorded
  // decisions (their memos were acknowledged before any output).
  if (Status st = ctx_.offsets.CommitOffsets(BatchOffsets()); !st.ok() && offsets_required) return st;
  auto cluster = ctx_.cluster.ClusterId();
  const std::string cluster_id = cluster.ok() ? cluster.value() : "unknown";
  for (auto& [part, p] : ctx_.partitions) {
    if (!p.in_batch()) continue;
    const int64_t changelog_next = ctx_.sink.LastAckedOffset(ctx_.changelog_topic, part) + 1;
    if (state_written) p.store->Discard();  // written already: close the batch, persist the checkpoint
    Status st =
        p.store->Persist({{CheckpointKey(), EncodeCheckpoint({cluster_id, p.batch_next, changelog_next})}});
    if (!st.ok()) {
      ctx_.fatal.Set(st.error());  // the local store failed after Kafka committed: restart and restore
      return st;
    }
    p.committed_next = p.batch_next;
    p.batch_next = -1;
    p.state_only = false;
  }
  if (Status st = ctx_.budget.Keep(ctx_.partitions); !st.ok()) ctx_.fatal.Set(st.error());
  ctx_.probe.Committed(published_, static_cast<double>(ctx_.clock.MonotonicMicros() - started_us) / 1e6);
  published_.clear();
  open_ = false;
  return OkStatus();
}

}  // namespace copydesk::ingest
