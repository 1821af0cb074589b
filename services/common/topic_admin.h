// The topic list (topics.h) against a cluster: observe (Metadata, DescribeConfigs), create
// (CreateTopics), fix configuration (DescribeConfigs + AlterConfigs), and the start-up check
// the ingest worker and the lookup run.
//
// Admin requests need a controller: a cluster whose metadata names no controller among its
// brokers cannot take them (librdkafka 2.0.2's mock cluster, the embedded `copydesk broker`,
// implements no Admin API at all). Then configurations are reported unverified, and creation
// falls back to the embedded broker's control interface when one is given.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/result.h"
#include "common/topics.h"

namespace copydesk::topics {

// What the cluster has for `plan` (by name). `configs` only when the cluster has a controller
// and answers DescribeConfigs within `timeout`.
struct ClusterView {
  std::map<std::string, Observed> topics;
  bool admin_available = false;
  std::string admin_unavailable;  // why, when not
  int raw_partitions = 0;         // of the plan's raw topic, 0 when absent or not in the plan
};
Result<ClusterView> Observe(rd_kafka_t* rk, const std::vector<TopicSpec>& plan,
                            std::chrono::milliseconds timeout);

// Creates `specs` (CreateTopics with their create_configs). Topics that already exist are not
// an error.
Status Create(rd_kafka_t* rk, const std::vector<TopicSpec>& specs, std::chrono::milliseconds timeout);

// Sets `changes` on topic `name` keeping its other dynamic settings (AlterConfigs replaces the
// whole dynamic configuration, so the current one is read first).
Status AlterTopicConfigs(rd_kafka_t* rk, const std::string& name,
                         const std::map<std::string, std::string>& changes,
                         std::chrono::milliseconds timeout);

struct CheckOptions {
  int64_t max_value_bytes = 10 << 20;  // ingest.max_value_bytes (sizes the outputs)
  int expect_raw_partitions = 0;       // 0 = any
  std::chrono::milliseconds timeout{3000};
  // When the cluster does not answer within `timeout`, log a warning and pass: a service then
  // starts and its clients retry (the lookup reports NOT_SERVING meanwhile) instead of
  // restart-looping while the brokers come up. A cluster that answers is always checked.
  bool pass_when_unreachable = true;
};

// The start-up check: every topic of `roles` exists, has the partitions its rule asks for, and
// (where the cluster lets it read them) the required cleanup.policy and max.message.bytes.
// Error: one line per problem, each naming the topic and the fix. Unverifiable settings, and an
// unreachable cluster with pass_when_unreachable, are logged as warnings (module "topics").
Status CheckTopics(const KafkaConfig& kafka, const TopicsConfig& names, const std::vector<Role>& roles,
                   const CheckOptions& options);

}  // namespace copydesk::topics
