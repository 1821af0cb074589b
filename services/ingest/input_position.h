// Where to continue an input partition whose position the broker no longer has (the consumer
// runs with auto.offset.reset=error, so input is never skipped silently). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

namespace copydesk::ingest {

struct ResumePlan {
  enum class Kind {
    kUnknown,    // the watermarks could not be read: fetch the same offset again
    kGone,       // below the first offset (retention): continue at the first offset
    kBeyondEnd,  // past the end (a truncated log): continue at the end
    kTransient,  // inside the log (e.g. a leader change): fetch the same offset again
  };
  Kind kind = Kind::kUnknown;
  int64_t resume = 0;
  // kGone: the inputs [lost_from, resume) left the broker before they were processed (none when
  // lost_from >= resume: every input before the first one there was decided already, the group's
  // offset commits lagged behind).
  int64_t lost_from = 0;
  [[nodiscard]] int64_t lost() const {
    return kind == Kind::kGone && lost_from < resume ? resume - lost_from : 0;
  }
};

// `position`: the offset the consumer could not fetch; `watermarks`: the partition's first and
// end offset (nullopt: unknown); `decided_next`: the offset after the last input whose decision is
// in the state.
ResumePlan PlanResume(int64_t position, std::optional<std::pair<int64_t, int64_t>> watermarks,
                      int64_t decided_next);

}  // namespace copydesk::ingest
