// A partition's dedup state with batch semantics: the changes decided in the open batch are
// staged in an overlay over the partition's store, and reach the store only when the batch is
// persisted at its commit. An aborted batch keeps them staged: its inputs are rewound and replay
// their decisions from the staged memos (some of its outputs may be visible already), and the next
// commit persists them. Discard drops them; the worker calls it only for a batch it has written
// already (WriteThrough), or never, since a partition that goes takes its store with it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dedup/index_format.h"
#include "dedup/partition_store.h"
#include "dedup/state_store.h"

namespace copydesk::ingest {

// A StateStore over a base store plus the open batch's overlay. Used on the poll thread, except
// WriteThrough, which a transactional commit runs on its writer thread while the poll thread
// leaves the store alone.
class OverlayStore final : public dedup::StateStore {
 public:
  explicit OverlayStore(std::unique_ptr<dedup::StateStore> base) : base_(std::move(base)) {}
  // Over a PartitionStore, band entries skip the overlay while the store keeps them in memory:
  // they go to it at once, are never written through, and stay when a batch is discarded. That
  // keeps the overlay's meaning only because the worker never discards a batch it has not written:
  // an abort keeps the batch staged, and a partition that goes takes its store with it (reopened,
  // the store rebuilds its band entries from the persisted documents).
  explicit OverlayStore(std::unique_ptr<dedup::PartitionStore> base)
      : partition_(base.get()), base_(std::move(base)) {}

  [[nodiscard]] Result<std::optional<std::string>> Get(std::string_view key) const override;
  Status Scan(std::string_view prefix, std::string_view start, const dedup::ScanFn& fn) const override;
  // Stages a batch in the overlay (ApplyOwned: moving its strings in instead of copying them).
  Status Apply(const dedup::MutationBatch& batch) override;
  Status ApplyOwned(dedup::MutationBatch& batch) override;

  // The mutations of the open batch, in key order (the last write of each key).
  [[nodiscard]] std::vector<dedup::Mutation> Pending() const;
  // Makes the open batch durable in the base store, together with `extra` (e.g. the partition's
  // checkpoint) in the same atomic write, and closes it.
  Status Persist(const std::vector<dedup::Mutation>& extra = {});
  // Persist in two steps: WriteThrough copies the open batch (and `extra`) to the base store but
  // keeps it staged (it shadows identical values, and Pending() still lists it, e.g. for a retry
  // after an abort); Discard then closes the batch. Persist = WriteThrough + Discard.
  Status WriteThrough(const std::vector<dedup::Mutation>& extra = {});
  // Records which keys each Apply() writes, for TakeChanges() (off by default).
  void TrackChanges(bool on) { track_changes_ = on; }
  // The mutations staged since the last TakeChanges() (the last write of each key, in key order):
  // what the at-least-once worker sends to the changelog as events are decided.
  [[nodiscard]] std::vector<dedup::Mutation> TakeChanges();
  // Marks every staged key as changed again (after an abort, whose sends may have failed).
  void MarkAllChanged();
  // Drops the open batch (after WriteThrough: closes it, its values are in the base store).
  void Discard();
  dedup::StateStore& base() { return *base_; }
  // The PartitionStore below, or null.
  [[nodiscard]] dedup::PartitionStore* partition() const { return partition_; }
  // Nothing staged (no batch open, or none left after an abort).
  [[nodiscard]] bool nothing_staged() const { return overlay_.empty(); }

 private:
  // Filters over the overlay's keys (bit = hash % size; cleared with the batch): a Get whose key's
  // bit is clear, or a Scan of a prefix at least kFilterPrefix long whose prefix bit is clear,
  // has nothing in the overlay and skips the ordered map. A decision makes some 20 bucket scans
  // and a few reads, each otherwise a lower_bound over up to ~15,000 staged keys.
  static constexpr size_t kFilterBits = size_t{1} << 18;
  static constexpr size_t kFilterPrefix = dedup::kBandBucketPrefixSize;  // one LSH bucket
  static size_t FilterBit(std::string_view s) { return std::hash<std::string_view>{}(s) % kFilterBits; }
  static bool Test(const std::vector<uint64_t>& bits, std::string_view s) {
    const size_t b = FilterBit(s);
    return ((bits[b / 64] >> (b % 64)) & 1) != 0;
  }
  static void Set(std::vector<uint64_t>& bits, std::string_view s) {
    const size_t b = FilterBit(s);
    bits[b / 64] |= uint64_t{1} << (b % 64);
  }
  [[nodiscard]] bool MayHoldKey(std::string_view key) const;
  [[nodiscard]] bool MayHoldPrefix(std::string_view prefix) const;
  void Stage(std::string key, std::optional<std::string> value);

  // True when `key` goes to the base store at once (see the constructor).
  [[nodiscard]] bool Unstaged(std::string_view key) const {
    return partition_ != nullptr && partition_->bands_in_memory() && dedup::PartitionStore::IsBandKey(key);
  }

  dedup::PartitionStore* partition_ = nullptr;  // base_, when it is one
  std::unique_ptr<dedup::StateStore> base_;     // owned
  using Overlay = std::map<std::string, std::optional<std::string>, std::less<>>;
  Overlay overlay_;
  std::vector<uint64_t> key_bits_ = std::vector<uint64_t>(kFilterBits / 64);
  std::vector<uint64_t> prefix_bits_ = std::vector<uint64_t>(kFilterBits / 64);
  bool track_changes_ = false;
  std::vector<std::string> changed_;  // keys written since the last TakeChanges (may repeat)
};

}  // namespace copydesk::ingest
