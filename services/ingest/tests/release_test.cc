// At-least-once pipelining bookkeeping: an output is released only once every record sent before
// it (its event's changelog records) is delivered, in order, and never after an abort.
#include "ingest/release.h"

#include <gtest/gtest.h>

#include "ingest/state.h"

namespace copydesk::ingest {
namespace {

std::vector<Record> Outputs(const std::string& name) {
  Record r;
  r.topic = "out";
  r.key = name;
  return {r};
}

TEST(ReleaseQueue, OutputsWaitUntilTheStateSentBeforeThemIsDelivered) {
  ReleaseQueue q;
  q.Hold(/*state_seq=*/3, 100, Outputs("a"));
  q.Hold(/*state_seq=*/5, 101, Outputs("b"));
  EXPECT_TRUE(q.TakeReleasable(2).empty());
  auto first = q.TakeReleasable(4);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(*first[0].outputs[0].key, "a");
  EXPECT_EQ(first[0].timestamp_ms, 100);
  EXPECT_EQ(q.held(), 1u);
  auto second = q.TakeReleasable(5);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(*second[0].outputs[0].key, "b");
  EXPECT_EQ(q.held(), 0u);
}

TEST(ReleaseQueue, ReleasesInOrderAndStopsAtTheFirstUndelivered) {
  ReleaseQueue q;
  q.Hold(2, 1, Outputs("a"));
  q.Hold(9, 2, Outputs("b"));
  q.Hold(9, 3, Outputs("c"));
  auto got = q.TakeReleasable(8);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(*got[0].outputs[0].key, "a");
  got = q.TakeReleasable(100);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(*got[0].outputs[0].key, "b");
  EXPECT_EQ(*got[1].outputs[0].key, "c");
}

TEST(ReleaseQueue, SentEventsAreReportedOnceTheirOwnOutputsAreDelivered) {
  ReleaseQueue q;
  q.Sent(10, 1000);
  q.Sent(12, 1001);
  EXPECT_TRUE(q.TakeDelivered(9).empty());
  EXPECT_EQ(q.TakeDelivered(11), std::vector<int64_t>{1000});
  EXPECT_EQ(q.unacknowledged(), 1u);
  EXPECT_EQ(q.TakeDelivered(12), std::vector<int64_t>{1001});
}

TEST(ReleaseQueue, ClearDropsHeldOutputsForGood) {
  ReleaseQueue q;
  q.Hold(1, 1, Outputs("a"));
  q.Sent(2, 1);
  q.Clear();
  EXPECT_TRUE(q.TakeReleasable(100).empty());
  EXPECT_TRUE(q.TakeDelivered(100).empty());
}

TEST(OverlayStore, TakeChangesReturnsWhatWasStagedSinceTheLastTake) {
  OverlayStore s(std::make_unique<dedup::MemoryStateStore>());
  s.TrackChanges(true);
  dedup::MutationBatch b1;
  b1.Put("k1", "1");
  b1.Put("k2", "2");
  ASSERT_TRUE(s.Apply(b1).ok());
  auto c = s.TakeChanges();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].key, "k1");
  EXPECT_EQ(c[1].key, "k2");
  EXPECT_TRUE(s.TakeChanges().empty());
  dedup::MutationBatch b2;
  b2.Put("k2", "3");
  b2.Delete("k2");
  ASSERT_TRUE(s.Apply(b2).ok());
  c = s.TakeChanges();
  ASSERT_EQ(c.size(), 1u);  // the last write of the key
  EXPECT_EQ(c[0].key, "k2");
  EXPECT_FALSE(c[0].value);
  // After an abort every staged key is published again.
  s.MarkAllChanged();
  EXPECT_EQ(s.TakeChanges().size(), 2u);
  ASSERT_TRUE(s.Persist().ok());
  EXPECT_TRUE(s.TakeChanges().empty());
}

}  // namespace
}  // namespace copydesk::ingest
