// Embargoes in the pure core: what the pipeline holds on the injected clock (HoldContext::now_ms),
// and what a release publishes and changes.
#include "ingest/embargo.h"

#include <gtest/gtest.h>

#include <set>

#include "ingest/pipeline.h"
#include "ingest/pipeline_outputs.h"

namespace copydesk::ingest {
namespace {

constexpr int64_t kNow = 1'760'000'000'000;  // the worker's clock in these tests
constexpr int64_t kMinute = 60'000;

std::string Iso(int64_t ms) {
  return Rfc3339(ms);
}

// A ninjs item of story "urn:wire:1" at `version`; `embargo_ms` 0 = none; `canceled` = a kill.
Record Item(int64_t offset, int version, int64_t embargo_ms, const std::string& body, bool canceled = false) {
  std::string json = R"({"uri":"urn:wire:1","version":")" + std::to_string(version) +
                     R"(","type":"text","headline":"Rates decision v)" + std::to_string(version) +
                     R"(","body_text":")" + body + R"(")";
  if (embargo_ms > 0) json += R"(,"embargoed":")" + Iso(embargo_ms) + R"(")";
  if (canceled) json += R"(,"pubstatus":"canceled")";
  json += "}";
  Record r;
  r.topic = "news.raw.v1";
  r.partition = 0;
  r.offset = offset;
  r.timestamp_ms = kNow - kMinute + offset;
  r.value = json;
  r.headers.push_back({"content-type", "application/ninjs+json"});
  r.headers.push_back({"provider", "wire"});
  return r;
}

std::vector<const Record*> To(const std::vector<Record>& records, const std::string& topic) {
  std::vector<const Record*> out;
  for (const auto& r : records) {
    if (r.topic == topic) out.push_back(&r);
  }
  return out;
}

v1::ArticleEvent EventOf(const Record& r) {
  v1::ArticleEvent ev;
  EXPECT_TRUE(ev.ParseFromString(*r.value));
  return ev;
}

class EmbargoTest : public ::testing::Test {
 protected:
  ProcessResult Run(const Record& in, int64_t now = kNow) {
    auto res = Process(in, deduper_, options_, embargo::HoldContext{now, !index_.empty()});
    EXPECT_TRUE(res.ok());
    for (const auto& c : res->held_changes) index_.Apply(c);
    return std::move(res.value());
  }

  std::optional<embargo::Release> ReleaseAt(const std::string& story, int64_t now) {
    auto rel = embargo::ReleaseStory(store_, story, now, options_);
    EXPECT_TRUE(rel.ok());
    if (rel.value()) {
      EXPECT_TRUE(store_.Apply(rel.value()->changes).ok());
      index_.Apply({story, std::nullopt});
    }
    return std::move(rel.value());
  }

  size_t HeldKeys() {
    size_t n = 0;
    (void)store_.Scan(embargo::kHeldKeyPrefix, "", [&](std::string_view, std::string_view) {
      ++n;
      return true;
    });
    return n;
  }

  dedup::MemoryStateStore store_;
  dedup::Deduper deduper_{store_};
  PipelineOptions options_;
  embargo::HeldIndex index_;
};

TEST_F(EmbargoTest, AFutureEmbargoIsDecidedButHeld) {
  const int64_t due = kNow + 30'000;
  auto res = Run(Item(1, 1, due, "Rates stay."));
  EXPECT_EQ(res.outcome.decision(), v1::DECISION_NEW) << "decided as usual";
  EXPECT_TRUE(To(res.records, options_.articles_topic).empty());
  EXPECT_TRUE(To(res.records, options_.events_topic).empty());
  ASSERT_EQ(To(res.records, options_.held_topic).size(), 1u);
  v1::HeldStory hs;
  ASSERT_TRUE(hs.ParseFromString(*To(res.records, options_.held_topic)[0]->value));
  EXPECT_EQ(hs.story_id(), res.outcome.story_id());
  EXPECT_EQ(embargo::Millis(hs.release_time()), due);
  EXPECT_EQ(hs.article().headline(), "Rates decision v1");
  EXPECT_FALSE(hs.published_before());
  EXPECT_EQ(embargo::Millis(res.outcome.hold().until()), due);
  EXPECT_EQ(index_.next_due_ms(), due);
  EXPECT_TRUE(index_.Due(due - 1).empty());
  EXPECT_EQ(index_.Due(due), (std::vector<std::string>{res.outcome.story_id()}));
  EXPECT_EQ(HeldKeys(), 1u);
}

TEST_F(EmbargoTest, APastEmbargoOrNoneIsPublishedAtOnce) {
  auto res = Run(Item(1, 1, kNow - 1, "Rates stay."));
  EXPECT_EQ(To(res.records, options_.articles_topic).size(), 1u);
  EXPECT_EQ(To(res.records, options_.events_topic).size(), 1u);
  EXPECT_TRUE(To(res.records, options_.held_topic).empty());
  EXPECT_FALSE(res.outcome.has_hold());
  EXPECT_TRUE(index_.empty());
  // Without a hold context (tools), an embargo in the future is published too.
  auto tool = Process(Item(2, 2, kNow + kMinute, "Rates rise."), deduper_, options_);
  ASSERT_TRUE(tool.ok());
  EXPECT_EQ(To(tool->records, options_.events_topic).size(), 1u);
}

TEST_F(EmbargoTest, TheReleasePublishesTheVersionOnceWithItsTimes) {
  const int64_t due = kNow + 5'000;
  auto res = Run(Item(1, 1, due, "Rates stay."));
  const std::string story = res.outcome.story_id();
  auto rel = ReleaseAt(story, due + 120);
  ASSERT_TRUE(rel);
  EXPECT_EQ(rel->due_ms, due);
  ASSERT_EQ(To(rel->records, options_.articles_topic).size(), 1u);
  ASSERT_EQ(To(rel->records, options_.events_topic).size(), 1u);
  const v1::ArticleEvent ev = EventOf(*To(rel->records, options_.events_topic)[0]);
  EXPECT_EQ(ev.story_id(), story);
  EXPECT_EQ(ev.version(), 1u);
  EXPECT_EQ(ev.kind(), v1::EVENT_KIND_CREATED);
  EXPECT_EQ(embargo::Millis(ev.embargo().release_time()), due);
  EXPECT_EQ(embargo::Millis(ev.embargo().released_time()), due + 120);
  EXPECT_EQ(ev.article().headline(), "Rates decision v1");
  v1::Article a;
  ASSERT_TRUE(a.ParseFromString(*To(rel->records, options_.articles_topic)[0]->value));
  EXPECT_EQ(a.uri(), story);
  // The held topic's tombstone comes last.
  ASSERT_EQ(rel->records.back().topic, options_.held_topic);
  EXPECT_FALSE(rel->records.back().value.has_value());
  // Released once: nothing is held any more.
  EXPECT_EQ(HeldKeys(), 0u);
  EXPECT_FALSE(ReleaseAt(story, due + 200));
  EXPECT_TRUE(index_.empty());
}

TEST_F(EmbargoTest, AnUpdateDuringTheEmbargoIsReleasedAsTheLatestWithEveryVersion) {
  const int64_t due = kNow + 10'000;
  auto v1 = Run(Item(1, 1, due, "Rates stay."));
  auto v2 = Run(Item(2, 2, due, "Rates stay. The vote was split."));
  EXPECT_EQ(v2.outcome.decision(), v1::DECISION_UPDATE);
  EXPECT_TRUE(To(v2.records, options_.events_topic).empty());
  v1::HeldStory hs;
  ASSERT_TRUE(hs.ParseFromString(*To(v2.records, options_.held_topic)[0]->value));
  EXPECT_EQ(hs.versions_size(), 2);
  EXPECT_EQ(hs.article().version(), 2u);
  auto rel = ReleaseAt(v1.outcome.story_id(), due);
  ASSERT_TRUE(rel);
  const auto events = To(rel->records, options_.events_topic);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(EventOf(*events[0]).version(), 1u);
  EXPECT_EQ(EventOf(*events[1]).version(), 2u);
  EXPECT_EQ(EventOf(*events[1]).previous_version(), 1u) << "the version history is intact";
  EXPECT_EQ(EventOf(*events[1]).change().paragraphs_edited(), 1u) << "its change summary against v1";
  const auto articles = To(rel->records, options_.articles_topic);
  v1::Article last;
  ASSERT_TRUE(last.ParseFromString(*articles.back()->value));
  EXPECT_EQ(last.version(), 2u) << "the latest version is the story's article";
}

TEST_F(EmbargoTest, ALaterEmbargoMovesTheRelease) {
  auto v1 = Run(Item(1, 1, kNow + 10'000, "Rates stay."));
  auto v2 = Run(Item(2, 2, kNow + 40'000, "Rates stay, for now."));
  EXPECT_EQ(embargo::Millis(v2.outcome.hold().until()), kNow + 40'000);
  EXPECT_TRUE(index_.Due(kNow + 10'000).empty());
  EXPECT_EQ(index_.next_due_ms(), kNow + 40'000);
  auto rel = ReleaseAt(v1.outcome.story_id(), kNow + 40'000);
  ASSERT_TRUE(rel);
  EXPECT_EQ(To(rel->records, options_.events_topic).size(), 2u);
}

TEST_F(EmbargoTest, AnEarlierOrRemovedEmbargoReleasesAtItsTime) {
  auto v1 = Run(Item(1, 1, kNow + 40'000, "Rates stay."));
  const std::string story = v1.outcome.story_id();
  // Earlier, still ahead: due then.
  auto v2 = Run(Item(2, 2, kNow + 20'000, "Rates stay, for now."));
  EXPECT_EQ(index_.next_due_ms(), kNow + 20'000);
  // Removed: due at once; the event says when it was released.
  auto v3 = Run(Item(3, 3, 0, "Rates stay, for now. Markets shrugged."), kNow + 1'000);
  EXPECT_TRUE(To(v3.records, options_.events_topic).empty()) << "released by the worker, with the others";
  EXPECT_EQ(embargo::Millis(v3.outcome.hold().until()), kNow + 1'000);
  EXPECT_EQ(index_.Due(kNow + 1'000), (std::vector<std::string>{story}));
  auto rel = ReleaseAt(story, kNow + 1'050);
  ASSERT_TRUE(rel);
  const auto events = To(rel->records, options_.events_topic);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(embargo::Millis(EventOf(*events[2]).embargo().release_time()), kNow + 1'050);
  // A version after the release, without an embargo, is published directly.
  auto v4 = Run(Item(4, 4, 0, "Rates stay. Final."), kNow + 2'000);
  EXPECT_EQ(To(v4.records, options_.events_topic).size(), 1u);
}

TEST_F(EmbargoTest, AKillDuringTheEmbargoMeansTheStoryIsNeverReleased) {
  auto v1 = Run(Item(1, 1, kNow + 30'000, "Rates stay."));
  auto kill = Run(Item(2, 2, 0, "Withdrawn.", /*canceled=*/true));
  EXPECT_EQ(kill.outcome.decision(), v1::DECISION_CANCEL);
  EXPECT_TRUE(kill.outcome.hold().dropped());
  EXPECT_TRUE(To(kill.records, options_.articles_topic).empty()) << "nothing was ever published";
  EXPECT_TRUE(To(kill.records, options_.events_topic).empty());
  ASSERT_EQ(To(kill.records, options_.held_topic).size(), 1u);
  EXPECT_FALSE(To(kill.records, options_.held_topic)[0]->value.has_value());
  EXPECT_EQ(HeldKeys(), 0u);
  EXPECT_TRUE(index_.empty());
  EXPECT_FALSE(ReleaseAt(v1.outcome.story_id(), kNow + 30'000));
}

TEST_F(EmbargoTest, AKillOfAPublishedStoryDropsItsHeldUpdateAndIsPublished) {
  auto v1 = Run(Item(1, 1, 0, "Rates stay."));
  EXPECT_EQ(To(v1.records, options_.events_topic).size(), 1u);
  auto v2 = Run(Item(2, 2, kNow + 30'000, "Rates stay. Embargoed detail."));
  EXPECT_TRUE(To(v2.records, options_.events_topic).empty());
  v1::HeldStory hs;
  ASSERT_TRUE(hs.ParseFromString(*To(v2.records, options_.held_topic)[0]->value));
  EXPECT_TRUE(hs.published_before());
  auto kill = Run(Item(3, 3, 0, "Withdrawn.", /*canceled=*/true));
  const auto events = To(kill.records, options_.events_topic);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(EventOf(*events[0]).kind(), v1::EVENT_KIND_CANCELED);
  EXPECT_EQ(EventOf(*events[0]).version(), 3u);
  ASSERT_EQ(To(kill.records, options_.articles_topic).size(), 1u);
  EXPECT_FALSE(To(kill.records, options_.articles_topic)[0]->value.has_value()) << "a tombstone";
  EXPECT_EQ(HeldKeys(), 0u) << "the embargoed version is dropped";
}

TEST_F(EmbargoTest, AReprocessedInputStaysHeldAndStagesNothing) {
  const int64_t due = kNow + 30'000;
  const Record in = Item(1, 1, due, "Rates stay.");
  auto first = Run(in);
  auto again = Run(in, kNow + 1'000);
  EXPECT_EQ(again.outcome.decision(), v1::DECISION_NEW) << "the decision log replays it";
  EXPECT_EQ(embargo::Millis(again.outcome.hold().until()), due);
  ASSERT_EQ(again.records.size(), 1u) << "only the outcome";
  EXPECT_TRUE(again.held_changes.empty());
  // After its release, a reprocessed input whose embargo is still ahead publishes nothing.
  ASSERT_TRUE(ReleaseAt(first.outcome.story_id(), due - 10));
  auto late = Run(in, due - 5);
  ASSERT_EQ(late.records.size(), 1u);
  EXPECT_EQ(HeldKeys(), 0u);
}

TEST_F(EmbargoTest, AReplayBehindAnUndoneReleaseIsHeldBehindItsVersions) {
  const int64_t due = kNow + 10'000;
  auto v1 = Run(Item(1, 1, due, "Rates stay."));
  const std::string story = v1.outcome.story_id();
  auto rel = ReleaseAt(story, due);
  ASSERT_TRUE(rel);
  const Record v2_in = Item(2, 2, 0, "Rates stay. More.");
  auto v2 = Run(v2_in, due + 10);
  EXPECT_EQ(To(v2.records, options_.events_topic).size(), 1u) << "after the release: published directly";
  // The batch aborts: the release is undone, and the input is processed again (its memo replays).
  ASSERT_TRUE(store_.Apply(rel->undo).ok());
  ASSERT_TRUE(index_.Load(store_).ok());
  auto marker = store_.Get("hm/" + story);
  ASSERT_TRUE(marker.ok());
  EXPECT_FALSE(marker.value().has_value()) << "the undo takes back what the release recorded";
  auto again = Run(v2_in, due + 200);
  EXPECT_TRUE(To(again.records, options_.events_topic).empty()) << "held behind v1";
  auto rel2 = ReleaseAt(story, due + 300);
  ASSERT_TRUE(rel2);
  const auto events = To(rel2->records, options_.events_topic);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(EventOf(*events[0]).version(), 1u);
  EXPECT_EQ(EventOf(*events[1]).version(), 2u);
}

TEST_F(EmbargoTest, ReplaysAfterADropPublishNothing) {
  const int64_t due = kNow + 10'000;
  const Record v1_in = Item(1, 1, due, "Rates stay.");
  const Record kill_in = Item(2, 2, 0, "Withdrawn.", /*canceled=*/true);
  Run(v1_in);
  Run(kill_in);
  // Reprocessed after a restore, well after the embargo: the decision log replays both.
  auto v1_again = Run(v1_in, due + 5'000);
  EXPECT_TRUE(To(v1_again.records, options_.events_topic).empty()) << "dropped: never published";
  EXPECT_TRUE(v1_again.outcome.hold().dropped());
  auto kill_again = Run(kill_in, due + 5'000);
  EXPECT_TRUE(To(kill_again.records, options_.events_topic).empty());
  EXPECT_TRUE(To(kill_again.records, options_.articles_topic).empty());
  EXPECT_TRUE(kill_again.outcome.hold().dropped());
}

TEST_F(EmbargoTest, ReplaysAfterTheReleasePublishNothingAgain) {
  const int64_t due = kNow + 10'000;
  const Record in = Item(1, 1, due, "Rates stay.");
  auto first = Run(in);
  ASSERT_TRUE(ReleaseAt(first.outcome.story_id(), due + 30));
  auto again = Run(in, due + 5'000);
  EXPECT_TRUE(To(again.records, options_.events_topic).empty()) << "the release published it";
  EXPECT_EQ(embargo::Millis(again.outcome.hold().until()), due);
  EXPECT_EQ(HeldKeys(), 0u);
}

TEST_F(EmbargoTest, TheIndexLoadsFromTheState) {
  auto a = Run(Item(1, 1, kNow + 30'000, "Rates stay."));
  auto b = Run(Item(2, 2, kNow + 50'000, "Rates stay, for now."));
  embargo::HeldIndex loaded;
  ASSERT_TRUE(loaded.Load(store_).ok());
  EXPECT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded.next_due_ms(), kNow + 50'000) << "the latest version sets the due time";
}

TEST_F(EmbargoTest, HeldKeysOrderVersionsNumerically) {
  EXPECT_LT(embargo::HeldKey("st_1", 9), embargo::HeldKey("st_1", 10));
  EXPECT_EQ(embargo::StoryOfHeldKey(embargo::HeldKey("st_1", 9)), "st_1");
  EXPECT_EQ(embargo::StoryOfHeldKey("s/st_1"), "");
}

// The held topic is an output like the others: its records carry the same contract headers (trace
// context, CloudEvents), each with an id of its own.
TEST_F(EmbargoTest, HeldTopicRecordsCarryTheContractHeaders) {
  options_.cloudevents = true;
  Record in = Item(1, 1, kNow + 30'000, "Rates stay.");
  const std::string traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  in.headers.push_back({"traceparent", traceparent});
  auto held = Run(in);
  const std::string story = held.outcome.story_id();
  auto rel = ReleaseAt(story, kNow + 30'000);
  ASSERT_TRUE(rel);
  auto header = [](const Record& r, std::string_view name) {
    return std::string(r.HeaderValue(name).value_or("<missing>"));
  };
  std::set<std::string> ids;
  for (const Record* r :
       std::vector<const Record*>{To(held.records, options_.held_topic)[0], &rel->records.back()}) {
    EXPECT_EQ(header(*r, "content-type"), "application/x-protobuf; messageType=copydesk.v1.HeldStory");
    EXPECT_EQ(header(*r, "ce_specversion"), "1.0");
    EXPECT_EQ(header(*r, "ce_type"), "copydesk.v1.HeldStory");
    EXPECT_EQ(header(*r, "ce_source"), options_.cloudevents_source);
    EXPECT_NE(header(*r, "ce_time"), "<missing>");
    EXPECT_EQ(header(*r, "traceparent"), traceparent) << "the held version's trace context";
    ids.insert(header(*r, "ce_id"));
  }
  EXPECT_EQ(ids.size(), 2u) << "the hold and the release are different events";
  EXPECT_EQ(ids.count("<missing>"), 0u);
}

}  // namespace
}  // namespace copydesk::ingest
