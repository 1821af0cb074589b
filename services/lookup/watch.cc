// WatchArticles: one reactor per stream, driven by callbacks, with no thread of its own.
#include <google/protobuf/util/time_util.h>

#include <algorithm>

#include "lookup/service_impl.h"

namespace copydesk::lookup {
namespace {

using TimeUtil = google::protobuf::util::TimeUtil;

// Events a stream examines in one step before it lets other streams have the pool thread.
constexpr int kScanBudget = 1000;

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

// One WatchArticles stream. Each step (Pump, on the ViewWaits pool) reads the per-offset event log
// from the stream's cursor on a fresh reader and either writes the next matching event
// (OnWriteDone schedules the next step), yields after kScanBudget events that do not match, or
// parks in ViewWaits until the view's watermark moves. At most one step of a stream is in flight
// at a time (each step schedules the next), so cursor_ and resp_ need no lock; the flags set by
// gRPC's callbacks are atomic. The stream ends on cancel, on a failed write and on shutdown, and
// deletes itself in OnDone.
class LookupImpl::WatchReactor final : public grpc::ServerWriteReactor<v1::WatchArticlesResponse> {
 public:
  WatchReactor(LookupImpl& impl, const v1::WatchArticlesRequest& req)
      : impl_(impl), req_(req), t0_(std::chrono::steady_clock::now()) {}

  // Finishes at once with `refused` when it is not OK; else sends the response headers (so the
  // client knows the stream was admitted) and starts streaming.
  void Begin(const grpc::Status& refused, bool admitted) {
    admitted_ = admitted;
    if (!refused.ok()) {
      End(refused);
      return;
    }
    // From now: the view's watermark. Partitions not in the cursor start at 0 (for a stream from
    // now, a partition the view did not have yet had no events before the stream started).
    cursor_ = req_.from().offsets().empty() ? impl_.store_.watermark() : FromProto(req_.from());
    StartSendInitialMetadata();
  }

  void OnSendInitialMetadataDone(bool ok) override {
    if (!ok) broken_ = true;
    impl_.waits_->Post([this] { Pump(); });
  }
  void OnWriteDone(bool ok) override {
    if (!ok) broken_ = true;
    impl_.waits_->Post([this] { Pump(); });
  }
  void OnCancel() override { cancelled_ = true; }
  void OnDone() override {
    LookupImpl& impl = impl_;
    delete this;
    impl.Leave();
  }

 private:
  void End(const grpc::Status& status) {
    if (admitted_) {  // the slot is free before the client hears back, so that it can go again at once
      impl_.metrics_.active_watches.Decrement();
      --impl_.watches_;
    }
    impl_.metrics_.Handled(Method::kWatchArticles, status.error_code(),
                           std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count());
    Finish(status);
  }

  bool Wanted(const LoggedEvent& le) const {
    if (!req_.kinds().empty() &&
        std::find(req_.kinds().begin(), req_.kinds().end(), le.event.kind()) == req_.kinds().end()) {
      return false;
    }
    return FilterMatches(req_.filter(), EventView(le));
  }

  void Pump() {
    if (impl_.stopping_) {
      End({grpc::StatusCode::UNAVAILABLE, "server shutting down; resume from the last watermark"});
      return;
    }
    if (cancelled_ || broken_) {
      End({grpc::StatusCode::CANCELLED, "watch cancelled"});
      return;
    }
    Reader r = impl_.store_.NewReader();
    const Offsets& wm = r.watermark();
    int budget = kScanBudget;
    for (const auto& entry : wm) {
      // Plain locals, not a structured binding: the lambda below captures them (clang 14).
      const int32_t p = entry.first;
      const int64_t to = entry.second;
      auto it = cursor_.find(p);
      const int64_t from = it != cursor_.end() ? it->second : 0;
      bool found = false;
      bool yield = false;
      r.Events(p, from, to, [&](LoggedEvent& le) {
        cursor_[p] = le.offset + 1;
        if (Wanted(le)) {
          resp_.Clear();
          *resp_.mutable_event() = std::move(le.event);
          FillWatermark(cursor_, resp_.mutable_watermark());
          found = true;
          return false;
        }
        yield = --budget <= 0;
        return !yield;
      });
      if (found) {
        StartWrite(&resp_);
        return;
      }
      if (yield) {
        impl_.waits_->Post([this] { Pump(); });
        return;
      }
      cursor_[p] = std::max(cursor_[p], to);
    }
    // Everything up to the reader's watermark is sent: wait (without a thread) for the next batch.
    impl_.waits_->WaitChanged(
        wm, [this] { return cancelled_.load(); }, [this](WakeReason) { Pump(); });
  }

  LookupImpl& impl_;
  const v1::WatchArticlesRequest req_;
  const std::chrono::steady_clock::time_point t0_;
  bool admitted_ = false;           // holds a slot of lookup.max_watch_streams
  Offsets cursor_;                  // next offset to examine, per partition
  v1::WatchArticlesResponse resp_;  // the message being written
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> broken_{false};  // a write or the headers failed: the client is gone
};

grpc::ServerWriteReactor<v1::WatchArticlesResponse>* LookupImpl::WatchArticles(
    grpc::CallbackServerContext* ctx, const v1::WatchArticlesRequest* req) {
  metrics_.Started(Method::kWatchArticles);
  auto* reactor = new WatchReactor(*this, *req);
  Enter();
  grpc::Status status = tokens_.Check(ctx, metrics_);
  bool admitted = false;
  if (status.ok() && stopping_) {
    status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down");
  } else if (status.ok()) {
    admitted = Admit(watches_, options_.max_watch_streams);
    if (admitted) {
      metrics_.active_watches.Increment();
    } else {
      metrics_.rejected_watch_cap.Increment();
      status = grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          "too many watch streams (lookup.max_watch_streams = " + std::to_string(options_.max_watch_streams) +
              "); retry later or on another replica");
    }
  }
  reactor->Begin(status, admitted);
  return reactor;
}

}  // namespace copydesk::lookup
