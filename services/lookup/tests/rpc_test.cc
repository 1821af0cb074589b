// Each Lookup RPC through a real gRPC channel against an in-process server on port 0.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <fstream>
#include <set>
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

class RpcTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer({}); }

  void StartServer(std::vector<std::string> tokens) {
    server_.reset();
    if (!store_) {
      store_ = OpenStore(dir_.path());
      ASSERT_TRUE(store_);
      metrics_ = std::make_unique<LookupMetrics>(registry_);
    }
    ServerOptions o;
    o.address = "127.0.0.1:0";
    o.max_wait = std::chrono::milliseconds(2000);
    o.security.tokens = std::move(tokens);
    auto srv = LookupServer::Start(o, *store_, *metrics_);
    ASSERT_TRUE(srv.ok()) << srv.error().reason;
    server_ = std::move(*srv);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::Lookup::NewStub(channel_);
  }

  void Apply(const std::vector<InputRecord>& records) { ASSERT_TRUE(store_->Apply(records).ok()); }

  static std::unique_ptr<grpc::ClientContext> Ctx(int timeout_ms = 5000) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
    return ctx;
  }

  TempDir dir_;
  prometheus::Registry registry_;
  std::unique_ptr<ViewStore> store_;
  std::unique_ptr<LookupMetrics> metrics_;
  std::unique_ptr<LookupServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Lookup::Stub> stub_;
  FakeTopic topic_{2};
};

TEST_F(RpcTest, GetArticle) {
  Apply(
      {topic_.Add(0, MakeEvent({.story = "s", .version = 1, .headline = "one", .versioncreated_ms = 1000})),
       topic_.Add(0, MakeEvent({.story = "s", .version = 2, .headline = "two", .versioncreated_ms = 2000}))});
  v1::GetArticleRequest req;
  req.set_story_id("s");
  v1::GetArticleResponse resp;
  ASSERT_TRUE(stub_->GetArticle(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.article().headline(), "two");
  EXPECT_FALSE(resp.canceled());
  EXPECT_EQ(resp.watermark().offsets().at(0), 2);
  req.set_version(1);
  ASSERT_TRUE(stub_->GetArticle(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.article().headline(), "one");
  req.set_version(0);
  *req.mutable_as_of() = testing::Ms(1500);
  ASSERT_TRUE(stub_->GetArticle(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.article().version(), 1u);
  *req.mutable_as_of() = testing::Ms(500);
  EXPECT_EQ(stub_->GetArticle(Ctx().get(), req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  req.set_version(1);
  EXPECT_EQ(stub_->GetArticle(Ctx().get(), req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetArticleRequest missing;
  missing.set_story_id("nope");
  EXPECT_EQ(stub_->GetArticle(Ctx().get(), missing, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stub_->GetArticle(Ctx().get(), v1::GetArticleRequest(), &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RpcTest, CanceledStory) {
  Apply({topic_.Add(0, MakeEvent({.story = "s", .version = 1})),
         topic_.Add(0, MakeEvent({.story = "s", .version = 2, .kind = v1::EVENT_KIND_CANCELED}))});
  v1::GetArticleRequest req;
  req.set_story_id("s");
  v1::GetArticleResponse resp;
  ASSERT_TRUE(stub_->GetArticle(Ctx().get(), req, &resp).ok());
  EXPECT_TRUE(resp.canceled());
  EXPECT_EQ(resp.article().pubstatus(), v1::PUB_STATUS_CANCELED);
  v1::ListVersionsRequest lv;
  lv.set_story_id("s");
  v1::ListVersionsResponse versions;
  ASSERT_TRUE(stub_->ListVersions(Ctx().get(), lv, &versions).ok());
  ASSERT_EQ(versions.versions_size(), 2);
  EXPECT_TRUE(versions.versions(0).canceled());
  EXPECT_EQ(versions.versions(1).kind(), v1::EVENT_KIND_CANCELED);
}

TEST_F(RpcTest, GetArticleByUrlAndBatch) {
  Apply({topic_.Add(0, MakeEvent({.story = "a", .url = "https://news.example/a"})),
         topic_.Add(1, MakeEvent({.story = "b"}))});
  v1::GetArticleByUrlRequest ureq;
  ureq.set_url("https://NEWS.example/a?utm_campaign=x");
  v1::GetArticleByUrlResponse uresp;
  ASSERT_TRUE(stub_->GetArticleByUrl(Ctx().get(), ureq, &uresp).ok());
  EXPECT_EQ(uresp.article().uri(), "a");
  ureq.set_url("https://news.example/zzz");
  EXPECT_EQ(stub_->GetArticleByUrl(Ctx().get(), ureq, &uresp).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::BatchGetArticlesRequest breq;
  breq.add_story_ids("a");
  breq.add_story_ids("b");
  breq.add_story_ids("c");
  v1::BatchGetArticlesResponse bresp;
  ASSERT_TRUE(stub_->BatchGetArticles(Ctx().get(), breq, &bresp).ok());
  EXPECT_EQ(bresp.articles().size(), 2u);
  ASSERT_EQ(bresp.missing_size(), 1);
  EXPECT_EQ(bresp.missing(0), "c");
  EXPECT_EQ(bresp.watermark().offsets().at(1), 1);
}

TEST_F(RpcTest, ListArticlesPagesAndTokenErrors) {
  std::vector<InputRecord> batch;
  batch.reserve(12);
  for (int i = 0; i < 12; ++i)
    batch.push_back(topic_.Add(i % 2, MakeEvent({.story = "s" + std::to_string(i)})));
  Apply(batch);
  v1::ListArticlesRequest req;
  req.set_page_size(5);
  std::set<std::string> seen;
  int pages = 0;
  do {
    v1::ListArticlesResponse resp;
    ASSERT_TRUE(stub_->ListArticles(Ctx().get(), req, &resp).ok());
    for (const auto& a : resp.articles()) EXPECT_TRUE(seen.insert(a.uri()).second);
    req.set_page_token(resp.next_page_token());
    if (pages == 0) Apply({topic_.Add(0, MakeEvent({.story = "late"}))});
    ++pages;
  } while (!req.page_token().empty());
  EXPECT_EQ(seen.size(), 13u);
  EXPECT_EQ(pages, 3);
  v1::ListArticlesResponse resp;
  req.set_page_token("garbage$");
  EXPECT_EQ(stub_->ListArticles(Ctx().get(), req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // A token from before a rebuild is stale.
  req.set_page_token("");
  ASSERT_TRUE(stub_->ListArticles(Ctx().get(), req, &resp).ok());
  ASSERT_TRUE(store_->Wipe("other", "t").ok());
  req.set_page_token(resp.next_page_token());
  EXPECT_EQ(stub_->ListArticles(Ctx().get(), req, &resp).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(RpcTest, FindSimilar) {
  Apply({topic_.Add(0, MakeEvent({.story = "a", .minhash = testing::Signature(0)})),
         topic_.Add(0, MakeEvent({.story = "b", .minhash = testing::Signature(1, 4)})),
         topic_.Add(0, MakeEvent({.story = "c", .minhash = testing::Signature(5)}))});
  v1::FindSimilarRequest req;
  req.set_story_id("a");
  v1::FindSimilarResponse resp;
  ASSERT_TRUE(stub_->FindSimilar(Ctx().get(), req, &resp).ok());
  ASSERT_EQ(resp.similar_size(), 1);
  EXPECT_EQ(resp.similar(0).story_id(), "b");
  req.set_min_similarity(2);
  EXPECT_EQ(stub_->FindSimilar(Ctx().get(), req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  req.set_min_similarity(0);
  req.set_story_id("zzz");
  EXPECT_EQ(stub_->FindSimilar(Ctx().get(), req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RpcTest, MinWatermarkWaitsForTheWrite) {
  v1::GetArticleRequest req;
  req.set_story_id("w");
  (*req.mutable_read()->mutable_min_watermark()->mutable_offsets())[1] = 1;
  v1::GetArticleResponse resp;
  // Not applied within the deadline.
  EXPECT_EQ(stub_->GetArticle(Ctx(100).get(), req, &resp).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Apply({topic_.Add(1, MakeEvent({.story = "w", .headline = "written"}))});
  });
  grpc::Status st = stub_->GetArticle(Ctx(10000).get(), req, &resp);
  writer.join();
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.article().headline(), "written");
  EXPECT_GE(resp.watermark().offsets().at(1), 1);
}

TEST_F(RpcTest, WatchFromAWatermarkAndLive) {
  Apply(
      {topic_.Add(0, MakeEvent({.story = "a"})), topic_.Add(1, MakeEvent({.story = "b", .provider = "ap"}))});
  v1::WatchArticlesRequest req;
  (*req.mutable_from()->mutable_offsets())[0] = 0;
  (*req.mutable_from()->mutable_offsets())[1] = 0;
  req.mutable_filter()->set_provider("reuters");
  auto ctx = Ctx(10000);
  auto reader = stub_->WatchArticles(ctx.get(), req);
  v1::WatchArticlesResponse msg;
  ASSERT_TRUE(reader->Read(&msg));
  EXPECT_EQ(msg.event().story_id(), "a");
  EXPECT_EQ(msg.watermark().offsets().at(0), 1);
  Apply({topic_.Add(1, MakeEvent({.story = "c"})),
         topic_.Add(0, MakeEvent({.story = "a", .version = 2, .kind = v1::EVENT_KIND_CANCELED}))});
  std::set<std::string> got;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(reader->Read(&msg));
    got.insert(msg.event().story_id() + ":" + v1::EventKind_Name(msg.event().kind()));
  }
  EXPECT_EQ(got, (std::set<std::string>{"c:EVENT_KIND_CREATED", "a:EVENT_KIND_CANCELED"}));
  ctx->TryCancel();
  while (reader->Read(&msg)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(RpcTest, HealthIsServing) {
  grpc::GenericStub generic(channel_);
  grpc::CompletionQueue cq;
  auto ctx = Ctx();
  grpc::Slice empty{std::string()};  // an empty HealthCheckRequest: the whole server
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  auto call = generic.PrepareUnaryCall(ctx.get(), "/grpc.health.v1.Health/Check", request, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  ASSERT_TRUE(cq.Next(&tag, &ok));
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));  // status: SERVING
}

TEST_F(RpcTest, BearerTokens) {
  StartServer({"secret-one", "secret-two"});
  Apply({topic_.Add(0, MakeEvent({.story = "a"}))});
  v1::GetArticleRequest req;
  req.set_story_id("a");
  v1::GetArticleResponse resp;
  EXPECT_EQ(stub_->GetArticle(Ctx().get(), req, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  auto wrong = Ctx();
  wrong->AddMetadata("authorization", "Bearer secret-three");
  EXPECT_EQ(stub_->GetArticle(wrong.get(), req, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  auto basic = Ctx();
  basic->AddMetadata("authorization", "Basic secret-two");
  EXPECT_EQ(stub_->GetArticle(basic.get(), req, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  auto right = Ctx();
  right->AddMetadata("authorization", "Bearer secret-two");
  EXPECT_TRUE(stub_->GetArticle(right.get(), req, &resp).ok());
  // Watch is protected too.
  v1::WatchArticlesRequest wreq;
  auto wctx = Ctx();
  auto reader = stub_->WatchArticles(wctx.get(), wreq);
  v1::WatchArticlesResponse msg;
  EXPECT_FALSE(reader->Read(&msg));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST(Tokens, ParseAndLoad) {
  EXPECT_EQ(ParseTokens(" a, b ,,c\n d"), (std::vector<std::string>{"a", "b", "c", "d"}));
  TempDir dir;
  const std::string path = dir.path() + "/tokens";
  {
    std::ofstream out(path);
    out << "# comment\n\ntok-1\n  tok-2  \n";
  }
  auto t = LoadTokenFile(path);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, (std::vector<std::string>{"tok-1", "tok-2"}));
  EXPECT_FALSE(LoadTokenFile(dir.path() + "/missing").ok());
}

}  // namespace
}  // namespace copydesk::lookup
