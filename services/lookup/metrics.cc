#include "lookup/metrics.h"

namespace copydesk::lookup {
namespace {

constexpr const char* kService = "copydesk.v1.Lookup";
constexpr const char* kCodeNames[] = {
    "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
    "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
    "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
    "DataLoss", "Unauthenticated"};

const char* Type(Method m) {
  return m == Method::kWatchArticles ? "server_stream" : "unary";
}

}  // namespace

std::string_view MethodName(Method m) {
  switch (m) {
    case Method::kGetArticle: return "GetArticle";
    case Method::kGetArticleByUrl: return "GetArticleByUrl";
    case Method::kBatchGetArticles: return "BatchGetArticles";
    case Method::kListVersions: return "ListVersions";
    case Method::kListArticles: return "ListArticles";
    case Method::kWatchArticles: return "WatchArticles";
    case Method::kFindSimilar: return "FindSimilar";
    case Method::kCount: break;
  }
  return "unknown";
}

// Long on purpose: the initializer list is the catalogue of the lookup's metrics, one family
// (name and help text) per entry, kept in one place so the names can be read and checked together.
LookupMetrics::LookupMetrics(prometheus::Registry& registry)
    : started_family(prometheus::BuildCounter()
                         .Name("grpc_server_started_total")
                         .Help("RPCs started on the server.")
                         .Register(registry)),
      handled_family(prometheus::BuildCounter()
                         .Name("grpc_server_handled_total")
                         .Help("RPCs completed on the server, by status code.")
                         .Register(registry)),
      handling_family(prometheus::BuildHistogram()
                          .Name("grpc_server_handling_seconds")
                          .Help("Time from the start of an RPC to its completion, in seconds.")
                          .Register(registry)),
      applied_family(prometheus::BuildCounter()
                         .Name("copydesk_lookup_events_applied_total")
                         .Help("Article events applied to the view (new story versions and cancels).")
                         .Register(registry)),
      skipped_family(
          prometheus::BuildCounter()
              .Name("copydesk_lookup_events_skipped_total")
              .Help("Records of the events topic that changed nothing, by reason (duplicate, invalid).")
              .Register(registry)),
      rebuilds_family(prometheus::BuildCounter()
                          .Name("copydesk_lookup_rebuilds_total")
                          .Help("Times the view was wiped and rebuilt from the topic, by reason.")
                          .Register(registry)),
      lag_family(prometheus::BuildGauge()
                     .Name("copydesk_lookup_watermark_lag_messages")
                     .Help("Records on the events topic not yet applied to the view, per partition.")
                     .Register(registry)),
      auth_family(prometheus::BuildCounter()
                      .Name("copydesk_lookup_auth_rejected_total")
                      .Help("Lookup calls rejected by bearer-token authentication (missing_token, "
                            "wrong_token) or for a missing scope (missing_scope), by reason.")
                      .Register(registry)),
      active_family(prometheus::BuildGauge()
                        .Name("copydesk_lookup_active_calls")
                        .Help("Open WatchArticles streams (kind=watch) and calls waiting for a "
                              "min_watermark (kind=wait).")
                        .Register(registry)),
      rejected_family(
          prometheus::BuildCounter()
              .Name("copydesk_lookup_calls_rejected_total")
              .Help("Calls refused with RESOURCE_EXHAUSTED because lookup.max_watch_streams "
                    "(reason=watch_cap) or lookup.max_waiting_calls (reason=wait_cap) was reached.")
              .Register(registry)),
      view_stories(prometheus::BuildGauge()
                       .Name("copydesk_lookup_view_stories")
                       .Help("Stories in the view.")
                       .Register(registry)
                       .Add({})),
      view_versions(prometheus::BuildGauge()
                        .Name("copydesk_lookup_view_versions")
                        .Help("Story versions in the view.")
                        .Register(registry)
                        .Add({})),
      view_disk_bytes(prometheus::BuildGauge()
                          .Name("copydesk_lookup_view_disk_bytes")
                          .Help("Bytes the view's RocksDB directory takes on disk.")
                          .Register(registry)
                          .Add({})),
      held_stories(
          prometheus::BuildGauge()
              .Name("copydesk_lookup_held_stories")
              .Help("Stories in the held view: embargoed stories the ingest workers hold (topics.held).")
              .Register(registry)
              .Add({})),
      events_applied(applied_family.Add({})),
      events_duplicate(skipped_family.Add({{"reason", "duplicate"}})),
      events_invalid(skipped_family.Add({{"reason", "invalid"}})),
      rebuilds(rebuilds_family, "reason"),
      watermark_lag(lag_family, "partition"),
      auth_rejected(auth_family, "reason"),
      serving(prometheus::BuildGauge()
                  .Name("copydesk_lookup_serving")
                  .Help("1 while the gRPC health service reports SERVING (the view has caught up), else 0.")
                  .Register(registry)
                  .Add({})),
      active_watches(active_family.Add({{"kind", "watch"}})),
      active_waits(active_family.Add({{"kind", "wait"}})),
      rejected_watch_cap(rejected_family.Add({{"reason", "watch_cap"}})),
      rejected_wait_cap(rejected_family.Add({{"reason", "wait_cap"}})) {
  for (int i = 0; i < static_cast<int>(Method::kCount); ++i) {
    const auto m = static_cast<Method>(i);
    const std::string name(MethodName(m));
    started_[i] =
        &started_family.Add({{"grpc_service", kService}, {"grpc_method", name}, {"grpc_type", Type(m)}});
    seconds_[i] = &handling_family.Add(
        {{"grpc_service", kService}, {"grpc_method", name}, {"grpc_type", Type(m)}},
        prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
    for (auto& c : handled_[i]) c.store(nullptr);
  }
}

void LookupMetrics::Started(Method m) {
  started_[static_cast<int>(m)]->Increment();
}

void LookupMetrics::Handled(Method m, int grpc_code, double seconds) {
  const int i = static_cast<int>(m);
  if (grpc_code < 0 || grpc_code >= kCodes) grpc_code = 2;
  prometheus::Counter* c = handled_[i][grpc_code].load(std::memory_order_acquire);
  if (c == nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    c = handled_[i][grpc_code].load();
    if (c == nullptr) {
      c = &handled_family.Add({{"grpc_service", kService},
                               {"grpc_method", std::string(MethodName(m))},
                               {"grpc_type", Type(m)},
                               {"grpc_code", kCodeNames[grpc_code]}});
      handled_[i][grpc_code].store(c, std::memory_order_release);
    }
  }
  c->Increment();
  seconds_[i]->Observe(seconds);
}

}  // namespace copydesk::lookup
