#include "dedup/partition_store.h"

#include <malloc.h>

#include <utility>
#include <vector>

#include "dedup/records.h"

namespace copydesk::dedup {

Result<std::unique_ptr<PartitionStore>> PartitionStore::Open(std::unique_ptr<StateStore> base) {
  std::unique_ptr<PartitionStore> s(new PartitionStore(std::move(base)));
  auto mark = s->base_->Get(kBandsInBaseKey);
  if (!mark.ok()) return mark.error();
  if (!mark.value()) {
    if (Status st = s->Rebuild(); !st.ok()) return st.error();
  }
  return s;
}

Status PartitionStore::Rebuild() {
  // Band entries in `base` without the mark: a move cut short. Deleted, then rebuilt below.
  for (;;) {
    MutationBatch stray;
    Status st = base_->Scan("b/", "", [&](std::string_view key, std::string_view) {
      stray.Delete(key);
      return stray.size() < 10000;
    });
    if (!st.ok()) return st;
    if (stray.empty()) break;
    if (st = base_->ApplyOwned(stray); !st.ok()) return st;
  }
  bands_ = std::make_unique<IndexMemoryStore>();
  return base_->Scan("d/", "", [&](std::string_view key, std::string_view value) {
    if (internal::IsDocKey(key)) bands_->PutDocumentBands(internal::ReadBe64(key, 2), value);
    return true;
  });
}

Status PartitionStore::MoveBandsToBase() {
  if (!bands_) return OkStatus();
  if (Status st = bands_->CopyTo(*base_); !st.ok()) return st;
  MutationBatch mark;
  mark.Put(kBandsInBaseKey, "1");
  if (Status st = base_->Apply(mark); !st.ok()) return st;
  bands_.reset();
  malloc_trim(0);  // hand the freed entries back to the system
  return OkStatus();
}

Result<std::optional<std::string>> PartitionStore::Get(std::string_view key) const {
  return bands_ && IsBandKey(key) ? bands_->Get(key) : base_->Get(key);
}

Status PartitionStore::Scan(std::string_view prefix, std::string_view start, const ScanFn& fn) const {
  if (!bands_) return base_->Scan(prefix, start, fn);
  if (IsBandKey(prefix)) return bands_->Scan(prefix, start, fn);
  if (!std::string_view("b/").starts_with(prefix)) return base_->Scan(prefix, start, fn);
  // A range of band entries and other keys ("" or "b"; tests and tools): both, merged.
  std::vector<std::string> keys;
  Status st = bands_->Scan(prefix, start, [&](std::string_view k, std::string_view) {
    keys.emplace_back(k);
    return true;
  });
  if (!st.ok()) return st;
  const std::optional<std::string> empty = std::string();
  std::vector<PendingEntry> entries;
  entries.reserve(keys.size());
  for (const auto& k : keys) entries.push_back({k, &empty});
  PendingVector source(entries);
  return ScanWithOverlay(*base_, prefix, start, source, fn);
}

Status PartitionStore::Apply(const MutationBatch& batch) {
  if (!bands_) return base_->Apply(batch);
  size_t bands = 0;
  for (const auto& m : batch.mutations()) bands += IsBandKey(m.key) ? 1 : 0;
  // The worker's batches are one or the other: its overlay's (no band entries), or the band
  // entries of one decision.
  if (bands == 0) return base_->Apply(batch);
  if (bands == batch.size()) return bands_->Apply(batch);
  MutationBatch in_memory, rest;
  for (const auto& m : batch.mutations()) {
    // Checked before anything is written, so that the batch stays all or nothing.
    if (Status st = IndexMemoryStore::Check(m); !st.ok()) return st;
    MutationBatch& to = IsBandKey(m.key) ? in_memory : rest;
    if (m.value) {
      to.Put(m.key, *m.value);
    } else {
      to.Delete(m.key);
    }
  }
  if (Status st = base_->ApplyOwned(rest); !st.ok()) return st;
  return bands_->ApplyOwned(in_memory);
}

}  // namespace copydesk::dedup
