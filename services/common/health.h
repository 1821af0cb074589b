// Liveness and readiness of a process, as its /livez and /readyz endpoints report them.
//
// Liveness: each loop that must keep running takes a Heartbeat and calls Beat() every
// iteration; the process is live while every heartbeat's latest beat is younger than its
// bound. A wedged loop fails /livez, and Kubernetes restarts the pod.
// Readiness: each condition the process needs before it takes work (partitions assigned and
// restored, a view caught up) is a ReadinessFlag its owner sets, or a check callback; the
// process is ready while it is live and every flag and check says ready.
//
// Heartbeats and flags are shared_ptr handles: the registry holds them weakly, so dropping a
// handle (its owner stopped) removes it from the checks.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"

namespace copydesk::health {

// Heartbeat ages are read on the clock's monotonic reading: they do not jump with the wall clock.
inline int64_t MonotonicMillis(const Clock& clock) {
  return clock.MonotonicMicros() / 1000;
}

// One loop's heartbeat. Beat() is a relaxed atomic store: cheap enough for every iteration.
class Heartbeat {
 public:
  Heartbeat(std::string name, std::chrono::milliseconds max_age, const Clock& clock)
      : name_(std::move(name)),
        max_age_ms_(max_age.count()),
        clock_(clock),
        last_ms_(MonotonicMillis(clock)) {}
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  void Beat() { last_ms_.store(MonotonicMillis(clock_), std::memory_order_relaxed); }
  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] int64_t max_age_ms() const { return max_age_ms_; }
  // Milliseconds since the latest beat (since creation before the first).
  [[nodiscard]] int64_t AgeMillis() const {
    return MonotonicMillis(clock_) - last_ms_.load(std::memory_order_relaxed);
  }

 private:
  const std::string name_;
  const int64_t max_age_ms_;
  const Clock& clock_;  // borrowed; outlives the registry
  std::atomic<int64_t> last_ms_;
};

// One readiness condition, set by its owner from any thread. Starts not ready.
class ReadinessFlag {
 public:
  explicit ReadinessFlag(std::string name, std::string why_not)
      : name_(std::move(name)), why_not_(std::move(why_not)) {}
  ReadinessFlag(const ReadinessFlag&) = delete;
  ReadinessFlag& operator=(const ReadinessFlag&) = delete;

  void SetReady() { Set(true, {}); }
  // Not ready; `why` is shown by /readyz (e.g. "3 partitions restoring").
  void SetNotReady(std::string why) { Set(false, std::move(why)); }
  void Set(bool ready, std::string why);
  [[nodiscard]] const std::string& name() const { return name_; }
  // nullopt when ready, else the reason.
  [[nodiscard]] std::optional<std::string> WhyNot() const;

 private:
  const std::string name_;
  mutable std::mutex mu_;
  bool ready_ = false;   // guarded by mu_
  std::string why_not_;  // guarded by mu_
};

// What a probe answers: ok, and one line per failing heartbeat or condition.
struct Report {
  bool ok = true;
  std::string text;  // "ok\n", or the failures, one per line
};

// The heartbeats and readiness conditions of one process. Thread-safe.
class Registry {
 public:
  explicit Registry(const Clock& clock = SystemClock::Instance()) : clock_(clock) {}
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // A heartbeat named `name` (e.g. "ingest poll loop"); /livez fails once its latest beat is
  // older than `max_age`. The first beat is due `max_age` after this call.
  std::shared_ptr<Heartbeat> AddHeartbeat(std::string name, std::chrono::milliseconds max_age);
  // A readiness flag, not ready (with reason `why_not`) until its owner says so.
  std::shared_ptr<ReadinessFlag> AddReadiness(std::string name, std::string why_not = "starting");
  // A readiness check called on every /readyz: nullopt = ready, else the reason. The callback
  // must be thread-safe and outlive the registry (or the process).
  void AddReadinessCheck(std::string name, std::function<std::optional<std::string>()> check);

  [[nodiscard]] Report Liveness() const;
  // Not ready while not live.
  [[nodiscard]] Report Readiness() const;

 private:
  const Clock& clock_;  // borrowed
  mutable std::mutex mu_;
  std::vector<std::weak_ptr<Heartbeat>> heartbeats_;                                         // guarded by mu_
  std::vector<std::weak_ptr<ReadinessFlag>> flags_;                                          // guarded by mu_
  std::vector<std::pair<std::string, std::function<std::optional<std::string>()>>> checks_;  // guarded by mu_
};

}  // namespace copydesk::health
