#include "common/redrive.h"

#include <gtest/gtest.h>

namespace copydesk::redrive {
namespace {

Record DeadLetter(int32_t partition, int64_t offset, const std::string& code) {
  Record r;
  r.topic = "news.raw.dlq.v1";
  r.partition = partition;
  r.offset = offset;
  r.timestamp_ms = 1'700'000'000'000;
  r.key = "story-a";
  r.value = "body bytes";
  r.headers = {{"provider", "acme"},
               {"Content-Type", "text/x-wrong"},
               {"x-copydesk-error-code", code},
               {"x-copydesk-error-reason", "unknown content-type"},
               {"x-copydesk-source-topic", "news.raw.v1"},
               {"x-copydesk-source-partition", "3"},
               {"x-copydesk-source-offset", "41"},
               {"X-Copydesk-Normalizer-Version", "copydesk-normalize/0.1.0"}};
  return r;
}

TEST(Redrive, RestoreKeepsTheOriginalAndDropsErrorHeaders) {
  Record dl = DeadLetter(1, 7, "UNKNOWN_CONTENT_TYPE");
  Record out = Restore(dl, "news.raw.v1", 12, {{"content-type", "text/plain"}});
  EXPECT_EQ(out.topic, "news.raw.v1");
  EXPECT_EQ(out.partition, 3) << "the original partition";
  EXPECT_EQ(out.key, dl.key);
  EXPECT_EQ(out.value, dl.value);
  EXPECT_EQ(out.timestamp_ms, dl.timestamp_ms);
  for (const auto& h : out.headers) EXPECT_NE(h.key.rfind("x-copydesk", 0), 0u) << h.key;
  EXPECT_FALSE(out.HeaderValue("X-Copydesk-Normalizer-Version")) << "prefix matched in any case";
  EXPECT_EQ(out.HeaderValue("content-type"), "text/plain") << "replaced, whatever its case";
  int content_types = 0;
  for (const auto& h : out.headers) content_types += (h.key == "content-type" || h.key == "Content-Type");
  EXPECT_EQ(content_types, 1);
  EXPECT_EQ(out.HeaderValue("provider"), "acme");
  EXPECT_EQ(out.HeaderValue("event-id"), "news.raw.v1/3/41") << "the event id the worker gave the original";
}

TEST(Redrive, RestoreKeepsAProducerEventIdAndNullValues) {
  Record dl = DeadLetter(0, 1, "EMPTY_VALUE");
  dl.value.reset();
  dl.headers.push_back({"event-id", "cms/123"});
  Record out = Restore(dl, "news.raw.v1", 2, {});
  EXPECT_FALSE(out.value.has_value()) << "a null value stays null";
  EXPECT_EQ(out.HeaderValue("event-id"), "cms/123");
  EXPECT_EQ(out.partition, -1) << "partition 3 does not exist on a 2-partition raw topic: by key";
}

TEST(Redrive, Selection) {
  Selection s;
  Record dl = DeadLetter(2, 10, "UNKNOWN_CONTENT_TYPE");
  EXPECT_TRUE(Selected(s, dl)) << "no filter selects every dead letter";
  s.codes = {NormalizeCode("error_code_unknown_content_type")};
  EXPECT_TRUE(Selected(s, dl));
  EXPECT_FALSE(Selected(s, DeadLetter(2, 10, "EMPTY_VALUE")));
  s.offsets = {ParseRange("2:5-10").value()};
  EXPECT_TRUE(Selected(s, dl));
  s.offsets = {ParseRange("2:11").value(), ParseRange("1").value()};
  EXPECT_FALSE(Selected(s, dl));
  s.offsets.clear();
  s.since_ms = dl.timestamp_ms + 1;
  EXPECT_FALSE(Selected(s, dl));
  s.since_ms = dl.timestamp_ms;
  s.until_ms = dl.timestamp_ms + 1;
  EXPECT_TRUE(Selected(s, dl));
  s.until_ms = dl.timestamp_ms;
  EXPECT_FALSE(Selected(s, dl)) << "until is exclusive";
}

TEST(Redrive, MarkersAreNotDeadLetters) {
  Record dl = DeadLetter(2, 10, "UNKNOWN_CONTENT_TYPE");
  Record out = Restore(dl, "news.raw.v1", 12, {});
  Record m = Marker(dl, out, "news.raw.dlq.v1");
  EXPECT_TRUE(IsMarker(m));
  EXPECT_EQ(MarkerTarget(m), "2:10");
  EXPECT_FALSE(m.value.has_value());
  EXPECT_FALSE(Selected(Selection{}, m));
  EXPECT_EQ(m.HeaderValue(kMarkerEventIdHeader), "news.raw.v1/3/41");
}

TEST(Redrive, ParseRangeAndTime) {
  EXPECT_EQ(ParseRange("4").value().partition, 4);
  EXPECT_EQ(ParseRange("4:9").value().first, 9);
  EXPECT_EQ(ParseRange("4:9").value().last, 9);
  EXPECT_EQ(ParseRange("4:9-12").value().last, 12);
  EXPECT_FALSE(ParseRange("x").ok());
  EXPECT_FALSE(ParseRange("4:12-9").ok());
  EXPECT_FALSE(ParseRange("-1").ok());
  EXPECT_EQ(ParseTime("1700000000000").value(), 1700000000000);
  EXPECT_EQ(ParseTime("2023-11-14T22:13:20Z").value(), 1700000000000);
  EXPECT_EQ(ParseTime("2023-11-14T22:13:20.250Z").value(), 1700000000250);
  EXPECT_FALSE(ParseTime("2023-11-14 22:13").ok());
  EXPECT_FALSE(ParseTime("2023-11-14T22:13:20+02:00").ok());
}

}  // namespace
}  // namespace copydesk::redrive
