#include "ingest/progress_gate.h"

#include <gtest/gtest.h>

namespace copydesk::ingest {
namespace {

constexpr int64_t kDelay = 2000;
constexpr int64_t kWait = 30000;
constexpr int64_t kT0 = 1'000'000'000'000;

Record At(int32_t partition, int64_t offset, int64_t timestamp_ms) {
  Record r;
  r.partition = partition;
  r.offset = offset;
  r.timestamp_ms = timestamp_ms;
  return r;
}

TEST(ProgressGate, ARecordWaitsUntilEveryOtherPartitionsProgressCoversItsVisibilityTimeLessTheDelay) {
  FakeClock clock(kT0);
  ProgressGate gate(kDelay, kWait, clock);
  gate.Size(3);
  Partition p;
  Partitions own;
  bool without = false;
  const int64_t ts = kT0 + 5000;
  EXPECT_FALSE(gate.MayDecide(0, p, ts, own, &without)) << "no marker from partitions 1 and 2 yet";
  gate.OnMarker(1, ts - kDelay);
  EXPECT_FALSE(gate.MayDecide(0, p, ts, own, &without));
  EXPECT_EQ(gate.blocked_by().partition, 2);
  gate.OnMarker(2, ts - kDelay - 1);
  EXPECT_FALSE(gate.MayDecide(0, p, ts, own, &without)) << "one millisecond short";
  gate.OnMarker(2, ts - kDelay);
  EXPECT_TRUE(gate.MayDecide(0, p, ts, own, &without));
  EXPECT_FALSE(without);
  // The partition's own clock counts too: τ never goes back.
  p.clock = ts + 100;
  EXPECT_FALSE(gate.MayDecide(0, p, ts, own, &without));
}

TEST(ProgressGate, APartitionWithoutMarkersForTheWaitIsDecidedWithoutAndSaysSo) {
  FakeClock clock(kT0);
  ProgressGate gate(kDelay, kWait, clock);
  gate.Size(2);
  Partition p;
  Partitions own;
  bool without = false;
  EXPECT_FALSE(gate.MayDecide(0, p, kT0, own, &without));
  clock.Advance(kWait - 1);
  EXPECT_FALSE(gate.MayDecide(0, p, kT0, own, &without));
  clock.Advance(1);
  EXPECT_TRUE(gate.MayDecide(0, p, kT0, own, &without));
  EXPECT_TRUE(without);
}

TEST(ProgressGate, TheWorkersOwnLivePartitionsCountAsOfNow) {
  FakeClock clock(kT0);
  ProgressGate gate(kDelay, kWait, clock);
  gate.Size(2);
  dedup::MemoryStateStore store;
  Partitions own;
  Partition& mine = own[1];
  mine.deduper = std::make_unique<dedup::Deduper>(store);  // ready
  mine.clock = kT0 + 10000;
  Partition p;
  bool without = false;
  EXPECT_FALSE(gate.MayDecide(0, p, kT0 + 5000, own, &without)) << "not live: its last marker counts (none)";
  mine.progress_live = true;
  EXPECT_TRUE(gate.MayDecide(0, p, kT0 + 5000, own, &without));
  // Its first held record bounds what it decides next.
  mine.held.push_back(At(1, 0, kT0 + 20000));
  EXPECT_EQ(ProgressGate::ProgressOf(mine), kT0 + 20000);
}

TEST(ProgressGate, HoldSaysWhenToPauseAndFloorsAndMarkersComeDue) {
  FakeClock clock(kT0);
  ProgressGate gate(kDelay, kWait, clock);
  Partition p;
  EXPECT_TRUE(gate.Hold(0, p, At(0, 5, kT0)));
  EXPECT_FALSE(gate.Hold(0, p, At(0, 6, kT0))) << "paused already";
  EXPECT_EQ(p.held.size(), 2u);

  Partition idle;
  idle.last_delivery_ms = kT0;
  idle.clock = kT0 - 10000;
  EXPECT_FALSE(gate.FloorDue(idle)) << "delivered just now";
  clock.Advance(ProgressGate::kIdleMs);
  ASSERT_TRUE(gate.FloorDue(idle));
  EXPECT_EQ(*gate.FloorDue(idle), clock.NowMillis() - ProgressGate::kFloorLagMs);
  idle.clock = clock.NowMillis() - ProgressGate::kFloorLagMs - ProgressGate::kFloorStepMs;
  EXPECT_FALSE(gate.FloorDue(idle)) << "within a step of the floor";

  EXPECT_TRUE(gate.MarkerDue(idle)) << "never sent";
  gate.MarkerSent(idle, ProgressGate::ProgressOf(idle));
  EXPECT_FALSE(gate.MarkerDue(idle));
  clock.Advance(ProgressGate::kHeartbeatMs);
  EXPECT_TRUE(gate.MarkerDue(idle)) << "heartbeat";
  gate.MarkerSent(idle, ProgressGate::ProgressOf(idle));
  idle.clock += 1;
  EXPECT_TRUE(gate.MarkerDue(idle)) << "progress moved";
  ProgressGate::ForgetSent(idle);
  EXPECT_EQ(idle.progress_sent, INT64_MIN);
}

}  // namespace
}  // namespace copydesk::ingest
