#include "dedup/state_store.h"

#include <algorithm>
#include <utility>

namespace copydesk::dedup {
namespace {
// Debian's Abseil has its own string_view type.
absl::string_view Absl(std::string_view s) {
  return {s.data(), s.size()};
}
}  // namespace

void MutationBatch::Add(std::string_view key, std::optional<std::string> value) {
  if (mutations_.capacity() == 0) mutations_.reserve(64);  // a decision writes about 27 to 60
  const Mutation* before = mutations_.data();
  mutations_.push_back(Mutation{std::string(key), std::move(value)});
  if (!indexed_) return;  // built by the first Find() that needs it
  if (mutations_.data() != before) {
    BuildIndex();  // the vector moved its elements: the views must point at the moved keys
  } else {
    latest_[Absl(mutations_.back().key)] = mutations_.size() - 1;
  }
}

void MutationBatch::BuildIndex() const {
  latest_.clear();
  for (size_t i = 0; i < mutations_.size(); ++i) latest_[Absl(mutations_[i].key)] = i;
  indexed_ = true;
}

void MutationBatch::Put(std::string_view key, std::string_view value) {
  Add(key, std::string(value));
}

void MutationBatch::Delete(std::string_view key) {
  Add(key, std::nullopt);
}

void MutationBatch::Clear() {
  mutations_.clear();
  latest_.clear();
  indexed_ = false;
}

std::vector<Mutation> MutationBatch::Release() {
  latest_.clear();
  indexed_ = false;
  return std::exchange(mutations_, {});
}

Status StateStore::ApplyOwned(MutationBatch& batch) {
  Status st = Apply(batch);
  batch.Clear();
  return st;
}

const Mutation* MutationBatch::Find(std::string_view key) const {
  if (mutations_.size() <= kIndexFrom) {
    for (auto it = mutations_.rbegin(); it != mutations_.rend(); ++it)
      if (it->key == key) return &*it;
    return nullptr;
  }
  if (!indexed_) BuildIndex();
  auto it = latest_.find(Absl(key));
  if (it == latest_.end()) return nullptr;
  return &mutations_[it->second];
}

Status StateStore::ApplyMutations(const std::vector<Mutation>& mutations) {
  MutationBatch b;
  for (const auto& m : mutations) {
    if (m.value) {
      b.Put(m.key, *m.value);
    } else {
      b.Delete(m.key);
    }
  }
  return Apply(b);
}

Result<std::optional<std::string>> MemoryStateStore::Get(std::string_view key) const {
  if (Scanned(key)) {
    if (key.size() > kShortKeyMax) {
      auto it = ordered_long_.find(key);
      if (it == ordered_long_.end()) return std::optional<std::string>();
      return std::optional<std::string>(it->second);
    }
    auto it = ordered_.find(ShortKey(key));
    if (it == ordered_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  auto it = kv_.find(Absl(key));
  if (it == kv_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Status MemoryStateStore::Scan(std::string_view prefix, std::string_view start, const ScanFn& fn) const {
  std::string_view from = start > prefix ? start : prefix;
  // Both maps in key order (the long one is usually empty).
  // A short key is below a longer `from` when it is at most from's first kShortKeyMax bytes.
  auto a = from.size() > kShortKeyMax ? ordered_.upper_bound(ShortKey(from.substr(0, kShortKeyMax)))
                                      : ordered_.lower_bound(ShortKey(from));
  auto b = ordered_long_.lower_bound(from);
  while (true) {
    const bool has_a = a != ordered_.end() && a->first.view().starts_with(prefix);
    const bool has_b = b != ordered_long_.end() && std::string_view(b->first).starts_with(prefix);
    if (!has_a && !has_b) break;
    if (has_a && (!has_b || a->first.view() < std::string_view(b->first))) {
      if (!fn(a->first.view(), a->second)) break;
      ++a;
    } else {
      if (!fn(b->first, b->second)) break;
      ++b;
    }
  }
  return OkStatus();
}

Status MemoryStateStore::Apply(const MutationBatch& batch) {
  for (const auto& m : batch.mutations()) ApplyOne(std::string(m.key), m.value);
  return OkStatus();
}

Status MemoryStateStore::ApplyOwned(MutationBatch& batch) {
  for (auto& m : batch.Release()) ApplyOne(std::move(m.key), std::move(m.value));
  return OkStatus();
}

void MemoryStateStore::ApplyOne(std::string key, std::optional<std::string> value) {
  const bool scanned = Scanned(key);
  if (scanned && key.size() > kShortKeyMax) {
    if (value) {
      ordered_long_.insert_or_assign(std::move(key), std::move(*value));
    } else {
      ordered_long_.erase(key);
    }
  } else if (scanned) {
    if (value) {
      ordered_.insert_or_assign(ShortKey(key), std::move(*value));
    } else {
      ordered_.erase(ShortKey(key));
    }
  } else if (value) {
    kv_.insert_or_assign(std::move(key), std::move(*value));
  } else {
    kv_.erase(Absl(key));
  }
}

bool MemoryStateStore::Scanned(std::string_view key) const {
  for (const auto& p : scanned_prefixes_)
    if (key.starts_with(p)) return true;
  return false;
}

std::map<std::string, std::string> MemoryStateStore::contents() const {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : kv_) out.emplace(k, v);
  for (const auto& [k, v] : ordered_) out.emplace(k.view(), v);
  for (const auto& [k, v] : ordered_long_) out.emplace(k, v);
  return out;
}

Result<std::optional<std::string>> OverlayView::Get(std::string_view key) const {
  if (const Mutation* m = batch_.Find(key)) return m->value;
  return store_.Get(key);
}

Status ScanWithOverlay(const StateStore& base, std::string_view prefix, std::string_view start,
                       PendingSource& pending, const ScanFn& fn) {
  bool stopped = false;
  // Emits pending entries before `key` (or all when key is null); false when fn stopped.
  auto emit_before = [&](const std::string_view* key) {
    for (const PendingEntry* p; (p = pending.Peek()) != nullptr && (key == nullptr || p->key < *key);) {
      const PendingEntry e = *p;  // (Advance may reuse what p points to)
      pending.Advance();
      if (*e.value && !fn(e.key, **e.value)) return false;
    }
    return true;
  };
  Status st = base.Scan(prefix, start, [&](std::string_view key, std::string_view value) {
    if (!emit_before(&key)) {
      stopped = true;
      return false;
    }
    std::string_view v = value;
    if (const PendingEntry* p = pending.Peek(); p != nullptr && p->key == key) {
      const PendingEntry e = *p;
      pending.Advance();
      if (!*e.value) return true;  // deleted
      v = **e.value;
    }
    if (!fn(key, v)) {
      stopped = true;
      return false;
    }
    return true;
  });
  if (!st.ok() || stopped) return st;
  emit_before(nullptr);
  return OkStatus();
}

Status OverlayView::Scan(std::string_view prefix, std::string_view start, const ScanFn& fn) const {
  std::string_view from = start > prefix ? start : prefix;
  // Pending batch keys in range (the latest mutation of each), in order.
  std::vector<PendingEntry> pending;
  for (const auto& m : batch_.mutations()) {
    if (m.key.compare(0, prefix.size(), prefix) != 0 || m.key < from) continue;
    if (batch_.Find(m.key) != &m) continue;
    pending.push_back({m.key, &m.value});
  }
  std::sort(pending.begin(), pending.end(),
            [](const PendingEntry& a, const PendingEntry& b) { return a.key < b.key; });
  PendingVector source(pending);
  return ScanWithOverlay(store_, prefix, from, source, fn);
}

}  // namespace copydesk::dedup
