#include "ingest/input_position.h"

#include <gtest/gtest.h>

namespace copydesk::ingest {
namespace {

TEST(InputPosition, InputThatLeftTheBrokerUndecidedIsCountedLost) {
  const ResumePlan plan = PlanResume(10, std::make_pair(int64_t{25}, int64_t{40}), /*decided_next=*/12);
  EXPECT_EQ(plan.kind, ResumePlan::Kind::kGone);
  EXPECT_EQ(plan.resume, 25);
  EXPECT_EQ(plan.lost_from, 12) << "inputs decided already (the offset commit lagged) are not lost";
  EXPECT_EQ(plan.lost(), 13);
}

TEST(InputPosition, NothingIsLostWhenEveryInputBeforeTheFirstWasDecided) {
  const ResumePlan plan = PlanResume(10, std::make_pair(int64_t{25}, int64_t{40}), /*decided_next=*/30);
  EXPECT_EQ(plan.kind, ResumePlan::Kind::kGone);
  EXPECT_EQ(plan.resume, 25);
  EXPECT_EQ(plan.lost(), 0);
}

TEST(InputPosition, BeyondTheEndContinuesAtTheEndAndInsideTheLogRetries) {
  ResumePlan plan = PlanResume(50, std::make_pair(int64_t{0}, int64_t{40}), 0);
  EXPECT_EQ(plan.kind, ResumePlan::Kind::kBeyondEnd);
  EXPECT_EQ(plan.resume, 40);
  EXPECT_EQ(plan.lost(), 0);
  plan = PlanResume(30, std::make_pair(int64_t{0}, int64_t{40}), 0);
  EXPECT_EQ(plan.kind, ResumePlan::Kind::kTransient);
  EXPECT_EQ(plan.resume, 30);
  plan = PlanResume(30, std::nullopt, 0);
  EXPECT_EQ(plan.kind, ResumePlan::Kind::kUnknown);
  EXPECT_EQ(plan.resume, 30);
}

}  // namespace
}  // namespace copydesk::ingest
