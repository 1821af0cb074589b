#include "normalize/text_dates.h"

#include <array>
#include <cctype>
#include <string>
#include <unordered_set>
#include <vector>

#include "normalize/ascii.h"
#include "normalize/date_words.h"
#include "normalize/timezone.h"

namespace copydesk::normalize::internal {
namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// Reads exactly n digits at s[pos], advancing pos.
bool Digits(std::string_view s, size_t& pos, size_t n, int& value) {
  if (n == 0 || n > 9 || pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!IsDigit(s[pos + i])) return false;
    v = v * 10 + (s[pos + i] - '0');
  }
  value = v;
  pos += n;
  return true;
}

bool ValidDate(int y, int m, int d) {
  static constexpr std::array<int, 12> kDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1) return false;
  if (d > kDays[static_cast<size_t>(m - 1)]) return false;
  if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return false;
  return true;
}

std::optional<int> ZoneOffset(std::string_view w) {
  return ZoneAbbreviationMinutes(w);
}

// "+0100", "-05:00", "+01" -> minutes; nullopt otherwise.
std::optional<int> NumericOffset(std::string_view w) {
  if (w.size() < 3 || (w[0] != '+' && w[0] != '-')) return std::nullopt;
  int sign = w[0] == '-' ? -1 : 1;
  size_t pos = 1;
  int hh = 0, mm = 0;
  if (!Digits(w, pos, 2, hh)) return std::nullopt;
  if (pos < w.size() && w[pos] == ':') ++pos;
  if (pos < w.size() && !Digits(w, pos, 2, mm)) return std::nullopt;
  if (pos != w.size() || hh > 14 || mm > 59) return std::nullopt;
  return sign * (hh * 60 + mm);
}

// Words around a printed date that do not change it, in the languages of date_words.h.
bool IsFiller(std::string_view w) {
  static const std::unordered_set<std::string_view> kFiller = {
      "published", "updated", "last", "posted", "on", "at", "first", "modified", "date", "created", "-", "|",
      "·", "•", "—", "–", "of", "the", "time", "filed", "edited", "pub",
      // de, fr, es, it, pt, nl
      "de", "del", "le", "la", "el", "il", "um", "uhr", "à", "a", "às", "las", "alle", "ore", "om", "uur",
      "h", "op", "em", "den", "der", "du", "stand", "mis", "jour", "veröffentlicht", "aktualisiert", "publié",
      "modifié", "publicado", "publicada", "actualizado", "actualizada", "atualizado", "atualizada",
      "pubblicato", "aggiornato", "gepubliceerd", "bijgewerkt"};
  return kFiller.count(w) != 0;
}

bool IsUpdateWord(std::string_view w) {
  static const std::unordered_set<std::string_view> kUpdate = {
      "updated",     "modified",    "edited",     "aktualisiert", "mis",        "modifié",
      "actualizado", "actualizada", "atualizado", "atualizada",   "aggiornato", "bijgewerkt"};
  return kUpdate.count(w) != 0;
}

// A day number's ordinal suffix: "1st", "3.", "1er", "1º", "1°".
bool IsOrdinalSuffix(std::string_view s) {
  return s.empty() || s == "st" || s == "nd" || s == "rd" || s == "th" || s == "er" || s == "\xC2\xBA" ||
         s == "\xC2\xAA" || s == "\xC2\xB0" || s == ".\xC2\xBA";
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void SetTimestamp(int64_t seconds, google::protobuf::Timestamp* ts) {
  ts->set_seconds(seconds);
  ts->set_nanos(0);
}

std::optional<int> ZoneAbbreviationMinutes(std::string_view lower) {
  struct Zone {
    std::string_view name;
    int minutes;
  };
  static constexpr std::array<Zone, 35> kZones = {
      {{"gmt", 0},    {"utc", 0},     {"z", 0},       {"ut", 0},     {"wet", 0},    {"west", 60},
       {"bst", 60},   {"cet", 60},    {"mez", 60},    {"cest", 120}, {"mesz", 120}, {"eet", 120},
       {"eest", 180}, {"msk", 180},   {"ist", 330},   {"wib", 420},  {"hkt", 480},  {"sgt", 480},
       {"jst", 540},  {"kst", 540},   {"aest", 600},  {"aedt", 660}, {"brt", -180}, {"est", -300},
       {"edt", -240}, {"cst", -360},  {"cdt", -300},  {"mst", -420}, {"mdt", -360}, {"pst", -480},
       {"pdt", -420}, {"akst", -540}, {"akdt", -480}, {"hst", -600}, {"nzst", 720}}};
  for (const auto& z : kZones) {
    if (lower == z.name) return z.minutes;
  }
  return std::nullopt;
}

int64_t ToUtcSeconds(const ParsedTime& t, std::string_view zone) {
  if (!t.has_time) return t.local_seconds;
  if (t.offset_minutes) return t.local_seconds - static_cast<int64_t>(*t.offset_minutes) * 60;
  if (zone.empty()) return t.local_seconds;
  const int64_t offset_ms = ZoneOffsetMillis(zone, t.local_seconds * 1000);
  return t.local_seconds - offset_ms / 1000;
}

std::optional<ParsedTime> ParseIsoDateTime(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  size_t pos = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!Digits(s, pos, 4, y)) return std::nullopt;
  const bool extended = pos < s.size() && s[pos] == '-';
  if (extended) ++pos;
  if (!Digits(s, pos, 2, mo)) return std::nullopt;
  if (extended) {
    if (pos >= s.size() || s[pos] != '-') return std::nullopt;
    ++pos;
  }
  if (!Digits(s, pos, 2, d)) return std::nullopt;
  if (!ValidDate(y, mo, d)) return std::nullopt;
  ParsedTime out;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
    ++pos;
    if (!Digits(s, pos, 2, h)) return std::nullopt;
    if (extended && pos < s.size() && s[pos] == ':') ++pos;
    if (!Digits(s, pos, 2, mi)) return std::nullopt;
    if (pos < s.size() && (s[pos] == ':' || IsDigit(s[pos]))) {
      if (s[pos] == ':') ++pos;
      if (!Digits(s, pos, 2, sec)) return std::nullopt;
    }
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      while (pos < s.size() && IsDigit(s[pos])) ++pos;
    }
    if (h > 24 || mi > 59 || sec > 60) return std::nullopt;
    out.has_time = true;
    if (pos < s.size()) {
      std::string_view zone = s.substr(pos);
      if (zone == "Z" || zone == "z") {
        out.offset_minutes = 0;
      } else if (auto o = NumericOffset(zone)) {
        out.offset_minutes = *o;
      } else {
        return std::nullopt;
      }
    }
  }
  out.local_seconds = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
                      h * 3600 + mi * 60 + sec;
  return out;
}

namespace {

// ParseHumanDate's state over the tokens of one line.
class HumanDateParser {
 public:
  explicit HumanDateParser(bool whole_line) : whole_line_(whole_line) {}

  // Takes the next token (folded to lower case). Returns a date when the token is an ISO date
  // that settles the line.
  std::optional<HumanDate> Take(const std::vector<std::string>& tokens, size_t i);
  std::optional<HumanDate> Finish() const;

 private:
  bool TakeTime(std::string_view t, std::string_view next);
  bool TakeNumber(std::string_view t);

  bool whole_line_;
  int day_ = 0, month_ = 0, year_ = 0, hour_ = -1, minute_ = 0, second_ = 0;
  std::optional<int> offset_;
  bool pm_ = false, am_ = false, update_ = false;
  int unknown_ = 0;
};

std::optional<HumanDate> HumanDateParser::Take(const std::vector<std::string>& tokens, size_t i) {
  std::string_view t = tokens[i];
  std::string_view next = i + 1 < tokens.size() ? std::string_view(tokens[i + 1]) : std::string_view();
  if (IsUpdateWord(t)) update_ = true;
  // "am"/"pm" mark a time only after it; before one, "am" is German ("am 3. März").
  if (t == "am" || t == "a.m." || t == "a.m" || t == "pm" || t == "p.m." || t == "p.m") {
    if (hour_ < 0 && t == "am") return std::nullopt;
    if (hour_ < 0) {
      ++unknown_;
      return std::nullopt;
    }
    (t[0] == 'a' ? am_ : pm_) = true;
    return std::nullopt;
  }
  if (IsFiller(t)) return std::nullopt;
  if (month_ == 0) {
    // An abbreviation that is also a common word ("out", "set") is a month only after the day.
    if (const MonthWord m = MonthFromWord(t); m.month != 0 && (!m.ambiguous || day_ != 0)) {
      month_ = m.month;
      return std::nullopt;
    }
  }
  if (IsWeekdayWord(t)) return std::nullopt;
  if (hour_ >= 0 && !offset_) {
    if (auto z = ZoneOffset(t)) {
      offset_ = *z;
      return std::nullopt;
    }
    if (auto z = NumericOffset(t)) {
      offset_ = *z;
      return std::nullopt;
    }
  }
  // An ISO date inside the line.
  if (t.size() >= 10 && IsDigit(t[0]) && t[4] == '-') {
    if (auto iso = ParseIsoDateTime(t)) {
      HumanDate hd;
      static_cast<ParsedTime&>(hd) = *iso;
      hd.is_update = update_;
      if (!whole_line_ || unknown_ == 0) return hd;
    }
    ++unknown_;
    return std::nullopt;
  }
  if (hour_ < 0 && TakeTime(t, next)) return std::nullopt;
  if (IsDigit(t[0]) && TakeNumber(t)) return std::nullopt;
  ++unknown_;
  return std::nullopt;
}

// h:mm[:ss][am|pm|zone], French "14h30" / "14h", German and Dutch "14.30" before "Uhr" / "uur".
bool HumanDateParser::TakeTime(std::string_view t, std::string_view next) {
  size_t sep = 0;
  while (sep < t.size() && sep < 3 && IsDigit(t[sep])) ++sep;
  if (sep < 1 || sep > 2 || sep >= t.size()) return false;
  const char mark = t[sep];
  if (mark != ':' && mark != 'h' && !(mark == '.' && (next == "uhr" || next == "uur" || next == "h")))
    return false;
  size_t pos = 0;
  int h = 0, m = 0, sec = 0;
  if (!Digits(t, pos, sep, h)) return false;
  ++pos;
  if (mark == 'h' && pos == t.size()) {
    m = 0;
  } else if (!Digits(t, pos, 2, m)) {
    ++unknown_;
    return true;
  }
  if (mark == ':' && pos < t.size() && t[pos] == ':') {
    ++pos;
    if (!Digits(t, pos, 2, sec)) sec = 0;
  }
  std::string_view rest = t.substr(pos);
  std::optional<int> zone;
  if (rest == "am" || rest == "a.m.") {
    am_ = true;
  } else if (rest == "pm" || rest == "p.m.") {
    pm_ = true;
  } else if (!rest.empty() && (zone = ZoneOffset(rest))) {
    offset_ = *zone;
  } else if (!rest.empty()) {
    ++unknown_;
    return true;
  }
  if (h > 23 || m > 59 || sec > 60) {
    ++unknown_;
    return true;
  }
  hour_ = h;
  minute_ = m;
  second_ = sec;
  return true;
}

// A day (with an ordinal suffix), a four-digit year, or a two-digit year after day and month.
bool HumanDateParser::TakeNumber(std::string_view t) {
  size_t n = 0;
  while (n < t.size() && IsDigit(t[n])) ++n;
  std::string_view suffix = t.substr(n);
  int v = 0;
  size_t p = 0;
  if (!Digits(t, p, n, v)) return false;
  if (suffix == ".") suffix = "";
  if (n == 4 && suffix.empty() && year_ == 0) {
    year_ = v;
    return true;
  }
  if (n > 2 || !IsOrdinalSuffix(suffix)) return false;
  if (day_ == 0 && v >= 1 && v <= 31) {
    day_ = v;
    return true;
  }
  if (day_ != 0 && month_ != 0 && year_ == 0 && n == 2 && suffix.empty()) {
    year_ = v < 70 ? 2000 + v : 1900 + v;
    return true;
  }
  return false;
}

std::optional<HumanDate> HumanDateParser::Finish() const {
  if (day_ == 0 || month_ == 0 || year_ == 0) return std::nullopt;
  if (whole_line_ && unknown_ > 0) return std::nullopt;
  if (!whole_line_ && unknown_ > 6) return std::nullopt;
  if (!ValidDate(year_, month_, day_)) return std::nullopt;
  HumanDate hd;
  hd.is_update = update_;
  int h = 0;
  if (hour_ >= 0) {
    h = hour_;
    if (pm_ && h < 12) h += 12;
    if (am_ && h == 12) h = 0;
    hd.has_time = true;
    hd.offset_minutes = offset_;
  }
  hd.local_seconds =
      DaysFromCivil(year_, static_cast<unsigned>(month_), static_cast<unsigned>(day_)) * 86400 + h * 3600 +
      minute_ * 60 + second_;
  return hd;
}

}  // namespace

std::optional<HumanDate> ParseHumanDate(std::string_view s, bool whole_line) {
  if (s.size() > 200) return std::nullopt;
  // Tokenize on spaces and commas; keep ':' and '.' inside tokens. A line of more than 16 tokens is
  // prose, not a date: it is turned away at its 17th token instead of being split whole.
  constexpr size_t kMaxTokens = 16;
  std::vector<std::string> tokens;
  std::string cur;
  for (char c : s) {
    if (c == ' ' || c == ',' || c == '\t' || c == '(' || c == ')') {
      while (!cur.empty() && cur.back() == ':') cur.pop_back();
      if (!cur.empty()) tokens.push_back(FoldDateWord(cur));
      if (tokens.size() > kMaxTokens) return std::nullopt;
      cur.clear();
    } else {
      cur += c;
    }
  }
  while (!cur.empty() && cur.back() == ':') cur.pop_back();
  if (!cur.empty()) tokens.push_back(FoldDateWord(cur));
  if (tokens.empty() || tokens.size() > kMaxTokens) return std::nullopt;
  HumanDateParser parser(whole_line);
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (auto iso = parser.Take(tokens, i)) return iso;
  }
  return parser.Finish();
}

}  // namespace copydesk::normalize::internal
