#include "ingest/restorer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "ingest/checkpoint.h"
#include "ingest/tests/fakes.h"

namespace copydesk::ingest {
namespace {

using testing::FakeCluster;
using testing::FakeSource;

constexpr char kChangelog[] = "news.dedup-changelog.v1";

Record Change(const std::string& key, const std::string& value, int64_t input_next) {
  Record r;
  r.key = key;
  r.value = value;
  r.headers.push_back({std::string(kInputOffsetHeader), std::to_string(input_next)});
  return r;
}

class RestorerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.Append(kChangelog, 0, Change("z/a", "1", 5));
    cluster_.Append(kChangelog, 0, Change("z/b", "2", 7));
    cluster_.Append(kChangelog, 0, Change("z/a", "3", 9));
    source_.committed[0] = 7;
  }

  Restorer Make(const std::string& store_root = "", int64_t timeout_ms = 300000) {
    return Restorer(
        {.store_root = store_root,
         .changelog_topic = kChangelog,
         .restore_timeout_ms = timeout_ms,
         .bands_in_base = false,
         .track_changes = false},
        source_, cluster_, clock_, probe_,
        [this](int32_t, const Record& r) { uncommitted_.push_back(*r.key); },
        [this] {
          ++chunks_;
          return OkStatus();
        });
  }

  // Steps the partition until it is ready or fails, a second of fake time per step.
  Result<bool> StepUntilDone(Restorer& restorer, Partition& p, int max_steps = 1000) {
    for (int i = 0; i < max_steps; ++i) {
      auto ready = restorer.Step(0, p, clock_.MonotonicMicros() + 50'000);
      if (!ready.ok() || ready.value()) return ready;
      clock_.Advance(1000);
    }
    return false;
  }

  std::string Get(Partition& p, const std::string& key) {
    auto v = p.store->Get(key);
    return v.ok() && v.value() ? *v.value() : "<none>";
  }

  FakeClock clock_{1'000'000};
  FakeCluster cluster_;
  FakeSource source_;
  prometheus::Registry registry_;
  metrics::IngestMetrics metrics_{registry_};
  WorkerProbe probe_{metrics_};
  std::vector<std::string> uncommitted_;
  int chunks_ = 0;
};

TEST_F(RestorerTest, AppliesTheChangelogInLogOrderAndWritesTheCheckpoint) {
  Restorer restorer = Make();
  Partition p;
  restorer.Begin(p);
  auto ready = StepUntilDone(restorer, p);
  ASSERT_TRUE(ready.ok()) << ready.error().reason;
  ASSERT_TRUE(ready.value());
  EXPECT_EQ(p.restore, nullptr);
  EXPECT_EQ(Get(p, "z/a"), "3") << "the last write of a key wins";
  EXPECT_EQ(Get(p, "z/b"), "2");
  EXPECT_EQ(p.committed_next, 7);
  EXPECT_TRUE(p.has_committed);
  EXPECT_EQ(p.decided_next, 9) << "the decisions beyond the committed offset are in the state";
  EXPECT_EQ(uncommitted_, std::vector<std::string>{"z/a"});
  EXPECT_EQ(Get(p, CheckpointKey()), "s4:test-cluster/7/3");
  EXPECT_EQ(metrics_.restored_records.Value(), 3.0);
  EXPECT_EQ(cluster_.readers_opened, 1);
  EXPECT_EQ(cluster_.readers_closed, 1) << "the changelog reader is closed when the restore is done";
}

TEST_F(RestorerTest, AnEmptyChangelogIsReadyWithoutAReaderAndAGroupWithoutOffsetsStartsAtTheBeginning) {
  cluster_.topics.clear();
  source_.committed.clear();
  Restorer restorer = Make();
  Partition p;
  restorer.Begin(p);
  auto ready = restorer.Step(0, p, clock_.MonotonicMicros() + 50'000);
  ASSERT_TRUE(ready.ok() && ready.value());
  EXPECT_EQ(cluster_.readers_opened, 0);
  EXPECT_FALSE(p.has_committed);
  EXPECT_EQ(p.StartOffset(), std::nullopt);
}

TEST_F(RestorerTest, TransientErrorsAreRetriedUntilTheStateIsReady) {
  source_.committed_failures = 3;
  cluster_.watermark_failures = 2;
  cluster_.reader_errors = 4;
  Restorer restorer = Make();
  Partition p;
  restorer.Begin(p);
  auto first = restorer.Step(0, p, clock_.MonotonicMicros() + 50'000);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first.value());
  EXPECT_EQ(p.restore->retries, 1);
  EXPECT_NE(p.restore->last_error.find("Request timed out"), std::string::npos);
  auto ready = StepUntilDone(restorer, p);
  ASSERT_TRUE(ready.ok()) << ready.error().reason;
  ASSERT_TRUE(ready.value());
  EXPECT_EQ(Get(p, "z/a"), "3");
  EXPECT_EQ(source_.committed_failures, 0);
  EXPECT_EQ(cluster_.watermark_failures, 0);
}

TEST_F(RestorerTest, ARestoreGivesUpAfterItsTimeoutNamingTheLastError) {
  source_.committed_failures = 1'000'000;
  Restorer restorer = Make("", /*timeout_ms=*/20000);
  Partition p;
  restorer.Begin(p);
  auto ready = StepUntilDone(restorer, p, 19);
  ASSERT_TRUE(ready.ok()) << "gave up before its timeout";
  EXPECT_FALSE(ready.value());
  ready = StepUntilDone(restorer, p, 5);
  ASSERT_FALSE(ready.ok());
  EXPECT_EQ(ready.error().code, v1::ERROR_CODE_TIMEOUT);
  EXPECT_NE(ready.error().reason.find("gave up after 20000 ms"), std::string::npos) << ready.error().reason;
  EXPECT_NE(ready.error().reason.find("Request timed out"), std::string::npos) << ready.error().reason;
}

TEST_F(RestorerTest, AFatalReaderErrorFailsAtOnce) {
  cluster_.reader_errors = 1;
  cluster_.reader_fatal = true;
  Restorer restorer = Make();
  Partition p;
  restorer.Begin(p);
  auto ready = StepUntilDone(restorer, p, 3);
  EXPECT_FALSE(ready.ok());
}

TEST_F(RestorerTest, LocalStateIsUsedOnlyWhileTheChangelogHoldsNothingItLacks) {
  const std::string root = ::testing::TempDir() + "copydesk-restorer-" + std::to_string(::getpid());
  std::filesystem::remove_all(root);
  Restorer restorer = Make(root);
  {
    Partition p;  // the first assignment restores into the local store
    restorer.Begin(p);
    ASSERT_TRUE(StepUntilDone(restorer, p).value());
  }
  const int readers = cluster_.readers_opened;
  {
    Partition p;  // the next one finds it current: no reader
    restorer.Begin(p);
    auto ready = StepUntilDone(restorer, p);
    ASSERT_TRUE(ready.ok() && ready.value());
    EXPECT_EQ(cluster_.readers_opened, readers);
    EXPECT_EQ(p.decided_next, 7) << "the checkpoint's offset";
    EXPECT_EQ(Get(p, "z/a"), "3");
  }
  {
    // One offset more that holds no record (a transaction control record): still current.
    cluster_.end_offset[{kChangelog, 0}] = 4;
    Partition p;
    restorer.Begin(p);
    ASSERT_TRUE(StepUntilDone(restorer, p).value());
    EXPECT_EQ(cluster_.readers_opened, readers + 1) << "the last offset was read";
    EXPECT_EQ(Get(p, "z/a"), "3");
  }
  {
    // Another worker wrote a record since: restore, and see it.
    cluster_.end_offset.clear();
    cluster_.Append(kChangelog, 0, Change("z/c", "4", 11));
    Partition p;
    restorer.Begin(p);
    ASSERT_TRUE(StepUntilDone(restorer, p).value());
    EXPECT_EQ(Get(p, "z/c"), "4");
    EXPECT_EQ(p.decided_next, 11);
  }
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace copydesk::ingest
