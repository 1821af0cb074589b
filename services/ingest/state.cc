#include "ingest/state.h"

#include <algorithm>

namespace copydesk::ingest {

Result<std::optional<std::string>> OverlayStore::Get(std::string_view key) const {
  auto it = overlay_.find(key);
  if (it != overlay_.end()) return it->second;
  return base_->Get(key);
}

Status OverlayStore::Scan(std::string_view prefix, std::string_view start, const dedup::ScanFn& fn) const {
  if (overlay_.empty()) return base_->Scan(prefix, start, fn);
  std::string_view from = start > prefix ? start : prefix;
  std::vector<dedup::PendingEntry> pending;
  for (auto it = overlay_.lower_bound(from); it != overlay_.end() && it->first.starts_with(prefix); ++it)
    pending.push_back({it->first, &it->second});
  return dedup::ScanWithOverlay(*base_, prefix, from, pending, fn);
}

Status OverlayStore::Apply(const dedup::MutationBatch& batch) {
  for (const auto& m : batch.mutations()) {
    overlay_[m.key] = m.value;
    if (track_changes_) changed_.push_back(m.key);
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

Status OverlayStore::Commit(const std::vector<dedup::Mutation>& extra) {
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
