#include "common/metrics.h"

#include <dirent.h>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "common/text.h"

namespace copydesk::metrics {
namespace {

prometheus::MetricFamily Gauge(const std::string& name, const std::string& help, double value) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = prometheus::MetricType::Gauge;
  prometheus::ClientMetric m;
  m.gauge.value = value;
  f.metric.push_back(m);
  return f;
}

prometheus::MetricFamily CounterFamily(const std::string& name, const std::string& help, double value) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = prometheus::MetricType::Counter;
  prometheus::ClientMetric m;
  m.counter.value = value;
  f.metric.push_back(m);
  return f;
}

// Process CPU, memory and open files, read from /proc at scrape time.
class ProcessCollector final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> out;
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    std::ifstream stat("/proc/self/stat");
    std::string line;
    std::getline(stat, line);
    auto close = line.rfind(')');
    if (close != std::string::npos) {
      std::istringstream in(line.substr(close + 2));
      std::string field;
      std::vector<std::string> f;
      while (in >> field) f.push_back(field);
      // After the comm field: state(0) ... utime(11) stime(12) ... starttime(19) vsize(20) rss(21)
      if (f.size() > 21) {
        double cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
        out.push_back(
            CounterFamily("process_cpu_seconds_total", "User and system CPU time spent in seconds.", cpu));
        out.push_back(
            Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", std::stod(f[20])));
        out.push_back(Gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
                            std::stod(f[21]) * page));
        std::ifstream uptime("/proc/uptime");
        double up = 0;
        uptime >> up;
        double boot = static_cast<double>(time(nullptr)) - up;
        out.push_back(Gauge("process_start_time_seconds",
                            "Start time of the process since unix epoch in seconds.",
                            boot + std::stod(f[19]) / ticks));
      }
    }
    int fds = 0;
    if (DIR* d = opendir("/proc/self/fd")) {
      while (readdir(d)) ++fds;
      closedir(d);
      fds -= 2;
    }
    out.push_back(Gauge("process_open_fds", "Number of open file descriptors.", fds));
    long max_fds = sysconf(_SC_OPEN_MAX);
    out.push_back(
        Gauge("process_max_fds", "Maximum number of open file descriptors.", static_cast<double>(max_fds)));
    return out;
  }
};

}  // namespace

std::string SanitizeLabelValue(std::string_view value) {
  bool clean = value.size() <= kMaxLabelValueBytes;
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7F) {
      clean = false;
      break;
    }
  }
  if (clean) return std::string(value);  // short printable ASCII: the common case
  // Control characters become U+FFFD like invalid bytes do: a label value is shown verbatim
  // by dashboards and alert texts.
  std::string valid = text::ToValidUtf8(value.substr(0, std::min(value.size(), kMaxLabelValueBytes + 4)));
  std::string out;
  out.reserve(valid.size());
  for (char ch : valid) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) {
      out += "\xEF\xBF\xBD";
    } else {
      out += ch;
    }
  }
  if (value.size() > kMaxLabelValueBytes || out.size() > kMaxLabelValueBytes) {
    out = std::string(text::TruncateUtf8(out, kMaxLabelValueBytes - 3)) + "...";
  }
  return out;
}

struct Server::Process {
  std::shared_ptr<ProcessCollector> collector = std::make_shared<ProcessCollector>();
};

Server::Server(const std::string& address, const Clock& health_clock)
    : registry_(std::make_shared<prometheus::Registry>()),
      health_(health_clock),
      process_(std::make_unique<Process>()) {
  host_ = address.substr(0, address.rfind(':'));
  auto& build = prometheus::BuildGauge()
                    .Name("copydesk_build_info")
                    .Help("Build information; the value is always 1.")
                    .Register(*registry_);
  build.Add({{"version", "0.1.0"}, {"normalizer", "copydesk-normalize/0.1.0"}}).Set(1);
  auto probe = [](const health::Report& r) {
    return http::Response{r.ok ? 200 : 503, "text/plain; charset=utf-8", r.text};
  };
  std::map<std::string, http::Handler> routes{
      {"/metrics",
       [this] {
         return http::Response{200, "text/plain; version=0.0.4; charset=utf-8", Scrape()};
       }},
      {"/livez", [this, probe] { return probe(health_.Liveness()); }},
      {"/healthz", [this, probe] { return probe(health_.Liveness()); }},
      {"/readyz", [this, probe] { return probe(health_.Readiness()); }},
  };
  auto started = http::Server::Start(address, std::move(routes));
  if (!started.ok()) throw std::runtime_error(started.error().reason);  // start-up only
  http_ = std::move(started.value());
}

Server::~Server() {
  http_.reset();  // joins the thread before the registry and the health registry go
}

int Server::port() const {
  return http_->port();
}

std::string Server::address() const {
  return host_ + ":" + std::to_string(port());
}

std::string Server::Scrape() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (auto& f : process_->collector->Collect()) families.push_back(std::move(f));
  for (auto& f : families) {
    for (auto& m : f.metric) {
      for (auto& l : m.label) l.value = SanitizeLabelValue(l.value);
    }
  }
  return prometheus::TextSerializer().Serialize(families);
}

prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  // Finer between 50 and 300 ms, where the end-to-end latency targets sit.
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.125,
          0.15,   0.175, 0.2,    0.25,  0.3,  0.5,   1,    2.5,   5,   10};
}

IngestMetrics::IngestMetrics(prometheus::Registry& r)
    : consumed_family(prometheus::BuildCounter()
                          .Name("copydesk_ingest_events_consumed_total")
                          .Help("Raw events consumed from the input topic, by format.")
                          .Register(r)),
      decoded_family(prometheus::BuildCounter()
                         .Name("copydesk_ingest_events_decoded_total")
                         .Help("Raw events whose bytes decoded (charset, envelope), by format.")
                         .Register(r)),
      normalized_family(prometheus::BuildCounter()
                            .Name("copydesk_ingest_events_normalized_total")
                            .Help("Raw events normalized into an Article, by format.")
                            .Register(r)),
      published_family(prometheus::BuildCounter()
                           .Name("copydesk_ingest_records_published_total")
                           .Help("Records acknowledged on an output topic, by topic.")
                           .Register(r)),
      decisions_family(prometheus::BuildCounter()
                           .Name("copydesk_ingest_decisions_total")
                           .Help("Dedup decisions, by decision.")
                           .Register(r)),
      dead_letters_family(prometheus::BuildCounter()
                              .Name("copydesk_ingest_dead_letters_total")
                              .Help("Events sent to the dead-letter topic, by reason (error code).")
                              .Register(r)),
      stage_seconds_family(prometheus::BuildHistogram()
                               .Name("copydesk_ingest_stage_duration_seconds")
                               .Help("Time spent per event in a stage: decode, normalize, decide, end_to_end "
                                     "(from the event's Kafka timestamp to the committed output), commit.")
                               .Register(r)),
      transactions_family(prometheus::BuildCounter()
                              .Name("copydesk_ingest_transactions_total")
                              .Help("Kafka transactions by result: committed, aborted, fenced.")
                              .Register(r)),
      rebalances_family(prometheus::BuildCounter()
                            .Name("copydesk_ingest_rebalances_total")
                            .Help("Consumer group rebalances seen by this worker, by kind: assign, revoke.")
                            .Register(r)),
      lag_family(prometheus::BuildGauge()
                     .Name("copydesk_ingest_consumer_lag_messages")
                     .Help("Consumer lag per input partition, in messages (librdkafka statistics).")
                     .Register(r)),
      provider_last_family(prometheus::BuildGauge()
                               .Name("copydesk_ingest_provider_last_article_timestamp_seconds")
                               .Help("Unix time of the last article published per provider.")
                               .Register(r)),
      consumed(consumed_family, "format"),
      decoded(decoded_family, "format"),
      normalized(normalized_family, "format"),
      published(published_family, "topic"),
      decisions(decisions_family, "decision"),
      dead_letters(dead_letters_family, "reason"),
      decode_seconds(stage_seconds_family.Add({{"stage", "decode"}}, LatencyBuckets())),
      normalize_seconds(stage_seconds_family.Add({{"stage", "normalize"}}, LatencyBuckets())),
      decide_seconds(stage_seconds_family.Add({{"stage", "decide"}}, LatencyBuckets())),
      end_to_end_seconds(stage_seconds_family.Add({{"stage", "end_to_end"}}, LatencyBuckets())),
      commit_seconds(stage_seconds_family.Add({{"stage", "commit"}}, LatencyBuckets())),
      txn_commits(transactions_family.Add({{"result", "committed"}})),
      txn_aborts(transactions_family.Add({{"result", "aborted"}})),
      txn_fenced(transactions_family.Add({{"result", "fenced"}})),
      rebalance_assign(rebalances_family.Add({{"kind", "assign"}})),
      rebalance_revoke(rebalances_family.Add({{"kind", "revoke"}})),
      assigned_partitions(prometheus::BuildGauge()
                              .Name("copydesk_ingest_assigned_partitions")
                              .Help("Input partitions currently assigned to this worker.")
                              .Register(r)
                              .Add({})),
      restoring_partitions(prometheus::BuildGauge()
                               .Name("copydesk_ingest_restoring_partitions")
                               .Help("Assigned partitions whose dedup state is still being restored from the "
                                     "changelog; they are consumed once it is done.")
                               .Register(r)
                               .Add({})),
      restored_records(prometheus::BuildCounter()
                           .Name("copydesk_ingest_restored_records_total")
                           .Help("Changelog records applied by state restores.")
                           .Register(r)
                           .Add({})),
      state_store_bytes(prometheus::BuildGauge()
                            .Name("copydesk_ingest_state_store_bytes")
                            .Help("Approximate size of the dedup state stores of this worker, in bytes.")
                            .Register(r)
                            .Add({})),
      shared_index_bytes(prometheus::BuildGauge()
                             .Name("copydesk_ingest_shared_index_bytes")
                             .Help("Approximate memory of this worker's in-memory shared near-duplicate "
                                   "index, in bytes (0 once it is in RocksDB).")
                             .Register(r)
                             .Add({})),
      partition_bands_bytes(prometheus::BuildGauge()
                                .Name("copydesk_ingest_partition_bands_bytes")
                                .Help("Approximate memory of the near-duplicate band entries of this "
                                      "worker's partitions kept in memory, in bytes.")
                                .Register(r)
                                .Add({})),
      in_flight(prometheus::BuildGauge()
                    .Name("copydesk_ingest_in_flight_events")
                    .Help("Events consumed but not yet committed.")
                    .Register(r)
                    .Add({})),
      input_lost(prometheus::BuildCounter()
                     .Name("copydesk_ingest_input_lost_total")
                     .Help("Input records no longer on the broker (retention, truncation) when this worker "
                           "reached them: never processed, no outcome.")
                     .Register(r)
                     .Add({})),
      waiting_partitions(
          prometheus::BuildGauge()
              .Name("copydesk_ingest_waiting_partitions")
              .Help("Partitions holding a record until every other partition's progress covers "
                    "it (cross-partition determinism).")
              .Register(r)
              .Add({})),
      decided_without_progress(prometheus::BuildCounter()
                                   .Name("copydesk_ingest_decided_without_progress_total")
                                   .Help("Records decided without the progress of a partition that published "
                                         "none for ingest.visibility_wait_ms (no owner): these decisions may "
                                         "differ from an uninterrupted run's.")
                                   .Register(r)
                                   .Add({})),
      embargo_held(prometheus::BuildGauge()
                       .Name("copydesk_ingest_embargo_held")
                       .Help("Embargoed stories held on this worker's partitions.")
                       .Register(r)
                       .Add({})),
      embargo_next_release(prometheus::BuildGauge()
                               .Name("copydesk_ingest_embargo_next_release_timestamp_seconds")
                               .Help("Unix time at which the earliest held story on this worker is due; 0 "
                                     "when none is held.")
                               .Register(r)
                               .Add({})),
      embargo_releases(prometheus::BuildCounter()
                           .Name("copydesk_ingest_embargo_releases_total")
                           .Help("Held stories released (published) when their embargo lifted.")
                           .Register(r)
                           .Add({})),
      embargo_late_releases(
          prometheus::BuildCounter()
              .Name("copydesk_ingest_embargo_late_releases_total")
              .Help("Releases more than ingest.embargo_late_tolerance_ms after their due time.")
              .Register(r)
              .Add({})),
      embargo_lateness_seconds(
          prometheus::BuildHistogram()
              .Name("copydesk_ingest_embargo_release_lateness_seconds")
              .Help("How late each release was after its due time (0 when on time).")
              .Register(r)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60})),
      embargo_dropped(prometheus::BuildCounter()
                          .Name("copydesk_ingest_embargo_dropped_total")
                          .Help("Held stories dropped by a cancel: never released.")
                          .Register(r)
                          .Add({})),
      // One series per assigned input partition: topics may have more than the default cap.
      lag(lag_family, "partition", 4096),
      provider_last_article(provider_last_family, "provider"),
      items_family(prometheus::BuildCounter()
                       .Name("copydesk_ingest_items_total")
                       .Help("Items of inputs (one per single-item input, one per entry of a feed or "
                             "newsMessage), by format and result (a decision, or dead_letter).")
                       .Register(r)) {
  for (const char* d : {"new", "update", "redelivery", "stale", "duplicate", "syndicated", "cancel"})
    decisions.Get(d);
}

prometheus::Counter& IngestMetrics::Item(std::string_view format, std::string_view result) {
  std::lock_guard<std::mutex> lock(items_mu_);
  std::pair<std::string, std::string> key(SanitizeLabelValue(format), SanitizeLabelValue(result));
  if (auto it = items_.find(key); it != items_.end()) return *it->second;
  if (items_.size() >= 512) key = {std::string(kOtherLabelValue), std::string(kOtherLabelValue)};
  if (auto it = items_.find(key); it != items_.end()) return *it->second;
  prometheus::Counter& c = items_family.Add({{"format", key.first}, {"result", key.second}});
  items_.emplace(std::move(key), &c);
  return c;
}

void IngestMetrics::OnStatistics(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json.data(), json.size()).get(doc)) return;
  simdjson::dom::object topics;
  if (doc["topics"].get(topics)) return;
  for (auto [tname, topic] : topics) {
    simdjson::dom::object parts;
    if (topic["partitions"].get(parts)) continue;
    for (auto [pname, p] : parts) {
      if (pname == "-1") continue;
      int64_t lag_v = -1;
      if (p["consumer_lag"].get(lag_v) || lag_v < 0) continue;
      std::string_view desired;
      bool desired_b = false;
      (void)desired;
      if (!p["desired"].get(desired_b) && !desired_b) continue;
      lag.Get(std::string(pname)).Set(static_cast<double>(lag_v));
    }
  }
}

}  // namespace copydesk::metrics
