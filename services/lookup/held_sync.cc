#include "lookup/held_sync.h"

#include "common/log.h"
#include "lookup/topic_feed.h"

namespace copydesk::lookup {
namespace {

constexpr FeedNames kNames{"held view", "held topic"};

}  // namespace

HeldSync::HeldSync(HeldSyncOptions options, HeldView& view, LookupMetrics& metrics)
    : options_(std::move(options)), view_(view), metrics_(metrics) {}

HeldSync::~HeldSync() {
  Stop();
}

void HeldSync::Start() {
  if (thread_.joinable()) return;
  stop_ = false;
  view_.SetComplete(false);  // nothing read yet: not ready until the first catch-up
  {
    std::lock_guard<std::mutex> lock(target_mu_);
    target_.reset();
    start_ = std::chrono::steady_clock::now();
  }
  thread_ = std::thread([this] { Run(); });
}

void HeldSync::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

Result<int> HeldSync::Attach(kafka::Consumer& consumer) {
  auto log = Logger("lookup");
  auto count = kafka::PartitionCount(consumer.raw(), options_.topic, 5000);
  if (!count.ok()) return count.error();
  const std::string cluster = kafka::ClusterId(consumer.raw()).value_or("");
  if (stop_) return Error{v1::ERROR_CODE_INTERNAL, "stopping"};
  auto marks = QueryMarks(consumer.raw(), options_.topic, *count, 5000);
  if (!marks.ok()) return marks.error();
  // The offsets kept in memory are valid only on the same cluster, for partitions the topic
  // still has, inside [log start, high watermark] (below the log start, records and tombstones
  // may be gone unseen).
  const Offsets kept = view_.offsets();
  const std::string kept_cluster = view_.cluster_id();
  std::string reason;
  std::string detail;
  if (!kept_cluster.empty() && !cluster.empty() && kept_cluster != cluster) {
    reason = "cluster_changed";
    detail = "kept cluster " + kept_cluster + ", broker cluster " + cluster;
  } else {
    reason = InvalidOffsets(kept, *count, *marks, /*below_log_start_invalid=*/true, &detail);
  }
  bool new_partitions = false;
  for (int p = 0; p < *count; ++p) new_partitions = new_partitions || !kept.count(p);
  if (!reason.empty()) {
    log->warn(
        "held view offsets are not valid on the broker; reading the held topic again topic={} reason={} "
        "detail=\"{}\"",
        options_.topic, reason, detail);
    view_.Reset(cluster);
    ++resets_;
  } else if (!attached_) {
    view_.Reset(cluster);  // the first attach: empty anyway; records the cluster
  }
  attached_ = true;
  const Offsets now = view_.offsets();
  Offsets start;
  std::vector<kafka::TopicPartitionOffset> assign;
  for (int p = 0; p < *count; ++p) {
    auto it = now.find(p);
    const int64_t off = it != now.end() ? it->second : (*marks)[p].first;
    if (it == now.end()) start[p] = off;
    assign.push_back({options_.topic, p, off});
  }
  view_.SetOffsets(start);
  Status st = consumer.Assign(assign);
  if (!st.ok()) return st.error();
  if (!view_.complete() || !reason.empty() || new_partitions) {
    std::lock_guard<std::mutex> lock(target_mu_);
    if (view_.complete()) start_ = std::chrono::steady_clock::now();
    view_.SetComplete(false);
    target_ = HighWatermarks(*marks);
  }
  log->info("held view attached topic={} partitions={} cluster={} held={}", options_.topic, *count, cluster,
            view_.size());
  CheckComplete(&consumer);
  return *count;
}

void HeldSync::CheckComplete(kafka::Consumer* consumer) {
  if (view_.complete()) return;
  std::lock_guard<std::mutex> lock(target_mu_);
  if (!target_) return;
  if (!ReachedTarget(*target_, view_.offsets(), consumer, options_.topic)) return;
  view_.SetComplete(true);
  Logger("lookup")->info("held view caught up with the held topic topic={} held={} seconds={:.3f}",
                         options_.topic, view_.size(),
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
}

void HeldSync::Run() {
  auto log = Logger("lookup");
  kafka::Properties props = FeedConsumerProperties(options_.kafka, options_.brokers, "copydesk-lookup-held");
  // librdkafka wants a group id even for assign(); the feed never joins or commits to it.
  props["group.id"] = props.count("group.id") ? props["group.id"] + "-held" : "copydesk-lookup-held";
  auto consumer = CreateFeedConsumer(props, kNames);
  if (!consumer) return;
  kafka::Consumer& c = *consumer;
  int partitions = 0;
  int attach_failures = 0;
  auto last_check = std::chrono::steady_clock::now();
  std::vector<HeldRecord> batch;
  while (!stop_) {
    if (partitions == 0) {
      auto n = AttachOrWait([&] { return Attach(c); }, options_.topic, kNames, stop_, &attach_failures);
      if (!n) continue;
      partitions = *n;
    }
    batch.clear();
    const bool error = !PollRecords(c, options_.max_batch, kNames, [&](kafka::Record& r) {
      HeldRecord in;
      in.partition = r.partition;
      in.offset = r.offset;
      if (r.key) in.key = std::move(*r.key);
      in.value = std::move(r.value);
      batch.push_back(std::move(in));
    });
    if (!batch.empty()) {
      const HeldApplyStats stats = view_.Apply(batch);
      if (stats.invalid > 0) {
        log->warn("held view skipped unreadable held records (their stories are not shown) count={}",
                  stats.invalid);
      }
      CheckComplete(nullptr);
    }
    if (error) {
      partitions = 0;  // revalidate and reassign from the offsets kept in memory
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last_check > std::chrono::seconds(1)) {
      last_check = now;
      CheckComplete(&c);
      metrics_.held_stories.Set(static_cast<double>(view_.size()));
      if (PartitionCountChanged(c, options_.topic, partitions, kNames)) partitions = 0;
    }
  }
  c.Close();
}

}  // namespace copydesk::lookup
