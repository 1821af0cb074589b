// `copydesk ingest`: one ingest worker (consumer-group member over the raw topic).
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/commands.h"
#include "cli/config_flags.h"
#include "cli/signals.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/topic_admin.h"
#include "common/topics.h"
#include "ingest/worker.h"

namespace copydesk::cli {
namespace {

// Without metrics.address, /metrics is served here, or on any free port of 127.0.0.1 when another
// worker on the host has this one.
constexpr char kDefaultMetricsAddress[] = "127.0.0.1:9464";

struct IngestFlags {
  ConfigFlags config;
  std::string metrics_address;  // empty: kDefaultMetricsAddress, else any free port
};

// The metrics server: at the configured address (a failure is the caller's), or at the default
// address and, when that is in use, at any free port.
std::unique_ptr<metrics::Server> ServeMetrics(const std::string& configured) {
  if (!configured.empty()) return std::make_unique<metrics::Server>(configured);
  try {
    return std::make_unique<metrics::Server>(kDefaultMetricsAddress);
  } catch (const std::exception& e) {
    auto server = std::make_unique<metrics::Server>("127.0.0.1:0");
    Logger("ingest")->warn("metrics port in use, serving on another port default={} address={} reason=\"{}\"",
                           kDefaultMetricsAddress, server->address(), e.what());
    return server;
  }
}

int RunIngest(IngestFlags& f) {
  ingest::WorkerOptions options;
  ConfigSchema schema;
  options.Describe(schema);
  schema.String(
      "metrics.address", &f.metrics_address,
      "HTTP address of /metrics (port 0 = any free port); default 127.0.0.1:9464, or any free port of "
      "127.0.0.1 when that one is in use");
  int code = 0;
  if (!LoadConfig(schema, f.config, "ingest", &code)) return code;
  Status st = options.kafka.Resolve();
  if (st.ok()) st = options.Validate();
  if (!st.ok()) {
    PrintError("ingest", st.error().reason);
    return 2;
  }
  if (options.check_topics) {
    topics::CheckOptions check;
    check.max_value_bytes = options.max_value_bytes;
    st = topics::CheckTopics(options.kafka, options.topics,
                             topics::IngestRoles(options.shared_index, options.topics.ninjs_enabled), check);
    if (!st.ok()) {
      PrintError("ingest", st.error().reason + "\n(ingest.check_topics=false skips this check)");
      return 2;
    }
  }
  auto& stop = InstallStopSignals();
  std::unique_ptr<metrics::Server> server;
  try {
    server = ServeMetrics(f.metrics_address);
  } catch (const std::exception& e) {
    PrintError("ingest",
               "cannot serve metrics on " +
                   (f.metrics_address.empty() ? std::string(kDefaultMetricsAddress) : f.metrics_address) +
                   ": " + e.what());
    return 2;
  }
  metrics::IngestMetrics m(server->registry());
  auto worker = ingest::Worker::Create(options, m);
  if (!worker.ok()) {
    PrintError("ingest", worker.error().reason);
    return 1;
  }
  worker.value()->AttachHealth(server->health());
  // Shutdown deadline: SIGTERM must end the process within 10 s even if the brokers are gone.
  std::thread watchdog([&stop] {
    while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::this_thread::sleep_for(std::chrono::milliseconds(9000));
    Logger("ingest")->warn("shutdown deadline reached; exiting, uncommitted events will be reprocessed");
    std::_Exit(0);
  });
  watchdog.detach();
  PrintStatus("ingest", "ingest: brokers " + options.kafka.brokers + ", group " + options.group_id +
                            ", mode " + options.mode + ", metrics http://" + server->address() + "/metrics");
  st = worker.value()->Run(stop);
  if (!st.ok()) {
    PrintError("ingest", "fatal: " + st.error().reason);
    return 3;
  }
  return 0;
}

}  // namespace

void RegisterIngest(CLI::App& app) {
  auto f = std::make_shared<IngestFlags>();
  auto* cmd = app.add_subcommand(
      "ingest",
      "Run an ingest worker: consume raw events from news.raw.v1 in a consumer group, normalize,\n"
      "decide (new / update / redelivery / duplicate / syndicated / stale / cancel), publish to\n"
      "news.articles.v1, news.article-events.v1 and news.ingest-outcomes.v1, bad input to\n"
      "news.raw.dlq.v1. Exits 0 on SIGTERM after committing; 3 on a fatal Kafka error (restart it).");
  AddConfigFlags(cmd, f->config);
  AddKeyFlag(cmd, f->config, "--brokers", "kafka.brokers",
             "Kafka bootstrap servers HOST:PORT (env COPYDESK_BROKERS)");
  AddKeyFlag(cmd, f->config, "--mode", "ingest.mode", "transactional or at-least-once");
  AddKeyFlag(cmd, f->config, "--group", "ingest.group_id", "consumer group id");
  AddKeyFlag(cmd, f->config, "--instance-id", "ingest.instance_id",
             "stable worker id (transactional.id suffix)");
  AddKeyFlag(cmd, f->config, "--metrics", "metrics.address",
             "HTTP address of /metrics; default 127.0.0.1:9464, or any free port when that one is in use");
  cmd->callback([f] { SetExitCode(RunIngest(*f)); });
}

}  // namespace copydesk::cli
