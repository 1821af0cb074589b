// Date and time parsing shared by the text-dump decoder and the structured wire formats.
// Everything returns seconds since the Unix epoch in UTC.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace copydesk::normalize::internal {

// ISO 8601 / RFC 3339 in the extended ("2001-11-15T18:38:00.5+01:00") or the basic form
// ("20011115T183800Z", "20011115T183800+0100", NITF/G2 style). A date alone means midnight UTC;
// a time without a zone is taken as UTC.
std::optional<int64_t> ParseIsoDateTime(std::string_view s);

// A date as people print it: "Thursday, 15 November, 2001, 18:38 GMT", "Nov. 15, 2001 6:38 p.m. EST",
// "Thu, 15 Nov 2001 18:38:00 +0000" (RFC 822 as in RSS), "Updated 18:38 GMT, 15 Nov 2001",
// "15 Nov 01". Needs a day, a month name and a year. With `whole_line`, every token must be part of
// the date or a filler word ("Published", "Last updated", "on", "at", ...), so a sentence that merely
// mentions a date is not taken for a dateline.
struct HumanDate {
  int64_t seconds = 0;
  bool has_time = false;
  // The line said "updated" / "modified": a modification time rather than the first publication.
  bool is_update = false;
};
std::optional<HumanDate> ParseHumanDate(std::string_view s, bool whole_line);

// Days since 1970-01-01 of a proleptic Gregorian date (no validation).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

void SetTimestamp(int64_t seconds, google::protobuf::Timestamp* ts);

}  // namespace copydesk::normalize::internal
