// The time limit of one normalization: an absolute steady-clock deadline shared by every stage
// (charset conversion, parsing, extraction, the final field pass) and every item of one input,
// so that an input's total time, not each stage's, is bounded by Limits::max_millis.
#pragma once

#include <chrono>
#include <cstdint>

#include "normalize/normalize.h"

namespace copydesk::normalize {

// Steady-clock nanoseconds.
inline int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The work stops at this share of max_millis: the rest is for freeing what was built (a tree of
// millions of nodes takes tens of milliseconds to free), so that the call returns within it.
inline constexpr int64_t kWorkSharePercent = 90;

// The deadline of a call: limits.deadline_ns when set, else 90 % of max_millis from now; 0 = no
// limit.
inline int64_t DeadlineFor(const Limits& limits) {
  if (limits.deadline_ns != 0) return limits.deadline_ns;
  if (limits.max_millis == 0) return 0;
  return SteadyNowNs() + static_cast<int64_t>(limits.max_millis) * 1000000 * kWorkSharePercent / 100;
}

inline bool PastDeadline(int64_t deadline_ns) {
  return deadline_ns > 0 && SteadyNowNs() > deadline_ns;
}

// Reads the clock only every `Stride` calls of Expired(): cheap enough for an inner loop whose
// iterations cost well under a microsecond each.
template <uint32_t Stride = 256>
class DeadlineCheck {
  static_assert((Stride & (Stride - 1)) == 0, "the stride is a power of two");

 public:
  explicit DeadlineCheck(int64_t deadline_ns) : deadline_ns_(deadline_ns) {}
  [[nodiscard]] bool Expired() {
    if (expired_) return true;
    if (deadline_ns_ <= 0 || (++calls_ & (Stride - 1)) != 0) return false;
    expired_ = SteadyNowNs() > deadline_ns_;
    return expired_;
  }
  // Reads the clock now.
  [[nodiscard]] bool ExpiredNow() {
    if (!expired_) expired_ = PastDeadline(deadline_ns_);
    return expired_;
  }
  [[nodiscard]] int64_t deadline_ns() const { return deadline_ns_; }

 private:
  int64_t deadline_ns_;
  uint32_t calls_ = 0;
  bool expired_ = false;
};

// The deadline of the normalization running on this thread, for the loops of the format
// decoders, which see neither the limits nor a clock: Normalize() installs its deadline for the
// duration of the call, and a loop over the items of an input (millions of them in a hostile one)
// stops with `if (DeadlinePassed()) break;`; the call then ends with ERROR_CODE_TIMEOUT when the
// article is finished. This is the only state the normalizer keeps per thread.
namespace deadline_detail {
inline thread_local int64_t current_ns = 0;
inline thread_local uint32_t calls = 0;
inline thread_local bool passed = false;
}  // namespace deadline_detail

// Installs a deadline (steady-clock ns, 0 = none) for this thread until it goes out of scope.
class ScopedDeadline {
 public:
  explicit ScopedDeadline(int64_t deadline_ns)
      : previous_ns_(deadline_detail::current_ns), previous_passed_(deadline_detail::passed) {
    deadline_detail::current_ns = deadline_ns;
    deadline_detail::passed = false;
  }
  ~ScopedDeadline() {
    deadline_detail::current_ns = previous_ns_;
    deadline_detail::passed = previous_passed_;
  }
  ScopedDeadline(const ScopedDeadline&) = delete;
  ScopedDeadline& operator=(const ScopedDeadline&) = delete;

 private:
  int64_t previous_ns_;
  bool previous_passed_;
};

// True once this thread's deadline has passed (the clock is read every 256 calls; once true it
// stays true for the rest of the call).
inline bool DeadlinePassed() {
  using namespace deadline_detail;
  if (passed) return true;
  if (current_ns <= 0 || (++calls & 255) != 0) return false;
  passed = SteadyNowNs() > current_ns;
  return passed;
}

}  // namespace copydesk::normalize
