// When a batch commits. Pure arithmetic over milliseconds; no Kafka here.
#pragma once

#include <cstdint>

namespace copydesk::ingest {

// The open batch's commit deadline once its first event arrives. A batch opens with the deadline
// `opened + interval`. A fresh event (in Kafka for less than the interval) moves it to `timestamp
// + interval`, so that the fetch delay does not add to the event's latency, but never earlier than
// `now + interval / 2`: an event just short of the interval old would otherwise commit nearly
// alone. Older events (a backlog) and timestamps in the future (a producer's clock ahead) leave it.
[[nodiscard]] int64_t AnchoredDeadline(int64_t deadline_ms, int64_t now_ms, int64_t timestamp_ms,
                                       int64_t interval_ms);

}  // namespace copydesk::ingest
