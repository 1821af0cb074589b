// The commit deadline of a batch: anchored to a fresh first event's Kafka timestamp.
#include "ingest/batching.h"

#include <gtest/gtest.h>

namespace copydesk::ingest {
namespace {

constexpr int64_t kInterval = 100;

TEST(AnchoredDeadline, AFreshEventCommitsWithinTheIntervalOfItsKafkaTimestamp) {
  // Opened at 1,000 (deadline 1,100); the first event was written to Kafka 30 ms before.
  EXPECT_EQ(AnchoredDeadline(1100, 1000, 970, kInterval), 1070);
}

TEST(AnchoredDeadline, ABatchSpansAtLeastHalfTheInterval) {
  // 90 ms old: its own deadline (1,010) would leave a 10 ms batch.
  EXPECT_EQ(AnchoredDeadline(1100, 1000, 910, kInterval), 1050);
}

TEST(AnchoredDeadline, ABacklogKeepsTheWholeInterval) {
  EXPECT_EQ(AnchoredDeadline(1100, 1000, 900, kInterval), 1100);
  EXPECT_EQ(AnchoredDeadline(1100, 1000, 1, kInterval), 1100);
}

TEST(AnchoredDeadline, TimestampsInTheFutureOrMissingLeaveTheDeadline) {
  EXPECT_EQ(AnchoredDeadline(1100, 1000, 1040, kInterval), 1100);  // a producer's clock ahead
  EXPECT_EQ(AnchoredDeadline(1100, 1000, 0, kInterval), 1100);
  EXPECT_EQ(AnchoredDeadline(1100, 1000, -1, kInterval), 1100);
}

TEST(AnchoredDeadline, NeverLater) {
  // A batch opened earlier (a state-only batch for a progress marker) keeps its earlier deadline.
  EXPECT_EQ(AnchoredDeadline(1020, 1000, 990, kInterval), 1020);
}

}  // namespace
}  // namespace copydesk::ingest
