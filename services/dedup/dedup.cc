#include "dedup/dedup.h"

#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "dedup/records.h"
#include "normalize/fingerprint.h"

namespace copydesk::dedup {

using internal::DocRecord;
using internal::IdentityRecord;
using internal::StoryRecord;

namespace {

std::vector<uint16_t> Signature16(const v1::Article& a) {
  std::vector<uint16_t> sig;
  const auto& mh = a.fingerprints().minhash();
  if (mh.size() != internal::kSignatureSize) return sig;
  sig.reserve(mh.size());
  for (uint32_t v : mh) sig.push_back(static_cast<uint16_t>(v ^ (v >> 16)));
  return sig;
}

uint64_t ProviderHash(const v1::Article& a) {
  const std::string& p = a.provenance().provider();
  return XXH3_64bits(p.data(), p.size());
}

int64_t TimestampMs(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000 + t.nanos() / 1000000;
}

bool IsCancel(const v1::Article& a) {
  return a.pubstatus() == v1::PUB_STATUS_CANCELED || a.signals().kill();
}

// The provider's version as a number, when it is one ("3", "12"); nullopt otherwise.
std::optional<int64_t> ProviderVersion(const v1::Article& a) {
  const std::string& s = a.provenance().provider_version();
  if (s.empty() || s.size() > 18) return std::nullopt;
  for (char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  return std::strtoll(s.c_str(), nullptr, 10);
}

// The paragraphs' text hashes (at most 256), for the change summary.
std::vector<uint32_t> ParagraphHashes(const v1::Article& a) {
  std::vector<uint32_t> out;
  // The paragraph's text hash (whitespace runs collapsed, trimmed), folded to 32 bits.
  auto add = [&](std::string_view text) {
    if (out.size() >= 256) return;
    if (text.find_first_not_of(" \t\n\v\f\r") == std::string_view::npos) return;
    const uint64_t h = normalize::TextHash(text);
    out.push_back(static_cast<uint32_t>(h ^ (h >> 32)));
  };
  if (a.body_size() > 0) {
    for (const auto& b : a.body()) add(b.text());
  } else {
    std::string_view t = a.body_text();
    size_t pos = 0;
    while (pos <= t.size()) {
      size_t end = t.find("\n\n", pos);
      if (end == std::string_view::npos) end = t.size();
      add(t.substr(pos, end - pos));
      pos = end + 2;
    }
  }
  return out;
}

uint64_t DocIdFor(const EventContext& ctx) {
  char buf[12];
  for (int i = 0; i < 4; ++i)
    buf[i] = static_cast<char>((static_cast<uint32_t>(ctx.partition) >> (8 * i)) & 0xFF);
  for (int i = 0; i < 8; ++i)
    buf[4 + i] = static_cast<char>((static_cast<uint64_t>(ctx.offset) >> (8 * i)) & 0xFF);
  return XXH3_64bits(buf, sizeof buf);
}

std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Positive when `a` orders after `b`, negative before, 0 when the provider's version and
// versioncreated do not tell (then arrival order decides: the later arrival is newer).
int CompareOrder(const IdentityRecord& incoming, const IdentityRecord& last) {
  if (incoming.has_provider_version && last.has_provider_version &&
      incoming.provider_version != last.provider_version)
    return incoming.provider_version < last.provider_version ? -1 : 1;
  if (incoming.versioncreated_ms != 0 && last.versioncreated_ms != 0 &&
      incoming.versioncreated_ms != last.versioncreated_ms)
    return incoming.versioncreated_ms < last.versioncreated_ms ? -1 : 1;
  return 0;
}

v1::ChangeSummary Summarize(const Config& cfg, const StoryRecord& prev, const v1::Article& a,
                            const std::vector<uint16_t>& sig, const std::vector<uint32_t>& paras) {
  v1::ChangeSummary c;
  const auto& fp = a.fingerprints();
  const bool body_changed = fp.body_hash() != prev.body_hash;
  c.set_headline_changed(fp.headline_hash() != prev.headline_hash);
  double sim = 1.0;
  if (body_changed) {
    if (!sig.empty() && !prev.signature.empty()) {
      sim = internal::EstimateJaccard(sig, prev.signature);
    } else {
      sim = 0.0;
    }
  }
  c.set_body_similarity(sim);
  // Paragraph diff: multiset match of normalized paragraph hashes; unmatched old/new pairs
  // count as edited, the rest as removed/added.
  std::vector<uint32_t> o = prev.paragraphs, n = paras;
  std::sort(o.begin(), o.end());
  std::sort(n.begin(), n.end());
  size_t i = 0, j = 0, matched = 0;
  while (i < o.size() && j < n.size()) {
    if (o[i] == n[j]) {
      ++matched, ++i, ++j;
    } else if (o[i] < n[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  const uint32_t removed = static_cast<uint32_t>(o.size() - matched);
  const uint32_t added = static_cast<uint32_t>(n.size() - matched);
  const uint32_t edited = std::min(removed, added);
  c.set_paragraphs_edited(edited);
  c.set_paragraphs_added(added - edited);
  c.set_paragraphs_removed(removed - edited);
  if (!body_changed && c.headline_changed()) {
    c.set_change_class(v1::CHANGE_CLASS_HEADLINE_ONLY);
  } else if (sim >= cfg.minor_edit_similarity) {
    c.set_change_class(v1::CHANGE_CLASS_MINOR_EDIT);
  } else if (sim >= cfg.substantive_similarity) {
    c.set_change_class(v1::CHANGE_CLASS_SUBSTANTIVE_UPDATE);
  } else {
    c.set_change_class(v1::CHANGE_CLASS_REWRITE);
  }
  c.set_correction(a.signals().correction());
  return c;
}

// A near-duplicate candidate.
struct Match {
  uint64_t doc = 0;
  DocRecord rec;
  bool local = false;
  double similarity = 0;
};

// The derived keys (records.h) of one primary record: a doc's band bucket entries and expiry
// entry, a decision memo's expiry entry. Decide() and ApplyChangelog() both write them through
// these, so a restored store equals the one the decisions built.
template <typename F>
void ForEachDocDerivedKey(uint64_t doc, const DocRecord& rec, bool expiry, F&& f) {
  if (expiry) f(internal::DocExpiryKey(rec.time_ms, doc));
  if (rec.signature.size() != internal::kSignatureSize) return;
  for (int b = 0; b < internal::kBands; ++b)
    f(internal::BandEntryKey(b, internal::BandHash(rec.signature, b), rec.time_ms, doc));
}

void PutDoc(MutationBatch* out, uint64_t doc, const DocRecord& rec) {
  out->Put(internal::DocKey(doc), internal::EncodeDoc(rec));
  ForEachDocDerivedKey(doc, rec, true, [&](const std::string& k) { out->Put(k, ""); });
}

void DeleteDocDerived(MutationBatch* out, uint64_t doc, const DocRecord& rec, bool expiry) {
  ForEachDocDerivedKey(doc, rec, expiry, [&](const std::string& k) { out->Delete(k); });
}

using internal::IsDocKey;
constexpr size_t kMemoKeySize = 14;  // "o/" + partition + offset

bool IsMemoKey(std::string_view key) {
  return key.size() == kMemoKeySize && key.starts_with("o/");
}

std::string MemoExpiryKeyOf(std::string_view memo_key, int64_t time_ms) {
  return internal::MemoExpiryKey(time_ms, static_cast<int32_t>(internal::ReadBe32(memo_key, 2)),
                                 static_cast<int64_t>(internal::ReadBe64(memo_key, 6)));
}

// Puts (value) or deletes (nullopt) the derived keys of the primary record `key` = `value`.
void DerivedMutations(MutationBatch* out, std::string_view key, std::string_view value, bool put,
                      bool expiry) {
  if (IsDocKey(key)) {
    if (auto rec = internal::DecodeDoc(value)) {
      ForEachDocDerivedKey(internal::ReadBe64(key, 2), *rec, expiry, [&](const std::string& k) {
        if (put) {
          out->Put(k, "");
        } else {
          out->Delete(k);
        }
      });
    }
  } else if (IsMemoKey(key)) {
    if (auto d = internal::DecodeDecision(value)) {
      if (expiry) {
        const std::string k = MemoExpiryKeyOf(key, d->event_time_ms);
        if (put) {
          out->Put(k, "");
        } else {
          out->Delete(k);
        }
      }
      if (d->event_key != 0) {
        const std::string k = internal::EventMemoKey(d->event_key);
        if (put) {
          out->Put(k, std::string(key));
        } else {
          out->Delete(k);
        }
      }
    }
  }
}

}  // namespace

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

namespace {

// m/wm: the event time of the partition's last record (8 bytes), then its clock (8 bytes; the
// monotone visibility time). One key, so a decision writes one changelog record for both.
struct Times {
  int64_t last = 0;
  int64_t clock = 0;
};

Times DecodeTimes(const std::optional<std::string>& v) {
  Times t;
  if (v && v->size() >= 8) t.last = internal::KeyToTime(internal::ReadBe64(*v, 0));
  if (v && v->size() >= 16) t.clock = internal::KeyToTime(internal::ReadBe64(*v, 8));
  return t;
}

std::string EncodeTimes(const Times& t) {
  std::string v;
  internal::Be64(v, internal::TimeToKey(t.last));
  internal::Be64(v, internal::TimeToKey(t.clock));
  return v;
}

}  // namespace

Result<int64_t> Deduper::VisibilityTime(int64_t timestamp_ms) const {
  auto times = store_.Get(internal::WatermarkKey());
  if (!times.ok()) return times.error();
  return std::max(DecodeTimes(times.value()).clock, timestamp_ms);
}

Status Deduper::RaiseClock(int64_t floor_ms, MutationBatch* out) const {
  auto v = store_.Get(internal::WatermarkKey());
  if (!v.ok()) return v.error();
  Times t = DecodeTimes(v.value());
  if (floor_ms <= t.clock) return OkStatus();
  t.clock = floor_ms;
  out->Put(internal::WatermarkKey(), EncodeTimes(t));
  return OkStatus();
}

Result<Decision> Deduper::Process(const v1::Article& article, const EventContext& ctx,
                                  std::vector<Mutation>* shared_out) {
  MutationBatch batch;
  auto d = Decide(article, ctx, &batch);
  if (!d.ok()) return d;
  if (shared_out != nullptr) {
    for (const auto& m : batch.mutations()) {
      if (IsSharedIndexKey(m.key)) shared_out->push_back(m);
    }
  }
  Status st = store_.ApplyOwned(batch);
  if (!st.ok()) return st.error();
  return d;
}

Result<Decision> Deduper::Decide(const v1::Article& article, const EventContext& ctx,
                                 MutationBatch* out) const {
  out->Clear();
  OverlayView view(store_, *out);
// `var` names the variable the macro declares, so it cannot be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define DEDUP_GET(var, key)                  \
  auto var##_r = view.Get(key);              \
  if (!var##_r.ok()) return var##_r.error(); \
  std::optional<std::string>& var = var##_r.value();
  // NOLINTEND(bugprone-macro-parentheses)

  // 1. An input seen before (reprocessed after a crash): the recorded decision.
  const std::string memo_key = internal::MemoKey(ctx.partition, ctx.offset);
  {
    DEDUP_GET(memo, memo_key);
    if (memo) {
      if (auto d = internal::DecodeDecision(*memo)) {
        d->replayed = true;
        // The input's index document goes out again: its shared index copy may never have
        // reached the index topic (the worker stopped after the changelog had the memo).
        if (shared_index_ != nullptr) {
          const std::string doc_key = internal::DocKey(DocIdFor(ctx));
          DEDUP_GET(doc, doc_key);
          if (doc) out->Put(doc_key, *doc);
        }
        return *d;
      }
    }
  }
  // 1b. The same event (by the producer's event id) delivered again in another record.
  const uint64_t event_key =
      ctx.producer_event_id.empty() ? 0 : internal::EventKeyHash(ctx.producer_event_id);
  if (event_key != 0) {
    DEDUP_GET(first_key, internal::EventMemoKey(event_key));
    if (first_key) {
      DEDUP_GET(memo, *first_key);
      if (memo) {
        if (auto d = internal::DecodeDecision(*memo); d && d->event_key == event_key) {
          d->replayed = true;
          return *d;
        }
      }
    }
  }

  // 2. Event time: the context's, else the article's versioncreated, else the last one seen on
  // the partition. Index entries older than the window (relative to this record) expire.
  // 2b. Visibility time: the partition's clock, raised to the Kafka timestamp (VisibilityTime).
  DEDUP_GET(times_val, internal::WatermarkKey());
  const Times before = DecodeTimes(times_val);
  int64_t now = ctx.timestamp_ms;
  if (now <= 0 && article.has_versioncreated()) now = TimestampMs(article.versioncreated());
  if (now <= 0) now = before.last;
  const int64_t tau = std::max(before.clock, ctx.timestamp_ms);
  if (now != before.last || tau != before.clock || !times_val || times_val->size() < 16)
    out->Put(internal::WatermarkKey(), EncodeTimes({now, tau}));
  // Another partition's document is visible only when indexed more than Δ earlier (README.md).
  const int64_t visible_before = tau - config_.visibility_delay_ms;
  const int64_t cutoff = now - config_.window_ms;
  const int64_t horizon = now + config_.window_ms;  // out-of-order input: newer entries count too
  // Whatever this decision writes into an expiry queue (a document indexed at an old event time)
  // lowers that queue's floor, on every return path.
  struct LowerOnExit {
    const MutationBatch& batch;
    ExpiryCursor& docs;
    ExpiryCursor& memos;
    ~LowerOnExit() {
      for (const auto& m : batch.mutations()) {
        if (!m.value) continue;
        Lower(docs, m.key);
        Lower(memos, m.key);
      }
    }
  } lower_on_exit{*out, doc_expiry_, memo_expiry_};
  {
    auto doc_start = ScanStart(view, doc_expiry_);
    if (!doc_start.ok()) return doc_start.error();
    auto memo_start = ScanStart(view, memo_expiry_);
    if (!memo_start.ok()) return memo_start.error();
    std::vector<std::string> expired;
    Status st = view.Scan("x/", doc_start.value(), [&](std::string_view key, std::string_view) {
      if (internal::KeyToTime(internal::ReadBe64(key, 2)) >= cutoff) return false;
      expired.emplace_back(key);
      return static_cast<int>(expired.size()) < config_.max_expiries_per_decision;
    });
    if (!st.ok()) return st.error();
    for (const auto& key : expired) {
      const uint64_t doc = internal::ReadBe64(key, 10);
      const std::string dk = internal::DocKey(doc);
      DEDUP_GET(dv, dk);
      if (dv) {
        if (auto rec = internal::DecodeDoc(*dv)) DeleteDocDerived(out, doc, *rec, true);
        out->Delete(dk);
      }
      out->Delete(key);
    }
    if (!expired.empty()) doc_expiry_.pending = expired.back();
    std::vector<std::string> memos;
    st = view.Scan("y/", memo_start.value(), [&](std::string_view key, std::string_view) {
      if (internal::KeyToTime(internal::ReadBe64(key, 2)) >= cutoff) return false;
      memos.emplace_back(key);
      return static_cast<int>(memos.size()) < config_.max_expiries_per_decision;
    });
    if (!st.ok()) return st.error();
    if (!memos.empty()) memo_expiry_.pending = memos.back();
    for (const auto& key : memos) {
      const std::string mk = internal::MemoKey(static_cast<int32_t>(internal::ReadBe32(key, 10)),
                                               static_cast<int64_t>(internal::ReadBe64(key, 14)));
      // The memo's derived keys go with it (its expiry key is `key`, deleted below).
      DEDUP_GET(mv, mk);
      if (mv) DerivedMutations(out, mk, *mv, /*put=*/false, /*expiry=*/false);
      out->Delete(mk);
      out->Delete(key);
    }
  }

  Decision d;
  d.event_time_ms = now;
  d.visibility_time_ms = tau;
  const auto& fp = article.fingerprints();
  const std::vector<uint16_t> sig = Signature16(article);
  const std::vector<uint32_t> paras = ParagraphHashes(article);
  const uint64_t provider_hash = ProviderHash(article);
  const bool cancel = IsCancel(article);

  IdentityRecord incoming;
  if (auto pv = ProviderVersion(article)) {
    incoming.has_provider_version = true;
    incoming.provider_version = *pv;
  }
  if (article.has_versioncreated()) incoming.versioncreated_ms = TimestampMs(article.versioncreated());
  incoming.headline_hash = fp.headline_hash();
  incoming.body_hash = fp.body_hash();
  incoming.canceled = cancel;

  std::string identity = IdentityKey(article, config_.url_identity);
  const bool content_identity = identity.empty();
  if (content_identity) identity = "c|" + article.provenance().provider() + "|" + Hex64(fp.content_hash());
  const std::string identity_key = internal::IdentityStateKey(identity);

  d.event_key = event_key;
  auto record_memo = [&]() {
    out->Put(memo_key, internal::EncodeDecision(d));
    out->Put(MemoExpiryKeyOf(memo_key, d.event_time_ms), "");
    if (event_key != 0) out->Put(internal::EventMemoKey(event_key), memo_key);
  };
  const uint64_t doc_id = DocIdFor(ctx);
  auto index_doc = [&](const std::string& story_id, const std::string& root, uint32_t version) -> Status {
    if (sig.empty()) return OkStatus();
    DocRecord doc;
    doc.story_id = story_id;
    doc.root = root;
    doc.provider_hash = provider_hash;
    doc.time_ms = now;
    doc.tau_ms = tau;
    doc.partition = ctx.partition;
    doc.version = version;
    doc.signature = sig;
    PutDoc(out, doc_id, doc);
    return OkStatus();
  };
  auto content_story = [&](StoryRecord& s) {
    s.headline_hash = fp.headline_hash();
    s.body_hash = fp.body_hash();
    s.signature = sig;
    s.paragraphs = paras;
    s.canceled = cancel;
  };

  // 3. A known identity: redelivery, stale, update or cancel.
  DEDUP_GET(id_val, identity_key);
  std::optional<IdentityRecord> known;
  if (id_val) known = internal::DecodeIdentity(*id_val);
  if (known) {
    const std::string sk = internal::StoryKey(known->story_id);
    DEDUP_GET(sv, sk);
    std::optional<StoryRecord> story;
    if (sv) story = internal::DecodeStory(*sv);
    if (story) {
      d.story_id = known->story_id;
      d.of = known->story_id;
      d.version = story->version;
      if (CompareOrder(incoming, *known) < 0) {
        d.decision = v1::DECISION_STALE;
        record_memo();
        return d;
      }
      // Identical to what this identity last delivered (for an alias identity that is its own
      // text, not the matched story's).
      const bool same_content =
          fp.headline_hash() == known->headline_hash && fp.body_hash() == known->body_hash;
      if ((same_content && cancel == known->canceled) || (cancel && story->canceled)) {
        d.decision = v1::DECISION_REDELIVERY;
        d.similarity = 1.0;
        record_memo();
        return d;
      }
      d.of.clear();
      d.previous_version = story->version;
      d.version = story->version + 1;
      if (cancel) {
        d.decision = v1::DECISION_CANCEL;
        d.kind = v1::EVENT_KIND_CANCELED;
        story->canceled = true;
      } else {
        d.change = Summarize(config_, *story, article, sig, paras);
        d.similarity = d.change.body_similarity();
        d.decision = v1::DECISION_UPDATE;
        d.kind = article.signals().correction() ? v1::EVENT_KIND_CORRECTED : v1::EVENT_KIND_UPDATED;
        content_story(*story);
        if (Status ist = index_doc(d.story_id, story->root, d.version); !ist.ok()) return ist.error();
      }
      story->version = d.version;
      out->Put(sk, internal::EncodeStory(*story));
      IdentityRecord next = incoming;
      next.story_id = known->story_id;
      if (!next.has_provider_version && known->has_provider_version) {
        next.has_provider_version = true;
        next.provider_version = known->provider_version;
      }
      if (next.versioncreated_ms == 0) next.versioncreated_ms = known->versioncreated_ms;
      out->Put(identity_key, internal::EncodeIdentity(next));
      record_memo();
      return d;
    }
  }

  // 4. No identity match: near-duplicate search over the LSH bands (window-bounded).
  std::optional<Match> best;
  if (!sig.empty() && !cancel) {
    std::map<uint64_t, bool> candidates;  // doc -> seen locally
    // The newest entries of a bucket within the window (at most max_bucket_entries).
    auto bucket_reader = [&](bool local) {
      return [&, local, taken = 0](std::string_view key, std::string_view) mutable {
        if (key.size() != internal::kBandEntryKeySize) return true;
        const int64_t t = internal::BandEntryTime(key);
        if (t > horizon) return true;
        if (t < cutoff) return false;  // the rest of the bucket is older still
        if (local) {
          candidates[internal::BandEntryDoc(key)] = true;
        } else {
          candidates.emplace(internal::BandEntryDoc(key), false);
        }
        return ++taken < config_.max_bucket_entries;
      };
    };
    for (int b = 0; b < internal::kBands; ++b) {
      const std::string prefix = internal::BandPrefix(b, internal::BandHash(sig, b));
      if (Status st = view.Scan(prefix, "", bucket_reader(true)); !st.ok()) return st.error();
      if (shared_index_ != nullptr) {
        if (Status st = shared_index_->Scan(prefix, "", bucket_reader(false)); !st.ok()) return st.error();
      }
    }
    for (const auto& [doc, local] : candidates) {
      std::optional<DocRecord> rec;
      const std::string dk = internal::DocKey(doc);
      if (local) {
        DEDUP_GET(dv, dk);
        if (dv) rec = internal::DecodeDoc(*dv);
      } else {
        auto r = shared_index_->Get(dk);
        if (!r.ok()) return r.error();
        if (r.value()) rec = internal::DecodeDoc(*r.value());
        // The partition's own entries are authoritative locally; the shared copy may lag.
        if (rec && rec->partition == ctx.partition) rec.reset();
        if (rec && rec->tau_ms >= visible_before) rec.reset();  // not visible yet (Δ rule)
      }
      if (!rec || rec->time_ms < cutoff || rec->time_ms > horizon) continue;
      const double sim = internal::EstimateJaccard(sig, rec->signature);
      const double threshold =
          rec->provider_hash == provider_hash ? config_.duplicate_threshold : config_.syndicated_threshold;
      if (sim < threshold) continue;
      const bool better =
          !best || sim > best->similarity ||
          (sim == best->similarity &&
           (rec->time_ms < best->rec.time_ms || (rec->time_ms == best->rec.time_ms && doc < best->doc)));
      if (better) best = Match{doc, std::move(*rec), local, sim};
    }
  }

  if (best && best->rec.provider_hash == provider_hash) {
    // Same provider: an alias of the matched story, not a new story.
    d.decision = v1::DECISION_DUPLICATE;
    d.story_id = best->rec.story_id;
    d.of = best->rec.story_id;
    d.similarity = best->similarity;
    d.version = best->rec.version;
    const std::string sk = internal::StoryKey(best->rec.story_id);
    DEDUP_GET(sv, sk);
    if (sv) {
      if (auto story = internal::DecodeStory(*sv)) {
        d.version = story->version;
        // Later versions under this identity update the matched story.
        IdentityRecord alias = incoming;
        alias.story_id = best->rec.story_id;
        out->Put(identity_key, internal::EncodeIdentity(alias));
        if (Status ist = index_doc(best->rec.story_id, best->rec.root, d.version); !ist.ok())
          return ist.error();
      }
    }
    record_memo();
    return d;
  }

  // 5. A story of its own: new, syndicated copy, or a cancel of an unseen story.
  std::string seed = identity;
  if (content_identity) seed += "|" + std::to_string(ctx.partition) + "|" + std::to_string(ctx.offset);
  d.story_id = StoryIdFor(seed);
  d.version = 1;
  StoryRecord story;
  story.version = 1;
  story.provider_hash = provider_hash;
  content_story(story);
  if (cancel) {
    d.decision = v1::DECISION_CANCEL;
    d.kind = v1::EVENT_KIND_CANCELED;
  } else if (best) {
    d.decision = v1::DECISION_SYNDICATED;
    d.kind = v1::EVENT_KIND_SYNDICATED;
    d.of = best->rec.root.empty() ? best->rec.story_id : best->rec.root;
    d.similarity = best->similarity;
    story.root = d.of;
  } else {
    d.decision = v1::DECISION_NEW;
    d.kind = v1::EVENT_KIND_CREATED;
  }
  out->Put(internal::StoryKey(d.story_id), internal::EncodeStory(story));
  IdentityRecord rec = incoming;
  rec.story_id = d.story_id;
  out->Put(identity_key, internal::EncodeIdentity(rec));
  if (!cancel) {
    if (Status ist = index_doc(d.story_id, story.root, 1); !ist.ok()) return ist.error();
  }
  record_memo();
  return d;
#undef DEDUP_GET
}

}  // namespace copydesk::dedup
