// `copydesk topics plan|apply|check`: the Kafka topics copydesk needs, from the one list in
// common/topics.h, printed, created and verified.
#include <iostream>
#include <memory>

#include "cli/broker_control.h"
#include "cli/commands.h"
#include "cli/config_flags.h"
#include "common/kafka.h"
#include "common/topic_admin.h"
#include "common/topics.h"
#include "ingest/worker.h"

namespace copydesk::cli {
namespace {

using std::chrono::milliseconds;

struct TopicsFlags {
  ConfigFlags config;
  int partitions = 0;  // 0: plan/apply 12, check any
  int replication_factor = 3;
  std::string format = "table";
  std::string strimzi_cluster = "kafka";
  std::string control;
  bool fix_cleanup_policy = false;
  bool dry_run = false;
  bool strict = false;
  int64_t timeout_ms = 10000;
};

// The worker's configuration keys, so that one config file serves `ingest` and `topics`.
struct Loaded {
  ingest::WorkerOptions options;
  std::vector<topics::TopicSpec> plan;
};

bool Load(TopicsFlags& f, const char* command, bool needs_kafka, Loaded* out, int* code) {
  ConfigSchema schema;
  out->options.Describe(schema);
  if (!LoadConfig(schema, f.config, command, code)) return false;
  if (needs_kafka) {
    Status st = out->options.kafka.Resolve();
    if (!st.ok()) {
      PrintError(command, st.error().reason);
      *code = 2;
      return false;
    }
  }
  topics::PlanOptions po;
  po.raw_partitions = f.partitions > 0 ? f.partitions : 12;
  po.replication_factor = f.replication_factor;
  po.max_value_bytes = out->options.max_value_bytes;
  out->plan = topics::Plan(out->options.topics, po);
  return true;
}

int RunPlan(TopicsFlags& f) {
  Loaded l;
  int code = 0;
  if (!Load(f, "topics plan", false, &l, &code)) return code;
  if (f.format == "table") {
    std::cout << topics::RenderTable(l.plan);
  } else if (f.format == "markdown") {
    std::cout << topics::RenderMarkdown(l.plan);
  } else if (f.format == "strimzi") {
    std::cout << topics::RenderStrimzi(l.plan, f.strimzi_cluster);
  } else {
    std::cout << topics::RenderKafkaTopics(l.plan);
  }
  return 0;
}

// Prints one line per topic and the findings; returns the number of errors (and of topics with
// unverified settings when `strict`).
int Report(const std::vector<topics::TopicSpec>& plan, const topics::ClusterView& view, int expect_raw,
           const std::string& bootstrap, bool strict) {
  int bad = 0;
  for (const auto& spec : plan) {
    const auto& seen = view.topics.at(spec.name);
    std::vector<topics::Finding> errors, unverified;
    for (auto& x : topics::Compare(spec, seen, view.raw_partitions, expect_raw, bootstrap)) {
      (x.kind == topics::Finding::Kind::kError ? errors : unverified).push_back(std::move(x));
    }
    if (errors.empty()) {
      std::cout << "ok          " << spec.name << " (" << seen.partitions << " partitions, "
                << (unverified.empty() ? "cleanup.policy " + spec.cleanup_policy
                                       : std::string("settings UNVERIFIED"))
                << ")\n";
      // The reason once below when the whole cluster lacks the Admin API; per topic otherwise.
      if (view.admin_available) {
        for (const auto& x : unverified)
          std::cout << "            " << x.problem << "\n            fix: " << x.fix << "\n";
      }
      if (strict && !unverified.empty()) ++bad;
    }
    for (const auto& x : errors) {
      std::cout << "ERROR       " << x.topic << ": " << x.problem << "\n            fix: " << x.fix << "\n";
      ++bad;
    }
  }
  if (!view.admin_available) {
    std::cout << "note: settings (cleanup.policy, max.message.bytes) not verified: " << view.admin_unavailable
              << "\n";
  }
  return bad;
}

int RunCheck(TopicsFlags& f) {
  Loaded l;
  int code = 0;
  if (!Load(f, "topics check", true, &l, &code)) return code;
  auto client = kafka::Producer::Create(l.options.kafka.ClientProperties());
  if (!client.ok()) {
    PrintError("topics check", client.error().reason);
    return 1;
  }
  auto view = topics::Observe(client.value()->raw(), l.plan, milliseconds(f.timeout_ms));
  if (!view.ok()) {
    PrintError("topics check", view.error().reason);
    return 1;
  }
  const int bad = Report(l.plan, *view, f.partitions, l.options.kafka.brokers, f.strict);
  std::cout << (bad == 0 ? "topics check: ok\n" : "topics check: " + std::to_string(bad) + " problem(s)\n");
  return bad == 0 ? 0 : 1;
}

// Creates the missing topics: through CreateTopics, or through the embedded broker's control
// interface when the cluster takes no Admin requests.
Status CreateMissing(const TopicsFlags& f, rd_kafka_t* rk, const topics::ClusterView& view,
                     const std::vector<topics::TopicSpec>& missing, const std::string& bootstrap) {
  if (missing.empty()) return OkStatus();
  for (const auto& s : missing) {
    std::cout << (f.dry_run ? "would create " : "create ") << s.name << " partitions=" << s.partitions
              << " replication-factor=" << s.replication_factor << "\n";
  }
  if (f.dry_run) return OkStatus();
  if (view.admin_available) return topics::Create(rk, missing, milliseconds(f.timeout_ms));
  std::string control = f.control;
  if (control.empty()) {
    auto local = LocalBrokerControl(bootstrap);
    if (!local.ok()) {
      return Error{v1::ERROR_CODE_INTERNAL, view.admin_unavailable + "; create the topics by hand:\n" +
                                                topics::RenderKafkaTopics(missing)};
    }
    control = local.value();
  }
  std::cout
      << "the cluster takes no Admin requests: creating through the embedded broker's control interface "
      << control << " (settings other than the partition count do not apply there)\n";
  for (const auto& s : missing) {
    auto reply = SendBrokerControl(control, "create-topic " + s.name + " " + std::to_string(s.partitions));
    if (!reply.ok()) return reply.error();
    if (reply.value().rfind("ok", 0) != 0) {
      return Error{v1::ERROR_CODE_INTERNAL, "create-topic " + s.name + ": " + reply.value()};
    }
  }
  return OkStatus();
}

// Raises max.message.bytes where it is too small and, with --fix-cleanup-policy, sets the
// cleanup policy. Partition counts are never changed.
Status FixSettings(const TopicsFlags& f, rd_kafka_t* rk, const topics::ClusterView& view,
                   const std::vector<topics::TopicSpec>& plan) {
  for (const auto& spec : plan) {
    const auto& seen = view.topics.at(spec.name);
    if (!seen.exists || !seen.configs) continue;
    std::map<std::string, std::string> changes;
    auto mmb = seen.configs->find("max.message.bytes");
    if (spec.min_max_message_bytes > 0 &&
        (mmb == seen.configs->end() ||
         std::strtoll(mmb->second.c_str(), nullptr, 10) < spec.min_max_message_bytes)) {
      changes["max.message.bytes"] = std::to_string(spec.min_max_message_bytes);
    }
    auto policy = seen.configs->find("cleanup.policy");
    const std::string have = policy == seen.configs->end() ? "delete" : policy->second;
    if (have != spec.cleanup_policy) {
      if (f.fix_cleanup_policy) {
        changes["cleanup.policy"] = spec.cleanup_policy;
      } else {
        std::cout << "not changed: " << spec.name << " cleanup.policy " << have << " (needs "
                  << spec.cleanup_policy << "; pass --fix-cleanup-policy to change it)\n";
      }
    }
    if (changes.empty()) continue;
    for (const auto& [k, v] : changes) {
      std::cout << (f.dry_run ? "would set " : "set ") << spec.name << " " << k << "=" << v << "\n";
    }
    if (f.dry_run) continue;
    Status st = topics::AlterTopicConfigs(rk, spec.name, changes, milliseconds(f.timeout_ms));
    if (!st.ok()) return st;
  }
  return OkStatus();
}

int RunApply(TopicsFlags& f) {
  Loaded l;
  int code = 0;
  if (!Load(f, "topics apply", true, &l, &code)) return code;
  auto client = kafka::Producer::Create(l.options.kafka.ClientProperties());
  if (!client.ok()) {
    PrintError("topics apply", client.error().reason);
    return 1;
  }
  rd_kafka_t* rk = client.value()->raw();
  auto view = topics::Observe(rk, l.plan, milliseconds(f.timeout_ms));
  if (!view.ok()) {
    PrintError("topics apply", view.error().reason);
    return 1;
  }
  std::vector<topics::TopicSpec> missing;
  for (const auto& s : l.plan) {
    if (!view->topics.at(s.name).exists) missing.push_back(s);
  }
  Status st = CreateMissing(f, rk, *view, missing, l.options.kafka.brokers);
  if (st.ok()) st = FixSettings(f, rk, *view, l.plan);
  if (!st.ok()) {
    PrintError("topics apply", st.error().reason);
    return 1;
  }
  if (f.dry_run) return 0;
  // What the cluster has now, as `topics check` reports it.
  auto after = topics::Observe(rk, l.plan, milliseconds(f.timeout_ms));
  if (!after.ok()) {
    PrintError("topics apply", after.error().reason);
    return 1;
  }
  const int bad = Report(l.plan, *after, f.partitions, l.options.kafka.brokers, false);
  std::cout << (bad == 0 ? "topics apply: ok\n"
                         : "topics apply: " + std::to_string(bad) + " problem(s) left (see fix: lines)\n");
  return bad == 0 ? 0 : 1;
}

void CommonFlags(CLI::App* cmd, TopicsFlags& f, bool partitions_any) {
  AddConfigFlags(cmd, f.config);
  AddKeyFlag(cmd, f.config, "--brokers", "kafka.brokers", "Kafka bootstrap servers HOST:PORT");
  cmd->add_option("--partitions", f.partitions,
                  partitions_any
                      ? "partitions news.raw.v1 must have (default: any; the changelog must match it)"
                      : "partitions of news.raw.v1 (bounds the useful workers) and the others; default 12")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--replication-factor", f.replication_factor, "replication factor of new topics")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
}

}  // namespace

void RegisterTopics(CLI::App& app) {
  auto f = std::make_shared<TopicsFlags>();
  auto* cmd = app.add_subcommand(
      "topics",
      "The Kafka topics copydesk uses, from one list: names (topics.* keys), partitions, cleanup policy and\n"
      "sizes (max.message.bytes from ingest.max_value_bytes). Accepts the worker's config file and keys.");
  cmd->require_subcommand(1);

  auto* plan = cmd->add_subcommand("plan",
                                   "Print the topics: a table, Strimzi KafkaTopic manifests, kafka-topics.sh "
                                   "commands or a Markdown table. Talks to no cluster.");
  CommonFlags(plan, *f, false);
  plan->add_option("--format", f->format, "table, strimzi, kafka-topics or markdown")
      ->capture_default_str()
      ->check(CLI::IsMember({"table", "strimzi", "kafka-topics", "markdown"}));
  plan->add_option("--strimzi-cluster", f->strimzi_cluster, "strimzi.io/cluster label of the manifests")
      ->capture_default_str();
  plan->callback([f] { SetExitCode(RunPlan(*f)); });

  auto* apply = cmd->add_subcommand(
      "apply",
      "Create the missing topics (Kafka Admin API CreateTopics; on the embedded broker, which has no Admin "
      "API,\n"
      "its control interface) and raise max.message.bytes where it is too small. Partition counts are never\n"
      "changed; the cleanup policy only with --fix-cleanup-policy. Ends with the check. Exit 0 when all is\n"
      "as planned, 1 otherwise.");
  CommonFlags(apply, *f, false);
  apply->add_flag("--fix-cleanup-policy", f->fix_cleanup_policy, "also set cleanup.policy where it differs");
  apply->add_flag("--dry-run", f->dry_run, "print what would change, change nothing");
  apply->add_option("--control", f->control,
                    "embedded broker control address (default: from the local broker's address file)");
  apply->add_option("--timeout-ms", f->timeout_ms, "Admin request timeout")->capture_default_str();
  apply->callback([f] { SetExitCode(RunApply(*f)); });

  auto* check = cmd->add_subcommand(
      "check",
      "Verify every topic: exists, partitions (the changelog's = the raw topic's), cleanup.policy and\n"
      "max.message.bytes (where the cluster answers DescribeConfigs). Prints the fix for each problem.\n"
      "Exit 0 ok (settings the cluster would not show are UNVERIFIED, not errors unless --strict), 1 "
      "problems.");
  CommonFlags(check, *f, true);
  check->add_flag("--strict", f->strict, "unverifiable settings are problems too");
  check->add_option("--timeout-ms", f->timeout_ms, "metadata and Admin request timeout")
      ->capture_default_str();
  check->callback([f] { SetExitCode(RunCheck(*f)); });
}

}  // namespace copydesk::cli
