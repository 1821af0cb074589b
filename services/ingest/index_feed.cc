#include "ingest/index_feed.h"

#include <algorithm>
#include <filesystem>

#include "common/log.h"
#include "dedup/index_format.h"
#include "dedup/rocksdb_store.h"

namespace copydesk::ingest {

using namespace std::chrono_literals;

// At start-up the index is read to its end for at most this long before deciding begins.
constexpr int64_t kCatchUpMs = 30000;

Result<std::unique_ptr<SharedIndexFeed>> SharedIndexFeed::Open(Options options, Cluster& cluster,
                                                               const Clock& clock, ProgressGate& gate,
                                                               const WorkerIdentity& identity) {
  std::unique_ptr<SharedIndexFeed> feed(new SharedIndexFeed(std::move(options), clock, gate, identity));
  const std::string& path = feed->options_.store_path;
  if (!path.empty()) {
    (void)dedup::RocksDbStateStore::Destroy(path);  // rebuilt from the topic
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
  }
  feed->store_ = std::make_unique<dedup::SharedIndexStore>(feed->options_.memory_budget_bytes, path);
  // An empty fetch waits up to 100 ms on the broker (fewer round trips cost the broker less CPU);
  // a fetch that finds data returns at once, so markers arrive well within Δ.
  auto reader = cluster.OpenReader(feed->options_.topic, 100);
  if (!reader.ok()) return reader.error();
  feed->reader_ = std::move(reader.value());
  if (Status st = feed->CatchUp(cluster); !st.ok()) return st.error();
  return feed;
}

// Caught up = every partition's end (as it was at the start) reached, reported by an end event.
Status SharedIndexFeed::CatchUp(Cluster& cluster) {
  auto log = Logger("ingest");
  auto n = cluster.PartitionCount(options_.topic);
  if (!n.ok()) return n.error();
  index_partitions_ = n.value();
  std::vector<PartitionOffset> parts;
  std::map<int32_t, int64_t> ends;  // partitions with records: their end offset now
  for (int32_t p = 0; p < n.value(); ++p) {
    parts.push_back({p, kOffsetBeginning});
    auto wm = cluster.Watermarks(options_.topic, p);
    if (wm.ok() && wm.value().second > wm.value().first) ends[p] = wm.value().second;
  }
  if (Status st = reader_->Assign(parts); !st.ok()) return st;
  std::map<int32_t, int64_t> reached;  // next offset per partition: after a record, or its end
  auto caught_up = [&] {
    return std::all_of(ends.begin(), ends.end(), [&](const auto& kv) {
      auto it = reached.find(kv.first);
      return it != reached.end() && it->second >= kv.second;
    });
  };
  Partitions none;
  const int64_t deadline = clock_.MonotonicMicros() + kCatchUpMs * 1000;
  while (!caught_up() && clock_.MonotonicMicros() < deadline) DrainNoting(1000, 100ms, none, &reached);
  if (!caught_up())
    log->warn("shared index not caught up after 30 s; continuing (it catches up while deciding)");
  log->info("shared index loaded topic={} partitions={} records={} on_disk={} memory_bytes={}",
            options_.topic, n.value(), records_, store_->on_disk(), store_->memory_bytes());
  if (std::string report = store_->TakeReport(); !report.empty()) log->warn("{}", report);
  return OkStatus();
}

Record SharedIndexFeed::DocumentRecord(int32_t input_partition, std::string key,
                                       std::optional<std::string> value) const {
  Record r;
  r.topic = options_.topic;
  r.partition = dedup::IndexPartitionFor(input_partition, index_partitions_);
  r.key = std::move(key);
  r.value = std::move(value);
  return r;
}

Record SharedIndexFeed::ProgressRecord(int32_t input_partition, int64_t progress_ms,
                                       std::string_view tag) const {
  return DocumentRecord(input_partition, dedup::ProgressKey(input_partition),
                        dedup::EncodeProgressValue(progress_ms, tag));
}

int SharedIndexFeed::Drain(int max, std::chrono::milliseconds wait, Partitions& own) {
  return DrainNoting(max, wait, own, nullptr);
}

int SharedIndexFeed::DrainNoting(int max, std::chrono::milliseconds wait, Partitions& own,
                                 std::map<int32_t, int64_t>* reached) {
  int n = 0;
  std::vector<dedup::Mutation> batch;
  std::vector<dedup::ProgressMarker> markers;
  std::vector<int32_t> own_markers;  // partitions whose marker from this assignment came back
  // An end event (one per partition each time a fetch reaches the end: constantly, when the
  // topic is live) does not end the drain; only an empty queue does. Otherwise a drain would read
  // a few records, and the shared index would trail the topic by seconds under traffic.
  int events = 0;
  while (n < max && events++ < 2 * max) {
    auto r = reader_->Poll(n == 0 && events == 1 ? wait : 0ms);
    auto end = reader_->TakeEndOfPartition();
    if (reached && end) (*reached)[end->partition] = std::max((*reached)[end->partition], end->offset);
    if (r.ok() && !r.value() && end) continue;
    if (!r.ok() || !r.value()) break;
    const Record& rec = *r.value();
    if (reached) (*reached)[rec.partition] = rec.offset + 1;
    ++n;
    if (!rec.key) continue;
    switch (dedup::IndexRecordKindOf(*rec.key)) {
      case dedup::IndexRecordKind::kProgress:
        if (rec.value) {
          if (auto m = dedup::DecodeProgressMarker(*rec.key, *rec.value)) {
            auto mine = own.find(m->partition);
            if (mine != own.end() && m->tag == identity_.Tag(mine->second.assignment))
              own_markers.push_back(m->partition);
            markers.push_back(std::move(*m));
          }
        }
        break;
      case dedup::IndexRecordKind::kDocument: {
        // Copies of this worker's own documents: it wrote them to its shared index itself (once
        // one of its markers for the partition came back, every document of the partition on the
        // topic is its own). Deletions are applied (idempotent).
        std::optional<int32_t> owner = rec.value ? dedup::DocumentPartition(*rec.value) : std::nullopt;
        auto mine = owner ? own.find(*owner) : own.end();
        if (mine != own.end() && mine->second.progress_live) {
          ++skipped_;
          break;
        }
        batch.push_back({*rec.key, rec.value});
        break;
      }
      case dedup::IndexRecordKind::kOther: break;
    }
  }
  if (!batch.empty()) {
    // One write for the batch; the shared index keeps no expiry queue (the owners' tombstones
    // expire it).
    if (Status st = store_->ApplyDocuments(batch); !st.ok()) {
      // Without the documents the markers do not hold: drop them too (the wait bounds it).
      Logger("ingest")->warn("shared index apply failed reason=\"{}\"", st.error().reason);
      markers.clear();
      own_markers.clear();
    }
  }
  // Only now that the documents before them are in the store.
  for (const auto& m : markers) gate_.OnMarker(m.partition, m.progress_ms);
  for (int32_t q : own_markers) {
    if (auto mine = own.find(q); mine != own.end()) mine->second.progress_live = true;
  }
  records_ += n;
  return n;
}

Status SharedIndexFeed::AddOwn(std::vector<dedup::Mutation>&& documents, int64_t visibility_time_ms) {
  if (documents.empty()) return OkStatus();
  if (own_pending_.empty()) own_since_ms_ = clock_.NowMillis();
  own_min_tau_ = std::min(own_min_tau_, visibility_time_ms);
  for (auto& m : documents) own_pending_.push_back(std::move(m));
  if (own_pending_.size() >= kOwnMaxPending) return FlushOwn();
  return OkStatus();
}

Status SharedIndexFeed::FlushOwnBefore(int64_t need_ms) {
  return own_min_tau_ < need_ms ? FlushOwn() : OkStatus();
}

Status SharedIndexFeed::FlushOwnIfSteady() {
  if (own_pending_.empty() || own_pending_.size() > kOwnSteadyDocs ||
      clock_.NowMillis() - own_since_ms_ < kOwnMaxAgeMs)
    return OkStatus();
  return FlushOwn();
}

Status SharedIndexFeed::FlushOwn() {
  if (own_pending_.empty()) return OkStatus();
  Status st = store_->ApplyDocuments(own_pending_);
  own_pending_.clear();
  own_min_tau_ = INT64_MAX;
  return st;
}

}  // namespace copydesk::ingest
