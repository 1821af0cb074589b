// A partition's dedup state with its LSH band entries in memory.
//
// Each document writes 20 band entries ("b/..." keys, records.h), each a function of its "d/"
// record and never on the changelog (IsDerivedKey). In a RocksDB store they were 20 of the ~27
// keys a decision writes: most of the memtable inserts of the worker's commits, and 20 seeks per
// decision. Here they live in an IndexMemoryStore (a hash map of buckets) and every other key in
// `base`. Opening rebuilds them from the documents `base` holds, so the durable state is what it
// was: the primary records and the other derived keys.
//
// Their memory grows with the partition's documents in the near-duplicate window, so the caller
// can move them, once, into `base` (MoveBandsToBase): from then on the store is a plain `base`
// that says so in a key of its own, and opens that way again. Not thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "dedup/index_store.h"
#include "dedup/state_store.h"

namespace copydesk::dedup {

class PartitionStore final : public StateStore {
 public:
  // Takes `base`. Unless its band entries were moved into it, builds them in memory from every
  // document record it holds (and deletes band entries it holds without that mark: a move that
  // was cut short).
  static Result<std::unique_ptr<PartitionStore>> Open(std::unique_ptr<StateStore> base);

  // True for the keys kept in memory until a move: the band entries.
  static bool IsBandKey(std::string_view key) { return key.starts_with("b/"); }
  // The key `base` holds once the band entries were moved into it.
  static constexpr std::string_view kBandsInBaseKey = "m/bands-in-base";

  [[nodiscard]] Result<std::optional<std::string>> Get(std::string_view key) const override;
  Status Scan(std::string_view prefix, std::string_view start, const ScanFn& fn) const override;
  // The batch's other keys go to `base` in one atomic write; its band entries, once that
  // succeeded, to memory (which cannot fail once checked).
  Status Apply(const MutationBatch& batch) override;

  // Apply() of one band entry that IndexMemoryStore::Check() accepted, while they are in memory.
  void ApplyBandEntry(const Mutation& m) { bands_->ApplyChecked(m.key, m.value); }

  [[nodiscard]] bool bands_in_memory() const { return bands_ != nullptr; }
  // Writes every band entry to `base`, then the mark, and frees the memory. Only while nothing
  // above this store holds uncommitted band entries (the worker: between batches).
  Status MoveBandsToBase();

  [[nodiscard]] StateStore& base() { return *base_; }
  [[nodiscard]] size_t band_entries() const { return bands_ ? bands_->band_entries() : 0; }
  [[nodiscard]] uint64_t memory_bytes() const { return bands_ ? bands_->ApproximateMemoryBytes() : 0; }
  // memory_bytes() after `more` band entries are added: a hash table doubles when it fills, so
  // this can be far above it.
  [[nodiscard]] uint64_t MemoryBytesAfterAdding(size_t more) const {
    return bands_ ? bands_->BytesAfterAdding(more) : 0;
  }

 private:
  explicit PartitionStore(std::unique_ptr<StateStore> base) : base_(std::move(base)) {}
  Status Rebuild();
  std::unique_ptr<StateStore> base_;
  std::unique_ptr<IndexMemoryStore> bands_;  // null once moved into base_
};

}  // namespace copydesk::dedup
