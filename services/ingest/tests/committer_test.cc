// The two delivery modes against fakes of Kafka (tests/fakes.h) and real partition stores.
#include "ingest/committer.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "dedup/index_format.h"
#include "dedup/partition_store.h"
#include "ingest/checkpoint.h"
#include "ingest/tests/fakes.h"

namespace copydesk::ingest {
namespace {

using testing::FakeCluster;
using testing::FakeOffsetCommitter;
using testing::FakeSink;
using testing::FakeSource;
using testing::FakeTransactions;

constexpr char kChangelog[] = "news.dedup-changelog.v1";
constexpr char kIndex[] = "news.dedup-index.v1";
constexpr char kArticles[] = "news.articles.v1";
constexpr int64_t kT0 = 1'700'000'000'000;

Record Input(int64_t offset) {
  Record in;
  in.topic = "news.raw.v1";
  in.partition = 0;
  in.offset = offset;
  in.timestamp_ms = kT0 + offset;
  return in;
}

std::vector<Record> Outputs(int64_t offset) {
  Record out;
  out.topic = kArticles;
  out.partition = 0;
  out.key = "story-" + std::to_string(offset);
  out.value = "article";
  return {out};
}

class CommitterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.partitions[kIndex] = 1;
    auto feed = SharedIndexFeed::Open({.topic = kIndex, .memory_budget_bytes = 1 << 20, .store_path = ""},
                                      cluster_, clock_, gate_, identity_);
    ASSERT_TRUE(feed.ok());
    feed_ = std::move(feed.value());
  }

  void MakePartition(bool track_changes) {
    auto store = dedup::PartitionStore::Open(std::make_unique<dedup::MemoryStateStore>());
    ASSERT_TRUE(store.ok());
    Partition& p = partitions_[0];
    p.store = std::make_unique<OverlayStore>(std::move(store.value()));
    p.store->TrackChanges(track_changes);
    p.deduper = std::make_unique<dedup::Deduper>(*p.store);
    p.committed_next = 10;
    p.has_committed = true;
  }

  CommitContext Context() {
    return CommitContext{.changelog_topic = kChangelog,
                         .commit_interval_ms = 100,
                         .sink = sink_,
                         .offsets = offsets_,
                         .source = source_,
                         .cluster = cluster_,
                         .partitions = partitions_,
                         .probe = probe_,
                         .clock = clock_,
                         .budget = budget_,
                         .fatal = fatal_,
                         .identity = identity_,
                         .gate = &gate_,
                         .feed = feed_.get()};
  }

  // Decides input `offset` of partition 0: stages a state change (and a document every 2nd) and
  // adds it with one output.
  Status Decide(Committer& c, int64_t offset) {
    Partition& p = partitions_[0];
    dedup::MutationBatch b;
    b.Put("z/state-" + std::to_string(offset), "v");
    if (offset % 2 == 0) b.Put("d/doc-" + std::to_string(offset), "document");
    EXPECT_TRUE(p.store->Apply(b).ok());
    return c.Add(0, p, Input(offset), Outputs(offset));
  }

  std::string Persisted(const std::string& key) {
    auto v = partitions_[0].store->base().Get(key);
    return v.ok() && v.value() ? *v.value() : "<none>";
  }

  // The position in the sink's log of the first entry starting with `what`.
  int64_t Position(const std::string& what) {
    auto it =
        std::find_if(sink_.log.begin(), sink_.log.end(), [&](const auto& e) { return e.starts_with(what); });
    return it == sink_.log.end() ? -1 : it - sink_.log.begin();
  }

  FakeClock clock_{kT0};
  FakeSink sink_;
  FakeTransactions txn_;
  FakeOffsetCommitter offsets_;
  FakeSource source_;
  FakeCluster cluster_;
  prometheus::Registry registry_;
  metrics::IngestMetrics metrics_{registry_};
  WorkerProbe probe_{metrics_};
  BandBudget budget_{false, 0, 0, clock_};
  FatalError fatal_;
  WorkerIdentity identity_{"me", 1};
  ProgressGate gate_{2000, 30000, clock_};
  std::unique_ptr<SharedIndexFeed> feed_;
  Partitions partitions_;
};

TEST_F(CommitterTest, TransactionalOutputsWaitForTheCommitWhichSendsTheStateFirst) {
  MakePartition(false);
  auto c = MakeTransactionalCommitter(Context(), txn_);
  ASSERT_TRUE(c->Open().ok());
  ASSERT_TRUE(Decide(*c, 10).ok());
  ASSERT_TRUE(Decide(*c, 11).ok());
  EXPECT_TRUE(sink_.sent.empty()) << "nothing is sent before the commit";
  ASSERT_TRUE(c->Commit().ok());
  EXPECT_EQ(txn_.calls, (std::vector<std::string>{"begin", "send_offsets", "commit"}));
  ASSERT_EQ(txn_.offsets.size(), 1u);
  EXPECT_EQ(txn_.offsets[0], (std::vector<PartitionOffset>{{0, 12}}));
  // The state changes (with the input offset they reach) and the document's index copy, the
  // progress marker after them, all acknowledged (flush) before the first output.
  const auto changelog = sink_.To(kChangelog);
  ASSERT_EQ(changelog.size(), 3u);
  EXPECT_EQ(changelog[0].HeaderValue(kInputOffsetHeader), "12");
  const auto index = sink_.To(kIndex);
  ASSERT_EQ(index.size(), 2u);
  EXPECT_EQ(*index[0].key, "d/doc-10");
  EXPECT_EQ(*index[1].key, dedup::ProgressKey(0));
  EXPECT_LT(Position("send " + std::string(kIndex)), Position("flush"));
  EXPECT_LT(Position("flush"), Position("send " + std::string(kArticles)));
  EXPECT_EQ(sink_.To(kArticles).size(), 2u);
  // Closed: offsets, local state and its checkpoint.
  Partition& p = partitions_[0];
  EXPECT_EQ(p.committed_next, 12);
  EXPECT_FALSE(p.in_batch());
  EXPECT_FALSE(c->open());
  EXPECT_EQ(Persisted("z/state-11"), "v");
  EXPECT_EQ(Persisted(CheckpointKey()), "s4:test-cluster/12/3");
  EXPECT_EQ(offsets_.commits.back(), (std::vector<PartitionOffset>{{0, 12}}));
  EXPECT_EQ(metrics_.txn_commits.Value(), 1.0);
}

TEST_F(CommitterTest, TransactionalAbortableFailureKeepsTheStateStagedAndAFailedAbortIsRetried) {
  MakePartition(false);
  auto c = MakeTransactionalCommitter(Context(), txn_);
  ASSERT_TRUE(c->Open().ok());
  ASSERT_TRUE(Decide(*c, 10).ok());
  txn_.FailNext("commit", Transactions::ErrorKind::kAbortable);
  ASSERT_FALSE(c->Commit().ok());
  EXPECT_TRUE(fatal_.ok()) << "abortable is not fatal";
  txn_.FailNext("abort", Transactions::ErrorKind::kRetriable);
  c->Abort();
  EXPECT_FALSE(c->open());
  EXPECT_EQ(partitions_[0].store->Pending().size(), 2u) << "an abort keeps the decisions staged";
  EXPECT_EQ(Persisted("z/state-10"), "<none>");
  txn_.calls.clear();
  ASSERT_TRUE(c->Open().ok());
  EXPECT_EQ(txn_.calls, (std::vector<std::string>{"abort", "begin"})) << "the failed abort first";
  EXPECT_EQ(metrics_.txn_aborts.Value(), 1.0);
}

TEST_F(CommitterTest, TransactionalFencedProducerIsFatal) {
  MakePartition(false);
  auto c = MakeTransactionalCommitter(Context(), txn_);
  ASSERT_TRUE(c->Open().ok());
  ASSERT_TRUE(Decide(*c, 10).ok());
  txn_.FailNext("commit", Transactions::ErrorKind::kFatal);
  ASSERT_FALSE(c->Commit().ok());
  EXPECT_FALSE(fatal_.ok());
  EXPECT_EQ(metrics_.txn_fenced.Value(), 1.0);
}

TEST_F(CommitterTest, TransactionalLargeBatchPersistsTheSameState) {
  MakePartition(false);
  auto c = MakeTransactionalCommitter(Context(), txn_);
  ASSERT_TRUE(c->Open().ok());
  for (int64_t off = 10; off < 10 + 200; ++off) ASSERT_TRUE(Decide(*c, off).ok());  // the writer thread
  ASSERT_TRUE(c->Commit().ok());
  EXPECT_EQ(Persisted("z/state-209"), "v");
  EXPECT_EQ(Persisted(CheckpointKey()), "s4:test-cluster/210/300");
  EXPECT_TRUE(partitions_[0].store->nothing_staged());
}

TEST_F(CommitterTest, AtLeastOnceOutputsFollowTheAcknowledgementOfTheStateSentBeforeThem) {
  MakePartition(true);
  auto c = MakeAtLeastOnceCommitter(Context());
  ASSERT_TRUE(c->Open().ok());
  ASSERT_TRUE(Decide(*c, 10).ok());
  EXPECT_EQ(sink_.To(kChangelog).size(), 2u) << "the state goes out as the input is decided";
  EXPECT_TRUE(sink_.To(kArticles).empty()) << "not acknowledged yet";
  EXPECT_TRUE(c->waiting());
  sink_.delivered = sink_.sent.size();
  ASSERT_TRUE(c->Serve().ok());
  EXPECT_EQ(sink_.To(kArticles).size(), 1u) << "released before the batch commits";
  EXPECT_TRUE(offsets_.commits.empty());
  EXPECT_TRUE(sink_.To(kIndex).empty()) << "index copies go with the commit";
  ASSERT_TRUE(c->Commit().ok());
  EXPECT_EQ(offsets_.commits.back(), (std::vector<PartitionOffset>{{0, 11}}));
  const auto index = sink_.To(kIndex);
  ASSERT_EQ(index.size(), 2u);
  EXPECT_EQ(*index[0].key, "d/doc-10");
  EXPECT_EQ(*index[1].key, dedup::ProgressKey(0)) << "the marker after the documents";
  EXPECT_FALSE(c->waiting());
  EXPECT_EQ(Persisted("z/state-10"), "v");
}

TEST_F(CommitterTest, AtLeastOnceDeliveryFailureIsReportedAndTheAbortSendsEverythingStagedAgain) {
  MakePartition(true);
  auto c = MakeAtLeastOnceCommitter(Context());
  ASSERT_TRUE(c->Open().ok());
  ASSERT_TRUE(Decide(*c, 10).ok());
  sink_.fail_deliveries = true;
  EXPECT_FALSE(c->Serve().ok());
  c->Abort();
  EXPECT_FALSE(c->waiting()) << "held outputs are dropped";
  const size_t before = sink_.To(kChangelog).size();
  ASSERT_TRUE(c->Open().ok());
  partitions_[0].batch_next = 11;  // the rewound input decided again (it replays its memo)
  ASSERT_TRUE(c->Commit().ok());
  EXPECT_EQ(sink_.To(kChangelog).size(), before + 2) << "every staged change is sent again";
  EXPECT_TRUE(sink_.To(kArticles).empty());
}

// A held story (one held version, staged and persisted as a decision would) and its release.
embargo::Release HeldAndDue(Partition& p, const std::string& story) {
  dedup::MutationBatch hold;
  hold.Put(embargo::HeldKey(story, 1), "held event");
  EXPECT_TRUE(p.store->Apply(hold).ok());
  EXPECT_TRUE(p.store->Persist().ok());
  embargo::Release rel;
  rel.story_id = story;
  rel.changes.Delete(embargo::HeldKey(story, 1));
  rel.undo.Put(embargo::HeldKey(story, 1), "held event");
  Record out;
  out.topic = kArticles;
  out.key = story;
  out.value = "released article";
  rel.records.push_back(out);
  return rel;
}

TEST_F(CommitterTest, TransactionalReleaseCommitsWithTheStateThatMarksIt) {
  MakePartition(false);
  Partition& p = partitions_[0];
  auto c = MakeTransactionalCommitter(Context(), txn_);
  ASSERT_TRUE(c->Open().ok());
  ASSERT_TRUE(c->AddRelease(0, p, HeldAndDue(p, "st_a")).ok());
  EXPECT_TRUE(sink_.To(kArticles).empty()) << "published with the commit";
  EXPECT_TRUE(p.state_only) << "a release has no input offset";
  ASSERT_TRUE(c->Commit().ok());
  EXPECT_EQ(txn_.calls, (std::vector<std::string>{"begin", "send_offsets", "commit"}));
  EXPECT_TRUE(txn_.offsets[0].empty()) << "no input offset moves";
  const auto changelog = sink_.To(kChangelog);
  ASSERT_EQ(changelog.size(), 1u);
  EXPECT_EQ(*changelog[0].key, embargo::HeldKey("st_a", 1));
  EXPECT_FALSE(changelog[0].value.has_value()) << "the held version is deleted";
  EXPECT_LT(Position("send " + std::string(kChangelog)), Position("send " + std::string(kArticles)));
  EXPECT_EQ(sink_.To(kArticles).size(), 1u);
  EXPECT_EQ(Persisted(embargo::HeldKey("st_a", 1)), "<none>");
  EXPECT_EQ(p.committed_next, 10) << "the committed offset stays";
}

TEST_F(CommitterTest, TransactionalAbortPutsTheReleasedStoryBack) {
  MakePartition(false);
  Partition& p = partitions_[0];
  auto c = MakeTransactionalCommitter(Context(), txn_);
  ASSERT_TRUE(c->Open().ok());
  ASSERT_TRUE(c->AddRelease(0, p, HeldAndDue(p, "st_a")).ok());
  txn_.FailNext("commit", Transactions::ErrorKind::kAbortable);
  ASSERT_FALSE(c->Commit().ok());
  c->Abort();
  auto held = p.store->Get(embargo::HeldKey("st_a", 1));
  ASSERT_TRUE(held.ok());
  ASSERT_TRUE(held.value().has_value()) << "held again: the next release publishes it";
  EXPECT_EQ(*held.value(), "held event");
}

TEST_F(CommitterTest, AtLeastOnceReleaseIsAcknowledgedBeforeItsStateChangeIsSent) {
  MakePartition(true);
  Partition& p = partitions_[0];
  auto c = MakeAtLeastOnceCommitter(Context());
  ASSERT_TRUE(c->Open().ok());
  ASSERT_TRUE(Decide(*c, 10).ok());  // its outputs wait for the acknowledgement of its state
  ASSERT_TRUE(c->AddRelease(0, p, HeldAndDue(p, "st_a")).ok());
  const auto articles = sink_.To(kArticles);
  ASSERT_EQ(articles.size(), 2u);
  EXPECT_EQ(*articles[0].key, "story-10") << "what was decided before goes out first";
  EXPECT_EQ(*articles[1].key, "st_a");
  const int64_t released = sink_.FirstTo(kArticles) + 1;
  ASSERT_TRUE(c->Commit().ok());
  // The deletion reaches the changelog only after the release was acknowledged (a flush after it).
  int64_t deletion = -1;
  for (size_t i = 0; i < sink_.sent.size(); ++i) {
    if (sink_.sent[i].topic == kChangelog && *sink_.sent[i].key == embargo::HeldKey("st_a", 1)) deletion = i;
  }
  ASSERT_GT(deletion, released);
  EXPECT_FALSE(sink_.sent[static_cast<size_t>(deletion)].value.has_value());
  EXPECT_EQ(Persisted(embargo::HeldKey("st_a", 1)), "<none>");
}

TEST_F(CommitterTest, AtLeastOnceRestoredCopiesGoWithTheNextCommit) {
  MakePartition(true);
  auto c = MakeAtLeastOnceCommitter(Context());
  c->AddRestoredCopy(feed_->DocumentRecord(0, "d/restored", "document"));
  EXPECT_TRUE(c->has_restored_copies());
  ASSERT_TRUE(c->Open().ok());
  sink_.fail_sends = 1;
  EXPECT_FALSE(c->Commit().ok());
  c->Abort();
  EXPECT_TRUE(c->has_restored_copies()) << "kept until a commit succeeds";
  ASSERT_TRUE(c->Open().ok());
  ASSERT_TRUE(c->Commit().ok());
  EXPECT_FALSE(c->has_restored_copies());
  ASSERT_FALSE(sink_.To(kIndex).empty());
  EXPECT_EQ(*sink_.To(kIndex).front().key, "d/restored");
}

}  // namespace
}  // namespace copydesk::ingest
