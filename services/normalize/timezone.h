// Time zones by IANA name, for reading times that carry no zone or offset (Metadata::timezone).
#pragma once

#include <cstdint>
#include <string_view>

namespace copydesk::normalize {

// True when `zone` is an IANA time zone name ICU knows ("Europe/Berlin", "UTC").
bool IsTimezone(std::string_view zone);

// The offset from UTC, in milliseconds, of the wall-clock time `local_ms` (milliseconds since
// 1970-01-01T00:00 read as local time in `zone`). A wall time that a daylight-saving change skips
// or repeats gets one of the two offsets around the change. 0 for an unknown zone or "".
int64_t ZoneOffsetMillis(std::string_view zone, int64_t local_ms);

}  // namespace copydesk::normalize
