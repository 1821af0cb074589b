#include "common/topic_admin.h"

#include <memory>

#include "common/kafka.h"
#include "common/log.h"

namespace copydesk::topics {
namespace {

struct AdminOptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
struct NewTopicDeleter {
  void operator()(rd_kafka_NewTopic_t* t) const { rd_kafka_NewTopic_destroy(t); }
};
struct ConfigResourceDeleter {
  void operator()(rd_kafka_ConfigResource_t* r) const { rd_kafka_ConfigResource_destroy(r); }
};
struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* m) const { rd_kafka_metadata_destroy(m); }
};
using AdminOptionsHandle = std::unique_ptr<rd_kafka_AdminOptions_t, AdminOptionsDeleter>;
using QueueHandle = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
using EventHandle = std::unique_ptr<rd_kafka_event_t, EventDeleter>;
using NewTopicHandle = std::unique_ptr<rd_kafka_NewTopic_t, NewTopicDeleter>;
using ConfigResourceHandle = std::unique_ptr<rd_kafka_ConfigResource_t, ConfigResourceDeleter>;
using MetadataHandle = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;

Error AdminError(const std::string& what) {
  return Error{v1::ERROR_CODE_INTERNAL, what};
}

Result<AdminOptionsHandle> Options(rd_kafka_t* rk, rd_kafka_admin_op_t op,
                                   std::chrono::milliseconds timeout) {
  AdminOptionsHandle o(rd_kafka_AdminOptions_new(rk, op));
  char errstr[256];
  if (rd_kafka_AdminOptions_set_request_timeout(o.get(), static_cast<int>(timeout.count()), errstr,
                                                sizeof errstr) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return AdminError(std::string("admin options: ") + errstr);
  }
  if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS) {
    rd_kafka_AdminOptions_set_operation_timeout(o.get(), static_cast<int>(timeout.count()), errstr,
                                                sizeof errstr);
  }
  return o;
}

// Waits for the admin result event on `q`, or an error naming `what`.
Result<EventHandle> Wait(rd_kafka_queue_t* q, std::chrono::milliseconds timeout, const std::string& what) {
  EventHandle ev(rd_kafka_queue_poll(q, static_cast<int>(timeout.count()) + 2000));
  if (!ev) return AdminError(what + ": no answer within " + std::to_string(timeout.count()) + " ms");
  if (rd_kafka_event_error(ev.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return AdminError(what + ": " + rd_kafka_event_error_string(ev.get()));
  }
  return ev;
}

// The topic configurations of `names` (effective values), by name; per-topic errors as text.
Result<std::map<std::string, Result<std::map<std::string, std::string>>>> Describe(
    rd_kafka_t* rk, const std::vector<std::string>& names, std::chrono::milliseconds timeout,
    bool dynamic_only) {
  std::vector<ConfigResourceHandle> owned;
  std::vector<rd_kafka_ConfigResource_t*> raw;
  for (const auto& n : names) {
    owned.emplace_back(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, n.c_str()));
    raw.push_back(owned.back().get());
  }
  auto opts = Options(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout);
  if (!opts.ok()) return opts.error();
  QueueHandle q(rd_kafka_queue_new(rk));
  rd_kafka_DescribeConfigs(rk, raw.data(), raw.size(), opts->get(), q.get());
  auto ev = Wait(q.get(), timeout, "DescribeConfigs");
  if (!ev.ok()) return ev.error();
  const rd_kafka_DescribeConfigs_result_t* res = rd_kafka_event_DescribeConfigs_result(ev->get());
  size_t n = 0;
  const rd_kafka_ConfigResource_t** resources = rd_kafka_DescribeConfigs_result_resources(res, &n);
  std::map<std::string, Result<std::map<std::string, std::string>>> out;
  for (size_t i = 0; i < n; ++i) {
    const std::string name = rd_kafka_ConfigResource_name(resources[i]);
    if (rd_kafka_ConfigResource_error(resources[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* e = rd_kafka_ConfigResource_error_string(resources[i]);
      out.emplace(
          name, AdminError(e != nullptr ? e : rd_kafka_err2str(rd_kafka_ConfigResource_error(resources[i]))));
      continue;
    }
    std::map<std::string, std::string> configs;
    size_t cnt = 0;
    const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(resources[i], &cnt);
    for (size_t j = 0; j < cnt; ++j) {
      const char* value = rd_kafka_ConfigEntry_value(entries[j]);
      if (value == nullptr || rd_kafka_ConfigEntry_is_sensitive(entries[j])) continue;
      if (dynamic_only &&
          rd_kafka_ConfigEntry_source(entries[j]) != RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG) {
        continue;
      }
      configs[rd_kafka_ConfigEntry_name(entries[j])] = value;
    }
    out.emplace(name, std::move(configs));
  }
  return out;
}

}  // namespace

Result<ClusterView> Observe(rd_kafka_t* rk, const std::vector<TopicSpec>& plan,
                            std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* md_raw = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, nullptr, &md_raw, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return AdminError(std::string("cannot read the cluster's metadata: ") + rd_kafka_err2str(err));
  }
  MetadataHandle md(md_raw);
  ClusterView view;
  for (const auto& spec : plan) {
    Observed o;
    for (int i = 0; i < md->topic_cnt; ++i) {
      if (spec.name == md->topics[i].topic && md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        o.exists = true;
        o.partitions = md->topics[i].partition_cnt;
      }
    }
    if (spec.role == Role::kRaw && o.exists) view.raw_partitions = o.partitions;
    view.topics[spec.name] = o;
  }
  // Admin requests go to the controller; without one among the brokers there is no Admin API.
  const int32_t controller = rd_kafka_controllerid(rk, static_cast<int>(timeout.count()));
  bool known = false;
  for (int i = 0; i < md->broker_cnt; ++i) known = known || md->brokers[i].id == controller;
  view.admin_available = known;
  if (!known) {
    view.admin_unavailable = "the cluster names no controller among its brokers (controller id " +
                             std::to_string(controller) +
                             "), so it takes no Admin requests; the embedded broker implements no Admin API";
  }
  std::vector<std::string> existing;
  for (const auto& [name, o] : view.topics) {
    if (o.exists) existing.push_back(name);
  }
  if (view.admin_available && !existing.empty()) {
    auto described = Describe(rk, existing, timeout, /*dynamic_only=*/false);
    for (auto& [name, o] : view.topics) {
      if (!o.exists) continue;
      if (!described.ok()) {
        o.configs_unreadable = described.error().reason;
        continue;
      }
      auto it = described->find(name);
      if (it == described->end()) {
        o.configs_unreadable = "DescribeConfigs returned nothing for it";
      } else if (!it->second.ok()) {
        o.configs_unreadable = "DescribeConfigs: " + it->second.error().reason;
      } else {
        o.configs = it->second.value();
      }
    }
  } else {
    for (auto& [name, o] : view.topics) o.configs_unreadable = view.admin_unavailable;
  }
  return view;
}

Status Create(rd_kafka_t* rk, const std::vector<TopicSpec>& specs, std::chrono::milliseconds timeout) {
  if (specs.empty()) return OkStatus();
  std::vector<NewTopicHandle> owned;
  std::vector<rd_kafka_NewTopic_t*> raw;
  char errstr[512];
  for (const auto& s : specs) {
    rd_kafka_NewTopic_t* t =
        rd_kafka_NewTopic_new(s.name.c_str(), s.partitions, s.replication_factor, errstr, sizeof errstr);
    if (t == nullptr) return AdminError("topic " + s.name + ": " + errstr);
    owned.emplace_back(t);
    for (const auto& [k, v] : s.create_configs) {
      if (rd_kafka_NewTopic_set_config(t, k.c_str(), v.c_str()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return AdminError("topic " + s.name + ": cannot set " + k);
      }
    }
    raw.push_back(t);
  }
  auto opts = Options(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout);
  if (!opts.ok()) return opts.error();
  QueueHandle q(rd_kafka_queue_new(rk));
  rd_kafka_CreateTopics(rk, raw.data(), raw.size(), opts->get(), q.get());
  auto ev = Wait(q.get(), timeout, "CreateTopics");
  if (!ev.ok()) return ev.error();
  size_t n = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev->get()), &n);
  std::string failures;
  for (size_t i = 0; i < n; ++i) {
    const rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) continue;
    const char* why = rd_kafka_topic_result_error_string(results[i]);
    failures += std::string(failures.empty() ? "" : "; ") + rd_kafka_topic_result_name(results[i]) + ": " +
                (why != nullptr ? why : rd_kafka_err2str(e));
  }
  if (!failures.empty()) return AdminError("CreateTopics: " + failures);
  return OkStatus();
}

Status AlterTopicConfigs(rd_kafka_t* rk, const std::string& name,
                         const std::map<std::string, std::string>& changes,
                         std::chrono::milliseconds timeout) {
  auto current = Describe(rk, {name}, timeout, /*dynamic_only=*/true);
  if (!current.ok()) return current.error();
  auto it = current->find(name);
  if (it == current->end() || !it->second.ok()) {
    return AdminError("DescribeConfigs " + name + ": " +
                      (it == current->end() ? "no answer" : it->second.error().reason));
  }
  std::map<std::string, std::string> wanted = it->second.value();
  for (const auto& [k, v] : changes) wanted[k] = v;
  ConfigResourceHandle res(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name.c_str()));
  for (const auto& [k, v] : wanted) rd_kafka_ConfigResource_set_config(res.get(), k.c_str(), v.c_str());
  auto opts = Options(rk, RD_KAFKA_ADMIN_OP_ALTERCONFIGS, timeout);
  if (!opts.ok()) return opts.error();
  QueueHandle q(rd_kafka_queue_new(rk));
  rd_kafka_ConfigResource_t* arr[] = {res.get()};
  rd_kafka_AlterConfigs(rk, arr, 1, opts->get(), q.get());
  auto ev = Wait(q.get(), timeout, "AlterConfigs " + name);
  if (!ev.ok()) return ev.error();
  size_t n = 0;
  const rd_kafka_ConfigResource_t** out =
      rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev->get()), &n);
  for (size_t i = 0; i < n; ++i) {
    if (rd_kafka_ConfigResource_error(out[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* why = rd_kafka_ConfigResource_error_string(out[i]);
      return AdminError("AlterConfigs " + name + ": " +
                        (why != nullptr ? why : rd_kafka_err2str(rd_kafka_ConfigResource_error(out[i]))));
    }
  }
  return OkStatus();
}

Status CheckTopics(const KafkaConfig& kafka, const TopicsConfig& names, const std::vector<Role>& roles,
                   const CheckOptions& options) {
  PlanOptions po;
  po.max_value_bytes = options.max_value_bytes;
  const auto full = Plan(names, po);
  const auto plan = Select(full, roles);
  auto client = kafka::Producer::Create(kafka.ClientProperties());
  if (!client.ok()) return client.error();
  // The raw topic's count is needed for the changelog's rule even when raw is not checked.
  auto observe = plan;
  if (Select(plan, {Role::kRaw}).empty()) observe.push_back(Select(full, {Role::kRaw}).front());
  auto view = Observe(client.value()->raw(), observe, options.timeout);
  if (!view.ok() && options.pass_when_unreachable) {
    Logger("topics")->warn("topics not checked at start-up: the cluster did not answer reason=\"{}\"",
                           view.error().reason);
    return OkStatus();
  }
  if (!view.ok()) return view.error();
  std::vector<Finding> errors;
  std::vector<Finding> unverified;
  for (const auto& spec : plan) {
    for (auto& f : Compare(spec, view->topics[spec.name], view->raw_partitions, options.expect_raw_partitions,
                           kafka.brokers)) {
      (f.kind == Finding::Kind::kError ? errors : unverified).push_back(std::move(f));
    }
  }
  if (!unverified.empty()) {
    std::string topics_list;
    for (const auto& f : unverified) topics_list += (topics_list.empty() ? "" : ",") + f.topic;
    Logger("topics")->warn(
        "topic settings not verified topics={} reason=\"{}\"", topics_list,
        view->admin_unavailable.empty() ? unverified.front().problem : view->admin_unavailable);
  }
  if (!errors.empty()) {
    return AdminError(
        "the Kafka topics are not as copydesk needs them (copydesk topics check lists them all):\n" +
        Describe(errors));
  }
  return OkStatus();
}

}  // namespace copydesk::topics
