#include "ingest/batching.h"

#include <algorithm>

namespace copydesk::ingest {

int64_t AnchoredDeadline(int64_t deadline_ms, int64_t now_ms, int64_t timestamp_ms, int64_t interval_ms,
                         bool backlog) {
  if (backlog || timestamp_ms <= 0 || timestamp_ms > now_ms) return deadline_ms;
  return std::min(deadline_ms, std::max(timestamp_ms + interval_ms, now_ms + interval_ms / 2));
}

}  // namespace copydesk::ingest
