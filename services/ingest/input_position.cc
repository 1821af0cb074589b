#include "ingest/input_position.h"

#include <algorithm>

namespace copydesk::ingest {

ResumePlan PlanResume(int64_t position, std::optional<std::pair<int64_t, int64_t>> watermarks,
                      int64_t decided_next) {
  ResumePlan plan;
  plan.resume = position;
  if (!watermarks) return plan;
  const auto [first, end] = *watermarks;
  if (position < first) {
    plan.kind = ResumePlan::Kind::kGone;
    plan.resume = first;
    plan.lost_from = std::max(position, decided_next);
  } else if (position > end) {
    plan.kind = ResumePlan::Kind::kBeyondEnd;
    plan.resume = end;
  } else {
    plan.kind = ResumePlan::Kind::kTransient;
  }
  return plan;
}

}  // namespace copydesk::ingest
