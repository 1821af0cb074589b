#include "lookup/held_sync.h"

#include <librdkafka/rdkafka.h>

#include "common/log.h"
#include "lookup/view_sync.h"

namespace copydesk::lookup {

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
  if (!kept_cluster.empty() && !cluster.empty() && kept_cluster != cluster) reason = "cluster_changed";
  for (const auto& [p, off] : kept) {
    if (!reason.empty()) break;
    if (p >= *count) {
      reason = "partition_missing";
    } else if (off > marks->at(p).second) {
      reason = "offset_beyond_high_watermark";
    } else if (off < marks->at(p).first) {
      reason = "offset_below_log_start";
    }
  }
  bool new_partitions = false;
  for (int p = 0; p < *count; ++p) new_partitions = new_partitions || !kept.count(p);
  if (!reason.empty()) {
    log->warn(
        "held view offsets are not valid on the broker; reading the held topic again topic={} reason={}",
        options_.topic, reason);
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
    Offsets target;
    for (const auto& [p, m] : *marks) target[p] = m.second;
    std::lock_guard<std::mutex> lock(target_mu_);
    if (view_.complete()) start_ = std::chrono::steady_clock::now();
    view_.SetComplete(false);
    target_ = std::move(target);
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
  const Offsets applied = view_.offsets();
  std::vector<int32_t> lagging;
  for (const auto& [p, hi] : *target_) {
    auto it = applied.find(p);
    if ((it != applied.end() ? it->second : 0) < hi) lagging.push_back(p);
  }
  if (!lagging.empty() && consumer != nullptr) {
    // A transactional producer leaves a commit marker after its last record (see ViewSync).
    kafka::TopicPartitionListHandle owned(
        rd_kafka_topic_partition_list_new(static_cast<int>(lagging.size())));
    rd_kafka_topic_partition_list_t* list = owned.get();
    for (int32_t p : lagging) rd_kafka_topic_partition_list_add(list, options_.topic.c_str(), p);
    if (rd_kafka_position(consumer->raw(), list) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      lagging.clear();
      for (int i = 0; i < list->cnt; ++i) {
        const auto& tp = list->elems[i];
        if (tp.offset < target_->at(tp.partition)) lagging.push_back(tp.partition);
      }
    }
  }
  if (!lagging.empty()) return;
  view_.SetComplete(true);
  Logger("lookup")->info("held view caught up with the held topic topic={} held={} seconds={:.3f}",
                         options_.topic, view_.size(),
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
}

bool HeldSync::PollBatch(kafka::Consumer& consumer, std::vector<HeldRecord>* batch) {
  batch->clear();
  auto push = [&](kafka::Record& r) {
    HeldRecord in;
    in.partition = r.partition;
    in.offset = r.offset;
    if (r.key) in.key = std::move(*r.key);
    in.value = std::move(r.value);
    batch->push_back(std::move(in));
  };
  auto first = consumer.Poll(std::chrono::milliseconds(100));
  if (!first.ok()) {
    Logger("lookup")->warn("held view consumer error; revalidating offsets error=\"{}\"",
                           first.error().reason);
    return false;
  }
  if (!first->has_value()) return true;
  push(**first);
  while (batch->size() < options_.max_batch) {
    auto more = consumer.Poll(std::chrono::milliseconds(0));
    if (!more.ok()) return false;
    if (!more->has_value()) break;
    push(**more);
  }
  return true;
}

void HeldSync::Run() {
  auto log = Logger("lookup");
  kafka::Properties props = options_.kafka;
  props["bootstrap.servers"] = options_.brokers;
  props["enable.auto.commit"] = "false";
  props["enable.auto.offset.store"] = "false";
  props["isolation.level"] = "read_committed";
  props["auto.offset.reset"] = "error";  // an invalid position surfaces as an error: revalidate
  props["fetch.wait.max.ms"] = "10";
  props["enable.partition.eof"] = "false";
  if (!props.count("client.id")) props["client.id"] = "copydesk-lookup-held";
  // librdkafka wants a group id even for assign(); the feed never joins or commits to it.
  props["group.id"] = props.count("group.id") ? props["group.id"] + "-held" : "copydesk-lookup-held";
  auto consumer = kafka::Consumer::Create(props);
  if (!consumer.ok()) {
    log->error("cannot create the held view consumer error=\"{}\"", consumer.error().reason);
    return;
  }
  kafka::Consumer& c = **consumer;
  int partitions = 0;
  int attach_failures = 0;
  auto last_check = std::chrono::steady_clock::now();
  std::vector<HeldRecord> batch;
  while (!stop_) {
    if (partitions == 0) {
      auto n = Attach(c);
      if (!n.ok()) {
        if (attach_failures++ % 10 == 0) {
          log->warn("held view cannot attach to the held topic yet; retrying topic={} error=\"{}\"",
                    options_.topic, n.error().reason);
        }
        for (int i = 0; i < 10 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      attach_failures = 0;
      partitions = *n;
    }
    const bool error = !PollBatch(c, &batch);
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
      auto n = kafka::PartitionCount(c.raw(), options_.topic, 2000);
      if (n.ok() && *n != partitions) {
        log->info("held topic partition count changed old={} new={}", partitions, *n);
        partitions = 0;
      }
    }
  }
  c.Close();
}

}  // namespace copydesk::lookup
