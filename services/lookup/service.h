// The gRPC Lookup service over the view, and LookupService: the whole `copydesk lookup`
// (view + Kafka feed + gRPC server) as one embeddable object.
//
// Embedding (e.g. `copydesk dev`):
//   prometheus::Registry& reg = metrics_server.registry();
//   lookup::LookupOptions o;  o.brokers = broker->bootstrap();  o.grpc_address = "127.0.0.1:50051";
//   auto svc = lookup::LookupService::Start(o, reg);   // Result<unique_ptr<LookupService>>
//   if (!svc.ok()) ...;  (*svc)->grpc_port();  ...;  (*svc)->Stop();
#pragma once

#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "lookup/held_sync.h"
#include "lookup/held_view.h"
#include "lookup/metrics.h"
#include "lookup/store.h"
#include "lookup/view_sync.h"

namespace copydesk::lookup {

// gRPC transport security and authentication.
struct SecurityOptions {
  // TLS server certificate and key (PEM files). Both empty: plaintext.
  std::string tls_cert_file;
  std::string tls_key_file;
  // CA bundle (PEM) that client certificates must chain to; set with require_client_cert for mTLS.
  std::string tls_client_ca_file;
  bool require_client_cert = false;
  // Accepted bearer tokens for copydesk.v1.Lookup. Both lists empty: no authentication (and no
  // caller has the embargoed scope).
  std::vector<std::string> tokens;
  // Accepted bearer tokens that also carry the `embargoed` scope (held stories visible). Set
  // alone, authentication is on: every caller then needs one of these.
  std::vector<std::string> embargoed_tokens;
};

// Reads bearer tokens: one per line, blank lines and '#' comments ignored.
Result<std::vector<std::string>> LoadTokenFile(const std::string& path);
// Tokens from a comma- or newline-separated string (COPYDESK_LOOKUP_TOKENS).
std::vector<std::string> ParseTokens(const std::string& text);

struct ServerOptions {
  // "HOST:PORT"; port 0 picks a free port (see LookupServer::port()).
  std::string address = "127.0.0.1:50051";
  SecurityOptions security;
  // Largest request accepted and largest response sent.
  int max_receive_bytes = 4 << 20;
  int max_send_bytes = 64 << 20;
  // How long a min_watermark read may wait when the call has no deadline.
  std::chrono::milliseconds max_wait{30000};
  // BatchGetArticles accepts at most this many ids.
  int max_batch_ids = 1000;
  // Open WatchArticles streams and calls waiting for a min_watermark, at most; calls beyond
  // either cap get RESOURCE_EXHAUSTED at once. Neither holds a thread.
  int max_watch_streams = 1000;
  int max_waiting_calls = 1000;
  // Threads that run the watch streams' reads and the woken waiting calls (fixed).
  int wait_threads = 2;
  // A connection is sent GOAWAY after this age (gRPC adds +-10% jitter) and closed after the
  // grace, so that clients spread over replicas; 0 = no limit. Watch streams still open at the
  // end of the grace end with UNAVAILABLE and resume from their last watermark.
  std::chrono::milliseconds max_connection_age{300000};
  std::chrono::milliseconds max_connection_age_grace{30000};
  // On Stop(): how long calls in flight may still finish before they are cancelled.
  std::chrono::milliseconds shutdown_grace{2000};
};

// The health service names the server answers: "" (the whole server) and kHealthService follow the
// view (NOT_SERVING while it catches up); kLivenessService is SERVING while the process serves.
inline constexpr const char* kHealthService = "copydesk.v1.Lookup";
inline constexpr const char* kLivenessService = "liveness";

class LookupImpl;

// Owns the gRPC server (Lookup + health + reflection) over a ViewStore. The store, metrics, sync
// and held view must outlive it. With a ViewSync, health is NOT_SERVING and reads that depend on
// stories the view may not have yet answer UNAVAILABLE until sync->caught_up(); without one the
// view is taken as complete. With a HeldView, callers with the `embargoed` scope read held
// stories from it, and health also waits for held->complete(); without one nothing is held.
// Stop() ends every call (watch streams included) within options.shutdown_grace and joins.
class LookupServer {
 public:
  static Result<std::unique_ptr<LookupServer>> Start(const ServerOptions& options, ViewStore& store,
                                                     LookupMetrics& metrics, const ViewSync* sync = nullptr,
                                                     const HeldView* held = nullptr);
  LookupServer(const LookupServer&) = delete;
  LookupServer& operator=(const LookupServer&) = delete;
  ~LookupServer();

  [[nodiscard]] int port() const { return port_; }
  void Stop();

 private:
  LookupServer() = default;
  std::unique_ptr<LookupImpl> impl_;  // the service; outlives server_
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::chrono::milliseconds shutdown_grace_{2000};
};

// Everything `copydesk lookup` runs, embeddable.
struct LookupOptions {
  std::string brokers = "127.0.0.1:9092";
  std::string topic = "news.article-events.v1";
  // The held topic (topics.held, e.g. news.articles-held.v1) to keep the held view from; empty:
  // no held view (callers with the embargoed scope then see the public view only).
  std::string held_topic;
  kafka::Properties kafka;  // extra librdkafka properties, passed through
  std::string data_dir = "./copydesk-data/lookup";
  // Memory: RocksDB block cache and the cache of serialized latest articles (0 = off).
  size_t block_cache_bytes = 128u << 20;
  size_t hot_cache_bytes = 512u << 20;
  ServerOptions server;
};

// The lookup service: opens the view in data_dir, feeds it from the events topic on its own
// thread (and the held view from the held topic on another, when held_topic is set), and serves
// gRPC. Stop() (or the destructor) stops the server, then the feeds.
class LookupService {
 public:
  static Result<std::unique_ptr<LookupService>> Start(const LookupOptions& options,
                                                      prometheus::Registry& registry);
  LookupService(const LookupService&) = delete;
  LookupService& operator=(const LookupService&) = delete;
  ~LookupService();

  [[nodiscard]] int grpc_port() const { return server_ ? server_->port() : 0; }
  [[nodiscard]] ViewStore& store() { return *store_; }
  [[nodiscard]] const ViewSync& sync() const { return *sync_; }
  // The held view, or nullptr without a held topic.
  [[nodiscard]] const HeldView* held() const { return held_.get(); }
  // Ready to serve (what health and /readyz report): the view caught up with the events topic
  // and the held view (if any) with the held topic.
  [[nodiscard]] bool ready() const { return sync_->caught_up() && (!held_ || held_->complete()); }
  void Stop();

 private:
  LookupService() = default;
  std::unique_ptr<LookupMetrics> metrics_;
  std::unique_ptr<ViewStore> store_;
  std::unique_ptr<ViewSync> sync_;
  std::unique_ptr<HeldView> held_;
  std::unique_ptr<HeldSync> held_sync_;
  std::unique_ptr<LookupServer> server_;
};

}  // namespace copydesk::lookup
