// The output contract: trace context carried everywhere, optional CloudEvents attributes, the
// outcome's worker / normalizer / timing / format / reason, the optional ninjs topic, and outputs
// that are a function of the input (processing_micros aside).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "ingest/pipeline.h"
#include "ingest/pipeline_outputs.h"

namespace copydesk::ingest {
namespace {

const std::string kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const std::string kTracestate = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";
const std::string kText =
    "Markets rally on rate hopes\n\nShares rose sharply on Tuesday as traders bet on cuts.\n";

Record Raw(std::optional<std::string> value, std::vector<Header> extra = {}, int64_t offset = 7) {
  Record r;
  r.topic = "news.raw.v1";
  r.partition = 3;
  r.offset = offset;
  r.timestamp_ms = 1700000000123;
  r.key = "k1";
  r.value = std::move(value);
  r.headers = {{"content-type", "text/plain"},
               {"provider", "Wire"},
               {"traceparent", kTraceparent},
               {"tracestate", kTracestate}};
  for (auto& h : extra) r.headers.push_back(std::move(h));
  return r;
}

std::optional<std::string> HeaderOf(const Record& r, std::string_view name) {
  for (const auto& h : r.headers) {
    if (h.key == name) return h.value;
  }
  return std::nullopt;
}

v1::IngestOutcome OutcomeOf(const ProcessResult& res) {
  v1::IngestOutcome o;
  EXPECT_TRUE(o.ParseFromString(*res.records.back().value));
  return o;
}

class PipelineContractTest : public ::testing::Test {
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

TEST_F(PipelineContractTest, TraceContextGoesOnEveryOutputRecordTheArticleAndTheOutcome) {
  const auto res = Run(Raw(kText));
  ASSERT_EQ(res.records.size(), 3u);
  for (const Record& r : res.records) {
    EXPECT_EQ(HeaderOf(r, "traceparent"), kTraceparent) << r.topic;
    EXPECT_EQ(HeaderOf(r, "tracestate"), kTracestate) << r.topic;
    EXPECT_FALSE(HeaderOf(r, "ce_id").has_value());  // CloudEvents off by default
  }
  v1::Article a;
  ASSERT_TRUE(a.ParseFromString(*res.records[0].value));
  EXPECT_EQ(a.provenance().traceparent(), kTraceparent);
  EXPECT_EQ(a.provenance().tracestate(), kTracestate);
  v1::ArticleEvent ev;
  ASSERT_TRUE(ev.ParseFromString(*res.records[1].value));
  EXPECT_EQ(ev.article().provenance().traceparent(), kTraceparent);
  const auto o = OutcomeOf(res);
  EXPECT_EQ(o.traceparent(), kTraceparent);
  EXPECT_EQ(o.tracestate(), kTracestate);
  // A dead letter's outcome carries it too (the dead letter keeps every header as sent).
  const auto dead = Run(Raw(std::string()));
  EXPECT_EQ(OutcomeOf(dead).traceparent(), kTraceparent);
  EXPECT_EQ(HeaderOf(dead.records.back(), "traceparent"), kTraceparent);
}

TEST_F(PipelineContractTest, TheOutcomeSaysWhoDecidedWithWhatHowLongAndWhy) {
  options_.worker = "worker-7";
  const auto ok = OutcomeOf(Run(Raw(kText)));
  EXPECT_EQ(ok.worker(), "worker-7");
  EXPECT_EQ(ok.normalizer_version(), std::string(normalize::kNormalizerVersion));
  EXPECT_EQ(ok.format(), "text");
  EXPECT_GT(ok.processing_micros(), 0u);
  EXPECT_EQ(ok.error_reason(), "");
  auto in = Raw("GIF89a");
  in.headers[0].value = "image/gif";
  const auto bad = OutcomeOf(Run(in));
  EXPECT_EQ(bad.decision(), v1::DECISION_DEAD_LETTER);
  EXPECT_EQ(bad.error_code(), "UNKNOWN_CONTENT_TYPE");
  EXPECT_NE(bad.error_reason().find("image/gif"), std::string::npos);
  EXPECT_EQ(bad.format(), "unknown");
  EXPECT_EQ(bad.worker(), "worker-7");
}

TEST_F(PipelineContractTest, CloudEventsAttributesWhenTurnedOn) {
  options_.cloudevents = true;
  options_.cloudevents_source = "urn:copydesk:test";
  const auto res = Run(Raw(kText));
  ASSERT_EQ(res.records.size(), 3u);
  const char* types[] = {"copydesk.v1.Article", "copydesk.v1.ArticleEvent", "copydesk.v1.IngestOutcome"};
  std::set<std::string> ids;
  for (size_t i = 0; i < 3; ++i) {
    const Record& r = res.records[i];
    EXPECT_EQ(HeaderOf(r, "ce_specversion"), "1.0");
    EXPECT_EQ(HeaderOf(r, "ce_source"), "urn:copydesk:test");
    EXPECT_EQ(HeaderOf(r, "ce_type"), types[i]);
    EXPECT_EQ(HeaderOf(r, "ce_time"), "2023-11-14T22:13:20.123Z");
    ASSERT_TRUE(HeaderOf(r, "ce_id").has_value());
    ids.insert(*HeaderOf(r, "ce_id"));
  }
  EXPECT_EQ(ids.size(), 3u);  // unique per record
  EXPECT_EQ(Rfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(Rfc3339(-1), "1969-12-31T23:59:59.999Z");
}

// Everything but processing_micros is a function of the input: the same input against the same
// state (two fresh stores) gives the same bytes.
TEST_F(PipelineContractTest, OutputsAreDeterministicButForTheProcessingTime) {
  options_.cloudevents = true;
  options_.worker = "w";
  dedup::MemoryStateStore other;
  dedup::Deduper other_deduper(other);
  const Record in = Raw(kText);
  const auto a = Run(in);
  auto b_r = Process(in, other_deduper, options_);
  ASSERT_TRUE(b_r.ok());
  const auto& b = b_r.value();
  ASSERT_EQ(a.records.size(), b.records.size());
  for (size_t i = 0; i + 1 < a.records.size(); ++i) {
    EXPECT_EQ(a.records[i].value, b.records[i].value);
    ASSERT_EQ(a.records[i].headers.size(), b.records[i].headers.size());
    for (size_t k = 0; k < a.records[i].headers.size(); ++k)
      EXPECT_EQ(a.records[i].headers[k].value, b.records[i].headers[k].value);
  }
  auto oa = OutcomeOf(a), ob = OutcomeOf(b);
  oa.clear_processing_micros();
  ob.clear_processing_micros();
  EXPECT_EQ(oa.SerializeAsString(), ob.SerializeAsString());
}

TEST_F(PipelineContractTest, TheNinjsTopicCarriesEachPublishedArticle) {
  options_.ninjs_topic = "news.articles.ninjs.v1";
  const auto res = Run(Raw(kText, {{"guid", "g-1"}}));
  ASSERT_EQ(res.records.size(), 4u);
  const Record& n = res.records[2];
  EXPECT_EQ(n.topic, "news.articles.ninjs.v1");
  EXPECT_EQ(n.key, res.records[0].key);
  ASSERT_TRUE(n.value.has_value());
  EXPECT_EQ(n.value->front(), '{');
  EXPECT_NE(n.value->find("\"uri\""), std::string::npos);
  EXPECT_EQ(HeaderOf(n, "content-type"), "application/ninjs+json");
  EXPECT_EQ(HeaderOf(n, "traceparent"), kTraceparent);
  // A cancel: a tombstone there too, as on the articles topic.
  v1::Article a;
  dedup::Decision d;
  d.decision = v1::DECISION_CANCEL;
  d.kind = v1::EVENT_KIND_CANCELED;
  d.story_id = "st_1";
  d.version = 2;
  const auto cancel = ArticleRecords(a, d, "ev", OutputContext{}, options_);
  ASSERT_EQ(cancel.size(), 3u);
  EXPECT_EQ(cancel[0].topic, "news.articles.v1");
  EXPECT_FALSE(cancel[0].value.has_value());
  EXPECT_EQ(cancel[2].topic, "news.articles.ninjs.v1");
  EXPECT_EQ(cancel[2].key, "st_1");
  EXPECT_FALSE(cancel[2].value.has_value());
  // Off by default.
  options_.ninjs_topic.clear();
  EXPECT_EQ(Run(Raw("A different story\n\nThe council approved the budget after a long debate.\n", {}, 9))
                .records.size(),
            3u);
}

}  // namespace
}  // namespace copydesk::ingest
