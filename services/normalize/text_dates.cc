#include "normalize/text_dates.h"

#include <array>
#include <cctype>
#include <string>
#include <vector>

#include "normalize/ascii.h"

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

// Month from an English name or abbreviation ("nov", "nov.", "november", "sept"), 0 if none.
int MonthFromName(std::string_view w) {
  static constexpr std::array<std::string_view, 12> kNames = {
      "january", "february", "march",     "april",   "may",      "june",
      "july",    "august",   "september", "october", "november", "december"};
  if (!w.empty() && w.back() == '.') w.remove_suffix(1);
  if (w.size() < 3) return 0;
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (w == kNames[i]) return static_cast<int>(i) + 1;
    if (w.size() <= 4 && kNames[i].substr(0, w.size()) == w) return static_cast<int>(i) + 1;
  }
  return 0;
}

bool IsWeekday(std::string_view w) {
  static constexpr std::array<std::string_view, 7> kNames = {"monday", "tuesday",  "wednesday", "thursday",
                                                             "friday", "saturday", "sunday"};
  if (!w.empty() && w.back() == '.') w.remove_suffix(1);
  if (w.size() < 3) return false;
  for (auto n : kNames) {
    if (w == n) return true;
    if (w.size() <= 4 && n.substr(0, w.size()) == w) return true;
  }
  return false;
}

// Offset in minutes east of UTC of a zone abbreviation; nullopt when unknown.
std::optional<int> ZoneOffset(std::string_view w) {
  struct Zone {
    std::string_view name;
    int minutes;
  };
  static constexpr std::array<Zone, 20> kZones = {
      {{"gmt", 0},    {"utc", 0},    {"z", 0},      {"ut", 0},     {"bst", 60},
       {"cet", 60},   {"cest", 120}, {"eet", 120},  {"eest", 180}, {"est", -300},
       {"edt", -240}, {"cst", -360}, {"cdt", -300}, {"mst", -420}, {"mdt", -360},
       {"pst", -480}, {"pdt", -420}, {"jst", 540},  {"aest", 600}, {"aedt", 660}}};
  for (const auto& z : kZones) {
    if (w == z.name) return z.minutes;
  }
  return std::nullopt;
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

bool IsFiller(std::string_view w) {
  static constexpr std::array<std::string_view, 22> kFiller = {
      "published", "updated", "last", "posted", "on", "at", "first", "modified", "date",  "created", "-",
      "|",         "·",       "•",    "—",      "–",  "of", "the",   "time",     "filed", "edited",  "pub"};
  for (auto f : kFiller) {
    if (w == f) return true;
  }
  return false;
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

std::optional<int64_t> ParseIsoDateTime(std::string_view s) {
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
  int offset = 0;
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
    if (pos < s.size()) {
      std::string_view zone = s.substr(pos);
      if (zone == "Z" || zone == "z") {
        offset = 0;
      } else if (auto o = NumericOffset(zone)) {
        offset = *o;
      } else {
        return std::nullopt;
      }
    }
  }
  return DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 +
         sec - offset * 60;
}

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
      if (!cur.empty()) tokens.push_back(AsciiLower(cur));
      if (tokens.size() > kMaxTokens) return std::nullopt;
      cur.clear();
    } else {
      cur += c;
    }
  }
  while (!cur.empty() && cur.back() == ':') cur.pop_back();
  if (!cur.empty()) tokens.push_back(AsciiLower(cur));
  if (tokens.empty() || tokens.size() > kMaxTokens) return std::nullopt;

  int day = 0, month = 0, year = 0, hour = -1, minute = 0, second = 0;
  std::optional<int> offset;
  bool pm = false, am = false, update = false;
  int unknown = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    std::string_view t = tokens[i];
    if (t == "updated" || t == "modified" || t == "edited") update = true;
    if (IsFiller(t)) continue;
    if (IsWeekday(t)) continue;
    if (int m = MonthFromName(t); m != 0 && month == 0) {
      month = m;
      continue;
    }
    if (t == "am" || t == "a.m." || t == "a.m") {
      am = true;
      continue;
    }
    if (t == "pm" || t == "p.m." || t == "p.m") {
      pm = true;
      continue;
    }
    if (auto z = ZoneOffset(t); z && hour >= 0 && !offset) {
      offset = *z;
      continue;
    }
    if (auto z = NumericOffset(t); z && hour >= 0 && !offset) {
      offset = *z;
      continue;
    }
    // An ISO date inside the line.
    if (t.size() >= 10 && IsDigit(t[0]) && t[4] == '-') {
      if (auto iso = ParseIsoDateTime(t)) {
        HumanDate hd;
        hd.seconds = *iso;
        hd.has_time = t.size() > 10;
        hd.is_update = update;
        if (!whole_line || unknown == 0) return hd;
      }
      ++unknown;
      continue;
    }
    // Time: h:mm[:ss][am|pm]
    if (auto colon = t.find(':'); colon != std::string_view::npos && colon >= 1 && colon <= 2 && hour < 0) {
      size_t pos = 0;
      int h = 0, m = 0, sec = 0;
      if (Digits(t, pos, colon, h) && t[pos] == ':' && (++pos, Digits(t, pos, 2, m))) {
        if (pos < t.size() && t[pos] == ':') {
          ++pos;
          if (!Digits(t, pos, 2, sec)) sec = 0;
        }
        std::string_view rest = t.substr(pos);
        if (rest == "am" || rest == "a.m.")
          am = true;
        else if (rest == "pm" || rest == "p.m.")
          pm = true;
        else if (auto z = ZoneOffset(rest); z && !rest.empty())
          offset = *z;
        else if (!rest.empty()) {
          ++unknown;
          continue;
        }
        if (h <= 23 && m <= 59 && sec <= 60) {
          hour = h;
          minute = m;
          second = sec;
          continue;
        }
      }
      ++unknown;
      continue;
    }
    // Numbers: day (with ordinal suffix), year.
    if (IsDigit(t[0])) {
      size_t n = 0;
      while (n < t.size() && IsDigit(t[n])) ++n;
      std::string_view suffix = t.substr(n);
      int v = 0;
      size_t p = 0;
      if (!Digits(t, p, n, v)) {
        ++unknown;
        continue;
      }
      if (suffix == ".") suffix = "";
      if (n == 4 && suffix.empty() && year == 0) {
        year = v;
        continue;
      }
      if (n <= 2 &&
          (suffix.empty() || suffix == "st" || suffix == "nd" || suffix == "rd" || suffix == "th")) {
        if (day == 0 && v >= 1 && v <= 31) {
          day = v;
          continue;
        }
        if (day != 0 && month != 0 && year == 0 && n == 2 && suffix.empty()) {
          year = v < 70 ? 2000 + v : 1900 + v;
          continue;
        }
      }
    }
    ++unknown;
  }
  if (day == 0 || month == 0 || year == 0) return std::nullopt;
  if (whole_line && unknown > 0) return std::nullopt;
  if (!whole_line && unknown > 6) return std::nullopt;
  if (!ValidDate(year, month, day)) return std::nullopt;
  HumanDate hd;
  hd.is_update = update;
  int h = 0;
  if (hour >= 0) {
    h = hour;
    if (pm && h < 12) h += 12;
    if (am && h == 12) h = 0;
    hd.has_time = true;
  }
  hd.seconds = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
               h * 3600 + minute * 60 + second - offset.value_or(0) * 60;
  return hd;
}

}  // namespace copydesk::normalize::internal
