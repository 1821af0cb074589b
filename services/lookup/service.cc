#include "lookup/service.h"

#include <absl/synchronization/mutex.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/log.h"
#include "copydesk/v1/lookup.grpc.pb.h"

namespace copydesk::lookup {
namespace {

using TimeUtil = google::protobuf::util::TimeUtil;
using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

Digest Sha256(std::string_view s) {
  Digest d{};
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d.data());
  return d;
}

std::string Trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws));
  auto end = s.find_last_not_of(ws);
  s.erase(end == std::string::npos ? 0 : end + 1);
  return s;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{v1::ERROR_CODE_INTERNAL, "cannot read " + path};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void FillWatermark(const Offsets& wm, v1::Watermark* out) {
  for (const auto& [p, o] : wm) (*out->mutable_offsets())[p] = o;
}

Offsets FromProto(const v1::Watermark& wm) {
  Offsets out;
  for (const auto& [p, o] : wm.offsets()) out[p] = o;
  return out;
}

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

// A story record reflecting one event's article (for watch filters), falling back to the story.
internal::StoryRecord EventView(const LoggedEvent& le) {
  internal::StoryRecord rec = le.story;
  const v1::Article& a = le.event.article();
  if (!a.provenance().provider().empty()) rec.set_provider(a.provenance().provider());
  if (!a.language().empty()) rec.set_language(a.language());
  if (!a.section_path().empty()) *rec.mutable_section_path() = a.section_path();
  if (a.has_versioncreated()) {
    rec.set_updated_ms(TimeUtil::TimestampToMilliseconds(a.versioncreated()));
  } else if (le.event.has_event_time()) {
    rec.set_updated_ms(TimeUtil::TimestampToMilliseconds(le.event.event_time()));
  }
  return rec;
}

}  // namespace

Result<std::vector<std::string>> LoadTokenFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.error();
  std::vector<std::string> out;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    out.push_back(line);
  }
  if (out.empty()) return Error{v1::ERROR_CODE_INTERNAL, "token file " + path + " holds no token"};
  return out;
}

std::vector<std::string> ParseTokens(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text + ",") {
    if (c == ',' || c == '\n') {
      cur = Trim(cur);
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  return out;
}

// The copydesk.v1.Lookup implementation (callback API). Unary calls run on gRPC's threads; a
// call that must wait for a watermark, and each WatchArticles stream, get a thread of their
// own, counted in active_ so that Shutdown() can wait for them.
//
// GetArticle is registered raw (bytes in, bytes out): a latest-version read is answered from the
// store's pre-serialized hot cache (ViewStore::Latest) plus the pre-serialized watermark, two
// reference-counted slices, with no snapshot, no parse and no serialization per call. Other
// reads (version, as_of, a watermark not reached yet) take the general path below.
class LookupImpl final : public v1::Lookup::WithRawCallbackMethod_GetArticle<v1::Lookup::CallbackService> {
 public:
  LookupImpl(ServerOptions options, ViewStore& store, LookupMetrics& metrics)
      : options_(std::move(options)), store_(store), metrics_(metrics) {
    for (const auto& t : options_.security.tokens) token_digests_.push_back(Sha256(t));
  }

  grpc::ServerUnaryReactor* GetArticle(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override {
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
    grpc::Status auth = Authenticate(ctx);
    if (!auth.ok()) {
      finish(auth);
      return reactor;
    }
    Offsets min;
    if (req.has_read() && req.read().has_min_watermark()) min = FromProto(req.read().min_watermark());
    if (!req.story_id().empty() && req.version() == 0 && !req.has_as_of() &&
        (min.empty() || store_.Reached(min))) {
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
    auto call = std::make_shared<std::pair<v1::GetArticleRequest, v1::GetArticleResponse>>();
    call->first = std::move(req);
    Serve(std::move(min), ctx, finish, [call, response](const Reader& r) {
      grpc::Status st = GetArticleFrom(r, call->first, &call->second);
      if (st.ok() && !SerializeResponse(call->second, response))
        return grpc::Status(grpc::StatusCode::INTERNAL, "cannot serialize GetArticleResponse");
      return st;
    });
    return reactor;
  }

  // The general GetArticle (any version, as_of) on a consistent reader.
  static grpc::Status GetArticleFrom(const Reader& r, const v1::GetArticleRequest& req,
                                     v1::GetArticleResponse* resp) {
    if (req.story_id().empty())
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "story_id is required");
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

  grpc::ServerUnaryReactor* GetArticleByUrl(grpc::CallbackServerContext* ctx,
                                            const v1::GetArticleByUrlRequest* req,
                                            v1::GetArticleByUrlResponse* resp) override {
    return Unary(Method::kGetArticleByUrl, ctx, req->has_read() ? &req->read() : nullptr,
                 [req, resp](const Reader& r) {
                   if (req->url().empty())
                     return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "url is required");
                   auto id = r.StoryByUrl(req->url());
                   std::optional<ArticleRead> art;
                   if (id) art = r.Article(*id, 0, std::nullopt);
                   if (!art)
                     return grpc::Status(grpc::StatusCode::NOT_FOUND, "no story has url " + req->url());
                   *resp->mutable_article() = std::move(art->article);
                   resp->set_canceled(art->canceled);
                   FillWatermark(r.watermark(), resp->mutable_watermark());
                   return grpc::Status::OK;
                 });
  }

  grpc::ServerUnaryReactor* BatchGetArticles(grpc::CallbackServerContext* ctx,
                                             const v1::BatchGetArticlesRequest* req,
                                             v1::BatchGetArticlesResponse* resp) override {
    const int max_ids = options_.max_batch_ids;
    return Unary(Method::kBatchGetArticles, ctx, req->has_read() ? &req->read() : nullptr,
                 [req, resp, max_ids](const Reader& r) {
                   if (req->story_ids_size() > max_ids) {
                     return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                         "at most " + std::to_string(max_ids) + " story_ids per call");
                   }
                   for (const auto& id : req->story_ids()) {
                     if (id.empty())
                       return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "empty story id");
                     if (resp->articles().count(id)) continue;
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

  grpc::ServerUnaryReactor* ListVersions(grpc::CallbackServerContext* ctx, const v1::ListVersionsRequest* req,
                                         v1::ListVersionsResponse* resp) override {
    return Unary(
        Method::kListVersions, ctx, req->has_read() ? &req->read() : nullptr, [req, resp](const Reader& r) {
          if (req->story_id().empty())
            return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "story_id is required");
          auto rec = r.Story(req->story_id());
          if (!rec)
            return grpc::Status(grpc::StatusCode::NOT_FOUND, "story " + req->story_id() + " not found");
          resp->set_story_id(req->story_id());
          *resp->mutable_versions() = rec->versions();
          FillWatermark(r.watermark(), resp->mutable_watermark());
          return grpc::Status::OK;
        });
  }

  grpc::ServerUnaryReactor* ListArticles(grpc::CallbackServerContext* ctx, const v1::ListArticlesRequest* req,
                                         v1::ListArticlesResponse* resp) override {
    return Unary(
        Method::kListArticles, ctx, req->has_read() ? &req->read() : nullptr, [req, resp](const Reader& r) {
          const auto& f = req->filter();
          if (f.has_updated_since() && f.has_updated_until() &&
              TimeUtil::TimestampToMilliseconds(f.updated_since()) >
                  TimeUtil::TimestampToMilliseconds(f.updated_until())) {
            return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "updated_since is after updated_until");
          }
          uint32_t size = req->page_size() == 0 ? 50 : std::min<uint32_t>(req->page_size(), 1000);
          auto page = r.List(f, size, req->page_token(), NowMillis());
          if (!page.ok()) return ListError(page.error());
          for (auto& a : page->articles) *resp->add_articles() = std::move(a);
          resp->set_next_page_token(page->next_page_token);
          FillWatermark(r.watermark(), resp->mutable_watermark());
          return grpc::Status::OK;
        });
  }

  grpc::ServerUnaryReactor* FindSimilar(grpc::CallbackServerContext* ctx, const v1::FindSimilarRequest* req,
                                        v1::FindSimilarResponse* resp) override {
    return Unary(
        Method::kFindSimilar, ctx, req->has_read() ? &req->read() : nullptr, [req, resp](const Reader& r) {
          if (req->story_id().empty())
            return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "story_id is required");
          if (req->min_similarity() < 0 || req->min_similarity() > 1) {
            return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "min_similarity must be within 0..1");
          }
          auto rec = r.Story(req->story_id());
          if (!rec)
            return grpc::Status(grpc::StatusCode::NOT_FOUND, "story " + req->story_id() + " not found");
          const uint32_t limit = req->limit() == 0 ? 10 : std::min<uint32_t>(req->limit(), 100);
          const double min = req->min_similarity() == 0 ? 0.5 : req->min_similarity();
          for (auto& s : r.Similar(*rec, limit, min)) *resp->add_similar() = std::move(s);
          FillWatermark(r.watermark(), resp->mutable_watermark());
          return grpc::Status::OK;
        });
  }

  grpc::ServerWriteReactor<v1::WatchArticlesResponse>* WatchArticles(
      grpc::CallbackServerContext* ctx, const v1::WatchArticlesRequest* req) override;

  // Makes waiting calls and watch streams end, then waits for their threads.
  void BeginShutdown() { stopping_ = true; }
  void WaitIdle() {
    std::unique_lock<std::mutex> lock(mu_);
    idle_.wait(lock, [&] { return active_ == 0; });
  }

  class WatchReactor;

 private:
  template <typename Fn>
  grpc::ServerUnaryReactor* Unary(Method m, grpc::CallbackServerContext* ctx, const v1::ReadOptions* read,
                                  Fn fn) {
    const auto t0 = std::chrono::steady_clock::now();
    metrics_.Started(m);
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    auto finish = [this, m, t0, reactor](const grpc::Status& s) {
      metrics_.Handled(m, s.error_code(),
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      reactor->Finish(s);
    };
    grpc::Status auth = Authenticate(ctx);
    if (!auth.ok()) {
      finish(auth);
      return reactor;
    }
    Offsets min;
    if (read != nullptr && read->has_min_watermark()) min = FromProto(read->min_watermark());
    Serve(std::move(min), ctx, std::move(finish), std::move(fn));
    return reactor;
  }

  // Runs `fn` on a reader once the view reached `min` (now, or on a thread of its own up to the
  // deadline), then `finish`es the call with its status.
  template <typename Finish, typename Fn>
  void Serve(Offsets min, grpc::CallbackServerContext* ctx, Finish finish, Fn fn) {
    if (min.empty() || store_.Reached(min)) {
      Reader r = store_.NewReader();
      finish(fn(r));
      return;
    }
    // Wait for the watermark on a thread of its own, up to the deadline.
    const auto deadline = Deadline(ctx);
    Enter();
    std::thread([this, ctx, min = std::move(min), deadline, fn = std::move(fn), finish]() mutable {
      const bool ok = store_.WaitFor(min, deadline, [&] { return ctx->IsCancelled() || stopping_.load(); });
      if (ok) {
        Reader r = store_.NewReader();
        finish(fn(r));
      } else if (ctx->IsCancelled()) {
        finish(grpc::Status(grpc::StatusCode::CANCELLED, "call cancelled"));
      } else if (stopping_) {
        finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down"));
      } else {
        finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                            "the view did not reach min_watermark before the deadline"));
      }
      Leave();
    }).detach();
  }

  static bool ParseRequest(const grpc::ByteBuffer& buf, google::protobuf::Message* msg) {
    grpc::Slice slice;
    if (!buf.TrySingleSlice(&slice).ok() && !buf.DumpToSingleSlice(&slice).ok()) return false;
    return msg->ParseFromArray(slice.begin(), static_cast<int>(slice.size()));
  }

  static bool SerializeResponse(const google::protobuf::Message& msg, grpc::ByteBuffer* out) {
    const size_t n = msg.ByteSizeLong();
    grpc::Slice slice(n);
    if (!msg.SerializeToArray(const_cast<uint8_t*>(slice.begin()), static_cast<int>(n))) return false;
    *out = grpc::ByteBuffer(&slice, 1);
    return true;
  }

  std::chrono::steady_clock::time_point Deadline(grpc::CallbackServerContext* ctx) const {
    const auto now = std::chrono::steady_clock::now();
    const auto sys_deadline = ctx->deadline();
    const auto sys_now = std::chrono::system_clock::now();
    auto budget = std::chrono::duration_cast<std::chrono::milliseconds>(options_.max_wait);
    if (sys_deadline < sys_now + budget) {
      budget = std::chrono::duration_cast<std::chrono::milliseconds>(sys_deadline - sys_now);
    }
    return now + budget;
  }

  grpc::Status Authenticate(grpc::CallbackServerContext* ctx) {
    if (token_digests_.empty()) return grpc::Status::OK;
    const auto& md = ctx->client_metadata();
    auto it = md.find("authorization");
    if (it == md.end()) {
      metrics_.auth_rejected.Get("missing_token").Increment();
      return {grpc::StatusCode::UNAUTHENTICATED,
              "missing bearer token (metadata 'authorization: Bearer <token>')"};
    }
    std::string_view v(it->second.data(), it->second.size());
    constexpr std::string_view kScheme = "bearer ";
    bool scheme = v.size() > kScheme.size();
    for (size_t i = 0; scheme && i < kScheme.size(); ++i) {
      scheme = std::tolower(static_cast<unsigned char>(v[i])) == kScheme[i];
    }
    if (!scheme) {
      metrics_.auth_rejected.Get("missing_token").Increment();
      return {grpc::StatusCode::UNAUTHENTICATED, "authorization metadata is not a bearer token"};
    }
    const Digest given = Sha256(v.substr(kScheme.size()));
    int match = 0;
    for (const auto& d : token_digests_)
      match |= CRYPTO_memcmp(given.data(), d.data(), d.size()) == 0 ? 1 : 0;
    if (!match) {
      metrics_.auth_rejected.Get("wrong_token").Increment();
      return {grpc::StatusCode::UNAUTHENTICATED, "invalid bearer token"};
    }
    return grpc::Status::OK;
  }

  void Enter() {
    std::lock_guard<std::mutex> lock(mu_);
    ++active_;
  }
  void Leave() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--active_ == 0) idle_.notify_all();
  }

  ServerOptions options_;
  ViewStore& store_;
  LookupMetrics& metrics_;
  std::vector<Digest> token_digests_;  // SHA-256 of each accepted token; the tokens are not kept
  std::atomic<bool> stopping_{false};
  std::mutex mu_;  // guards active_
  std::condition_variable idle_;
  int active_ = 0;  // threads of waiting calls and watch streams
};

// One WatchArticles stream. Its thread reads the per-offset event log from the requested
// watermark (or from now) and writes matching events one at a time; it ends on cancel or
// shutdown, finishes the call and deletes the reactor once gRPC is done with it.
class LookupImpl::WatchReactor final : public grpc::ServerWriteReactor<v1::WatchArticlesResponse> {
 public:
  WatchReactor(LookupImpl& impl, grpc::CallbackServerContext* ctx, const v1::WatchArticlesRequest& req)
      : impl_(impl), ctx_(ctx), req_(req), t0_(std::chrono::steady_clock::now()) {}

  void Begin(const grpc::Status& auth) {
    impl_.Enter();
    std::thread([this, auth] { Run(auth); }).detach();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    write_pending_ = false;
    write_ok_ = ok;
    cv_.notify_all();
  }
  void OnCancel() override {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    cv_.notify_all();
  }
  void OnDone() override {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    cv_.notify_all();
  }

 private:
  bool Stopped() {
    std::lock_guard<std::mutex> lock(mu_);
    return cancelled_ || impl_.stopping_.load();
  }

  bool Write(v1::WatchArticlesResponse resp) {
    std::unique_lock<std::mutex> lock(mu_);
    resp_ = std::move(resp);
    write_pending_ = true;
    lock.unlock();
    StartWrite(&resp_);
    lock.lock();
    cv_.wait(lock, [&] { return !write_pending_; });
    return write_ok_ && !cancelled_;
  }

  bool Wanted(const LoggedEvent& le) const {
    if (!req_.kinds().empty() &&
        std::find(req_.kinds().begin(), req_.kinds().end(), le.event.kind()) == req_.kinds().end()) {
      return false;
    }
    return FilterMatches(req_.filter(), EventView(le));
  }

  void Run(grpc::Status status) {
    if (status.ok()) status = Stream();
    impl_.metrics_.Handled(Method::kWatchArticles, status.error_code(),
                           std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count());
    Finish(status);
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return done_; });
    }
    LookupImpl& impl = impl_;
    delete this;
    impl.Leave();
  }

  grpc::Status Stream() {
    Offsets cursor = req_.from().offsets().empty() ? impl_.store_.watermark() : FromProto(req_.from());
    const bool from_now = req_.from().offsets().empty();
    while (!Stopped()) {
      Reader r = impl_.store_.NewReader();
      const Offsets& wm = r.watermark();
      bool ok = true;
      for (const auto& entry : wm) {
        // Plain locals, not a structured binding: the lambda below captures them (clang 14).
        const auto p = entry.first;
        const auto to = entry.second;
        auto it = cursor.find(p);
        const int64_t from = it != cursor.end() ? it->second : (from_now ? to : 0);
        r.Events(p, from, to, [&](LoggedEvent& le) {
          cursor[p] = le.offset + 1;
          if (!Wanted(le)) return true;
          v1::WatchArticlesResponse resp;
          *resp.mutable_event() = std::move(le.event);
          FillWatermark(cursor, resp.mutable_watermark());
          ok = Write(std::move(resp));
          return ok;
        });
        if (!ok) break;
        cursor[p] = std::max(cursor[p], to);
      }
      if (!ok) break;
      impl_.store_.WaitForChange(wm, std::chrono::milliseconds(200));
    }
    if (impl_.stopping_)
      return {grpc::StatusCode::UNAVAILABLE, "server shutting down; resume from the last watermark"};
    return {grpc::StatusCode::CANCELLED, "watch cancelled"};
  }

  LookupImpl& impl_;
  [[maybe_unused]] grpc::CallbackServerContext* ctx_;  // kept for cancellation diagnostics
  v1::WatchArticlesRequest req_;
  std::chrono::steady_clock::time_point t0_;
  std::mutex mu_;  // guards the flags below and resp_
  std::condition_variable cv_;
  v1::WatchArticlesResponse resp_;  // the message being written
  bool write_pending_ = false;
  bool write_ok_ = true;
  bool cancelled_ = false;
  bool done_ = false;
};

grpc::ServerWriteReactor<v1::WatchArticlesResponse>* LookupImpl::WatchArticles(
    grpc::CallbackServerContext* ctx, const v1::WatchArticlesRequest* req) {
  metrics_.Started(Method::kWatchArticles);
  auto* reactor = new WatchReactor(*this, ctx, *req);
  reactor->Begin(Authenticate(ctx));
  return reactor;
}

// ---------------------------------------------------------------------------------------------
// LookupServer

Result<std::unique_ptr<LookupServer>> LookupServer::Start(const ServerOptions& options, ViewStore& store,
                                                          LookupMetrics& metrics) {
  std::shared_ptr<grpc::ServerCredentials> creds;
  const auto& sec = options.security;
  if (!sec.tls_cert_file.empty() || !sec.tls_key_file.empty()) {
    if (sec.tls_cert_file.empty() || sec.tls_key_file.empty()) {
      return Error{v1::ERROR_CODE_INTERNAL, "TLS needs both a certificate and a key file"};
    }
    auto cert = ReadFile(sec.tls_cert_file);
    if (!cert.ok()) return cert.error();
    auto key = ReadFile(sec.tls_key_file);
    if (!key.ok()) return key.error();
    grpc::SslServerCredentialsOptions ssl(sec.require_client_cert
                                              ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                              : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    if (sec.require_client_cert) {
      if (sec.tls_client_ca_file.empty()) {
        return Error{v1::ERROR_CODE_INTERNAL, "mutual TLS needs the client CA file (--tls-client-ca)"};
      }
      auto ca = ReadFile(sec.tls_client_ca_file);
      if (!ca.ok()) return ca.error();
      ssl.pem_root_certs = *ca;
    }
    creds = grpc::SslServerCredentials(ssl);
  } else {
    if (sec.require_client_cert)
      return Error{v1::ERROR_CODE_INTERNAL, "mutual TLS needs a server certificate"};
    creds = grpc::InsecureServerCredentials();
  }
  // Debian's abseil runs absl::Mutex deadlock detection (a lock graph update on every lock gRPC
  // takes: ~2% of a GetArticle call). copydesk does not use absl::Mutex itself.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::unique_ptr<LookupServer> out(new LookupServer());
  out->impl_ = std::make_unique<LookupImpl>(options, store, metrics);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.address, creds, &out->port_);
  builder.RegisterService(out->impl_.get());
  builder.SetMaxReceiveMessageSize(options.max_receive_bytes);
  builder.SetMaxSendMessageSize(options.max_send_bytes);
  out->server_ = builder.BuildAndStart();
  if (!out->server_ || out->port_ == 0) {
    return Error{v1::ERROR_CODE_INTERNAL, "cannot listen for gRPC on " + options.address};
  }
  if (auto* health = out->server_->GetHealthCheckService()) {
    health->SetServingStatus(true);
    health->SetServingStatus("copydesk.v1.Lookup", true);
  }
  Logger("lookup")->info("gRPC serving address={} port={} tls={} mtls={} auth={}", options.address,
                         out->port_, !sec.tls_cert_file.empty(), sec.require_client_cert,
                         sec.tokens.empty() ? "none" : "bearer");
  return out;
}

LookupServer::~LookupServer() {
  Stop();
}

void LookupServer::Stop() {
  if (!server_) return;
  if (auto* health = server_->GetHealthCheckService()) health->Shutdown();
  impl_->BeginShutdown();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  impl_->WaitIdle();
  server_->Wait();
  server_.reset();
  impl_.reset();
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
  auto server = LookupServer::Start(options.server, *s->store_, *s->metrics_);
  if (!server.ok()) return server.error();
  s->server_ = std::move(*server);
  s->sync_->Start();
  return s;
}

LookupService::~LookupService() {
  Stop();
}

void LookupService::Stop() {
  if (server_) server_->Stop();
  if (sync_) sync_->Stop();
}

}  // namespace copydesk::lookup
