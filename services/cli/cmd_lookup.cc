// `copydesk lookup`: the materialized view of news.article-events.v1 served over gRPC.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/commands.h"
#include "cli/config_flags.h"
#include "cli/signals.h"
#include "common/config.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/topic_admin.h"
#include "common/topics.h"
#include "lookup/service.h"

namespace copydesk::cli {
namespace {

struct LookupFlags {
  ConfigFlags config;
  bool mtls = false;
};

// The configuration keys of `copydesk lookup` (besides kafka.* and topics.*), with their defaults.
struct LookupConfig {
  KafkaConfig kafka;
  TopicsConfig topics;
  std::string grpc_address = "127.0.0.1:50051";
  std::string metrics_address = "127.0.0.1:9464";
  std::string data_dir = "./copydesk-data/lookup";
  std::string tls_cert, tls_key, tls_client_ca, token_file, tokens, embargoed_token_file, embargoed_tokens;
  bool require_client_cert = false;
  bool check_topics = true;
  int64_t max_wait_ms = 30000;
  int64_t block_cache_mib = 128, hot_cache_mib = 512;
  int64_t max_watch_streams = 1000, max_waiting_calls = 1000, wait_threads = 2;
  int64_t max_connection_age_ms = 300000, max_connection_age_grace_ms = 30000, shutdown_grace_ms = 2000;

  // Registers every key with `schema` (the schema keeps pointers to these fields).
  void Describe(ConfigSchema& schema) {
    kafka.Describe(schema);
    topics.Describe(schema);
    schema
        .String("lookup.grpc_address", &grpc_address,
                "gRPC listen address HOST:PORT (port 0 = any free port)")
        .String("metrics.address", &metrics_address, "HTTP address of /metrics (port 0 = any free port)")
        .String("lookup.data_dir", &data_dir, "directory of the RocksDB view")
        .Bool("lookup.check_topics", &check_topics,
              "check at start-up that the events topic exists with the settings the lookup needs")
        .String("lookup.tls_cert", &tls_cert, "TLS server certificate (PEM); with it, plaintext is refused")
        .String("lookup.tls_key", &tls_key, "TLS server private key (PEM)")
        .String("lookup.tls_client_ca", &tls_client_ca, "CA (PEM) client certificates must chain to (mTLS)")
        .Bool("lookup.require_client_cert", &require_client_cert,
              "mutual TLS: refuse clients without a certificate")
        .String("lookup.token_file", &token_file, "file of accepted bearer tokens, one per line")
        .String("lookup.tokens", &tokens,
                "accepted bearer tokens, comma-separated (env COPYDESK_LOOKUP_TOKENS)")
        .String("lookup.embargoed_token_file", &embargoed_token_file,
                "file of bearer tokens with the embargoed scope (held stories visible), one per line")
        .String("lookup.embargoed_tokens", &embargoed_tokens,
                "bearer tokens with the embargoed scope, comma-separated (env "
                "COPYDESK_LOOKUP_EMBARGOED_TOKENS); also accepted tokens: set alone, every caller needs one")
        .Int("lookup.max_wait_ms", &max_wait_ms, "longest min_watermark wait when a call has no deadline", 0,
             3600000)
        .Int("lookup.block_cache_mib", &block_cache_mib, "RocksDB block cache of the view, MiB", 8, 65536)
        .Int("lookup.hot_cache_mib", &hot_cache_mib,
             "cache of serialized latest articles for GetArticle, MiB (0 = off)", 0, 65536)
        .Int("lookup.max_watch_streams", &max_watch_streams,
             "open WatchArticles streams at most; more get RESOURCE_EXHAUSTED", 0, 1000000)
        .Int("lookup.max_waiting_calls", &max_waiting_calls,
             "calls waiting for ReadOptions.min_watermark at most; more get RESOURCE_EXHAUSTED", 0, 1000000)
        .Int("lookup.wait_threads", &wait_threads,
             "threads that run watch streams and woken min_watermark calls (fixed, whatever the number of "
             "calls)",
             1, 64)
        .Int("lookup.max_connection_age_ms", &max_connection_age_ms,
             "GOAWAY a client connection after this age (+-10% jitter) so clients spread over replicas (0 = "
             "never)",
             0, 2147483647)
        .Int("lookup.max_connection_age_grace_ms", &max_connection_age_grace_ms,
             "then close it after this grace; watch streams still open end with UNAVAILABLE and resume", 0,
             2147483647)
        .Int("lookup.shutdown_grace_ms", &shutdown_grace_ms,
             "on SIGTERM, time calls in flight may still finish before they are cancelled", 0, 60000);
  }
};

// The service options from the configuration; reads the token file. Returns 0, or the exit code.
int BuildOptions(const LookupConfig& c, lookup::LookupOptions& o) {
  o.brokers = c.kafka.brokers;
  o.kafka = c.kafka.properties;
  o.topic = c.topics.events;
  o.held_topic = c.topics.held;
  o.data_dir = c.data_dir;
  o.block_cache_bytes = static_cast<size_t>(c.block_cache_mib) << 20;
  o.hot_cache_bytes = static_cast<size_t>(c.hot_cache_mib) << 20;
  o.server.address = c.grpc_address;
  o.server.max_wait = std::chrono::milliseconds(c.max_wait_ms);
  o.server.max_watch_streams = static_cast<int>(c.max_watch_streams);
  o.server.max_waiting_calls = static_cast<int>(c.max_waiting_calls);
  o.server.wait_threads = static_cast<int>(c.wait_threads);
  o.server.max_connection_age = std::chrono::milliseconds(c.max_connection_age_ms);
  o.server.max_connection_age_grace = std::chrono::milliseconds(c.max_connection_age_grace_ms);
  o.server.shutdown_grace = std::chrono::milliseconds(c.shutdown_grace_ms);
  o.server.security.tls_cert_file = c.tls_cert;
  o.server.security.tls_key_file = c.tls_key;
  o.server.security.tls_client_ca_file = c.tls_client_ca;
  o.server.security.require_client_cert = c.require_client_cert;
  // A token list: the inline ones, then those of the file (when named).
  auto tokens = [](const std::string& inline_tokens, const std::string& file,
                   std::vector<std::string>* out) -> bool {
    *out = lookup::ParseTokens(inline_tokens);
    if (file.empty()) return true;
    auto t = lookup::LoadTokenFile(file);
    if (!t.ok()) {
      PrintError("lookup", t.error().reason);
      return false;
    }
    for (auto& tok : *t) out->push_back(std::move(tok));
    return true;
  };
  if (!tokens(c.tokens, c.token_file, &o.server.security.tokens)) return 2;
  if (!tokens(c.embargoed_tokens, c.embargoed_token_file, &o.server.security.embargoed_tokens)) return 2;
  return 0;
}

// Serves /metrics and the lookup service until SIGTERM/SIGINT. Returns the exit code.
int Serve(const LookupConfig& c, const lookup::LookupOptions& o) {
  auto& stop = InstallStopSignals();
  std::unique_ptr<metrics::Server> server;
  try {
    server = std::make_unique<metrics::Server>(c.metrics_address);
  } catch (const std::exception& e) {
    PrintError("lookup", "cannot serve metrics on " + c.metrics_address + ": " + e.what());
    return 2;
  }
  auto svc = lookup::LookupService::Start(o, server->registry());
  if (!svc.ok()) {
    PrintError("lookup", svc.error().reason);
    return 1;
  }
  // /readyz: ready once the view has caught up with the events topic and the held view with the
  // held topic (as the gRPC health).
  server->health().AddReadinessCheck("lookup view", [service = svc->get()]() -> std::optional<std::string> {
    if (service->ready()) return std::nullopt;
    if (!service->sync().caught_up()) return "the view is catching up with the events topic";
    return "the held view is reading the held topic";
  });
  const std::string host = c.grpc_address.substr(0, c.grpc_address.rfind(':'));
  PrintStatus("lookup", "lookup: grpc " + host + ":" + std::to_string((*svc)->grpc_port()) +
                            ", metrics http://" + server->address() + "/metrics, brokers " + o.brokers +
                            ", topic " + o.topic + ", held topic " + o.held_topic + ", data " + o.data_dir);
  while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Logger("lookup")->info("stopping on signal");
  (*svc)->Stop();
  server.reset();  // the readiness check reads the service: no scrape after this point
  return 0;
}

int RunLookup(LookupFlags& f) {
  LookupConfig c;
  ConfigSchema schema;
  c.Describe(schema);
  int code = 0;
  if (!LoadConfig(schema, f.config, "lookup", &code)) return code;
  if (f.mtls) c.require_client_cert = true;
  Status st = c.kafka.Resolve();
  if (!st.ok()) {
    PrintError("lookup", st.error().reason);
    return 2;
  }
  if (c.check_topics) {
    st = topics::CheckTopics(c.kafka, c.topics, topics::LookupRoles(), topics::CheckOptions{});
    if (!st.ok()) {
      PrintError("lookup", st.error().reason + "\n(lookup.check_topics=false skips this check)");
      return 2;
    }
  }
  lookup::LookupOptions o;
  if (int rc = BuildOptions(c, o); rc != 0) return rc;
  return Serve(c, o);
}

}  // namespace

void RegisterLookup(CLI::App& app) {
  auto f = std::make_shared<LookupFlags>();
  auto* cmd = app.add_subcommand(
      "lookup",
      "Serve every version of every story over gRPC (copydesk.v1.Lookup, plus grpc.health.v1 and\n"
      "server reflection) from a RocksDB view of news.article-events.v1. The view reads every\n"
      "partition (no consumer group), applies each (story, version) once, stores its offsets with\n"
      "the data, resumes after a restart and rebuilds itself when the broker no longer has those\n"
      "offsets. Health (\"\" and copydesk.v1.Lookup) is NOT_SERVING until the view has caught up with\n"
      "the topic's high watermarks seen at start; \"liveness\" is SERVING while the process serves.\n"
      "Security: --tls-cert/--tls-key (plaintext then refused), --mtls with --tls-client-ca,\n"
      "bearer tokens from --token-file or COPYDESK_LOOKUP_TOKENS; tokens with the embargoed scope\n"
      "(held embargoed stories from topics.held visible) from --embargoed-token-file or\n"
      "COPYDESK_LOOKUP_EMBARGOED_TOKENS. Exits 0 on SIGTERM/SIGINT.");
  AddConfigFlags(cmd, f->config);
  AddKeyFlag(cmd, f->config, "--brokers", "kafka.brokers",
             "Kafka bootstrap servers HOST:PORT (env COPYDESK_BROKERS; default: the local copydesk broker)");
  AddKeyFlag(cmd, f->config, "--topic", "topics.events", "events topic, default news.article-events.v1");
  AddKeyFlag(cmd, f->config, "--grpc", "lookup.grpc_address", "gRPC address, default 127.0.0.1:50051");
  AddKeyFlag(cmd, f->config, "--metrics", "metrics.address",
             "HTTP address of /metrics, default 127.0.0.1:9464");
  AddKeyFlag(cmd, f->config, "--data-dir", "lookup.data_dir",
             "view directory, default ./copydesk-data/lookup");
  AddKeyFlag(cmd, f->config, "--tls-cert", "lookup.tls_cert", "TLS server certificate (PEM file)");
  AddKeyFlag(cmd, f->config, "--tls-key", "lookup.tls_key", "TLS server private key (PEM file)");
  AddKeyFlag(cmd, f->config, "--tls-client-ca", "lookup.tls_client_ca",
             "CA for client certificates (PEM file)");
  AddKeyFlag(cmd, f->config, "--token-file", "lookup.token_file", "bearer tokens, one per line");
  AddKeyFlag(cmd, f->config, "--embargoed-token-file", "lookup.embargoed_token_file",
             "bearer tokens with the embargoed scope (held stories visible), one per line");
  cmd->add_flag("--mtls", f->mtls, "require a client certificate signed by --tls-client-ca (mutual TLS)");
  cmd->callback([f] { SetExitCode(RunLookup(*f)); });
}

}  // namespace copydesk::cli
