#include "ingest/state.h"

namespace copydesk::ingest {

Result<std::optional<std::string>> OverlayStore::Get(std::string_view key) const {
  auto it = overlay_.find(key);
  if (it != overlay_.end()) return it->second;
  return base_->Get(key);
}

Status OverlayStore::Scan(std::string_view prefix, std::string_view start, const dedup::ScanFn& fn) const {
  if (overlay_.empty()) return base_->Scan(prefix, start, fn);
  // Merge: base entries in range, with the overlay laid over them.
  std::map<std::string, std::optional<std::string>, std::less<>> merged;
  Status st = base_->Scan(prefix, start, [&](std::string_view k, std::string_view v) {
    merged.emplace(std::string(k), std::string(v));
    return true;
  });
  if (!st.ok()) return st;
  for (auto it = overlay_.lower_bound(start); it != overlay_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) {
      if (it->first > prefix && it->first.compare(0, prefix.size(), prefix) > 0) break;
      continue;
    }
    merged[it->first] = it->second;
  }
  for (const auto& [k, v] : merged) {
    if (v && !fn(k, *v)) break;
  }
  return OkStatus();
}

Status OverlayStore::Apply(const dedup::MutationBatch& batch) {
  for (const auto& m : batch.mutations()) overlay_[m.key] = m.value;
  return OkStatus();
}

std::vector<dedup::Mutation> OverlayStore::Pending() const {
  std::vector<dedup::Mutation> out;
  out.reserve(overlay_.size());
  for (const auto& [k, v] : overlay_) out.push_back({k, v});
  return out;
}

Status OverlayStore::Commit(const std::vector<dedup::Mutation>& extra) {
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
  Status st = base_->Apply(b);
  if (st.ok()) overlay_.clear();
  return st;
}

}  // namespace copydesk::ingest
