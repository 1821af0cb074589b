// Hostile headers and values: the header policy (pipeline_input.h), tombstones, outputs too large
// for their topic, and valid UTF-8 in everything the pipeline writes.
#include "ingest/pipeline_input.h"

#include <google/protobuf/reflection.h>
#include <gtest/gtest.h>

#include <string>

#include "ingest/pipeline.h"
#include "normalize/utf8.h"

namespace copydesk::ingest {
namespace {

using namespace std::string_literals;

Record Raw(std::optional<std::string> value, std::vector<Header> headers, int64_t offset = 7) {
  Record r;
  r.topic = "news.raw.v1";
  r.partition = 3;
  r.offset = offset;
  r.timestamp_ms = 1700000000123;
  r.key = "k1";
  r.value = std::move(value);
  r.headers = std::move(headers);
  return r;
}

const std::string kText =
    "Markets rally on rate hopes\n\nShares rose sharply on Tuesday as traders bet on cuts.\n";

const Header* FindHeader(const Record& r, std::string_view name) {
  for (const auto& h : r.headers) {
    if (h.key == name) return &h;
  }
  return nullptr;
}

// Every string field of `m`, recursively, is valid UTF-8.
void ExpectValidUtf8(const google::protobuf::Message& m, const std::string& path = "") {
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    const std::string name = path + "." + f->name();
    if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING &&
        f->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(m, f); ++k)
          EXPECT_TRUE(normalize::IsValidUtf8(r->GetRepeatedString(m, f, k))) << name;
      } else {
        EXPECT_TRUE(normalize::IsValidUtf8(r->GetString(m, f))) << name;
      }
    } else if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(m, f); ++k) ExpectValidUtf8(r->GetRepeatedMessage(m, f, k), name);
      } else if (r->HasField(m, f)) {
        ExpectValidUtf8(r->GetMessage(m, f), name);
      }
    }
  }
}

// Every protobuf record of a result parses and has valid UTF-8 strings; every header of an
// output record (the dead letter's original headers aside) is valid UTF-8.
void ExpectOutputsValid(const ProcessResult& res) {
  for (const Record& r : res.records) {
    if (r.topic == "news.raw.dlq.v1") {
      for (const auto& h : r.headers) {
        if (h.key.starts_with("x-copydesk-")) {
          EXPECT_TRUE(normalize::IsValidUtf8(h.value)) << h.key;
        }
      }
      continue;
    }
    for (const auto& h : r.headers) EXPECT_TRUE(normalize::IsValidUtf8(h.value)) << r.topic << " " << h.key;
    if (!r.value) continue;
    if (r.topic == "news.articles.v1") {
      v1::Article a;
      ASSERT_TRUE(a.ParseFromString(*r.value));
      ExpectValidUtf8(a);
    } else if (r.topic == "news.article-events.v1") {
      v1::ArticleEvent e;
      ASSERT_TRUE(e.ParseFromString(*r.value));
      ExpectValidUtf8(e);
    } else if (r.topic == "news.ingest-outcomes.v1") {
      v1::IngestOutcome o;
      ASSERT_TRUE(o.ParseFromString(*r.value));
      ExpectValidUtf8(o);
    }
  }
}

class PipelineInputTest : public ::testing::Test {
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

struct HeaderCase {
  const char* name;
  std::string header;
  std::string value;
};

class InvalidHeaderTest : public PipelineInputTest, public ::testing::WithParamInterface<HeaderCase> {};

// Identity headers (and the content type) are used as sent or not at all: the input is
// dead-lettered with INVALID_HEADER, byte-identical, and every output stays valid UTF-8.
TEST_P(InvalidHeaderTest, IsDeadLetteredAsSent) {
  const HeaderCase& c = GetParam();
  std::vector<Header> headers = {{"content-type", "text/plain"}, {"provider", "Wire"}};
  bool replaced = false;
  for (auto& h : headers) {
    if (h.key == c.header) h.value = c.value, replaced = true;
  }
  if (!replaced) headers.push_back({c.header, c.value});
  const Record in = Raw(kText, headers);
  const auto res = Run(in);
  ASSERT_TRUE(res.dead_letter);
  EXPECT_EQ(res.dead_letter->code, v1::ERROR_CODE_INVALID_HEADER);
  EXPECT_NE(res.dead_letter->reason.find("'" + c.header + "'"), std::string::npos) << res.dead_letter->reason;
  ASSERT_EQ(res.records.size(), 2u);
  const Record& dl = res.records[0];
  EXPECT_EQ(dl.value, in.value);
  EXPECT_EQ(dl.key, in.key);
  for (size_t i = 0; i < in.headers.size(); ++i) {
    EXPECT_EQ(dl.headers[i].key, in.headers[i].key);
    EXPECT_EQ(dl.headers[i].value, in.headers[i].value);
  }
  EXPECT_EQ(FindHeader(dl, "x-copydesk-error-code")->value, "INVALID_HEADER");
  EXPECT_EQ(res.outcome.error_code(), "INVALID_HEADER");
  ExpectOutputsValid(res);
}

INSTANTIATE_TEST_SUITE_P(
    EachIdentityHeader, InvalidHeaderTest,
    ::testing::Values(HeaderCase{"provider_invalid_utf8", "provider", "p\xff"},
                      HeaderCase{"provider_control", "provider", "Wire\nX-Forged: 1"},
                      HeaderCase{"provider_too_long", "provider", std::string(257, 'p')},
                      HeaderCase{"guid_invalid_utf8", "guid", "g-\xc3\x28"},
                      HeaderCase{"guid_overlong", "guid", "g-\xc0\xaf"},
                      HeaderCase{"guid_surrogate", "guid", "g-\xed\xa0\x80"},
                      HeaderCase{"guid_too_long", "guid", std::string(1025, 'g')},
                      HeaderCase{"version_invalid_utf8", "version", "3\xfe"},
                      HeaderCase{"version_too_long", "version", std::string(65, '9')},
                      HeaderCase{"event_id_invalid_utf8", "event-id", "ev\xff"},
                      HeaderCase{"event_id_too_long", "event-id", std::string(257, 'e')},
                      HeaderCase{"content_type_control", "content-type", "text/plain\r\nx: y"},
                      HeaderCase{"content_type_non_ascii", "content-type", "text/pl\xc3\xa4in"},
                      HeaderCase{"content_type_too_long", "content-type",
                                 "text/plain; x=" + std::string(250, 'a')},
                      HeaderCase{"url_too_long", "url", "http://example.com/" + std::string(8200, 'a')}),
    [](const auto& info) { return std::string(info.param.name); });

// An invalid event-id is not the outcome's key: the input's position is.
TEST_F(PipelineInputTest, AnInvalidEventIdIsNotUsedAsTheOutcomeKey) {
  const auto res = Run(Raw(kText, {{"content-type", "text/plain"}, {"event-id", "ev\xff"}}));
  EXPECT_EQ(res.outcome.event_id(), "news.raw.v1/3/7");
  EXPECT_EQ(*res.records.back().key, "news.raw.v1/3/7");
}

// The URL is repaired without changing which URL it names: invalid bytes, controls and spaces
// percent-encoded; valid non-ASCII kept.
TEST_F(PipelineInputTest, AUrlWithInvalidBytesIsPercentEncoded) {
  EXPECT_EQ(RepairUrl("http://example.com/a b\xff/\xc3\xa9t\xc3\xa9?q=\x01"),
            "http://example.com/a%20b%FF/\xc3\xa9t\xc3\xa9?q=%01");
  EXPECT_EQ(RepairUrl("http://example.com/%FF"), "http://example.com/%FF");
  const auto res =
      Run(Raw(kText, {{"content-type", "text/plain"}, {"url", "http://example.com/news/\xff story"}}));
  ASSERT_FALSE(res.dead_letter) << res.dead_letter->reason;
  v1::Article a;
  ASSERT_TRUE(a.ParseFromString(*res.records[0].value));
  EXPECT_EQ(a.provenance().source_url(), "http://example.com/news/%FF%20story");
  ExpectOutputsValid(res);
}

TEST(HeaderPolicy, TextIsMadeSafeAndBounded) {
  EXPECT_EQ(SafeText("ok \xff\xfe end", 100), "ok \xEF\xBF\xBD\xEF\xBF\xBD end");
  EXPECT_EQ(SafeText("line\nnext\x01", 100), "line next\xEF\xBF\xBD");
  EXPECT_EQ(SafeText("\xc3\xa9\xc3\xa9\xc3\xa9", 5), "\xc3\xa9\xc3\xa9");  // cut on a character boundary
  EXPECT_TRUE(IsPrintableUtf8("Agence France-Presse \xc3\xa9"));
  EXPECT_FALSE(IsPrintableUtf8("tab\there"));
  EXPECT_FALSE(IsPrintableUtf8("c1 \xc2\x85"));
  EXPECT_FALSE(IsPrintableUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
}

TEST(HeaderPolicy, TraceContextIsW3COrIgnored) {
  const std::string tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  EXPECT_TRUE(IsTraceparent(tp));
  EXPECT_FALSE(IsTraceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));  // upper case
  EXPECT_FALSE(IsTraceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  EXPECT_FALSE(IsTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
  EXPECT_FALSE(IsTraceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(IsTraceparent(tp + "-x"));  // version 00 is exactly 55 bytes
  EXPECT_TRUE(IsTraceparent("01" + tp.substr(2) + "-future"));
  EXPECT_FALSE(IsTraceparent(tp.substr(0, 54)));
  Record in = Raw(kText, {{"traceparent", tp}, {"tracestate", "congo=t61rcWkgMzE"}});
  auto h = ReadInputHeaders(in).value();
  EXPECT_EQ(h.traceparent, tp);
  EXPECT_EQ(h.tracestate, "congo=t61rcWkgMzE");
  // An invalid traceparent takes its tracestate with it; neither dead-letters the input.
  in = Raw(kText, {{"traceparent", "junk"}, {"tracestate", "congo=t61rcWkgMzE"}});
  h = ReadInputHeaders(in).value();
  EXPECT_EQ(h.traceparent, "");
  EXPECT_EQ(h.tracestate, "");
  in = Raw(kText, {{"traceparent", tp}, {"tracestate", "bad\xff"}});
  h = ReadInputHeaders(in).value();
  EXPECT_EQ(h.traceparent, tp);
  EXPECT_EQ(h.tracestate, "");
}

// A tombstone on news.raw.v1 carries no event: dead-lettered as it came, null value and all.
TEST_F(PipelineInputTest, ATombstoneIsDeadLetteredAsANullValue) {
  const Record in = Raw(std::nullopt, {{"content-type", "text/plain"}, {"guid", "g-1"}});
  const auto res = Run(in);
  ASSERT_TRUE(res.dead_letter);
  EXPECT_EQ(res.dead_letter->code, v1::ERROR_CODE_NULL_VALUE);
  const Record& dl = res.records[0];
  EXPECT_EQ(dl.topic, "news.raw.dlq.v1");
  EXPECT_FALSE(dl.value.has_value());
  EXPECT_EQ(dl.key, in.key);
  EXPECT_EQ(FindHeader(dl, "guid")->value, "g-1");
  EXPECT_EQ(FindHeader(dl, "x-copydesk-error-code")->value, "NULL_VALUE");
  EXPECT_EQ(res.outcome.decision(), v1::DECISION_DEAD_LETTER);
  EXPECT_EQ(res.outcome.error_code(), "NULL_VALUE");
  EXPECT_TRUE(store_.contents().empty());  // no state change
}

// Outputs larger than the output topics take are dead-lettered, the same way every time, and
// change no state: with a larger limit the same input is a new story, not a re-delivery.
TEST_F(PipelineInputTest, AnInputWhoseOutputsAreTooLargeIsDeadLettered) {
  std::string body;
  for (int i = 0; i < 400; ++i) body += "Sentence number " + std::to_string(i) + " of a long report. ";
  const Record in =
      Raw("A long report\n\n" + body + "\n", {{"content-type", "text/plain"}, {"guid", "g-long"}});
  options_.max_output_bytes = 16 * 1024;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const auto res = Run(in);
    ASSERT_TRUE(res.dead_letter);
    EXPECT_EQ(res.dead_letter->code, v1::ERROR_CODE_OUTPUT_TOO_LARGE);
    ASSERT_EQ(res.records.size(), 2u);
    EXPECT_EQ(res.records[0].value, in.value);
    EXPECT_EQ(res.outcome.error_code(), "OUTPUT_TOO_LARGE");
    EXPECT_TRUE(res.index_changes.empty());
    for (const auto& r : res.records) EXPECT_LE(RecordBytes(r), 64u * 1024);
  }
  options_.max_output_bytes = 1 << 20;
  const auto res = Run(in);
  ASSERT_FALSE(res.dead_letter);
  EXPECT_EQ(res.outcome.decision(), v1::DECISION_NEW);
  for (const auto& r : res.records) EXPECT_LE(RecordBytes(r), options_.max_output_bytes);
}

// In a feed, the item whose outputs are too large is dead-lettered alone.
TEST_F(PipelineInputTest, AnItemWhoseOutputsAreTooLargeIsDeadLetteredAlone) {
  std::string big;
  for (int i = 0; i < 400; ++i) big += "Sentence number " + std::to_string(i) + " of a long report. ";
  const std::string feed =
      "<rss version=\"2.0\"><channel><title>W</title>"
      "<item><guid>small</guid><title>Small</title><description>A short item about rates "
      "and markets.</description></item>"
      "<item><guid>big</guid><title>Big</title><description>" +
      big + "</description></item></channel></rss>";
  options_.max_output_bytes = 16 * 1024;
  const auto res = Run(Raw(feed, {{"content-type", "application/rss+xml"}}));
  EXPECT_FALSE(res.dead_letter);
  ASSERT_EQ(res.outcome.items_size(), 2);
  EXPECT_EQ(res.outcome.items(0).decision(), v1::DECISION_NEW);
  EXPECT_EQ(res.outcome.items(1).decision(), v1::DECISION_DEAD_LETTER);
  EXPECT_EQ(res.outcome.items(1).error_code(), "OUTPUT_TOO_LARGE");
  int dead = 0;
  for (const auto& r : res.records) {
    if (r.topic != "news.raw.dlq.v1") continue;
    ++dead;
    EXPECT_NE(r.value->find("<guid>big</guid>"), std::string::npos);
    EXPECT_EQ(FindHeader(r, "x-copydesk-item-index")->value, "1");
  }
  EXPECT_EQ(dead, 1);
}

// Hostile bytes in headers the pipeline does not read, and in the body, never reach an output
// as invalid UTF-8.
TEST_F(PipelineInputTest, OutputsAreValidUtf8WhateverTheInput) {
  const auto res = Run(Raw("Head \xff line\n\nBody \xc3\x28 text with more words in it.\n",
                           {{"content-type", "text/plain; charset=windows-1252"},
                            {"provider", "Wire"},
                            {"x-junk", "\xff\xfe"},
                            {"url", "http://example.com/\xff"}}));
  ExpectOutputsValid(res);
}

}  // namespace
}  // namespace copydesk::ingest
