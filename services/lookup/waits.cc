#include "lookup/waits.h"

#include <utility>

namespace copydesk::lookup {
namespace {

constexpr auto kTick = std::chrono::milliseconds(50);
constexpr auto kFastTick = std::chrono::milliseconds(5);

bool Covers(const Offsets& wm, const Offsets& min) {
  for (const auto& [p, o] : min) {
    auto it = wm.find(p);
    if (it == wm.end() || it->second < o) return false;
  }
  return true;
}

}  // namespace

ViewWaits::ViewWaits(const ViewStore& store, int threads, std::function<bool()> tick)
    : store_(store), tick_(std::move(tick)) {
  dispatcher_ = std::thread([this] { Dispatch(); });
  for (int i = 0; i < std::max(1, threads); ++i) pool_.emplace_back([this] { Work(); });
}

ViewWaits::~ViewWaits() {
  Stop();
}

void ViewWaits::WaitReached(Offsets min, Clock::time_point deadline, Cancelled cancelled, Callback done) {
  Entry e;
  e.offsets = std::move(min);
  e.deadline = deadline;
  e.cancelled = std::move(cancelled);
  e.done = std::move(done);
  Park(std::move(e));
}

void ViewWaits::WaitChanged(Offsets seen, Cancelled cancelled, Callback done) {
  Entry e;
  e.changed = true;
  e.offsets = std::move(seen);
  e.deadline = Clock::time_point::max();
  e.cancelled = std::move(cancelled);
  e.done = std::move(done);
  Park(std::move(e));
}

void ViewWaits::Park(Entry e) {
  uint64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      queue_.emplace_back([done = std::move(e.done)] { done(WakeReason::kStopping); });
      work_cv_.notify_one();
      return;
    }
    id = next_id_++;
    parked_.emplace(id, std::move(e));
  }
  // The view may have moved between the caller's check and parking, after the dispatcher read its
  // watermark: check once more so that no change is missed (the dispatcher then sees every later
  // change).
  const Offsets wm = store_.watermark();
  const bool validated = store_.Reached({});
  std::lock_guard<std::mutex> lock(mu_);
  auto it = parked_.find(id);
  if (it == parked_.end()) return;  // already woken by the dispatcher
  WakeReason why{};
  if (Due(it->second, wm, validated, Clock::now(), &why)) {
    queue_.emplace_back([done = std::move(it->second.done), why] { done(why); });
    parked_.erase(it);
    work_cv_.notify_one();
  }
}

bool ViewWaits::Due(const Entry& e, const Offsets& wm, bool validated, Clock::time_point now,
                    WakeReason* why) {
  if (e.changed ? wm != e.offsets : (validated && Covers(wm, e.offsets))) {
    *why = WakeReason::kReady;
    return true;
  }
  if (e.cancelled && e.cancelled()) {
    *why = WakeReason::kCancelled;
    return true;
  }
  if (now >= e.deadline) {
    *why = WakeReason::kDeadline;
    return true;
  }
  return false;
}

void ViewWaits::Post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!joined_) {
      queue_.push_back(std::move(task));
      work_cv_.notify_one();
      return;
    }
  }
  task();
}

void ViewWaits::BeginStop() {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  stopping_ = true;
  for (auto& [id, e] : parked_) {
    queue_.emplace_back([done = std::move(e.done)] { done(WakeReason::kStopping); });
  }
  parked_.clear();
  work_cv_.notify_all();
}

void ViewWaits::Stop() {
  BeginStop();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (joined_ || quit_) return;
    quit_ = true;
    work_cv_.notify_all();
  }
  if (dispatcher_.joinable()) dispatcher_.join();
  for (auto& t : pool_) t.join();
  std::lock_guard<std::mutex> lock(mu_);
  joined_ = true;
  // Work posted while the threads were finishing runs inline from now on; run what is left.
  while (!queue_.empty()) {
    auto task = std::move(queue_.front());
    queue_.pop_front();
    mu_.unlock();
    task();
    mu_.lock();
  }
}

size_t ViewWaits::parked() const {
  std::lock_guard<std::mutex> lock(mu_);
  return parked_.size();
}

void ViewWaits::Dispatch() {
  Offsets seen = store_.watermark();
  for (;;) {
    {
      const bool validated = store_.Reached({});
      const auto now = Clock::now();
      std::lock_guard<std::mutex> lock(mu_);
      if (quit_) return;
      for (auto it = parked_.begin(); it != parked_.end();) {
        WakeReason why{};
        if (Due(it->second, seen, validated, now, &why)) {
          queue_.emplace_back([done = std::move(it->second.done), why] { done(why); });
          it = parked_.erase(it);
        } else {
          ++it;
        }
      }
      if (!queue_.empty()) work_cv_.notify_all();
    }
    const bool soon = tick_ && tick_();
    // Returns at once when the watermark moved since `seen` was read, so no change is missed.
    store_.WaitForChange(seen, soon ? kFastTick : kTick);
    seen = store_.watermark();
  }
}

void ViewWaits::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return quit_ || !queue_.empty(); });
    if (queue_.empty()) return;  // quit_ and nothing left
    auto task = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

}  // namespace copydesk::lookup
