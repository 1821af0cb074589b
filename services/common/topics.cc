#include "common/topics.h"

#include <algorithm>
#include <sstream>

namespace copydesk::topics {
namespace {

constexpr int64_t kMiB = 1 << 20;

std::string PolicyFix(const TopicSpec& spec, const std::string& bootstrap) {
  return "kafka-configs.sh --bootstrap-server " + bootstrap + " --alter --entity-type topics --entity-name " +
         spec.name + " --add-config cleanup.policy=" + spec.cleanup_policy +
         " (or copydesk topics apply --fix-cleanup-policy)";
}

std::string CreateCommand(const TopicSpec& spec, const std::string& bootstrap) {
  std::string cmd = "kafka-topics.sh --bootstrap-server " + bootstrap + " --create --topic " + spec.name +
                    " --partitions " + std::to_string(spec.partitions) + " --replication-factor " +
                    std::to_string(spec.replication_factor);
  for (const auto& [k, v] : spec.create_configs) cmd += " --config " + k + "=" + v;
  return cmd;
}

std::string PartitionsText(const TopicSpec& spec) {
  switch (spec.partition_rule) {
    case PartitionRule::kChosen: return std::to_string(spec.partitions) + " (chosen)";
    case PartitionRule::kSameAsRaw: return std::to_string(spec.partitions) + " (= raw)";
    case PartitionRule::kAny: return std::to_string(spec.partitions);
  }
  return "";
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kRaw: return "raw";
    case Role::kArticles: return "articles";
    case Role::kEvents: return "events";
    case Role::kOutcomes: return "outcomes";
    case Role::kDlq: return "dlq";
    case Role::kChangelog: return "changelog";
    case Role::kIndex: return "index";
    case Role::kNinjs: return "ninjs";
    case Role::kHeld: return "held";
  }
  return "?";
}

std::vector<TopicSpec> Plan(const TopicsConfig& names, const PlanOptions& o) {
  const int p = o.raw_partitions;
  const int rf = o.replication_factor;
  // Raw records up to the value limit plus headers; outputs of an input about twice its size.
  const int64_t raw_bytes = o.max_value_bytes + kMiB;
  const int64_t output_bytes = 2 * o.max_value_bytes + kMiB;
  const int64_t dlq_bytes = raw_bytes + kMiB;
  auto spec = [&](Role role, const std::string& name, std::string key, std::string value, PartitionRule rule,
                  std::string policy, int64_t min_bytes, std::vector<std::string> used_by, std::string note) {
    TopicSpec s;
    s.role = role;
    s.name = name;
    s.key = std::move(key);
    s.value = std::move(value);
    s.partition_rule = rule;
    s.partitions = p;
    s.replication_factor = rf;
    s.cleanup_policy = std::move(policy);
    s.min_max_message_bytes = min_bytes;
    s.create_configs["cleanup.policy"] = s.cleanup_policy;
    if (min_bytes > 0) s.create_configs["max.message.bytes"] = std::to_string(min_bytes);
    s.used_by = std::move(used_by);
    s.note = std::move(note);
    return s;
  };
  std::vector<TopicSpec> plan;
  plan.push_back(
      spec(Role::kRaw, names.raw, "guid, URL or none", "raw bytes (header content-type)",
           PartitionRule::kChosen, "delete", raw_bytes, {"producers", "ingest", "redrive"},
           "partitions bound the useful ingest workers; holds inputs up to ingest.max_value_bytes"));
  plan.push_back(spec(Role::kArticles, names.articles, "story id", "copydesk.v1.Article; null on cancel",
                      PartitionRule::kAny, "compact", output_bytes, {"ingest", "downstream"},
                      "latest version per story; an Article is about twice its input"));
  plan.push_back(spec(Role::kEvents, names.events, "story id", "copydesk.v1.ArticleEvent",
                      PartitionRule::kAny, "delete", output_bytes, {"ingest", "lookup", "downstream"},
                      "every version, carries the Article; kept forever so the lookup can rebuild its view"));
  plan.back().create_configs["retention.ms"] = "-1";
  plan.push_back(spec(Role::kOutcomes, names.outcomes, "event id", "copydesk.v1.IngestOutcome",
                      PartitionRule::kAny, "delete", 0, {"ingest", "audit"}, "one outcome per input event"));
  plan.push_back(spec(Role::kDlq, names.dlq, "original key", "original bytes + x-copydesk-* error headers",
                      PartitionRule::kAny, "delete", dlq_bytes, {"ingest", "redrive"},
                      "holds the largest raw record plus error headers; kept 30 days for redrive"));
  plan.back().create_configs["retention.ms"] = "2592000000";
  plan.push_back(spec(Role::kChangelog, names.changelog, "dedup state key", "dedup state value",
                      PartitionRule::kSameAsRaw, "compact", output_bytes, {"ingest"},
                      "partition N holds the state of raw partition N: same count as raw; holds "
                      "embargoed versions until their release"));
  plan.push_back(spec(Role::kIndex, names.index, "document id / progress marker", "index document",
                      PartitionRule::kAny, "compact", 0, {"ingest"},
                      "shared near-duplicate index, read whole by every worker"));
  plan.push_back(spec(Role::kHeld, names.held, "story id", "copydesk.v1.HeldStory; null once released",
                      PartitionRule::kAny, "compact", output_bytes, {"ingest", "lookup"},
                      "embargoed stories while they are held (readers entitled to embargoed content)"));
  if (names.ninjs_enabled) {
    plan.push_back(spec(Role::kNinjs, names.ninjs, "story id", "ninjs 2.x JSON; null on cancel",
                        PartitionRule::kAny, "compact", output_bytes, {"ingest", "downstream"},
                        "optional ninjs rendering of news.articles.v1 (topics.ninjs_enabled)"));
  }
  return plan;
}

std::vector<TopicSpec> Select(const std::vector<TopicSpec>& plan, const std::vector<Role>& roles) {
  std::vector<TopicSpec> out;
  for (const auto& s : plan) {
    if (std::find(roles.begin(), roles.end(), s.role) != roles.end()) out.push_back(s);
  }
  return out;
}

std::vector<Role> IngestRoles(bool shared_index, bool ninjs) {
  std::vector<Role> r{Role::kRaw, Role::kArticles,  Role::kEvents, Role::kOutcomes,
                      Role::kDlq, Role::kChangelog, Role::kHeld};
  if (shared_index) r.push_back(Role::kIndex);
  if (ninjs) r.push_back(Role::kNinjs);
  return r;
}

std::vector<Role> LookupRoles() {
  return {Role::kEvents, Role::kHeld};
}

std::vector<Finding> Compare(const TopicSpec& spec, const Observed& seen, int raw_partitions,
                             int expect_raw_partitions, const std::string& bootstrap) {
  std::vector<Finding> out;
  auto add = [&](Finding::Kind kind, std::string problem, std::string fix) {
    out.push_back({kind, spec.name, std::move(problem), std::move(fix)});
  };
  if (!seen.exists) {
    add(Finding::Kind::kError, "does not exist",
        "copydesk topics apply, or: " + CreateCommand(spec, bootstrap));
    return out;
  }
  const std::string alter =
      "kafka-topics.sh --bootstrap-server " + bootstrap + " --alter --topic " + spec.name + " --partitions ";
  if (spec.partition_rule == PartitionRule::kSameAsRaw && raw_partitions > 0 &&
      seen.partitions != raw_partitions) {
    add(Finding::Kind::kError,
        "has " + std::to_string(seen.partitions) + " partitions, the raw topic " +
            std::to_string(raw_partitions) + " (partition N holds the state of raw partition N)",
        seen.partitions < raw_partitions
            ? alter + std::to_string(raw_partitions)
            : "recreate it with " + std::to_string(raw_partitions) +
                  " partitions while no worker runs (partitions cannot be removed)");
  }
  if (spec.partition_rule == PartitionRule::kChosen && expect_raw_partitions > 0 &&
      seen.partitions != expect_raw_partitions) {
    add(Finding::Kind::kError,
        "has " + std::to_string(seen.partitions) + " partitions, " + std::to_string(expect_raw_partitions) +
            " were asked for",
        seen.partitions < expect_raw_partitions
            ? alter + std::to_string(expect_raw_partitions) + " (and the changelog to the same count)"
            : "partitions cannot be removed: recreate the topic, or ask for " +
                  std::to_string(seen.partitions));
  }
  if (!seen.configs) {
    add(Finding::Kind::kUnverified,
        "configuration not readable (" + seen.configs_unreadable +
            "): cleanup.policy=" + spec.cleanup_policy +
            (spec.min_max_message_bytes > 0
                 ? " and max.message.bytes>=" + std::to_string(spec.min_max_message_bytes)
                 : std::string()) +
            " not verified",
        "grant DescribeConfigs on the topic, or verify by hand: kafka-configs.sh --bootstrap-server " +
            bootstrap + " --describe --entity-type topics --entity-name " + spec.name);
    return out;
  }
  const auto& c = *seen.configs;
  auto policy = c.find("cleanup.policy");
  const std::string have_policy = policy == c.end() ? "delete" : policy->second;
  // "compact,delete" compacts and also deletes by retention: not what a compacted topic needs.
  if (have_policy != spec.cleanup_policy) {
    add(Finding::Kind::kError,
        "cleanup.policy is " + have_policy + ", must be " + spec.cleanup_policy +
            (spec.cleanup_policy == "compact" ? " (it is the latest value per key, kept forever)" : ""),
        PolicyFix(spec, bootstrap));
  }
  if (spec.min_max_message_bytes > 0) {
    auto mmb = c.find("max.message.bytes");
    const int64_t have = mmb == c.end() ? 1048588 : std::strtoll(mmb->second.c_str(), nullptr, 10);
    if (have < spec.min_max_message_bytes) {
      add(Finding::Kind::kError,
          "max.message.bytes is " + std::to_string(have) + ", needs at least " +
              std::to_string(spec.min_max_message_bytes) + " (" + spec.note + ")",
          "copydesk topics apply, or: kafka-configs.sh --bootstrap-server " + bootstrap +
              " --alter --entity-type topics --entity-name " + spec.name +
              " --add-config max.message.bytes=" + std::to_string(spec.min_max_message_bytes));
    }
  }
  return out;
}

std::string Describe(const std::vector<Finding>& findings) {
  std::string out;
  for (const auto& f : findings) {
    out += "topic " + f.topic + ": " + f.problem + "; fix: " + f.fix + "\n";
  }
  return out;
}

std::string RenderTable(const std::vector<TopicSpec>& plan) {
  std::vector<std::vector<std::string>> rows{
      {"TOPIC", "PARTITIONS", "RF", "CLEANUP", "MAX.MESSAGE.BYTES", "KEY", "USED BY"}};
  for (const auto& s : plan) {
    rows.push_back({s.name, PartitionsText(s), std::to_string(s.replication_factor), s.cleanup_policy,
                    s.min_max_message_bytes > 0 ? std::to_string(s.min_max_message_bytes) : "default", s.key,
                    Join(s.used_by)});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

std::string RenderMarkdown(const std::vector<TopicSpec>& plan) {
  std::string out =
      "| topic | key | value | partitions | cleanup.policy | max.message.bytes | other settings | why |\n"
      "| --- | --- | --- | --- | --- | --- | --- | --- |\n";
  for (const auto& s : plan) {
    std::string other;
    for (const auto& [k, v] : s.create_configs) {
      if (k == "cleanup.policy" || k == "max.message.bytes") continue;
      other += (other.empty() ? "" : ", ") + ("`" + k + "=" + v + "`");
    }
    const std::string parts = s.partition_rule == PartitionRule::kChosen      ? "chosen (bounds the workers)"
                              : s.partition_rule == PartitionRule::kSameAsRaw ? "= raw"
                                                                              : "any";
    out += "| `" + s.name + "` | " + s.key + " | " + s.value + " | " + parts + " | " + s.cleanup_policy +
           " | " +
           (s.min_max_message_bytes > 0 ? "≥ " + std::to_string(s.min_max_message_bytes) : "default") +
           " | " + (other.empty() ? "" : other) + " | " + s.note + " |\n";
  }
  return out;
}

std::string RenderStrimzi(const std::vector<TopicSpec>& plan, const std::string& cluster) {
  std::ostringstream out;
  bool first = true;
  for (const auto& s : plan) {
    if (!first) out << "---\n";
    first = false;
    out << "# " << s.note << "\n"
        << "apiVersion: kafka.strimzi.io/v1beta2\n"
        << "kind: KafkaTopic\n"
        << "metadata:\n"
        << "  name: " << s.name << "\n"
        << "  labels:\n"
        << "    strimzi.io/cluster: " << cluster << "\n"
        << "    app.kubernetes.io/part-of: copydesk\n"
        << "spec:\n"
        << "  topicName: " << s.name << "\n"
        << "  partitions: " << s.partitions << "\n"
        << "  replicas: " << s.replication_factor << "\n"
        << "  config:\n";
    for (const auto& [k, v] : s.create_configs) out << "    " << k << ": \"" << v << "\"\n";
  }
  return out.str();
}

std::string RenderKafkaTopics(const std::vector<TopicSpec>& plan) {
  std::string out;
  for (const auto& s : plan) {
    out += "kafka-topics.sh --bootstrap-server \"$BOOTSTRAP\" --create --if-not-exists --topic " + s.name +
           " --partitions " + std::to_string(s.partitions) + " --replication-factor " +
           std::to_string(s.replication_factor);
    for (const auto& [k, v] : s.create_configs) out += " --config " + k + "=" + v;
    out += "\n";
  }
  return out;
}

}  // namespace copydesk::topics
