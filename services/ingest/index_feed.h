// The worker's copy of the shared near-duplicate index (README.md, "Cross-partition
// near-duplicates"), fed from the index topic, and what the worker writes there. Every worker
// reads all partitions of the topic: other partitions' documents go into its shared index,
// progress markers to the progress gate. Its own decisions' documents go into its shared index
// directly (their copies from the topic are then skipped), in batches (AddOwn / FlushOwn*).
// The topic's record format is dedup/index_format.h. Single-threaded (poll thread).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "dedup/index_store.h"
#include "ingest/io.h"
#include "ingest/partition.h"
#include "ingest/progress_gate.h"

namespace copydesk::ingest {

class SharedIndexFeed {
 public:
  struct Options {
    std::string topic;
    // The shared index in memory up to this many bytes, then in RocksDB at `store_path` (emptied
    // at every start: the index is rebuilt from the topic). Empty path: always memory.
    uint64_t memory_budget_bytes = 0;
    std::string store_path;
  };
  // The worker's own documents are written before the first decision that may see one (Δ after
  // it was decided), at the latest at kOwnMaxPending, and at a steady rate (input caught up, at
  // most kOwnSteadyDocs pending) every kOwnMaxAgeMs: left to pile up for Δ, 1,000 events/s made
  // one write of ~20,000 keys every 2 s, a stall of every event behind it. A backlog keeps the
  // lazy writes, which cost less per key.
  static constexpr size_t kOwnMaxPending = 20000;
  static constexpr size_t kOwnSteadyDocs = 100;
  static constexpr int64_t kOwnMaxAgeMs = 100;

  // Opens the store and a reader of every index partition, and reads the topic to its end (at most
  // 30 s; it catches up while deciding after that). Markers read go to `gate`.
  static Result<std::unique_ptr<SharedIndexFeed>> Open(Options options, Cluster& cluster, const Clock& clock,
                                                       ProgressGate& gate, const WorkerIdentity& identity);
  SharedIndexFeed(const SharedIndexFeed&) = delete;
  SharedIndexFeed& operator=(const SharedIndexFeed&) = delete;

  // The store the dedupers consult.
  [[nodiscard]] dedup::SharedIndexStore& store() { return *store_; }
  // The index topic record of an input partition's document, and of its progress marker. A
  // partition's documents and markers share one index partition, in order: a reader that has a
  // marker has every document sent before it.
  [[nodiscard]] Record DocumentRecord(int32_t input_partition, std::string key,
                                      std::optional<std::string> value) const;
  [[nodiscard]] Record ProgressRecord(int32_t input_partition, int64_t progress_ms,
                                      std::string_view tag) const;

  // Applies up to `max` index records that are ready (one store write), waiting at most `wait`
  // for the first; markers go to the gate once the documents before them are in the store, and a
  // partition of `own` whose own marker came back gets progress_live. Returns how many records.
  int Drain(int max, std::chrono::milliseconds wait, Partitions& own);

  // The worker's own decisions' documents, with the least visibility time among them.
  Status AddOwn(std::vector<dedup::Mutation>&& documents, int64_t visibility_time_ms);
  // Writes the own documents when a decision at visibility time `need` + Δ could see one.
  Status FlushOwnBefore(int64_t need_ms);
  // Writes a few own documents that waited kOwnMaxAgeMs (input caught up).
  Status FlushOwnIfSteady();
  [[nodiscard]] bool own_pending() const { return !own_pending_.empty(); }

  // The memory of the in-memory index, and a warning the store has for the log (once).
  [[nodiscard]] uint64_t memory_bytes() const { return store_->memory_bytes(); }
  [[nodiscard]] std::string TakeReport() { return store_->TakeReport(); }
  [[nodiscard]] int64_t records() const { return records_; }
  [[nodiscard]] int64_t skipped() const { return skipped_; }
  void Close() { reader_->Close(std::chrono::seconds(1)); }

 private:
  SharedIndexFeed(Options options, const Clock& clock, ProgressGate& gate, const WorkerIdentity& identity)
      : options_(std::move(options)), clock_(clock), gate_(gate), identity_(identity) {}
  Status CatchUp(Cluster& cluster);
  // Drain, also noting the next offset per partition reached (start-up catch-up).
  int DrainNoting(int max, std::chrono::milliseconds wait, Partitions& own,
                  std::map<int32_t, int64_t>* reached);
  Status FlushOwn();

  Options options_;
  const Clock& clock_;
  ProgressGate& gate_;              // borrowed
  const WorkerIdentity& identity_;  // borrowed
  std::unique_ptr<dedup::SharedIndexStore> store_;
  std::unique_ptr<PartitionReader> reader_;
  int32_t index_partitions_ = 0;
  std::vector<dedup::Mutation> own_pending_;
  int64_t own_min_tau_ = INT64_MAX;
  int64_t own_since_ms_ = 0;
  int64_t records_ = 0;
  int64_t skipped_ = 0;  // copies of the worker's own documents, already in the shared index
};

}  // namespace copydesk::ingest
