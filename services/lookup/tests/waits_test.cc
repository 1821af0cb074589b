// ViewWaits: parked calls wake on the view's progress, deadline, cancel and stop, with no
// thread per parked call.
#include "lookup/waits.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>

#include "lookup/tests/fixtures.h"

namespace copydesk::lookup {
namespace {

using testing::FakeTopic;
using testing::MakeEvent;
using testing::OpenStore;
using testing::TempDir;
using Clock = std::chrono::steady_clock;

// Collects the reasons callbacks were called with.
class Wakes {
 public:
  ViewWaits::Callback Callback() {
    return [this](WakeReason why) {
      std::lock_guard<std::mutex> lock(mu_);
      got_.push_back(why);
      cv_.notify_all();
    };
  }
  // Waits until `n` callbacks ran (up to 5 s); returns what they got.
  std::vector<WakeReason> Await(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(5), [&] { return got_.size() >= n; });
    return got_;
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return got_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<WakeReason> got_;
};

size_t ThreadCount() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

class WaitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenStore(dir_.path());
    ASSERT_TRUE(store_);
  }
  void Apply(int32_t partition, const std::string& story) {
    ASSERT_TRUE(store_->Apply({topic_.Add(partition, MakeEvent({.story = story}))}).ok());
  }

  TempDir dir_;
  std::unique_ptr<ViewStore> store_;
  FakeTopic topic_{2};
};

TEST_F(WaitsTest, ReachedWakesOnTheWriteThatReachesIt) {
  ViewWaits waits(*store_, 2, nullptr);
  Wakes wakes;
  const auto far = Clock::now() + std::chrono::seconds(30);
  waits.WaitReached({{1, 2}}, far, nullptr, wakes.Callback());
  Apply(1, "a");  // next offset 1: not yet
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  EXPECT_EQ(wakes.count(), 0u);
  EXPECT_EQ(waits.parked(), 1u);
  const auto t0 = Clock::now();
  Apply(1, "b");  // next offset 2
  EXPECT_EQ(wakes.Await(1), std::vector<WakeReason>{WakeReason::kReady});
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(1000));
  EXPECT_EQ(waits.parked(), 0u);
  // Already reached: called at once.
  waits.WaitReached({{1, 1}}, far, nullptr, wakes.Callback());
  EXPECT_EQ(wakes.Await(2).back(), WakeReason::kReady);
}

TEST_F(WaitsTest, DeadlineCancelAndStop) {
  ViewWaits waits(*store_, 1, nullptr);
  Wakes wakes;
  waits.WaitReached({{0, 5}}, Clock::now() + std::chrono::milliseconds(100), nullptr, wakes.Callback());
  EXPECT_EQ(wakes.Await(1), std::vector<WakeReason>{WakeReason::kDeadline});
  std::atomic<bool> cancelled{false};
  waits.WaitReached(
      {{0, 5}}, Clock::now() + std::chrono::seconds(30), [&] { return cancelled.load(); }, wakes.Callback());
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  EXPECT_EQ(wakes.count(), 1u);
  cancelled = true;
  EXPECT_EQ(wakes.Await(2).back(), WakeReason::kCancelled);
  waits.WaitChanged(store_->watermark(), nullptr, wakes.Callback());
  waits.BeginStop();
  EXPECT_EQ(wakes.Await(3).back(), WakeReason::kStopping);
  // Parked after the stop began: stopped at once.
  waits.WaitReached({{0, 5}}, Clock::now() + std::chrono::seconds(30), nullptr, wakes.Callback());
  EXPECT_EQ(wakes.Await(4).back(), WakeReason::kStopping);
  waits.Stop();
  // Work posted after Stop() runs inline.
  bool ran = false;
  waits.Post([&] { ran = true; });
  EXPECT_TRUE(ran);
}

TEST_F(WaitsTest, ChangedWakesOnAnyProgress) {
  ViewWaits waits(*store_, 2, nullptr);
  Wakes wakes;
  waits.WaitChanged(store_->watermark(), nullptr, wakes.Callback());
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  EXPECT_EQ(wakes.count(), 0u);
  Apply(0, "x");
  EXPECT_EQ(wakes.Await(1), std::vector<WakeReason>{WakeReason::kReady});
  // A watermark that is already stale wakes at once.
  waits.WaitChanged({}, nullptr, wakes.Callback());
  EXPECT_EQ(wakes.Await(2).back(), WakeReason::kReady);
}

TEST_F(WaitsTest, ThousandsOfParkedCallsTakeNoThreads) {
  ViewWaits waits(*store_, 2, nullptr);
  const size_t before = ThreadCount();
  Wakes wakes;
  for (int i = 0; i < 2000; ++i) {
    waits.WaitReached({{0, 1}}, Clock::now() + std::chrono::seconds(30), nullptr, wakes.Callback());
    waits.WaitChanged(store_->watermark(), nullptr, wakes.Callback());
  }
  EXPECT_EQ(waits.parked(), 4000u);
  EXPECT_LE(ThreadCount(), before + 2);  // none per call (slack for a lazily started library thread)
  Apply(0, "go");
  EXPECT_EQ(wakes.Await(4000).size(), 4000u);
  EXPECT_EQ(waits.parked(), 0u);
}

TEST_F(WaitsTest, TickRunsOftenWhileItAsksTo) {
  std::atomic<int> ticks{0};
  std::atomic<bool> soon{true};
  ViewWaits waits(*store_, 1, [&] {
    ++ticks;
    return soon.load();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const int fast = ticks.exchange(0);
  soon = false;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const int slow = ticks.load();
  // Every 5 ms asked, every 50 ms otherwise (generous bounds: the machine is shared).
  EXPECT_GT(fast, 15);
  EXPECT_LE(slow, 10);
}

}  // namespace
}  // namespace copydesk::lookup
