#include "lookup/service.h"

#include <absl/synchronization/mutex.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>

#include <type_traits>

#include "common/log.h"
#include "lookup/service_impl.h"

namespace copydesk::lookup {
namespace {

using TimeUtil = google::protobuf::util::TimeUtil;

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

grpc::Status ListError(const Error& e) {
  if (e.reason.rfind(kStaleTokenPrefix, 0) == 0) return {grpc::StatusCode::FAILED_PRECONDITION, e.reason};
  if (e.reason.rfind(kBadTokenPrefix, 0) == 0) return {grpc::StatusCode::INVALID_ARGUMENT, e.reason};
  return {grpc::StatusCode::INTERNAL, e.reason};
}

bool ParseRequest(const grpc::ByteBuffer& buf, google::protobuf::Message* msg) {
  grpc::Slice slice;
  if (!buf.TrySingleSlice(&slice).ok() && !buf.DumpToSingleSlice(&slice).ok()) return false;
  return msg->ParseFromArray(slice.begin(), static_cast<int>(slice.size()));
}

bool SerializeResponse(const google::protobuf::Message& msg, grpc::ByteBuffer* out) {
  const size_t n = msg.ByteSizeLong();
  grpc::Slice slice(n);
  if (!msg.SerializeToArray(const_cast<uint8_t*>(slice.begin()), static_cast<int>(n))) return false;
  *out = grpc::ByteBuffer(&slice, 1);
  return true;
}

// The general GetArticle (any version, as_of) on a consistent reader.
grpc::Status GetArticleFrom(const Reader& r, const v1::GetArticleRequest& req, v1::GetArticleResponse* resp) {
  if (req.story_id().empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "story_id is required");
  if (req.version() != 0 && req.has_as_of()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "give either version or as_of, not both");
  }
  std::optional<int64_t> as_of;
  if (req.has_as_of()) as_of = TimeUtil::TimestampToMilliseconds(req.as_of());
  auto art = r.Article(req.story_id(), req.version(), as_of);
  if (!art) {
    std::string what = "story " + req.story_id();
    if (req.version() != 0) what = "version " + std::to_string(req.version()) + " of " + what;
    if (as_of) what += " as of " + TimeUtil::ToString(req.as_of());
    return grpc::Status(grpc::StatusCode::NOT_FOUND, what + " not found");
  }
  *resp->mutable_article() = std::move(art->article);
  resp->set_canceled(art->canceled);
  FillWatermark(r.watermark(), resp->mutable_watermark());
  return grpc::Status::OK;
}

// For a caller with the embargoed scope: the held article of a held story whose held version the
// public view does not have yet (the release not applied yet), when `version` is 0 (latest) or
// that held version; nullopt: the public view answers.
std::optional<v1::Article> HeldArticleFor(const HeldView& held, const Reader& r, const std::string& story_id,
                                          uint32_t version) {
  if (story_id.empty()) return std::nullopt;
  auto h = held.Get(story_id);
  if (!h) return std::nullopt;
  const uint32_t hv = HeldVersion(*h);
  if (version != 0 && version != hv) return std::nullopt;
  auto rec = r.Story(story_id);
  if (rec && hv != 0 && rec->latest() >= hv) return std::nullopt;  // released meanwhile: public
  return HeldArticle(*h, story_id);
}

// GetArticle from the held view (see HeldArticleFor); false when the public view answers.
bool HeldGetArticle(const HeldView& held, const Reader& r, const v1::GetArticleRequest& req,
                    v1::GetArticleResponse* resp) {
  if (req.has_as_of()) return false;  // point-in-time reads are of published versions only
  auto art = HeldArticleFor(held, r, req.story_id(), req.version());
  if (!art) return false;
  *resp->mutable_article() = std::move(*art);
  resp->set_canceled(false);
  resp->set_held(true);
  FillWatermark(r.watermark(), resp->mutable_watermark());
  return true;
}

}  // namespace

LookupImpl::LookupImpl(ServerOptions options, ViewStore& store, LookupMetrics& metrics, const ViewSync* sync,
                       const HeldView* held)
    : options_(std::move(options)),
      store_(store),
      metrics_(metrics),
      sync_(sync),
      held_(held),
      tokens_(options_.security.tokens, options_.security.embargoed_tokens) {
  waits_ = std::make_unique<ViewWaits>(store_, options_.wait_threads, [this] { return Tick(); });
}

LookupImpl::~LookupImpl() {
  waits_->Stop();
}

grpc::ServerUnaryReactor* LookupImpl::GetArticle(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  const auto t0 = std::chrono::steady_clock::now();
  metrics_.Started(Method::kGetArticle);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  auto finish = [this, t0, reactor](const grpc::Status& s) {
    metrics_.Handled(Method::kGetArticle, s.error_code(),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    reactor->Finish(s);
  };
  v1::GetArticleRequest req;
  if (!ParseRequest(*request, &req)) {
    finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "cannot parse GetArticleRequest"));
    return reactor;
  }
  Caller caller;
  grpc::Status auth = tokens_.Check(ctx, metrics_, &caller);
  if (!auth.ok()) {
    finish(auth);
    return reactor;
  }
  // A caller with the embargoed scope asking for a held story takes the general path (the hot
  // cache holds public articles only).
  const HeldView* held = caller.embargoed ? held_ : nullptr;
  const bool maybe_held =
      held != nullptr && !req.story_id().empty() && !req.has_as_of() && held->Get(req.story_id()) != nullptr;
  Offsets min;
  if (req.has_read() && req.read().has_min_watermark()) min = FromProto(req.read().min_watermark());
  if (!maybe_held && !req.story_id().empty() && req.version() == 0 && !req.has_as_of() &&
      (min.empty() ? Ready() : store_.Reached(min))) {
    // Fast path. The watermark is taken first: the article is at least as new as it.
    const grpc::Slice watermark = store_.WatermarkField();
    auto latest = store_.Latest(req.story_id());
    if (!latest) {
      finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "story " + req.story_id() + " not found"));
      return reactor;
    }
    const grpc::Slice parts[2] = {latest->response_prefix, watermark};
    *response = grpc::ByteBuffer(parts, 2);
    finish(grpc::Status::OK);
    return reactor;
  }
  // A version, once it exists, never changes: found while catching up, it is served. A held
  // version may be released or dropped by a record the held view has not read yet: not served
  // while catching up.
  const WhileBehind policy =
      req.version() != 0 && !maybe_held ? WhileBehind::kFoundOnly : WhileBehind::kUnavailable;
  auto call = std::make_shared<std::pair<v1::GetArticleRequest, v1::GetArticleResponse>>();
  call->first = std::move(req);
  Serve(std::move(min), policy, ctx, finish, [call, response, held](const Reader& r) {
    grpc::Status st = grpc::Status::OK;
    if (held == nullptr || !HeldGetArticle(*held, r, call->first, &call->second)) {
      st = GetArticleFrom(r, call->first, &call->second);
    }
    if (st.ok() && !SerializeResponse(call->second, response))
      return grpc::Status(grpc::StatusCode::INTERNAL, "cannot serialize GetArticleResponse");
    return st;
  });
  return reactor;
}

grpc::ServerUnaryReactor* LookupImpl::GetArticleByUrl(grpc::CallbackServerContext* ctx,
                                                      const v1::GetArticleByUrlRequest* req,
                                                      v1::GetArticleByUrlResponse* resp) {
  return Unary(Method::kGetArticleByUrl, ctx, req->has_read() ? &req->read() : nullptr,
               WhileBehind::kUnavailable, [req, resp](const Reader& r) {
                 if (req->url().empty())
                   return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "url is required");
                 auto id = r.StoryByUrl(req->url());
                 std::optional<ArticleRead> art;
                 if (id) art = r.Article(*id, 0, std::nullopt);
                 if (!art) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no story has url " + req->url());
                 *resp->mutable_article() = std::move(art->article);
                 resp->set_canceled(art->canceled);
                 FillWatermark(r.watermark(), resp->mutable_watermark());
                 return grpc::Status::OK;
               });
}

grpc::ServerUnaryReactor* LookupImpl::BatchGetArticles(grpc::CallbackServerContext* ctx,
                                                       const v1::BatchGetArticlesRequest* req,
                                                       v1::BatchGetArticlesResponse* resp) {
  const int max_ids = options_.max_batch_ids;
  return Unary(Method::kBatchGetArticles, ctx, req->has_read() ? &req->read() : nullptr,
               WhileBehind::kUnavailable, [this, req, resp, max_ids](const Reader& r, const Caller& caller) {
                 if (req->story_ids_size() > max_ids) {
                   return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                       "at most " + std::to_string(max_ids) + " story_ids per call");
                 }
                 const HeldView* held = caller.embargoed ? held_ : nullptr;
                 for (const auto& id : req->story_ids()) {
                   if (id.empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "empty story id");
                   if (resp->articles().count(id)) continue;
                   if (held != nullptr) {
                     if (auto h = HeldArticleFor(*held, r, id, 0)) {
                       (*resp->mutable_articles())[id] = std::move(*h);
                       resp->add_held(id);
                       continue;
                     }
                   }
                   auto art = r.Article(id, 0, std::nullopt);
                   if (art) {
                     (*resp->mutable_articles())[id] = std::move(art->article);
                   } else {
                     resp->add_missing(id);
                   }
                 }
                 FillWatermark(r.watermark(), resp->mutable_watermark());
                 return grpc::Status::OK;
               });
}

grpc::ServerUnaryReactor* LookupImpl::ListVersions(grpc::CallbackServerContext* ctx,
                                                   const v1::ListVersionsRequest* req,
                                                   v1::ListVersionsResponse* resp) {
  return Unary(Method::kListVersions, ctx, req->has_read() ? &req->read() : nullptr,
               WhileBehind::kUnavailable, [req, resp](const Reader& r) {
                 if (req->story_id().empty())
                   return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "story_id is required");
                 auto rec = r.Story(req->story_id());
                 if (!rec)
                   return grpc::Status(grpc::StatusCode::NOT_FOUND,
                                       "story " + req->story_id() + " not found");
                 resp->set_story_id(req->story_id());
                 *resp->mutable_versions() = rec->versions();
                 FillWatermark(r.watermark(), resp->mutable_watermark());
                 return grpc::Status::OK;
               });
}

grpc::ServerUnaryReactor* LookupImpl::ListArticles(grpc::CallbackServerContext* ctx,
                                                   const v1::ListArticlesRequest* req,
                                                   v1::ListArticlesResponse* resp) {
  return Unary(
      Method::kListArticles, ctx, req->has_read() ? &req->read() : nullptr, WhileBehind::kUnavailable,
      [this, req, resp](const Reader& r) {
        const auto& f = req->filter();
        if (f.has_updated_since() && f.has_updated_until() &&
            TimeUtil::TimestampToMilliseconds(f.updated_since()) >
                TimeUtil::TimestampToMilliseconds(f.updated_until())) {
          return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "updated_since is after updated_until");
        }
        uint32_t size = req->page_size() == 0 ? 50 : std::min<uint32_t>(req->page_size(), 1000);
        if (req->held() && held_ == nullptr) {
          return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                              "this lookup keeps no held view (no held topic configured)");
        }
        auto page = req->held() ? held_->List(f, size, req->page_token(), NowMillis())
                                : r.List(f, size, req->page_token(), NowMillis());
        if (!page.ok()) return ListError(page.error());
        for (auto& a : page->articles) *resp->add_articles() = std::move(a);
        resp->set_next_page_token(page->next_page_token);
        FillWatermark(r.watermark(), resp->mutable_watermark());
        return grpc::Status::OK;
      },
      /*needs_embargoed=*/req->held());
}

grpc::ServerUnaryReactor* LookupImpl::FindSimilar(grpc::CallbackServerContext* ctx,
                                                  const v1::FindSimilarRequest* req,
                                                  v1::FindSimilarResponse* resp) {
  return Unary(
      Method::kFindSimilar, ctx, req->has_read() ? &req->read() : nullptr, WhileBehind::kUnavailable,
      [req, resp](const Reader& r) {
        if (req->story_id().empty())
          return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "story_id is required");
        if (req->min_similarity() < 0 || req->min_similarity() > 1) {
          return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "min_similarity must be within 0..1");
        }
        auto rec = r.Story(req->story_id());
        if (!rec) return grpc::Status(grpc::StatusCode::NOT_FOUND, "story " + req->story_id() + " not found");
        const uint32_t limit = req->limit() == 0 ? 10 : std::min<uint32_t>(req->limit(), 100);
        const double min = req->min_similarity() == 0 ? 0.5 : req->min_similarity();
        for (auto& s : r.Similar(*rec, limit, min)) *resp->add_similar() = std::move(s);
        FillWatermark(r.watermark(), resp->mutable_watermark());
        return grpc::Status::OK;
      });
}

template <typename Fn>
grpc::ServerUnaryReactor* LookupImpl::Unary(Method m, grpc::CallbackServerContext* ctx,
                                            const v1::ReadOptions* read, WhileBehind policy, Fn fn,
                                            bool needs_embargoed) {
  const auto t0 = std::chrono::steady_clock::now();
  metrics_.Started(m);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  auto finish = [this, m, t0, reactor](const grpc::Status& s) {
    metrics_.Handled(m, s.error_code(),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    reactor->Finish(s);
  };
  Caller caller;
  grpc::Status auth = tokens_.Check(ctx, metrics_, &caller);
  if (!auth.ok()) {
    finish(auth);
    return reactor;
  }
  if (needs_embargoed && !caller.embargoed) {
    metrics_.auth_rejected.Get("missing_scope").Increment();
    finish(
        grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                     std::string(MethodName(m)) +
                         " with held needs the embargoed scope: a bearer token from lookup.embargoed_tokens "
                         "or lookup.embargoed_token_file"));
    return reactor;
  }
  Offsets min;
  if (read != nullptr && read->has_min_watermark()) min = FromProto(read->min_watermark());
  if constexpr (std::is_invocable_v<Fn&, const Reader&, const Caller&>) {
    Serve(std::move(min), policy, ctx, std::move(finish),
          [fn = std::move(fn), caller](const Reader& r) { return fn(r, caller); });
  } else {
    Serve(std::move(min), policy, ctx, std::move(finish), std::move(fn));
  }
  return reactor;
}

template <typename Finish, typename Fn>
void LookupImpl::Serve(Offsets min, WhileBehind policy, grpc::CallbackServerContext* ctx, Finish finish,
                       Fn fn) {
  if (min.empty()) {
    // No freshness asked for: answer from the view as it is, unless it is still catching up.
    const bool ready = Ready();
    Reader r = store_.NewReader();
    grpc::Status st = fn(r);
    finish(ready ? st : WhileBehindStatus(std::move(st), policy));
    return;
  }
  if (store_.Reached(min)) {
    Reader r = store_.NewReader();
    finish(fn(r));
    return;
  }
  if (stopping_) {
    finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down"));
    return;
  }
  if (!Admit(waiting_, options_.max_waiting_calls)) {
    metrics_.rejected_wait_cap.Increment();
    finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "too many calls waiting for min_watermark (lookup.max_waiting_calls = " +
                            std::to_string(options_.max_waiting_calls) + "); retry later"));
    return;
  }
  metrics_.active_waits.Increment();
  Enter();
  waits_->WaitReached(
      std::move(min), Deadline(ctx), [ctx] { return ctx->IsCancelled(); },
      [this, finish = std::move(finish), fn = std::move(fn)](WakeReason why) {
        // The slot is free before the client hears back, so that it can go again at once.
        metrics_.active_waits.Decrement();
        --waiting_;
        switch (why) {
          case WakeReason::kReady: {
            Reader r = store_.NewReader();
            finish(fn(r));
            break;
          }
          case WakeReason::kCancelled:
            finish(grpc::Status(grpc::StatusCode::CANCELLED, "call cancelled"));
            break;
          case WakeReason::kStopping:
            finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down"));
            break;
          case WakeReason::kDeadline:
            finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                "the view did not reach min_watermark before the deadline"));
            break;
        }
        Leave();
      });
}

grpc::Status LookupImpl::CatchingUp() const {
  const int64_t behind = sync_ != nullptr ? sync_->behind() : 0;
  std::string what = behind < 0 ? "has not reached the broker yet"
                                : "is catching up (" + std::to_string(behind) + " records to apply)";
  return {grpc::StatusCode::UNAVAILABLE,
          "the view " + what + "; retry later or on another replica, or pass ReadOptions.min_watermark"};
}

grpc::Status LookupImpl::WhileBehindStatus(grpc::Status st, WhileBehind policy) const {
  if (st.error_code() == grpc::StatusCode::NOT_FOUND) return CatchingUp();
  if (st.ok() && policy == WhileBehind::kUnavailable) return CatchingUp();
  return st;  // OK under kFoundOnly, and request errors (INVALID_ARGUMENT, stale page tokens)
}

std::chrono::steady_clock::time_point LookupImpl::Deadline(const grpc::CallbackServerContext* ctx) const {
  const auto now = std::chrono::steady_clock::now();
  const auto sys_deadline = ctx->deadline();
  const auto sys_now = std::chrono::system_clock::now();
  auto budget = std::chrono::duration_cast<std::chrono::milliseconds>(options_.max_wait);
  if (sys_deadline < sys_now + budget) {
    budget = std::chrono::duration_cast<std::chrono::milliseconds>(sys_deadline - sys_now);
  }
  return now + budget;
}

bool LookupImpl::Admit(std::atomic<int>& count, int cap) {
  int cur = count.load();
  while (cur < cap) {
    if (count.compare_exchange_weak(cur, cur + 1)) return true;
  }
  return false;
}

void LookupImpl::Enter() {
  std::lock_guard<std::mutex> lock(mu_);
  ++active_;
}

void LookupImpl::Leave() {
  std::lock_guard<std::mutex> lock(mu_);
  if (--active_ == 0) idle_.notify_all();
}

void LookupImpl::SetHealth(grpc::HealthCheckServiceInterface* health) {
  if (health != nullptr) health->SetServingStatus(kLivenessService, true);
  health_ = health;
  Tick();
}

bool LookupImpl::Tick() {
  grpc::HealthCheckServiceInterface* health = health_.load();
  if (health == nullptr || stopping_) return false;
  std::lock_guard<std::mutex> lock(health_mu_);
  const int state = Ready() ? 1 : 0;
  if (state == health_state_) return state == 0;
  health_state_ = state;
  health->SetServingStatus("", state == 1);  // not the overload without a name: it sets every name
  health->SetServingStatus(kHealthService, state == 1);
  metrics_.serving.Set(state);
  if (state == 1) {
    Logger("lookup")->info("health SERVING");
  } else {
    Logger("lookup")->info(
        "health NOT_SERVING until the view has caught up with the events topic (and the held view with the "
        "held topic)");
  }
  return state == 0;
}

void LookupImpl::BeginShutdown() {
  stopping_ = true;
  waits_->BeginStop();
}

void LookupImpl::WaitIdle() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [&] { return active_ == 0; });
}

// ---------------------------------------------------------------------------------------------
// LookupServer

Result<std::unique_ptr<LookupServer>> LookupServer::Start(const ServerOptions& options, ViewStore& store,
                                                          LookupMetrics& metrics, const ViewSync* sync,
                                                          const HeldView* held) {
  auto creds = MakeServerCredentials(options.security);
  if (!creds.ok()) return creds.error();
  // Debian's abseil runs absl::Mutex deadlock detection (a lock graph update on every lock gRPC
  // takes: ~2% of a GetArticle call). copydesk does not use absl::Mutex itself.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::unique_ptr<LookupServer> out(new LookupServer());
  out->impl_ = std::make_unique<LookupImpl>(options, store, metrics, sync, held);
  out->shutdown_grace_ = options.shutdown_grace;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.address, *creds, &out->port_);
  builder.RegisterService(out->impl_.get());
  builder.SetMaxReceiveMessageSize(options.max_receive_bytes);
  builder.SetMaxSendMessageSize(options.max_send_bytes);
  if (options.max_connection_age.count() > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                               static_cast<int>(options.max_connection_age.count()));
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                               static_cast<int>(options.max_connection_age_grace.count()));
  }
  out->server_ = builder.BuildAndStart();
  if (!out->server_ || out->port_ == 0) {
    return Error{v1::ERROR_CODE_INTERNAL, "cannot listen for gRPC on " + options.address};
  }
  out->impl_->SetHealth(out->server_->GetHealthCheckService());
  const auto& sec = options.security;
  const bool auth = !sec.tokens.empty() || !sec.embargoed_tokens.empty();
  Logger("lookup")->info(
      "gRPC serving address={} port={} tls={} mtls={} auth={} tokens={} embargoed_tokens={} held_view={} "
      "max_watch_streams={} max_waiting_calls={} max_connection_age_ms={}",
      options.address, out->port_, !sec.tls_cert_file.empty(), sec.require_client_cert,
      auth ? "bearer" : "none", sec.tokens.size(), sec.embargoed_tokens.size(), held != nullptr,
      options.max_watch_streams, options.max_waiting_calls, options.max_connection_age.count());
  if (sec.tokens.empty() && !sec.embargoed_tokens.empty()) {
    Logger("lookup")->warn(
        "only embargoed tokens are configured: every caller needs one (calls without a token get "
        "UNAUTHENTICATED); add lookup.tokens for ordinary readers");
  }
  return out;
}

LookupServer::~LookupServer() {
  Stop();
}

void LookupServer::Stop() {
  if (!server_) return;
  const auto t0 = std::chrono::steady_clock::now();
  if (auto* health = server_->GetHealthCheckService()) health->Shutdown();
  // Parked calls and idle watch streams end now; calls still writing get the grace, then are
  // cancelled by the server.
  impl_->BeginShutdown();
  server_->Shutdown(std::chrono::system_clock::now() + shutdown_grace_);
  impl_->WaitIdle();
  server_->Wait();
  impl_->StopWaits();
  server_.reset();
  impl_.reset();
  Logger("lookup")->info("gRPC server stopped seconds={:.3f}",
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

// ---------------------------------------------------------------------------------------------
// LookupService

Result<std::unique_ptr<LookupService>> LookupService::Start(const LookupOptions& options,
                                                            prometheus::Registry& registry) {
  std::unique_ptr<LookupService> s(new LookupService());
  s->metrics_ = std::make_unique<LookupMetrics>(registry);
  ViewStore::Options so;
  so.dir = options.data_dir;
  so.block_cache_bytes = options.block_cache_bytes;
  so.hot_cache_bytes = options.hot_cache_bytes;
  auto store = ViewStore::Open(so);
  if (!store.ok()) return store.error();
  s->store_ = std::move(*store);
  ViewSyncOptions vo;
  vo.brokers = options.brokers;
  vo.topic = options.topic;
  vo.kafka = options.kafka;
  s->sync_ = std::make_unique<ViewSync>(vo, *s->store_, *s->metrics_);
  if (!options.held_topic.empty()) {
    s->held_ = std::make_unique<HeldView>(so.page_token_ttl_ms);
    HeldSyncOptions ho;
    ho.brokers = options.brokers;
    ho.topic = options.held_topic;
    ho.kafka = options.kafka;
    s->held_sync_ = std::make_unique<HeldSync>(ho, *s->held_, *s->metrics_);
    s->held_->SetComplete(false);  // not ready before the feed has read the held topic
  }
  auto server = LookupServer::Start(options.server, *s->store_, *s->metrics_, s->sync_.get(), s->held_.get());
  if (!server.ok()) return server.error();
  s->server_ = std::move(*server);
  s->sync_->Start();
  if (s->held_sync_) s->held_sync_->Start();
  return s;
}

LookupService::~LookupService() {
  Stop();
}

void LookupService::Stop() {
  if (server_) server_->Stop();
  if (held_sync_) held_sync_->RequestStop();  // both feeds wind down at once
  if (sync_) sync_->Stop();
  if (held_sync_) held_sync_->Stop();
}

}  // namespace copydesk::lookup
