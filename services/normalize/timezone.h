// Time zones by IANA name, for reading times that carry no zone or offset (Metadata::timezone).
#pragma once

#include <cstdint>
#include <string_view>

namespace copydesk::normalize {

// True when `zone` is an IANA time zone name ICU knows ("Europe/Berlin", "UTC").
bool IsTimezone(std::string_view zone);

// The offset from UTC, in milliseconds, of the wall-clock time `local_ms` (milliseconds since
// 1970-01-01T00:00 read as local time in `zone`). 0 for "" or a zone ICU does not know.
// Around a daylight-saving change the offset in force before the change wins:
// - a wall time the change skips (02:30 on the spring-forward night in Europe/Berlin) is read
//   with the offset before it (+01:00, so 01:30Z, which the clocks showed as 03:30);
// - a wall time the change repeats (02:30 on the fall-back night) is the first of the two
//   (+02:00, so 00:30Z).
// Zones are opened once per thread and name and kept in a small per-thread cache.
int64_t ZoneOffsetMillis(std::string_view zone, int64_t local_ms);

}  // namespace copydesk::normalize
