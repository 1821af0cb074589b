#include "common/health.h"

#include <gtest/gtest.h>

namespace copydesk::health {
namespace {

using std::chrono::milliseconds;

TEST(Health, LiveWithoutHeartbeats) {
  FakeClock clock(1000);
  Registry r(clock);
  EXPECT_TRUE(r.Liveness().ok);
  EXPECT_EQ(r.Liveness().text, "ok\n");
  EXPECT_TRUE(r.Readiness().ok);
}

TEST(Health, StaleHeartbeatFailsLivenessAndReadiness) {
  FakeClock clock(1000);
  Registry r(clock);
  auto hb = r.AddHeartbeat("poll loop", milliseconds(10000));
  clock.Advance(9000);
  EXPECT_TRUE(r.Liveness().ok) << "the first beat is due max_age after registration";
  hb->Beat();
  clock.Advance(10000);
  EXPECT_TRUE(r.Liveness().ok) << "exactly at the bound is still live";
  clock.Advance(1);
  Report live = r.Liveness();
  EXPECT_FALSE(live.ok);
  EXPECT_NE(live.text.find("heartbeat 'poll loop' stale"), std::string::npos) << live.text;
  EXPECT_NE(live.text.find("limit 10.0 s"), std::string::npos) << live.text;
  EXPECT_FALSE(r.Readiness().ok) << "a process that is not live is not ready";
  hb->Beat();
  EXPECT_TRUE(r.Liveness().ok);
}

TEST(Health, OneStaleLoopOfSeveralFails) {
  FakeClock clock(0);
  Registry r(clock);
  auto a = r.AddHeartbeat("a", milliseconds(100));
  auto b = r.AddHeartbeat("b", milliseconds(1000));
  clock.Advance(500);
  b->Beat();
  Report live = r.Liveness();
  EXPECT_FALSE(live.ok);
  EXPECT_NE(live.text.find("'a'"), std::string::npos);
  EXPECT_EQ(live.text.find("'b'"), std::string::npos);
}

TEST(Health, DroppedHeartbeatNoLongerCounts) {
  FakeClock clock(0);
  Registry r(clock);
  auto hb = r.AddHeartbeat("worker", milliseconds(100));
  clock.Advance(1000);
  EXPECT_FALSE(r.Liveness().ok);
  hb.reset();  // its owner stopped
  EXPECT_TRUE(r.Liveness().ok);
}

TEST(Health, ReadinessFlagsAndChecks) {
  FakeClock clock(0);
  Registry r(clock);
  auto assigned = r.AddReadiness("partitions", "no partitions assigned yet");
  Report ready = r.Readiness();
  EXPECT_FALSE(ready.ok);
  EXPECT_EQ(ready.text, "partitions: no partitions assigned yet\n");
  assigned->SetNotReady("2 partitions restoring");
  EXPECT_EQ(r.Readiness().text, "partitions: 2 partitions restoring\n");
  assigned->SetReady();
  EXPECT_TRUE(r.Readiness().ok);
  bool caught_up = false;
  r.AddReadinessCheck("view", [&]() -> std::optional<std::string> {
    if (caught_up) return std::nullopt;
    return "behind the high watermarks";
  });
  EXPECT_FALSE(r.Readiness().ok);
  caught_up = true;
  EXPECT_TRUE(r.Readiness().ok);
  EXPECT_TRUE(r.Liveness().ok) << "readiness does not affect liveness";
}

}  // namespace
}  // namespace copydesk::health
