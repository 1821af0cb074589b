#include "dedup/dedup.h"

#include <xxhash.h>

#include <algorithm>
#include <cstdio>

#include "dedup/decide.h"
#include "dedup/records.h"

namespace copydesk::dedup {

using internal::DerivedMutations;
using internal::IsDocKey;
using internal::IsMemoKey;  // records.h

bool IsDerivedKey(std::string_view key) {
  return key.starts_with("b/") || key.starts_with("x/") || key.starts_with("y/") || key.starts_with("e/");
}

Status ApplyChangelog(StateStore& store, const std::vector<Mutation>& mutations, bool derive_expiry) {
  MutationBatch out;
  OverlayView view(store, out);
  for (const auto& m : mutations) {
    if (IsDerivedKey(m.key)) continue;  // rebuilt from the primary records
    const bool primary = IsDocKey(m.key) || IsMemoKey(m.key);
    if (primary) {
      auto old = view.Get(m.key);
      if (!old.ok()) return old.error();
      if (old.value()) DerivedMutations(&out, m.key, *old.value(), false, derive_expiry);
    }
    if (m.value) {
      out.Put(m.key, *m.value);
      if (primary) DerivedMutations(&out, m.key, *m.value, true, derive_expiry);
    } else {
      out.Delete(m.key);
    }
  }
  return store.Apply(out);
}

Status ApplySharedIndexMutation(StateStore& shared, const Mutation& m) {
  if (!IsSharedIndexKey(m.key) || !IsDocKey(m.key)) return OkStatus();
  return ApplyChangelog(shared, {m}, /*derive_expiry=*/false);
}

Status Config::Validate() const {
  auto bad = [](const char* field, const std::string& why) {
    return Status(v1::ERROR_CODE_INTERNAL, std::string("dedup config: ") + field + " " + why);
  };
  if (window_ms <= 0) return bad("window_ms", "must be > 0");
  if (duplicate_threshold <= 0 || duplicate_threshold > 1)
    return bad("duplicate_threshold", "must be in (0, 1]");
  if (syndicated_threshold <= 0 || syndicated_threshold > 1)
    return bad("syndicated_threshold", "must be in (0, 1]");
  if (max_bucket_entries < 1) return bad("max_bucket_entries", "must be >= 1");
  if (max_expiries_per_decision < 1) return bad("max_expiries_per_decision", "must be >= 1");
  if (minor_edit_similarity < substantive_similarity)
    return bad("minor_edit_similarity", "must be >= substantive_similarity");
  if (visibility_delay_ms < 0) return bad("visibility_delay_ms", "must be >= 0");
  return OkStatus();
}

std::string_view DecisionName(v1::Decision d) {
  switch (d) {
    case v1::DECISION_NEW: return "new";
    case v1::DECISION_UPDATE: return "update";
    case v1::DECISION_REDELIVERY: return "redelivery";
    case v1::DECISION_STALE: return "stale";
    case v1::DECISION_DUPLICATE: return "duplicate";
    case v1::DECISION_SYNDICATED: return "syndicated";
    case v1::DECISION_CANCEL: return "cancel";
    case v1::DECISION_DEAD_LETTER: return "dead_letter";
    case v1::DECISION_ITEMS: return "items";
    default: return "unspecified";
  }
}

std::string IdentityKey(const v1::Article& a, bool url_identity) {
  const auto& p = a.provenance();
  if (!p.guid().empty()) return "g|" + p.provider() + "|" + p.guid();
  if (url_identity && !a.canonical_url().empty()) return "u|" + p.provider() + "|" + a.canonical_url();
  return "";
}

std::string StoryIdFor(std::string_view identity_or_content) {
  XXH128_hash_t h = XXH3_128bits(identity_or_content.data(), identity_or_content.size());
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return std::string("st_") + std::string(buf, 24);
}

Deduper::Deduper(Config config, StateStore& store, const StateStore* shared_index)
    : config_(config), store_(store), shared_index_(shared_index) {}

Result<std::string> Deduper::ScanStart(const OverlayView& view, ExpiryCursor& cursor) const {
  if (!cursor.pending.empty()) {
    auto r = view.Get(cursor.pending);
    if (!r.ok()) return r.error();
    if (!r.value()) cursor.floor = std::move(cursor.pending);  // its batch was applied
    cursor.pending.clear();
  }
  return cursor.floor;
}

void Deduper::Lower(ExpiryCursor& cursor, std::string_view key) {
  if (!key.starts_with(cursor.prefix)) return;
  if (!cursor.pending.empty() && key < cursor.pending) cursor.pending.clear();  // would skip it
  if (!cursor.floor.empty() && key < cursor.floor) cursor.floor = std::string(key);
}

Result<int64_t> Deduper::VisibilityTime(int64_t timestamp_ms) const {
  auto times = store_.Get(internal::WatermarkKey());
  if (!times.ok()) return times.error();
  return std::max(internal::DecodeTimes(times.value()).clock, timestamp_ms);
}

Status Deduper::RaiseClock(int64_t floor_ms, MutationBatch* out) const {
  auto v = store_.Get(internal::WatermarkKey());
  if (!v.ok()) return v.error();
  internal::Times t = internal::DecodeTimes(v.value());
  if (floor_ms <= t.clock) return OkStatus();
  t.clock = floor_ms;
  out->Put(internal::WatermarkKey(), internal::EncodeTimes(t));
  return OkStatus();
}

Result<Decision> Deduper::Process(const v1::Article& article, const EventContext& ctx,
                                  std::vector<Mutation>* shared_out) {
  MutationBatch batch;
  auto d = Decide(article, ctx, &batch);
  if (!d.ok()) return d;
  if (Status st = Commit(batch, shared_out); !st.ok()) return st.error();
  return d;
}

Status Deduper::Commit(MutationBatch& batch, std::vector<Mutation>* shared_out) {
  if (shared_out != nullptr) {
    for (const auto& m : batch.mutations()) {
      if (IsSharedIndexKey(m.key)) shared_out->push_back(m);
    }
  }
  return store_.ApplyOwned(batch);
}

Result<Decision> Deduper::Decide(const v1::Article& article, const EventContext& ctx,
                                 MutationBatch* out) const {
  return internal::Decider(*this, article, ctx, out).Run();
}

}  // namespace copydesk::dedup
