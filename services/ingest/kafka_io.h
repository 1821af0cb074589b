// The librdkafka versions of the worker's I/O interfaces (io.h), and the client settings of the
// worker's Kafka clients. With common/kafka, the only code of the worker that calls librdkafka.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/kafka.h"
#include "ingest/io.h"
#include "ingest/options.h"

namespace copydesk::ingest {

// The producer's properties: idempotent; transactional in transactional mode (transactional.id
// "<group>-<instance>"); linger 1 ms at-least-once, 5 ms transactional (kafka.property.linger.ms
// overrides both).
kafka::Properties ProducerProperties(const WorkerOptions& o);
// The group member's properties: manual offset commits only, read_committed, cooperative-sticky,
// auto.offset.reset=error (never skip input silently).
kafka::Properties GroupConsumerProperties(const WorkerOptions& o);

// The input topic through a group member (kafka::Consumer, subscribed at creation).
class KafkaRecordSource final : public RecordSource {
 public:
  // `on_stats`: librdkafka's statistics JSON (the lag metrics).
  static Result<std::unique_ptr<KafkaRecordSource>> Create(const WorkerOptions& o, RebalanceHook hook,
                                                           kafka::Consumer::StatsCallback on_stats);
  Result<std::optional<Record>> Poll(std::chrono::milliseconds timeout) override;
  std::optional<PartitionOffset> TakeOutOfRange() override;
  Result<std::optional<int64_t>> Committed(int32_t partition) override;
  Status Add(int32_t partition, std::optional<int64_t> offset) override;
  Status Restart(int32_t partition, int64_t offset) override;
  Status Seek(int32_t partition, int64_t offset) override;
  void Pause(int32_t partition) override;
  void Resume(int32_t partition) override;
  [[nodiscard]] std::optional<int64_t> Lag(int32_t partition, int64_t start) const override;
  [[nodiscard]] bool AssignmentLost() const override;
  bool Close(std::chrono::milliseconds timeout) override;
  // The group member, for the transactions' group metadata and the offset commits.
  [[nodiscard]] kafka::Consumer& consumer() { return *consumer_; }

 private:
  KafkaRecordSource(std::string topic, RebalanceHook hook)
      : topic_(std::move(topic)), hook_(std::move(hook)) {}
  void OnRebalance(bool assigned, std::vector<kafka::TopicPartitionOffset>& parts);

  std::string topic_;
  RebalanceHook hook_;
  std::unique_ptr<kafka::Consumer> consumer_;  // its rebalance callback calls OnRebalance
};

// The worker's producer: records, delivery reports and (transactional mode) transactions.
class KafkaRecordSink final : public RecordSink {
 public:
  static Result<std::unique_ptr<KafkaRecordSink>> Create(const WorkerOptions& o);
  Status Send(const Record& record) override { return producer_->Send(record); }
  Status Flush(std::chrono::milliseconds timeout) override { return producer_->Flush(timeout); }
  void Poll() override { producer_->Poll(); }
  [[nodiscard]] uint64_t last_sequence() const override { return producer_->last_sequence(); }
  [[nodiscard]] uint64_t DeliveredThrough() const override { return producer_->DeliveredThrough(); }
  [[nodiscard]] bool delivery_failed() const override { return producer_->delivery_failed(); }
  [[nodiscard]] int64_t LastAckedOffset(const std::string& topic, int32_t partition) const override {
    return producer_->LastAckedOffset(topic, partition);
  }
  [[nodiscard]] kafka::Producer& producer() { return *producer_; }

 private:
  KafkaRecordSink() = default;
  std::unique_ptr<kafka::Producer> producer_;
};

// The sink's producer's transactions, with the group member's metadata for the offsets.
class KafkaTransactions final : public Transactions {
 public:
  // `topic`: the input topic of the offsets. `producer` and `group` must outlive this.
  KafkaTransactions(std::string topic, kafka::Producer& producer, const kafka::Consumer& group)
      : topic_(std::move(topic)), producer_(producer), group_(group) {}
  Status Begin() override { return producer_.BeginTransaction(); }
  Status SendOffsets(const std::vector<PartitionOffset>& next, std::chrono::milliseconds timeout) override;
  Status CommitTransaction(std::chrono::milliseconds timeout) override {
    return producer_.CommitTransaction(timeout);
  }
  Status AbortTransaction(std::chrono::milliseconds timeout) override {
    return producer_.AbortTransaction(timeout);
  }
  [[nodiscard]] ErrorKind last_error() const override;

 private:
  std::string topic_;
  kafka::Producer& producer_;     // borrowed
  const kafka::Consumer& group_;  // borrowed
};

// Offset commits through the group member, asynchronously.
class KafkaOffsetCommitter final : public OffsetCommitter {
 public:
  // `consumer` must outlive this.
  KafkaOffsetCommitter(std::string topic, kafka::Consumer& consumer)
      : topic_(std::move(topic)), consumer_(consumer) {}
  Status CommitOffsets(const std::vector<PartitionOffset>& next) override;

 private:
  std::string topic_;
  kafka::Consumer& consumer_;  // borrowed
};

// Metadata through the producer's handle, and read_committed readers with end events.
class KafkaCluster final : public Cluster {
 public:
  // `producer` must outlive this.
  KafkaCluster(const KafkaConfig& kafka, const kafka::Producer& producer)
      : kafka_(kafka), producer_(producer) {}
  Result<int> PartitionCount(const std::string& topic) override;
  Result<std::pair<int64_t, int64_t>> Watermarks(const std::string& topic, int32_t partition) override;
  Result<std::string> ClusterId() override;
  Result<std::unique_ptr<PartitionReader>> OpenReader(const std::string& topic, int fetch_wait_ms) override;

 private:
  KafkaConfig kafka_;
  const kafka::Producer& producer_;  // borrowed
  std::string cluster_id_;           // once known
};

}  // namespace copydesk::ingest
