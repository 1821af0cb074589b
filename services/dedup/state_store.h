// The dedup state as ordered key/value pairs, and the mutations one decision makes to it.
//
// Every state change is a Mutation (key, value or delete). Deduper::Decide() only reads the
// store and returns its changes in a MutationBatch; the caller applies the batch to the local
// store and (in the worker) publishes the same mutations to the partition's compacted changelog
// topic in the same Kafka transaction as the outputs. Restoring a partition = applying its
// changelog records in order to an empty store. Keys and values are binary strings.
#pragma once

#include <absl/container/btree_map.h>
#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace copydesk::dedup {

// One state change. `value` empty (nullopt) means delete (a tombstone on the changelog).
struct Mutation {
  std::string key;
  std::optional<std::string> value;
};

// The ordered changes of one decision, with read-your-writes lookup for the decision itself.
// Apply in order; the last mutation of a key wins.
class MutationBatch {
 public:
  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  void Clear();
  // The pending mutation of `key` (latest), or null when the batch does not touch it.
  [[nodiscard]] const Mutation* Find(std::string_view key) const;
  [[nodiscard]] const std::vector<Mutation>& mutations() const { return mutations_; }
  [[nodiscard]] bool empty() const { return mutations_.empty(); }
  [[nodiscard]] size_t size() const { return mutations_.size(); }
  // Moves the mutations out and leaves the batch empty.
  [[nodiscard]] std::vector<Mutation> Release();

 private:
  void Add(std::string_view key, std::optional<std::string> value);
  // Batches of up to this many mutations (a decision's) are searched linearly; larger ones
  // (changelog restore) through latest_.
  static constexpr size_t kIndexFrom = 64;
  std::vector<Mutation> mutations_;
  // key -> index in mutations_ of its latest mutation; the views point into mutations_' keys.
  // Built by the first Find() on a batch larger than kIndexFrom, then kept up to date: a batch
  // that is only written and applied (a commit of thousands of mutations) never builds it.
  void BuildIndex() const;
  mutable absl::flat_hash_map<absl::string_view, size_t> latest_;
  mutable bool indexed_ = false;
};

// Visits (key, value) pairs in key order; return false to stop.
using ScanFn = std::function<bool(std::string_view key, std::string_view value)>;

// Ordered key/value state of one partition. Implementations: MemoryStateStore (tests, replay)
// and RocksDbStateStore (workers, rocksdb_store.h). Not thread-safe unless stated.
class StateStore {
 public:
  virtual ~StateStore() = default;
  // The value of `key`, nullopt when absent; an Error when the store failed.
  [[nodiscard]] virtual Result<std::optional<std::string>> Get(std::string_view key) const = 0;
  // Visits keys >= `start` that begin with `prefix`, in order.
  virtual Status Scan(std::string_view prefix, std::string_view start, const ScanFn& fn) const = 0;
  // Applies a batch atomically (all or nothing), in order.
  virtual Status Apply(const MutationBatch& batch) = 0;
  // Apply() of a batch the caller no longer needs: a store may take its strings instead of
  // copying them. The batch is left empty.
  virtual Status ApplyOwned(MutationBatch& batch);
  // Applies single mutations (changelog restore); same semantics as a batch of one.
  Status ApplyMutations(const std::vector<Mutation>& mutations);
};

// A StateStore in memory: a hash map for point reads plus an ordered set of the keys that can be
// scanned. Not thread-safe.
class MemoryStateStore final : public StateStore {
 public:
  // `scanned_prefixes`: only keys starting with one of these are kept in order, and Scan() only
  // sees them (Deduper scans only kDedupScannedPrefixes). Default: every key.
  explicit MemoryStateStore(std::vector<std::string> scanned_prefixes = {""})
      : scanned_prefixes_(std::move(scanned_prefixes)) {}

  [[nodiscard]] Result<std::optional<std::string>> Get(std::string_view key) const override;
  Status Scan(std::string_view prefix, std::string_view start, const ScanFn& fn) const override;
  Status Apply(const MutationBatch& batch) override;
  Status ApplyOwned(MutationBatch& batch) override;
  [[nodiscard]] size_t size() const { return kv_.size() + ordered_.size() + ordered_long_.size(); }
  // Every pair in key order, for tests that compare two stores.
  [[nodiscard]] std::map<std::string, std::string> contents() const;

 private:
  [[nodiscard]] bool Scanned(std::string_view key) const;
  void ApplyOne(std::string key, std::optional<std::string> value);
  std::vector<std::string> scanned_prefixes_;
  absl::flat_hash_map<std::string, std::string> kv_;  // keys outside scanned_prefixes_
  // Scanned keys of up to 31 bytes (all of Deduper's) are stored inline in the btree nodes: no
  // allocation per key, and key comparisons read the node instead of chasing a pointer.
  // 31 key bytes, zero-padded, then the size: comparing the 32 bytes as four big-endian words
  // orders keys exactly like their strings (a zero-padded prefix ties until the size decides).
  struct ShortKey {
    explicit ShortKey(std::string_view s) : size(static_cast<uint8_t>(s.size())) {
      std::memcpy(data, s.data(), s.size());
    }
    [[nodiscard]] std::string_view view() const { return {data, size}; }
    [[nodiscard]] uint64_t word(int i) const {
      uint64_t w;
      std::memcpy(&w, reinterpret_cast<const char*>(this) + 8 * i, 8);
      return __builtin_bswap64(w);
    }
    char data[31] = {};
    uint8_t size;
  };
  static_assert(sizeof(ShortKey) == 32);
  static constexpr size_t kShortKeyMax = sizeof(ShortKey::data);
  struct ShortKeyLess {
    bool operator()(const ShortKey& a, const ShortKey& b) const {
      for (int i = 0; i < 4; ++i) {
        const uint64_t x = a.word(i), y = b.word(i);
        if (x != y) return x < y;
      }
      return false;
    }
  };
  // Nodes of ~1 KiB (btree_map's default 256 bytes hold only 3 pairs: a deep tree of small nodes).
  using ShortMap = absl::container_internal::btree_map_container<
      absl::container_internal::btree<absl::container_internal::map_params<
          ShortKey, std::string, ShortKeyLess, std::allocator<std::pair<const ShortKey, std::string>>,
          /*TargetNodeSize=*/1024, /*IsMulti=*/false>>>;
  ShortMap ordered_;                                                     // scanned keys <= kShortKeyMax
  absl::btree_map<std::string, std::string, std::less<>> ordered_long_;  // longer scanned keys
};

// A pending write laid over a store by ScanWithOverlay: `value` null means deleted.
struct PendingEntry {
  std::string_view key;
  const std::optional<std::string>* value;
};

// Pending writes in key order, read one at a time (so that a scan that stops early reads only
// as many as it needs): Peek() is the next one, nullptr after the last; Advance() may reuse what
// it pointed to.
class PendingSource {
 public:
  virtual ~PendingSource() = default;
  virtual const PendingEntry* Peek() = 0;
  virtual void Advance() = 0;
};

// The entries of a sorted vector.
class PendingVector final : public PendingSource {
 public:
  explicit PendingVector(const std::vector<PendingEntry>& entries) : entries_(entries) {}
  const PendingEntry* Peek() override { return next_ < entries_.size() ? &entries_[next_] : nullptr; }
  void Advance() override { ++next_; }

 private:
  const std::vector<PendingEntry>& entries_;
  size_t next_ = 0;
};

// Scan() of `base` with `pending` (sorted by key, within prefix and >= start) laid over it:
// visits the merged keys in order and stops as soon as `fn` returns false.
Status ScanWithOverlay(const StateStore& base, std::string_view prefix, std::string_view start,
                       PendingSource& pending, const ScanFn& fn);

// A read view of a store with a batch's pending mutations laid over it (read-your-writes while
// a decision is being made). Borrowed references; both must outlive the view.
class OverlayView {
 public:
  OverlayView(const StateStore& store, const MutationBatch& batch) : store_(store), batch_(batch) {}
  [[nodiscard]] Result<std::optional<std::string>> Get(std::string_view key) const;
  Status Scan(std::string_view prefix, std::string_view start, const ScanFn& fn) const;

 private:
  const StateStore& store_;
  const MutationBatch& batch_;
};

}  // namespace copydesk::dedup
