// The embedded Kafka-protocol broker: librdkafka's mock cluster, with the copydesk topics
// created and its fault-injection controls exposed. For local runs and tests only: it keeps
// nothing on disk, does not compact, and does not enforce transactions (see DESIGN.md).
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/kafka.h"
#include "common/result.h"

namespace copydesk::broker {

struct MockClusterDeleter {
  void operator()(rd_kafka_mock_cluster_t* c) const { rd_kafka_mock_cluster_destroy(c); }
};
using MockClusterHandle = std::unique_ptr<rd_kafka_mock_cluster_t, MockClusterDeleter>;

struct TopicSpec {
  std::string name;
  int partitions = 0;  // 0 = BrokerOptions::partitions
};

struct BrokerOptions {
  int brokers = 3;
  int partitions = 12;
  // Topics to create. Default: the copydesk topics (DefaultTopics()).
  std::vector<TopicSpec> topics;
};

// The copydesk topics with their default names.
std::vector<TopicSpec> DefaultTopics();

// An embedded mock cluster. Owns the librdkafka handle that hosts the cluster's threads.
// Thread-safe for the fault controls; destroy from the thread that created it.
class EmbeddedBroker {
 public:
  static Result<std::unique_ptr<EmbeddedBroker>> Start(const BrokerOptions& options);
  EmbeddedBroker(const EmbeddedBroker&) = delete;
  EmbeddedBroker& operator=(const EmbeddedBroker&) = delete;
  ~EmbeddedBroker();

  // "127.0.0.1:P1,127.0.0.1:P2,..."
  [[nodiscard]] const std::string& bootstrap() const { return bootstrap_; }
  [[nodiscard]] int broker_count() const { return brokers_; }

  Status CreateTopic(const std::string& name, int partitions);
  // Fault injection (librdkafka mock controls). Broker ids are 1..N.
  Status SetBrokerDown(int32_t broker_id);
  Status SetBrokerUp(int32_t broker_id);
  Status SetRtt(int32_t broker_id, int rtt_ms);
  // Moves the leadership of one partition (a leader change, as on a real cluster).
  Status SetPartitionLeader(const std::string& topic, int32_t partition, int32_t broker_id);
  // Makes broker_id the coordinator of a group ("group") or transactional id ("transaction").
  Status SetCoordinator(const std::string& type, const std::string& key, int32_t broker_id);
  // The next `count` requests of `api` (e.g. "Produce", "Fetch", or a number) fail with `error`
  // (a librdkafka error name such as "NOT_LEADER_FOR_PARTITION", or a number).
  Status PushRequestErrors(const std::string& api, int count, const std::string& error);
  Status ClearRequestErrors(const std::string& api);

  // Runs one control command line, e.g. "broker-down 2"; returns the reply line.
  std::string Control(const std::string& line);

 private:
  EmbeddedBroker() = default;

  kafka::KafkaHandle host_;    // the rd_kafka_t that hosts the mock cluster; destroyed last
  MockClusterHandle cluster_;  // destroyed before host_
  std::string bootstrap_;
  int brokers_ = 0;
  int default_partitions_ = 0;
};

// A loopback TCP control interface: one command per line, one reply line per command.
// Commands: see ControlHelp(). Runs its own accept thread; Stop() or the destructor joins it.
class ControlServer {
 public:
  // `address` like "127.0.0.1:0"; the broker must outlive the server.
  static Result<std::unique_ptr<ControlServer>> Start(EmbeddedBroker& broker, const std::string& address);
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;
  ~ControlServer();
  void Stop();
  [[nodiscard]] std::string address() const;

 private:
  explicit ControlServer(EmbeddedBroker& broker) : broker_(broker) {}
  void Run();

  EmbeddedBroker& broker_;  // borrowed
  int listen_fd_ = -1;
  int port_ = 0;
  std::string host_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The help text of the control protocol.
std::string ControlHelp();

}  // namespace copydesk::broker
