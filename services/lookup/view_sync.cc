#include "lookup/view_sync.h"

#include <librdkafka/rdkafka.h>

#include "common/log.h"

namespace copydesk::lookup {

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
  thread_ = std::thread([this] { Run(); });
}

void ViewSync::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
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
  std::map<int32_t, std::pair<int64_t, int64_t>> marks;
  for (int p = 0; p < *count; ++p) {
    // Each query may block for long when the broker went away meanwhile: give up on Stop().
    if (stop_) return Error{v1::ERROR_CODE_INTERNAL, "stopping"};
    auto wm = kafka::Watermarks(consumer.raw(), options_.topic, p, 5000);
    if (!wm.ok()) return wm.error();
    marks[p] = *wm;
  }
  if (reason.empty()) {
    for (const auto& [p, off] : stored) {
      if (p >= *count) {
        reason = "partition_missing";
        detail = "partition " + std::to_string(p) + " of " + std::to_string(*count);
        break;
      }
      if (off > marks[p].second) {
        reason = "offset_beyond_high_watermark";
        detail = "partition " + std::to_string(p) + " stored " + std::to_string(off) + " high watermark " +
                 std::to_string(marks[p].second);
        break;
      }
    }
  }
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
    int64_t off = it != now.end() ? it->second : marks[p].first;
    if (off < marks[p].first) {
      log->warn(
          "records below the log start are gone; resuming at the log start partition={} stored={} start={}",
          p, off, marks[p].first);
      off = marks[p].first;
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
  log->info("view attached topic={} partitions={} cluster={} stories={} versions={}", options_.topic, *count,
            cluster, store_.story_count(), store_.version_count());
  return *count;
}

void ViewSync::UpdateLag(kafka::Consumer& consumer, int partitions) {
  const Offsets wm = store_.watermark();
  bool caught_up = true;
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
    if (lag > 0) caught_up = false;
    metrics_.watermark_lag.Get(std::to_string(p)).Set(static_cast<double>(lag));
  }
  if (caught_up) caught_up_ = true;
  metrics_.view_stories.Set(static_cast<double>(store_.story_count()));
  metrics_.view_versions.Set(static_cast<double>(store_.version_count()));
}

void ViewSync::Run() {
  auto log = Logger("lookup");
  kafka::Properties props = options_.kafka;
  props["bootstrap.servers"] = options_.brokers;
  props["enable.auto.commit"] = "false";
  props["enable.auto.offset.store"] = "false";
  props["isolation.level"] = "read_committed";
  props["auto.offset.reset"] = "error";  // an invalid position surfaces as an error: revalidate
  props["fetch.wait.max.ms"] = "10";
  props["enable.partition.eof"] = "false";
  if (!props.count("client.id")) props["client.id"] = "copydesk-lookup";
  // librdkafka wants a group id even for assign(); the view never joins or commits to it.
  if (!props.count("group.id")) props["group.id"] = "copydesk-lookup-view";
  auto consumer = kafka::Consumer::Create(props);
  if (!consumer.ok()) {
    log->error("cannot create the view consumer error=\"{}\"", consumer.error().reason);
    return;
  }
  kafka::Consumer& c = **consumer;
  int partitions = 0;
  auto last_check = std::chrono::steady_clock::now();
  auto last_disk = std::chrono::steady_clock::time_point();
  int attach_failures = 0;
  std::vector<InputRecord> batch;
  while (!stop_) {
    if (partitions == 0) {
      auto n = Attach(c);
      if (!n.ok()) {
        if (attach_failures++ % 10 == 0) {
          log->warn("view cannot attach to the events topic yet; retrying topic={} error=\"{}\"",
                    options_.topic, n.error().reason);
        }
        for (int i = 0; i < 10 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      attach_failures = 0;
      partitions = *n;
      store_.SetValidated(true);
    }
    batch.clear();
    bool error = false;
    auto first = c.Poll(std::chrono::milliseconds(100));
    if (!first.ok()) {
      log->warn("view consumer error; revalidating offsets error=\"{}\"", first.error().reason);
      error = true;
    } else if (first->has_value()) {
      auto push = [&](kafka::Record& r) {
        InputRecord in;
        in.partition = r.partition;
        in.offset = r.offset;
        if (r.value) in.value = std::move(*r.value);
        batch.push_back(std::move(in));
      };
      push(**first);
      while (batch.size() < options_.max_batch) {
        auto more = c.Poll(std::chrono::milliseconds(0));
        if (!more.ok()) {
          error = true;
          break;
        }
        if (!more->has_value()) break;
        push(**more);
      }
    }
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
      auto n = kafka::PartitionCount(c.raw(), options_.topic, 2000);
      if (n.ok() && *n != partitions) {
        log->info("events topic partition count changed old={} new={}", partitions, *n);
        partitions = 0;
      }
    }
    if (now - last_disk > std::chrono::seconds(10)) {
      last_disk = now;
      metrics_.view_disk_bytes.Set(static_cast<double>(store_.DiskBytes()));
    }
  }
  c.Close();
}

}  // namespace copydesk::lookup
