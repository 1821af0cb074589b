// An injectable clock so that time-dependent logic is testable.
#pragma once

#include <chrono>
#include <cstdint>

namespace copydesk {

// Milliseconds since the Unix epoch. Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual int64_t NowMillis() const = 0;
};

// The wall clock.
class SystemClock final : public Clock {
 public:
  [[nodiscard]] int64_t NowMillis() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  static const SystemClock& Instance() {
    static const SystemClock clock;
    return clock;
  }
};

// A settable clock for tests.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_ms = 0) : now_ms_(now_ms) {}
  [[nodiscard]] int64_t NowMillis() const override { return now_ms_; }
  void Set(int64_t now_ms) { now_ms_ = now_ms; }
  void Advance(int64_t ms) { now_ms_ += ms; }

 private:
  int64_t now_ms_;
};

}  // namespace copydesk
