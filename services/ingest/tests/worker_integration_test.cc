// The worker against the embedded broker.
// - At-least-once pipelining: an event's outputs become visible as soon as its changelog records
//   (state and decision memo) are acknowledged, long before the batch's offsets are committed;
//   the offsets are still committed after the outputs.
// - A partition whose state is being restored from the changelog does not hold up the worker's
//   other partitions: the restore runs between polls, not inside the rebalance callback.
// - Input that left the broker before the group processed it (the embedded broker keeps about
//   5 MiB per partition, a real one applies retention) is counted and logged, never skipped
//   silently; a new group starts at the beginning of what is there without counting a loss.
// - Partitions lost to a session timeout abort their open batch: nothing of it is published.
// - Local state is reused after a restart only when the changelog holds nothing it lacks.
// - Band entries past their memory budget move to RocksDB and still find near-duplicates.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "broker/broker.h"
#include "common/kafka.h"
#include "common/metrics.h"
#include "copydesk/v1/events.pb.h"
#include "dedup/index_format.h"
#include "dedup/partition_store.h"
#include "dedup/rocksdb_store.h"
#include "ingest/worker.h"

namespace copydesk::ingest {
namespace {

using namespace std::chrono_literals;

constexpr char kText[] =
    "Copydesk test story\n\nBy A Reporter\n\nLONDON (Reuters) - The pipeline test sends one plain-text "
    "story through the worker and waits for its outcome on the outcome topic. The body has a few "
    "sentences so that the normalizer accepts it as an article and the deduper records a decision "
    "for it, with the memo that lets a reprocessing worker replay that decision.\n";

// Every record of `topic` (all partitions) that arrives before `want` records or the timeout.
std::vector<Record> ReadTopic(const std::string& brokers, const std::string& topic, size_t want,
                              std::chrono::seconds timeout) {
  std::vector<Record> out;
  auto c = kafka::Consumer::Create({{"bootstrap.servers", brokers}, {"fetch.wait.max.ms", "10"}});
  EXPECT_TRUE(c.ok());
  if (!c.ok()) return out;
  auto n = kafka::PartitionCount(c.value()->raw(), topic);
  EXPECT_TRUE(n.ok());
  if (!n.ok()) return out;
  std::vector<kafka::TopicPartitionOffset> parts;
  parts.reserve(static_cast<size_t>(n.value()));
  for (int p = 0; p < n.value(); ++p) parts.push_back({topic, p, RD_KAFKA_OFFSET_BEGINNING});
  EXPECT_TRUE(c.value()->Assign(parts).ok());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    auto r = c.value()->Poll(100ms);
    if (r.ok() && r.value()) out.push_back(*r.value());
  }
  return out;
}

// One text/plain story, `title` + kText, to news.raw.v1 partition 0.
void SendStory(const std::string& brokers, const std::string& title) {
  auto p = kafka::Producer::Create({{"bootstrap.servers", brokers}});
  ASSERT_TRUE(p.ok());
  Record in;
  in.topic = "news.raw.v1";
  in.partition = 0;
  in.key = "k";
  in.value = title + " " + kText;
  in.headers.push_back({"content-type", "text/plain"});
  ASSERT_TRUE(p.value()->Send(in).ok());
  ASSERT_TRUE(p.value()->Flush(10s).ok());
}

// The worker's topics, the input and its changelog with `partitions` partitions, the rest with one.
std::vector<broker::TopicSpec> PipelineTopics(int partitions) {
  return {{"news.raw.v1", partitions},    {"news.articles.v1", 1},
          {"news.article-events.v1", 1},  {"news.raw.dlq.v1", 1},
          {"news.ingest-outcomes.v1", 1}, {"news.dedup-changelog.v1", partitions},
          {"news.dedup-index.v1", 1}};
}

// Runs a worker with `wo` on a thread while `while_running(its metrics)` runs, then stops it
// (SIGTERM's path) and expects a clean exit.
void RunWorkerWhile(const WorkerOptions& wo,
                    const std::function<void(metrics::IngestMetrics&)>& while_running) {
  prometheus::Registry registry;
  metrics::IngestMetrics metrics(registry);
  auto w = Worker::Create(wo, metrics);
  ASSERT_TRUE(w.ok()) << w.error().reason;
  std::atomic<bool> stop{false};
  Status run_status = OkStatus();
  std::thread thread([&] { run_status = w.value()->Run(stop); });
  while_running(metrics);
  stop = true;
  thread.join();
  EXPECT_TRUE(run_status.ok()) << (run_status.ok() ? "" : run_status.error().reason);
}

class AtLeastOnceWorker : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = broker::EmbeddedBroker::Start({.brokers = 1, .partitions = 1, .topics = {}});
    ASSERT_TRUE(b.ok()) << b.error().reason;
    broker_ = std::move(b.value());
    metrics_ = std::make_unique<metrics::IngestMetrics>(registry_);
  }

  void StartWorker(const std::string& group = "copydesk-ingest") {
    WorkerOptions wo;
    wo.kafka.brokers = broker_->bootstrap();
    wo.mode = "at-least-once";
    wo.instance_id = "alo";
    wo.group_id = group;
    wo.state_dir.clear();  // memory
    // The batch stays open for the whole test: only pipelining can make an output visible.
    wo.commit_interval_ms = 3'600'000;
    wo.commit_max_events = 1'000'000;
    auto w = Worker::Create(wo, *metrics_);
    ASSERT_TRUE(w.ok()) << w.error().reason;
    worker_ = std::move(w.value());
    thread_ = std::thread([this] { run_status_ = worker_->Run(stop_); });
  }

  void TearDown() override { StopWorker(); }

  void StopWorker() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    EXPECT_TRUE(run_status_.ok()) << (run_status_.ok() ? "" : run_status_.error().reason);
  }

  // Sends `n` text events of about `bytes` each to news.raw.v1 partition 0.
  void SendText(int n, size_t bytes) {
    auto p = kafka::Producer::Create({{"bootstrap.servers", broker_->bootstrap()}});
    ASSERT_TRUE(p.ok());
    std::string body = kText;
    while (body.size() < bytes) body += std::string(kText).substr(20);
    for (int i = 0; i < n; ++i) {
      Record in;
      in.topic = "news.raw.v1";
      in.partition = 0;
      in.key = "k" + std::to_string(i);
      in.value = "Story " + std::to_string(i) + " " + body;
      in.headers.push_back({"content-type", "text/plain"});
      ASSERT_TRUE(p.value()->Send(in).ok());
    }
    ASSERT_TRUE(p.value()->Flush(30s).ok());
  }

  std::pair<int64_t, int64_t> RawWatermarks() {
    auto c = kafka::Consumer::Create({{"bootstrap.servers", broker_->bootstrap()}});
    EXPECT_TRUE(c.ok());
    if (!c.ok()) return {-1, -1};
    auto wm = kafka::Watermarks(c.value()->raw(), "news.raw.v1", 0);
    EXPECT_TRUE(wm.ok());
    return wm.ok() ? wm.value() : std::pair<int64_t, int64_t>{-1, -1};
  }

  // The input offsets of the outcomes on the outcome topic, once `want` of them arrived.
  std::vector<int64_t> OutcomeOffsets(size_t want) {
    std::vector<int64_t> offsets;
    for (const auto& r : ReadTopic(broker_->bootstrap(), "news.ingest-outcomes.v1", want, 120s)) {
      v1::IngestOutcome o;
      EXPECT_TRUE(o.ParseFromString(r.value.value_or("")));
      offsets.push_back(o.source().offset());
    }
    std::sort(offsets.begin(), offsets.end());
    return offsets;
  }

  int64_t CommittedOffset() {
    auto c = kafka::Consumer::Create(
        {{"bootstrap.servers", broker_->bootstrap()}, {"group.id", "copydesk-ingest"}});
    EXPECT_TRUE(c.ok());
    if (!c.ok()) return -2;
    auto got = c.value()->Committed({{"news.raw.v1", 0, RD_KAFKA_OFFSET_INVALID}}, 10s);
    EXPECT_TRUE(got.ok());
    if (!got.ok() || got.value().empty()) return -2;
    return got.value()[0].offset;
  }

  std::unique_ptr<broker::EmbeddedBroker> broker_;
  prometheus::Registry registry_;
  std::unique_ptr<metrics::IngestMetrics> metrics_;
  std::unique_ptr<Worker> worker_;
  std::atomic<bool> stop_{false};
  Status run_status_ = OkStatus();
  std::thread thread_;
};

TEST_F(AtLeastOnceWorker, OutputsAreReleasedOnceTheirMemoIsAcknowledgedBeforeTheBatchCommits) {
  StartWorker();
  auto p = kafka::Producer::Create({{"bootstrap.servers", broker_->bootstrap()}});
  ASSERT_TRUE(p.ok());
  Record in;
  in.topic = "news.raw.v1";
  in.partition = 0;
  in.key = "k1";
  in.value = kText;
  in.headers.push_back({"content-type", "text/plain"});
  ASSERT_TRUE(p.value()->Send(in).ok());
  ASSERT_TRUE(p.value()->Flush(10s).ok());

  // The outcome arrives although the batch (interval: one hour) is still open.
  auto outcomes = ReadTopic(broker_->bootstrap(), "news.ingest-outcomes.v1", 1, 60s);
  ASSERT_EQ(outcomes.size(), 1u) << "the output was held until the batch commit";
  v1::IngestOutcome o;
  ASSERT_TRUE(o.ParseFromString(outcomes[0].value.value_or("")));
  EXPECT_EQ(o.source().offset(), 0);
  EXPECT_EQ(worker_->counters().committed_batches.load(), 0);
  EXPECT_LT(CommittedOffset(), 0) << "no offset may be committed while the batch is open";

  // The decision memo that reproduces the outcome is on the changelog already.
  const std::string memo = dedup::DecisionLogKey(0, 0);
  auto changelog = ReadTopic(broker_->bootstrap(), "news.dedup-changelog.v1", 1000, 5s);
  bool found = false;
  for (const auto& r : changelog) found = found || (r.key && *r.key == memo);
  EXPECT_TRUE(found) << "the memo of input 0 is not on the changelog";

  // Stopping commits the batch: the offset follows the outputs.
  StopWorker();
  EXPECT_EQ(worker_->counters().committed_batches.load(), 1);
  EXPECT_EQ(CommittedOffset(), 1);
}

// At-least-once sends a batch's shared index copies with its commit. A worker killed before it
// leaves copies of decisions that are on the changelog (and replayed from there) but not on the
// index topic: the next owner sends them from its restore. The killed worker is played by a
// changelog record beyond the committed offset: a copy of the story's document record, as if an
// uncommitted event at offset 1 had written it.
TEST_F(AtLeastOnceWorker, RestoreSendsTheIndexCopiesOfUncommittedDecisions) {
  StartWorker();
  SendStory(broker_->bootstrap(), "Story indexed");
  ASSERT_EQ(OutcomeOffsets(1).size(), 1u);
  auto docs = [&] {
    std::vector<Record> out;
    for (auto& r : ReadTopic(broker_->bootstrap(), "news.dedup-index.v1", 1000, 5s))
      if (r.key && dedup::IsSharedIndexKey(*r.key)) out.push_back(std::move(r));
    return out;
  };
  EXPECT_TRUE(docs().empty()) << "an index copy was sent before its batch commits";
  StopWorker();
  auto first = docs();
  ASSERT_EQ(first.size(), 1u) << "the commit did not send the document's index copy";

  Record doc;
  for (auto& r : ReadTopic(broker_->bootstrap(), "news.dedup-changelog.v1", 1000, 5s))
    if (r.key == first[0].key) doc = std::move(r);
  ASSERT_EQ(doc.HeaderValue("x-copydesk-input-offset"), std::optional<std::string_view>("1"));
  doc.offset = -1;
  doc.headers = {{"x-copydesk-input-offset", "2"}};
  auto p = kafka::Producer::Create({{"bootstrap.servers", broker_->bootstrap()}});
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(p.value()->Send(doc).ok());
  ASSERT_TRUE(p.value()->Flush(10s).ok());

  stop_ = false;
  StartWorker();  // memory state: restores the partition from the changelog
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while ((metrics_->assigned_partitions.Value() < 1 || metrics_->restoring_partitions.Value() > 0) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  StopWorker();
  auto after = docs();
  ASSERT_EQ(after.size(), 2u) << "the restore sent no copy, or sent committed ones too";
  EXPECT_EQ(after[1].key, first[0].key);
  EXPECT_EQ(after[1].value, first[0].value);
}

// More input than the embedded broker keeps per partition (about 5 MiB): the oldest records go.
constexpr int kEvents = 80;
constexpr size_t kEventBytes = 100 * 1024;

TEST_F(AtLeastOnceWorker, InputGoneBeforeItWasProcessedIsCountedNeverSkippedSilently) {
  // The group committed offset 0 (it was here before), then fell behind the broker's retention.
  {
    auto c = kafka::Consumer::Create(
        {{"bootstrap.servers", broker_->bootstrap()}, {"group.id", "copydesk-ingest"}});
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.value()->Commit({{"news.raw.v1", 0, 0}}).ok());
  }
  SendText(kEvents, kEventBytes);
  auto [lo, hi] = RawWatermarks();
  ASSERT_EQ(hi, kEvents);
  ASSERT_GT(lo, 0) << "the broker kept every record; the test needs it to drop the oldest";

  StartWorker();
  auto offsets = OutcomeOffsets(static_cast<size_t>(hi - lo));
  ASSERT_EQ(offsets.size(), static_cast<size_t>(hi - lo));
  EXPECT_EQ(offsets.front(), lo) << "the worker must resume at the first record still there";
  EXPECT_EQ(offsets.back(), hi - 1);
  EXPECT_EQ(metrics_->input_lost.Value(), static_cast<double>(lo)) << "offsets 0.." << lo - 1 << " are lost";
}

TEST_F(AtLeastOnceWorker, InputProcessedBeforeIsNotCountedLostWhenTheOffsetCommitLagged) {
  SendText(kEvents, kEventBytes);
  auto [lo, hi] = RawWatermarks();
  ASSERT_GT(lo, 0) << "the broker kept every record; the test needs it to drop the oldest";
  const auto n = static_cast<size_t>(hi - lo);
  StartWorker();
  ASSERT_EQ(OutcomeOffsets(n).size(), n);
  StopWorker();
  // The group's offset commits were lost (a rebalance): it is back at 0, below the log start,
  // although every input there has a decision on the changelog. (A second group stands for that
  // group: the embedded broker refuses a commit from outside a group that has members.)
  {
    auto c = kafka::Consumer::Create(
        {{"bootstrap.servers", broker_->bootstrap()}, {"group.id", "copydesk-ingest-lagged"}});
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.value()->Commit({{"news.raw.v1", 0, 0}}).ok());
  }
  stop_ = false;
  StartWorker("copydesk-ingest-lagged");
  // Everything still there is reprocessed, with the same decisions; nothing is counted lost.
  auto outcomes = ReadTopic(broker_->bootstrap(), "news.ingest-outcomes.v1", 2 * n, 120s);
  ASSERT_EQ(outcomes.size(), 2 * n);
  std::map<int64_t, std::set<std::string>> by_offset;
  for (const auto& r : outcomes) {
    v1::IngestOutcome o;
    ASSERT_TRUE(o.ParseFromString(r.value.value_or("")));
    by_offset[o.source().offset()].insert(std::to_string(o.decision()) + "/" + o.story_id() + "/" +
                                          std::to_string(o.version()));
  }
  EXPECT_EQ(by_offset.size(), n);
  for (const auto& [offset, decisions] : by_offset) EXPECT_EQ(decisions.size(), 1u) << "offset " << offset;
  EXPECT_EQ(metrics_->input_lost.Value(), 0.0);
}

TEST_F(AtLeastOnceWorker, NewGroupStartsAtTheBeginningOfWhatIsThereWithoutCountingALoss) {
  SendText(kEvents, kEventBytes);
  auto [lo, hi] = RawWatermarks();
  ASSERT_GT(lo, 0) << "the broker kept every record; the test needs it to drop the oldest";

  StartWorker();
  auto offsets = OutcomeOffsets(static_cast<size_t>(hi - lo));
  ASSERT_EQ(offsets.size(), static_cast<size_t>(hi - lo));
  EXPECT_EQ(offsets.front(), lo);
  EXPECT_EQ(metrics_->input_lost.Value(), 0.0);
}

// Two brokers: everything is led by broker 1, except partition 1 of the changelog, whose broker
// answers every request 2 s late. Restoring that partition takes one fetch per message set
// (the embedded broker returns one per fetch), 15 of them: about 30 s. Partition 0 has nothing to
// restore, and its input must be decided meanwhile.
TEST(RestoreInTheBackground, OtherPartitionsAreProcessedWhileOneIsRestored) {
  const std::vector<broker::TopicSpec> topics = PipelineTopics(2);
  auto b = broker::EmbeddedBroker::Start({.brokers = 2, .partitions = 1, .topics = topics});
  ASSERT_TRUE(b.ok()) << b.error().reason;
  auto& broker = *b.value();
  for (const auto& t : topics) {
    for (int p = 0; p < t.partitions; ++p) {
      const int leader = t.name == "news.dedup-changelog.v1" && p == 1 ? 2 : 1;
      ASSERT_TRUE(broker.SetPartitionLeader(t.name, p, leader).ok());
    }
  }
  ASSERT_TRUE(broker.SetCoordinator("group", "copydesk-ingest", 1).ok());
  {
    auto p = kafka::Producer::Create({{"bootstrap.servers", broker.bootstrap()}});
    ASSERT_TRUE(p.ok());
    for (int i = 0; i < 15; ++i) {  // one message set each
      Record r;
      r.topic = "news.dedup-changelog.v1";
      r.partition = 1;
      r.key = "z/restore-test-" + std::to_string(i);
      r.value = "v";
      ASSERT_TRUE(p.value()->Send(r).ok());
      ASSERT_TRUE(p.value()->Flush(10s).ok());
    }
    for (int part : {0, 1}) {
      Record in;
      in.topic = "news.raw.v1";
      in.partition = part;
      in.key = "k" + std::to_string(part);
      in.value = "Story " + std::to_string(part) + " " + kText;
      in.headers.push_back({"content-type", "text/plain"});
      ASSERT_TRUE(p.value()->Send(in).ok());
    }
    ASSERT_TRUE(p.value()->Flush(10s).ok());
  }
  ASSERT_TRUE(broker.SetRtt(2, 2000).ok());

  prometheus::Registry registry;
  metrics::IngestMetrics metrics(registry);
  WorkerOptions wo;
  wo.kafka.brokers = broker.bootstrap();
  wo.mode = "at-least-once";
  wo.instance_id = "bg";
  wo.state_dir.clear();  // memory: every assigned partition is restored from the changelog
  // What is tested is the mechanism (restores between polls). With the visibility wait on,
  // partition 0's record would wait for partition 1's progress by design (a restoring partition
  // publishes none): cross-partition determinism costs exactly that pause.
  wo.visibility_wait_ms = 0;
  auto w = Worker::Create(wo, metrics);
  ASSERT_TRUE(w.ok()) << w.error().reason;
  std::atomic<bool> stop{false};
  Status run_status = OkStatus();
  std::thread thread([&] { run_status = w.value()->Run(stop); });
  const auto started = std::chrono::steady_clock::now();

  auto source_partitions = [](const std::vector<Record>& outcomes) {
    std::vector<int32_t> parts;
    for (const auto& r : outcomes) {
      v1::IngestOutcome o;
      EXPECT_TRUE(o.ParseFromString(r.value.value_or("")));
      parts.push_back(o.source().partition());
    }
    std::sort(parts.begin(), parts.end());
    return parts;
  };
  // Partition 0's outcome arrives well before partition 1's restore could have finished.
  auto first = ReadTopic(broker.bootstrap(), "news.ingest-outcomes.v1", 1, 15s);
  const auto first_at = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(source_partitions(first), std::vector<int32_t>{0})
      << "partition 0 waited for the restore of partition 1";
  EXPECT_EQ(metrics.restoring_partitions.Value(), 1.0);
  // Partition 1 is decided once its state is back.
  auto both = ReadTopic(broker.bootstrap(), "news.ingest-outcomes.v1", 2, 120s);
  const auto both_at = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(source_partitions(both), (std::vector<int32_t>{0, 1}));
  EXPECT_GT(both_at - first_at, 10s) << "the restore of partition 1 was not slow: the test tests nothing";
  EXPECT_EQ(metrics.restoring_partitions.Value(), 0.0);
  EXPECT_EQ(metrics.restored_records.Value(), 15.0);
  stop = true;
  thread.join();
  EXPECT_TRUE(run_status.ok()) << (run_status.ok() ? "" : run_status.error().reason);
}

// Cross-partition determinism: a record sees another partition's documents indexed more than
// dedup.visibility_delay_ms (here 1 s) before it, and waits until every other partition's progress
// says all of those are in the shared index. Here the copy (partition 1, timestamp t0 + 4 s)
// arrives first; its original (partition 0, timestamp t0 + 0.5 s) only a second later. Without
// the wait the copy is decided at once, as a new story; with it, the copy waits for partition 0
// to pass t0 + 3 s (its idle floor follows the clock) and is linked to the original.
// The shared index has a memory budget of 0 here, so it moves to RocksDB at its first write and
// the match goes through the on-disk store (every other test keeps it in memory, the default).
TEST(CrossPartition, ACopyWaitsForTheOtherPartitionsProgressAndIsLinkedToItsOriginal) {
  auto b = broker::EmbeddedBroker::Start({.brokers = 1, .partitions = 1, .topics = PipelineTopics(2)});
  ASSERT_TRUE(b.ok()) << b.error().reason;
  const std::string brokers = b.value()->bootstrap();
  prometheus::Registry registry;
  metrics::IngestMetrics metrics(registry);
  WorkerOptions wo;
  wo.kafka.brokers = brokers;
  wo.instance_id = "xp";  // transactional, shared index, visibility wait: the defaults
  wo.visibility_delay_ms = 1000;
  const std::string dir = ::testing::TempDir() + "copydesk-xp-state-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  wo.state_dir = dir;
  wo.shared_index_memory_mib = 0;
  auto w = Worker::Create(wo, metrics);
  ASSERT_TRUE(w.ok()) << w.error().reason;
  std::atomic<bool> stop{false};
  Status run_status = OkStatus();
  std::thread thread([&] { run_status = w.value()->Run(stop); });
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while ((metrics.assigned_partitions.Value() < 2 || metrics.restoring_partitions.Value() > 0) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  ASSERT_EQ(metrics.assigned_partitions.Value(), 2.0);
  ASSERT_EQ(metrics.restoring_partitions.Value(), 0.0);

  auto producer = kafka::Producer::Create({{"bootstrap.servers", brokers}});
  ASSERT_TRUE(producer.ok());
  auto send = [&](int32_t partition, const std::string& provider, int64_t ts) {
    Record in;
    in.topic = "news.raw.v1";
    in.partition = partition;
    in.key = provider;
    in.timestamp_ms = ts;
    in.value = "Storm closes the harbour " + std::string(kText);
    in.headers = {{"content-type", "text/plain"}, {"provider", provider}, {"guid", provider + "-1"}};
    ASSERT_TRUE(producer.value()->Send(in).ok());
    ASSERT_TRUE(producer.value()->Flush(10s).ok());
  };
  const int64_t t0 = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  send(1, "Outlet", t0 + 4000);
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(metrics.waiting_partitions.Value(), 1.0) << "the copy did not wait";
  send(0, "Wire", t0 + 500);

  std::map<int32_t, v1::IngestOutcome> by_partition;
  for (const auto& r : ReadTopic(brokers, "news.ingest-outcomes.v1", 2, 30s)) {
    v1::IngestOutcome o;
    ASSERT_TRUE(o.ParseFromString(r.value.value_or("")));
    by_partition[o.source().partition()] = o;
  }
  ASSERT_EQ(by_partition.size(), 2u);
  EXPECT_EQ(by_partition[0].decision(), v1::DECISION_NEW);
  EXPECT_EQ(by_partition[1].decision(), v1::DECISION_SYNDICATED);
  EXPECT_EQ(by_partition[1].of_story(), by_partition[0].story_id());
  EXPECT_EQ(metrics.waiting_partitions.Value(), 0.0);
  EXPECT_EQ(metrics.decided_without_progress.Value(), 0.0);
  stop = true;
  thread.join();
  EXPECT_TRUE(run_status.ok()) << (run_status.ok() ? "" : run_status.error().reason);
  EXPECT_TRUE(std::filesystem::exists(dir + "/xp/shared-index/CURRENT"))
      << "the shared index never moved to RocksDB";
  std::filesystem::remove_all(dir);
}

// The group coordinator's broker goes away for longer than the session timeout while a batch is
// open: the member's partitions are lost (another member may own them already), so the batch is
// aborted and none of its outputs may appear. Committing it instead (what a plain revoke does)
// published its outputs before the offset commit failed, and the embedded broker, which fences
// nothing, kept them.
TEST(LostPartitions, TheOpenBatchIsAbortedAndNothingOfItIsPublished) {
  const std::vector<broker::TopicSpec> topics = PipelineTopics(1);
  auto b = broker::EmbeddedBroker::Start({.brokers = 2, .partitions = 1, .topics = topics});
  ASSERT_TRUE(b.ok()) << b.error().reason;
  auto& broker = *b.value();
  for (const auto& t : topics) ASSERT_TRUE(broker.SetPartitionLeader(t.name, 0, 1).ok());
  ASSERT_TRUE(broker.SetCoordinator("group", "copydesk-ingest", 2).ok());
  ASSERT_TRUE(broker.SetCoordinator("transaction", "copydesk-ingest-lost", 1).ok());

  prometheus::Registry registry;
  metrics::IngestMetrics metrics(registry);
  WorkerOptions wo;
  wo.kafka.brokers = broker.bootstrap();
  wo.instance_id = "lost";  // transactional (the default mode)
  wo.state_dir.clear();
  wo.session_timeout_ms = 3000;
  wo.commit_interval_ms = 3'600'000;  // the batch stays open until the partitions go
  wo.commit_max_events = 1'000'000;
  auto w = Worker::Create(wo, metrics);
  ASSERT_TRUE(w.ok()) << w.error().reason;
  std::atomic<bool> stop{false};
  Status run_status = OkStatus();
  std::thread thread([&] { run_status = w.value()->Run(stop); });
  SendStory(broker.bootstrap(), "Story lost");
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (metrics.in_flight.Value() < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  ASSERT_EQ(metrics.in_flight.Value(), 1.0) << "the event was not decided into an open batch";

  ASSERT_TRUE(broker.SetBrokerDown(2).ok());
  // Session timeout (3 s) and then some: the partitions are lost meanwhile.
  auto during = ReadTopic(broker.bootstrap(), "news.ingest-outcomes.v1", 1, 10s);
  EXPECT_TRUE(during.empty()) << "the open batch of lost partitions was published";
  EXPECT_EQ(metrics.in_flight.Value(), 0.0)
      << "the batch is still open: the partitions were not lost, or it was not aborted";
  ASSERT_TRUE(broker.SetBrokerUp(2).ok());

  // Back in the group, the event is decided again and published once, at the final commit.
  while (metrics.in_flight.Value() < 1 && std::chrono::steady_clock::now() < deadline + 60s)
    std::this_thread::sleep_for(50ms);
  EXPECT_EQ(metrics.in_flight.Value(), 1.0) << "the event was not reprocessed after the rejoin";
  stop = true;
  thread.join();
  EXPECT_TRUE(run_status.ok()) << (run_status.ok() ? "" : run_status.error().reason);
  EXPECT_EQ(ReadTopic(broker.bootstrap(), "news.ingest-outcomes.v1", 2, 5s).size(), 1u);
}

// A restarted worker reuses its local state only when nothing reached the changelog partition
// since its checkpoint. One offset more is a real cluster's transaction control record, or (the
// embedded broker writes none) a record another worker wrote meanwhile: that must be read back,
// and a record means a restore.
TEST(LocalState, OneChangelogRecordWrittenSinceTheCheckpointForcesARestore) {
  auto b = broker::EmbeddedBroker::Start({.brokers = 1, .partitions = 1, .topics = {}});
  ASSERT_TRUE(b.ok()) << b.error().reason;
  auto& broker = *b.value();
  const std::string dir = ::testing::TempDir() + "copydesk-local-state-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  WorkerOptions wo;
  wo.kafka.brokers = broker.bootstrap();
  wo.instance_id = "local";
  wo.state_dir = dir;
  auto run_worker = [&](const std::function<void(metrics::IngestMetrics&)>& while_running) {
    RunWorkerWhile(wo, while_running);
  };
  SendStory(broker.bootstrap(), "Story local");
  run_worker([&](metrics::IngestMetrics&) {
    EXPECT_EQ(ReadTopic(broker.bootstrap(), "news.ingest-outcomes.v1", 1, 60s).size(), 1u);
  });

  // Another worker's one-record batch on the changelog partition.
  auto p = kafka::Producer::Create({{"bootstrap.servers", broker.bootstrap()}});
  ASSERT_TRUE(p.ok());
  Record other;
  other.topic = "news.dedup-changelog.v1";
  other.partition = 0;
  other.key = "z/written-by-another-worker";
  other.value = "v";
  ASSERT_TRUE(p.value()->Send(other).ok());
  ASSERT_TRUE(p.value()->Flush(10s).ok());

  run_worker([&](metrics::IngestMetrics& metrics) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while ((metrics.assigned_partitions.Value() < 1 || metrics.restoring_partitions.Value() > 0) &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(50ms);
    EXPECT_EQ(metrics.assigned_partitions.Value(), 1.0);
    EXPECT_GT(metrics.restored_records.Value(), 1.0)
        << "the local state was reused although the changelog has a record it does not reflect";
  });
  std::filesystem::remove_all(dir);
}

// The partitions' band entries move into RocksDB once they outgrow
// dedup.partition_bands_memory_mib (1 MiB here: several hundred documents), between batches, and
// near-duplicates are still found through them, also by a restarted worker, whose store opens
// with its band entries in RocksDB.
TEST(LocalState, BandEntriesPastTheBudgetMoveToRocksDbAndStillMatch) {
  auto b = broker::EmbeddedBroker::Start({.brokers = 1, .partitions = 1, .topics = {}});
  ASSERT_TRUE(b.ok()) << b.error().reason;
  const std::string brokers = b.value()->bootstrap();
  const std::string dir = ::testing::TempDir() + "copydesk-bands-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  WorkerOptions wo;
  wo.kafka.brokers = brokers;
  wo.instance_id = "bands";
  wo.state_dir = dir;
  wo.partition_bands_memory_mib = 1;

  static const char* const kWords[] = {
      "harbour", "council", "minister", "river",   "market",  "storm",   "school",  "budget",  "festival",
      "police",  "bridge",  "railway",  "doctor",  "museum",  "farmers", "court",   "energy",  "village",
      "airport", "report",  "summit",   "league",  "theatre", "strike",  "vaccine", "forest",  "election",
      "harvest", "border",  "coast",    "factory", "library", "tunnel",  "prices",  "workers", "island"};
  std::mt19937 rng(3);
  auto text = [&](int i) {
    std::string t = "Story number " + std::to_string(i) + " in the news\n\nLONDON (Reuters) - The";
    for (int w = 0; w < 90; ++w) t += std::string(" ") + kWords[rng() % std::size(kWords)];
    return t + ".\n";
  };
  constexpr int kStories = 1200;
  std::vector<std::string> texts(kStories);
  for (int i = 0; i < kStories; ++i) texts[i] = text(i);
  auto producer = kafka::Producer::Create({{"bootstrap.servers", brokers}});
  ASSERT_TRUE(producer.ok());
  auto send = [&](const std::string& provider, const std::string& guid, const std::string& value) {
    Record in;
    in.topic = "news.raw.v1";
    in.partition = 0;
    in.key = guid;
    in.value = value;
    in.headers = {{"content-type", "text/plain"}, {"provider", provider}, {"guid", guid}};
    ASSERT_TRUE(producer.value()->Send(in).ok());
  };
  // The outcomes of the inputs at `offsets`, by offset, once `want` outcomes are on the topic.
  auto outcomes = [&](size_t want) {
    std::map<int64_t, v1::IngestOutcome> by_offset;
    for (const auto& r : ReadTopic(brokers, "news.ingest-outcomes.v1", want, 120s)) {
      v1::IngestOutcome o;
      EXPECT_TRUE(o.ParseFromString(r.value.value_or("")));
      by_offset[o.source().offset()] = o;
    }
    return by_offset;
  };
  auto run_worker = [&](const std::function<void()>& while_running) {
    RunWorkerWhile(wo, [&](metrics::IngestMetrics&) { while_running(); });
  };

  run_worker([&] {
    for (int i = 0; i < kStories; ++i) send("Wire", "w-" + std::to_string(i), texts[i]);
    ASSERT_TRUE(producer.value()->Flush(30s).ok());
    ASSERT_EQ(outcomes(kStories).size(), static_cast<size_t>(kStories));
    // Copies of early stories, decided after the move: the same provider's (a duplicate) and
    // another's (syndicated).
    send("Wire", "w-copy", texts[3]);
    send("Outlet", "o-copy", texts[7]);
    ASSERT_TRUE(producer.value()->Flush(30s).ok());
    auto got = outcomes(kStories + 2);
    ASSERT_EQ(got.size(), static_cast<size_t>(kStories + 2));
    EXPECT_EQ(got[kStories].decision(), v1::DECISION_DUPLICATE);
    EXPECT_EQ(got[kStories].story_id(), got[3].story_id());
    EXPECT_EQ(got[kStories + 1].decision(), v1::DECISION_SYNDICATED);
    EXPECT_EQ(got[kStories + 1].of_story(), got[7].story_id());
  });
  {
    auto db = dedup::RocksDbStateStore::Open(dir + "/bands/news.raw.v1/p0");
    ASSERT_TRUE(db.ok()) << db.error().reason;
    EXPECT_TRUE(db.value()->Get(dedup::PartitionStore::kBandsInBaseKey).value())
        << "the band entries did not move to RocksDB";
    bool any_band = false;
    ASSERT_TRUE(db.value()
                    ->Scan("b/", "",
                           [&](std::string_view, std::string_view) {
                             any_band = true;
                             return false;
                           })
                    .ok());
    EXPECT_TRUE(any_band);
  }
  run_worker([&] {
    send("Other", "x-copy", texts[11]);
    ASSERT_TRUE(producer.value()->Flush(30s).ok());
    auto got = outcomes(kStories + 3);
    ASSERT_EQ(got.size(), static_cast<size_t>(kStories + 3));
    EXPECT_EQ(got[kStories + 2].decision(), v1::DECISION_SYNDICATED);
    EXPECT_EQ(got[kStories + 2].of_story(), got[11].story_id());
  });
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace copydesk::ingest
