// Date and time parsing shared by the text-dump decoder and the structured wire formats.
// Parsing gives what the text says (ParsedTime); ToUtcSeconds turns it into seconds since the Unix
// epoch in UTC, reading a time that states no zone in the provider's zone (Metadata::timezone).
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace copydesk::normalize::internal {

// A date, and maybe a time, as printed.
struct ParsedTime {
  // Seconds since 1970-01-01T00:00 of the printed date and time read as if it were UTC: a
  // wall-clock reading until a zone is applied.
  int64_t local_seconds = 0;
  bool has_time = false;
  // Minutes east of UTC when the text states its zone: "Z", a numeric offset, or an abbreviation
  // the parser knows (GMT, UTC, CET, CEST, BST, EST, EDT, ...).
  std::optional<int> offset_minutes;
};

// The UTC instant of `t`:
// - a date without a time stays that date: midnight UTC, whatever the zone;
// - a time with a stated zone or offset keeps it;
// - a time without one is wall-clock time in `zone` (an IANA name; "" or a name ICU does not know
//   is UTC), DST changes resolved as ZoneOffsetMillis documents (timezone.h).
int64_t ToUtcSeconds(const ParsedTime& t, std::string_view zone);

// Minutes east of UTC of a zone abbreviation in lower case ("gmt", "cest", "mez", "est", "ist" for
// India, "cst" for US Central); nullopt when unknown. Shared by the text and HTML date parsers
// (the wire formats read theirs, with the generic North American zones, in wire_text.h).
std::optional<int> ZoneAbbreviationMinutes(std::string_view lower);

// ISO 8601 / RFC 3339 in the extended ("2001-11-15T18:38:00.5+01:00") or the basic form
// ("20011115T183800Z", "20011115T183800+0100", NITF/G2 style), or a date alone ("2001-11-15").
std::optional<ParsedTime> ParseIsoDateTime(std::string_view s);

// A date as people print it: "Thursday, 15 November, 2001, 18:38 GMT", "Nov. 15, 2001 6:38 p.m. EST",
// "Thu, 15 Nov 2001 18:38:00 +0000" (RFC 822 as in RSS), "Updated 18:38 GMT, 15 Nov 2001",
// "15 Nov 01", and in the other languages of date_words.h: "3. März 2024, 14:30 Uhr",
// "12 de marzo de 2024", "le 5 juin 2024 à 14h30", "5 de set. de 2024". Needs a day, a month name
// and a year. With `whole_line`, every token must be part of the date or a filler word
// ("Published", "Last updated", "on", "at", "de", "le", "am", "Stand", ...), so a sentence that
// merely mentions a date is not taken for a dateline.
struct HumanDate : ParsedTime {
  // The line said "updated" / "modified" (or "aktualisiert", "actualizado", "mis à jour", ...): a
  // modification time rather than the first publication.
  bool is_update = false;
};
std::optional<HumanDate> ParseHumanDate(std::string_view s, bool whole_line);

// Days since 1970-01-01 of a proleptic Gregorian date (no validation).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

void SetTimestamp(int64_t seconds, google::protobuf::Timestamp* ts);

}  // namespace copydesk::normalize::internal
