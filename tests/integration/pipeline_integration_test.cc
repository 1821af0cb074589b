// The seed through the whole pipeline over the Kafka protocol: a real librdkafka producer
// writes it to the embedded broker, the real worker normalizes and publishes it, and the
// Article is read back from news.articles.v1 and over gRPC GetArticle. Bad inputs go to the
// dead-letter topic while the worker keeps going.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "broker/broker.h"
#include "common/kafka.h"
#include "common/metrics.h"
#include "copydesk/v1/lookup.grpc.pb.h"
#include "copydesk/v1/raw.pb.h"
#include "ingest/worker.h"
#include "lookup/service.h"

namespace copydesk {
namespace {

using namespace std::chrono_literals;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Reads every record of `topic` until `want` records arrived or the timeout passed.
std::vector<Record> ReadTopic(const std::string& brokers, const std::string& topic, size_t want,
                              std::chrono::seconds timeout) {
  std::vector<Record> out;
  auto c = kafka::Consumer::Create({{"bootstrap.servers", brokers}, {"fetch.wait.max.ms", "10"}});
  EXPECT_TRUE(c.ok());
  auto n = kafka::PartitionCount(c.value()->raw(), topic);
  EXPECT_TRUE(n.ok());
  std::vector<kafka::TopicPartitionOffset> parts;
  parts.reserve(static_cast<size_t>(n.value()));
  for (int p = 0; p < n.value(); ++p) parts.push_back({topic, p, RD_KAFKA_OFFSET_BEGINNING});
  EXPECT_TRUE(c.value()->Assign(parts).ok());
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    auto r = c.value()->Poll(100ms);
    if (r.ok() && r.value()) out.push_back(*r.value());
  }
  return out;
}

class PipelineIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = broker::EmbeddedBroker::Start({.brokers = 3, .partitions = 2, .topics = {}});
    ASSERT_TRUE(b.ok()) << b.error().reason;
    broker_ = std::move(b.value());
    metrics_ = std::make_unique<metrics::Server>("127.0.0.1:0");
    ingest_metrics_ = std::make_unique<metrics::IngestMetrics>(metrics_->registry());
    data_dir_ = std::filesystem::temp_directory_path() / ("copydesk-it-" + std::to_string(getpid()));
    std::filesystem::remove_all(data_dir_);
    lookup::LookupOptions lo;
    lo.brokers = broker_->bootstrap();
    lo.data_dir = (data_dir_ / "lookup").string();
    lo.server.address = "127.0.0.1:0";
    auto l = lookup::LookupService::Start(lo, metrics_->registry());
    ASSERT_TRUE(l.ok()) << l.error().reason;
    lookup_ = std::move(l.value());
    ingest::WorkerOptions wo;
    wo.kafka.brokers = broker_->bootstrap();
    wo.instance_id = "it";
    wo.state_dir = (data_dir_ / "ingest").string();
    // The mock broker keeps only ~5 MiB per partition, so the size limit is tested at 1 MiB.
    wo.max_value_bytes = 1 << 20;
    auto w = ingest::Worker::Create(wo, *ingest_metrics_);
    ASSERT_TRUE(w.ok()) << w.error().reason;
    worker_ = std::move(w.value());
    thread_ = std::thread([this] { run_status_ = worker_->Run(stop_); });
    auto p = kafka::Producer::Create({{"bootstrap.servers", broker_->bootstrap()},
                                      {"enable.idempotence", "true"},
                                      {"message.max.bytes", "33554432"}});
    ASSERT_TRUE(p.ok());
    producer_ = std::move(p.value());
  }

  void TearDown() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    EXPECT_TRUE(run_status_.ok());
    if (lookup_) lookup_->Stop();
    std::filesystem::remove_all(data_dir_);
  }

  void Send(std::optional<std::string> value, const std::string& content_type, const std::string& key) {
    Record r;
    r.topic = "news.raw.v1";
    r.key = key;
    r.value = std::move(value);
    if (!content_type.empty()) r.headers.push_back({"content-type", content_type});
    ASSERT_TRUE(producer_->Send(r).ok());
    ASSERT_TRUE(producer_->Flush(10s).ok());
  }

  std::unique_ptr<broker::EmbeddedBroker> broker_;
  std::unique_ptr<metrics::Server> metrics_;
  std::unique_ptr<metrics::IngestMetrics> ingest_metrics_;
  std::filesystem::path data_dir_;
  std::unique_ptr<lookup::LookupService> lookup_;
  std::unique_ptr<ingest::Worker> worker_;
  std::unique_ptr<kafka::Producer> producer_;
  std::atomic<bool> stop_{false};
  Status run_status_ = OkStatus();
  std::thread thread_;
};

TEST_F(PipelineIntegration, SeedComesOutOnTheArticlesTopicAndThroughGrpcGetArticle) {
  const std::string seed =
      ReadFile(std::string(COPYDESK_SOURCE_DIR) +
               "/tests/fixtures/seed/bbc-2001-11-15-no-bush-putin-missile-agreement.txt");
  ASSERT_FALSE(seed.empty());
  Send(seed, "text/plain", "seed");

  auto articles = ReadTopic(broker_->bootstrap(), "news.articles.v1", 1, 60s);
  ASSERT_EQ(articles.size(), 1u);
  v1::Article a;
  ASSERT_TRUE(a.ParseFromString(articles[0].value.value_or("")));
  EXPECT_EQ(a.headline(), "No Bush-Putin missile agreement");
  EXPECT_EQ(a.provenance().provider(), "BBC News");
  ASSERT_EQ(a.section_path_size(), 2);
  EXPECT_EQ(a.section_path(0), "World");
  EXPECT_EQ(a.section_path(1), "Americas");
  EXPECT_EQ(a.firstcreated().seconds(), 1005849480);  // 2001-11-15T18:38:00Z
  EXPECT_EQ(a.version(), 1u);
  EXPECT_EQ(articles[0].key, a.uri());
  EXPECT_EQ(a.body_text().rfind("Russia and the United States have failed to reach agreement", 0), 0u);

  auto events = ReadTopic(broker_->bootstrap(), "news.article-events.v1", 1, 30s);
  ASSERT_EQ(events.size(), 1u);
  v1::ArticleEvent ev;
  ASSERT_TRUE(ev.ParseFromString(events[0].value.value_or("")));
  EXPECT_EQ(ev.kind(), v1::EVENT_KIND_CREATED);
  EXPECT_EQ(ev.story_id(), a.uri());

  auto stub = v1::Lookup::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(lookup_->grpc_port()),
                                                      grpc::InsecureChannelCredentials()));
  v1::GetArticleResponse resp;
  grpc::Status st;
  for (int i = 0; i < 100; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 2s);
    v1::GetArticleRequest req;
    req.set_story_id(a.uri());
    st = stub->GetArticle(&ctx, req, &resp);
    if (st.ok()) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.article().headline(), "No Bush-Putin missile agreement");
  EXPECT_EQ(resp.article().version(), 1u);
}

TEST_F(PipelineIntegration, EachBadInputIsDeadLetteredAndTheNextGoodEventIsProcessed) {
  v1::RawArticle raw;
  raw.set_content_type("text/plain");
  raw.set_body("Headline\n\nA body paragraph long enough to be an article.\n");
  std::string truncated = raw.SerializeAsString();
  truncated.resize(truncated.size() - 6);
  // All on one key, so one partition: the good event is behind every bad one.
  Send(std::string(), "text/plain", "same");
  Send(std::string(3u << 19, 'a'), "text/plain", "same");
  Send(std::string("Bad \xff\xfe bytes\n\nmore\n"), "text/plain", "same");
  Send(std::string("GIF89a"), "image/gif", "same");
  Send(truncated, "application/x-protobuf", "same");
  Send(std::string("Good headline after the bad ones\n\nThe worker kept going and processed this one.\n"),
       "text/plain", "same");

  auto dlq = ReadTopic(broker_->bootstrap(), "news.raw.dlq.v1", 5, 60s);
  ASSERT_EQ(dlq.size(), 5u);
  std::vector<std::string> codes;
  for (const auto& r : dlq) {
    auto code = r.HeaderValue("x-copydesk-error-code");
    ASSERT_TRUE(code);
    codes.emplace_back(*code);
    EXPECT_FALSE(r.HeaderValue("x-copydesk-error-reason").value_or("").empty());
    EXPECT_EQ(r.HeaderValue("x-copydesk-source-topic"), "news.raw.v1");
    EXPECT_TRUE(r.HeaderValue("x-copydesk-source-offset"));
    EXPECT_EQ(r.HeaderValue("content-type").has_value(), true);  // original headers kept
  }
  EXPECT_EQ(codes, (std::vector<std::string>{"EMPTY_VALUE", "VALUE_TOO_LARGE", "INVALID_UTF8",
                                             "UNKNOWN_CONTENT_TYPE", "MALFORMED_PROTOBUF"}));
  EXPECT_EQ(dlq[1].value->size(), 3u << 19);  // original bytes kept

  auto articles = ReadTopic(broker_->bootstrap(), "news.articles.v1", 1, 30s);
  ASSERT_EQ(articles.size(), 1u);
  v1::Article a;
  ASSERT_TRUE(a.ParseFromString(articles[0].value.value_or("")));
  EXPECT_EQ(a.headline(), "Good headline after the bad ones");
  EXPECT_EQ(worker_->counters().dead_letters.load(), 5);
}

}  // namespace
}  // namespace copydesk
