#include "ingest/pipeline.h"

#include <gtest/gtest.h>

#include "copydesk/v1/raw.pb.h"

namespace copydesk::ingest {
namespace {

Record Raw(std::optional<std::string> value, const std::string& content_type, int64_t offset = 7) {
  Record r;
  r.topic = "news.raw.v1";
  r.partition = 3;
  r.offset = offset;
  r.timestamp_ms = 1700000000123;
  r.key = "k1";
  r.value = std::move(value);
  if (!content_type.empty()) r.headers.push_back({"content-type", content_type});
  r.headers.push_back({"provider", "Example Wire"});
  return r;
}

const Header* FindHeader(const Record& r, std::string_view name) {
  for (const auto& h : r.headers) {
    if (h.key == name) return &h;
  }
  return nullptr;
}

class PipelineTest : public ::testing::Test {
 protected:
  dedup::MemoryStateStore store_;
  dedup::Deduper deduper_{store_};
  PipelineOptions options_;
};

TEST_F(PipelineTest, GoodTextEventPublishesArticleEventAndOutcome) {
  auto processed =
      Process(Raw("Markets rally on rate hopes\n\nShares rose sharply on Tuesday.\n", "text/plain"), deduper_,
              options_);
  ASSERT_TRUE(processed.ok());
  auto& res = processed.value();
  ASSERT_FALSE(res.dead_letter) << res.dead_letter->reason;
  ASSERT_EQ(res.records.size(), 3u);
  EXPECT_EQ(res.records[0].topic, "news.articles.v1");
  EXPECT_EQ(res.records[1].topic, "news.article-events.v1");
  EXPECT_EQ(res.records[2].topic, "news.ingest-outcomes.v1");
  v1::Article a;
  ASSERT_TRUE(a.ParseFromString(*res.records[0].value));
  EXPECT_EQ(*res.records[0].key, a.uri());
  EXPECT_EQ(a.version(), 1u);
  EXPECT_EQ(a.provenance().source_partition(), 3);
  EXPECT_EQ(a.provenance().source_offset(), 7);
  EXPECT_EQ(a.provenance().provider(), "Example Wire");
  EXPECT_EQ(a.versioncreated().seconds(), 1700000000);
  v1::ArticleEvent ev;
  ASSERT_TRUE(ev.ParseFromString(*res.records[1].value));
  EXPECT_EQ(ev.kind(), v1::EVENT_KIND_CREATED);
  EXPECT_EQ(ev.story_id(), a.uri());
  EXPECT_EQ(ev.source().offset(), 7);
  EXPECT_EQ(res.outcome.decision(), v1::DECISION_NEW);
  EXPECT_EQ(res.outcome.event_id(), "news.raw.v1/3/7");
}

TEST_F(PipelineTest, SameEventAgainIsARedeliveryWithOnlyAnOutcome) {
  auto in = Raw("Markets rally\n\nShares rose.\n", "text/plain");
  auto first = Process(in, deduper_, options_).value();
  in.offset = 8;
  auto again = Process(in, deduper_, options_).value();
  ASSERT_EQ(again.records.size(), 1u);
  EXPECT_EQ(again.outcome.decision(), v1::DECISION_REDELIVERY);
  EXPECT_EQ(again.outcome.story_id(), first.outcome.story_id());
}

struct BadCase {
  const char* name;
  std::optional<std::string> value;
  std::string content_type;
  const char* code;
};

class BadInputTest : public PipelineTest, public ::testing::WithParamInterface<BadCase> {};

TEST_P(BadInputTest, GoesToTheDeadLetterTopicWithOriginalBytesAndReason) {
  const BadCase& c = GetParam();
  options_.limits.max_bytes = 64;
  auto in = Raw(c.value, c.content_type);
  in.headers.push_back({"x-original", "kept"});
  auto processed = Process(in, deduper_, options_);
  ASSERT_TRUE(processed.ok());
  auto& res = processed.value();
  ASSERT_TRUE(res.dead_letter);
  EXPECT_EQ(res.dead_letter->CodeName(), c.code);
  ASSERT_EQ(res.records.size(), 2u);
  const Record& dl = res.records[0];
  EXPECT_EQ(dl.topic, "news.raw.dlq.v1");
  EXPECT_EQ(dl.key, in.key);
  EXPECT_EQ(dl.value, in.value);
  ASSERT_NE(FindHeader(dl, "x-original"), nullptr);
  EXPECT_EQ(FindHeader(dl, "x-copydesk-error-code")->value, c.code);
  EXPECT_FALSE(FindHeader(dl, "x-copydesk-error-reason")->value.empty());
  EXPECT_EQ(FindHeader(dl, "x-copydesk-source-topic")->value, "news.raw.v1");
  EXPECT_EQ(FindHeader(dl, "x-copydesk-source-partition")->value, "3");
  EXPECT_EQ(FindHeader(dl, "x-copydesk-source-offset")->value, "7");
  EXPECT_EQ(res.outcome.decision(), v1::DECISION_DEAD_LETTER);
  EXPECT_EQ(res.outcome.error_code(), c.code);
  EXPECT_EQ(res.records[1].topic, "news.ingest-outcomes.v1");
}

std::string TruncatedRawArticle() {
  v1::RawArticle raw;
  raw.set_content_type("text/plain");
  raw.set_body("Headline\n\nBody text.");
  std::string s = raw.SerializeAsString();
  return s.substr(0, s.size() - 5);
}

INSTANTIATE_TEST_SUITE_P(
    EachBadInput, BadInputTest,
    ::testing::Values(
        BadCase{"empty", std::string(), "text/plain", "EMPTY_VALUE"},
        BadCase{"null", std::nullopt, "text/plain", "NULL_VALUE"},
        BadCase{"too_large", std::string(65, 'a'), "text/plain", "VALUE_TOO_LARGE"},
        BadCase{"invalid_utf8", std::string("Head\xff\xfe line\n\nbody\n"), "text/plain", "INVALID_UTF8"},
        BadCase{"unknown_type", std::string("GIF89a"), "image/gif", "UNKNOWN_CONTENT_TYPE"},
        BadCase{"no_type", std::string("hello"), "", "UNKNOWN_CONTENT_TYPE"},
        BadCase{"truncated_protobuf", TruncatedRawArticle(), "application/x-protobuf", "MALFORMED_PROTOBUF"}),
    [](const auto& info) { return std::string(info.param.name); });

// The dead letter is the record that was sent: a null value stays null, an empty one empty.
TEST(DeadLetter, KeepsANullValueAnEmptyValueAndNoKey) {
  Record in;
  in.topic = "news.raw.v1";
  in.partition = 0;
  in.offset = 1;
  auto dl = DeadLetter(in, {v1::ERROR_CODE_NULL_VALUE, "null"}, "dlq");
  EXPECT_FALSE(dl.key.has_value());
  EXPECT_FALSE(dl.value.has_value());
  in.value = "";
  dl = DeadLetter(in, {v1::ERROR_CODE_EMPTY_VALUE, "empty"}, "dlq");
  ASSERT_TRUE(dl.value.has_value());
  EXPECT_EQ(*dl.value, "");
}

}  // namespace
}  // namespace copydesk::ingest
