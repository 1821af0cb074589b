// The shared near-duplicate index in memory, laid out for the two reads a decision makes of it:
// a document by id, and a band bucket's entries newest first.
//
// The worker's shared index holds every partition's documents ("d/..." records) and their LSH
// band entries (20 per document, kBandEntryKeySize-byte keys with empty values). In an ordered
// store each band entry is an insert at a random place of a large sorted structure (a RocksDB
// memtable's skip list, a btree), one cache miss per level; here a bucket is one hash lookup and
// its entries (usually one or two) a small sorted vector. The index is rebuilt from its topic on
// every start, so it needs no persistence; its memory grows with the documents in the
// near-duplicate window (services/dedup/README.md has the figures). Not thread-safe: the worker
// reads and writes it on its poll thread.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/inlined_vector.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dedup/records.h"
#include "dedup/rocksdb_store.h"
#include "dedup/state_store.h"

namespace copydesk::dedup {

class IndexMemoryStore final : public StateStore {
 public:
  [[nodiscard]] Result<std::optional<std::string>> Get(std::string_view key) const override;
  // A band bucket (prefix = a kBandPrefixSize-byte band prefix) is read straight from its vector.
  // Any other prefix is served by sorting the matching keys first: correct, but for tests and
  // tools only (a decision reads only buckets and documents).
  Status Scan(std::string_view prefix, std::string_view start, const ScanFn& fn) const override;
  // A band entry key must have an empty value (every band entry has): otherwise an error, and
  // nothing of the batch is applied.
  Status Apply(const MutationBatch& batch) override;
  Status ApplyOwned(MutationBatch& batch) override;

  // The same as ApplyChangelog(*this, mutations, /*derive_expiry=*/false) for shared index records
  // (document records "d/<id>": their previous band entries go, the new ones come), without
  // building a key string per band entry. A batch with any other primary record (a decision
  // memo) goes through ApplyChangelog.
  Status ApplyDocuments(std::span<const Mutation> mutations);
  // Adds the band entries of document `doc` whose record is `value` (and nothing else).
  void PutDocumentBands(uint64_t doc, std::string_view value) { DocBands(doc, value, true); }
  // OK when Apply() takes `m`: a band entry must have an empty value.
  static Status Check(const Mutation& m);
  // Apply() of one mutation that Check() accepted, without a batch.
  void ApplyChecked(std::string_view key, const std::optional<std::string>& value);

  // Writes every key to `to`, in batches of `batch_size` mutations.
  Status CopyTo(StateStore& to, size_t batch_size = 10000) const;

  [[nodiscard]] size_t band_entries() const { return band_entries_; }
  [[nodiscard]] size_t other_keys() const { return kv_.size(); }
  // Bytes held, estimated from the containers' capacities and the strings' sizes (constant time).
  [[nodiscard]] uint64_t ApproximateMemoryBytes() const;
  // ApproximateMemoryBytes() after `more` band entries (and a twentieth as many documents) are
  // added: the hash tables double when they fill, so this can be far above it.
  [[nodiscard]] uint64_t BytesAfterAdding(size_t more) const;

 private:
  static constexpr size_t kSuffixSize = internal::kBandEntryKeySize - internal::kBandPrefixSize;
  // A band entry without its bucket prefix: inverted time and doc id, big-endian, so that
  // comparing the bytes, unsigned (as every store compares keys), orders entries as their keys.
  using Suffix = std::array<uint8_t, kSuffixSize>;
  using Bucket = absl::InlinedVector<Suffix, 1>;
  // A bucket's band prefix.
  struct BucketKey {
    std::array<char, internal::kBandPrefixSize> bytes;
    bool operator==(const BucketKey&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const BucketKey& k) {
      return H::combine_contiguous(std::move(h), k.bytes.data(), k.bytes.size());
    }
  };
  static BucketKey KeyOf(std::string_view band_key);

  static bool IsBandEntry(std::string_view key);
  // Adds (put) or removes the band entries of document `doc` with record `value`.
  void DocBands(uint64_t doc, std::string_view value, bool put);
  void PutEntry(const BucketKey& bk, const Suffix& s);
  void EraseEntry(const BucketKey& bk, const Suffix& s);
  // Adds or removes the band entry `key` (kBandEntryKeySize bytes).
  void BandEntry(std::string_view key, bool put);
  void ApplyOne(std::string key, std::optional<std::string> value);

  absl::flat_hash_map<BucketKey, Bucket> buckets_;    // band prefix -> entries in key order
  absl::flat_hash_map<std::string, std::string> kv_;  // every other key (documents)
  size_t band_entries_ = 0;
  size_t heap_entries_ = 0;  // entries of buckets with more than one (kept on the heap)
  uint64_t kv_bytes_ = 0;    // keys and values of kv_ beyond their inline storage
};

// The worker's copy of the shared index: an IndexMemoryStore while its memory stays within a
// budget, then moved, once, to a RocksDB store (rebuilt from the topic at the next start: in
// memory again until it outgrows the budget). The move copies every key and takes a few seconds
// at 128 MiB (~60,000 documents), on the thread that applies; reads see the same keys before and
// after it. Without a RocksDB path the index stays in memory whatever its size.
class SharedIndexStore final : public StateStore {
 public:
  // `rocksdb_path` empty: memory only. A budget of 0 moves at the first write.
  SharedIndexStore(uint64_t memory_budget_bytes, std::string rocksdb_path, RocksDbOptions options = {});
  [[nodiscard]] Result<std::optional<std::string>> Get(std::string_view key) const override {
    return current().Get(key);
  }
  Status Scan(std::string_view prefix, std::string_view start, const ScanFn& fn) const override {
    return current().Scan(prefix, start, fn);
  }
  Status Apply(const MutationBatch& batch) override;
  Status ApplyOwned(MutationBatch& batch) override;
  // ApplyChangelog(*this, mutations, false), through the in-memory index's fast path while in
  // memory (in chunks, so that a large batch cannot grow the index far past its budget).
  Status ApplyDocuments(const std::vector<Mutation>& mutations);

  [[nodiscard]] bool on_disk() const { return disk_ != nullptr; }
  // Memory of the in-memory index (0 once on disk).
  [[nodiscard]] uint64_t memory_bytes() const { return memory_ ? memory_->ApproximateMemoryBytes() : 0; }
  // What happened to the index since the last call, for the log: that it moved to disk (with the
  // size it had), or why it could not (it then stays in memory). Empty: nothing.
  [[nodiscard]] std::string TakeReport() { return std::exchange(report_, {}); }

 private:
  [[nodiscard]] const StateStore& current() const {
    return disk_ ? static_cast<const StateStore&>(*disk_) : *memory_;
  }
  void MaybeMove();

  uint64_t budget_;
  std::string path_;
  RocksDbOptions options_;
  std::unique_ptr<IndexMemoryStore> memory_ = std::make_unique<IndexMemoryStore>();
  std::unique_ptr<RocksDbStateStore> disk_;
  bool move_failed_ = false;
  std::string report_;
};

}  // namespace copydesk::dedup
