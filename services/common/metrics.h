// Prometheus metrics: one struct per component, built from a registry and passed by reference
// (STYLE.md item 9). Labels are bounded: formats, decision kinds, error codes, partitions, and
// every label value is sanitized and its family's cardinality capped (Labelled).
// The catalogue with names, labels and meaning is in docs/METRICS.md.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"
#include "common/health.h"
#include "common/http_server.h"

namespace copydesk::metrics {

// Label values as they reach a scrape: valid UTF-8 (invalid bytes and control characters become
// U+FFFD) and at most kMaxLabelValueBytes bytes (longer values are cut at a character boundary
// and end in "..."). A real Prometheus rejects the whole scrape on one invalid UTF-8 label value.
inline constexpr size_t kMaxLabelValueBytes = 128;
std::string SanitizeLabelValue(std::string_view value);

// Most distinct values a Labelled family keeps by default; later values are counted under
// kOtherLabelValue, so no input can grow a family's series without bound.
inline constexpr size_t kDefaultMaxLabelValues = 200;
inline constexpr std::string_view kOtherLabelValue = "other";

// Serves /metrics, /livez, /readyz and /healthz (an alias of /livez) over HTTP from one
// event-driven thread (http::Server: idle or slow clients cannot delay a scrape) and owns the
// registry every component registers into and the health registry the probes read. Also
// registers build info and process CPU, memory and open-file gauges. Every label value is
// passed through SanitizeLabelValue when a scrape is served, whoever created it.
// Thread-safe; must outlive every metrics struct built from its registry and every heartbeat
// or readiness flag taken from health().
class Server {
 public:
  // `address` like "127.0.0.1:9464"; port 0 picks a free port (see port()). Throws
  // std::runtime_error when the address cannot be bound (start-up only). `health_clock` times
  // the heartbeats (tests pass a FakeClock).
  explicit Server(const std::string& address, const Clock& health_clock = SystemClock::Instance());
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  prometheus::Registry& registry() { return *registry_; }
  health::Registry& health() { return health_; }
  [[nodiscard]] int port() const;
  [[nodiscard]] std::string address() const;

  // The text exposition of every registered metric, as /metrics serves it.
  [[nodiscard]] std::string Scrape() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  health::Registry health_;
  struct Process;
  std::unique_ptr<Process> process_;
  std::unique_ptr<http::Server> http_;  // stopped first: its handlers read the members above
  std::string host_;
};

// A label value cache over one family: Get("x") returns the same child every time. Values are
// sanitized (SanitizeLabelValue) and at most `max_values` distinct ones get their own series;
// the rest share the kOtherLabelValue series. Thread-safe.
template <typename T>
class Labelled {
 public:
  Labelled(prometheus::Family<T>& family, std::string label, size_t max_values = kDefaultMaxLabelValues)
      : family_(family), label_(std::move(label)), max_values_(max_values) {}
  T& Get(std::string_view value) {
    std::lock_guard<std::mutex> lock(mu_);
    // Fast path: a known value that needed no sanitizing.
    if (auto it = children_.find(value); it != children_.end()) return *it->second;
    std::string clean = SanitizeLabelValue(value);
    if (auto it = children_.find(clean); it != children_.end()) return *it->second;
    if (children_.size() >= max_values_ || clean == kOtherLabelValue) return Other();
    T& child = family_.Add({{label_, clean}});
    children_.emplace(std::move(clean), &child);
    return child;
  }
  // Drops the series of one label value (e.g. a revoked partition's lag).
  void Remove(std::string_view value) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = children_.find(SanitizeLabelValue(value));
    if (it == children_.end()) return;
    family_.Remove(it->second);
    children_.erase(it);
  }
  // Series of this family: the distinct values kept, plus kOtherLabelValue once used.
  [[nodiscard]] size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return children_.size() + (other_ != nullptr ? 1 : 0);
  }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  T& Other() {
    if (other_ == nullptr) other_ = &family_.Add({{label_, std::string(kOtherLabelValue)}});
    return *other_;
  }

  prometheus::Family<T>& family_;
  const std::string label_;
  const size_t max_values_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, T*, Hash, std::equal_to<>> children_;  // never "other"; guarded by mu_
  T* other_ = nullptr;  // the overflow series, created on first overflow; guarded by mu_
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

  // Events consumed, by format (html, text, ninjs, nitf, newsml-g2, rss, atom, raw-article, anpa1312,
  // iptc7901, newsml1, unknown).
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
  // Embargoes (ingest/embargo.h): stories held on this worker's partitions, the Unix time the
  // earliest is due (0: none held), releases, releases later than ingest.embargo_late_tolerance_ms,
  // how late each release was, and held stories dropped by a cancel (never released).
  prometheus::Gauge& embargo_held;
  prometheus::Gauge& embargo_next_release;
  prometheus::Counter& embargo_releases;
  prometheus::Counter& embargo_late_releases;
  prometheus::Histogram& embargo_lateness_seconds;
  prometheus::Counter& embargo_dropped;
  // Consumer lag in messages per partition, from librdkafka statistics.
  Labelled<prometheus::Gauge> lag;
  // Unix time of the last article published per provider (bounded: providers beyond the first
  // 200 distinct ones are folded into "other").
  Labelled<prometheus::Gauge> provider_last_article;

  // Items decided or dead-lettered, by the input's format and the result (a decision name, or
  // dead_letter): a single-item input is one item, a feed or newsMessage one per entry. Both labels
  // come from closed sets; past 512 pairs they share one "other" series.
  prometheus::Family<prometheus::Counter>& items_family;
  prometheus::Counter& Item(std::string_view format, std::string_view result);

  // Applies one librdkafka statistics JSON document (statistics.interval.ms) to the lag gauges.
  void OnStatistics(std::string_view json);

 private:
  std::mutex items_mu_;
  std::map<std::pair<std::string, std::string>, prometheus::Counter*, std::less<>> items_;  // guarded
};

}  // namespace copydesk::metrics
