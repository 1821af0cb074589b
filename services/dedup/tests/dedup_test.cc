#include "dedup/dedup.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "dedup/records.h"
#include "normalize/fingerprint.h"

namespace copydesk::dedup {
namespace {

// Deterministic pseudo-random text: `n` paragraphs of `words` words drawn from a large vocabulary.
std::vector<std::string> Paragraphs(uint32_t seed, int n, int words = 40) {
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (int p = 0; p < n; ++p) {
    std::string s;
    for (int w = 0; w < words; ++w) {
      if (w) s += ' ';
      s += "w" + std::to_string(rng() % 50000);
    }
    s += '.';
    out.push_back(s);
  }
  return out;
}

v1::Article Make(const std::string& provider, const std::string& guid, const std::string& headline,
                 const std::vector<std::string>& paras) {
  v1::Article a;
  a.mutable_provenance()->set_provider(provider);
  a.mutable_provenance()->set_guid(guid);
  a.set_headline(headline);
  std::string text;
  for (const auto& p : paras) {
    auto* b = a.add_body();
    b->set_type(v1::BLOCK_TYPE_PARAGRAPH);
    b->set_text(p);
    if (!text.empty()) text += "\n\n";
    text += p;
  }
  a.set_body_text(text);
  normalize::ComputeFingerprints(a);
  return a;
}

constexpr int64_t kDay = 24LL * 3600 * 1000;
constexpr int64_t kT0 = 1'700'000'000'000;

// Feeds articles with increasing offsets and timestamps.
class Feeder {
 public:
  explicit Feeder(Config cfg = {}) : dedup_(cfg, store_) {}
  Decision Feed(const v1::Article& a, int64_t t = 0) {
    EventContext ctx;
    ctx.offset = offset_++;
    ctx.timestamp_ms = t ? t : kT0 + ctx.offset * 1000;
    auto r = dedup_.Process(a, ctx);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r.value() : Decision{};
  }
  MemoryStateStore store_;
  Deduper dedup_;
  int64_t offset_ = 0;
};

TEST(Deduper, NewThenRedelivery) {
  Feeder f;
  auto body = Paragraphs(1, 4);
  auto first = f.Feed(Make("P", "g1", "Headline", body));
  EXPECT_EQ(first.decision, v1::DECISION_NEW);
  EXPECT_EQ(first.kind, v1::EVENT_KIND_CREATED);
  EXPECT_EQ(first.version, 1u);
  EXPECT_TRUE(first.Publishes());
  // Whitespace differences are still the same normalized text.
  auto again = f.Feed(Make("P", "g1", " Headline\n", body));
  EXPECT_EQ(again.decision, v1::DECISION_REDELIVERY);
  EXPECT_FALSE(again.Publishes());
  EXPECT_EQ(again.story_id, first.story_id);
  EXPECT_EQ(again.version, 1u);
  auto other = f.Feed(Make("P", "g2", "Other", Paragraphs(2, 4)));
  EXPECT_EQ(other.decision, v1::DECISION_NEW);
  EXPECT_NE(other.story_id, first.story_id);
}

TEST(Deduper, UpdateHeadlineOnly) {
  Feeder f;
  auto body = Paragraphs(1, 4);
  auto first = f.Feed(Make("P", "g1", "Headline", body));
  auto upd = f.Feed(Make("P", "g1", "New headline", body));
  EXPECT_EQ(upd.decision, v1::DECISION_UPDATE);
  EXPECT_EQ(upd.kind, v1::EVENT_KIND_UPDATED);
  EXPECT_EQ(upd.story_id, first.story_id);
  EXPECT_EQ(upd.version, 2u);
  EXPECT_EQ(upd.previous_version, 1u);
  EXPECT_TRUE(upd.change.headline_changed());
  EXPECT_EQ(upd.change.change_class(), v1::CHANGE_CLASS_HEADLINE_ONLY);
  EXPECT_DOUBLE_EQ(upd.change.body_similarity(), 1.0);
}

TEST(Deduper, UpdateParagraphsAndClasses) {
  Feeder f;
  auto body = Paragraphs(1, 10);
  f.Feed(Make("P", "g1", "H", body));
  // One paragraph appended: minor edit, one added.
  auto v2body = body;
  v2body.push_back(Paragraphs(99, 1)[0]);
  auto v2 = f.Feed(Make("P", "g1", "H", v2body));
  EXPECT_EQ(v2.decision, v1::DECISION_UPDATE);
  EXPECT_EQ(v2.version, 2u);
  EXPECT_FALSE(v2.change.headline_changed());
  EXPECT_EQ(v2.change.paragraphs_added(), 1u);
  EXPECT_EQ(v2.change.paragraphs_removed(), 0u);
  EXPECT_EQ(v2.change.paragraphs_edited(), 0u);
  EXPECT_EQ(v2.change.change_class(), v1::CHANGE_CLASS_MINOR_EDIT);
  EXPECT_GT(v2.change.body_similarity(), 0.8);
  // One paragraph edited and one removed.
  auto v3body = v2body;
  v3body[0] += " And one more sentence here.";
  v3body.pop_back();
  auto v3 = f.Feed(Make("P", "g1", "H", v3body));
  EXPECT_EQ(v3.version, 3u);
  EXPECT_EQ(v3.change.paragraphs_edited(), 1u);
  EXPECT_EQ(v3.change.paragraphs_removed(), 1u);
  EXPECT_EQ(v3.change.paragraphs_added(), 0u);
  // Half the text replaced: substantive; all replaced: rewrite.
  auto v4body = v3body;
  auto fresh = Paragraphs(7, 6);
  for (int i = 0; i < 6; ++i) v4body[static_cast<size_t>(i)] = fresh[static_cast<size_t>(i)];
  auto v4 = f.Feed(Make("P", "g1", "H", v4body));
  EXPECT_EQ(v4.change.change_class(), v1::CHANGE_CLASS_SUBSTANTIVE_UPDATE);
  auto v5 = f.Feed(Make("P", "g1", "H", Paragraphs(8, 10)));
  EXPECT_EQ(v5.change.change_class(), v1::CHANGE_CLASS_REWRITE);
  EXPECT_LT(v5.change.body_similarity(), 0.2);
  EXPECT_EQ(v5.version, 5u);
}

TEST(Deduper, CorrectionIsKept) {
  Feeder f;
  auto body = Paragraphs(1, 4);
  f.Feed(Make("P", "g1", "H", body));
  auto fixed = body;
  fixed[1] = "A corrected paragraph with new words in it.";
  auto a = Make("P", "g1", "H", fixed);
  a.mutable_signals()->set_correction(true);
  auto d = f.Feed(a);
  EXPECT_EQ(d.decision, v1::DECISION_UPDATE);
  EXPECT_EQ(d.kind, v1::EVENT_KIND_CORRECTED);
  EXPECT_TRUE(d.change.correction());
}

TEST(Deduper, StaleByProviderVersion) {
  Feeder f;
  auto v2 = Make("P", "g1", "H2", Paragraphs(2, 4));
  v2.mutable_provenance()->set_provider_version("2");
  auto v1a = Make("P", "g1", "H1", Paragraphs(1, 4));
  v1a.mutable_provenance()->set_provider_version("1");
  auto first = f.Feed(v2);
  EXPECT_EQ(first.decision, v1::DECISION_NEW);
  auto late = f.Feed(v1a);
  EXPECT_EQ(late.decision, v1::DECISION_STALE);
  EXPECT_FALSE(late.Publishes());
  EXPECT_EQ(late.story_id, first.story_id);
  EXPECT_EQ(late.version, 1u);
  // The stale version did not overwrite: v2 again is a redelivery.
  EXPECT_EQ(f.Feed(v2).decision, v1::DECISION_REDELIVERY);
  auto v3 = Make("P", "g1", "H3", Paragraphs(3, 4));
  v3.mutable_provenance()->set_provider_version("3");
  EXPECT_EQ(f.Feed(v3).version, 2u);
}

TEST(Deduper, StaleByVersionCreatedWhenNoProviderVersion) {
  Feeder f;
  auto newer = Make("P", "g1", "H2", Paragraphs(2, 4));
  newer.mutable_versioncreated()->set_seconds(2000);
  auto older = Make("P", "g1", "H1", Paragraphs(1, 4));
  older.mutable_versioncreated()->set_seconds(1000);
  EXPECT_EQ(f.Feed(newer).decision, v1::DECISION_NEW);
  EXPECT_EQ(f.Feed(older).decision, v1::DECISION_STALE);
  // Equal versioncreated: arrival order decides (an update).
  auto same_time = Make("P", "g1", "H3", Paragraphs(3, 4));
  same_time.mutable_versioncreated()->set_seconds(2000);
  EXPECT_EQ(f.Feed(same_time).decision, v1::DECISION_UPDATE);
}

TEST(Deduper, Cancel) {
  Feeder f;
  auto body = Paragraphs(1, 4);
  auto first = f.Feed(Make("P", "g1", "H", body));
  auto kill = Make("P", "g1", "H", body);
  kill.set_pubstatus(v1::PUB_STATUS_CANCELED);
  auto c = f.Feed(kill);
  EXPECT_EQ(c.decision, v1::DECISION_CANCEL);
  EXPECT_EQ(c.kind, v1::EVENT_KIND_CANCELED);
  EXPECT_TRUE(c.Publishes());
  EXPECT_EQ(c.story_id, first.story_id);
  EXPECT_EQ(c.version, 2u);
  // The kill again is a redelivery; a kill signal counts too.
  auto kill2 = Make("P", "g1", "whatever", Paragraphs(5, 1));
  kill2.mutable_signals()->set_kill(true);
  EXPECT_EQ(f.Feed(kill2).decision, v1::DECISION_REDELIVERY);
  // A cancel of a story never seen: a canceled story of its own.
  auto unseen = Make("P", "g9", "H", Paragraphs(9, 2));
  unseen.set_pubstatus(v1::PUB_STATUS_CANCELED);
  auto u = f.Feed(unseen);
  EXPECT_EQ(u.decision, v1::DECISION_CANCEL);
  EXPECT_EQ(u.version, 1u);
}

TEST(Deduper, DuplicateFromSameProvider) {
  Feeder f;
  auto body = Paragraphs(1, 8);
  auto first = f.Feed(Make("P", "g1", "H", body));
  auto near = body;
  near[7] = "A different last paragraph.";
  auto dup = f.Feed(Make("P", "g2", "Another headline", near));
  EXPECT_EQ(dup.decision, v1::DECISION_DUPLICATE);
  EXPECT_FALSE(dup.Publishes());
  EXPECT_EQ(dup.story_id, first.story_id);
  EXPECT_EQ(dup.of, first.story_id);
  EXPECT_GT(dup.similarity, 0.7);
  EXPECT_LT(dup.similarity, 1.0);
  // Later versions of the alias identity update the original story.
  auto upd = f.Feed(Make("P", "g2", "Another headline", Paragraphs(3, 8)));
  EXPECT_EQ(upd.decision, v1::DECISION_UPDATE);
  EXPECT_EQ(upd.story_id, first.story_id);
  EXPECT_EQ(upd.version, 2u);
}

TEST(Deduper, SyndicatedFromOtherProvider) {
  Feeder f;
  auto body = Paragraphs(1, 8);
  auto orig = f.Feed(Make("AP", "ap-1", "Wire story", body));
  auto copy = f.Feed(Make("Yahoo", "y-77", "Wire story on Yahoo", body));
  EXPECT_EQ(copy.decision, v1::DECISION_SYNDICATED);
  EXPECT_EQ(copy.kind, v1::EVENT_KIND_SYNDICATED);
  EXPECT_TRUE(copy.Publishes());
  EXPECT_NE(copy.story_id, orig.story_id);
  EXPECT_EQ(copy.of, orig.story_id);
  EXPECT_DOUBLE_EQ(copy.similarity, 1.0);
  // A third outlet's copy names the original, also when it matches the copy.
  auto third = f.Feed(Make("HuffPost", "h-1", "Wire", body));
  EXPECT_EQ(third.decision, v1::DECISION_SYNDICATED);
  EXPECT_EQ(third.of, orig.story_id);
  // Unrelated text from another provider is new.
  EXPECT_EQ(f.Feed(Make("Yahoo", "y-78", "Other", Paragraphs(2, 8))).decision, v1::DECISION_NEW);
}

TEST(Deduper, WindowExpiryInEventTime) {
  Config cfg;
  cfg.window_ms = 7 * kDay;
  Feeder f(cfg);
  auto body = Paragraphs(1, 8);
  auto orig = f.Feed(Make("P", "g1", "H", body), kT0);
  // Within the window: duplicate.
  EXPECT_EQ(f.Feed(Make("P", "g2", "H", body), kT0 + 6 * kDay).decision, v1::DECISION_DUPLICATE);
  // Another story moves event time on by 8 days: the index entries of g1 expire.
  f.Feed(Make("Q", "q1", "Q", Paragraphs(5, 3)), kT0 + 8 * kDay);
  const std::string doc_key_prefix = "d/";
  int docs = 0;
  for (const auto& [k, v] : f.store_.contents())
    if (k.starts_with(doc_key_prefix)) ++docs;
  // g1's doc expired (t0 < t0+8d-7d); g2's alias doc (t0+6d) and q1's remain.
  EXPECT_EQ(docs, 2);
  // Only g2's alias entry is still in the window, so a copy at t0+12d (> g2 + 7d) is new.
  auto late = f.Feed(Make("P", "g3", "H", body), kT0 + 14 * kDay);
  EXPECT_EQ(late.decision, v1::DECISION_NEW);
  EXPECT_NE(late.story_id, orig.story_id);
  // The identity itself does not expire: g1 again is still a redelivery.
  EXPECT_EQ(f.Feed(Make("P", "g1", "H", body), kT0 + 15 * kDay).decision, v1::DECISION_REDELIVERY);
}

// Expiry scans start at a cursor past the keys already deleted (RocksDB tombstones). Out-of-order
// documents indexed below it and expiries of a batch that was never applied must still expire:
// after the window has passed, no document or memo entry of the old events is left.
TEST(Deduper, ExpiryCursorNeverLeavesExpiredEntries) {
  Config cfg;
  cfg.window_ms = 7 * kDay;
  cfg.max_expiries_per_decision = 3;  // several decisions per expiry run
  Feeder f(cfg);
  for (int i = 0; i < 12; ++i)
    f.Feed(Make("P", "a" + std::to_string(i), "H", Paragraphs(100 + i, 3)), kT0 + i * 1000);
  // Eight days on: the first decisions expire the oldest entries (the cursor moves up).
  for (int i = 0; i < 3; ++i)
    f.Feed(Make("P", "b" + std::to_string(i), "H", Paragraphs(200 + i, 3)), kT0 + 8 * kDay + i);
  // A late document with an old event time: indexed below the cursor.
  f.Feed(Make("P", "late", "H", Paragraphs(300, 3)), kT0 + 5);
  // A decision whose expiries are never applied (its batch is dropped).
  MutationBatch dropped;
  EventContext ctx;
  ctx.offset = 999;
  ctx.timestamp_ms = kT0 + 8 * kDay + 10;
  ASSERT_TRUE(f.dedup_.Decide(Make("P", "dropped", "H", Paragraphs(400, 3)), ctx, &dropped).ok());
  // Much later: everything before kT0 + 9 days must go, a few per decision.
  for (int i = 0; i < 20; ++i)
    f.Feed(Make("Q", "c" + std::to_string(i), "C", Paragraphs(500 + i, 3)), kT0 + 20 * kDay + i);
  const int64_t cutoff = kT0 + 20 * kDay - cfg.window_ms;
  int old_docs = 0, old_memos = 0, docs = 0;
  for (const auto& [k, v] : f.store_.contents()) {
    if (k.starts_with("x/")) {
      ++docs;
      if (internal::KeyToTime(internal::ReadBe64(k, 2)) < cutoff) ++old_docs;
    }
    if (k.starts_with("y/") && internal::KeyToTime(internal::ReadBe64(k, 2)) < cutoff) ++old_memos;
  }
  EXPECT_EQ(old_docs, 0);
  EXPECT_EQ(old_memos, 0);
  EXPECT_EQ(docs, 20);  // the c documents only
}

TEST(Deduper, ContentIdentityWithoutGuid) {
  Feeder f;
  auto body = Paragraphs(1, 6);
  auto a = Make("P", "", "H", body);
  auto first = f.Feed(a);
  EXPECT_EQ(first.decision, v1::DECISION_NEW);
  EXPECT_EQ(f.Feed(a).decision, v1::DECISION_REDELIVERY);
  auto b = body;
  b.push_back("An added paragraph with some words.");
  auto near = f.Feed(Make("P", "", "H", b));
  EXPECT_EQ(near.decision, v1::DECISION_DUPLICATE);
  EXPECT_EQ(near.story_id, first.story_id);
  // Story ids are stable: a second run over the same input gives the same ids.
  Feeder g;
  EXPECT_EQ(g.Feed(a).story_id, first.story_id);
}

TEST(Deduper, UrlIdentityCanBeTurnedOff) {
  Config cfg;
  cfg.url_identity = false;
  Feeder f(cfg);
  auto a = Make("P", "", "H", Paragraphs(1, 4));
  a.set_canonical_url("https://example.com/a");
  auto b = Make("P", "", "H2", Paragraphs(2, 4));
  b.set_canonical_url("https://example.com/a");
  f.Feed(a);
  EXPECT_EQ(f.Feed(b).decision, v1::DECISION_NEW);
  Feeder g;  // default: the URL is the identity
  g.Feed(a);
  EXPECT_EQ(g.Feed(b).decision, v1::DECISION_UPDATE);
}

TEST(Deduper, ReprocessedInputGetsTheRecordedDecision) {
  MemoryStateStore store;
  Deduper d(Config{}, store);
  auto a = Make("P", "g1", "H", Paragraphs(1, 4));
  EventContext ctx{0, 42, kT0, "e"};
  auto first = d.Process(a, ctx);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->decision, v1::DECISION_NEW);
  // Same offset again (its outputs were published, its offset commit was lost).
  MutationBatch batch;
  auto again = d.Decide(a, ctx, &batch);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->decision, v1::DECISION_NEW);
  EXPECT_EQ(again->story_id, first->story_id);
  EXPECT_TRUE(again->replayed);
  EXPECT_TRUE(batch.empty());
  // A new offset with the same content is a redelivery.
  ctx.offset = 43;
  EXPECT_EQ(d.Process(a, ctx)->decision, v1::DECISION_REDELIVERY);
}

TEST(Deduper, SameEventDeliveredTwiceGetsTheSameDecision) {
  Config cfg;
  cfg.window_ms = 60 * 1000;
  MemoryStateStore store;
  Deduper d(cfg, store);
  auto a = Make("P", "g1", "H", Paragraphs(1, 4));
  auto first = d.Process(a, EventContext{0, 42, kT0, "x", "E1"});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->decision, v1::DECISION_NEW);
  // The producer's retry was stored twice: another offset, the same event id.
  auto again = d.Process(a, EventContext{0, 43, kT0, "x", "E1"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->decision, v1::DECISION_NEW);
  EXPECT_EQ(again->story_id, first->story_id);
  EXPECT_EQ(again->version, 1u);
  EXPECT_TRUE(again->replayed);
  // Another event with the same content is a redelivery, with or without an event id.
  EXPECT_EQ(d.Process(a, EventContext{0, 44, kT0, "x", "E2"})->decision, v1::DECISION_REDELIVERY);
  EXPECT_EQ(d.Process(a, EventContext{0, 45, kT0, "x"})->decision, v1::DECISION_REDELIVERY);
  auto event_keys = [&] {
    size_t n = 0;
    for (const auto& [k, v] : store.contents()) n += k.starts_with("e/");
    return n;
  };
  EXPECT_EQ(event_keys(), 2u);  // E1 and E2
  // Past the window the memos expire, and their event ids with them.
  auto later = Make("P", "g2", "Other", Paragraphs(9, 4));
  ASSERT_TRUE(d.Process(later, EventContext{0, 46, kT0 + 10 * cfg.window_ms, "x"}).ok());
  EXPECT_EQ(event_keys(), 0u);
}

TEST(Deduper, DecideDoesNotTouchTheStore) {
  MemoryStateStore store;
  Deduper d(Config{}, store);
  MutationBatch batch;
  auto r = d.Decide(Make("P", "g1", "H", Paragraphs(1, 4)), EventContext{0, 0, kT0, ""}, &batch);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(store.size(), 0u);
  EXPECT_FALSE(batch.empty());
}

// A stream with every kind of decision.
std::vector<v1::Article> MixedStream() {
  std::vector<v1::Article> s;
  for (int i = 0; i < 40; ++i) {
    const std::string g = "g" + std::to_string(i % 13);
    const std::string provider = i % 5 == 0 ? "Q" : "P";
    auto paras = Paragraphs(static_cast<uint32_t>(i % 13), 6);
    if (i % 3 == 1) paras.push_back(Paragraphs(static_cast<uint32_t>(1000 + i), 1)[0]);
    auto a = Make(provider, i % 7 == 0 ? "" : g, "H" + std::to_string(i % 4), paras);
    if (i % 11 == 10) a.set_pubstatus(v1::PUB_STATUS_CANCELED);
    a.mutable_provenance()->set_provider_version(std::to_string((i * 7) % 9));
    s.push_back(a);
  }
  return s;
}

TEST(Deduper, RestoreFromMutationLogGivesIdenticalDecisions) {
  const auto stream = MixedStream();
  Config cfg;
  cfg.window_ms = 15 * 1000;  // make expiry happen inside the stream
  auto ctx_of = [](size_t i) {
    // Every record carries a producer event id; records 10, 20 and 30 repeat the previous one's
    // (a producer retry stored twice; 20 is the first after the restore, 19 the last before it).
    const size_t event = i % 10 == 0 && i > 0 ? i - 1 : i;
    return EventContext{3, static_cast<int64_t>(i), kT0 + static_cast<int64_t>(i) * 1000, "",
                        "ev" + std::to_string(event)};
  };

  // One go.
  MemoryStateStore whole;
  Deduper d1(cfg, whole);
  std::vector<std::string> expected;
  for (size_t i = 0; i < stream.size(); ++i)
    expected.push_back(internal::EncodeDecision(d1.Process(stream[i], ctx_of(i)).value()));

  // First half, with every mutation logged as a changelog would hold it.
  MemoryStateStore first;
  Deduper d2(cfg, first);
  std::vector<Mutation> changelog;
  std::vector<std::string> got;
  const size_t half = stream.size() / 2;
  for (size_t i = 0; i < half; ++i) {
    MutationBatch b;
    auto r = d2.Decide(stream[i], ctx_of(i), &b);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(d2.Apply(b).ok());
    // The worker logs only the primary keys; band entries and expiry queues are derived.
    for (const auto& m : b.mutations())
      if (!IsDerivedKey(m.key)) changelog.push_back(m);
    got.push_back(internal::EncodeDecision(*r));
  }
  size_t derived = 0, deletes = 0;
  for (const auto& [k, v] : first.contents()) derived += IsDerivedKey(k);
  for (const auto& m : changelog) deletes += !m.value;
  EXPECT_GT(derived, 100u);  // band entries and expiry entries exist ...
  EXPECT_GT(deletes, 0u);    // ... and expiry removed some docs and memos
  // A new worker restores from the changelog (in chunks, as the worker reads it), then takes
  // over. The last two inputs of the first half are reprocessed (the old worker published them
  // but its offset commit was lost).
  MemoryStateStore restored;
  for (size_t i = 0; i < changelog.size(); i += 7) {
    std::vector<Mutation> chunk(
        changelog.begin() + static_cast<std::ptrdiff_t>(i),
        changelog.begin() + static_cast<std::ptrdiff_t>(std::min(i + 7, changelog.size())));
    ASSERT_TRUE(ApplyChangelog(restored, chunk).ok());
  }
  EXPECT_EQ(restored.contents(), first.contents());
  Deduper d3(cfg, restored);
  for (size_t i = half - 2; i < half; ++i)
    EXPECT_EQ(internal::EncodeDecision(d3.Process(stream[i], ctx_of(i)).value()), got[i]);
  for (size_t i = half; i < stream.size(); ++i)
    got.push_back(internal::EncodeDecision(d3.Process(stream[i], ctx_of(i)).value()));
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], expected[i]) << "record " << i;
  // The stream exercised several kinds of decision.
  std::set<int> kinds;
  for (const auto& e : expected) kinds.insert(internal::DecodeDecision(e)->decision);
  EXPECT_GE(kinds.size(), 5u);
}

// Two partitions with their own stores and one shared index holding the index keys both publish
// (what the shared index topic carries), Δ = `delay_ms`.
struct TwoPartitions {
  explicit TwoPartitions(int64_t delay_ms)
      : d0(WithDelay(delay_ms), p0, &shared), d1(WithDelay(delay_ms), p1, &shared) {}
  static Config WithDelay(int64_t delay_ms) {
    Config c;
    c.visibility_delay_ms = delay_ms;
    return c;
  }
  // Partition 0 decides `a` at `ts` and publishes its document: the story id.
  std::string Original(const v1::Article& a, int64_t ts) {
    MutationBatch b;
    auto d = d0.Decide(a, EventContext{0, 0, ts, ""}, &b);
    EXPECT_TRUE(d.ok());
    EXPECT_TRUE(d0.Apply(b).ok());
    int published = 0;
    for (const auto& m : b.mutations()) {
      if (!IsSharedIndexKey(m.key)) continue;
      ++published;
      EXPECT_TRUE(ApplySharedIndexMutation(shared, m).ok());
    }
    EXPECT_EQ(published, 1);
    return d.ok() ? d->story_id : "";
  }
  MemoryStateStore p0, p1, shared;
  Deduper d0, d1;
};

TEST(Deduper, SharedIndexFindsCopiesOnOtherPartitionsIndexedMoreThanTheDelayEarlier) {
  TwoPartitions t(1000);
  auto body = Paragraphs(1, 8);
  const std::string orig = t.Original(Make("AP", "ap-1", "Wire", body), kT0);
  // Exactly Δ later: not visible yet (every run must agree, whatever reached the index).
  MutationBatch early;
  auto too_soon = t.d1.Decide(Make("Yahoo", "y-1", "Wire", body), EventContext{1, 0, kT0 + 1000, ""}, &early);
  ASSERT_TRUE(too_soon.ok());
  EXPECT_EQ(too_soon->decision, v1::DECISION_NEW);
  // More than Δ later: a syndicated copy of it.
  auto copy = t.d1.Process(Make("Yahoo", "y-1", "Wire", body), EventContext{1, 0, kT0 + 1001, ""});
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->decision, v1::DECISION_SYNDICATED);
  EXPECT_EQ(copy->of, orig);
  EXPECT_EQ(copy->visibility_time_ms, kT0 + 1001);
}

// The clock (visibility time) never goes back: an older Kafka timestamp gets the partition's
// clock, and a floor (an idle partition's) raises the records decided after it. (The original
// is produced before the copy: nothing attaches to a story produced after it.)
TEST(Deduper, TheClockIsMonotoneAndAFloorRaisesLaterRecords) {
  TwoPartitions t(2000);
  auto body = Paragraphs(2, 8);
  const std::string orig = t.Original(Make("AP", "ap-2", "Wire", body), kT0 - 1000);
  Deduper& d1 = t.d1;
  const v1::Article copy = Make("Yahoo", "y-2", "Wire", body);
  MutationBatch probe;
  EXPECT_EQ(d1.Decide(copy, EventContext{1, 5, kT0, ""}, &probe)->decision, v1::DECISION_NEW);
  EXPECT_EQ(d1.VisibilityTime(kT0).value(), kT0);
  MutationBatch floor;
  ASSERT_TRUE(d1.RaiseClock(kT0 + 10000, &floor).ok());
  ASSERT_EQ(floor.size(), 1u);
  ASSERT_TRUE(d1.Apply(floor).ok());
  EXPECT_EQ(d1.VisibilityTime(kT0).value(), kT0 + 10000);
  EXPECT_EQ(d1.VisibilityTime(kT0 + 12000).value(), kT0 + 12000);
  MutationBatch lower;
  ASSERT_TRUE(d1.RaiseClock(kT0 + 9000, &lower).ok());
  EXPECT_TRUE(lower.empty());
  auto raised = d1.Process(copy, EventContext{1, 5, kT0, ""});
  ASSERT_TRUE(raised.ok());
  EXPECT_EQ(raised->visibility_time_ms, kT0 + 10000);
  EXPECT_EQ(raised->decision, v1::DECISION_SYNDICATED);
  EXPECT_EQ(raised->of, orig);
  // The next record's clock is at least the last one's, whatever its timestamp.
  auto next = d1.Process(Make("Yahoo", "y-3", "Other", Paragraphs(3, 8)), EventContext{1, 6, kT0 - 5000, ""});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->visibility_time_ms, kT0 + 10000);
}

// A worker can stop after the changelog took an input's memo and document but before the index
// topic took the document's copy. Reprocessing that input replays the decision and hands the
// document out again, unchanged, so the copy is sent then; without a shared index, nothing.
TEST(Deduper, ReprocessedInputHandsOutItsIndexDocumentAgain) {
  MemoryStateStore p0, shared;
  Deduper d0(Config{}, p0, &shared);
  const EventContext ctx{0, 7, kT0, ""};
  auto first = d0.Process(Make("AP", "ap-1", "Wire", Paragraphs(1, 8)), ctx);
  ASSERT_TRUE(first.ok());
  std::map<std::string, std::string> docs;
  for (const auto& [k, v] : p0.contents()) {
    if (IsSharedIndexKey(k)) docs[k] = v;
  }
  ASSERT_EQ(docs.size(), 1u);
  MutationBatch again;
  auto replay = d0.Decide(Make("AP", "ap-1", "Wire", Paragraphs(1, 8)), ctx, &again);
  ASSERT_TRUE(replay.ok());
  EXPECT_TRUE(replay->replayed);
  EXPECT_EQ(replay->story_id, first->story_id);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again.mutations()[0].key, docs.begin()->first);
  EXPECT_EQ(again.mutations()[0].value, docs.begin()->second);
  // A redelivery (no document of its own) hands out nothing on replay.
  const EventContext redelivery{0, 8, kT0, ""};
  ASSERT_EQ(d0.Process(Make("AP", "ap-1", "Wire", Paragraphs(1, 8)), redelivery)->decision,
            v1::DECISION_REDELIVERY);
  ASSERT_TRUE(d0.Decide(Make("AP", "ap-1", "Wire", Paragraphs(1, 8)), redelivery, &again).ok());
  EXPECT_TRUE(again.empty());
}

}  // namespace
}  // namespace copydesk::dedup
