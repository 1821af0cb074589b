// The lookup service's Prometheus metrics (names follow go-grpc-prometheus for the gRPC part so
// the usual dashboards work): one struct, built from the registry and passed by reference.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "common/metrics.h"

namespace copydesk::lookup {

// Index of a Lookup method in LookupMetrics' per-method arrays.
enum class Method : int {
  kGetArticle = 0,
  kGetArticleByUrl,
  kBatchGetArticles,
  kListVersions,
  kListArticles,
  kWatchArticles,
  kFindSimilar,
  kCount
};
std::string_view MethodName(Method m);

// gRPC server metrics of copydesk.v1.Lookup and the view's size, progress and rebuilds.
// Thread-safe. Must not outlive the registry.
struct LookupMetrics {
  explicit LookupMetrics(prometheus::Registry& registry);

  // Call bookkeeping for one finished call.
  void Started(Method m);
  void Handled(Method m, int grpc_code, double seconds);

  prometheus::Family<prometheus::Counter>& started_family;
  prometheus::Family<prometheus::Counter>& handled_family;
  prometheus::Family<prometheus::Histogram>& handling_family;
  prometheus::Family<prometheus::Counter>& applied_family;
  prometheus::Family<prometheus::Counter>& skipped_family;
  prometheus::Family<prometheus::Counter>& rebuilds_family;
  prometheus::Family<prometheus::Gauge>& lag_family;
  prometheus::Family<prometheus::Counter>& auth_family;
  prometheus::Family<prometheus::Gauge>& active_family;
  prometheus::Family<prometheus::Counter>& rejected_family;

  prometheus::Gauge& view_stories;
  prometheus::Gauge& view_versions;
  prometheus::Gauge& view_disk_bytes;
  // Stories in the held view (embargoed stories held by the ingest workers).
  prometheus::Gauge& held_stories;
  prometheus::Counter& events_applied;
  prometheus::Counter& events_duplicate;
  prometheus::Counter& events_invalid;
  // Rebuilds by reason (cluster_changed, topic_changed, offset_beyond_high_watermark,
  // partition_missing).
  metrics::Labelled<prometheus::Counter> rebuilds;
  // Records on the topic not yet applied, per partition.
  metrics::Labelled<prometheus::Gauge> watermark_lag;
  // Rejected calls by reason (missing_token, wrong_token: UNAUTHENTICATED; missing_scope:
  // PERMISSION_DENIED, a held listing without the embargoed scope).
  metrics::Labelled<prometheus::Counter> auth_rejected;
  // 1 while the gRPC health service says SERVING (the view caught up), else 0.
  prometheus::Gauge& serving;
  // Open WatchArticles streams and calls waiting for a min_watermark.
  prometheus::Gauge& active_watches;
  prometheus::Gauge& active_waits;
  // Calls refused with RESOURCE_EXHAUSTED because a cap was reached (watch_cap, wait_cap).
  prometheus::Counter& rejected_watch_cap;
  prometheus::Counter& rejected_wait_cap;

 private:
  static constexpr int kCodes = 17;
  std::array<prometheus::Counter*, static_cast<int>(Method::kCount)> started_{};
  std::array<prometheus::Histogram*, static_cast<int>(Method::kCount)> seconds_{};
  std::array<std::array<std::atomic<prometheus::Counter*>, kCodes>, static_cast<int>(Method::kCount)>
      handled_{};
  std::mutex mu_;  // guards creating handled_ children
};

}  // namespace copydesk::lookup
