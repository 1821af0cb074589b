#include "lookup/topic_feed.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <thread>
#include <vector>

#include "common/log.h"

namespace copydesk::lookup {

// Log start and high watermark of every partition, with two ListOffsets requests (earliest and
// latest) that honour the timeout: rd_kafka_query_watermark_offsets() waits for its reply without
// a bound when the broker goes away after the leader lookup, which would hold Stop().
Result<Marks> QueryMarks(rd_kafka_t* rk, const std::string& topic, int partitions, int timeout_ms) {
  Marks out;
  for (const int64_t which : {RD_KAFKA_OFFSET_BEGINNING, RD_KAFKA_OFFSET_END}) {
    kafka::TopicPartitionListHandle owned(rd_kafka_topic_partition_list_new(partitions));
    rd_kafka_topic_partition_list_t* list = owned.get();
    for (int p = 0; p < partitions; ++p)
      rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = which;
    rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, list, timeout_ms);
    for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && i < list->cnt; ++i) {
      const auto& tp = list->elems[i];
      if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR) err = tp.err;
      auto& m = out[tp.partition];
      (which == RD_KAFKA_OFFSET_BEGINNING ? m.first : m.second) = tp.offset;
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Error{v1::ERROR_CODE_INTERNAL, std::string("watermarks: ") + rd_kafka_err2str(err)};
    }
  }
  return out;
}

std::string InvalidOffsets(const Offsets& kept, int partitions, const Marks& marks,
                           bool below_log_start_invalid, std::string* detail) {
  for (const auto& [p, off] : kept) {
    if (p >= partitions) {
      *detail = "partition " + std::to_string(p) + " of " + std::to_string(partitions);
      return "partition_missing";
    }
    const auto& [start, high] = marks.at(p);
    if (off > high) {
      *detail = "partition " + std::to_string(p) + " stored " + std::to_string(off) + " high watermark " +
                std::to_string(high);
      return "offset_beyond_high_watermark";
    }
    if (below_log_start_invalid && off < start) {
      *detail = "partition " + std::to_string(p) + " stored " + std::to_string(off) + " log start " +
                std::to_string(start);
      return "offset_below_log_start";
    }
  }
  return "";
}

Offsets HighWatermarks(const Marks& marks) {
  Offsets out;
  for (const auto& [p, m] : marks) out[p] = m.second;
  return out;
}

kafka::Properties FeedConsumerProperties(const kafka::Properties& extra, const std::string& brokers,
                                         const std::string& default_client_id) {
  kafka::Properties props = extra;
  props["bootstrap.servers"] = brokers;
  props["enable.auto.commit"] = "false";
  props["enable.auto.offset.store"] = "false";
  props["isolation.level"] = "read_committed";
  props["auto.offset.reset"] = "error";  // an invalid position surfaces as an error: revalidate
  props["fetch.wait.max.ms"] = "10";
  props["enable.partition.eof"] = "false";
  if (!props.count("client.id")) props["client.id"] = default_client_id;
  return props;
}

std::unique_ptr<kafka::Consumer> CreateFeedConsumer(const kafka::Properties& props, const FeedNames& names) {
  auto consumer = kafka::Consumer::Create(props);
  if (!consumer.ok()) {
    Logger("lookup")->error("cannot create the {} consumer error=\"{}\"", names.feed,
                            consumer.error().reason);
    return nullptr;
  }
  return std::move(*consumer);
}

bool PollRecords(kafka::Consumer& consumer, size_t max_batch, const FeedNames& names,
                 const std::function<void(kafka::Record&)>& push) {
  auto first = consumer.Poll(std::chrono::milliseconds(100));
  if (!first.ok()) {
    Logger("lookup")->warn("{} consumer error; revalidating offsets error=\"{}\"", names.feed,
                           first.error().reason);
    return false;
  }
  if (!first->has_value()) return true;
  push(**first);
  for (size_t n = 1; n < max_batch; ++n) {
    auto more = consumer.Poll(std::chrono::milliseconds(0));
    if (!more.ok()) return false;
    if (!more->has_value()) break;
    push(**more);
  }
  return true;
}

std::optional<int> AttachOrWait(const std::function<Result<int>()>& attach, const std::string& topic,
                                const FeedNames& names, const std::atomic<bool>& stop, int* failures) {
  auto n = attach();
  if (n.ok()) {
    *failures = 0;
    return *n;
  }
  if ((*failures)++ % 10 == 0) {
    Logger("lookup")->warn("{} cannot attach to the {} yet; retrying topic={} error=\"{}\"", names.feed,
                           names.topic, topic, n.error().reason);
  }
  for (int i = 0; i < 10 && !stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return std::nullopt;
}

bool PartitionCountChanged(kafka::Consumer& consumer, const std::string& topic, int partitions,
                           const FeedNames& names) {
  auto n = kafka::PartitionCount(consumer.raw(), topic, 2000);
  if (!n.ok() || *n == partitions) return false;
  Logger("lookup")->info("{} partition count changed old={} new={}", names.topic, partitions, *n);
  return true;
}

bool ReachedTarget(const Offsets& target, const Offsets& applied, kafka::Consumer* consumer,
                   const std::string& topic) {
  std::vector<int32_t> lagging;
  for (const auto& [p, hi] : target) {
    auto it = applied.find(p);
    if ((it != applied.end() ? it->second : 0) < hi) lagging.push_back(p);
  }
  if (!lagging.empty() && consumer != nullptr) {
    kafka::TopicPartitionListHandle owned(
        rd_kafka_topic_partition_list_new(static_cast<int>(lagging.size())));
    rd_kafka_topic_partition_list_t* list = owned.get();
    for (int32_t p : lagging) rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
    if (rd_kafka_position(consumer->raw(), list) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      lagging.clear();
      for (int i = 0; i < list->cnt; ++i) {
        const auto& tp = list->elems[i];
        if (tp.offset < target.at(tp.partition)) lagging.push_back(tp.partition);
      }
    }
  }
  return lagging.empty();
}

}  // namespace copydesk::lookup
