#include "lookup/view_sync.h"

#include <librdkafka/rdkafka.h>

#include "common/log.h"
#include "lookup/topic_feed.h"

namespace copydesk::lookup {
namespace {

constexpr FeedNames kNames{"view", "events topic"};

}  // namespace

ViewSync::ViewSync(ViewSyncOptions options, ViewStore& store, LookupMetrics& metrics)
    : options_(std::move(options)), store_(store), metrics_(metrics) {}

ViewSync::~ViewSync() {
  Stop();
}

void ViewSync::Start() {
  if (thread_.joinable()) return;
  stop_ = false;
  // Until Attach() has checked the stored offsets against this broker, watermark reads wait.
  store_.SetValidated(false);
  caught_up_ = false;
  {
    std::lock_guard<std::mutex> lock(target_mu_);
    target_.reset();
    catchup_start_ = std::chrono::steady_clock::now();
  }
  thread_ = std::thread([this] { Run(); });
}

void ViewSync::Stop() {
  stop_ = true;
  if (!thread_.joinable()) return;
  const auto t0 = std::chrono::steady_clock::now();
  thread_.join();
  Logger("lookup")->info("view feed stopped seconds={:.3f}",
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

Result<int> ViewSync::Attach(kafka::Consumer& consumer) {
  auto log = Logger("lookup");
  auto count = kafka::PartitionCount(consumer.raw(), options_.topic, 5000);
  if (!count.ok()) return count.error();
  // The broker's cluster id, or "" when the broker does not say.
  const std::string cluster = kafka::ClusterId(consumer.raw()).value_or("");
  const std::string stored_cluster = store_.ClusterId();
  const std::string stored_topic = store_.Topic();
  const Offsets stored = store_.StoredOffsets();
  std::string reason;
  std::string detail;
  if (!stored_cluster.empty() && !cluster.empty() && stored_cluster != cluster) {
    reason = "cluster_changed";
    detail = "stored cluster " + stored_cluster + ", broker cluster " + cluster;
  } else if (!stored_topic.empty() && stored_topic != options_.topic) {
    reason = "topic_changed";
    detail = "stored topic " + stored_topic;
  }
  if (stop_) return Error{v1::ERROR_CODE_INTERNAL, "stopping"};
  auto marks = QueryMarks(consumer.raw(), options_.topic, *count, 5000);
  if (!marks.ok()) return marks.error();
  // Below the log start the view resumes at the log start (what it holds stays valid).
  if (reason.empty())
    reason = InvalidOffsets(stored, *count, *marks, /*below_log_start_invalid=*/false, &detail);
  bool new_partitions = false;
  for (int p = 0; p < *count; ++p) new_partitions = new_partitions || !stored.count(p);
  if (!reason.empty()) {
    log->warn(
        "view offsets are not valid on the broker; wiping and rebuilding the view reason={} detail=\"{}\"",
        reason, detail);
    Status st = store_.Wipe(cluster, options_.topic);
    if (!st.ok()) return st.error();
    metrics_.rebuilds.Get(reason).Increment();
    ++rebuilds_;
  } else if (stored_cluster.empty() || stored_topic.empty()) {
    Status st = store_.SetSource(cluster, options_.topic);
    if (!st.ok()) return st.error();
  }
  // Resume each partition where the view stopped; start new ones at the log start.
  const Offsets now = store_.StoredOffsets();
  Offsets start;
  std::vector<kafka::TopicPartitionOffset> assign;
  for (int p = 0; p < *count; ++p) {
    auto it = now.find(p);
    int64_t off = it != now.end() ? it->second : (*marks)[p].first;
    if (off < (*marks)[p].first) {
      log->warn(
          "records below the log start are gone; resuming at the log start partition={} stored={} start={}",
          p, off, (*marks)[p].first);
      off = (*marks)[p].first;
    }
    if (it == now.end() || it->second != off) start[p] = off;
    assign.push_back({options_.topic, p, off});
  }
  if (!start.empty()) {
    Status st = store_.SetOffsets(start);
    if (!st.ok()) return st.error();
  }
  Status st = consumer.Assign(assign);
  if (!st.ok()) return st.error();
  if (!caught_up_ || !reason.empty() || new_partitions) {
    // Catch up (again) to what the topic holds now: NOT_SERVING until then.
    StartCatchUp(HighWatermarks(*marks));
  }
  log->info("view attached topic={} partitions={} cluster={} stories={} versions={}", options_.topic, *count,
            cluster, store_.story_count(), store_.version_count());
  CheckCaughtUp(&consumer);
  return *count;
}

void ViewSync::StartCatchUp(Offsets target) {
  std::lock_guard<std::mutex> lock(target_mu_);
  if (caught_up_) catchup_start_ = std::chrono::steady_clock::now();
  caught_up_ = false;
  target_ = std::move(target);
}

int64_t ViewSync::behind() const {
  std::lock_guard<std::mutex> lock(target_mu_);
  if (!target_) return -1;
  const Offsets wm = store_.watermark();
  int64_t total = 0;
  for (const auto& [p, hi] : *target_) {
    auto it = wm.find(p);
    total += std::max<int64_t>(0, hi - (it != wm.end() ? it->second : 0));
  }
  return total;
}

void ViewSync::CheckCaughtUp(kafka::Consumer* consumer) {
  if (caught_up_) return;
  std::lock_guard<std::mutex> lock(target_mu_);
  if (!target_) return;
  if (!ReachedTarget(*target_, store_.watermark(), consumer, options_.topic)) return;
  caught_up_ = true;
  Logger("lookup")->info(
      "view caught up with the events topic; serving topic={} stories={} versions={} seconds={:.3f}",
      options_.topic, store_.story_count(), store_.version_count(),
      std::chrono::duration<double>(std::chrono::steady_clock::now() - catchup_start_).count());
}

void ViewSync::UpdateLag(kafka::Consumer& consumer, int partitions) {
  const Offsets wm = store_.watermark();
  for (int p = 0; p < partitions; ++p) {
    int64_t lo = 0, hi = 0;
    if (rd_kafka_get_watermark_offsets(consumer.raw(), options_.topic.c_str(), p, &lo, &hi) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        hi < 0) {
      continue;
    }
    auto it = wm.find(p);
    const int64_t applied = it != wm.end() ? it->second : 0;
    const int64_t lag = std::max<int64_t>(0, hi - applied);
    metrics_.watermark_lag.Get(std::to_string(p)).Set(static_cast<double>(lag));
  }
  metrics_.view_stories.Set(static_cast<double>(store_.story_count()));
  metrics_.view_versions.Set(static_cast<double>(store_.version_count()));
}

void ViewSync::Run() {
  auto log = Logger("lookup");
  kafka::Properties props = FeedConsumerProperties(options_.kafka, options_.brokers, "copydesk-lookup");
  // librdkafka wants a group id even for assign(); the view never joins or commits to it.
  if (!props.count("group.id")) props["group.id"] = "copydesk-lookup-view";
  auto consumer = CreateFeedConsumer(props, kNames);
  if (!consumer) return;
  kafka::Consumer& c = *consumer;
  int partitions = 0;
  auto last_check = std::chrono::steady_clock::now();
  auto last_disk = std::chrono::steady_clock::time_point();
  int attach_failures = 0;
  std::vector<InputRecord> batch;
  while (!stop_) {
    if (partitions == 0) {
      auto n = AttachOrWait([&] { return Attach(c); }, options_.topic, kNames, stop_, &attach_failures);
      if (!n) continue;
      partitions = *n;
      store_.SetValidated(true);
    }
    batch.clear();
    const bool error = !PollRecords(c, options_.max_batch, kNames, [&](kafka::Record& r) {
      InputRecord in;
      in.partition = r.partition;
      in.offset = r.offset;
      if (r.value) in.value = std::move(*r.value);
      batch.push_back(std::move(in));
    });
    if (!batch.empty()) {
      auto stats = store_.Apply(batch);
      if (!stats.ok()) {
        log->error("view write failed; retrying from the stored offsets error=\"{}\"", stats.error().reason);
        partitions = 0;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        continue;
      }
      metrics_.events_applied.Increment(stats->applied);
      metrics_.events_duplicate.Increment(stats->duplicates);
      metrics_.events_invalid.Increment(stats->invalid);
      if (stats->invalid > 0) log->warn("skipped undecodable article events count={}", stats->invalid);
      CheckCaughtUp(nullptr);
    }
    if (error) {
      partitions = 0;  // revalidate and reassign from the stored offsets
      store_.SetValidated(false);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last_check > std::chrono::seconds(1)) {
      last_check = now;
      UpdateLag(c, partitions);
      CheckCaughtUp(&c);
      if (PartitionCountChanged(c, options_.topic, partitions, kNames)) partitions = 0;
    }
    if (now - last_disk > std::chrono::seconds(10)) {
      last_disk = now;
      metrics_.view_disk_bytes.Set(static_cast<double>(store_.DiskBytes()));
    }
  }
  c.Close();
}

}  // namespace copydesk::lookup
