#include "ingest/restorer.h"

#include <charconv>
#include <filesystem>

#include "common/log.h"
#include "dedup/partition_store.h"
#include "dedup/rocksdb_store.h"
#include "ingest/checkpoint.h"

namespace copydesk::ingest {
namespace {

constexpr int64_t kMillisUs = 1000;
// A restore applies the changelog in chunks of this many records (one store write each).
constexpr size_t kChunkRecords = 1000;
// A failed step waits 200 ms, doubling up to 2 s, before it is tried again; a warning at most
// every 10 s per partition.
constexpr int64_t kRetryFirstUs = 200 * kMillisUs;
constexpr int64_t kRetryMaxUs = 2000 * kMillisUs;
constexpr int64_t kWarnEveryUs = 10'000 * kMillisUs;

std::optional<int64_t> ParseOffset(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

Restorer::Restorer(Options options, RecordSource& source, Cluster& cluster, const Clock& clock,
                   WorkerProbe& probe, UncommittedHook on_uncommitted, AppliedHook on_applied)
    : options_(std::move(options)),
      source_(source),
      cluster_(cluster),
      clock_(clock),
      probe_(probe),
      on_uncommitted_(std::move(on_uncommitted)),
      on_applied_(std::move(on_applied)) {}

void Restorer::Begin(Partition& p) const {
  p.restore = std::make_unique<RestoreState>();
  p.restore->deadline_us = clock_.MonotonicMicros() + options_.restore_timeout_ms * kMillisUs;
}

std::string Restorer::StorePath(int32_t partition) const {
  return options_.store_root + "/p" + std::to_string(partition);
}

void Restorer::NoteRetry(int32_t partition, RestoreState& r, const Error& e) {
  const int64_t now = clock_.MonotonicMicros();
  ++r.retries;
  r.last_error = e.reason;
  r.retry_at_us = now + std::min(kRetryFirstUs << std::min<int64_t>(r.retries - 1, 4), kRetryMaxUs);
  if (r.retries == 1 || now - r.warned_at_us >= kWarnEveryUs) {
    r.warned_at_us = now;
    Logger("ingest")->warn("restore retrying after a transient error partition={} retries={} reason=\"{}\"",
                           partition, r.retries, e.reason);
  }
}

Result<bool> Restorer::Step(int32_t partition, Partition& p, int64_t until_us) {
  RestoreState& r = *p.restore;
  const int64_t now = clock_.MonotonicMicros();
  if (now > r.deadline_us) {
    return Error{v1::ERROR_CODE_TIMEOUT,
                 "restoring partition " + std::to_string(partition) + " gave up after " +
                     std::to_string(options_.restore_timeout_ms) + " ms" +
                     (r.last_error.empty() ? "" : " (last error: " + r.last_error + ")")};
  }
  if (r.reading) return now < until_us ? ReadChangelog(partition, p, until_us) : Result<bool>(false);
  if (now < r.retry_at_us) return false;
  if (!r.have_committed) {
    auto done = ReadCommitted(partition, p);
    if (!done.ok() || !done.value()) return done;
  }
  if (!p.store) {
    auto ready = OpenStore(partition, p);
    // Ready: the local state is current. Not ready and no store: try again later.
    if (!ready.ok() || ready.value() || !p.store) return ready;
  }
  return StartReading(partition, p);
}

Result<bool> Restorer::ReadCommitted(int32_t partition, Partition& p) {
  auto committed = source_.Committed(partition);
  if (!committed.ok()) {
    NoteRetry(partition, *p.restore, committed.error());
    return false;
  }
  p.committed_next = committed.value().value_or(0);
  p.has_committed = committed.value().has_value();
  p.restore->have_committed = true;
  return true;
}

// True when the local state is current (the partition is ready). False with p.store set: restore
// from the changelog; without: try again later.
Result<bool> Restorer::OpenStore(int32_t partition, Partition& p) {
  RestoreState& r = *p.restore;
  std::unique_ptr<dedup::StateStore> base;
  bool current = false;
  if (options_.store_root.empty()) {
    base = std::make_unique<dedup::MemoryStateStore>();
  } else {
    const std::string path = StorePath(partition);
    if (!r.db) {
      std::error_code ec;
      std::filesystem::create_directories(path, ec);
      auto db = dedup::RocksDbStateStore::Open(path);
      if (!db.ok()) return db.error();
      auto checkpoint = db.value()->Get(CheckpointKey());
      if (!checkpoint.ok()) return checkpoint.error();
      r.db = std::move(db.value());
      r.checkpoint = std::move(checkpoint.value());
    }
    std::optional<int64_t> local_next;
    if (r.checkpoint) {
      auto checked = LocalStateIsCurrent(*r.checkpoint, partition, p.committed_next);
      if (!checked.ok()) {
        NoteRetry(partition, r, checked.error());
        return false;
      }
      local_next = checked.value();
    }
    if (local_next) {
      current = true;
      p.decided_next = *local_next;
    } else {
      // Stale or foreign local state: start empty and restore from the changelog.
      r.db.reset();
      if (Status st = dedup::RocksDbStateStore::Destroy(path); !st.ok()) return st.error();
      auto db = dedup::RocksDbStateStore::Open(path);
      if (!db.ok()) return db.error();
      r.db = std::move(db.value());
    }
    base = std::move(r.db);
  }
  auto opened = dedup::PartitionStore::Open(std::move(base));
  if (!opened.ok()) return opened.error();
  if (options_.bands_in_base && !options_.store_root.empty()) {
    if (Status st = opened.value()->MoveBandsToBase(); !st.ok()) return st.error();
  }
  p.store = std::make_unique<OverlayStore>(std::move(opened.value()));
  p.store->TrackChanges(options_.track_changes);
  if (!current) return false;
  Logger("ingest")->info("local state is current partition={} committed_next={} decided_next={}", partition,
                         p.committed_next, p.decided_next);
  p.restore.reset();
  return true;
}

Result<std::optional<int64_t>> Restorer::LocalStateIsCurrent(const std::string& checkpoint, int32_t partition,
                                                             int64_t committed_next) {
  auto cluster = cluster_.ClusterId();
  if (!cluster.ok()) return cluster.error();
  auto c = DecodeCheckpoint(checkpoint);
  if (!c) return std::optional<int64_t>();
  auto wm = cluster_.Watermarks(options_.changelog_topic, partition);
  if (!wm.ok()) return wm.error();
  switch (CheckCheckpoint(*c, cluster.value(), committed_next, wm.value().second)) {
    case CheckpointVerdict::kCurrent: return std::optional<int64_t>(c->committed_next);
    case CheckpointVerdict::kRestore: return std::optional<int64_t>();
    case CheckpointVerdict::kCheckLastOffset:
      if (OnlyControlRecordAt(partition, c->changelog_next)) return std::optional<int64_t>(c->committed_next);
      return std::optional<int64_t>();
  }
  return std::optional<int64_t>();
}

bool Restorer::OnlyControlRecordAt(int32_t partition, int64_t offset) {
  auto reader = cluster_.OpenReader(options_.changelog_topic, 10);
  if (!reader.ok() || !reader.value()->Assign({{partition, offset}}).ok()) return false;
  const int64_t deadline = clock_.MonotonicMicros() + 10'000 * kMillisUs;
  while (clock_.MonotonicMicros() < deadline) {
    auto r = reader.value()->Poll(std::chrono::milliseconds(100));
    if (r.ok() && r.value()) return false;
    if (reader.value()->TakeEndOfPartition()) return true;
  }
  return false;  // undecided: restore
}

Result<bool> Restorer::StartReading(int32_t partition, Partition& p) {
  RestoreState& r = *p.restore;
  auto wm = cluster_.Watermarks(options_.changelog_topic, partition);
  if (!wm.ok()) {
    NoteRetry(partition, r, wm.error());
    return false;
  }
  r.lo = wm.value().first;
  r.hi = wm.value().second;
  r.pos = r.lo;
  r.reading = true;
  if (r.hi > r.lo) {
    // The end event says the restore is complete: the last offsets can be transaction control
    // records, which are never delivered.
    auto reader = cluster_.OpenReader(options_.changelog_topic, 10);
    if (!reader.ok()) return reader.error();
    r.reader = std::move(reader.value());
    if (Status st = r.reader->Assign({{partition, r.lo}}); !st.ok()) return st.error();
    Logger("ingest")->info("restore started partition={} changelog_records={}", partition, r.hi - r.lo);
  }
  if (r.pos >= r.hi) return Finish(partition, p);
  return false;
}

Result<bool> Restorer::ReadChangelog(int32_t partition, Partition& p, int64_t until_us) {
  RestoreState& r = *p.restore;
  while (r.pos < r.hi && clock_.MonotonicMicros() < until_us) {
    auto rec_r = r.reader->Poll(std::chrono::milliseconds(r.pending.empty() ? 5 : 0));
    if (!rec_r.ok()) {
      if (r.reader->fatal()) return rec_r.error();
      // A failed fetch (a timeout, a broker down, a leader change): librdkafka fetches again.
      NoteRetry(partition, r, rec_r.error());
      break;
    }
    if (!rec_r.value()) {
      if (auto end = r.reader->TakeEndOfPartition(); end && end->offset > r.pos) r.pos = end->offset;
      break;
    }
    const Record& rec = *rec_r.value();
    r.pos = rec.offset + 1;
    if (!rec.key) continue;
    if (auto header = rec.HeaderValue(kInputOffsetHeader)) {
      if (auto next = ParseOffset(*header)) {
        if (*next > p.committed_next) {
          ++r.beyond;
          if (on_uncommitted_) on_uncommitted_(partition, rec);
        }
        p.decided_next = std::max(p.decided_next, *next);
      }
    }
    r.pending.push_back({*rec.key, rec.value});
    ++r.applied;
    probe_.RecordRestored();
    if (r.pending.size() >= kChunkRecords) {
      Status st = dedup::ApplyChangelog(p.store->base(), r.pending);
      r.pending.clear();
      if (!st.ok()) return st.error();
      if (on_applied_) {
        if (Status budget = on_applied_(); !budget.ok()) return budget.error();
      }
    }
  }
  if (r.pos >= r.hi) return Finish(partition, p);
  return false;
}

// A partition's state is its changelog, applied in log order: everything it shows, including
// batches whose input offsets were not committed. Their outputs may be visible (at-least-once
// mode, or the embedded broker, which shows aborted transactions), and their decision memos make
// the reprocessed inputs replay exactly those decisions (dedup::Deduper).
Result<bool> Restorer::Finish(int32_t partition, Partition& p) {
  RestoreState& r = *p.restore;
  if (r.reader) r.reader->Close(std::chrono::seconds(5));
  auto cluster = cluster_.ClusterId();
  r.pending.push_back({CheckpointKey(), EncodeCheckpoint({cluster.ok() ? cluster.value() : "unknown",
                                                          p.committed_next, r.hi})});
  if (Status st = dedup::ApplyChangelog(p.store->base(), r.pending); !st.ok()) return st.error();
  Logger("ingest")->info(
      "restored partition={} committed_next={} decided_next={} changelog_records={} applied={} "
      "beyond_committed={}",
      partition, p.committed_next, p.decided_next, r.hi - r.lo, r.applied, r.beyond);
  p.restore.reset();
  return true;
}

}  // namespace copydesk::ingest
