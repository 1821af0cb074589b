// librdkafka at the door (STYLE.md items 3 and 4): RAII handles under named aliases, and a
// plain Record type. Nothing past these wrappers sees rd_kafka_message_t.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/record.h"
#include "common/result.h"

namespace copydesk::kafka {

using copydesk::Header;
using copydesk::Record;

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const;
};
struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
struct TopicPartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
struct ErrorDeleter {
  void operator()(rd_kafka_error_t* e) const { rd_kafka_error_destroy(e); }
};
struct GroupMetadataDeleter {
  void operator()(rd_kafka_consumer_group_metadata_t* g) const {
    rd_kafka_consumer_group_metadata_destroy(g);
  }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using ConfHandle = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using TopicPartitionListHandle = std::unique_ptr<rd_kafka_topic_partition_list_t, TopicPartitionListDeleter>;
using MessageHandle = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
using ErrorHandle = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;
using GroupMetadataHandle = std::unique_ptr<rd_kafka_consumer_group_metadata_t, GroupMetadataDeleter>;

// librdkafka configuration properties ("bootstrap.servers" -> "..."), passed through as given.
using Properties = std::map<std::string, std::string>;

// A (topic, partition, offset) triple.
struct TopicPartitionOffset {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = RD_KAFKA_OFFSET_INVALID;
};

// Converts a consumed librdkafka message into a Record (copies key, value and headers).
Record ToRecord(const rd_kafka_message_t& m);

// Builds a librdkafka conf from properties; the error names the bad key.
Result<ConfHandle> MakeConf(const Properties& props);

TopicPartitionListHandle ToList(const std::vector<TopicPartitionOffset>& tpos);
std::vector<TopicPartitionOffset> FromList(const rd_kafka_topic_partition_list_t* list);

// Partition count of a topic from broker metadata, or an error.
Result<int> PartitionCount(rd_kafka_t* rk, const std::string& topic, int timeout_ms = 10000);
// The cluster's id from broker metadata, waiting at most `timeout_ms`; nullopt when the broker
// has not said it (yet, or ever: an old broker).
std::optional<std::string> ClusterId(rd_kafka_t* rk, int timeout_ms = 5000);
// Low and high watermark of a partition from the broker.
Result<std::pair<int64_t, int64_t>> Watermarks(rd_kafka_t* rk, const std::string& topic, int32_t partition,
                                               int timeout_ms = 5000);

// A producer that delivers synchronously in batches: Send() enqueues, Flush() waits for every
// delivery report and returns the first delivery error. Thread-compatible (one thread).
class Producer {
 public:
  static Result<std::unique_ptr<Producer>> Create(const Properties& props);
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;
  ~Producer();

  // Enqueues a record (waits while the local queue is full). Errors here are local (unknown
  // topic, message too large).
  Status Send(const Record& record);
  // Waits until every enqueued record is acknowledged or failed; returns the first failure
  // since the last Flush.
  Status Flush(std::chrono::milliseconds timeout);
  [[nodiscard]] rd_kafka_t* raw() const { return rk_.get(); }

  // Transactions (transactional.id must be set in the properties).
  Status InitTransactions(std::chrono::milliseconds timeout);
  Status BeginTransaction();
  // Loads the metadata of `topics` now: librdkafka otherwise holds the first message to a topic
  // it has not seen for ~1 s while it looks the topic up (measured on the embedded broker).
  Status WarmUp(const std::vector<std::string>& topics, std::chrono::milliseconds timeout);
  Status SendOffsetsToTransaction(const std::vector<TopicPartitionOffset>& offsets,
                                  const rd_kafka_consumer_group_metadata_t* group,
                                  std::chrono::milliseconds timeout);
  Status CommitTransaction(std::chrono::milliseconds timeout);
  Status AbortTransaction(std::chrono::milliseconds timeout);

  // Kind of the last transactional error: fatal / fenced (exit), abortable (abort + rewind),
  // retriable (retry the same call).
  enum class TxnErrorKind { kNone, kRetriable, kAbortable, kFatal };
  [[nodiscard]] TxnErrorKind last_txn_error() const { return last_txn_error_; }

  // The highest offset acknowledged so far on (topic, partition), -1 if none.
  [[nodiscard]] int64_t LastAckedOffset(const std::string& topic, int32_t partition) const;

  // Delivery tracking for the at-least-once worker (it releases an output only
  // once the changelog records sent before it are acknowledged). Every Send() gets the next
  // sequence number (1, 2, ...); last_sequence() is the latest one (0 = none yet).
  [[nodiscard]] uint64_t last_sequence() const { return next_seq_ - 1; }
  // Every record up to and including this sequence number has its delivery report (acknowledged,
  // unless delivery_failed()). Advances as reports are served by Poll(), Flush() or Send().
  [[nodiscard]] uint64_t DeliveredThrough() const { return first_unreported_ - 1; }
  // Serves delivery reports, waiting at most `timeout` for one.
  void Poll(std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  // True when a delivery failed since the last Flush() (which returns the failure and clears it).
  [[nodiscard]] bool delivery_failed() const { return first_error_.has_value(); }

 private:
  Producer() = default;
  Status TxnResult(rd_kafka_error_t* err, const char* what);
  static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque);

  KafkaHandle rk_;  // owns the librdkafka producer
  // Delivery bookkeeping, touched on the thread that calls Send/Flush (poll callbacks run there).
  int64_t outstanding_ = 0;
  std::optional<Error> first_error_;
  TxnErrorKind last_txn_error_ = TxnErrorKind::kNone;
  std::map<std::pair<std::string, int32_t>, int64_t> acked_;
  uint64_t next_seq_ = 1;          // sequence number of the next Send()
  uint64_t first_unreported_ = 1;  // lowest sequence number without a delivery report
  std::deque<bool> reported_;      // reported_[i]: sequence first_unreported_ + i has its report
};

// A consumer. Either subscribe() for a group member (manual commits only) or assign() for a
// reader that keeps its own offsets. Single-threaded: every call from the poll thread.
class Consumer {
 public:
  // Rebalance hook: called on the poll thread with the partitions being assigned or revoked
  // (incremental under cooperative-sticky). Runs before the assignment changes. On assign it may
  // set each partition's start offset (left RD_KAFKA_OFFSET_INVALID: the committed offset).
  // Under the cooperative protocol it may also remove partitions from the list: on assign, those
  // it will add later with AddPartitions (e.g. once their state is restored); on revoke, those it
  // never added. What is left in the list is what the assignment gains or loses.
  using RebalanceCallback = std::function<void(bool assigned, std::vector<TopicPartitionOffset>& partitions)>;
  using StatsCallback = std::function<void(std::string_view json)>;

  static Result<std::unique_ptr<Consumer>> Create(const Properties& props,
                                                  RebalanceCallback on_rebalance = {},
                                                  StatsCallback on_stats = {});
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;
  ~Consumer();

  Status Subscribe(const std::vector<std::string>& topics);
  Status Assign(const std::vector<TopicPartitionOffset>& partitions);
  // Next record, nullopt on timeout or partition EOF; an Error for a consumer error. Consumer
  // errors are reports: librdkafka keeps retrying the fetch (a timed-out request, a broker down, a
  // leader change), so the caller may poll again, unless fatal() says the client is unusable.
  Result<std::optional<Record>> Poll(std::chrono::milliseconds timeout);
  // True once librdkafka raised a fatal error on this client: it can do nothing more.
  [[nodiscard]] bool fatal() const;
  // After Poll returned an Error: the partition whose position is not on the broker, when that was
  // the error (`auto.offset.reset=error`; librdkafka stops fetching it until a Seek). Cleared by
  // the call.
  std::optional<TopicPartitionOffset> TakeOutOfRange();
  // After Poll returned nullopt: where a partition's end was reached, when that was the reason
  // (`enable.partition.eof=true`). The offset is the partition's end, past any transaction
  // control records, which a consumer never receives. Cleared by the call.
  std::optional<TopicPartitionOffset> TakeEndOfPartition();
  // Commits the given next-offsets; synchronously unless `async` (then errors are not reported).
  Status Commit(const std::vector<TopicPartitionOffset>& offsets, bool async = false);
  // Committed next-offsets of the group for these partitions.
  Result<std::vector<TopicPartitionOffset>> Committed(const std::vector<TopicPartitionOffset>& partitions,
                                                      std::chrono::milliseconds timeout);
  Status Seek(const TopicPartitionOffset& tpo, std::chrono::milliseconds timeout);
  // Restarts fetching an assigned partition at `tpo.offset`, also after a fetch error stopped it
  // (where Seek fails): removes it from the assignment and adds it back, incrementally (the group
  // is not involved). Needs the cooperative protocol (cooperative-sticky), as the worker uses.
  Status Restart(const TopicPartitionOffset& tpo);
  // Adds partitions of the group's assignment that the rebalance hook held back, starting at
  // their `offset` (incremental; cooperative protocol only).
  Status AddPartitions(const std::vector<TopicPartitionOffset>& partitions);
  Status Pause(const std::vector<TopicPartitionOffset>& partitions);
  Status Resume(const std::vector<TopicPartitionOffset>& partitions);
  // Records of an assigned partition not yet delivered, as of the last fetch response (the end
  // librdkafka last saw minus the position; `start` stands for the position before the first
  // delivery). With a transactional producer upstream the end includes a transaction control
  // record, which is never delivered, so 1 can mean caught up. nullopt until a fetch has reported
  // the end.
  [[nodiscard]] std::optional<int64_t> Lag(const std::string& topic, int32_t partition, int64_t start) const;
  std::vector<TopicPartitionOffset> Assignment() const;
  GroupMetadataHandle GroupMetadata() const;
  // True inside a revoke callback when the group took the partitions without a rebalance
  // handshake (the session timed out): another member may already own them.
  bool AssignmentLost() const;
  // Leaves the group and closes the consumer, waiting at most `timeout` (also done by the
  // destructor). If the close does not finish in time (e.g. the coordinator is down), the handle
  // is destroyed without waiting further; the group then drops the member after the session
  // timeout. Returns false in that case.
  bool Close(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  [[nodiscard]] rd_kafka_t* raw() const { return rk_.get(); }

 private:
  Consumer() = default;
  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                          void* opaque);
  static int OnStats(rd_kafka_t* rk, char* json, size_t len, void* opaque);

  KafkaHandle rk_;  // owns the librdkafka consumer
  RebalanceCallback on_rebalance_;
  StatsCallback on_stats_;
  bool closed_ = false;
  bool close_incomplete_ = false;
  std::optional<TopicPartitionOffset> out_of_range_;
  std::optional<TopicPartitionOffset> end_of_partition_;
};

}  // namespace copydesk::kafka
