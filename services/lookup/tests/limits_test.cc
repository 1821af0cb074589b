// The Lookup server's limits over a real channel: caps on watch streams and waiting calls,
// no thread per call, shutdown with calls open, long runs of unwanted events, health names.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "copydesk/v1/lookup.grpc.pb.h"
#include "lookup/service.h"
#include "lookup/tests/fixtures.h"

namespace copydesk::lookup {
namespace {

using testing::FakeTopic;
using testing::MakeEvent;
using testing::OpenStore;
using testing::TempDir;
using Clock = std::chrono::steady_clock;

size_t ThreadCount() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// Statuses of callback-API calls, as they finish.
class Outcomes {
 public:
  std::function<void(grpc::Status)> Callback() {
    return [this](const grpc::Status& s) {
      std::lock_guard<std::mutex> lock(mu_);
      codes_.push_back(s.error_code());
      cv_.notify_all();
    };
  }
  std::vector<grpc::StatusCode> Await(size_t n,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return codes_.size() >= n; });
    return codes_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<grpc::StatusCode> codes_;
};

// One WatchArticles stream of the sync client.
struct Stream {
  std::unique_ptr<grpc::ClientContext> ctx;
  std::unique_ptr<grpc::ClientReader<v1::WatchArticlesResponse>> reader;
};

class LimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenStore(dir_.path());
    ASSERT_TRUE(store_);
    metrics_ = std::make_unique<LookupMetrics>(registry_);
  }

  void Start(ServerOptions o) {
    o.address = "127.0.0.1:0";
    auto srv = LookupServer::Start(o, *store_, *metrics_);
    ASSERT_TRUE(srv.ok()) << srv.error().reason;
    server_ = std::move(*srv);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::Lookup::NewStub(channel_);
  }

  Stream Watch(const std::string& provider = "reuters") {
    Stream s;
    s.ctx = std::make_unique<grpc::ClientContext>();
    s.ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::WatchArticlesRequest req;
    req.mutable_filter()->set_provider(provider);
    s.reader = stub_->WatchArticles(s.ctx.get(), req);
    return s;
  }

  // A read waiting for an offset the view does not have.
  void WaitingRead(grpc::ClientContext* ctx, v1::GetArticleResponse* resp, Outcomes& out) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::GetArticleRequest req;
    req.set_story_id("a");
    (*req.mutable_read()->mutable_min_watermark()->mutable_offsets())[0] = 1000;
    stub_->async()->GetArticle(ctx, &req, resp, out.Callback());
  }

  TempDir dir_;
  prometheus::Registry registry_;
  std::unique_ptr<ViewStore> store_;
  std::unique_ptr<LookupMetrics> metrics_;
  std::unique_ptr<LookupServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Lookup::Stub> stub_;
  FakeTopic topic_{1};
};

TEST_F(LimitsTest, WatchStreamsBeyondTheCapAreRefused) {
  ServerOptions o;
  o.max_watch_streams = 3;
  Start(o);
  std::vector<Stream> open;
  for (int i = 0; i < 3; ++i) {
    open.push_back(Watch());
    open.back().reader->WaitForInitialMetadata();  // admitted: headers come at once
  }
  Stream over = Watch();
  v1::WatchArticlesResponse msg;
  EXPECT_FALSE(over.reader->Read(&msg));
  grpc::Status st = over.reader->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(st.error_message().find("lookup.max_watch_streams"), std::string::npos) << st.error_message();
  EXPECT_EQ(metrics_->rejected_watch_cap.Value(), 1);
  EXPECT_EQ(metrics_->active_watches.Value(), 3);
  // The admitted streams still work.
  ASSERT_TRUE(store_->Apply({topic_.Add(0, MakeEvent({.story = "a"}))}).ok());
  for (auto& s : open) {
    ASSERT_TRUE(s.reader->Read(&msg));
    EXPECT_EQ(msg.event().story_id(), "a");
  }
  // A cancelled stream frees its slot.
  open[0].ctx->TryCancel();
  EXPECT_EQ(open[0].reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (metrics_->active_watches.Value() > 2 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  Stream again = Watch();
  again.reader->WaitForInitialMetadata();
  ASSERT_TRUE(store_->Apply({topic_.Add(0, MakeEvent({.story = "b"}))}).ok());
  ASSERT_TRUE(again.reader->Read(&msg));
  EXPECT_EQ(msg.event().story_id(), "b");
  for (auto* s : {&open[1], &open[2], &again}) s->ctx->TryCancel();
}

TEST_F(LimitsTest, WaitingCallsBeyondTheCapAreRefused) {
  ServerOptions o;
  o.max_waiting_calls = 2;
  Start(o);
  Outcomes out;
  grpc::ClientContext c1, c2, c3;
  v1::GetArticleResponse r1, r2, r3;
  WaitingRead(&c1, &r1, out);
  WaitingRead(&c2, &r2, out);
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (metrics_->active_waits.Value() < 2 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  WaitingRead(&c3, &r3, out);
  EXPECT_EQ(out.Await(1), std::vector<grpc::StatusCode>{grpc::StatusCode::RESOURCE_EXHAUSTED});
  EXPECT_EQ(metrics_->rejected_wait_cap.Value(), 1);
  // The two waiting calls are answered by the write that reaches their watermark.
  std::vector<InputRecord> batch;
  for (int i = 0; i < 1000; ++i)
    batch.push_back(topic_.Add(0, MakeEvent({.story = "a", .version = uint32_t(i + 1)})));
  ASSERT_TRUE(store_->Apply(batch).ok());
  auto codes = out.Await(3);
  ASSERT_EQ(codes.size(), 3u);
  EXPECT_EQ(codes[1], grpc::StatusCode::OK);
  EXPECT_EQ(codes[2], grpc::StatusCode::OK);
  EXPECT_EQ(r1.article().version(), 1000u);
  EXPECT_EQ(metrics_->active_waits.Value(), 0);
}

TEST_F(LimitsTest, NoThreadPerStreamOrWaitingCall) {
  Start({});
  // Warm up the channel and gRPC's own threads.
  Stream first = Watch();
  first.reader->WaitForInitialMetadata();
  const size_t before = ThreadCount();
  std::vector<Stream> streams;
  for (int i = 0; i < 300; ++i) streams.push_back(Watch());
  for (auto& s : streams) s.reader->WaitForInitialMetadata();
  Outcomes out;
  std::vector<std::unique_ptr<grpc::ClientContext>> ctxs(300);
  std::vector<v1::GetArticleResponse> resps(300);
  for (size_t i = 0; i < ctxs.size(); ++i) {
    ctxs[i] = std::make_unique<grpc::ClientContext>();
    WaitingRead(ctxs[i].get(), &resps[i], out);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (metrics_->active_waits.Value() < 300 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(metrics_->active_waits.Value(), 300);
  EXPECT_EQ(metrics_->active_watches.Value(), 301);
  // Server and client share this process: gRPC may add a few threads of its own, not 600.
  EXPECT_LE(ThreadCount(), before + 12) << "threads before " << before;
  for (auto& c : ctxs) c->TryCancel();
  EXPECT_EQ(out.Await(300).size(), 300u);
  for (auto& s : streams) s.ctx->TryCancel();
  first.ctx->TryCancel();
}

TEST_F(LimitsTest, StopEndsOpenCallsWithinTheGrace) {
  ServerOptions o;
  o.shutdown_grace = std::chrono::milliseconds(500);
  Start(o);
  // One stream whose client does not read while 8 MiB of events are due: its writes block on
  // flow control until the grace ends.
  std::vector<InputRecord> big;
  for (int i = 0; i < 400; ++i) {
    auto ev = MakeEvent({.story = "big-" + std::to_string(i)});
    ev.mutable_article()->set_body_text(std::string(20000, 'x'));
    big.push_back(topic_.Add(0, ev));
  }
  ASSERT_TRUE(store_->Apply(big).ok());
  grpc::ClientContext slow_ctx;
  v1::WatchArticlesRequest from_start;
  (*from_start.mutable_from()->mutable_offsets())[0] = 0;
  auto slow = stub_->WatchArticles(&slow_ctx, from_start);
  slow->WaitForInitialMetadata();
  std::vector<Stream> idle;
  for (int i = 0; i < 50; ++i) idle.push_back(Watch("nobody"));
  for (auto& s : idle) s.reader->WaitForInitialMetadata();
  Outcomes waits;
  std::vector<std::unique_ptr<grpc::ClientContext>> ctxs(20);
  std::vector<v1::GetArticleResponse> resps(20);
  for (size_t i = 0; i < ctxs.size(); ++i) {
    ctxs[i] = std::make_unique<grpc::ClientContext>();
    WaitingRead(ctxs[i].get(), &resps[i], waits);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (metrics_->active_waits.Value() < 20 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const auto t0 = Clock::now();
  server_->Stop();
  const auto took = Clock::now() - t0;
  EXPECT_LT(took, std::chrono::seconds(3)) << std::chrono::duration<double>(took).count() << " s";
  for (auto code : waits.Await(20)) EXPECT_EQ(code, grpc::StatusCode::UNAVAILABLE);
  v1::WatchArticlesResponse msg;
  for (auto& s : idle) {
    EXPECT_FALSE(s.reader->Read(&msg));
    EXPECT_EQ(s.reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  while (slow->Read(&msg)) {
  }
  EXPECT_FALSE(slow->Finish().ok());
}

TEST_F(LimitsTest, WatchSkipsLongRunsOfUnwantedEvents) {
  Start({});
  std::vector<InputRecord> batch;
  for (int i = 0; i < 5000; ++i)
    batch.push_back(topic_.Add(0, MakeEvent({.story = "n" + std::to_string(i)})));
  batch.push_back(topic_.Add(0, MakeEvent({.story = "wanted", .provider = "ap"})));
  ASSERT_TRUE(store_->Apply(batch).ok());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::WatchArticlesRequest req;
  (*req.mutable_from()->mutable_offsets())[0] = 0;
  req.mutable_filter()->set_provider("ap");
  auto reader = stub_->WatchArticles(&ctx, req);
  v1::WatchArticlesResponse msg;
  ASSERT_TRUE(reader->Read(&msg));
  EXPECT_EQ(msg.event().story_id(), "wanted");
  EXPECT_EQ(msg.watermark().offsets().at(0), 5001);
  ctx.TryCancel();
}

std::string HealthOf(const std::shared_ptr<grpc::Channel>& channel, const std::string& service) {
  grpc::GenericStub generic(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  // HealthCheckRequest{string service = 1}, encoded by hand (names here are < 128 bytes).
  const std::string bytes =
      service.empty() ? std::string() : std::string("\x0a") + static_cast<char>(service.size()) + service;
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  auto call = generic.PrepareUnaryCall(&ctx, "/grpc.health.v1.Health/Check", request, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  if (!cq.Next(&tag, &ok) || !status.ok()) return "error " + std::to_string(status.error_code());
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return "undecodable";
  std::string out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

TEST_F(LimitsTest, HealthNamesWithoutAFeed) {
  Start({});
  const std::string serving("\x08\x01", 2);
  EXPECT_EQ(HealthOf(channel_, ""), serving);
  EXPECT_EQ(HealthOf(channel_, kHealthService), serving);
  EXPECT_EQ(HealthOf(channel_, kLivenessService), serving);
  EXPECT_EQ(metrics_->serving.Value(), 1);
}

}  // namespace
}  // namespace copydesk::lookup
