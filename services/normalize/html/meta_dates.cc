// Date-times as pages write them: ISO 8601 and its relatives first, then free-form dates in
// several languages and scripts.
#include <cctype>
#include <string>
#include <vector>

#include "normalize/ascii.h"
#include "normalize/date_words.h"
#include "normalize/html/meta.h"
#include "normalize/html/meta_internal.h"
#include "normalize/text_dates.h"

namespace copydesk::normalize::html {
namespace {

using internal::Trim;

// Digits to int without exceptions (hostile input can carry long digit runs): leading digits
// only, clamped to 1e9; 0 when there are none.
int SafeInt(std::string_view s) {
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') break;
    v = v * 10 + (c - '0');
    if (v > 1000000000) return 1000000000;
  }
  return static_cast<int>(v);
}

using internal::DaysFromCivil;

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

int ParseInt(std::string_view s, size_t pos, size_t len) {
  int v = 0;
  for (size_t i = 0; i < len; ++i) v = v * 10 + (s[pos + i] - '0');
  return v;
}

bool ValidYmd(int y, int m, int d) {
  return y >= 1970 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

// ISO 8601 and close relatives: 2019-11-20[T ]17:22[:44[.123]][Z|+01:00|+0100| UTC]
bool ParseIso(std::string_view s, std::string_view zone, int64_t* out, bool* date_only) {
  size_t i = 0;
  if (s.size() < 8) return false;
  if (!(IsDigit(s[0]) && IsDigit(s[1]) && IsDigit(s[2]) && IsDigit(s[3]))) return false;
  int y = ParseInt(s, 0, 4), m = 0, d = 0;
  i = 4;
  char sep = s[i];
  if (sep == '-' || sep == '/' || sep == '.') {
    if (s.size() < 10 || !IsDigit(s[5]) || !IsDigit(s[6]) || s[7] != sep || !IsDigit(s[8]) || !IsDigit(s[9]))
      return false;
    m = ParseInt(s, 5, 2);
    d = ParseInt(s, 8, 2);
    i = 10;
  } else if (IsDigit(sep) && s.size() >= 8 && IsDigit(s[5]) && IsDigit(s[6]) && IsDigit(s[7])) {
    m = ParseInt(s, 4, 2);
    d = ParseInt(s, 6, 2);
    i = 8;
  } else {
    return false;
  }
  if (!ValidYmd(y, m, d)) return false;
  internal::ParsedTime parsed;
  parsed.local_seconds = DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)) * 86400;
  if (i < s.size() && (s[i] == 'T' || s[i] == ' ' || s[i] == 't')) {
    size_t j = i + 1;
    if (j + 5 <= s.size() && IsDigit(s[j]) && IsDigit(s[j + 1]) && s[j + 2] == ':' && IsDigit(s[j + 3]) &&
        IsDigit(s[j + 4])) {
      int hh = ParseInt(s, j, 2), mm = ParseInt(s, j + 3, 2), ss = 0;
      j += 5;
      if (j + 3 <= s.size() && s[j] == ':' && IsDigit(s[j + 1]) && IsDigit(s[j + 2])) {
        ss = ParseInt(s, j + 1, 2);
        j += 3;
        if (j < s.size() && (s[j] == '.' || s[j] == ',')) {
          ++j;
          while (j < s.size() && IsDigit(s[j])) ++j;
        }
      }
      if (hh > 23 || mm > 59 || ss > 60) return false;
      parsed.local_seconds += hh * 3600 + mm * 60 + ss;
      parsed.has_time = true;
      while (j < s.size() && s[j] == ' ') ++j;
      if (j < s.size()) {
        if (s[j] == 'Z' || s[j] == 'z') {
          parsed.offset_minutes = 0;
        } else if ((s[j] == '+' || s[j] == '-') && j + 3 <= s.size() && IsDigit(s[j + 1]) &&
                   IsDigit(s[j + 2])) {
          int oh = ParseInt(s, j + 1, 2), om = 0;
          size_t k = j + 3;
          if (k < s.size() && s[k] == ':') ++k;
          if (k + 2 <= s.size() && IsDigit(s[k]) && IsDigit(s[k + 1])) om = ParseInt(s, k, 2);
          parsed.offset_minutes = (oh * 60 + om) * (s[j] == '-' ? -1 : 1);
        } else {
          std::string z;
          while (j < s.size() && std::isalpha(static_cast<unsigned char>(s[j])))
            z.push_back(static_cast<char>(std::tolower(s[j++])));
          // An abbreviation the table does not know is no zone: the provider's.
          if (auto known = internal::ZoneAbbreviationMinutes(z)) parsed.offset_minutes = *known;
        }
      }
    }
  }
  *out = internal::ToUtcSeconds(parsed, zone);
  if (date_only) *date_only = !parsed.has_time;
  return true;
}

// Splits a date into words, numbers and the separators : / + - . (other characters separate).
std::vector<std::string> TokenizeDate(std::string_view s) {
  std::vector<std::string> tok;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (IsDigit(static_cast<char>(c))) {
      size_t j = i;
      while (j < s.size() && IsDigit(s[j])) ++j;
      tok.emplace_back(s.substr(i, j - i));
      i = j;
    } else if (std::isalpha(c) || c >= 0x80) {
      size_t j = i;
      while (j < s.size() &&
             (std::isalpha(static_cast<unsigned char>(s[j])) || static_cast<unsigned char>(s[j]) >= 0x80)) {
        // CJK date markers end a word
        if (s.compare(j, 3, "年") == 0 || s.compare(j, 3, "月") == 0 || s.compare(j, 3, "日") == 0 ||
            s.compare(j, 3, "년") == 0 || s.compare(j, 3, "월") == 0 || s.compare(j, 3, "일") == 0) {
          if (j == i) j += 3;
          break;
        }
        ++j;
      }
      if (j == i) j = i + 1;
      tok.emplace_back(s.substr(i, j - i));
      i = j;
    } else if (c == ':' || c == '/' || c == '+' || c == '-' || c == '.') {
      tok.emplace_back(1, static_cast<char>(c));
      ++i;
    } else {
      ++i;
    }
  }
  return tok;
}

// The fields of a free-form date, read token by token.
struct FreeDate {
  explicit FreeDate(const std::vector<std::string>& tokens) : tok(tokens) {}

  // A number at tok[k]: a time, a numeric date, a year, a day or a (CJK) month. Advances `k`
  // past the tokens it used.
  void ReadNumber(size_t& k) {
    const std::string& t = tok[k];
    int v = t.size() <= 4 ? SafeInt(t) : -1;
    // hh:mm[:ss]
    if (k + 2 < tok.size() && tok[k + 1] == ":" && IsDigit(tok[k + 2][0]) && hh < 0 && v <= 24) {
      hh = v;
      mm = SafeInt(tok[k + 2].substr(0, 2));
      k += 2;
      if (k + 2 < tok.size() && tok[k + 1] == ":" && IsDigit(tok[k + 2][0])) {
        ss = SafeInt(tok[k + 2].substr(0, 2));
        k += 2;
      }
      return;
    }
    // numeric dates d/m/y or m/d/y or d.m.y
    if (k + 4 < tok.size() && (tok[k + 1] == "/" || tok[k + 1] == ".") && tok[k + 3] == tok[k + 1] &&
        IsDigit(tok[k + 2][0]) && IsDigit(tok[k + 4][0]) && day == 0) {
      int a = v, b = SafeInt(tok[k + 2]), c = SafeInt(tok[k + 4].substr(0, 4));
      if (c < 100) c += 2000;
      if (tok[k + 1] == "." || a > 12) {
        day = a;
        month = b;
      } else {
        month = a;
        day = b;
      }
      year = c;
      k += 4;
      return;
    }
    if (t.size() == 4 && v >= 1970 && v <= 2100 && year == 0) {
      year = v;
      return;
    }
    if (v >= 1 && v <= 31 && day == 0 && t.size() <= 2) {
      // CJK: number followed by 月 is a month
      if (k + 1 < tok.size() && (tok[k + 1] == "月" || tok[k + 1] == "월")) {
        month = v;
        ++k;
        return;
      }
      day = v;
      return;
    }
    if (v >= 1 && v <= 12 && month == 0 && t.size() <= 2 && k + 1 < tok.size() &&
        (tok[k + 1] == "月" || tok[k + 1] == "월")) {
      month = v;
      ++k;
      return;
    }
  }

  // "+" or "-" at tok[k]: a numeric offset after a time, +0100 / -05:00.
  void ReadOffset(size_t k) {
    const std::string& t = tok[k];
    if (hh >= 0 && !zone_set && k + 1 < tok.size() && IsDigit(tok[k + 1][0]) && tok[k + 1].size() >= 2) {
      std::string digits = tok[k + 1];
      if (k + 3 < tok.size() && tok[k + 2] == ":") digits += tok[k + 3];
      if (digits.size() == 4 || digits.size() == 2) {
        int oh = SafeInt(digits.substr(0, 2));
        int om = digits.size() == 4 ? SafeInt(digits.substr(2, 2)) : 0;
        offset = (oh * 60 + om) * (t == "-" ? -1 : 1);
        zone_set = true;
      }
    }
  }

  // A word at tok[k]: am/pm, a month name, a zone abbreviation.
  void ReadWord(size_t k) {
    const std::string& t = tok[k];
    std::string l = AsciiLower(t);
    if (l == "pm" || l == "p") {
      if (hh >= 0) pm = true;
      return;
    }
    if (l == "am" || l == "a") {
      if (hh >= 0) am = true;
      return;
    }
    // An abbreviation that is also a common word ("out", "set") is a month only after the day.
    if (const internal::MonthWord mo = internal::MonthFromWord(t);
        mo.month > 0 && month == 0 && (!mo.ambiguous || day != 0)) {
      month = mo.month;
      return;
    }
    if (hh >= 0 && !zone_set) {
      if (auto known = internal::ZoneAbbreviationMinutes(l)) {
        offset = *known;
        zone_set = true;
      }
      if (!zone_set && (l == "et" || l == "ct" || l == "mt" || l == "pt")) {
        const bool dst = month >= 4 && month <= 10;  // rough US daylight saving
        int base = l == "et" ? -300 : l == "ct" ? -360 : l == "mt" ? -420 : -480;
        offset = base + (dst ? 60 : 0);
        zone_set = true;
      }
    }
  }

  // Seconds since the epoch (UTC); false when the date is not valid.
  bool ToEpoch(std::string_view zone, int64_t* out, bool* date_only) {
    if (!ValidYmd(year, month, day)) return false;
    if (hh >= 0) {
      if (pm && hh < 12) hh += 12;
      if (am && hh == 12) hh = 0;
      if (hh > 23 || mm > 59 || ss > 60) hh = -1;
    }
    internal::ParsedTime parsed;
    parsed.local_seconds =
        DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400;
    if (hh >= 0) {
      parsed.local_seconds += hh * 3600 + mm * 60 + ss;
      parsed.has_time = true;
      if (zone_set) parsed.offset_minutes = offset;
    }
    *out = internal::ToUtcSeconds(parsed, zone);
    if (date_only) *date_only = hh < 0;
    return true;
  }

  const std::vector<std::string>& tok;
  int year = 0, month = 0, day = 0, hh = -1, mm = 0, ss = 0;
  int offset = 0;
  bool pm = false, am = false, zone_set = false;
};

// Free-form dates: "Thursday, 15 November, 2001, 18:38 GMT", "November 20, 2019 5:22 p.m. ET",
// "20 ноября 2019", "2019年11月20日 17:22", "20/11/2019".
bool ParseFree(std::string_view s, std::string_view zone, int64_t* out, bool* date_only) {
  const std::vector<std::string> tok = TokenizeDate(s);
  FreeDate date(tok);
  for (size_t k = 0; k < tok.size(); ++k) {
    const std::string& t = tok[k];
    if (IsDigit(t[0])) {
      date.ReadNumber(k);
    } else if (t == "+" || t == "-") {
      date.ReadOffset(k);
    } else {
      date.ReadWord(k);
    }
  }
  return date.ToEpoch(zone, out, date_only);
}

}  // namespace

bool ParseDateTime(std::string_view s, std::string_view zone, int64_t* epoch_seconds, bool* date_only) {
  std::string t = Trim(s);
  if (t.empty() || t.size() > 200) return false;
  if (ParseIso(t, zone, epoch_seconds, date_only)) return true;
  return ParseFree(t, zone, epoch_seconds, date_only);
}

}  // namespace copydesk::normalize::html
