#include "common/log.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "common/config.h"
#include "common/kafka.h"

namespace copydesk::log {
namespace {

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

// Every line parses as one JSON object with the record's keys; returns the parsed objects' text.
void ExpectJsonLines(const std::string& captured, size_t min_lines) {
  const auto lines = Lines(captured);
  EXPECT_GE(lines.size(), min_lines) << captured;
  simdjson::dom::parser parser;
  for (const auto& line : lines) {
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << "not JSON: " << line;
    for (const char* key : {"time", "level", "module", "message"}) {
      std::string_view v;
      EXPECT_EQ(doc[key].get(v), simdjson::SUCCESS) << key << " missing in " << line;
    }
    simdjson::dom::object fields;
    EXPECT_EQ(doc["fields"].get(fields), simdjson::SUCCESS) << line;
  }
}

class LogTest : public ::testing::Test {
 protected:
  void TearDown() override { ASSERT_TRUE(Configure({}).ok()); }
};

TEST(SplitFields, MessageThenFields) {
  Parts p = SplitFields("rebalance kind=assign partitions=3 assigned_now=1");
  EXPECT_EQ(p.message, "rebalance");
  ASSERT_EQ(p.fields.size(), 3u);
  EXPECT_EQ(p.fields[0], (std::pair<std::string, std::string>{"kind", "assign"}));
  EXPECT_EQ(p.fields[2], (std::pair<std::string, std::string>{"assigned_now", "1"}));
}

TEST(SplitFields, QuotedValuesMayHoldSpacesQuotesAndEquals) {
  Parts p = SplitFields("dead letter partition=2 reason=\"no \"content-type\" header, a = b\" code=X");
  EXPECT_EQ(p.message, "dead letter");
  ASSERT_EQ(p.fields.size(), 3u);
  EXPECT_EQ(p.fields[1].first, "reason");
  EXPECT_EQ(p.fields[1].second, "no \"content-type\" header, a = b");
  EXPECT_EQ(p.fields[2].second, "X");
}

TEST(SplitFields, NoFieldsAndUnterminatedQuotes) {
  EXPECT_EQ(SplitFields("stopping on signal").message, "stopping on signal");
  EXPECT_TRUE(SplitFields("stopping on signal").fields.empty());
  Parts p = SplitFields("x reason=\"never closed");
  EXPECT_EQ(p.message, "x");
  ASSERT_EQ(p.fields.size(), 1u);
  EXPECT_EQ(p.fields[0].second, "\"never closed");
  EXPECT_EQ(SplitFields("k=v").message, "");
  EXPECT_EQ(SplitFields("k=v").fields.size(), 1u);
}

TEST(FormatLine, TextEscapesEveryControlCharacter) {
  const std::string line = FormatLine(Format::kText, 0, "warning", "ingest",
                                      "dead letter content_type=text/html\nforged line\x1b[2J p\xff");
  EXPECT_EQ(line,
            "1970-01-01T00:00:00.000Z warning ingest dead letter content_type=text/html\\nforged "
            "line\\x1b[2J p\\xff\n");
}

TEST(FormatLine, JsonIsOneObjectWithFields) {
  const std::string line = FormatLine(Format::kJson, 1234, "info", "ingest",
                                      "worker started mode=transactional reason=\"a \"b\"\nc\xff\"");
  ASSERT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << line;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << line;
  EXPECT_EQ(std::string_view(doc["time"]), "1970-01-01T00:00:01.234Z");
  EXPECT_EQ(std::string_view(doc["level"]), "info");
  EXPECT_EQ(std::string_view(doc["module"]), "ingest");
  EXPECT_EQ(std::string_view(doc["message"]), "worker started");
  EXPECT_EQ(std::string_view(doc["fields"]["mode"]), "transactional");
  EXPECT_EQ(std::string_view(doc["fields"]["reason"]), "a \"b\"\nc\\xff");
}

TEST_F(LogTest, LevelsAnyCaseUnknownNamesKeyAndValues) {
  for (const char* l : {"INFO", "Warning", "warn", "WARN", "error", "Debug", "trace", "off"}) {
    Options o;
    o.level = l;
    EXPECT_TRUE(Configure(o).ok()) << l;
  }
  Options bad;
  bad.level = "verbose";
  Status st = Configure(bad);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().reason.find("log.level"), std::string::npos);
  EXPECT_NE(st.error().reason.find("trace, debug, info, warn, warning, error, off"), std::string::npos);
  Options bad_format;
  bad_format.format = "xml";
  st = Configure(bad_format);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().reason.find("log.format"), std::string::npos);
}

TEST_F(LogTest, SchemaAcceptsAnyCaseAndRejectsUnknownLevels) {
  Options o;
  ConfigSchema schema;
  o.Describe(schema);
  EXPECT_TRUE(schema.Set("log.level", "WARNING", "test").ok());
  EXPECT_EQ(o.level, "warning");
  EXPECT_TRUE(schema.Set("log.format", "JSON", "test").ok());
  Status st = schema.Set("log.level", "loud", "COPYDESK_LOG_LEVEL");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().reason.find("COPYDESK_LOG_LEVEL: key 'log.level': 'loud' is not one of"),
            std::string::npos)
      << st.error().reason;
}

TEST_F(LogTest, WarnLevelFiltersInfo) {
  Options o;
  o.level = "Warning";
  ASSERT_TRUE(Configure(o).ok());
  testing::internal::CaptureStderr();
  Logger("test-filter")->info("hidden");
  Logger("test-filter")->warn("shown");
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(out.find("hidden"), std::string::npos);
  EXPECT_NE(out.find("shown"), std::string::npos);
}

TEST_F(LogTest, HostileValuesKeepOneRecordPerLine) {
  Options o;
  o.format = "json";
  ASSERT_TRUE(Configure(o).ok());
  testing::internal::CaptureStderr();
  auto log = Logger("test-hostile");
  log->warn("dead letter partition={} content_type={} reason=\"{}\"", 3,
            "text/html\n2026-01-01T00:00:00.000Z error ingest forged", std::string("bad\xff\x00utf8", 9));
  log->info("{}", "\r\n\xe2\x80\xa8\xc2\x85");
  log->error("plain");
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(Lines(out).size(), 3u) << out;
  ExpectJsonLines(out, 3);
  EXPECT_EQ(out.find("\nforged"), std::string::npos);
}

TEST_F(LogTest, TextModeHostileValuesKeepOneRecordPerLine) {
  testing::internal::CaptureStderr();
  Logger("test-text")->warn("content_type={}", "a\nb\rc");
  const std::string out = testing::internal::GetCapturedStderr();
  ASSERT_EQ(Lines(out).size(), 1u) << out;
  EXPECT_NE(out.find("content_type=a\\nb\\rc"), std::string::npos) << out;
}

TEST_F(LogTest, LibrdkafkaLinesGoThroughTheLogger) {
  Options o;
  o.format = "json";
  ASSERT_TRUE(Configure(o).ok());
  testing::internal::CaptureStderr();
  {
    // A client of a broker that refuses connections logs its connection failures.
    auto p = kafka::Producer::Create({{"bootstrap.servers", "127.0.0.1:1"}, {"reconnect.backoff.ms", "10"}});
    ASSERT_TRUE(p.ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  }
  const std::string out = testing::internal::GetCapturedStderr();
  ExpectJsonLines(out, 1);
  EXPECT_NE(out.find("\"module\":\"kafka\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"facility\":"), std::string::npos) << out;
}

}  // namespace
}  // namespace copydesk::log
