#include "lookup/store.h"

#include <gtest/gtest.h>

#include <set>

#include "lookup/tests/fixtures.h"

namespace copydesk::lookup {
namespace {

using testing::FakeTopic;
using testing::MakeEvent;
using testing::OpenStore;
using testing::TempDir;

TEST(ViewStore, AppliesEachStoryVersionOnce) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  FakeTopic topic(2);
  auto v1 = MakeEvent({.story = "s1", .version = 1, .headline = "first"});
  auto v2 = MakeEvent({.story = "s1", .version = 2, .kind = v1::EVENT_KIND_UPDATED, .headline = "second"});
  auto st = store->Apply({topic.Add(0, v1), topic.Add(0, v2)});
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->applied, 2);
  // A re-delivery of v1 with different content at a new offset changes nothing.
  auto again = MakeEvent({.story = "s1", .version = 1, .headline = "changed re-delivery"});
  st = store->Apply({topic.Add(0, again), topic.Add(0, v2)});
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->applied, 0);
  EXPECT_EQ(st->duplicates, 2);
  EXPECT_EQ(store->version_count(), 2u);
  EXPECT_EQ(store->story_count(), 1u);
  auto r = store->NewReader();
  auto a = r.Article("s1", 1, std::nullopt);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->article.headline(), "first");
  EXPECT_EQ(r.Article("s1", 0, std::nullopt)->article.headline(), "second");
  EXPECT_EQ(r.watermark().at(0), 4);
}

TEST(ViewStore, ReplayedOffsetsAreIgnored) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  auto v1 = MakeEvent({.story = "s1", .version = 1});
  ASSERT_TRUE(store->Apply({testing::Rec(0, 0, v1), testing::Rec(0, 1, MakeEvent({.story = "s2"}))}).ok());
  auto st = store->Apply({testing::Rec(0, 0, MakeEvent({.story = "other"})), testing::Rec(0, 1, v1)});
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->applied + st->duplicates + st->invalid, 0);
  EXPECT_FALSE(store->NewReader().Story("other"));
}

TEST(ViewStore, InvalidRecordsAdvanceTheOffset) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  auto st = store->Apply({InputRecord{0, 0, "\xff\xff not a protobuf"}, InputRecord{0, 1, ""},
                          testing::Rec(0, 2, MakeEvent({.story = "ok"}))});
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->invalid, 2);
  EXPECT_EQ(st->applied, 1);
  EXPECT_EQ(store->watermark().at(0), 3);
}

TEST(ViewStore, OffsetsAndDataSurviveReopen) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    ASSERT_TRUE(store->Apply({testing::Rec(1, 7, MakeEvent({.story = "s1"}))}).ok());
  }
  auto store = OpenStore(dir.path());
  EXPECT_EQ(store->StoredOffsets().at(1), 8);
  EXPECT_EQ(store->watermark().at(1), 8);
  EXPECT_TRUE(store->NewReader().Article("s1", 0, std::nullopt));
  EXPECT_EQ(store->story_count(), 1u);
}

TEST(ViewStore, VersionAndAsOf) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  FakeTopic topic(1);
  ASSERT_TRUE(store
                  ->Apply({topic.Add(0, MakeEvent({.story = "s", .version = 1, .versioncreated_ms = 1000})),
                           topic.Add(0, MakeEvent({.story = "s", .version = 2, .versioncreated_ms = 2000})),
                           topic.Add(0, MakeEvent({.story = "s", .version = 3, .versioncreated_ms = 3000}))})
                  .ok());
  auto r = store->NewReader();
  EXPECT_EQ(r.Article("s", 2, std::nullopt)->article.version(), 2u);
  EXPECT_FALSE(r.Article("s", 9, std::nullopt));
  EXPECT_EQ(r.Article("s", 0, int64_t{2500})->article.version(), 2u);
  EXPECT_EQ(r.Article("s", 0, int64_t{2000})->article.version(), 2u);
  EXPECT_EQ(r.Article("s", 0, int64_t{99999})->article.version(), 3u);
  EXPECT_FALSE(r.Article("s", 0, int64_t{999}));
  EXPECT_FALSE(r.Article("missing", 0, std::nullopt));
}

TEST(ViewStore, OutOfOrderVersionsKeepLatest) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  FakeTopic topic(1);
  ASSERT_TRUE(store
                  ->Apply({topic.Add(0, MakeEvent({.story = "s", .version = 2, .headline = "two"})),
                           topic.Add(0, MakeEvent({.story = "s", .version = 1, .headline = "one"}))})
                  .ok());
  auto r = store->NewReader();
  EXPECT_EQ(r.Article("s", 0, std::nullopt)->article.headline(), "two");
  auto rec = r.Story("s");
  ASSERT_EQ(rec->versions_size(), 2);
  EXPECT_EQ(rec->versions(0).version(), 1u);
  EXPECT_EQ(rec->versions(1).version(), 2u);
}

TEST(ViewStore, CancelMarksEveryVersion) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  FakeTopic topic(1);
  ASSERT_TRUE(
      store
          ->Apply({topic.Add(0, MakeEvent({.story = "s", .version = 1})),
                   topic.Add(0, MakeEvent({.story = "s", .version = 2})),
                   topic.Add(0, MakeEvent({.story = "s", .version = 3, .kind = v1::EVENT_KIND_CANCELED}))})
          .ok());
  auto r = store->NewReader();
  for (uint32_t v : {0u, 1u, 2u}) {
    auto a = r.Article("s", v, std::nullopt);
    ASSERT_TRUE(a) << v;
    EXPECT_TRUE(a->canceled) << v;
    EXPECT_EQ(a->article.pubstatus(), v1::PUB_STATUS_CANCELED);
  }
  EXPECT_EQ(r.Article("s", 0, std::nullopt)->article.version(), 2u);  // the latest article
  auto rec = r.Story("s");
  ASSERT_EQ(rec->versions_size(), 3);
  for (const auto& v : rec->versions()) EXPECT_TRUE(v.canceled());
  EXPECT_EQ(rec->versions(2).kind(), v1::EVENT_KIND_CANCELED);
  // A second cancel is a duplicate.
  auto st =
      store->Apply({topic.Add(0, MakeEvent({.story = "s", .version = 3, .kind = v1::EVENT_KIND_CANCELED}))});
  EXPECT_EQ(st->duplicates, 1);
}

TEST(ViewStore, UrlIndexNormalizes) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_TRUE(
      store->Apply({testing::Rec(0, 0, MakeEvent({.story = "s", .url = "https://example.com/news/a-story"}))})
          .ok());
  auto r = store->NewReader();
  EXPECT_EQ(r.StoryByUrl("https://example.com/news/a-story"), "s");
  EXPECT_EQ(r.StoryByUrl("https://EXAMPLE.com/news/a-story?utm_source=x#frag"), "s");
  EXPECT_FALSE(r.StoryByUrl("https://example.com/other"));
}

TEST(ViewStore, PagingIsStableAcrossConcurrentWrites) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  FakeTopic topic(3);
  std::vector<InputRecord> batch;
  std::set<std::string> expected;
  for (int i = 0; i < 25; ++i) {
    std::string id = "story-" + std::to_string(i);
    expected.insert(id);
    batch.push_back(topic.Add(i % 3, MakeEvent({.story = id})));
  }
  ASSERT_TRUE(store->Apply(batch).ok());
  std::multiset<std::string> seen;
  auto page = store->NewReader().List({}, 10, "", 0);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->articles.size(), 10u);
  for (const auto& a : page->articles) seen.insert(a.uri());
  // Concurrent writes: new stories and updates of stories on both sides of the cursor.
  ASSERT_TRUE(
      store
          ->Apply({topic.Add(0, MakeEvent({.story = "story-3", .version = 2})),
                   topic.Add(1, MakeEvent({.story = "story-20", .version = 2})),
                   topic.Add(2, MakeEvent({.story = "new-1"})), topic.Add(0, MakeEvent({.story = "new-2"}))})
          .ok());
  std::string token = page->next_page_token;
  while (!token.empty()) {
    auto next = store->NewReader().List({}, 10, token, 0);
    ASSERT_TRUE(next.ok()) << next.error().reason;
    for (const auto& a : next->articles) seen.insert(a.uri());
    token = next->next_page_token;
  }
  for (const auto& id : expected) EXPECT_EQ(seen.count(id), 1u) << id;
  EXPECT_EQ(seen.count("new-1"), 1u);  // new stories come last in arrival order
  EXPECT_EQ(seen.size(), 27u);
}

TEST(ViewStore, PageTokensAreCheckedAndExpire) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  std::vector<InputRecord> batch;
  batch.reserve(5);
  for (int i = 0; i < 5; ++i)
    batch.push_back(testing::Rec(0, i, MakeEvent({.story = "s" + std::to_string(i)})));
  ASSERT_TRUE(store->Apply(batch).ok());
  auto page = store->NewReader().List({}, 2, "", 1000);
  ASSERT_TRUE(page.ok());
  ASSERT_FALSE(page->next_page_token.empty());
  auto bad = store->NewReader().List({}, 2, "!!garbage!!", 1000);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().reason.rfind(kBadTokenPrefix, 0), 0u);
  v1::ArticleFilter other;
  other.set_language("fr");
  auto mismatch = store->NewReader().List(other, 2, page->next_page_token, 1000);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().reason.rfind(kBadTokenPrefix, 0), 0u);
  auto expired = store->NewReader().List({}, 2, page->next_page_token, 1000 + 3600 * 1000 + 1);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().reason.rfind(kStaleTokenPrefix, 0), 0u);
  ASSERT_TRUE(store->Wipe("cluster", "topic").ok());
  auto stale = store->NewReader().List({}, 2, page->next_page_token, 1000);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().reason.rfind(kStaleTokenPrefix, 0), 0u);
}

TEST(ViewStore, ListFilters) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  FakeTopic topic(1);
  ASSERT_TRUE(store
                  ->Apply({topic.Add(0, MakeEvent({.story = "a",
                                                   .versioncreated_ms = 1000,
                                                   .provider = "reuters",
                                                   .language = "en",
                                                   .section = {"World", "Europe"}})),
                           topic.Add(0, MakeEvent({.story = "b",
                                                   .versioncreated_ms = 2000,
                                                   .provider = "ap",
                                                   .language = "en",
                                                   .section = {"Business"}})),
                           topic.Add(0, MakeEvent({.story = "c",
                                                   .versioncreated_ms = 3000,
                                                   .provider = "reuters",
                                                   .language = "de",
                                                   .section = {"World"}}))})
                  .ok());
  auto ids = [&](const v1::ArticleFilter& f) {
    std::vector<std::string> out;
    auto page = store->NewReader().List(f, 50, "", 0);
    EXPECT_TRUE(page.ok());
    for (const auto& a : page->articles) out.push_back(a.uri());
    return out;
  };
  v1::ArticleFilter f;
  f.set_provider("reuters");
  EXPECT_EQ(ids(f), (std::vector<std::string>{"a", "c"}));
  f.set_language("EN");
  EXPECT_EQ(ids(f), (std::vector<std::string>{"a"}));
  v1::ArticleFilter s;
  s.add_section_path("world");
  EXPECT_EQ(ids(s), (std::vector<std::string>{"a", "c"}));
  s.add_section_path("Europe");
  EXPECT_EQ(ids(s), (std::vector<std::string>{"a"}));
  v1::ArticleFilter t;
  *t.mutable_updated_since() = testing::Ms(2000);
  EXPECT_EQ(ids(t), (std::vector<std::string>{"b", "c"}));
  *t.mutable_updated_until() = testing::Ms(3000);
  EXPECT_EQ(ids(t), (std::vector<std::string>{"b"}));
  // The provider index follows the latest version.
  ASSERT_TRUE(
      store->Apply({topic.Add(0, MakeEvent({.story = "b", .version = 2, .provider = "reuters"}))}).ok());
  v1::ArticleFilter p;
  p.set_provider("ap");
  EXPECT_TRUE(ids(p).empty());
  p.set_provider("reuters");
  EXPECT_EQ(ids(p), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(ViewStore, FindSimilarByMinHashAndSimHash) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  FakeTopic topic(1);
  ASSERT_TRUE(
      store
          ->Apply(
              {topic.Add(0, MakeEvent({.story = "a", .minhash = testing::Signature(0)})),
               topic.Add(0,
                         MakeEvent({.story = "near", .provider = "ap", .minhash = testing::Signature(1, 8)})),
               topic.Add(0, MakeEvent({.story = "far", .minhash = testing::Signature(2)})),
               topic.Add(0, MakeEvent({.story = "h1", .simhash = 0xffff0000ffff0000ull})),
               topic.Add(0, MakeEvent({.story = "h2", .simhash = 0xffff0000ffff0001ull})),
               topic.Add(0, MakeEvent({.story = "h3", .simhash = 0x0123456789abcdefull}))})
          .ok());
  auto r = store->NewReader();
  auto sim = r.Similar(*r.Story("a"), 10, 0.5);
  ASSERT_EQ(sim.size(), 1u);
  EXPECT_EQ(sim[0].story_id(), "near");
  EXPECT_NEAR(sim[0].similarity(), 120.0 / 128.0, 1e-9);
  EXPECT_EQ(sim[0].provider(), "ap");
  EXPECT_TRUE(r.Similar(*r.Story("a"), 10, 0.95).empty());
  auto hs = r.Similar(*r.Story("h1"), 10, 0.5);
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_EQ(hs[0].story_id(), "h2");
  // An update moves the signature: the old neighbour is gone.
  ASSERT_TRUE(store
                  ->Apply({topic.Add(
                      0, MakeEvent({.story = "near", .version = 2, .minhash = testing::Signature(3)}))})
                  .ok());
  EXPECT_TRUE(store->NewReader().Similar(*store->NewReader().Story("a"), 10, 0.5).empty());
}

TEST(ViewStore, EventLogByOffset) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  FakeTopic topic(2);
  ASSERT_TRUE(
      store
          ->Apply({topic.Add(0, MakeEvent({.story = "a"})), topic.Add(1, MakeEvent({.story = "b"})),
                   topic.Add(0, MakeEvent({.story = "a"})),  // duplicate: not logged
                   topic.Add(0, MakeEvent({.story = "a", .version = 2, .kind = v1::EVENT_KIND_UPDATED})),
                   topic.Add(0, MakeEvent({.story = "a", .version = 3, .kind = v1::EVENT_KIND_CANCELED}))})
          .ok());
  auto r = store->NewReader();
  std::vector<std::pair<int64_t, v1::EventKind>> got;
  r.Events(0, 0, 100, [&](LoggedEvent& le) {
    got.emplace_back(le.offset, le.event.kind());
    EXPECT_EQ(le.story.story_id(), "a");
    return true;
  });
  EXPECT_EQ(got,
            (std::vector<std::pair<int64_t, v1::EventKind>>{
                {0, v1::EVENT_KIND_CREATED}, {2, v1::EVENT_KIND_UPDATED}, {3, v1::EVENT_KIND_CANCELED}}));
  got.clear();
  r.Events(0, 1, 3, [&](LoggedEvent& le) {
    got.emplace_back(le.offset, le.event.kind());
    return true;
  });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, 2);
}

TEST(ViewStore, WipeStartsANewGeneration) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_TRUE(store->Apply({testing::Rec(0, 0, MakeEvent({.story = "a"}))}).ok());
  const uint64_t gen = store->generation();
  ASSERT_TRUE(store->Wipe("c2", "t").ok());
  EXPECT_NE(store->generation(), gen);
  EXPECT_TRUE(store->StoredOffsets().empty());
  EXPECT_FALSE(store->NewReader().Story("a"));
  EXPECT_EQ(store->ClusterId(), "c2");
  EXPECT_EQ(store->story_count(), 0u);
}

TEST(ViewStore, WaitForWatermark) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  const auto soon = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
  EXPECT_FALSE(store->WaitFor({{0, 1}}, soon, {}));
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    (void)store->Apply({testing::Rec(0, 0, MakeEvent({.story = "a"}))});
  });
  EXPECT_TRUE(store->WaitFor({{0, 1}}, std::chrono::steady_clock::now() + std::chrono::seconds(30), {}));
  writer.join();
  EXPECT_TRUE(store->Reached({{0, 1}}));
  EXPECT_FALSE(store->Reached({{0, 2}}));
}

// Before the feed has checked the stored offsets against the broker, a watermark (possibly of
// another cluster) is never "reached", even when the stale offsets are numerically higher.
TEST(ViewStore, WatermarkWaitsUntilValidated) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_TRUE(store
                  ->Apply({testing::Rec(0, 0, MakeEvent({.story = "a"})),
                           testing::Rec(0, 1, MakeEvent({.story = "b"}))})
                  .ok());
  EXPECT_TRUE(store->Reached({{0, 1}}));
  store->SetValidated(false);
  EXPECT_FALSE(store->Reached({{0, 1}}));
  EXPECT_FALSE(
      store->WaitFor({{0, 1}}, std::chrono::steady_clock::now() + std::chrono::milliseconds(50), {}));
  std::thread feed([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    store->SetValidated(true);
  });
  EXPECT_TRUE(store->WaitFor({{0, 1}}, std::chrono::steady_clock::now() + std::chrono::seconds(30), {}));
  feed.join();
}

}  // namespace
}  // namespace copydesk::lookup

namespace copydesk::lookup {
namespace {

v1::GetArticleResponse ParseLatest(const LatestArticle& l) {
  v1::GetArticleResponse r;
  EXPECT_TRUE(r.ParseFromArray(l.response_prefix.begin(), static_cast<int>(l.response_prefix.size())));
  return r;
}

// The GetArticle fast path: the cached bytes equal the general read, and every write that
// changes a story (new version, cancel, wipe) drops its cached entry.
TEST(ViewStore, HotCacheFollowsWrites) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  EXPECT_FALSE(store->Latest("a"));
  ASSERT_TRUE(store->Apply({testing::Rec(0, 0, MakeEvent({.story = "a", .headline = "one"}))}).ok());
  auto l1 = store->Latest("a");
  ASSERT_TRUE(l1);
  auto general = store->NewReader().Article("a", 0, std::nullopt);
  ASSERT_TRUE(general);
  EXPECT_EQ(ParseLatest(*l1).article().SerializeAsString(), general->article.SerializeAsString());
  const auto hits = store->hot_cache_stats().hits;
  auto again = store->Latest("a");  // served from the cache: the same slice
  ASSERT_TRUE(again);
  EXPECT_EQ(again->response_prefix.begin(), l1->response_prefix.begin());
  EXPECT_EQ(store->hot_cache_stats().hits, hits + 1);
  EXPECT_EQ(store->hot_cache_stats().entries, 1u);

  ASSERT_TRUE(
      store
          ->Apply({testing::Rec(
              0, 1,
              MakeEvent({.story = "a", .version = 2, .kind = v1::EVENT_KIND_UPDATED, .headline = "two"}))})
          .ok());
  auto l2 = store->Latest("a");
  ASSERT_TRUE(l2);
  EXPECT_EQ(ParseLatest(*l2).article().headline(), "two");
  EXPECT_EQ(ParseLatest(*l2).article().version(), 2u);
  EXPECT_FALSE(l2->canceled);

  ASSERT_TRUE(store
                  ->Apply({testing::Rec(
                      0, 2, MakeEvent({.story = "a", .version = 3, .kind = v1::EVENT_KIND_CANCELED}))})
                  .ok());
  auto l3 = store->Latest("a");
  ASSERT_TRUE(l3);
  EXPECT_TRUE(l3->canceled);
  EXPECT_TRUE(ParseLatest(*l3).canceled());
  EXPECT_EQ(ParseLatest(*l3).article().pubstatus(), v1::PUB_STATUS_CANCELED);

  ASSERT_TRUE(store->Wipe("c", "t").ok());
  EXPECT_FALSE(store->Latest("a"));
  EXPECT_EQ(store->hot_cache_stats().entries, 0u);
}

// Readers filling the cache while a writer adds versions never leave a stale entry behind: once
// the writes are done, Latest() returns the last version.
TEST(ViewStore, HotCacheIsNotLeftStaleByConcurrentReaders) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  constexpr int kVersions = 200;
  ASSERT_TRUE(store->Apply({testing::Rec(0, 0, MakeEvent({.story = "a", .headline = "v1"}))}).ok());
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  readers.reserve(3);
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!done.load()) (void)store->Latest("a");
    });
  }
  for (int v = 2; v <= kVersions; ++v) {
    ASSERT_TRUE(store
                    ->Apply({testing::Rec(0, v - 1,
                                          MakeEvent({.story = "a",
                                                     .version = static_cast<uint32_t>(v),
                                                     .kind = v1::EVENT_KIND_UPDATED,
                                                     .headline = "v" + std::to_string(v)}))})
                    .ok());
  }
  done = true;
  for (auto& r : readers) r.join();
  auto l = store->Latest("a");
  ASSERT_TRUE(l);
  EXPECT_EQ(ParseLatest(*l).article().headline(), "v" + std::to_string(kVersions));
  EXPECT_EQ(ParseLatest(*l).article().version(), static_cast<uint32_t>(kVersions));
}

TEST(ViewStore, WatermarkFieldIsTheResponseWatermark) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_TRUE(store->Apply({testing::Rec(2, 6, MakeEvent({.story = "a"}))}).ok());
  const grpc::Slice field = store->WatermarkField();
  v1::GetArticleResponse r;
  ASSERT_TRUE(r.ParseFromArray(field.begin(), static_cast<int>(field.size())));
  ASSERT_TRUE(r.has_watermark());
  EXPECT_EQ(r.watermark().offsets().at(2), 7);
}

}  // namespace
}  // namespace copydesk::lookup
