// Multi-item inputs (feeds, NewsML-G2 newsMessages): every item decided on its own, one outcome.
#include <gtest/gtest.h>

#include <string>

#include "ingest/pipeline.h"

namespace copydesk::ingest {
namespace {

std::string Body(int seed) {
  std::string s;
  for (int w = 0; w < 60; ++w) s += " word" + std::to_string((seed * 7919 + w * 104729) % 100000);
  return s;
}

std::string Item(const std::string& guid, const std::string& title, const std::string& body) {
  return "<item><guid>" + guid + "</guid><title>" + title + "</title><description>" + body +
         "</description><pubDate>Tue, 14 Nov 2023 12:00:00 GMT</pubDate></item>";
}

std::string Feed(const std::vector<std::string>& items) {
  std::string s = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wire</title>";
  for (const auto& i : items) s += i;
  return s + "</channel></rss>";
}

Record Raw(const std::string& value, int64_t offset,
           const std::string& content_type = "application/rss+xml") {
  Record r;
  r.topic = "news.raw.v1";
  r.partition = 3;
  r.offset = offset;
  r.timestamp_ms = 1700000000123;
  r.key = "feed";
  r.value = value;
  r.headers.push_back({"content-type", content_type});
  r.headers.push_back({"provider", "Example Wire"});
  return r;
}

const Header* FindHeader(const Record& r, std::string_view name) {
  for (const auto& h : r.headers) {
    if (h.key == name) return &h;
  }
  return nullptr;
}

std::vector<const Record*> OnTopic(const ProcessResult& res, std::string_view topic) {
  std::vector<const Record*> out;
  for (const auto& r : res.records) {
    if (r.topic == topic) out.push_back(&r);
  }
  return out;
}

v1::IngestOutcome OutcomeOf(const ProcessResult& res) {
  v1::IngestOutcome o;
  EXPECT_EQ(res.records.back().topic, "news.ingest-outcomes.v1");
  EXPECT_TRUE(o.ParseFromString(*res.records.back().value));
  return o;
}

class PipelineItemsTest : public ::testing::Test {
 protected:
  ProcessResult Run(const Record& in) {
    auto r = Process(in, deduper_, options_);
    EXPECT_TRUE(r.ok());
    return r.ok() ? std::move(r.value()) : ProcessResult{};
  }
  dedup::MemoryStateStore store_;
  dedup::Deduper deduper_{store_};
  PipelineOptions options_;
};

TEST_F(PipelineItemsTest, EveryItemOfAFeedIsDecidedAndPublishedWithOneOutcome) {
  const auto res = Run(Raw(
      Feed({Item("g-a", "Alpha", Body(1)), Item("g-b", "Beta", Body(2)), Item("g-c", "Gamma", Body(3))}), 7));
  EXPECT_FALSE(res.dead_letter);
  ASSERT_EQ(OnTopic(res, "news.articles.v1").size(), 3u);
  ASSERT_EQ(OnTopic(res, "news.article-events.v1").size(), 3u);
  ASSERT_EQ(OnTopic(res, "news.ingest-outcomes.v1").size(), 1u);
  const v1::IngestOutcome o = OutcomeOf(res);
  EXPECT_EQ(o.decision(), v1::DECISION_ITEMS);
  EXPECT_EQ(o.event_id(), "news.raw.v1/3/7");
  ASSERT_EQ(o.items_size(), 3);
  ASSERT_EQ(res.items.size(), 3u);
  const char* guids[] = {"g-a", "g-b", "g-c"};
  for (int i = 0; i < 3; ++i) {
    const auto& io = o.items(i);
    EXPECT_EQ(io.index(), static_cast<uint32_t>(i));
    EXPECT_EQ(io.event_id(), "news.raw.v1/3/7#" + std::to_string(i));
    EXPECT_EQ(io.guid(), guids[i]);
    EXPECT_EQ(io.decision(), v1::DECISION_NEW);
    EXPECT_FALSE(io.story_id().empty());
    EXPECT_EQ(res.items[i].event_id, io.event_id());
    EXPECT_EQ(res.items[i].decision, v1::DECISION_NEW);
  }
  EXPECT_NE(o.items(0).story_id(), o.items(1).story_id());
  // Each Article names its item and its parent event.
  v1::Article a;
  ASSERT_TRUE(a.ParseFromString(*OnTopic(res, "news.articles.v1")[1]->value));
  EXPECT_EQ(a.provenance().guid(), "g-b");
  EXPECT_EQ(a.provenance().event_id(), "news.raw.v1/3/7#1");
  EXPECT_EQ(a.provenance().parent_event_id(), "news.raw.v1/3/7");
  EXPECT_EQ(a.provenance().item_index(), 1u);
  EXPECT_EQ(a.provenance().item_count(), 3u);
  v1::ArticleEvent ev;
  ASSERT_TRUE(ev.ParseFromString(*OnTopic(res, "news.article-events.v1")[1]->value));
  EXPECT_EQ(ev.event_id(), "news.raw.v1/3/7#1");
  EXPECT_EQ(ev.story_id(), o.items(1).story_id());
}

// Reprocessing the same input (a crash before the offset commit) replays every item's logged
// decision; the same feed fetched again (another offset) re-delivers its items.
TEST_F(PipelineItemsTest, AReplayedInputGivesTheSameItemsAndARepeatedFeedRedeliversThem) {
  const std::string feed = Feed({Item("g-a", "Alpha", Body(1)), Item("g-b", "Beta", Body(2))});
  const auto first = Run(Raw(feed, 7));
  const auto replayed = Run(Raw(feed, 7));
  ASSERT_EQ(replayed.records.size(), first.records.size());
  for (size_t i = 0; i + 1 < first.records.size(); ++i) {
    EXPECT_EQ(replayed.records[i].topic, first.records[i].topic);
    EXPECT_EQ(replayed.records[i].key, first.records[i].key);
    EXPECT_EQ(replayed.records[i].value, first.records[i].value) << "record " << i;
  }
  // The outcome too, but for the time it took.
  v1::IngestOutcome a = OutcomeOf(first), b = OutcomeOf(replayed);
  a.clear_processing_micros();
  b.clear_processing_micros();
  EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString());
  const auto again = OutcomeOf(Run(Raw(feed, 8)));
  ASSERT_EQ(again.items_size(), 2);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(again.items(i).decision(), v1::DECISION_REDELIVERY);
    EXPECT_EQ(again.items(i).story_id(), OutcomeOf(first).items(i).story_id());
    EXPECT_EQ(again.items(i).event_id(), "news.raw.v1/3/8#" + std::to_string(i));
  }
}

// An item that cannot be normalized goes to the dead-letter topic on its own (its bytes, the
// input's headers and its position) and the others go on.
TEST_F(PipelineItemsTest, AnItemThatCannotBeNormalizedIsDeadLetteredAlone) {
  auto in = Raw(Feed({Item("g-a", "Alpha", Body(1)), "<item><guid>g-empty</guid></item>",
                      Item("g-c", "Gamma", Body(3))}),
                7);
  in.headers.push_back({"x-original", "kept"});
  const auto res = Run(in);
  EXPECT_FALSE(res.dead_letter);
  const auto dlq = OnTopic(res, "news.raw.dlq.v1");
  ASSERT_EQ(dlq.size(), 1u);
  const Record& dl = *dlq[0];
  EXPECT_EQ(dl.key, in.key);
  ASSERT_TRUE(dl.value.has_value());
  EXPECT_NE(dl.value->find("g-empty"), std::string::npos);
  EXPECT_EQ(dl.value->find("g-a"), std::string::npos);
  EXPECT_EQ(FindHeader(dl, "x-original")->value, "kept");
  EXPECT_EQ(FindHeader(dl, "content-type")->value, "application/rss+xml");
  EXPECT_EQ(FindHeader(dl, "x-copydesk-item-index")->value, "1");
  EXPECT_EQ(FindHeader(dl, "x-copydesk-item-count")->value, "3");
  EXPECT_EQ(FindHeader(dl, "x-copydesk-source-offset")->value, "7");
  const std::string code = FindHeader(dl, "x-copydesk-error-code")->value;
  EXPECT_FALSE(code.empty());
  EXPECT_EQ(OnTopic(res, "news.articles.v1").size(), 2u);
  const auto o = OutcomeOf(res);
  ASSERT_EQ(o.items_size(), 3);
  EXPECT_EQ(o.items(1).decision(), v1::DECISION_DEAD_LETTER);
  EXPECT_EQ(o.items(1).error_code(), code);
  EXPECT_FALSE(o.items(1).error_reason().empty());
  EXPECT_EQ(o.items(1).guid(), "g-empty");
  EXPECT_EQ(o.items(2).decision(), v1::DECISION_NEW);
  ASSERT_EQ(res.items.size(), 3u);
  ASSERT_TRUE(res.items[1].dead_letter.has_value());
  EXPECT_EQ(res.items[1].dead_letter->CodeName(), code);
  EXPECT_EQ(res.items[1].decision, v1::DECISION_DEAD_LETTER);
}

// Items past the limit are each dead-lettered with TOO_MANY_ITEMS, never dropped.
TEST_F(PipelineItemsTest, ItemsPastTheLimitAreEachDeadLettered) {
  options_.limits.max_items = 2;
  const auto res = Run(Raw(Feed({Item("g-a", "Alpha", Body(1)), Item("g-b", "Beta", Body(2)),
                                 Item("g-c", "Gamma", Body(3)), Item("g-d", "Delta", Body(4))}),
                           7));
  const auto o = OutcomeOf(res);
  ASSERT_EQ(o.items_size(), 4);
  EXPECT_EQ(o.items(1).decision(), v1::DECISION_NEW);
  for (int i : {2, 3}) {
    EXPECT_EQ(o.items(i).decision(), v1::DECISION_DEAD_LETTER);
    EXPECT_EQ(o.items(i).error_code(), "TOO_MANY_ITEMS");
  }
  EXPECT_EQ(OnTopic(res, "news.raw.dlq.v1").size(), 2u);
}

// The same producer event stored twice (a producer retry the broker kept twice): each item gets
// the first copy's decision, not a re-delivery.
TEST_F(PipelineItemsTest, TheSameEventStoredTwiceGetsTheSameItemDecisions) {
  const std::string feed = Feed({Item("g-a", "Alpha", Body(1)), Item("g-b", "Beta", Body(2))});
  auto in = Raw(feed, 7);
  in.headers.push_back({"event-id", "ev-1"});
  const auto first = OutcomeOf(Run(in));
  in.offset = 9;
  const auto second = OutcomeOf(Run(in));
  ASSERT_EQ(second.items_size(), 2);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(second.items(i).event_id(), "ev-1#" + std::to_string(i));
    EXPECT_EQ(second.items(i).decision(), v1::DECISION_NEW);
    EXPECT_EQ(second.items(i).story_id(), first.items(i).story_id());
  }
}

// Two items of one feed are decided in order: the second can be the first's duplicate.
TEST_F(PipelineItemsTest, ItemsOfOneInputSeeEachOther) {
  const auto o = OutcomeOf(Run(Raw(Feed({Item("g-a", "Alpha", Body(5)), Item("g-b", "Alpha", Body(5))}), 7)));
  ASSERT_EQ(o.items_size(), 2);
  EXPECT_EQ(o.items(0).decision(), v1::DECISION_NEW);
  EXPECT_EQ(o.items(1).decision(), v1::DECISION_DUPLICATE);
  EXPECT_EQ(o.items(1).story_id(), o.items(0).story_id());
}

// A feed of one item is a container too: same shape as any feed. A single-item format keeps
// its plain outcome, with one item result for the metrics.
TEST_F(PipelineItemsTest, OneItemFeedsAreItemsAndSingleItemInputsArePlain) {
  const auto feed = Run(Raw(Feed({Item("g-a", "Alpha", Body(1))}), 7));
  EXPECT_EQ(OutcomeOf(feed).decision(), v1::DECISION_ITEMS);
  EXPECT_EQ(OutcomeOf(feed).items_size(), 1);
  const auto text = Run(Raw("Headline here\n\n" + Body(9) + "\n", 8, "text/plain"));
  const auto o = OutcomeOf(text);
  EXPECT_EQ(o.decision(), v1::DECISION_NEW);
  EXPECT_EQ(o.items_size(), 0);
  ASSERT_EQ(text.items.size(), 1u);
  EXPECT_EQ(text.items[0].event_id, "news.raw.v1/3/8");
  EXPECT_EQ(text.items[0].decision, v1::DECISION_NEW);
}

}  // namespace
}  // namespace copydesk::ingest
