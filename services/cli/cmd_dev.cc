// `copydesk dev`: the whole system in one process on the embedded broker (broker + one ingest
// worker + the lookup service + /metrics), optionally fed with sample events (--feed) and
// summarised (the README's scripts/demo).
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "broker/broker.h"
#include "cli/commands.h"
#include "cli/signals.h"
#include "common/config.h"
#include "common/kafka.h"
#include "common/log.h"
#include "common/metrics.h"
#include "copydesk/v1/lookup.grpc.pb.h"
#include "ingest/worker.h"
#include "lookup/service.h"
#include "normalize/normalize.h"

namespace copydesk::cli {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct DevFlags {
  int brokers = 1;
  int partitions = 4;
  std::string grpc = "127.0.0.1:50051";
  std::string metrics = "127.0.0.1:9464";
  std::string data_dir = "./copydesk-data/dev";
  std::string mode = "transactional";
  std::vector<std::string> feed;
  std::string headline_of = "bbc-2001-11-15-no-bush-putin-missile-agreement.txt";
  bool once = false;
  bool no_address_file = false;
};

// One sample event: a file plus the headers in its optional sidecar FILE.headers (NAME=VALUE
// lines). Files are sent in name order.
struct Sample {
  std::string path;
  std::string name;
  Record record;
};

Result<std::vector<Sample>> LoadSamples(const std::vector<std::string>& inputs, const std::string& topic) {
  std::vector<std::string> files;
  for (const auto& in : inputs) {
    if (fs::is_directory(in)) {
      for (const auto& e : fs::directory_iterator(in)) {
        if (e.is_regular_file() && e.path().extension() != ".headers" &&
            e.path().filename().string()[0] != '.' && e.path().filename() != "README.md") {
          files.push_back(e.path().string());
        }
      }
    } else if (fs::is_regular_file(in)) {
      files.push_back(in);
    } else {
      return Error{v1::ERROR_CODE_INTERNAL, "--feed: no such file or directory: " + in};
    }
  }
  std::sort(files.begin(), files.end(), [](const std::string& a, const std::string& b) {
    return fs::path(a).filename() < fs::path(b).filename();
  });
  std::vector<Sample> out;
  for (const auto& f : files) {
    Sample s;
    s.path = f;
    s.name = fs::path(f).filename().string();
    std::ifstream in(f, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    s.record.topic = topic;
    s.record.value = std::move(data);
    std::ifstream hdr(f + ".headers");
    std::string line;
    bool have_ct = false;
    while (std::getline(hdr, line)) {
      auto eq = line.find('=');
      if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
      std::string k = line.substr(0, eq), v = line.substr(eq + 1);
      if (k == "key") {
        s.record.key = v;
        continue;
      }
      if (k == "content-type") have_ct = true;
      s.record.headers.push_back({k, v});
    }
    if (!have_ct) {
      std::string ct = normalize::ContentTypeFromFileName(f);
      if (!ct.empty()) s.record.headers.push_back({"content-type", ct});
    }
    s.record.headers.push_back({"event-id", "demo/" + s.name});
    out.push_back(std::move(s));
  }
  return out;
}

// Reads the outcomes of the demo's events (key = event id) until all are seen or time runs out.
std::map<std::string, v1::IngestOutcome> CollectOutcomes(const std::string& brokers, const std::string& topic,
                                                         const std::set<std::string>& want,
                                                         std::chrono::seconds timeout) {
  std::map<std::string, v1::IngestOutcome> got;
  auto c = kafka::Consumer::Create({{"bootstrap.servers", brokers},
                                    {"group.id", "copydesk-dev-summary"},
                                    {"enable.auto.commit", "false"},
                                    {"fetch.wait.max.ms", "10"}});
  if (!c.ok()) return got;
  auto parts = kafka::PartitionCount(c.value()->raw(), topic);
  if (!parts.ok()) return got;
  std::vector<kafka::TopicPartitionOffset> assign;
  assign.reserve(static_cast<size_t>(parts.value()));
  for (int p = 0; p < parts.value(); ++p) assign.push_back({topic, p, RD_KAFKA_OFFSET_BEGINNING});
  (void)c.value()->Assign(assign);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (got.size() < want.size() && std::chrono::steady_clock::now() < deadline) {
    auto r = c.value()->Poll(100ms);
    if (!r.ok() || !r.value() || !r.value()->key || !r.value()->value) continue;
    if (!want.count(*r.value()->key)) continue;
    v1::IngestOutcome o;
    if (o.ParseFromString(*r.value()->value)) got.emplace(*r.value()->key, o);
  }
  c.value()->Close();
  return got;
}

// The seed story's headline read back over gRPC GetArticle (retried while the view catches up),
// or "(not found)".
std::string ReadHeadline(const std::string& grpc_addr, const std::string& seed_story) {
  std::string headline = "(not found)";
  if (!seed_story.empty()) {
    auto stub = v1::Lookup::NewStub(grpc::CreateChannel(grpc_addr, grpc::InsecureChannelCredentials()));
    for (int i = 0; i < 100 && headline == "(not found)"; ++i) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + 2s);
      v1::GetArticleRequest req;
      req.set_story_id(seed_story);
      v1::GetArticleResponse resp;
      grpc::Status st = stub->GetArticle(&ctx, req, &resp);
      if (st.ok()) {
        headline = resp.article().headline();
      } else {
        std::this_thread::sleep_for(100ms);
      }
    }
  }
  return headline;
}

// --feed: sends the sample events through Kafka, waits for their outcomes and prints the summary.
// Returns the exit code: 0, 1 when an outcome or the seed headline is missing, 2 for a bad --feed.
int FeedAndSummarise(const DevFlags& f, const std::string& bootstrap, const ingest::WorkerOptions& wo,
                     const std::string& grpc_addr, const std::string& metrics_addr) {
  int rc = 0;
  auto samples = LoadSamples(f.feed, wo.topics.raw);
  if (!samples.ok()) {
    std::cerr << "copydesk dev: " << samples.error().reason << "\n";
    return 2;
  }
  auto producer = kafka::Producer::Create({{"bootstrap.servers", bootstrap}, {"enable.idempotence", "true"}});
  std::set<std::string> ids;
  for (const auto& s : samples.value()) {
    if (producer.ok()) (void)producer.value()->Send(s.record);
    ids.insert("demo/" + s.name);
  }
  if (producer.ok()) (void)producer.value()->Flush(30s);
  std::cout << "fed " << samples->size() << " sample events through Kafka; waiting for their outcomes...\n"
            << std::flush;
  auto outcomes = CollectOutcomes(bootstrap, wo.topics.outcomes, ids, 60s);
  std::map<v1::Decision, int> by;
  for (const auto& [_, o] : outcomes) by[o.decision()]++;
  std::string seed_story;
  auto seed_it = outcomes.find("demo/" + f.headline_of);
  if (seed_it != outcomes.end()) seed_story = seed_it->second.story_id();
  const std::string headline = ReadHeadline(grpc_addr, seed_story);
  std::cout << "\nsummary\n"
            << "  events in:           " << samples->size() << " (outcomes seen: " << outcomes.size() << ")\n"
            << "  articles created:    " << by[v1::DECISION_NEW] << "\n"
            << "  articles updated:    " << by[v1::DECISION_UPDATE] << "\n"
            << "  syndicated copies:   " << by[v1::DECISION_SYNDICATED] << "\n"
            << "  canceled:            " << by[v1::DECISION_CANCEL] << "\n"
            << "  duplicates:          " << by[v1::DECISION_DUPLICATE] + by[v1::DECISION_REDELIVERY]
            << " (re-deliveries " << by[v1::DECISION_REDELIVERY] << ", near-duplicates "
            << by[v1::DECISION_DUPLICATE] << ", stale " << by[v1::DECISION_STALE] << ")\n"
            << "  dead letters:        " << by[v1::DECISION_DEAD_LETTER] << "\n"
            << "  gRPC Lookup:         " << grpc_addr << "\n"
            << "  metrics:             http://" << metrics_addr << "/metrics\n"
            << "  seed story:          " << (seed_story.empty() ? "(no outcome)" : seed_story) << "\n"
            << "  seed headline (gRPC GetArticle): " << headline << "\n"
            << std::flush;
  if (outcomes.size() != ids.size() || headline == "(not found)") rc = 1;
  return rc;
}

// Removes the address file when it still advertises this control server (not a newer one).
void RemoveAddressFileOf(const std::string& control_address) {
  auto cur = ReadAddressFile(DefaultAddressFile(), "control");
  if (cur.ok() && cur.value() == control_address) std::remove(DefaultAddressFile().c_str());
}

int RunDev(const DevFlags& f) {
  auto& stop = InstallStopSignals();
  auto log = Logger("dev");
  auto broker =
      broker::EmbeddedBroker::Start({.brokers = f.brokers, .partitions = f.partitions, .topics = {}});
  if (!broker.ok()) {
    std::cerr << "copydesk dev: " << broker.error().reason << "\n";
    return 1;
  }
  const std::string bootstrap = broker.value()->bootstrap();
  auto control = broker::ControlServer::Start(*broker.value(), "127.0.0.1:0");
  if (!control.ok()) {
    std::cerr << "copydesk dev: " << control.error().reason << "\n";
    return 1;
  }
  if (!f.no_address_file) (void)WriteAddressFile(DefaultAddressFile(), bootstrap, control.value()->address());

  std::unique_ptr<metrics::Server> server;
  try {
    server = std::make_unique<metrics::Server>(f.metrics);
  } catch (const std::exception& e) {
    std::cerr << "copydesk dev: cannot serve metrics on " << f.metrics << ": " << e.what() << "\n";
    return 2;
  }
  metrics::IngestMetrics ingest_metrics(server->registry());

  std::error_code ec;
  fs::remove_all(f.data_dir + "/lookup", ec);  // the embedded broker starts empty, so does the view
  lookup::LookupOptions lo;
  lo.brokers = bootstrap;
  lo.data_dir = f.data_dir + "/lookup";
  lo.held_topic = TopicsConfig{}.held;  // the embedded broker has every copydesk topic
  lo.server.address = f.grpc;
  auto lookup = lookup::LookupService::Start(lo, server->registry());
  if (!lookup.ok()) {
    std::cerr << "copydesk dev: lookup: " << lookup.error().reason << "\n";
    return 1;
  }
  const std::string grpc_addr =
      f.grpc.substr(0, f.grpc.rfind(':')) + ":" + std::to_string(lookup.value()->grpc_port());

  ingest::WorkerOptions wo;
  wo.kafka.brokers = bootstrap;
  wo.mode = f.mode;
  wo.instance_id = "dev";
  wo.state_dir = f.data_dir + "/ingest";
  fs::remove_all(wo.state_dir, ec);
  auto worker = ingest::Worker::Create(wo, ingest_metrics);
  if (!worker.ok()) {
    std::cerr << "copydesk dev: ingest: " << worker.error().reason << "\n";
    return 1;
  }
  std::atomic<bool> worker_stop{false};
  Status worker_status = OkStatus();
  std::thread worker_thread([&] { worker_status = worker.value()->Run(worker_stop); });

  std::cout << "copydesk dev\n"
            << "  kafka bootstrap: " << bootstrap << "\n"
            << "  broker control:  " << control.value()->address() << "\n"
            << "  gRPC Lookup:     " << grpc_addr << "\n"
            << "  metrics:         http://" << server->address() << "/metrics\n"
            << std::flush;

  int rc = 0;
  if (!f.feed.empty()) rc = FeedAndSummarise(f, bootstrap, wo, grpc_addr, server->address());
  if (!f.once) {
    std::cout << "serving; Ctrl-C to stop" << std::endl;
    while (!stop.load() && worker_status.ok()) std::this_thread::sleep_for(100ms);
  }
  worker_stop = true;
  worker_thread.join();
  lookup.value()->Stop();
  control.value()->Stop();
  if (!f.no_address_file) RemoveAddressFileOf(control.value()->address());
  if (!worker_status.ok()) {
    std::cerr << "copydesk dev: ingest: " << worker_status.error().reason << "\n";
    return 3;
  }
  return rc;
}

}  // namespace

void RegisterDev(CLI::App& app) {
  auto f = std::make_shared<DevFlags>();
  auto* cmd = app.add_subcommand(
      "dev",
      "Run the whole system in one process on the embedded broker: broker (topics created), one\n"
      "ingest worker, the lookup service and /metrics. --feed sends sample events through Kafka and\n"
      "prints a summary; --once exits after the summary.");
  cmd->add_option("--brokers-count", f->brokers, "embedded brokers")->capture_default_str();
  cmd->add_option("--partitions", f->partitions, "partitions per topic")->capture_default_str();
  cmd->add_option("--grpc", f->grpc, "gRPC Lookup address (port 0 = any)")->capture_default_str();
  cmd->add_option("--metrics", f->metrics, "/metrics address (port 0 = any)")->capture_default_str();
  cmd->add_option("--data-dir", f->data_dir, "where the lookup view lives (wiped at start)")
      ->capture_default_str();
  cmd->add_option("--mode", f->mode, "ingest mode: transactional or at-least-once")
      ->check(CLI::IsMember({"transactional", "at-least-once"}))
      ->capture_default_str();
  cmd->add_option("--feed", f->feed,
                  "sample files or directories to send (FILE.headers sidecars hold headers)");
  cmd->add_option("--headline-of", f->headline_of,
                  "feed file whose headline the summary reads back over gRPC")
      ->capture_default_str();
  cmd->add_flag("--once", f->once, "exit (0 on success) once the summary is printed");
  cmd->add_flag("--no-address-file", f->no_address_file, "do not advertise the broker in the address file");
  cmd->callback([f] { SetExitCode(RunDev(*f)); });
}

}  // namespace copydesk::cli
