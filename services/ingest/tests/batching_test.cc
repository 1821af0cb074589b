// The commit deadline of a batch: anchored to a fresh first event's Kafka timestamp.
#include "ingest/batching.h"

#include <gtest/gtest.h>

namespace copydesk::ingest {
namespace {

constexpr int64_t kInterval = 100;

TEST(AnchoredDeadline, AnEventCommitsWithinTheIntervalOfItsKafkaTimestamp) {
  // Opened at 1,000 (deadline 1,100); the first event was written to Kafka 30 ms before.
  EXPECT_EQ(AnchoredDeadline(1100, 1000, 970, kInterval, /*backlog=*/false), 1070);
}

TEST(AnchoredDeadline, ABatchSpansAtLeastHalfTheInterval) {
  // 90 ms old: its own deadline (1,010) would leave a 10 ms batch.
  EXPECT_EQ(AnchoredDeadline(1100, 1000, 910, kInterval, false), 1050);
  // Late (250 ms on its way): as soon as half an interval allows.
  EXPECT_EQ(AnchoredDeadline(1100, 1000, 750, kInterval, false), 1050);
}

TEST(AnchoredDeadline, ABacklogKeepsTheWholeInterval) {
  EXPECT_EQ(AnchoredDeadline(1100, 1000, 970, kInterval, /*backlog=*/true), 1100);
  EXPECT_EQ(AnchoredDeadline(1100, 1000, 1, kInterval, true), 1100);
}

TEST(AnchoredDeadline, TimestampsInTheFutureOrMissingLeaveTheDeadline) {
  EXPECT_EQ(AnchoredDeadline(1100, 1000, 1040, kInterval, false), 1100);  // a producer's clock ahead
  EXPECT_EQ(AnchoredDeadline(1100, 1000, 0, kInterval, false), 1100);
  EXPECT_EQ(AnchoredDeadline(1100, 1000, -1, kInterval, false), 1100);
}

TEST(AnchoredDeadline, NeverLater) {
  // A batch opened earlier (a state-only batch for a progress marker) keeps its earlier deadline.
  EXPECT_EQ(AnchoredDeadline(1020, 1000, 990, kInterval, false), 1020);
}

}  // namespace
}  // namespace copydesk::ingest
