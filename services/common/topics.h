// Every Kafka topic copydesk uses, in one list: name (from TopicsConfig), key, partition rule,
// cleanup policy and size settings. `copydesk topics plan|apply|check`, the start-up check of
// the worker and the lookup (topic_admin.h), the compose file, the Kubernetes topic manifests
// and docs/OPERATIONS.md are generated from or tested against this list.
// Pure: no Kafka here (topic_admin.h talks to the cluster).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"

namespace copydesk::topics {

enum class Role { kRaw, kArticles, kEvents, kOutcomes, kDlq, kChangelog, kIndex, kNinjs, kHeld };
// "raw", "articles", ... (the TopicsConfig key suffix: topics.<role>).
const char* RoleName(Role role);

enum class PartitionRule {
  kChosen,     // the operator's choice (--partitions): the raw topic; it bounds the useful workers
  kSameAsRaw,  // exactly the raw topic's count (a changelog partition per input partition)
  kAny,        // any count (keyed by story or event id; readers take every partition)
};

struct TopicSpec {
  Role role = Role::kRaw;
  std::string name;
  std::string key;    // what the record key is
  std::string value;  // what the value is
  PartitionRule partition_rule = PartitionRule::kAny;
  int partitions = 1;  // planned count
  int replication_factor = 3;
  std::string cleanup_policy = "delete";  // required: "delete" or "compact"
  // Required minimum of max.message.bytes; 0 = the broker default (1 MiB) is enough.
  int64_t min_max_message_bytes = 0;
  // Everything set at creation: cleanup.policy, max.message.bytes and the recommended settings
  // (retention). Only cleanup.policy and max.message.bytes are required by `check`.
  std::map<std::string, std::string> create_configs;
  std::vector<std::string> used_by;  // "ingest", "lookup", "redrive", "producers", ...
  std::string note;                  // one line on why the settings are what they are
};

struct PlanOptions {
  int raw_partitions = 12;
  int replication_factor = 3;
  // ingest.max_value_bytes: inputs up to this size are processed; articles come out about
  // twice the input, dead letters carry the input plus headers.
  int64_t max_value_bytes = 10 << 20;
};

// The topics of `names` with their settings, in a fixed order (raw, articles, events,
// outcomes, dlq, changelog, index, held, then ninjs when names.ninjs_enabled).
std::vector<TopicSpec> Plan(const TopicsConfig& names, const PlanOptions& options);
// The specs of `roles` only (e.g. what the lookup reads).
std::vector<TopicSpec> Select(const std::vector<TopicSpec>& plan, const std::vector<Role>& roles);
// What each component needs at start-up.
std::vector<Role> IngestRoles(bool shared_index, bool ninjs);
std::vector<Role> LookupRoles();

// What the cluster has for one topic.
struct Observed {
  bool exists = false;
  int partitions = 0;
  // The topic's configuration (effective values), when it could be read; else why not.
  std::optional<std::map<std::string, std::string>> configs;
  std::string configs_unreadable;
};

struct Finding {
  enum class Kind {
    kError,       // wrong: copydesk would fail or lose data
    kUnverified,  // could not be checked (the configuration was not readable)
  };
  Kind kind = Kind::kError;
  std::string topic;
  std::string problem;
  std::string fix;  // a command or action that fixes it
};

// Compares one topic with its spec. `raw_partitions` is the raw topic's count as observed
// (for kSameAsRaw), `expect_raw_partitions` the count asked for (0 = any, for kChosen).
std::vector<Finding> Compare(const TopicSpec& spec, const Observed& seen, int raw_partitions,
                             int expect_raw_partitions, const std::string& bootstrap);

// One line per finding: "topic T: problem; fix: ...".
std::string Describe(const std::vector<Finding>& findings);

// The plan as an aligned text table.
std::string RenderTable(const std::vector<TopicSpec>& plan);
// The plan as a Markdown table (docs/OPERATIONS.md).
std::string RenderMarkdown(const std::vector<TopicSpec>& plan);
// Strimzi KafkaTopic manifests, one document per topic, for the Kafka cluster `cluster`.
std::string RenderStrimzi(const std::vector<TopicSpec>& plan, const std::string& cluster);
// kafka-topics.sh commands that create the topics (idempotent: --if-not-exists), with the
// bootstrap servers taken from $BOOTSTRAP.
std::string RenderKafkaTopics(const std::vector<TopicSpec>& plan);

}  // namespace copydesk::topics
