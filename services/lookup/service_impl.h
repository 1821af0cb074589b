// The copydesk.v1.Lookup implementation (callback API), shared by service.cc (unary calls, the
// server) and watch.cc (WatchArticles). Internal to the lookup library.
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "copydesk/v1/lookup.grpc.pb.h"
#include "lookup/auth.h"
#include "lookup/metrics.h"
#include "lookup/service.h"
#include "lookup/store.h"
#include "lookup/view_sync.h"
#include "lookup/waits.h"

namespace copydesk::lookup {

inline void FillWatermark(const Offsets& wm, v1::Watermark* out) {
  for (const auto& [p, o] : wm) (*out->mutable_offsets())[p] = o;
}

inline Offsets FromProto(const v1::Watermark& wm) {
  Offsets out;
  for (const auto& [p, o] : wm.offsets()) out[p] = o;
  return out;
}

// No call holds a thread: unary reads run on gRPC's callback threads; a read waiting for its
// min_watermark and a watch stream with nothing to send are parked in ViewWaits (one dispatcher
// thread), and the watch streams' reads run on its small fixed pool. Both kinds are capped.
//
// GetArticle is registered raw (bytes in, bytes out): a latest-version read is answered from the
// store's pre-serialized hot cache (ViewStore::Latest) plus the pre-serialized watermark, two
// reference-counted slices, with no snapshot, no parse and no serialization per call. Other
// reads (version, as_of, a watermark not reached yet, a view catching up) take the general path.
class LookupImpl final : public v1::Lookup::WithRawCallbackMethod_GetArticle<v1::Lookup::CallbackService> {
 public:
  LookupImpl(ServerOptions options, ViewStore& store, LookupMetrics& metrics, const ViewSync* sync,
             const HeldView* held);
  ~LookupImpl() override;

  grpc::ServerUnaryReactor* GetArticle(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetArticleByUrl(grpc::CallbackServerContext* ctx,
                                            const v1::GetArticleByUrlRequest* req,
                                            v1::GetArticleByUrlResponse* resp) override;
  grpc::ServerUnaryReactor* BatchGetArticles(grpc::CallbackServerContext* ctx,
                                             const v1::BatchGetArticlesRequest* req,
                                             v1::BatchGetArticlesResponse* resp) override;
  grpc::ServerUnaryReactor* ListVersions(grpc::CallbackServerContext* ctx, const v1::ListVersionsRequest* req,
                                         v1::ListVersionsResponse* resp) override;
  grpc::ServerUnaryReactor* ListArticles(grpc::CallbackServerContext* ctx, const v1::ListArticlesRequest* req,
                                         v1::ListArticlesResponse* resp) override;
  grpc::ServerUnaryReactor* FindSimilar(grpc::CallbackServerContext* ctx, const v1::FindSimilarRequest* req,
                                        v1::FindSimilarResponse* resp) override;
  // watch.cc
  grpc::ServerWriteReactor<v1::WatchArticlesResponse>* WatchArticles(
      grpc::CallbackServerContext* ctx, const v1::WatchArticlesRequest* req) override;

  // The health service to keep in step with the view (set once the server runs).
  void SetHealth(grpc::HealthCheckServiceInterface* health);
  // New calls get UNAVAILABLE; parked calls and streams end with UNAVAILABLE.
  void BeginShutdown();
  // Waits until every watch reactor and waiting call is done.
  void WaitIdle();
  // Joins the dispatcher and the pool (after the server has shut down).
  void StopWaits() { waits_->Stop(); }

  class WatchReactor;

 private:
  // How a read is answered while the view catches up (see README "Health").
  enum class WhileBehind {
    kUnavailable,  // any answer may change once the view has caught up: UNAVAILABLE
    kFoundOnly,    // a found answer is final (an existing version); NOT_FOUND becomes UNAVAILABLE
  };

  // True when reads can be answered from the views as they are (caught up, or no feed).
  [[nodiscard]] bool Ready() const {
    return (sync_ == nullptr || sync_->caught_up()) && (held_ == nullptr || held_->complete());
  }
  [[nodiscard]] grpc::Status CatchingUp() const;
  [[nodiscard]] grpc::Status WhileBehindStatus(grpc::Status st, WhileBehind policy) const;
  // Keeps the health status in step with Ready(); run by the dispatcher after every wake-up.
  // Returns true while NOT_SERVING (the dispatcher then looks again within 5 ms).
  bool Tick();

  // Authenticates, then Serve()s `fn`: fn(reader), or fn(reader, caller) when it takes the
  // caller's scopes. `needs_embargoed`: a caller without the embargoed scope gets
  // PERMISSION_DENIED (counted as auth_rejected{reason="missing_scope"}) before any read.
  template <typename Fn>
  grpc::ServerUnaryReactor* Unary(Method m, grpc::CallbackServerContext* ctx, const v1::ReadOptions* read,
                                  WhileBehind policy, Fn fn, bool needs_embargoed = false);
  // Runs `fn` on a reader once the view reached `min` (now, or parked up to the deadline), then
  // `finish`es the call with its status.
  template <typename Finish, typename Fn>
  void Serve(Offsets min, WhileBehind policy, grpc::CallbackServerContext* ctx, Finish finish, Fn fn);
  [[nodiscard]] std::chrono::steady_clock::time_point Deadline(const grpc::CallbackServerContext* ctx) const;

  // Takes one of `cap` slots in `count`; false when all are taken.
  static bool Admit(std::atomic<int>& count, int cap);
  void Enter();
  void Leave();

  ServerOptions options_;
  ViewStore& store_;
  LookupMetrics& metrics_;
  const ViewSync* sync_;  // may be null
  const HeldView* held_;  // may be null: nothing is held
  TokenCheck tokens_;
  std::unique_ptr<ViewWaits> waits_;
  std::atomic<grpc::HealthCheckServiceInterface*> health_{nullptr};
  std::mutex health_mu_;   // guards health_state_
  int health_state_ = -1;  // last status set: -1 none, 0 NOT_SERVING, 1 SERVING
  std::atomic<bool> stopping_{false};
  std::atomic<int> watches_{0};  // open watch streams (admitted)
  std::atomic<int> waiting_{0};  // parked min_watermark calls
  std::mutex mu_;                // guards active_
  std::condition_variable idle_;
  int active_ = 0;  // watch reactors (admitted or not) and parked calls not done yet
};

}  // namespace copydesk::lookup
