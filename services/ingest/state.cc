#include "ingest/state.h"

#include <algorithm>

namespace copydesk::ingest {

bool OverlayStore::MayHoldKey(std::string_view key) const {
  return !overlay_.empty() && Test(key_bits_, key);
}

bool OverlayStore::MayHoldPrefix(std::string_view prefix) const {
  if (overlay_.empty()) return false;
  return prefix.size() < kFilterPrefix || Test(prefix_bits_, prefix.substr(0, kFilterPrefix));
}

void OverlayStore::Discard() {
  if (!overlay_.empty()) {
    std::fill(key_bits_.begin(), key_bits_.end(), 0);
    std::fill(prefix_bits_.begin(), prefix_bits_.end(), 0);
  }
  overlay_.clear();
  changed_.clear();
}

Result<std::optional<std::string>> OverlayStore::Get(std::string_view key) const {
  if (!MayHoldKey(key) || Unstaged(key)) return base_->Get(key);
  auto it = overlay_.find(key);
  if (it != overlay_.end()) return it->second;
  return base_->Get(key);
}

Status OverlayStore::Scan(std::string_view prefix, std::string_view start, const dedup::ScanFn& fn) const {
  if (Unstaged(prefix)) return base_->Scan(prefix, start, fn);
  // (Every key in range starts with `prefix`, so with its first kFilterPrefix bytes.)
  if (!MayHoldPrefix(prefix)) return base_->Scan(prefix, start, fn);
  std::string_view from = start > prefix ? start : prefix;
  // The overlay's keys in range, read as the merge needs them: an expiry scan stops at its first
  // live key, and collecting the whole range first made it cost the batch's size.
  class MapSource final : public dedup::PendingSource {
   public:
    MapSource(const Overlay& overlay, std::string_view prefix, std::string_view from)
        : it_(overlay.lower_bound(from)), end_(overlay.end()), prefix_(prefix) {
      Load();
    }
    const dedup::PendingEntry* Peek() override { return at_end_ ? nullptr : &entry_; }
    void Advance() override {
      ++it_;
      Load();
    }

   private:
    void Load() {
      at_end_ = it_ == end_ || !it_->first.starts_with(prefix_);
      if (!at_end_) entry_ = {it_->first, &it_->second};
    }
    Overlay::const_iterator it_, end_;
    std::string_view prefix_;
    dedup::PendingEntry entry_{};
    bool at_end_ = true;
  };
  MapSource source(overlay_, prefix, from);
  return dedup::ScanWithOverlay(*base_, prefix, from, source, fn);
}

void OverlayStore::Stage(std::string key, std::optional<std::string> value) {
  Set(key_bits_, key);
  if (key.size() >= kFilterPrefix) Set(prefix_bits_, std::string_view(key).substr(0, kFilterPrefix));
  if (track_changes_) changed_.push_back(key);
  auto [it, inserted] = overlay_.try_emplace(std::move(key), std::nullopt);
  it->second = std::move(value);
}

Status OverlayStore::Apply(const dedup::MutationBatch& batch) {
  dedup::MutationBatch copy;
  for (const auto& m : batch.mutations()) {
    if (m.value) {
      copy.Put(m.key, *m.value);
    } else {
      copy.Delete(m.key);
    }
  }
  return ApplyOwned(copy);
}

Status OverlayStore::ApplyOwned(dedup::MutationBatch& batch) {
  const bool unstaged = partition_ != nullptr && partition_->bands_in_memory();
  if (unstaged) {
    // Checked first: a batch the base store would refuse leaves the overlay as it was.
    for (const auto& m : batch.mutations()) {
      if (Unstaged(m.key)) {
        if (Status st = dedup::IndexMemoryStore::Check(m); !st.ok()) return st;
      }
    }
  }
  for (auto& m : batch.Release()) {
    if (unstaged && Unstaged(m.key)) {
      partition_->ApplyBandEntry(m);
    } else {
      Stage(std::move(m.key), std::move(m.value));
    }
  }
  return OkStatus();
}

std::vector<dedup::Mutation> OverlayStore::TakeChanges() {
  std::sort(changed_.begin(), changed_.end());
  changed_.erase(std::unique(changed_.begin(), changed_.end()), changed_.end());
  std::vector<dedup::Mutation> out;
  out.reserve(changed_.size());
  for (const auto& k : changed_) {
    auto it = overlay_.find(k);
    if (it != overlay_.end()) out.push_back({k, it->second});
  }
  changed_.clear();
  return out;
}

void OverlayStore::MarkAllChanged() {
  changed_.clear();
  for (const auto& [k, v] : overlay_) changed_.push_back(k);
}

std::vector<dedup::Mutation> OverlayStore::Pending() const {
  std::vector<dedup::Mutation> out;
  out.reserve(overlay_.size());
  for (const auto& [k, v] : overlay_) out.push_back({k, v});
  return out;
}

Status OverlayStore::Persist(const std::vector<dedup::Mutation>& extra) {
  Status st = WriteThrough(extra);
  if (st.ok()) Discard();
  return st;
}

Status OverlayStore::WriteThrough(const std::vector<dedup::Mutation>& extra) {
  dedup::MutationBatch b;
  for (const auto& m : extra) {
    if (m.value) {
      b.Put(m.key, *m.value);
    } else {
      b.Delete(m.key);
    }
  }
  for (const auto& [k, v] : overlay_) {
    if (v) {
      b.Put(k, *v);
    } else {
      b.Delete(k);
    }
  }
  return base_->Apply(b);
}

}  // namespace copydesk::ingest
