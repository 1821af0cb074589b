// The dedup StateStore in RocksDB: one database directory per input partition.
#pragma once

#include <rocksdb/db.h>

#include <memory>
#include <mutex>
#include <string>

#include "dedup/state_store.h"

namespace copydesk::dedup {

// Bounds on the store's memory. RSS of a worker holding 1M stories stays under ~300 MiB with
// the defaults (see README.md: tests/bench/dedup_memory.sh).
struct RocksDbOptions {
  // Shared LRU block cache (index and filter blocks are charged to it too).
  size_t block_cache_bytes = 64u << 20;
  // One memtable's size; at most max_write_buffers of them exist.
  size_t write_buffer_bytes = 32u << 20;
  int max_write_buffers = 2;
  // Bits per key of the bloom filter (0 = none).
  int bloom_bits_per_key = 10;
  // Length of the bucket prefixes Scan() reads as one unit (dedup's band buckets, records.h).
  // Such scans seek with prefix bloom filters (memtable and SST), so an empty bucket costs no
  // skiplist or file search; other scans run in total order. 0 = no prefix filters.
  size_t bucket_prefix_bytes = 11;
  // No write-ahead log: for stores rebuilt from Kafka on every start (the shared index).
  bool disable_wal = false;
  // Create the directory when missing.
  bool create_if_missing = true;
};

// A StateStore over a RocksDB database (owns the DB handle). Apply() is one atomic WriteBatch
// (WAL on, no fsync per batch: the changelog topic is the durable copy). Not thread-safe for
// writes: used from the partition's thread; Get/Scan may run concurrently with each other.
class RocksDbStateStore final : public StateStore {
 public:
  // Opens (or creates) the database at `path`.
  static Result<std::unique_ptr<RocksDbStateStore>> Open(const std::string& path,
                                                         const RocksDbOptions& options = {});
  // Deletes the database at `path` (before restoring a partition from its changelog).
  static Status Destroy(const std::string& path);

  RocksDbStateStore(const RocksDbStateStore&) = delete;
  RocksDbStateStore& operator=(const RocksDbStateStore&) = delete;
  ~RocksDbStateStore() override;

  [[nodiscard]] Result<std::optional<std::string>> Get(std::string_view key) const override;
  Status Scan(std::string_view prefix, std::string_view start, const ScanFn& fn) const override;
  Status Apply(const MutationBatch& batch) override;
  // Flushes memtables to disk (tests, clean shutdown).
  Status Flush();
  // RocksDB's own memory figures: block cache usage + memtables + table readers, in bytes.
  [[nodiscard]] uint64_t ApproximateMemoryBytes() const;

 private:
  RocksDbStateStore() = default;
  std::unique_ptr<rocksdb::DB> db_;  // owned; closed in the destructor
  std::shared_ptr<rocksdb::Cache> cache_;
  size_t bucket_prefix_bytes_ = 0;
  rocksdb::WriteOptions write_options_;
  // Scan() keeps its iterators from one scan to the next: a decision makes ~20 bucket scans per
  // store and 2 ordered ones, and a new RocksDB iterator (super-version reference, arena, child
  // iterators) cost about as much as its seek. Renewed with Refresh() when the database has
  // changed since; used by one thread at a time (a scan that finds it taken makes its own). It
  // pins the memtables it was made on until the next scan refreshes it, so a flushed memtable may
  // stay in memory that much longer (at most one more memtable per iterator).
  struct ReusedIterator {
    std::mutex mu;
    std::unique_ptr<rocksdb::Iterator> it;
    rocksdb::SequenceNumber seq = 0;
    std::string upper;           // the upper bound of the current scan: the end of its prefix
    rocksdb::Slice upper_slice;  // (the iterator's ReadOptions point to this)
  };
  mutable ReusedIterator bucket_iter_;   // prefix mode: one band bucket
  mutable ReusedIterator ordered_iter_;  // total order: any other prefix
};

}  // namespace copydesk::dedup
