// Calls that wait for the view, without a thread each: a read waiting for a `min_watermark` and a
// WatchArticles stream with nothing new to send are parked here. One dispatcher thread wakes on
// every change of the view's watermark (and at least every 50 ms for deadlines, cancellations and
// the validation flag) and hands the parked calls whose condition holds to a small fixed pool,
// which also runs the watch streams' reads. The number of threads is fixed whatever the number of
// calls.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "lookup/store.h"

namespace copydesk::lookup {

// Why a parked call was woken.
enum class WakeReason { kReady, kDeadline, kCancelled, kStopping };

class ViewWaits {
 public:
  using Callback = std::function<void(WakeReason)>;
  using Cancelled = std::function<bool()>;
  using Clock = std::chrono::steady_clock;

  // Starts the dispatcher and `threads` pool threads. `tick` (may be empty) runs on the
  // dispatcher after every wake-up: at least every 50 ms, every 5 ms while it returns true.
  ViewWaits(const ViewStore& store, int threads, std::function<bool()> tick);
  ViewWaits(const ViewWaits&) = delete;
  ViewWaits& operator=(const ViewWaits&) = delete;
  ~ViewWaits();  // Stop()

  // Calls `done` on the pool once the view reached `min` (ViewStore::Reached) with kReady, or
  // with kDeadline / kCancelled (`cancelled` returned true) / kStopping, whichever comes first.
  void WaitReached(Offsets min, Clock::time_point deadline, Cancelled cancelled, Callback done);
  // Calls `done` on the pool once the view's watermark differs from `seen` (kReady), or with
  // kCancelled / kStopping.
  void WaitChanged(Offsets seen, Cancelled cancelled, Callback done);
  // Runs `task` on the pool (inline once the pool has stopped).
  void Post(std::function<void()> task);

  // Wakes every parked call with kStopping, now and at once for calls parked later. The pool keeps
  // running (calls being finished still need it) until Stop().
  void BeginStop();
  // BeginStop(), runs what is queued, joins the threads.
  void Stop();

  [[nodiscard]] size_t parked() const;

 private:
  struct Entry {
    bool changed = false;  // WaitChanged (else WaitReached)
    Offsets offsets;       // min or seen
    Clock::time_point deadline;
    Cancelled cancelled;
    Callback done;
  };
  void Park(Entry e);
  // Whether `e` is due, given the watermark and validation state; sets `why`.
  static bool Due(const Entry& e, const Offsets& wm, bool validated, Clock::time_point now, WakeReason* why);
  void Dispatch();
  void Work();

  const ViewStore& store_;
  std::function<bool()> tick_;
  mutable std::mutex mu_;  // guards everything below
  std::condition_variable work_cv_;
  std::unordered_map<uint64_t, Entry> parked_;
  uint64_t next_id_ = 0;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;  // BeginStop() called: park nothing more
  bool quit_ = false;      // Stop() called: threads exit once the queue is empty
  bool joined_ = false;
  std::thread dispatcher_;
  std::vector<std::thread> pool_;
};

}  // namespace copydesk::lookup
