#include "ingest/band_budget.h"

#include <gtest/gtest.h>

namespace copydesk::ingest {
namespace {

using Usage = BandBudget::Usage;

TEST(BandBudget, NothingMovesWhileThePartitionsAndTheNextBatchFit) {
  EXPECT_EQ(BandBudget::PartitionToMove({{0, 300, 100, true}, {1, 500, 50, true}}, 900), -1);
}

TEST(BandBudget, TheLargestMovablePartitionMovesWhenTheNextBatchWouldNotFit) {
  // 800 now, and a table that doubles on the next batch would add 200: over 900.
  EXPECT_EQ(BandBudget::PartitionToMove({{0, 300, 200, true}, {1, 500, 50, true}}, 900), 1);
  // The largest one has a batch staged: the next largest moves.
  EXPECT_EQ(BandBudget::PartitionToMove({{0, 300, 200, true}, {1, 500, 50, false}}, 900), 0);
  // None may move: nothing to do until a commit.
  EXPECT_EQ(BandBudget::PartitionToMove({{0, 300, 200, false}, {1, 500, 50, false}}, 900), -1);
}

}  // namespace
}  // namespace copydesk::ingest
