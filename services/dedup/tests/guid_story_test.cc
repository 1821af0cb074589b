// A guid keeps its story across partitions, timing and restores, and nothing attaches to a story
// produced after it (README.md, "A guid keeps its story").
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dedup/dedup.h"
#include "dedup/records.h"
#include "normalize/fingerprint.h"

namespace copydesk::dedup {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kDelta = 2000;

std::vector<std::string> Paragraphs(uint32_t seed, int n) {
  uint32_t x = seed * 2654435761u + 1;
  std::vector<std::string> out;
  for (int p = 0; p < n; ++p) {
    std::string s;
    for (int w = 0; w < 40; ++w) {
      x = x * 1664525u + 1013904223u;
      if (w) s += ' ';
      s += "w" + std::to_string(x % 50000);
    }
    out.push_back(s + ".");
  }
  return out;
}

v1::Article Make(const std::string& provider, const std::string& guid, const std::vector<std::string>& paras,
                 const std::string& version = "") {
  v1::Article a;
  a.mutable_provenance()->set_provider(provider);
  a.mutable_provenance()->set_guid(guid);
  a.mutable_provenance()->set_provider_version(version);
  a.set_headline("Headline of " + guid);
  std::string text;
  for (const auto& p : paras) {
    a.add_body()->set_text(p);
    if (!text.empty()) text += "\n\n";
    text += p;
  }
  a.set_body_text(text);
  normalize::ComputeFingerprints(a);
  return a;
}

// A copy of `paras` with paragraph `i` replaced.
std::vector<std::string> Edited(std::vector<std::string> paras, size_t i, uint32_t seed) {
  paras[i] = Paragraphs(seed, 1)[0];
  return paras;
}

// Three partitions with their own stores and one shared index that every decision's documents
// reach at once (what the index topic carries); the visibility rule decides what a record sees.
struct Cluster {
  Cluster() {
    Config c;
    c.visibility_delay_ms = kDelta;
    for (int p = 0; p < 3; ++p) dedupers.push_back(std::make_unique<Deduper>(c, stores[p], &shared));
  }
  Decision Decide(int32_t partition, const v1::Article& a, int64_t ts) {
    EventContext ctx{partition, offsets[partition]++, ts, ""};
    std::vector<Mutation> index;
    MutationBatch batch;
    auto d = dedupers[partition]->Decide(a, ctx, &batch);
    EXPECT_TRUE(d.ok());
    for (const auto& m : batch.mutations()) {
      mutations[partition].push_back(m);
      if (IsSharedIndexKey(m.key)) {
        EXPECT_TRUE(ApplySharedIndexMutation(shared, m).ok());
      }
    }
    EXPECT_TRUE(dedupers[partition]->Apply(batch).ok());
    return d.ok() ? d.value() : Decision{};
  }
  MemoryStateStore stores[3];
  MemoryStateStore shared;
  std::vector<std::unique_ptr<Deduper>> dedupers;
  int64_t offsets[3] = {0, 0, 0};
  std::vector<Mutation> mutations[3];  // each partition's changelog
};

// The fault run's case: a record first matched another partition's story; when it came again, a
// closer copy had been indexed meanwhile. The re-delivery stays on the original's story.
TEST(GuidStory, ReDeliveryOfACrossPartitionDuplicateStaysOnItsStory) {
  Cluster c;
  const auto body = Paragraphs(1, 10);
  const Decision a = c.Decide(0, Make("Reuters", "a", Edited(body, 0, 99)), kT0);
  ASSERT_EQ(a.decision, v1::DECISION_NEW);
  // Identical to b, but indexed less than Δ before b: b cannot see it.
  const Decision closer = c.Decide(2, Make("Reuters", "c", body), kT0 + 500);
  ASSERT_EQ(closer.decision, v1::DECISION_NEW);
  const Decision b = c.Decide(1, Make("Reuters", "b", body), kT0 + 2100);
  ASSERT_EQ(b.decision, v1::DECISION_DUPLICATE);
  ASSERT_EQ(b.story_id, a.story_id);
  ASSERT_LT(b.similarity, 1.0);
  // Now `closer` is visible and more similar; the re-delivery is still on a's story.
  const Decision again = c.Decide(1, Make("Reuters", "b", body), kT0 + 60'000);
  EXPECT_EQ(again.decision, v1::DECISION_REDELIVERY);
  EXPECT_EQ(again.story_id, a.story_id);
  EXPECT_EQ(again.version, a.version);
  EXPECT_FALSE(again.Publishes());
}

// The duplicate's identity cannot update another partition's story (its versions are counted
// there): its first change becomes a story of its own, linked to that story, and is published.
// Every later record of the guid is decided against the mapping, never matched again.
TEST(GuidStory, ChangedVersionOfACrossPartitionDuplicateBecomesItsOwnStory) {
  Cluster c;
  const auto body = Paragraphs(2, 10);
  const Decision a = c.Decide(0, Make("Reuters", "a", body, "1"), kT0);
  const Decision b1 = c.Decide(1, Make("Reuters", "b", body, "1"), kT0 + 5000);
  ASSERT_EQ(b1.decision, v1::DECISION_DUPLICATE);
  ASSERT_EQ(b1.story_id, a.story_id);
  // An older version of b: stale, on a's story.
  const Decision b0 = c.Decide(1, Make("Reuters", "b", Edited(body, 9, 7), "0"), kT0 + 6000);
  EXPECT_EQ(b0.decision, v1::DECISION_STALE);
  EXPECT_EQ(b0.story_id, a.story_id);
  // A new version: b's own story, version 1, of = a's story.
  const auto body2 = Edited(body, 3, 42);
  const Decision b2 = c.Decide(1, Make("Reuters", "b", body2, "2"), kT0 + 7000);
  EXPECT_EQ(b2.decision, v1::DECISION_NEW);
  EXPECT_EQ(b2.kind, v1::EVENT_KIND_CREATED);
  EXPECT_TRUE(b2.Publishes());
  EXPECT_EQ(b2.story_id, StoryIdFor("g|Reuters|b"));
  EXPECT_EQ(b2.version, 1u);
  EXPECT_EQ(b2.of, a.story_id);
  // Re-deliveries of either version come back to the story each was decided into.
  const Decision again2 = c.Decide(1, Make("Reuters", "b", body2, "2"), kT0 + 8000);
  EXPECT_EQ(again2.decision, v1::DECISION_REDELIVERY);
  EXPECT_EQ(again2.story_id, b2.story_id);
  const Decision again1 = c.Decide(1, Make("Reuters", "b", body, "1"), kT0 + 9000);
  EXPECT_EQ(again1.decision, v1::DECISION_REDELIVERY);
  EXPECT_EQ(again1.story_id, a.story_id);
  // The next version updates b's own story.
  const Decision b3 = c.Decide(1, Make("Reuters", "b", Edited(body2, 5, 43), "3"), kT0 + 10'000);
  EXPECT_EQ(b3.decision, v1::DECISION_UPDATE);
  EXPECT_EQ(b3.story_id, b2.story_id);
  EXPECT_EQ(b3.version, 2u);
  // a's story was never given a version by partition 1.
  const Decision a2 = c.Decide(0, Make("Reuters", "a", Edited(body, 1, 44), "2"), kT0 + 11'000);
  EXPECT_EQ(a2.decision, v1::DECISION_UPDATE);
  EXPECT_EQ(a2.version, 2u);
}

// A cancel of a guid that is another partition's story's duplicate cancels nothing there: it is
// the guid's own story, canceled at version 1.
TEST(GuidStory, CancelOfACrossPartitionDuplicateIsItsOwnStory) {
  Cluster c;
  const auto body = Paragraphs(3, 10);
  const Decision a = c.Decide(0, Make("AP", "a", body), kT0);
  ASSERT_EQ(c.Decide(1, Make("AP", "b", body), kT0 + 5000).decision, v1::DECISION_DUPLICATE);
  v1::Article kill = Make("AP", "b", body);
  kill.set_pubstatus(v1::PUB_STATUS_CANCELED);
  const Decision canceled = c.Decide(1, kill, kT0 + 6000);
  EXPECT_EQ(canceled.decision, v1::DECISION_CANCEL);
  EXPECT_EQ(canceled.story_id, StoryIdFor("g|AP|b"));
  EXPECT_EQ(canceled.version, 1u);
  EXPECT_EQ(canceled.of, a.story_id);
  EXPECT_EQ(c.Decide(1, kill, kT0 + 7000).decision, v1::DECISION_REDELIVERY);
}

// The mapping is partition state: a partition restored from its changelog (its primary records,
// derived keys rebuilt) decides the guid's later records exactly as before.
TEST(GuidStory, TheMappingSurvivesARestoreFromTheChangelog) {
  Cluster c;
  const auto body = Paragraphs(4, 10);
  const Decision a = c.Decide(0, Make("Reuters", "a", Edited(body, 0, 98)), kT0);
  c.Decide(2, Make("Reuters", "c", body), kT0 + 500);
  ASSERT_EQ(c.Decide(1, Make("Reuters", "b", body), kT0 + 2100).story_id, a.story_id);
  MemoryStateStore restored;
  std::vector<Mutation> changelog;
  for (const auto& m : c.mutations[1]) {
    if (!IsDerivedKey(m.key)) changelog.push_back(m);
  }
  ASSERT_TRUE(ApplyChangelog(restored, changelog).ok());
  Config cfg;
  cfg.visibility_delay_ms = kDelta;
  Deduper d1(cfg, restored, &c.shared);
  auto again = d1.Process(Make("Reuters", "b", body), EventContext{1, 1, kT0 + 60'000, ""});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->decision, v1::DECISION_REDELIVERY);
  EXPECT_EQ(again->story_id, a.story_id);
}

// A record produced before a story's first record (a producer that retried through a broker
// outage: its partition's clock, raised by an idle floor, makes the story visible) is never
// attached to that story, on another partition or its own.
TEST(GuidStory, NothingAttachesToAStoryProducedAfterIt) {
  Cluster c;
  const auto body = Paragraphs(5, 10);
  const Decision later = c.Decide(0, Make("Reuters", "later", body), kT0 + 2100);
  // Partition 1's clock is at kT0 + 10 s (an idle floor); the record was produced at kT0.
  MutationBatch floor;
  ASSERT_TRUE(c.dedupers[1]->RaiseClock(kT0 + 10'000, &floor).ok());
  ASSERT_TRUE(c.dedupers[1]->Apply(floor).ok());
  const Decision early = c.Decide(1, Make("Reuters", "early", body), kT0);
  EXPECT_EQ(early.visibility_time_ms, kT0 + 10'000);
  EXPECT_EQ(early.decision, v1::DECISION_NEW);
  EXPECT_NE(early.story_id, later.story_id);
  // Another provider's copy produced before it is no syndicated copy of it either.
  const Decision copy = c.Decide(1, Make("Yahoo", "y", body), kT0 + 1000);
  EXPECT_NE(copy.of, later.story_id);
  // A copy produced after both links to the earlier one's story (own partition: always visible).
  const Decision after = c.Decide(1, Make("Yahoo", "y2", body), kT0 + 20'000);
  EXPECT_EQ(after.decision, v1::DECISION_SYNDICATED);
  // Same partition, out of order: a record produced before the story it would match.
  Cluster one;
  const Decision first = one.Decide(0, Make("AP", "x", body), kT0 + 5000);
  const Decision older = one.Decide(0, Make("AP", "y", body), kT0 + 1000);
  EXPECT_EQ(first.decision, v1::DECISION_NEW);
  EXPECT_EQ(older.decision, v1::DECISION_NEW);
  EXPECT_NE(older.story_id, first.story_id);
}

// The same guid on two partitions (a producer that does not key by guid): the second partition
// takes it as a duplicate of the first one's story, and a change there gets a story id of its
// own rather than the first partition's.
TEST(GuidStory, SameGuidOnAnotherPartitionNeverReusesItsStoryId) {
  Cluster c;
  const auto body = Paragraphs(6, 10);
  const Decision first = c.Decide(0, Make("AP", "g", body, "1"), kT0);
  ASSERT_EQ(first.story_id, StoryIdFor("g|AP|g"));
  const Decision elsewhere = c.Decide(1, Make("AP", "g", body, "1"), kT0 + 5000);
  EXPECT_EQ(elsewhere.decision, v1::DECISION_DUPLICATE);
  EXPECT_EQ(elsewhere.story_id, first.story_id);
  const Decision changed = c.Decide(1, Make("AP", "g", Edited(body, 2, 77), "2"), kT0 + 6000);
  EXPECT_EQ(changed.decision, v1::DECISION_NEW);
  EXPECT_NE(changed.story_id, first.story_id);
  EXPECT_EQ(changed.of, first.story_id);
}

// Records written before these fields existed still decode: no alias, creation time unknown
// (stories) or the document's own time (documents).
TEST(GuidStory, RecordsWithoutTheNewFieldsDecode) {
  internal::IdentityRecord id;
  id.story_id = "st_1";
  id.headline_hash = 5;
  const std::string plain = internal::EncodeIdentity(id);
  id.alias_story = "st_2";
  id.alias_version = 3;
  id.alias_headline_hash = 7;
  id.alias_body_hash = 8;
  const std::string aliased = internal::EncodeIdentity(id);
  EXPECT_EQ(aliased.substr(0, plain.size()), plain);
  auto back = internal::DecodeIdentity(aliased);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->alias_story, "st_2");
  EXPECT_EQ(back->alias_version, 3u);
  EXPECT_EQ(back->alias_body_hash, 8u);
  EXPECT_FALSE(back->foreign());
  EXPECT_TRUE(internal::DecodeIdentity(plain)->alias_story.empty());

  internal::StoryRecord s;
  s.version = 2;
  s.created_ms = kT0;
  const std::string story = internal::EncodeStory(s);
  EXPECT_EQ(internal::DecodeStory(story)->created_ms, kT0);
  EXPECT_EQ(internal::DecodeStory(story.substr(0, story.size() - 8))->created_ms, 0);

  internal::DocRecord d;
  d.time_ms = kT0 + 5;
  d.tau_ms = kT0 + 6;
  d.story_created_ms = kT0;
  const std::string doc = internal::EncodeDoc(d);
  EXPECT_EQ(internal::DecodeDoc(doc)->story_created_ms, kT0);
  EXPECT_EQ(internal::DecodeDoc(doc.substr(0, doc.size() - 8))->story_created_ms, kT0 + 5);
  EXPECT_EQ(internal::DecodeDoc(doc.substr(0, doc.size() - 16))->tau_ms, kT0 + 5);
}

}  // namespace
}  // namespace copydesk::dedup
