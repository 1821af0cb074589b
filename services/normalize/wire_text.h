// Pieces shared by the line-oriented wire formats (ANPA 1312, IPTC 7901): take and version
// designators, transmission times with partial dates and zone abbreviations, the printed dateline,
// and the story identity built from them. Exposed for unit tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "copydesk/v1/article.pb.h"

namespace copydesk::normalize::internal::wire {

// What the take / version words of a header say: "1stLd-Writethru", "2nd Add", "REFILE 1ST LEAD",
// "Correction", "Kill", "Take 3", "2. Zusammenfassung", "Berichtigung", "(Achtung)".
struct Designator {
  // The Nth lead / write-through / new version of the story; 0 for the story as first sent.
  uint32_t lead = 0;
  // A part sent on its own rather than the whole story: "add" (1st Add = 1), "take" (Take 2 = 2),
  // "insert", "sub"; empty for the story itself.
  std::string part;
  uint32_t part_number = 0;
  bool correction = false;
  bool kill = false;
  // A re-send (refile, repeat): the same version again.
  bool repeat = false;
  bool embargo = false;
};

// Adds what `text` says to `d` (several header fields may each say part of it).
void ParseDesignator(std::string_view text, Designator& d);

// The provider version the designator implies: "1" for the story as first sent, N+1 for its Nth
// lead / write-through. "" for a correction or kill that names no version (the transmission time
// then orders it).
std::string ProviderVersionOf(const Designator& d);

// The signals the designator gives: update (a lead / write-through), correction, embargo, and
// for a kill the kill signal and the canceled status.
void ApplyDesignator(const Designator& d, v1::Article& out);

// The story identity: `prefix` + ":" + key + ":" + date, plus ":<part>-N" for a part sent on its
// own (an add, a take after the first, an insert or a sub).
// `key` is the slug reduced to lower-case ASCII letters, digits and single '-' (other bytes kept),
// at most 120 bytes.
std::string StoryGuid(std::string_view prefix, std::string_view slug, std::string_view date_key,
                      const Designator& d);

// A calendar date as printed (day and month known, year possibly resolved).
struct PrintedDate {
  int year = 0;  // 0 when unknown
  int month = 0;
  int day = 0;
};
// "2016-02-20", or "02-20" when the year is unknown; "" when there is no date.
std::string DateKey(const PrintedDate& d);

// The UTC calendar date of a time.
PrintedDate UtcDateOf(int64_t seconds);

// The year that puts month/day closest to `reference_seconds` (UTC), i.e. the reference's year or
// the one before or after.
int ResolveYear(int month, int day, int64_t reference_seconds);

// A two-digit year with its century: the one closest to `reference_seconds` when given (>0), else
// 20yy below 70 and 19yy from 70.
int ExpandYear(int yy, int64_t reference_seconds);

// The month (1-12) of a month name or abbreviation in any language the date parser reads
// ("Jun", "June", "Okt", "déc"); nullopt when it is not one.
std::optional<int> MonthNumber(std::string_view name);

// UTC seconds of a local date and time in a zone abbreviation as wires print it: GMT/UTC/Z, the
// North American zones with or without the daylight letter (ET, EST, EDT, CT, ... with the US and
// Canadian daylight-saving rules for the generic ones), and the European abbreviations (CET, MEZ,
// BST, ...). Without a zone the time is wall-clock time in `default_zone` (the provider's IANA zone,
// Metadata::timezone; "" = UTC). nullopt for an unknown zone or an impossible date.
std::optional<int64_t> WireTimeToUtc(const PrintedDate& date, int hour, int minute, std::string_view zone,
                                     std::string_view default_zone);

// Text with C0 control characters other than tab and line feed removed (CR too).
std::string StripControls(std::string_view s);

// A dateline at the start of the first paragraph, "ATLANTA (AP) — ...", "BUENOS AIRES, Argentina
// (AP) — ...", "Berlin (dpa) - ...": sets located.dateline (as printed, with its dash), city and name
// (title case when printed in capitals). The paragraph keeps it, as the agencies print it.
void SetDatelineFromBody(v1::Article& out);

// Title case of a name printed in capitals ("BUENOS AIRES" -> "Buenos Aires", "MÜNCHEN" ->
// "München"); text with any lower-case letter is returned unchanged.
std::string TitleCaseIfCaps(std::string_view s);

// Whether `line` is a byline: "By ...", "Von ...", "Par ...", "Por ...", "Av ...", "Door ...".
bool IsBylineLine(std::string_view line);

// Authors from a byline line ("By PAUL BYRNE and ALMUDENA CALATRAVA") and the title line under it
// ("Associated Press"): each name (title case when printed in capitals) becomes an author, and the
// byline is the names joined, followed by ", " and the title when there is one.
void SetWireByline(std::string_view line, std::string_view title, v1::Article& out);

// The line at `pos` without its line end (LF, CR LF, CR CR LF); moves `pos` past it.
std::string_view NextLine(std::string_view s, size_t& pos);

bool IsDigits(std::string_view s);

// `s` cut to at most `max` bytes on a UTF-8 character boundary.
std::string_view Bounded(std::string_view s, size_t max);

// Adds an alternative id (at most 256 bytes) unless `value` is empty.
void AddAltId(v1::Article& out, std::string_view role, std::string_view value);

// The wire priority (1 flash .. 8, 0 unknown) as the Article's priority and urgency (ninjs carries
// urgency; the wire priority is what it means), and the wire's category as a subject of `scheme`
// ("anpa-category", "iptc7901-category") unless empty.
void SetPriorityAndCategory(v1::Article& out, int priority, std::string_view scheme,
                            std::string_view category);

// Collapses whitespace runs and trims.
std::string Squeeze(std::string_view s);

// A paragraph that is a subheading as wires set them: a short line in capitals ("UP NEXT").
bool LooksLikeSubheading(std::string_view text);

}  // namespace copydesk::normalize::internal::wire
