// Prometheus metrics: one struct per component, built from a registry and passed by reference
// (STYLE.md item 9). Labels are bounded: formats, decision kinds, error codes, partitions.
// The catalogue with names, labels and meaning is in docs/METRICS.md.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace copydesk::metrics {

// Serves /metrics (and /healthz) over HTTP and owns the registry every component registers
// into. Also registers build info and process CPU, memory and open-file gauges.
// Thread-safe; must outlive every metrics struct built from its registry.
class Server {
 public:
  // `address` like "127.0.0.1:9464"; port 0 picks a free port (see port()).
  explicit Server(const std::string& address);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  prometheus::Registry& registry() { return *registry_; }
  [[nodiscard]] int port() const;
  [[nodiscard]] std::string address() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  struct Process;
  std::unique_ptr<Process> process_;
  std::string host_;
};

// A label value cache over one family: Get("x") returns the same child every time.
template <typename T>
class Labelled {
 public:
  Labelled(prometheus::Family<T>& family, std::string label) : family_(family), label_(std::move(label)) {}
  T& Get(std::string_view value) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = children_.find(std::string(value));
    if (it != children_.end()) return *it->second;
    T& child = family_.Add({{label_, std::string(value)}});
    children_.emplace(std::string(value), &child);
    return child;
  }
  // Drops the series of one label value (e.g. a revoked partition's lag).
  void Remove(std::string_view value) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = children_.find(std::string(value));
    if (it == children_.end()) return;
    family_.Remove(it->second);
    children_.erase(it);
  }

 private:
  prometheus::Family<T>& family_;
  std::string label_;
  std::mutex mu_;
  std::unordered_map<std::string, T*> children_;
};

// Histogram buckets for latencies in seconds, 0.5 ms .. 10 s.
prometheus::Histogram::BucketBoundaries LatencyBuckets();

// The ingest worker's metrics.
struct IngestMetrics {
  explicit IngestMetrics(prometheus::Registry& registry);

  prometheus::Family<prometheus::Counter>& consumed_family;
  prometheus::Family<prometheus::Counter>& decoded_family;
  prometheus::Family<prometheus::Counter>& normalized_family;
  prometheus::Family<prometheus::Counter>& published_family;
  prometheus::Family<prometheus::Counter>& decisions_family;
  prometheus::Family<prometheus::Counter>& dead_letters_family;
  prometheus::Family<prometheus::Histogram>& stage_seconds_family;
  prometheus::Family<prometheus::Counter>& transactions_family;
  prometheus::Family<prometheus::Counter>& rebalances_family;
  prometheus::Family<prometheus::Gauge>& lag_family;
  prometheus::Family<prometheus::Gauge>& provider_last_family;

  // Events consumed, by format (html, text, ninjs, nitf, newsml-g2, rss, atom, raw-article, unknown).
  Labelled<prometheus::Counter> consumed;
  Labelled<prometheus::Counter> decoded;
  Labelled<prometheus::Counter> normalized;
  // Records published, by topic.
  Labelled<prometheus::Counter> published;
  // Decisions by kind (new, update, redelivery, stale, duplicate, syndicated, cancel).
  Labelled<prometheus::Counter> decisions;
  // Dead letters by reason (the error code, e.g. EMPTY_VALUE).
  Labelled<prometheus::Counter> dead_letters;
  prometheus::Histogram& decode_seconds;
  prometheus::Histogram& normalize_seconds;
  prometheus::Histogram& decide_seconds;
  prometheus::Histogram& end_to_end_seconds;
  prometheus::Histogram& commit_seconds;
  prometheus::Counter& txn_commits;
  prometheus::Counter& txn_aborts;
  prometheus::Counter& txn_fenced;
  prometheus::Counter& rebalance_assign;
  prometheus::Counter& rebalance_revoke;
  prometheus::Gauge& assigned_partitions;
  // Assigned partitions whose state is still being rebuilt from the changelog (not consumed yet),
  // and the changelog records restores have applied.
  prometheus::Gauge& restoring_partitions;
  prometheus::Counter& restored_records;
  prometheus::Gauge& state_store_bytes;
  // Memory of the shared near-duplicate index while it is in memory, in bytes.
  prometheus::Gauge& shared_index_bytes;
  // Memory of the assigned partitions' band entries kept in memory (dedup::PartitionStore).
  prometheus::Gauge& partition_bands_bytes;
  prometheus::Gauge& in_flight;
  // Input records that left the broker (retention, a truncated log) before this group processed
  // them: they have no outcome. Anything above zero needs an operator.
  prometheus::Counter& input_lost;
  // Partitions of this worker holding a record until every other partition's progress marker
  // covers it (cross-partition determinism), and records decided without waiting for a partition
  // whose marker was older than ingest.visibility_wait_ms (no owner: those decisions may differ
  // from an uninterrupted run's).
  prometheus::Gauge& waiting_partitions;
  prometheus::Counter& decided_without_progress;
  // Consumer lag in messages per partition, from librdkafka statistics.
  Labelled<prometheus::Gauge> lag;
  // Unix time of the last article published per provider (bounded: providers are configured
  // sources, and providers beyond 200 are folded into "other").
  Labelled<prometheus::Gauge> provider_last_article;

  // Applies one librdkafka statistics JSON document (statistics.interval.ms) to the lag gauges.
  void OnStatistics(std::string_view json);
};

}  // namespace copydesk::metrics
