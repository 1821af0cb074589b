#include "dedup/index_store.h"

#include <malloc.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "dedup/dedup.h"

namespace copydesk::dedup {

namespace {

using internal::kBandEntryKeySize;
using internal::kBandPrefixSize;

// Heap bytes of a string beyond its inline (small-string) buffer.
uint64_t HeapBytes(const std::string& s) {
  return s.capacity() > 15 ? s.capacity() + 1 : 0;
}

}  // namespace

IndexMemoryStore::BucketKey IndexMemoryStore::KeyOf(std::string_view band_key) {
  BucketKey k;
  std::memcpy(k.bytes.data(), band_key.data(), kBandPrefixSize);
  return k;
}

bool IndexMemoryStore::IsBandEntry(std::string_view key) {
  return key.size() == kBandEntryKeySize && key.starts_with("b/");
}

Status IndexMemoryStore::Check(const Mutation& m) {
  if (IsBandEntry(m.key) && m.value && !m.value->empty())
    return Status(v1::ERROR_CODE_INTERNAL, "index store: a band entry with a value (key of " +
                                               std::to_string(m.key.size()) + " bytes)");
  return OkStatus();
}

Result<std::optional<std::string>> IndexMemoryStore::Get(std::string_view key) const {
  if (IsBandEntry(key)) {
    auto it = buckets_.find(KeyOf(key));
    if (it == buckets_.end()) return std::optional<std::string>();
    Suffix s;
    std::memcpy(s.data(), key.data() + kBandPrefixSize, kSuffixSize);
    const bool found = std::binary_search(it->second.begin(), it->second.end(), s);
    return found ? std::optional<std::string>(std::string()) : std::optional<std::string>();
  }
  auto it = kv_.find(absl::string_view(key.data(), key.size()));
  if (it == kv_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Status IndexMemoryStore::Scan(std::string_view prefix, std::string_view start, const ScanFn& fn) const {
  const std::string_view from = start > prefix ? start : prefix;
  if (prefix.size() == kBandPrefixSize && prefix.starts_with("b/")) {
    auto it = buckets_.find(KeyOf(prefix));
    if (it == buckets_.end()) return OkStatus();
    char key[kBandEntryKeySize];
    std::memcpy(key, prefix.data(), kBandPrefixSize);
    for (const Suffix& s : it->second) {
      std::memcpy(key + kBandPrefixSize, s.data(), kSuffixSize);
      const std::string_view k(key, kBandEntryKeySize);
      if (k < from) continue;
      if (!fn(k, std::string_view())) break;
    }
    return OkStatus();
  }
  // Not a bucket: every matching key, sorted (tests and tools only).
  std::vector<std::pair<std::string, std::string_view>> keys;
  for (const auto& [bucket, entries] : buckets_) {
    for (const Suffix& s : entries) {
      std::string k(bucket.bytes.data(), kBandPrefixSize);
      k.append(reinterpret_cast<const char*>(s.data()), kSuffixSize);
      if (k.starts_with(prefix) && k >= from) keys.emplace_back(std::move(k), std::string_view());
    }
  }
  for (const auto& [k, v] : kv_)
    if (std::string_view(k).starts_with(prefix) && std::string_view(k) >= from) keys.emplace_back(k, v);
  std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [k, v] : keys)
    if (!fn(k, v)) break;
  return OkStatus();
}

Status IndexMemoryStore::Apply(const MutationBatch& batch) {
  for (const auto& m : batch.mutations())
    if (Status st = Check(m); !st.ok()) return st;
  for (const auto& m : batch.mutations()) ApplyOne(m.key, m.value);
  return OkStatus();
}

Status IndexMemoryStore::ApplyOwned(MutationBatch& batch) {
  for (const auto& m : batch.mutations())
    if (Status st = Check(m); !st.ok()) return st;
  for (auto& m : batch.Release()) ApplyOne(std::move(m.key), std::move(m.value));
  return OkStatus();
}

void IndexMemoryStore::BandEntry(std::string_view key, bool put) {
  Suffix s;
  std::memcpy(s.data(), key.data() + kBandPrefixSize, kSuffixSize);
  if (put) {
    PutEntry(KeyOf(key), s);
  } else {
    EraseEntry(KeyOf(key), s);
  }
}

void IndexMemoryStore::ApplyChecked(std::string_view key, const std::optional<std::string>& value) {
  if (IsBandEntry(key)) return BandEntry(key, value.has_value());
  ApplyOne(std::string(key), value);
}

// (`key` is moved into kv_ below.)
// NOLINTNEXTLINE(performance-unnecessary-value-param)
void IndexMemoryStore::ApplyOne(std::string key, std::optional<std::string> value) {
  if (IsBandEntry(key)) return BandEntry(key, value.has_value());
  auto it = kv_.find(key);
  if (it != kv_.end()) {
    kv_bytes_ -= HeapBytes(it->first) + HeapBytes(it->second);
    if (!value) {
      kv_.erase(it);
      return;
    }
    it->second = std::move(*value);
    kv_bytes_ += HeapBytes(it->first) + HeapBytes(it->second);
    return;
  }
  if (!value) return;
  auto [ins, _] = kv_.emplace(std::move(key), std::move(*value));
  kv_bytes_ += HeapBytes(ins->first) + HeapBytes(ins->second);
}

namespace {

// Entries beyond a bucket's first live on the heap (the whole bucket then does).
size_t Spilled(size_t entries) {
  return entries > 1 ? entries : 0;
}

}  // namespace

void IndexMemoryStore::PutEntry(const BucketKey& bk, const Suffix& s) {
  Bucket& b = buckets_[bk];
  auto pos = std::lower_bound(b.begin(), b.end(), s);
  if (pos != b.end() && *pos == s) return;
  heap_entries_ -= Spilled(b.size());
  b.insert(pos, s);
  heap_entries_ += Spilled(b.size());
  ++band_entries_;
}

void IndexMemoryStore::EraseEntry(const BucketKey& bk, const Suffix& s) {
  auto it = buckets_.find(bk);
  if (it == buckets_.end()) return;
  Bucket& b = it->second;
  auto pos = std::lower_bound(b.begin(), b.end(), s);
  if (pos == b.end() || *pos != s) return;
  heap_entries_ -= Spilled(b.size());
  b.erase(pos);
  heap_entries_ += Spilled(b.size());
  --band_entries_;
  if (b.empty()) buckets_.erase(it);
}

void IndexMemoryStore::DocBands(uint64_t doc, std::string_view value, bool put) {
  auto rec = internal::DecodeDoc(value);
  if (!rec || rec->signature.size() != internal::kSignatureSize) return;
  char key[kBandEntryKeySize];
  for (int b = 0; b < internal::kBands; ++b) {
    internal::WriteBandEntryKey(key, b, internal::BandHash(rec->signature, b), rec->time_ms, doc);
    const BucketKey bk = KeyOf(std::string_view(key, sizeof key));
    Suffix s;
    std::memcpy(s.data(), key + kBandPrefixSize, kSuffixSize);
    if (put) {
      PutEntry(bk, s);
    } else {
      EraseEntry(bk, s);
    }
  }
}

Status IndexMemoryStore::ApplyDocuments(std::span<const Mutation> mutations) {
  for (const auto& m : mutations) {
    if (!IsDerivedKey(m.key) && !IsSharedIndexKey(m.key))
      return ApplyChangelog(*this, std::vector<Mutation>(mutations.begin(), mutations.end()), false);
  }
  for (const auto& m : mutations) {
    if (IsDerivedKey(m.key)) continue;  // rebuilt from the documents, as ApplyChangelog does
    if (!internal::IsDocKey(m.key)) {
      ApplyOne(m.key, m.value);  // a "d/" key that is no document record: stored as it is
      continue;
    }
    const uint64_t doc = internal::ReadBe64(m.key, 2);
    if (auto it = kv_.find(absl::string_view(m.key.data(), m.key.size())); it != kv_.end())
      DocBands(doc, it->second, false);
    if (m.value) DocBands(doc, *m.value, true);
    ApplyOne(m.key, m.value);
  }
  return OkStatus();
}

Status IndexMemoryStore::CopyTo(StateStore& to, size_t batch_size) const {
  MutationBatch batch;
  auto flush = [&](bool last) {
    if (batch.size() < batch_size && !last) return OkStatus();
    Status st = to.ApplyOwned(batch);
    batch.Clear();
    return st;
  };
  char key[kBandEntryKeySize];
  for (const auto& [bucket, entries] : buckets_) {
    std::memcpy(key, bucket.bytes.data(), kBandPrefixSize);
    for (const Suffix& s : entries) {
      std::memcpy(key + kBandPrefixSize, s.data(), kSuffixSize);
      batch.Put(std::string_view(key, kBandEntryKeySize), "");
      if (Status st = flush(false); !st.ok()) return st;
    }
  }
  for (const auto& [k, v] : kv_) {
    batch.Put(k, v);
    if (Status st = flush(false); !st.ok()) return st;
  }
  return flush(true);
}

namespace {

// Slots a hash table of `capacity` fills before it doubles (absl's maximum load of 7/8).
size_t GrowthLimit(size_t capacity) {
  return capacity <= 8 ? capacity : capacity - capacity / 8;
}

}  // namespace

uint64_t IndexMemoryStore::BytesAfterAdding(size_t more) const {
  uint64_t bytes = ApproximateMemoryBytes();
  if (buckets_.size() + more > GrowthLimit(buckets_.capacity()))
    bytes += (buckets_.capacity() + 1) * (sizeof(std::pair<BucketKey, Bucket>) + 1);
  if (kv_.size() + more / internal::kBands + 1 > GrowthLimit(kv_.capacity()))
    bytes += (kv_.capacity() + 1) * (sizeof(std::pair<std::string, std::string>) + 1);
  return bytes;
}

uint64_t IndexMemoryStore::ApproximateMemoryBytes() const {
  return kv_bytes_ + heap_entries_ * sizeof(Suffix) +
         buckets_.capacity() * (sizeof(std::pair<BucketKey, Bucket>) + 1) +
         kv_.capacity() * (sizeof(std::pair<std::string, std::string>) + 1);
}

SharedIndexStore::SharedIndexStore(uint64_t memory_budget_bytes, std::string rocksdb_path,
                                   RocksDbOptions options)
    : budget_(memory_budget_bytes), path_(std::move(rocksdb_path)), options_(options) {
  options_.disable_wal = true;  // rebuilt from the index topic on every start
}

Status SharedIndexStore::Apply(const MutationBatch& batch) {
  if (disk_) return disk_->Apply(batch);
  Status st = memory_->Apply(batch);
  if (st.ok()) MaybeMove();
  return st;
}

Status SharedIndexStore::ApplyDocuments(const std::vector<Mutation>& mutations) {
  // 500 documents add at most 10,000 band entries: within MaybeMove's headroom.
  constexpr size_t kChunk = 500;
  if (disk_) return ApplyChangelog(*disk_, mutations, /*derive_expiry=*/false);
  for (size_t i = 0; i < mutations.size(); i += kChunk) {
    if (disk_) {  // moved after the previous chunk: the rest goes to RocksDB (once per start)
      return ApplyChangelog(
          *disk_, std::vector<Mutation>(mutations.begin() + static_cast<ptrdiff_t>(i), mutations.end()),
          /*derive_expiry=*/false);
    }
    const size_t n = std::min(kChunk, mutations.size() - i);
    if (Status st = memory_->ApplyDocuments(std::span<const Mutation>(mutations).subspan(i, n)); !st.ok())
      return st;
    MaybeMove();
  }
  return OkStatus();
}

Status SharedIndexStore::ApplyOwned(MutationBatch& batch) {
  if (disk_) return disk_->ApplyOwned(batch);
  Status st = memory_->ApplyOwned(batch);
  if (st.ok()) MaybeMove();
  return st;
}

void SharedIndexStore::MaybeMove() {
  if (path_.empty() || move_failed_) return;
  // Moved before a hash table doubles past the budget, not after (the doubling alone can take
  // the index from below the budget to nearly twice it). A write adds at most a few thousand
  // band entries (300 documents applied from the topic at a time).
  constexpr size_t kHeadroomEntries = 16384;
  const uint64_t bytes = memory_->ApproximateMemoryBytes();
  if (bytes == 0 || (bytes <= budget_ && memory_->BytesAfterAdding(kHeadroomEntries) <= budget_)) return;
  auto fail = [&](const std::string& why) {
    move_failed_ = true;
    report_ = "shared index stays in memory: moving it to RocksDB failed: " + why;
  };
  (void)RocksDbStateStore::Destroy(path_);
  auto opened = RocksDbStateStore::Open(path_, options_);
  if (!opened.ok()) return fail(opened.error().reason);
  if (Status st = memory_->CopyTo(*opened.value()); !st.ok()) return fail(st.error().reason);
  report_ = "shared index moved to RocksDB path=" + path_ + " memory_bytes=" + std::to_string(bytes) +
            " budget_bytes=" + std::to_string(budget_) +
            " band_entries=" + std::to_string(memory_->band_entries()) +
            " documents=" + std::to_string(memory_->other_keys());
  disk_ = std::move(opened.value());
  memory_.reset();
  malloc_trim(0);  // hand the freed index back to the system
}

}  // namespace copydesk::dedup
