#include "dedup/rocksdb_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <vector>

namespace copydesk::dedup {
namespace {

Error ToError(const rocksdb::Status& s, std::string_view what) {
  return Error{v1::ERROR_CODE_INTERNAL, std::string("rocksdb ") + std::string(what) + ": " + s.ToString()};
}

rocksdb::Slice ToSlice(std::string_view s) {
  return {s.data(), s.size()};
}

}  // namespace

Result<std::unique_ptr<RocksDbStateStore>> RocksDbStateStore::Open(const std::string& path,
                                                                   const RocksDbOptions& o) {
  std::unique_ptr<RocksDbStateStore> store(new RocksDbStateStore());
  store->cache_ = rocksdb::NewLRUCache(o.block_cache_bytes);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = store->cache_;
  // Index and filter blocks are charged to the (bounded) block cache, partitioned so that a
  // lookup loads a 4 KiB partition instead of a whole SST's filter; the top levels stay pinned.
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.pin_top_level_index_and_filter = true;
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.metadata_block_size = 4096;
  if (o.bloom_bits_per_key > 0)
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(o.bloom_bits_per_key, false));
  rocksdb::Options options;
  if (o.bucket_prefix_bytes > 0) {
    options.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(o.bucket_prefix_bytes));
    options.memtable_prefix_bloom_size_ratio = 0.05;
    table.whole_key_filtering = true;  // point reads keep their whole-key filter
    store->bucket_prefix_bytes_ = o.bucket_prefix_bytes;
  }
  // Batches are written in key order, so keys with the same 3-byte prefix ("b/" + band: a
  // band's bucket entries) arrive one after another: the memtable inserts each next to the last.
  options.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(3));
  options.create_if_missing = o.create_if_missing;
  store->write_options_.disableWAL = o.disable_wal;
  options.write_buffer_size = o.write_buffer_bytes;
  options.max_write_buffer_number = o.max_write_buffers;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.max_open_files = 256;
  options.max_background_jobs = 2;
  options.compression = rocksdb::kNoCompression;  // signatures are random bytes
  options.info_log_level = rocksdb::WARN_LEVEL;
  options.keep_log_file_num = 2;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, &raw);
  if (!s.ok()) return ToError(s, "open " + path);
  store->db_.reset(raw);
  return store;
}

Status RocksDbStateStore::Destroy(const std::string& path) {
  rocksdb::Status s = rocksdb::DestroyDB(path, rocksdb::Options());
  if (!s.ok()) return ToError(s, "destroy " + path);
  return OkStatus();
}

RocksDbStateStore::~RocksDbStateStore() {
  bucket_iter_.it.reset();  // before the database they read
  ordered_iter_.it.reset();
  if (db_) {
    (void)db_->Close();
    db_.reset();
  }
}

Result<std::optional<std::string>> RocksDbStateStore::Get(std::string_view key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), ToSlice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return ToError(s, "get");
  return std::optional<std::string>(std::move(value));
}

namespace {

// Calls fn for the keys of `it` from `from` on while they start with `prefix`.
Status ScanFrom(rocksdb::Iterator& it, std::string_view prefix, std::string_view from, const ScanFn& fn) {
  for (it.Seek(ToSlice(from)); it.Valid(); it.Next()) {
    std::string_view k(it.key().data(), it.key().size());
    if (!k.starts_with(prefix)) break;
    if (!fn(k, std::string_view(it.value().data(), it.value().size()))) break;
  }
  if (!it.status().ok()) return ToError(it.status(), "scan");
  return OkStatus();
}

// The prefix with its last byte incremented: the first key past every key that starts with it
// (prefixes here never end in 0xFF; empty when they all do).
std::string UpperBound(std::string_view prefix) {
  std::string upper(prefix);
  while (!upper.empty()) {
    auto c = static_cast<unsigned char>(upper.back());
    if (c != 0xFF) {
      upper.back() = static_cast<char>(c + 1);
      break;
    }
    upper.pop_back();
  }
  return upper;
}

}  // namespace

Status RocksDbStateStore::Scan(std::string_view prefix, std::string_view start, const ScanFn& fn) const {
  std::string_view from = start > prefix ? start : prefix;
  // One bucket: a prefix-mode iterator (the default with a prefix extractor), so the prefix filters
  // apply. Not prefix_same_as_start: it asserts, in Debian's build, on keys shorter than the prefix.
  // Anything else: total order. Either way bounded above by the prefix's end: without a bound, the
  // step past the last key skipped every tombstone behind it (+25 % instructions in a replay).
  const bool bucket = bucket_prefix_bytes_ > 0 && prefix.size() == bucket_prefix_bytes_ && start <= prefix;
  auto new_iterator = [&](const rocksdb::Slice* upper_bound) {
    rocksdb::ReadOptions ro;
    ro.total_order_seek = !bucket;
    ro.iterate_upper_bound = upper_bound;
    return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ro));
  };
  ReusedIterator& reused = bucket ? bucket_iter_ : ordered_iter_;
  std::string upper = UpperBound(prefix);
  std::unique_lock lock(reused.mu, std::try_to_lock);
  if (lock.owns_lock() && !upper.empty()) {
    // The reused iterator reads the bound through this slice; it changes only between seeks.
    reused.upper = std::move(upper);
    reused.upper_slice = rocksdb::Slice(reused.upper);
    const rocksdb::SequenceNumber seq = db_->GetLatestSequenceNumber();
    if (reused.it == nullptr) {
      reused.it = new_iterator(&reused.upper_slice);
    } else if (seq != reused.seq) {
      if (rocksdb::Status s = reused.it->Refresh(); !s.ok()) {
        reused.it.reset();
        return ToError(s, "refresh");
      }
    }
    reused.seq = seq;
    Status st = ScanFrom(*reused.it, prefix, from, fn);
    if (!st.ok()) reused.it.reset();
    return st;
  }
  // Another thread has it (or no bound): an iterator of its own.
  rocksdb::Slice upper_slice(upper);
  return ScanFrom(*new_iterator(upper.empty() ? nullptr : &upper_slice), prefix, from, fn);
}

Status RocksDbStateStore::Apply(const MutationBatch& batch) {
  if (batch.empty()) return OkStatus();
  // In key order (stable: the later write of a key still lands later): consecutive memtable
  // inserts then reuse the skip-list position instead of searching from the top.
  const auto& ms = batch.mutations();
  std::vector<const Mutation*> order;
  order.reserve(ms.size());
  for (const auto& m : ms) order.push_back(&m);
  std::stable_sort(order.begin(), order.end(),
                   [](const Mutation* a, const Mutation* b) { return a->key < b->key; });
  rocksdb::WriteBatch wb;
  for (const Mutation* m : order) {
    rocksdb::Status s = m->value ? wb.Put(m->key, *m->value) : wb.Delete(m->key);
    if (!s.ok()) return ToError(s, "batch");
  }
  rocksdb::Status s = db_->Write(write_options_, &wb);
  if (!s.ok()) return ToError(s, "write");
  return OkStatus();
}

Status RocksDbStateStore::Flush() {
  rocksdb::Status s = db_->Flush(rocksdb::FlushOptions());
  if (!s.ok()) return ToError(s, "flush");
  return OkStatus();
}

uint64_t RocksDbStateStore::ApproximateMemoryBytes() const {
  uint64_t total = cache_ ? cache_->GetUsage() : 0;
  uint64_t v = 0;
  if (db_->GetIntProperty("rocksdb.cur-size-all-mem-tables", &v)) total += v;
  if (db_->GetIntProperty("rocksdb.estimate-table-readers-mem", &v)) total += v;
  return total;
}

}  // namespace copydesk::dedup
