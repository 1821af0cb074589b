#include "ingest/kafka_io.h"

#include <algorithm>

#include "common/log.h"

namespace copydesk::ingest {

using namespace std::chrono_literals;

static_assert(kOffsetBeginning == RD_KAFKA_OFFSET_BEGINNING);

kafka::Properties ProducerProperties(const WorkerOptions& o) {
  auto props = o.kafka.ClientProperties();
  props["enable.idempotence"] = "true";
  // At-least-once releases an event's outputs once its changelog records are acknowledged: two
  // produce round trips per event, each waiting out linger.ms, so it lingers 1 ms. Transactional
  // mode sends at the commit and flushes at once; 5 ms batches its records.
  props.emplace("linger.ms", o.transactional() ? "5" : "1");
  props["queue.buffering.max.messages"] = "20000";
  // Dead letters carry the original value, which may exceed max_value_bytes: leave room.
  props["message.max.bytes"] = std::to_string(std::max<int64_t>(2 * o.max_value_bytes + (1 << 20), 32 << 20));
  if (o.transactional()) {
    props["transactional.id"] = o.group_id + "-" + o.instance_id;
    props["transaction.timeout.ms"] = "60000";
  }
  return props;
}

kafka::Properties GroupConsumerProperties(const WorkerOptions& o) {
  auto props = o.kafka.ClientProperties();
  props["group.id"] = o.group_id;
  props["enable.auto.commit"] = "false";
  props["enable.auto.offset.store"] = "false";
  // Never skip input silently: each partition starts where its state is, and a position the
  // broker no longer has is handled by the worker (InputPosition).
  props["auto.offset.reset"] = "error";
  props["partition.assignment.strategy"] = "cooperative-sticky";
  props["isolation.level"] = "read_committed";
  props["fetch.wait.max.ms"] = "10";
  props["session.timeout.ms"] = std::to_string(o.session_timeout_ms);
  props["heartbeat.interval.ms"] = std::to_string(std::max<int64_t>(o.session_timeout_ms / 6, 250));
  props["statistics.interval.ms"] = "5000";
  props["fetch.message.max.bytes"] =
      std::to_string(std::max<int64_t>(o.max_value_bytes + (1 << 20), 1048576));
  return props;
}

// ---------------------------------------------------------------------------------------------
// KafkaRecordSource

Result<std::unique_ptr<KafkaRecordSource>> KafkaRecordSource::Create(
    const WorkerOptions& o, RebalanceHook hook, kafka::Consumer::StatsCallback on_stats) {
  std::unique_ptr<KafkaRecordSource> s(new KafkaRecordSource(o.topics.raw, std::move(hook)));
  KafkaRecordSource* raw = s.get();
  auto consumer = kafka::Consumer::Create(
      GroupConsumerProperties(o),
      [raw](bool assigned, std::vector<kafka::TopicPartitionOffset>& parts) {
        raw->OnRebalance(assigned, parts);
      },
      std::move(on_stats));
  if (!consumer.ok()) return consumer.error();
  s->consumer_ = std::move(consumer.value());
  if (Status st = s->consumer_->Subscribe({o.topics.raw}); !st.ok()) return st.error();
  return s;
}

void KafkaRecordSource::OnRebalance(bool assigned, std::vector<kafka::TopicPartitionOffset>& parts) {
  std::vector<int32_t> partitions;
  partitions.reserve(parts.size());
  for (const auto& p : parts) partitions.push_back(p.partition);
  if (hook_) hook_(assigned, partitions);
  // What the hook left changes the assignment (from the group's committed offset on assign).
  std::erase_if(parts, [&](const kafka::TopicPartitionOffset& p) {
    return std::find(partitions.begin(), partitions.end(), p.partition) == partitions.end();
  });
}

Result<std::optional<Record>> KafkaRecordSource::Poll(std::chrono::milliseconds timeout) {
  return consumer_->Poll(timeout);
}

std::optional<PartitionOffset> KafkaRecordSource::TakeOutOfRange() {
  auto position = consumer_->TakeOutOfRange();
  if (!position || position->topic != topic_) return std::nullopt;
  return PartitionOffset{position->partition, position->offset};
}

Result<std::optional<int64_t>> KafkaRecordSource::Committed(int32_t partition) {
  auto committed = consumer_->Committed({{topic_, partition, RD_KAFKA_OFFSET_INVALID}}, 10s);
  if (!committed.ok()) return committed.error();
  if (committed.value().empty() || committed.value()[0].offset < 0) return std::optional<int64_t>();
  return std::optional<int64_t>(committed.value()[0].offset);
}

Status KafkaRecordSource::Add(int32_t partition, std::optional<int64_t> offset) {
  return consumer_->AddPartitions({{topic_, partition, offset ? *offset : RD_KAFKA_OFFSET_BEGINNING}});
}

Status KafkaRecordSource::Restart(int32_t partition, int64_t offset) {
  return consumer_->Restart({topic_, partition, offset});
}

Status KafkaRecordSource::Seek(int32_t partition, int64_t offset) {
  return consumer_->Seek({topic_, partition, offset}, 10s);
}

void KafkaRecordSource::Pause(int32_t partition) {
  (void)consumer_->Pause({{topic_, partition, 0}});
}

void KafkaRecordSource::Resume(int32_t partition) {
  (void)consumer_->Resume({{topic_, partition, 0}});
}

std::optional<int64_t> KafkaRecordSource::Lag(int32_t partition, int64_t start) const {
  return consumer_->Lag(topic_, partition, start);
}

bool KafkaRecordSource::AssignmentLost() const {
  return consumer_->AssignmentLost();
}

bool KafkaRecordSource::Close(std::chrono::milliseconds timeout) {
  return consumer_->Close(timeout);
}

// ---------------------------------------------------------------------------------------------
// KafkaRecordSink, KafkaTransactions, KafkaOffsetCommitter

Result<std::unique_ptr<KafkaRecordSink>> KafkaRecordSink::Create(const WorkerOptions& o) {
  auto producer = kafka::Producer::Create(ProducerProperties(o));
  if (!producer.ok()) return producer.error();
  std::unique_ptr<KafkaRecordSink> sink(new KafkaRecordSink());
  sink->producer_ = std::move(producer.value());
  const auto& t = o.topics;
  Status st = sink->producer_->WarmUp({t.changelog, t.index, t.articles, t.events, t.outcomes, t.dlq}, 10s);
  if (!st.ok()) Logger("ingest")->warn("producer warm-up failed reason=\"{}\"", st.error().reason);
  if (o.transactional()) {
    if (Status init = sink->producer_->InitTransactions(30s); !init.ok()) return init.error();
  }
  return sink;
}

Status KafkaTransactions::SendOffsets(const std::vector<PartitionOffset>& next,
                                      std::chrono::milliseconds timeout) {
  std::vector<kafka::TopicPartitionOffset> offsets;
  offsets.reserve(next.size());
  for (const auto& n : next) offsets.push_back({topic_, n.partition, n.offset});
  auto group = group_.GroupMetadata();
  return producer_.SendOffsetsToTransaction(offsets, group.get(), timeout);
}

Transactions::ErrorKind KafkaTransactions::last_error() const {
  switch (producer_.last_txn_error()) {
    case kafka::Producer::TxnErrorKind::kNone: return ErrorKind::kNone;
    case kafka::Producer::TxnErrorKind::kRetriable: return ErrorKind::kRetriable;
    case kafka::Producer::TxnErrorKind::kAbortable: return ErrorKind::kAbortable;
    case kafka::Producer::TxnErrorKind::kFatal: return ErrorKind::kFatal;
  }
  return ErrorKind::kFatal;
}

Status KafkaOffsetCommitter::CommitOffsets(const std::vector<PartitionOffset>& next) {
  std::vector<kafka::TopicPartitionOffset> offsets;
  offsets.reserve(next.size());
  for (const auto& n : next) offsets.push_back({topic_, n.partition, n.offset});
  return consumer_.Commit(offsets, /*async=*/true);
}

// ---------------------------------------------------------------------------------------------
// KafkaCluster

namespace {

class KafkaPartitionReader final : public PartitionReader {
 public:
  KafkaPartitionReader(std::string topic, std::unique_ptr<kafka::Consumer> consumer)
      : topic_(std::move(topic)), consumer_(std::move(consumer)) {}
  Status Assign(const std::vector<PartitionOffset>& from) override {
    std::vector<kafka::TopicPartitionOffset> parts;
    parts.reserve(from.size());
    for (const auto& f : from) parts.push_back({topic_, f.partition, f.offset});
    return consumer_->Assign(parts);
  }
  Result<std::optional<Record>> Poll(std::chrono::milliseconds timeout) override {
    return consumer_->Poll(timeout);
  }
  std::optional<PartitionOffset> TakeEndOfPartition() override {
    auto end = consumer_->TakeEndOfPartition();
    if (!end) return std::nullopt;
    return PartitionOffset{end->partition, end->offset};
  }
  [[nodiscard]] bool fatal() const override { return consumer_->fatal(); }
  void Close(std::chrono::milliseconds timeout) override { consumer_->Close(timeout); }

 private:
  std::string topic_;
  std::unique_ptr<kafka::Consumer> consumer_;
};

}  // namespace

Result<int> KafkaCluster::PartitionCount(const std::string& topic) {
  return kafka::PartitionCount(producer_.raw(), topic);
}

Result<std::pair<int64_t, int64_t>> KafkaCluster::Watermarks(const std::string& topic, int32_t partition) {
  return kafka::Watermarks(producer_.raw(), topic, partition);
}

Result<std::string> KafkaCluster::ClusterId() {
  if (cluster_id_.empty()) cluster_id_ = kafka::ClusterId(producer_.raw()).value_or("");
  if (cluster_id_.empty()) return Error{v1::ERROR_CODE_INTERNAL, "the cluster id is not known yet"};
  return cluster_id_;
}

Result<std::unique_ptr<PartitionReader>> KafkaCluster::OpenReader(const std::string& topic,
                                                                  int fetch_wait_ms) {
  auto props = kafka_.ClientProperties();
  props["isolation.level"] = "read_committed";
  props["enable.partition.eof"] = "true";
  props["fetch.wait.max.ms"] = std::to_string(fetch_wait_ms);
  auto c = kafka::Consumer::Create(props);
  if (!c.ok()) return c.error();
  return std::unique_ptr<PartitionReader>(
      std::make_unique<KafkaPartitionReader>(topic, std::move(c.value())));
}

}  // namespace copydesk::ingest
