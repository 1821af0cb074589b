// When a batch commits. Pure arithmetic over milliseconds; no Kafka here.
#pragma once

#include <cstdint>

namespace copydesk::ingest {

// A partition this many events behind its end is in a backlog: throughput counts, batches span the
// whole interval.
inline constexpr int64_t kBacklogEvents = 100;

// The open batch's commit deadline once its first event arrives. A batch opens with the deadline
// `opened + interval`. Unless in a backlog, the first event moves it to `timestamp + interval`, so
// that the time the event took to reach the worker does not add to its latency, but never earlier
// than `now + interval / 2`, so that a late event does not commit nearly alone. A backlog, and
// timestamps in the future (a producer's clock ahead) or missing, leave it.
[[nodiscard]] int64_t AnchoredDeadline(int64_t deadline_ms, int64_t now_ms, int64_t timestamp_ms,
                                       int64_t interval_ms, bool backlog);

}  // namespace copydesk::ingest
