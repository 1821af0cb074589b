#include "dedup/decide.h"

#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "dedup/facts.h"

namespace copydesk::dedup::internal {
namespace {

uint64_t DocIdFor(const EventContext& ctx) {
  char buf[16];
  for (int i = 0; i < 4; ++i)
    buf[i] = static_cast<char>((static_cast<uint32_t>(ctx.partition) >> (8 * i)) & 0xFF);
  for (int i = 0; i < 8; ++i)
    buf[4 + i] = static_cast<char>((static_cast<uint64_t>(ctx.offset) >> (8 * i)) & 0xFF);
  for (int i = 0; i < 4; ++i) buf[12 + i] = static_cast<char>((ctx.item >> (8 * i)) & 0xFF);
  return XXH3_64bits(buf, ctx.item == 0 ? 12 : 16);
}

// A content identity's story id mixes in the first record's position.
std::string PositionSeed(const EventContext& ctx) {
  std::string s = "|" + std::to_string(ctx.partition) + "|" + std::to_string(ctx.offset);
  if (ctx.item != 0) s += "|" + std::to_string(ctx.item);
  return s;
}

std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

Decider::Decider(const Deduper& dedup, const v1::Article& article, const EventContext& ctx,
                 MutationBatch* out)
    : dedup_(dedup),
      config_(dedup.config_),
      article_(article),
      ctx_(ctx),
      out_(out),
      view_(dedup.store_, *out),
      memo_key_(MemoKey(ctx.partition, ctx.offset, ctx.item)),
      event_key_(ctx.producer_event_id.empty() ? 0 : EventKeyHash(ctx.producer_event_id)) {}

Result<Decision> Decider::Run() {
  out_->Clear();
  auto logged = ReplayLoggedDecision();
  if (!logged.ok()) return logged.error();
  if (logged.value()) return d_;
  auto decided = DecideNew();
  // Whatever this decision wrote into an expiry queue (a document indexed at an old event time)
  // lowers that queue's floor, on every path.
  LowerCursors();
  return decided;
}

Result<Decision> Decider::DecideNew() {
  if (Status st = AdvanceTimes(); !st.ok()) return st.error();
  if (Status st = ExpireOldEntries(); !st.ok()) return st.error();
  DescribeRecord();
  auto known = DecideKnownIdentity();
  if (!known.ok()) return known.error();
  if (known.value()) return d_;
  auto best = FindBestMatch();
  if (!best.ok()) return best.error();
  if (best.value() && best.value()->rec.provider_hash == provider_hash_) {
    auto dup = DecideDuplicate(*best.value());
    if (!dup.ok()) return dup.error();
    if (dup.value()) return d_;
  }
  DecideOwnStory(best.value());
  return d_;
}

// 1. An input seen before (reprocessed after a crash), or the same producer event delivered
// again in another record: the recorded decision.
Result<bool> Decider::ReplayLoggedDecision() {
  auto memo = Get(memo_key_);
  if (!memo.ok()) return memo.error();
  if (memo.value()) {
    if (auto d = DecodeDecision(*memo.value())) {
      d_ = std::move(*d);
      d_.replayed = true;
      // The input's index document goes out again: its shared index copy may never have
      // reached the index topic (the worker stopped after the changelog had the memo).
      if (dedup_.shared_index_ != nullptr) {
        const std::string doc_key = DocKey(DocIdFor(ctx_));
        auto doc = Get(doc_key);
        if (!doc.ok()) return doc.error();
        if (doc.value()) out_->Put(doc_key, *doc.value());
      }
      return true;
    }
  }
  if (event_key_ == 0) return false;
  auto first_key = Get(EventMemoKey(event_key_));
  if (!first_key.ok()) return first_key.error();
  if (!first_key.value()) return false;
  auto first = Get(*first_key.value());
  if (!first.ok()) return first.error();
  if (!first.value()) return false;
  auto d = DecodeDecision(*first.value());
  if (!d || d->event_key != event_key_) return false;
  d_ = std::move(*d);
  d_.replayed = true;
  return true;
}

// 2. Event time: the context's, else the article's versioncreated, else the last one seen on the
// partition. Visibility time: the partition's clock raised to the Kafka timestamp.
Status Decider::AdvanceTimes() {
  auto times_val = Get(WatermarkKey());
  if (!times_val.ok()) return times_val.error();
  const Times before = DecodeTimes(times_val.value());
  now_ = ctx_.timestamp_ms;
  if (now_ <= 0 && article_.has_versioncreated()) now_ = TimestampMs(article_.versioncreated());
  if (now_ <= 0) now_ = before.last;
  tau_ = std::max(before.clock, ctx_.timestamp_ms);
  if (now_ != before.last || tau_ != before.clock || !times_val.value() || times_val.value()->size() < 16)
    out_->Put(WatermarkKey(), EncodeTimes({now_, tau_}));
  // Another partition's document is visible only when indexed more than Δ earlier (README.md).
  visible_before_ = tau_ - config_.visibility_delay_ms;
  cutoff_ = now_ - config_.window_ms;
  horizon_ = now_ + config_.window_ms;  // out-of-order input: newer entries count too
  d_.event_time_ms = now_;
  d_.visibility_time_ms = tau_;
  d_.event_key = event_key_;
  return OkStatus();
}

// 3. Index documents and decision-log entries older than the window (relative to this record)
// expire, at most max_expiries_per_decision of each.
Status Decider::ExpireOldEntries() {
  auto doc_start = dedup_.ScanStart(view_, dedup_.doc_expiry_);
  if (!doc_start.ok()) return doc_start.error();
  auto memo_start = dedup_.ScanStart(view_, dedup_.memo_expiry_);
  if (!memo_start.ok()) return memo_start.error();
  if (Status st = ExpireDocuments(doc_start.value()); !st.ok()) return st;
  return ExpireMemos(memo_start.value());
}

Status Decider::ExpireDocuments(std::string_view start) {
  std::vector<std::string> expired;
  Status st = view_.Scan("x/", start, [&](std::string_view key, std::string_view) {
    if (KeyToTime(ReadBe64(key, 2)) >= cutoff_) return false;
    expired.emplace_back(key);
    return static_cast<int>(expired.size()) < config_.max_expiries_per_decision;
  });
  if (!st.ok()) return st;
  for (const auto& key : expired) {
    const uint64_t doc = ReadBe64(key, 10);
    const std::string dk = DocKey(doc);
    auto dv = Get(dk);
    if (!dv.ok()) return dv.error();
    if (dv.value()) {
      if (auto rec = DecodeDoc(*dv.value()))
        ForEachDocDerivedKey(doc, *rec, true, [&](const std::string& k) { out_->Delete(k); });
      out_->Delete(dk);
    }
    out_->Delete(key);
  }
  if (!expired.empty()) dedup_.doc_expiry_.pending = expired.back();
  return OkStatus();
}

Status Decider::ExpireMemos(std::string_view start) {
  std::vector<std::string> memos;
  Status st = view_.Scan("y/", start, [&](std::string_view key, std::string_view) {
    if (KeyToTime(ReadBe64(key, 2)) >= cutoff_) return false;
    memos.emplace_back(key);
    return static_cast<int>(memos.size()) < config_.max_expiries_per_decision;
  });
  if (!st.ok()) return st;
  if (!memos.empty()) dedup_.memo_expiry_.pending = memos.back();
  for (const auto& key : memos) {
    const std::string mk = MemoKeyOfExpiryKey(key);
    // The memo's derived keys go with it (its expiry key is `key`, deleted below).
    auto mv = Get(mk);
    if (!mv.ok()) return mv.error();
    if (mv.value()) DerivedMutations(out_, mk, *mv.value(), /*put=*/false, /*expiry=*/false);
    out_->Delete(mk);
    out_->Delete(key);
  }
  return OkStatus();
}

// The record's fingerprints, version order and identity.
void Decider::DescribeRecord() {
  const auto& fp = article_.fingerprints();
  sig_ = Signature16(article_);
  paras_ = ParagraphHashes(article_);
  provider_hash_ = ProviderHash(article_);
  cancel_ = IsCancel(article_);
  if (auto pv = ProviderVersion(article_)) {
    incoming_.has_provider_version = true;
    incoming_.provider_version = *pv;
  }
  if (article_.has_versioncreated()) incoming_.versioncreated_ms = TimestampMs(article_.versioncreated());
  incoming_.headline_hash = fp.headline_hash();
  incoming_.body_hash = fp.body_hash();
  incoming_.canceled = cancel_;
  identity_ = IdentityKey(article_, config_.url_identity);
  content_identity_ = identity_.empty();
  if (content_identity_) identity_ = "c|" + article_.provenance().provider() + "|" + Hex64(fp.content_hash());
  identity_key_ = IdentityStateKey(identity_);
  doc_id_ = DocIdFor(ctx_);
}

// 4. A known identity: stale, redelivery, update or cancel of its story.
Result<bool> Decider::DecideKnownIdentity() {
  auto id_val = Get(identity_key_);
  if (!id_val.ok()) return id_val.error();
  if (!id_val.value()) return false;
  const std::optional<IdentityRecord> known = DecodeIdentity(*id_val.value());
  if (!known) return false;
  if (RedeliversAliasContent(*known)) return true;
  if (known->foreign()) {
    DecideForeignAlias(*known);
    return true;
  }
  const std::string sk = StoryKey(known->story_id);
  auto sv = Get(sk);
  if (!sv.ok()) return sv.error();
  std::optional<StoryRecord> story;
  if (sv.value()) story = DecodeStory(*sv.value());
  if (!story) return false;
  d_.story_id = known->story_id;
  d_.of = known->story_id;
  d_.version = story->version;
  if (DecideStaleOrRedelivery(*known, story->canceled)) return true;
  DecideUpdateOrCancel(*story);
  out_->Put(sk, EncodeStory(*story));
  PutIdentity(NextIdentity(*known, known->story_id));
  RecordMemo();
  return true;
}

// Older than what the identity last delivered: stale; identical to it (for an alias identity
// that is its own text, not the matched story's), or a cancel of a canceled story: a
// re-delivery. d_ names the story already.
bool Decider::DecideStaleOrRedelivery(const IdentityRecord& known, bool story_canceled) {
  if (CompareOrder(incoming_, known) < 0) {
    d_.decision = v1::DECISION_STALE;
    RecordMemo();
    return true;
  }
  const bool same_content =
      incoming_.headline_hash == known.headline_hash && incoming_.body_hash == known.body_hash;
  if ((same_content && cancel_ == known.canceled) || (cancel_ && story_canceled)) {
    d_.decision = v1::DECISION_REDELIVERY;
    d_.similarity = 1.0;
    RecordMemo();
    return true;
  }
  return false;
}

// An identity that was another partition's story's duplicate and has a story of its own since:
// the content it delivered as that duplicate is still a re-delivery of that story.
bool Decider::RedeliversAliasContent(const IdentityRecord& known) {
  if (known.alias_story.empty() || known.foreign() || cancel_) return false;
  if (incoming_.headline_hash != known.alias_headline_hash || incoming_.body_hash != known.alias_body_hash)
    return false;
  if (incoming_.headline_hash == known.headline_hash && incoming_.body_hash == known.body_hash) return false;
  d_.decision = v1::DECISION_REDELIVERY;
  d_.story_id = known.alias_story;
  d_.of = known.alias_story;
  d_.version = known.alias_version;
  d_.similarity = 1.0;
  RecordMemo();
  return true;
}

// The identity is a duplicate of another partition's story, whose versions it cannot count:
// stale and re-deliveries go to that story; its first change (an update or a cancel) becomes a
// story of its own, linked to that story by `of`, so that no change is lost and the other
// partition's story never gets a version from here.
void Decider::DecideForeignAlias(const IdentityRecord& known) {
  d_.story_id = known.story_id;
  d_.of = known.story_id;
  d_.version = known.alias_version;
  if (DecideStaleOrRedelivery(known, /*story_canceled=*/false)) return;
  std::string seed = identity_;
  if (content_identity_) seed += PositionSeed(ctx_);
  // The same guid seen first on another partition (a producer that does not key by guid): the
  // story id of the identity is taken there.
  if (StoryIdFor(seed) == known.story_id) seed += "|p" + std::to_string(ctx_.partition);
  const StoryRecord& story = StartStory(seed, known.story_id);
  d_.of = known.story_id;  // the story it was a duplicate of
  PutIdentity(NextIdentity(known, d_.story_id));
  if (!cancel_) IndexDocument(d_.story_id, story.root, 1, now_);
  RecordMemo();
}

// The identity record after an accepted change to `story_id`: this record's version order and
// content, the known version order where this record has none, the alias kept.
IdentityRecord Decider::NextIdentity(const IdentityRecord& known, const std::string& story_id) const {
  IdentityRecord next = incoming_;
  next.story_id = story_id;
  if (!next.has_provider_version && known.has_provider_version) {
    next.has_provider_version = true;
    next.provider_version = known.provider_version;
  }
  if (next.versioncreated_ms == 0) next.versioncreated_ms = known.versioncreated_ms;
  next.alias_story = known.alias_story;
  next.alias_version = known.alias_version;
  next.alias_headline_hash = known.alias_headline_hash;
  next.alias_body_hash = known.alias_body_hash;
  return next;
}

void Decider::PutIdentity(const IdentityRecord& rec) {
  out_->Put(identity_key_, EncodeIdentity(rec));
}

// The story's next version: a cancel, or an update with its change summary.
void Decider::DecideUpdateOrCancel(StoryRecord& story) {
  d_.of.clear();
  d_.previous_version = story.version;
  d_.version = story.version + 1;
  if (cancel_) {
    d_.decision = v1::DECISION_CANCEL;
    d_.kind = v1::EVENT_KIND_CANCELED;
    story.canceled = true;
  } else {
    d_.change = Summarize(config_, story, article_, sig_, paras_, Fields());
    d_.similarity = d_.change.body_similarity();
    d_.decision = v1::DECISION_UPDATE;
    d_.kind = article_.signals().correction() ? v1::EVENT_KIND_CORRECTED : v1::EVENT_KIND_UPDATED;
    SetStoryContent(story);
    AdvanceStoryLineage(story, d_.version);
    IndexDocument(d_.story_id, story.root, d_.version, story.created_ms != 0 ? story.created_ms : now_);
  }
  story.version = d_.version;
}

// One candidate document, when the decision may see it: the partition's own documents always,
// another partition's only when indexed more than Δ before this record (README.md).
Result<std::optional<DocRecord>> Decider::Candidate(uint64_t doc, bool local) const {
  std::optional<DocRecord> rec;
  const std::string dk = DocKey(doc);
  if (local) {
    auto dv = Get(dk);
    if (!dv.ok()) return dv.error();
    if (dv.value()) rec = DecodeDoc(*dv.value());
  } else {
    auto r = dedup_.shared_index_->Get(dk);
    if (!r.ok()) return r.error();
    if (r.value()) rec = DecodeDoc(*r.value());
    // The partition's own entries are authoritative locally; the shared copy may lag.
    if (rec && rec->partition == ctx_.partition) rec.reset();
    if (rec && rec->tau_ms >= visible_before_) rec.reset();  // not visible yet (Δ rule)
  }
  if (rec && (rec->time_ms < cutoff_ || rec->time_ms > horizon_)) rec.reset();
  // A story whose first record was produced after this one did not exist when this record was:
  // never attach to it, whatever order the records arrive in.
  if (rec && rec->story_created_ms > now_) rec.reset();
  return rec;
}

// 5. No identity match: near-duplicate search over the LSH bands (window-bounded), the most
// similar candidate above its threshold (same provider: duplicate, other: syndicated).
Result<std::optional<Match>> Decider::FindBestMatch() {
  std::optional<Match> best;
  if (sig_.empty() || cancel_) return best;
  std::map<uint64_t, bool> candidates;  // doc -> seen locally
  // The newest entries of a bucket within the window (at most max_bucket_entries).
  auto bucket_reader = [&](bool local) {
    return [&, local, taken = 0](std::string_view key, std::string_view) mutable {
      if (key.size() != kBandEntryKeySize) return true;
      const int64_t t = BandEntryTime(key);
      if (t > horizon_) return true;
      if (t < cutoff_) return false;  // the rest of the bucket is older still
      if (local) {
        candidates[BandEntryDoc(key)] = true;
      } else {
        candidates.emplace(BandEntryDoc(key), false);
      }
      return ++taken < config_.max_bucket_entries;
    };
  };
  for (int b = 0; b < kBands; ++b) {
    const std::string prefix = BandPrefix(b, BandHash(sig_, b));
    if (Status st = view_.Scan(prefix, "", bucket_reader(true)); !st.ok()) return st.error();
    if (dedup_.shared_index_ != nullptr) {
      if (Status st = dedup_.shared_index_->Scan(prefix, "", bucket_reader(false)); !st.ok())
        return st.error();
    }
  }
  for (const auto& [doc, local] : candidates) {
    auto rec = Candidate(doc, local);
    if (!rec.ok()) return rec.error();
    if (!rec.value()) continue;
    DocRecord& r = *rec.value();
    const double sim = EstimateJaccard(sig_, r.signature);
    const double threshold =
        r.provider_hash == provider_hash_ ? config_.duplicate_threshold : config_.syndicated_threshold;
    if (sim < threshold) continue;
    const bool better = !best || sim > best->similarity ||
                        (sim == best->similarity && (r.time_ms < best->rec.time_ms ||
                                                     (r.time_ms == best->rec.time_ms && doc < best->doc)));
    if (better) best = Match{doc, std::move(r), local, sim};
  }
  return best;
}

// 6. Same provider: an alias of the matched story, not a new story. The identity remembers it,
// so its later records are decided against that story, never matched again.
Result<bool> Decider::DecideDuplicate(const Match& best) {
  d_.decision = v1::DECISION_DUPLICATE;
  d_.story_id = best.rec.story_id;
  d_.of = best.rec.story_id;
  d_.similarity = best.similarity;
  d_.version = best.rec.version;
  auto sv = Get(StoryKey(best.rec.story_id));
  if (!sv.ok()) return sv.error();
  std::optional<StoryRecord> story;
  if (sv.value()) story = DecodeStory(*sv.value());
  IdentityRecord alias = incoming_;
  alias.story_id = best.rec.story_id;
  if (story) {
    // The partition's own story: later versions under this identity update it.
    d_.version = story->version;
    IndexDocument(best.rec.story_id, best.rec.root, d_.version,
                  story->created_ms != 0 ? story->created_ms : best.rec.story_created_ms);
  } else {
    // Another partition's story (DecideForeignAlias decides what comes later).
    alias.alias_story = best.rec.story_id;
    alias.alias_version = best.rec.version;
    alias.alias_headline_hash = incoming_.headline_hash;
    alias.alias_body_hash = incoming_.body_hash;
  }
  PutIdentity(alias);
  RecordMemo();
  return true;
}

// 7. A story of its own: new, syndicated copy, or a cancel of an unseen story.
void Decider::DecideOwnStory(const std::optional<Match>& best) {
  std::string seed = identity_;
  if (content_identity_) seed += PositionSeed(ctx_);
  std::string root;
  if (best && !cancel_) {
    root = best->rec.root.empty() ? best->rec.story_id : best->rec.root;
    d_.similarity = best->similarity;
  }
  const StoryRecord& story = StartStory(seed, root);
  if (!root.empty()) {
    d_.decision = v1::DECISION_SYNDICATED;
    d_.kind = v1::EVENT_KIND_SYNDICATED;
    d_.of = root;
  }
  IdentityRecord rec = incoming_;
  rec.story_id = d_.story_id;
  PutIdentity(rec);
  if (!cancel_) IndexDocument(d_.story_id, story.root, 1, now_);
  RecordMemo();
}

// Version 1 of a story of this record's own (id from `seed`; `root` the original it copies, if
// any): a new story, or a cancel of an unseen one. Stages the story record; the caller indexes
// its document.
const StoryRecord& Decider::StartStory(const std::string& seed, const std::string& root) {
  d_.story_id = StoryIdFor(seed);
  d_.version = 1;
  new_story_ = StoryRecord{};
  StoryRecord& story = new_story_;
  story.version = 1;
  story.provider_hash = provider_hash_;
  story.root = root;
  story.created_ms = now_;
  SetStoryContent(story);
  if (!cancel_) AdvanceStoryLineage(story, 1);
  if (cancel_) {
    d_.decision = v1::DECISION_CANCEL;
    d_.kind = v1::EVENT_KIND_CANCELED;
  } else {
    d_.decision = v1::DECISION_NEW;
    d_.kind = v1::EVENT_KIND_CREATED;
  }
  out_->Put(StoryKey(d_.story_id), EncodeStory(story));
  return story;
}

void Decider::IndexDocument(const std::string& story_id, const std::string& root, uint32_t version,
                            int64_t story_created_ms) {
  if (sig_.empty()) return;
  DocRecord doc;
  doc.story_id = story_id;
  doc.root = root;
  doc.provider_hash = provider_hash_;
  doc.time_ms = now_;
  doc.tau_ms = tau_;
  doc.partition = ctx_.partition;
  doc.version = version;
  doc.signature = sig_;
  doc.story_created_ms = story_created_ms;
  out_->Put(DocKey(doc_id_), EncodeDoc(doc));
  ForEachDocDerivedKey(doc_id_, doc, true, [&](const std::string& k) { out_->Put(k, ""); });
}

void Decider::SetStoryContent(StoryRecord& s) const {
  s.headline_hash = article_.fingerprints().headline_hash();
  s.body_hash = article_.fingerprints().body_hash();
  s.signature = sig_;
  s.paragraphs = paras_;
  s.canceled = cancel_;
}

// The article's content field hashes, computed once; null when lineage is off.
const std::vector<FieldHash>* Decider::Fields() {
  if (!config_.lineage) return nullptr;
  if (!fields_) fields_ = ContentFieldHashes(article_);
  return &*fields_;
}

// The story's lineage after `version` (this record's content) and the decision's copy of it.
void Decider::AdvanceStoryLineage(StoryRecord& s, uint32_t version) {
  const std::vector<FieldHash>* fields = Fields();
  if (fields == nullptr) return;
  v1::LineageSource source;
  source.set_provider(article_.provenance().provider());
  source.set_provider_version(article_.provenance().provider_version());
  source.set_event_id(ctx_.event_id);
  AdvanceLineage(s.lineage, *fields, version, std::move(source));
  d_.lineage = LineageMessage(s.lineage);
}

void Decider::RecordMemo() {
  out_->Put(memo_key_, EncodeDecision(d_));
  out_->Put(MemoExpiryKey(d_.event_time_ms, memo_key_), "");
  if (event_key_ != 0) out_->Put(EventMemoKey(event_key_), memo_key_);
}

void Decider::LowerCursors() {
  for (const auto& m : out_->mutations()) {
    if (!m.value) continue;
    Deduper::Lower(dedup_.doc_expiry_, m.key);
    Deduper::Lower(dedup_.memo_expiry_, m.key);
  }
}

}  // namespace copydesk::dedup::internal
