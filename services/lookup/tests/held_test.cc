// The held view (embargoed stories held by the ingest workers) and the `embargoed` scope: the
// view itself (latest record per key, tombstones, listing), and every read over a real channel
// with ordinary, embargoed, missing and no tokens.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <set>

#include "copydesk/v1/lookup.grpc.pb.h"
#include "lookup/held_view.h"
#include "lookup/service.h"
#include "lookup/tests/fixtures.h"

namespace copydesk::lookup {
namespace {

using testing::FakeTopic;
using testing::MakeEvent;
using testing::OpenStore;
using testing::TempDir;

v1::HeldStory Held(const std::string& story, uint32_t version, const std::string& headline,
                   const std::string& provider = "reuters") {
  v1::HeldStory h;
  h.set_story_id(story);
  *h.mutable_article() =
      MakeEvent({.story = story, .version = version, .headline = headline, .provider = provider}).article();
  for (uint32_t v = 1; v <= version; ++v) h.add_versions(v);
  h.set_published_before(version > 1);
  *h.mutable_release_time() = testing::Ms(1'900'000'000'000);
  return h;
}

// Appends held-topic records with consecutive offsets per partition.
class HeldTopic {
 public:
  HeldRecord Put(int32_t partition, const v1::HeldStory& h) {
    return {partition, next_[partition]++, h.story_id(), h.SerializeAsString()};
  }
  HeldRecord Tombstone(int32_t partition, const std::string& story) {
    return {partition, next_[partition]++, story, std::nullopt};
  }

 private:
  std::map<int32_t, int64_t> next_;
};

std::vector<std::string> Uris(const ListPage& page) {
  std::vector<std::string> out;
  for (const auto& a : page.articles) out.push_back(a.uri());
  return out;
}

TEST(HeldView, LatestRecordPerKeyWinsAndTombstonesRemove) {
  HeldView view;
  HeldTopic t;
  auto s = view.Apply(
      {t.Put(0, Held("a", 1, "a one")), t.Put(1, Held("b", 1, "b one")), t.Put(0, Held("a", 2, "a two"))});
  EXPECT_EQ(s.upserts, 3);
  ASSERT_NE(view.Get("a"), nullptr);
  EXPECT_EQ(view.Get("a")->article().headline(), "a two");
  EXPECT_EQ(HeldVersion(*view.Get("a")), 2u);
  EXPECT_EQ(view.size(), 2u);
  s = view.Apply({t.Tombstone(0, "a"), t.Tombstone(0, "never-held")});
  EXPECT_EQ(s.removals, 1);
  EXPECT_EQ(view.Get("a"), nullptr);
  EXPECT_EQ(view.offsets(), (Offsets{{0, 4}, {1, 1}}));
  // A replay below the next offset changes nothing (the held "a" stays removed).
  view.Apply({HeldRecord{0, 0, "a", Held("a", 1, "a one").SerializeAsString()}});
  EXPECT_EQ(view.Get("a"), nullptr);
  // An unreadable latest record hides the older held version rather than keep it.
  s = view.Apply({HeldRecord{1, 1, "b", std::string("\xff\xff\xff", 3)}, HeldRecord{1, 2, "", std::nullopt}});
  EXPECT_EQ(s.invalid, 2);
  EXPECT_EQ(view.Get("b"), nullptr);
  // The key is the identity; the article's uri and version are filled in when absent.
  v1::HeldStory bare;
  bare.add_versions(4);
  bare.mutable_article()->set_headline("bare");
  view.Apply({HeldRecord{1, 3, "c", bare.SerializeAsString()}});
  ASSERT_NE(view.Get("c"), nullptr);
  EXPECT_EQ(view.Get("c")->story_id(), "c");
  const v1::Article a = HeldArticle(*view.Get("c"), "c");
  EXPECT_EQ(a.uri(), "c");
  EXPECT_EQ(a.version(), 4u);
  view.Reset("cluster-2");
  EXPECT_EQ(view.size(), 0u);
  EXPECT_TRUE(view.offsets().empty());
  EXPECT_EQ(view.cluster_id(), "cluster-2");
}

TEST(HeldView, ListsByStoryIdWithFilterPagesAndTokenErrors) {
  HeldView view(/*page_token_ttl_ms=*/1000);
  HeldTopic t;
  std::vector<HeldRecord> recs;
  for (const char* id : {"s5", "s1", "s4", "s2", "s3"}) recs.push_back(t.Put(0, Held(id, 1, id, "reuters")));
  recs.push_back(t.Put(0, Held("s0", 1, "s0", "ap")));
  view.Apply(recs);
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = view.List({}, 4, token, 100);
    ASSERT_TRUE(page.ok()) << page.error().reason;
    for (auto& u : Uris(*page)) seen.push_back(u);
    token = page->next_page_token;
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"s0", "s1", "s2", "s3", "s4", "s5"}));
  EXPECT_EQ(pages, 2);
  v1::ArticleFilter ap;
  ap.set_provider("ap");
  auto page = view.List(ap, 10, "", 100);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Uris(*page), (std::vector<std::string>{"s0"}));
  // A story held after a page was served comes in its place in story-id order.
  page = view.List({}, 2, "", 100);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Uris(*page), (std::vector<std::string>{"s0", "s1"}));
  view.Apply({t.Put(0, Held("s15", 1, "late")), t.Tombstone(0, "s2")});
  auto next = view.List({}, 2, page->next_page_token, 100);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(Uris(*next), (std::vector<std::string>{"s15", "s3"}));
  // Token errors: another filter, garbage, expired.
  auto other = view.List(ap, 2, page->next_page_token, 100);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().reason.rfind(kBadTokenPrefix, 0), 0u);
  auto garbage = view.List({}, 2, "garbage$", 100);
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().reason.rfind(kBadTokenPrefix, 0), 0u);
  auto expired = view.List({}, 2, page->next_page_token, 100 + 1001);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().reason.rfind(kStaleTokenPrefix, 0), 0u);
}

// The gRPC service over a public view and a held view.
class EmbargoedScopeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenStore(dir_.path());
    ASSERT_TRUE(store_);
    metrics_ = std::make_unique<LookupMetrics>(registry_);
    // Public: "pub" v1, "mixed" v1..v2. Held: "mixed" v3 (published before), "secret" v1 (never).
    ASSERT_TRUE(
        store_
            ->Apply({topic_.Add(0, MakeEvent({.story = "pub", .headline = "public"})),
                     topic_.Add(0, MakeEvent({.story = "mixed", .version = 1, .headline = "mixed one"})),
                     topic_.Add(1, MakeEvent({.story = "mixed", .version = 2, .headline = "mixed two"}))})
            .ok());
    held_.Apply({held_topic_.Put(0, Held("secret", 1, "secret one", "ap")),
                 held_topic_.Put(1, Held("mixed", 3, "mixed three"))});
    StartServer({"plain"}, {"emb"});
  }

  void StartServer(std::vector<std::string> tokens, std::vector<std::string> embargoed) {
    server_.reset();
    ServerOptions o;
    o.address = "127.0.0.1:0";
    o.security.tokens = std::move(tokens);
    o.security.embargoed_tokens = std::move(embargoed);
    auto srv = LookupServer::Start(o, *store_, *metrics_, nullptr, &held_);
    ASSERT_TRUE(srv.ok()) << srv.error().reason;
    server_ = std::move(*srv);
    stub_ = v1::Lookup::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                                    grpc::InsecureChannelCredentials()));
  }

  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    return ctx;
  }

  grpc::Status Get(const std::string& token, const std::string& id, v1::GetArticleResponse* resp,
                   uint32_t version = 0) {
    v1::GetArticleRequest req;
    req.set_story_id(id);
    req.set_version(version);
    return stub_->GetArticle(Ctx(token).get(), req, resp);
  }

  grpc::Status List(const std::string& token, bool held, v1::ListArticlesResponse* resp,
                    uint32_t page_size = 0, const std::string& page_token = "") {
    v1::ListArticlesRequest req;
    req.set_held(held);
    req.set_page_size(page_size);
    req.set_page_token(page_token);
    return stub_->ListArticles(Ctx(token).get(), req, resp);
  }

  static std::set<std::string> Uris(const v1::ListArticlesResponse& resp) {
    std::set<std::string> out;
    for (const auto& a : resp.articles()) out.insert(a.uri());
    return out;
  }

  double MissingScope() { return metrics_->auth_rejected.Get("missing_scope").Value(); }

  TempDir dir_;
  prometheus::Registry registry_;
  std::unique_ptr<ViewStore> store_;
  std::unique_ptr<LookupMetrics> metrics_;
  HeldView held_;
  HeldTopic held_topic_;
  FakeTopic topic_{2};
  std::unique_ptr<LookupServer> server_;
  std::unique_ptr<v1::Lookup::Stub> stub_;
};

TEST_F(EmbargoedScopeTest, OrdinaryTokenSeesThePublicViewOnly) {
  v1::GetArticleResponse resp;
  EXPECT_EQ(Get("plain", "secret", &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Get("plain", "mixed", &resp).ok());
  EXPECT_EQ(resp.article().headline(), "mixed two");
  EXPECT_FALSE(resp.held());
  EXPECT_EQ(Get("plain", "mixed", &resp, 3).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::BatchGetArticlesRequest breq;
  breq.add_story_ids("secret");
  breq.add_story_ids("mixed");
  v1::BatchGetArticlesResponse bresp;
  ASSERT_TRUE(stub_->BatchGetArticles(Ctx("plain").get(), breq, &bresp).ok());
  EXPECT_EQ(bresp.articles().at("mixed").headline(), "mixed two");
  EXPECT_EQ(bresp.missing_size(), 1);
  EXPECT_EQ(bresp.held_size(), 0);
  v1::ListArticlesResponse list;
  ASSERT_TRUE(List("plain", false, &list).ok());
  EXPECT_EQ(Uris(list), (std::set<std::string>{"pub", "mixed"}));
  EXPECT_EQ(list.articles(1).headline(), "mixed two");
  const double before = MissingScope();
  grpc::Status st = List("plain", true, &list);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(st.error_message().find("embargoed scope"), std::string::npos) << st.error_message();
  EXPECT_EQ(MissingScope(), before + 1);
}

TEST_F(EmbargoedScopeTest, EmbargoedTokenReadsAndListsHeldStories) {
  v1::GetArticleResponse resp;
  ASSERT_TRUE(Get("emb", "secret", &resp).ok());
  EXPECT_TRUE(resp.held());
  EXPECT_EQ(resp.article().headline(), "secret one");
  EXPECT_EQ(resp.article().uri(), "secret");
  ASSERT_TRUE(Get("emb", "mixed", &resp).ok());
  EXPECT_TRUE(resp.held());
  EXPECT_EQ(resp.article().version(), 3u);
  EXPECT_EQ(resp.article().headline(), "mixed three");
  ASSERT_TRUE(Get("emb", "mixed", &resp, 3).ok());
  EXPECT_TRUE(resp.held());
  ASSERT_TRUE(Get("emb", "mixed", &resp, 2).ok());  // published versions stay readable
  EXPECT_FALSE(resp.held());
  EXPECT_EQ(resp.article().headline(), "mixed two");
  ASSERT_TRUE(Get("emb", "pub", &resp).ok());  // not held: the public article (fast path)
  EXPECT_FALSE(resp.held());
  EXPECT_EQ(resp.article().headline(), "public");
  // as_of reads published versions only.
  v1::GetArticleRequest as_of;
  as_of.set_story_id("secret");
  *as_of.mutable_as_of() = testing::Ms(2'000'000'000'000);
  EXPECT_EQ(stub_->GetArticle(Ctx("emb").get(), as_of, &resp).error_code(), grpc::StatusCode::NOT_FOUND);

  v1::BatchGetArticlesRequest breq;
  for (const char* id : {"secret", "mixed", "pub", "nope"}) breq.add_story_ids(id);
  v1::BatchGetArticlesResponse bresp;
  ASSERT_TRUE(stub_->BatchGetArticles(Ctx("emb").get(), breq, &bresp).ok());
  EXPECT_EQ(bresp.articles().at("secret").headline(), "secret one");
  EXPECT_EQ(bresp.articles().at("mixed").headline(), "mixed three");
  EXPECT_EQ(bresp.articles().at("pub").headline(), "public");
  EXPECT_EQ(std::set<std::string>(bresp.held().begin(), bresp.held().end()),
            (std::set<std::string>{"secret", "mixed"}));
  ASSERT_EQ(bresp.missing_size(), 1);

  // The held listing: story-id order, paged; the public listing stays public.
  v1::ListArticlesResponse list;
  ASSERT_TRUE(List("emb", true, &list, 1).ok());
  ASSERT_EQ(list.articles_size(), 1);
  EXPECT_EQ(list.articles(0).uri(), "mixed");
  ASSERT_FALSE(list.next_page_token().empty());
  const std::string held_token = list.next_page_token();
  ASSERT_TRUE(List("emb", true, &list, 1, held_token).ok());
  ASSERT_EQ(list.articles_size(), 1);
  EXPECT_EQ(list.articles(0).uri(), "secret");
  EXPECT_TRUE(list.next_page_token().empty());
  EXPECT_FALSE(list.watermark().offsets().empty());
  // A held token does not page the public listing, and the other way round.
  EXPECT_EQ(List("emb", false, &list, 1, held_token).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(List("emb", false, &list, 1).ok());
  EXPECT_EQ(List("emb", true, &list, 1, list.next_page_token()).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(List("emb", false, &list).ok());
  EXPECT_EQ(Uris(list), (std::set<std::string>{"pub", "mixed"}));
  // The filter applies to the held article.
  v1::ListArticlesRequest ap;
  ap.set_held(true);
  ap.mutable_filter()->set_provider("ap");
  ASSERT_TRUE(stub_->ListArticles(Ctx("emb").get(), ap, &list).ok());
  EXPECT_EQ(Uris(list), (std::set<std::string>{"secret"}));
}

TEST_F(EmbargoedScopeTest, ReleaseAndTombstone) {
  v1::GetArticleResponse resp;
  // The release reaches the events view before the held tombstone: the public version wins.
  ASSERT_TRUE(
      store_->Apply({topic_.Add(1, MakeEvent({.story = "mixed", .version = 3, .headline = "released"}))})
          .ok());
  ASSERT_TRUE(Get("emb", "mixed", &resp).ok());
  EXPECT_FALSE(resp.held());
  EXPECT_EQ(resp.article().headline(), "released");
  ASSERT_TRUE(Get("plain", "mixed", &resp).ok());
  EXPECT_EQ(resp.article().headline(), "released");
  // A tombstone (released or dropped) takes the held story away.
  held_.Apply({held_topic_.Tombstone(0, "secret"), held_topic_.Tombstone(1, "mixed")});
  EXPECT_EQ(Get("emb", "secret", &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::ListArticlesResponse list;
  ASSERT_TRUE(List("emb", true, &list).ok());
  EXPECT_EQ(list.articles_size(), 0);
}

TEST_F(EmbargoedScopeTest, NoTokensMeansNoScope) {
  StartServer({}, {});
  v1::GetArticleResponse resp;
  EXPECT_EQ(Get("", "secret", &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Get("emb", "secret", &resp).error_code(), grpc::StatusCode::NOT_FOUND);  // not a token here
  ASSERT_TRUE(Get("", "mixed", &resp).ok());
  EXPECT_EQ(resp.article().headline(), "mixed two");
  v1::ListArticlesResponse list;
  EXPECT_EQ(List("", true, &list).error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(EmbargoedScopeTest, OnlyEmbargoedTokensTurnAuthenticationOn) {
  StartServer({}, {"emb"});
  v1::GetArticleResponse resp;
  EXPECT_EQ(Get("", "pub", &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Get("plain", "pub", &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(Get("emb", "secret", &resp).ok());
  EXPECT_TRUE(resp.held());
}

TEST_F(EmbargoedScopeTest, NotReadyUntilTheHeldViewIsComplete) {
  held_.SetComplete(false);
  v1::GetArticleResponse resp;
  EXPECT_EQ(Get("plain", "pub", &resp).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Get("emb", "secret", &resp).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Get("emb", "secret", &resp, 1).error_code(), grpc::StatusCode::UNAVAILABLE);
  held_.SetComplete(true);
  EXPECT_TRUE(Get("emb", "secret", &resp).ok());
}

}  // namespace
}  // namespace copydesk::lookup
