#include "normalize/wire_text.h"

#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "normalize/ascii.h"
#include "normalize/date_words.h"
#include "normalize/text_dates.h"

namespace copydesk::normalize::internal::wire {
namespace {

enum class Kind { kLead, kAdd, kTake, kInsert, kSub, kCorrection, kKill, kRepeat, kEmbargo };

struct DesignatorWord {
  std::string_view word;
  Kind kind;
};

// Take and version words of English, German, French, Spanish and Italian wires, in lower case.
constexpr std::array<DesignatorWord, 48> kDesignatorWords = {{
    {"ld", Kind::kLead},
    {"lead", Kind::kLead},
    {"lede", Kind::kLead},
    {"writethru", Kind::kLead},
    {"writethrough", Kind::kLead},
    {"wrapup", Kind::kLead},
    {"neufassung", Kind::kLead},
    {"zusammenfassung", Kind::kLead},
    {"zus", Kind::kLead},
    {"add", Kind::kAdd},
    {"adds", Kind::kAdd},
    {"fortsetzung", Kind::kAdd},
    {"take", Kind::kTake},
    {"insert", Kind::kInsert},
    {"inserts", Kind::kInsert},
    {"sub", Kind::kSub},
    {"subs", Kind::kSub},
    {"correction", Kind::kCorrection},
    {"corrections", Kind::kCorrection},
    {"corrective", Kind::kCorrection},
    {"corrects", Kind::kCorrection},
    {"corrected", Kind::kCorrection},
    {"berichtigung", Kind::kCorrection},
    {"korrektur", Kind::kCorrection},
    {"rectificatif", Kind::kCorrection},
    {"rectification", Kind::kCorrection},
    {"correccion", Kind::kCorrection},
    {"correcci\xC3\xB3n", Kind::kCorrection},
    {"rettifica", Kind::kCorrection},
    {"kill", Kind::kKill},
    {"killed", Kind::kKill},
    {"elim", Kind::kKill},
    {"elimination", Kind::kKill},
    {"withdrawal", Kind::kKill},
    {"withdrawn", Kind::kKill},
    {"annulation", Kind::kKill},
    {"anulacion", Kind::kKill},
    {"anulaci\xC3\xB3n", Kind::kKill},
    {"annullamento", Kind::kKill},
    {"storno", Kind::kKill},
    {"refile", Kind::kRepeat},
    {"repeat", Kind::kRepeat},
    {"rpt", Kind::kRepeat},
    {"resend", Kind::kRepeat},
    {"wiederholung", Kind::kRepeat},
    {"embargo", Kind::kEmbargo},
    {"embargoed", Kind::kEmbargo},
    {"sperrfrist", Kind::kEmbargo},
}};

struct Token {
  bool number = false;
  uint32_t n = 0;
  std::string word;  // lower case
};

bool IsWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

// "1stLd-Writethru" -> [1] [ld] [writethru]; "2. Zusammenfassung" -> [2] [zusammenfassung].
std::vector<Token> Tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size() && out.size() < 64) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= '0' && c <= '9') {
      Token t;
      t.number = true;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        t.n = std::min<uint32_t>(t.n * 10 + static_cast<uint32_t>(s[i] - '0'), 9999);
        ++i;
      }
      // An ordinal suffix belongs to the number: 1st 2nd 3rd 4th, "2." in German.
      if (i + 2 <= s.size()) {
        std::string suf = AsciiLower(s.substr(i, 2));
        if (suf == "st" || suf == "nd" || suf == "rd" || suf == "th") i += 2;
      }
      if (i < s.size() && s[i] == '.') ++i;
      out.push_back(std::move(t));
    } else if (IsWordByte(c)) {
      Token t;
      while (i < s.size() && IsWordByte(static_cast<unsigned char>(s[i]))) t.word += AsciiLowerChar(s[i++]);
      out.push_back(std::move(t));
    } else {
      ++i;
    }
  }
  return out;
}

const DesignatorWord* Lookup(std::string_view w) {
  for (const auto& d : kDesignatorWords) {
    if (d.word == w) return &d;
  }
  return nullptr;
}

void SetPart(Designator& d, std::string_view part, uint32_t n) {
  if (!d.part.empty() && d.part != part) return;  // the first part named wins
  d.part = std::string(part);
  d.part_number = std::max(d.part_number, n);
}

bool IsAllCapsWord(std::string_view w) {
  int letters = 0;
  for (char c : w) {
    if (c >= 'a' && c <= 'z') return false;
    if (c >= 'A' && c <= 'Z') ++letters;
  }
  return letters > 0;
}

constexpr std::array<std::string_view, 8> kByPrefixes = {"by ", "von ",  "par ", "por ",
                                                         "av ", "door ", "af ",  "di "};

size_t BylinePrefix(std::string_view line) {
  for (auto p : kByPrefixes) {
    if (line.size() > p.size() + 1 && StartsWithAsciiLower(line, p)) return p.size();
  }
  return 0;
}

}  // namespace

std::string TitleCaseIfCaps(std::string_view s) {
  icu::UnicodeString u =
      icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
  bool has_lower = false;
  for (int32_t i = 0; i < u.length(); ++i) has_lower = has_lower || u_islower(u.charAt(i));
  if (has_lower) return std::string(s);
  icu::UnicodeString t;
  bool start = true;
  for (int32_t i = 0; i < u.length();) {
    const UChar32 c = u.char32At(i);
    t.append(start ? u_toupper(c) : u_tolower(c));
    start = !u_isalpha(c) && c != '\'';
    i += U16_LENGTH(c);
  }
  std::string out;
  t.toUTF8String(out);
  return out;
}

namespace {

struct Zone {
  std::string_view name;
  int minutes;
  // North American daylight-saving rules apply (the generic "ET", "CT", ...).
  bool dst = false;
};

constexpr std::array<Zone, 37> kZones = {{
    {"gmt", 0},    {"utc", 0},    {"ut", 0},          {"z", 0},       {"wet", 0},    {"bst", 60},
    {"ist", 60},   {"cet", 60},   {"mez", 60},        {"cest", 120},  {"mesz", 120}, {"eet", 120},
    {"eest", 180}, {"msk", 180},  {"et", -300, true}, {"est", -300},  {"edt", -240}, {"ct", -360, true},
    {"cst", -360}, {"cdt", -300}, {"mt", -420, true}, {"mst", -420},  {"mdt", -360}, {"pt", -480, true},
    {"pst", -480}, {"pdt", -420}, {"at", -240, true}, {"ast", -240},  {"adt", -180}, {"nt", -210, true},
    {"nst", -210}, {"ndt", -150}, {"akst", -540},     {"akdt", -480}, {"hst", -600}, {"jst", 540},
    {"aest", 600},
}};

int64_t Weekday(int64_t days) {  // 0 = Sunday; 1970-01-01 was a Thursday
  return ((days % 7) + 11) % 7;
}

// Day of month of the n-th Sunday (n >= 1), or of the last Sunday (n == 0).
int64_t SundayOf(int year, unsigned month, int n) {
  if (n == 0) {
    static constexpr std::array<int, 13> kLast = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const int last = kLast[month];
    return last - Weekday(DaysFromCivil(year, month, static_cast<unsigned>(last)));
  }
  const int64_t first = 1 + (7 - Weekday(DaysFromCivil(year, month, 1))) % 7;
  return first + 7 * (n - 1);
}

// Whether North American daylight saving time is in effect at a local clock reading:
// from 02:00 on the second Sunday of March to 02:00 on the first Sunday of November (the first
// Sunday of April and the last Sunday of October before 2007).
bool NorthAmericanDst(const PrintedDate& d, int hour) {
  const bool modern = d.year >= 2007;
  const unsigned start_month = modern ? 3 : 4, end_month = modern ? 11 : 10;
  const int64_t start_day = SundayOf(d.year, start_month, modern ? 2 : 1);
  const int64_t end_day = SundayOf(d.year, end_month, modern ? 1 : 0);
  const int64_t t =
      DaysFromCivil(d.year, static_cast<unsigned>(d.month), static_cast<unsigned>(d.day)) * 24 + hour;
  const int64_t start = DaysFromCivil(d.year, start_month, static_cast<unsigned>(start_day)) * 24 + 2;
  const int64_t end = DaysFromCivil(d.year, end_month, static_cast<unsigned>(end_day)) * 24 + 2;
  return t >= start && t < end;
}

bool IsDash(std::string_view s, size_t at, size_t* len) {
  if (at < s.size() && (s[at] == '-' || s[at] == '_')) {
    *len = 1;
    return true;
  }
  if (s.compare(at, 3, "\xE2\x80\x94") == 0 || s.compare(at, 3, "\xE2\x80\x93") == 0) {
    *len = 3;
    return true;
  }
  return false;
}

}  // namespace

void ParseDesignator(std::string_view text, Designator& d) {
  const std::vector<Token> tokens = Tokenize(text);
  uint32_t pending = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.number) {
      pending = t.n;
      continue;
    }
    const DesignatorWord* w = Lookup(t.word);
    if (w == nullptr) {
      pending = 0;
      continue;
    }
    // A number after the word counts when none came before it and it is not the ordinal of the
    // next designator ("Take 2", "Add 3", but not the 2 of "Writethru 2nd Add").
    uint32_t n = pending;
    if (n == 0 && i + 1 < tokens.size() && tokens[i + 1].number &&
        (w->kind == Kind::kTake || w->kind == Kind::kAdd) &&
        (i + 2 >= tokens.size() || tokens[i + 2].number || Lookup(tokens[i + 2].word) == nullptr)) {
      n = tokens[++i].n;
    }
    pending = 0;
    switch (w->kind) {
      case Kind::kLead: d.lead = std::max(d.lead, std::max<uint32_t>(n, 1)); break;
      case Kind::kAdd: SetPart(d, "add", std::max<uint32_t>(n, 1)); break;
      case Kind::kTake:
        if (n > 1) SetPart(d, "take", n);
        break;
      case Kind::kInsert: SetPart(d, "insert", std::max<uint32_t>(n, 1)); break;
      case Kind::kSub: SetPart(d, "sub", std::max<uint32_t>(n, 1)); break;
      case Kind::kCorrection: d.correction = true; break;
      case Kind::kKill: d.kill = true; break;
      case Kind::kRepeat: d.repeat = true; break;
      case Kind::kEmbargo: d.embargo = true; break;
    }
  }
}

void ApplyDesignator(const Designator& d, v1::Article& out) {
  if (d.lead > 0) out.mutable_signals()->set_update(true);
  if (d.correction) out.mutable_signals()->set_correction(true);
  if (d.embargo) out.mutable_signals()->set_embargo(true);
  if (d.kill) {
    out.mutable_signals()->set_kill(true);
    out.set_pubstatus(v1::PUB_STATUS_CANCELED);
  }
}

std::string ProviderVersionOf(const Designator& d) {
  if ((d.correction || d.kill) && d.lead == 0) return "";
  return std::to_string(d.lead + 1);
}

std::string StoryGuid(std::string_view prefix, std::string_view slug, std::string_view date_key,
                      const Designator& d) {
  std::string key;
  for (unsigned char c : slug) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) {
      key += static_cast<char>(c);
    } else if (c >= 'A' && c <= 'Z') {
      key += static_cast<char>(c - 'A' + 'a');
    } else if (!key.empty() && key.back() != '-') {
      key += '-';
    }
  }
  key = std::string(Bounded(key, 120));
  while (!key.empty() && key.back() == '-') key.pop_back();
  std::string guid(Bounded(prefix, 64));
  guid += ':';
  guid += key;
  if (!date_key.empty()) {
    guid += ':';
    guid += date_key;
  }
  if (!d.part.empty()) guid += ":" + d.part + "-" + std::to_string(d.part_number);
  return guid;
}

std::string DateKey(const PrintedDate& d) {
  if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31) return "";
  char buf[32];
  if (d.year > 0) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
  } else {
    std::snprintf(buf, sizeof buf, "%02d-%02d", d.month, d.day);
  }
  return buf;
}

PrintedDate UtcDateOf(int64_t seconds) {
  // Days since 1970-01-01 -> proleptic Gregorian date (the inverse of DaysFromCivil).
  const int64_t z = (seconds >= 0 ? seconds : seconds - 86399) / 86400 + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  PrintedDate d;
  d.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  d.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  d.year = static_cast<int>(yoe + era * 400 + (d.month <= 2 ? 1 : 0));
  return d;
}

int ResolveYear(int month, int day, int64_t reference_seconds) {
  const int64_t ref_days = (reference_seconds >= 0 ? reference_seconds : reference_seconds - 86399) / 86400;
  const int year = UtcDateOf(reference_seconds).year;
  // A wire date is of the past or of the next few weeks (advances): the latest year that puts it
  // no more than 31 days after the reference.
  for (int y = year + 1; y > year - 1; --y) {
    if (DaysFromCivil(y, static_cast<unsigned>(month), static_cast<unsigned>(day)) - ref_days <= 31) return y;
  }
  return year - 1;
}

int ExpandYear(int yy, int64_t reference_seconds) {
  if (yy >= 100) return yy;
  if (reference_seconds <= 0) return yy < 70 ? 2000 + yy : 1900 + yy;
  const int ref_year = UtcDateOf(reference_seconds).year;
  int best = 0;
  for (int century = (ref_year / 100 - 1) * 100; century <= (ref_year / 100 + 1) * 100; century += 100) {
    if (best == 0 || std::abs(century + yy - ref_year) < std::abs(best - ref_year)) best = century + yy;
  }
  return best;
}

std::optional<int> MonthNumber(std::string_view name) {
  if (name.empty() || name.size() > 16) return std::nullopt;
  const MonthWord m = MonthFromWord(name);
  if (m.month == 0) return std::nullopt;
  return m.month;
}

std::optional<int64_t> WireTimeToUtc(const PrintedDate& date, int hour, int minute, std::string_view zone,
                                     std::string_view default_zone) {
  if (date.year < 1900 || date.year > 2999 || date.month < 1 || date.month > 12 || date.day < 1 ||
      date.day > 31 || hour < 0 || hour > 24 || minute < 0 || minute > 59)
    return std::nullopt;
  const int64_t days =
      DaysFromCivil(date.year, static_cast<unsigned>(date.month), static_cast<unsigned>(date.day));
  const int64_t local = days * 86400 + hour * 3600 + minute * 60;
  if (zone.empty()) {
    ParsedTime t;
    t.local_seconds = local;
    t.has_time = true;
    return ToUtcSeconds(t, default_zone);
  }
  int offset = 0;
  {
    const std::string z = AsciiLower(zone);
    const Zone* found = nullptr;
    for (const auto& candidate : kZones) {
      if (candidate.name == z) found = &candidate;
    }
    if (found == nullptr) return std::nullopt;
    offset = found->minutes;
    if (found->dst && NorthAmericanDst(date, hour)) offset += 60;
  }
  return local - static_cast<int64_t>(offset) * 60;
}

std::string StripControls(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7F) {
      out += c;
    } else if (c == '\t' || c == '\n') {
      out += c;
    }
  }
  return out;
}

bool IsBylineLine(std::string_view line) {
  if (line.size() > 160 || BylinePrefix(line) == 0) return false;
  // A byline names people: at most a dozen words and no sentence end.
  return std::count(line.begin(), line.end(), ' ') <= 12 && line.back() != '.';
}

void SetWireByline(std::string_view line, std::string_view title, v1::Article& out) {
  const std::string rest = Squeeze(line.substr(BylinePrefix(line)));
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= rest.size()) {
    size_t best = std::string::npos, len = 0;
    for (std::string_view sep :
         {std::string_view(","), std::string_view(" and "), std::string_view(" AND "),
          std::string_view(" & "), std::string_view(" und "), std::string_view(" et "),
          std::string_view(" y "), std::string_view(" e "), std::string_view(" och ")}) {
      const size_t at = rest.find(sep, pos);
      if (at < best) {
        best = at;
        len = sep.size();
      }
    }
    std::string part = Squeeze(
        std::string_view(rest).substr(pos, best == std::string::npos ? std::string::npos : best - pos));
    if (!part.empty()) parts.push_back(std::move(part));
    if (best == std::string::npos) break;
    pos = best + len;
  }
  std::string t = Squeeze(title);
  // "By Jane Doe, dpa": a last part that is one word in lower case or a short acronym is the title.
  if (t.empty() && parts.size() > 1) {
    const std::string& last = parts.back();
    bool lower = true;
    for (char c : last) lower = lower && !(c >= 'A' && c <= 'Z');
    if (last.find(' ') == std::string::npos && (lower || (last.size() <= 5 && IsAllCapsWord(last)))) {
      t = last;
      parts.pop_back();
    }
  }
  std::string joined;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string name = TitleCaseIfCaps(parts[i]);
    if (i > 0) joined += i + 1 == parts.size() ? " and " : ", ";
    joined += name;
    auto* a = out.add_authors();
    a->set_name(name);
    a->set_role("author");
  }
  if (!t.empty()) joined += ", " + t;
  out.set_byline(joined);
}

std::string_view NextLine(std::string_view s, size_t& pos) {
  const size_t nl = s.find('\n', pos);
  std::string_view line = s.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
  pos = nl == std::string_view::npos ? s.size() : nl + 1;
  while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string_view Bounded(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut);
}

void AddAltId(v1::Article& out, std::string_view role, std::string_view value) {
  if (value.empty()) return;
  auto* a = out.add_altids();
  a->set_role(std::string(role));
  a->set_value(std::string(Bounded(value, 256)));
}

void SetPriorityAndCategory(v1::Article& out, int priority, std::string_view scheme,
                            std::string_view category) {
  out.set_priority(static_cast<uint32_t>(priority));
  out.set_urgency(out.priority());
  if (category.empty()) return;
  auto* c = out.add_subjects();
  c->set_scheme(std::string(scheme));
  c->set_code(std::string(category));
  c->set_uri(std::string(scheme) + ":" + std::string(category));
}

std::string Squeeze(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

bool LooksLikeSubheading(std::string_view text) {
  if (text.empty() || text.size() > 60) return false;
  int words = 1, letters = 0;
  for (char c : text) {
    if (c == ' ') ++words;
    if (c >= 'a' && c <= 'z') return false;
    if (c >= 'A' && c <= 'Z') ++letters;
  }
  const char last = text.back();
  return letters >= 3 && words <= 6 && last != '.' && last != ',' && last != ';';
}

void SetDatelineFromBody(v1::Article& out) {
  if (out.body_size() == 0 || !out.located().dateline().empty()) return;
  const std::string& p = out.body(0).text();
  // The place runs to the agency's "(" or to the dash, within 60 bytes.
  const size_t limit = std::min<size_t>(p.size(), 60);
  size_t open = std::string::npos, dash_at = std::string::npos, dash_len = 0;
  for (size_t i = 1; i < limit; ++i) {
    if (p[i] == '(' && p[i - 1] == ' ') {
      open = i;
      break;
    }
    size_t len = 0;
    if (p[i - 1] == ' ' && IsDash(p, i, &len) && i + len < p.size() && p[i + len] == ' ') {
      dash_at = i;
      dash_len = len;
      break;
    }
  }
  size_t place_end = 0;
  if (open != std::string::npos) {
    const size_t close = p.find(')', open);
    if (close == std::string::npos || close - open > 24) return;
    int upper = 0;
    for (size_t k = open + 1; k < close; ++k) {
      const char c = p[k];
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == ' ' || c == '-' || c == '/' || c == '.'))
        return;
      upper += c >= 'A' && c <= 'Z' ? 1 : 0;
    }
    size_t j = close + 1;
    while (j < p.size() && p[j] == ' ') ++j;
    size_t len = 0;
    place_end = open - 1;
    if (IsDash(p, j, &len)) {
      dash_at = j;
      dash_len = len;
    } else if (upper >= 2 && close - open <= 9 && p.find(' ', open) > close && j < p.size() &&
               ((p[j] >= 'A' && p[j] <= 'Z') || static_cast<unsigned char>(p[j]) >= 0xC0)) {
      // "Berlin (KNA) Die ...": an agency in capitals before a capital closes the dateline.
      dash_at = close + 1;
      dash_len = 0;
    } else {
      return;
    }
  } else if (dash_at != std::string::npos) {
    place_end = dash_at - 1;
  } else {
    return;
  }
  const std::string place = Squeeze(std::string_view(p).substr(0, place_end));
  const std::string city = place.substr(0, place.find(','));
  if (city.size() < 2) return;
  const auto first = static_cast<unsigned char>(city[0]);
  if (!((first >= 'A' && first <= 'Z') || first >= 0xC0)) return;
  for (char c : place) {
    if (c >= '0' && c <= '9') return;
  }
  // Without an agency in parentheses only a place in capitals is a dateline ("TORONTO _ ...").
  if (open == std::string::npos && !IsAllCapsWord(city)) return;
  if (std::count(place.begin(), place.end(), ' ') > 5) return;
  auto* loc = out.mutable_located();
  std::string dateline = p.substr(0, dash_at + dash_len);
  if (!dateline.empty() && dateline.back() == '_') dateline.replace(dateline.size() - 1, 1, "\xE2\x80\x94");
  loc->set_dateline(Squeeze(dateline));
  loc->set_city(TitleCaseIfCaps(city));
  const size_t comma = place.find(',');
  loc->set_name(comma == std::string::npos ? loc->city() : loc->city() + place.substr(comma));
}

}  // namespace copydesk::normalize::internal::wire
