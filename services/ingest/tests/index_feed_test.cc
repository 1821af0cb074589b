#include "ingest/index_feed.h"

#include <gtest/gtest.h>

#include "dedup/index_format.h"
#include "ingest/pipeline.h"
#include "ingest/tests/fakes.h"

namespace copydesk::ingest {
namespace {

using testing::FakeCluster;

constexpr char kIndex[] = "news.dedup-index.v1";
constexpr int64_t kT0 = 1'700'000'000'000;

// The shared index documents the pipeline stages for one text input of `partition` (real dedup
// records, so that the document's owner partition is in its value), each call at a new offset.
std::vector<dedup::Mutation> DocumentsOf(int32_t partition, const std::string& title) {
  static int64_t offset = 0;
  dedup::MemoryStateStore store;
  dedup::Deduper deduper(store);
  Record in;
  in.topic = "news.raw.v1";
  in.partition = partition;
  in.offset = ++offset;
  in.timestamp_ms = kT0;
  in.value = title +
             "\n\nLONDON (Reuters) - The index feed test sends one plain-text story through the pipeline so "
             "that the deduper indexes it, with a body long enough to be accepted as an article and to "
             "give the document a near-duplicate signature for the shared index.\n";
  in.headers = {{"content-type", "text/plain"}};
  auto res = Process(in, deduper, PipelineOptions{});
  EXPECT_TRUE(res.ok());
  std::vector<dedup::Mutation> docs;
  for (auto& m : res.value().index_changes) {
    if (dedup::IsSharedIndexKey(m.key)) docs.push_back(std::move(m));
  }
  EXPECT_FALSE(docs.empty());
  return docs;
}

class IndexFeedTest : public ::testing::Test {
 protected:
  void SetUp() override { cluster_.partitions[kIndex] = 2; }

  void Publish(const Record& r) { cluster_.Append(kIndex, r.partition, r); }

  std::unique_ptr<SharedIndexFeed> Open() {
    auto feed = SharedIndexFeed::Open({.topic = kIndex, .memory_budget_bytes = 64 << 20, .store_path = ""},
                                      cluster_, clock_, gate_, identity_);
    EXPECT_TRUE(feed.ok()) << feed.error().reason;
    return feed.ok() ? std::move(feed.value()) : nullptr;
  }

  bool Has(SharedIndexFeed& feed, const std::string& key) {
    auto v = feed.store().Get(key);
    return v.ok() && v.value().has_value();
  }

  FakeClock clock_{kT0};
  FakeCluster cluster_;
  ProgressGate gate_{2000, 30000, clock_};
  WorkerIdentity identity_{"me", 42};
};

TEST_F(IndexFeedTest, StartUpReadsTheTopicToItsEndAndMarkersReachTheGate) {
  auto doc = DocumentsOf(2, "Storm closes the harbour").front();
  Record seed;
  seed.partition = 0;
  seed.key = doc.key;
  seed.value = doc.value;
  Publish(seed);
  Record marker;
  marker.partition = 0;
  marker.key = dedup::ProgressKey(2);
  marker.value = dedup::EncodeProgressValue(kT0 + 123, "other#1#1");
  Publish(marker);
  auto feed = Open();
  ASSERT_TRUE(feed);
  EXPECT_TRUE(Has(*feed, doc.key));
  EXPECT_EQ(gate_.progress(2), kT0 + 123);
  EXPECT_EQ(feed->records(), 2);
}

TEST_F(IndexFeedTest, RecordsForTheTopicKeepTheIndexFormat) {
  auto feed = Open();
  ASSERT_TRUE(feed);
  // A partition's documents and markers share index partition p mod n, in order.
  Record r = feed->ProgressRecord(5, kT0, identity_.Tag(3));
  EXPECT_EQ(r.topic, kIndex);
  EXPECT_EQ(r.partition, 1);
  EXPECT_EQ(*r.key, dedup::ProgressKey(5));
  EXPECT_EQ(*r.value, dedup::EncodeProgressValue(kT0, "me#42#3"));
  EXPECT_EQ(feed->DocumentRecord(4, "d/x", std::nullopt).partition, 0);
}

TEST_F(IndexFeedTest, TheWorkersOwnCopiesAreSkippedOnceItsOwnMarkerCameBack) {
  auto feed = Open();
  ASSERT_TRUE(feed);
  Partitions own;
  own[3].assignment = 5;
  auto first = DocumentsOf(3, "Council approves the budget");
  Publish(feed->DocumentRecord(3, first.front().key, first.front().value));
  feed->Drain(100, std::chrono::milliseconds(0), own);
  EXPECT_TRUE(Has(*feed, first.front().key))
      << "before its marker came back, the previous owner's documents count";
  Publish(feed->ProgressRecord(3, kT0, identity_.Tag(4)));
  feed->Drain(100, std::chrono::milliseconds(0), own);
  EXPECT_FALSE(own[3].progress_live) << "a marker of an earlier assignment";
  Publish(feed->ProgressRecord(3, kT0, identity_.Tag(5)));
  feed->Drain(100, std::chrono::milliseconds(0), own);
  EXPECT_TRUE(own[3].progress_live);
  auto second = DocumentsOf(3, "Bridge reopens after repairs");
  ASSERT_NE(second.front().key, first.front().key);
  Publish(feed->DocumentRecord(3, second.front().key, second.front().value));
  feed->Drain(100, std::chrono::milliseconds(0), own);
  EXPECT_FALSE(Has(*feed, second.front().key)) << "the worker writes its own documents itself";
  EXPECT_EQ(feed->skipped(), 1);
}

TEST_F(IndexFeedTest, OwnDocumentsAreWrittenBeforeADecisionCouldSeeThemOrWhenTheyWaitedAtASteadyRate) {
  auto feed = Open();
  ASSERT_TRUE(feed);
  auto docs = DocumentsOf(1, "Storm closes the harbour");
  const std::string key = docs.front().key;
  ASSERT_TRUE(feed->AddOwn(std::move(docs), kT0).ok());
  EXPECT_TRUE(feed->own_pending());
  ASSERT_TRUE(feed->FlushOwnBefore(kT0).ok());
  EXPECT_FALSE(Has(*feed, key)) << "a decision at τ - Δ = its τ cannot see it yet";
  ASSERT_TRUE(feed->FlushOwnIfSteady().ok());
  EXPECT_FALSE(Has(*feed, key)) << "it has not waited";
  ASSERT_TRUE(feed->FlushOwnBefore(kT0 + 1).ok());
  EXPECT_TRUE(Has(*feed, key));
  EXPECT_FALSE(feed->own_pending());

  auto more = DocumentsOf(1, "Bridge reopens after repairs");
  const std::string key2 = more.front().key;
  ASSERT_TRUE(feed->AddOwn(std::move(more), kT0 + 5000).ok());
  clock_.Advance(SharedIndexFeed::kOwnMaxAgeMs);
  ASSERT_TRUE(feed->FlushOwnIfSteady().ok());
  EXPECT_TRUE(Has(*feed, key2));
}

}  // namespace
}  // namespace copydesk::ingest
