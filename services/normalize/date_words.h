// Month and weekday names of the languages the date parsers read: English, German, French,
// Spanish, Italian, Portuguese, Dutch, Russian and Indonesian, full and abbreviated, in the
// formatting and the stand-alone forms. Built once from ICU's DateFormatSymbols (plus English
// prefixes and a few forms writers use that CLDR lacks), then read-only.
#pragma once

#include <string>
#include <string_view>

namespace copydesk::normalize::internal {

struct MonthWord {
  int month = 0;  // 1-12, 0 when the word is not a month
  // The word is also an ordinary word ("out", "set", "ago", "des"): a date parser should take
  // it as a month only after the day ("5 out 2024", "5 de set. de 2024").
  bool ambiguous = false;
};

// The month a word names, ignoring case (ASCII, Latin-1 letters, basic Cyrillic), a trailing
// '.', and the diacritics writers drop ("fevrier", "marco", "marz", "maerz").
MonthWord MonthFromWord(std::string_view word);

// Whether a word is a weekday name or abbreviation (of at least three letters) in those languages.
bool IsWeekdayWord(std::string_view word);

// `word` in lower case for the table lookups above: ASCII, the Latin-1 letters and the basic
// Cyrillic alphabet; other bytes unchanged.
std::string FoldDateWord(std::string_view word);

}  // namespace copydesk::normalize::internal
