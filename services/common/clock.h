// The clock, injected: code that reads the time takes a `const Clock&`, so its tests run on a
// FakeClock without sleeping.
#pragma once

#include <chrono>
#include <cstdint>

namespace copydesk {

// Two readings: the wall clock (event time, progress, timestamps) and a monotonic one that never
// goes back (deadlines, durations). Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  [[nodiscard]] virtual int64_t NowMillis() const = 0;
  // Microseconds since an arbitrary start.
  [[nodiscard]] virtual int64_t MonotonicMicros() const = 0;
};

// The system's clocks.
class SystemClock final : public Clock {
 public:
  [[nodiscard]] int64_t NowMillis() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  [[nodiscard]] int64_t MonotonicMicros() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  static const SystemClock& Instance() {
    static const SystemClock clock;
    return clock;
  }
};

// A settable clock for tests: Advance moves both readings, Set only the wall clock. Not
// thread-safe (tests drive it from one thread).
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_ms = 0) : now_ms_(now_ms) {}
  [[nodiscard]] int64_t NowMillis() const override { return now_ms_; }
  [[nodiscard]] int64_t MonotonicMicros() const override { return monotonic_us_; }
  void Set(int64_t now_ms) { now_ms_ = now_ms; }
  void Advance(int64_t ms) {
    now_ms_ += ms;
    monotonic_us_ += ms * 1000;
  }

 private:
  int64_t now_ms_;
  int64_t monotonic_us_ = 0;
};

}  // namespace copydesk
