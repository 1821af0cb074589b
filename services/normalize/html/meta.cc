#include "normalize/html/meta.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "normalize/ascii.h"
#include "normalize/date_words.h"
#include "normalize/deadline.h"
#include "normalize/html/extract.h"
#include "normalize/internal.h"
#include "normalize/text_dates.h"

namespace copydesk::normalize::html {
namespace {

// Bounds on what one page contributes, whatever its size: more authors, keywords or breadcrumbs
// than this are never real, and a title longer than this is not a title.
constexpr size_t kMaxAuthors = 64;
constexpr size_t kMaxKeywords = 200;
constexpr size_t kMaxBreadcrumbs = 16;
constexpr size_t kMaxTitleBytes = 1000;

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

std::string Trim(std::string_view s) {
  while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.front())))) s.remove_prefix(1);
  while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.back())))) s.remove_suffix(1);
  return std::string(s);
}

// Collapses white space runs and trims.
std::string Clean(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = true;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool sp = std::isspace(static_cast<unsigned char>(c));
    if (c == '\xC2' && i + 1 < s.size() && s[i + 1] == '\xA0') {
      sp = true;
      ++i;
    }
    if (sp) {
      if (!space) out.push_back(' ');
      space = true;
    } else {
      out.push_back(c);
      space = false;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Decodes entities that some publishers leave in meta/JSON-LD values ("&amp;", "&#8217;").
std::string CleanValue(std::string_view s) {
  if (s.find('&') == std::string_view::npos) return Clean(s);
  std::string dec;
  DecodeEntities(s, dec);
  return Clean(dec);
}

// Letters and digits only, lower-cased, for loose comparisons.
std::string Norm(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c >= 0x80) out.push_back(static_cast<char>(std::tolower(c)));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Dates

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

// Free-form dates: "Thursday, 15 November, 2001, 18:38 GMT", "November 20, 2019 5:22 p.m. ET",
// "20 ноября 2019", "2019年11月20日 17:22", "20/11/2019".
bool ParseFree(std::string_view s, std::string_view zone, int64_t* out, bool* date_only) {
  // Tokenize into words / numbers / separators.
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
  int year = 0, month = 0, day = 0, hh = -1, mm = 0, ss = 0;
  int offset = 0;
  bool pm = false, am = false, zone_set = false;
  for (size_t k = 0; k < tok.size(); ++k) {
    const std::string& t = tok[k];
    if (IsDigit(t[0])) {
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
        continue;
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
        continue;
      }
      if (t.size() == 4 && v >= 1970 && v <= 2100 && year == 0) {
        year = v;
        continue;
      }
      if (v >= 1 && v <= 31 && day == 0 && t.size() <= 2) {
        // CJK: number followed by 月 is a month
        if (k + 1 < tok.size() && (tok[k + 1] == "月" || tok[k + 1] == "월")) {
          month = v;
          ++k;
          continue;
        }
        day = v;
        continue;
      }
      if (v >= 1 && v <= 12 && month == 0 && t.size() <= 2 && k + 1 < tok.size() &&
          (tok[k + 1] == "月" || tok[k + 1] == "월")) {
        month = v;
        ++k;
        continue;
      }
      if ((t[0] == '+' || t[0] == '-')) continue;
      continue;
    }
    if (t == "+" || t == "-") {
      // numeric offset after a time: +0100 / -05:00
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
      continue;
    }
    std::string l = AsciiLower(t);
    if (l == "pm" || l == "p") {
      if (hh >= 0) pm = true;
      continue;
    }
    if (l == "am" || l == "a") {
      if (hh >= 0) am = true;
      continue;
    }
    // An abbreviation that is also a common word ("out", "set") is a month only after the day.
    if (const internal::MonthWord mo = internal::MonthFromWord(t);
        mo.month > 0 && month == 0 && (!mo.ambiguous || day != 0)) {
      month = mo.month;
      continue;
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

void SetTime(google::protobuf::Timestamp* ts, int64_t secs) {
  ts->set_seconds(secs);
  ts->set_nanos(0);
}

// ---------------------------------------------------------------------------------------------
// Authors

bool LooksLikeRole(std::string_view s) {
  std::string l = AsciiLower(s);
  static const char* kRoles[] = {
      "staff writer", "reporter",  "correspondent", "editor",  "contributor",      "columnist", "writer",
      "senior",       "producer",  "photographer",  "staff",   "email the author", "follow",    "twitter",
      "updated",      "published", "associate",     "analyst", "news service",     "special to"};
  for (const char* r : kRoles) {
    if (l == r) return true;
  }
  if (l.find('@') != std::string::npos || l.find("http") != std::string::npos ||
      l.find("email") != std::string::npos || l.find(".com") != std::string::npos ||
      l.find(".org") != std::string::npos || l.find(".net") != std::string::npos ||
      l.find(".co.") != std::string::npos)
    return true;
  if (l.find("staff writer") != std::string::npos || l.find("correspondent") != std::string::npos ||
      l.find("email the author") != std::string::npos)
    return true;
  return false;
}

std::vector<std::string> SplitAuthors(std::string_view raw) {
  std::string s = Clean(raw);
  // strip a leading "By"
  auto strip_prefix = [&](std::string_view p) {
    if (s.size() > p.size() && AsciiLower(s.substr(0, p.size())) == p) {
      s = Trim(std::string_view(s).substr(p.size()));
      return true;
    }
    return false;
  };
  strip_prefix("by:") || strip_prefix("by ") || strip_prefix("written by ") || strip_prefix("words by ") ||
      strip_prefix("por ") || strip_prefix("par ") || strip_prefix("von ") || strip_prefix("di ") ||
      strip_prefix("oleh ") || strip_prefix("posted by ") || strip_prefix("author: ") ||
      strip_prefix("autor: ") || strip_prefix("текст: ") || strip_prefix("автор: ") ||
      strip_prefix("text: ") || strip_prefix("Текст: ") || strip_prefix("Автор: ");
  // cut trailing "| Updated ...", dates, " - role"
  for (std::string_view sep : {" | ", " – ", " — ", "\n", " · ", " - "}) {
    auto p = s.find(sep);
    if (p != std::string::npos) s = s.substr(0, p);
  }
  std::vector<std::string> parts;
  std::string cur;
  // split on ",", " and ", " & ", ";", " y ", " e ", " und "
  std::string l = AsciiLower(s);
  size_t i = 0;
  while (i < s.size()) {
    size_t len = 0;
    if (s[i] == ',' || s[i] == ';')
      len = 1;
    else if (l.compare(i, 5, " and ") == 0 || l.compare(i, 5, " und ") == 0)
      len = 5;
    else if (l.compare(i, 3, " & ") == 0)
      len = 3;
    if (len) {
      parts.push_back(Trim(cur));
      cur.clear();
      i += len;
      continue;
    }
    cur.push_back(s[i++]);
  }
  parts.push_back(Trim(cur));
  std::vector<std::string> out;
  for (auto& p : parts) {
    if (p.empty() || p.size() > 60) continue;
    std::string lp = AsciiLower(p);
    if (lp == "jr" || lp == "jr." || lp == "sr." || lp == "inc." || lp == "phd") {
      if (!out.empty()) out.back() += ", " + p;
      continue;
    }
    if (LooksLikeRole(p)) continue;
    // "JOHN SMITH" (styled bylines) -> "John Smith"; short acronyms (AP, BBC) stay.
    bool has_lower = false;
    size_t letters = 0;
    for (char c : p) {
      if (c >= 'a' && c <= 'z') has_lower = true;
      if (c >= 'A' && c <= 'Z') ++letters;
    }
    if (!has_lower && letters >= 4 &&
        std::all_of(p.begin(), p.end(), [](unsigned char c) { return c < 0x80; })) {
      bool up = true;
      for (char& c : p) {
        if (c >= 'A' && c <= 'Z' && !up) c = static_cast<char>(c | 0x20);
        up = c == ' ' || c == '-' || c == '\'' || c == '.';
      }
    }
    // a name has no digits and at most 6 words
    if (std::any_of(p.begin(), p.end(), [](char c) { return IsDigit(c); })) continue;
    if (std::count(p.begin(), p.end(), ' ') > 5) continue;
    out.push_back(p);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// JSON-LD

struct LdArticle {
  std::string headline, description, published, modified, body, section, language, url, keywords;
  std::vector<std::string> authors;
  std::vector<std::string> breadcrumbs;
  int score = -1;  // how article-like the best object was
};

std::string GetString(simdjson::dom::element e) {
  std::string_view sv;
  if (e.get_string().get(sv) == simdjson::SUCCESS) return std::string(sv);
  return "";
}

std::string Field(simdjson::dom::object o, std::string_view key) {
  simdjson::dom::element e;
  if (o.at_key(key).get(e) != simdjson::SUCCESS) return "";
  if (e.is_string()) return GetString(e);
  if (e.is_array()) {
    for (auto x : e.get_array()) {
      if (x.is_string()) return GetString(x);
    }
  }
  if (e.is_object()) {
    simdjson::dom::element v;
    if (e.get_object().at_key("@id").get(v) == simdjson::SUCCESS && v.is_string()) return GetString(v);
    if (e.get_object().at_key("name").get(v) == simdjson::SUCCESS && v.is_string()) return GetString(v);
  }
  return "";
}

void CollectAuthors(simdjson::dom::element e, std::vector<std::string>& out, bool* org_only) {
  if (out.size() >= kMaxAuthors) return;
  if (e.is_string()) {
    for (auto& a : SplitAuthors(GetString(e))) out.push_back(a);
    return;
  }
  if (e.is_array()) {
    for (auto x : e.get_array()) CollectAuthors(x, out, org_only);
    return;
  }
  if (e.is_object()) {
    auto o = e.get_object();
    std::string type = Field(o.value(), "@type");
    std::string name = Field(o.value(), "name");
    if (type != "Organization") *org_only = false;
    if (!name.empty()) {
      for (auto& a : SplitAuthors(name)) out.push_back(a);
    }
  }
}

int ArticleTypeScore(simdjson::dom::object o) {
  simdjson::dom::element t;
  if (o.at_key("@type").get(t) != simdjson::SUCCESS) return -1;
  std::vector<std::string> types;
  if (t.is_string()) types.push_back(GetString(t));
  if (t.is_array()) {
    for (auto x : t.get_array()) {
      if (x.is_string()) types.push_back(GetString(x));
    }
  }
  int best = -1;
  for (const auto& ty : types) {
    if (ty.find("NewsArticle") != std::string::npos)
      best = std::max(best, 3);
    else if (ty.find("Article") != std::string::npos || ty == "BlogPosting" || ty == "LiveBlogPosting" ||
             ty == "SocialMediaPosting" || ty == "Report")
      best = std::max(best, 2);
    else if (ty == "WebPage" || ty == "ItemPage")
      best = std::max(best, 0);
  }
  return best;
}

void WalkLd(simdjson::dom::element e, LdArticle& out, int depth, DeadlineCheck<1024>& clock) {
  if (depth > 8 || clock.Expired()) return;
  if (e.is_array()) {
    for (auto x : e.get_array()) WalkLd(x, out, depth + 1, clock);
    return;
  }
  if (!e.is_object()) return;
  auto o = e.get_object().value();
  std::string type = Field(o, "@type");
  if (type == "BreadcrumbList" && out.breadcrumbs.empty()) {
    simdjson::dom::array items;
    if (o.at_key("itemListElement").get(items) == simdjson::SUCCESS) {
      for (auto it : items) {
        if (!it.is_object()) continue;
        std::string name = Field(it.get_object().value(), "name");
        if (name.empty()) {
          simdjson::dom::element item;
          if (it.get_object().at_key("item").get(item) == simdjson::SUCCESS && item.is_object())
            name = Field(item.get_object().value(), "name");
        }
        if (!name.empty() && out.breadcrumbs.size() < kMaxBreadcrumbs)
          out.breadcrumbs.push_back(CleanValue(name));
      }
    }
  }
  int score = ArticleTypeScore(o);
  if (score >= 0) {
    std::string headline = Field(o, "headline");
    if (headline.empty()) headline = Field(o, "name");
    std::string body = Field(o, "articleBody");
    int s = score * 10 + (body.empty() ? 0 : 5) + (headline.empty() ? 0 : 1);
    if (s > out.score) {
      LdArticle a;
      a.breadcrumbs = std::move(out.breadcrumbs);
      a.score = s;
      a.headline = CleanValue(headline);
      a.description = CleanValue(Field(o, "description"));
      a.published = Field(o, "datePublished");
      if (a.published.empty()) a.published = Field(o, "dateCreated");
      a.modified = Field(o, "dateModified");
      a.body = std::move(body);
      a.section = CleanValue(Field(o, "articleSection"));
      a.language = Field(o, "inLanguage");
      a.url = Field(o, "url");
      if (a.url.empty()) a.url = Field(o, "mainEntityOfPage");
      simdjson::dom::element kw;
      if (o.at_key("keywords").get(kw) == simdjson::SUCCESS) {
        if (kw.is_string()) {
          a.keywords = GetString(kw);
        } else if (kw.is_array()) {
          for (auto x : kw.get_array()) {
            if (!x.is_string()) continue;
            if (!a.keywords.empty()) a.keywords += ",";
            a.keywords += GetString(x);
          }
        }
      }
      simdjson::dom::element au;
      if (o.at_key("author").get(au) == simdjson::SUCCESS ||
          o.at_key("creator").get(au) == simdjson::SUCCESS) {
        bool org_only = true;
        CollectAuthors(au, a.authors, &org_only);
      }
      out = std::move(a);
    }
  }
  for (auto [key, value] : o) {
    if (value.is_object() || value.is_array()) {
      if (key == "@graph" || key == "mainEntity" || key == "itemListElement" || key == "hasPart" ||
          key == "subjectOf") {
        WalkLd(value, out, depth + 1, clock);
      }
    }
  }
}

LdArticle ParseJsonLd(const Document& doc, DeadlineCheck<1024>& clock) {
  LdArticle out;
  simdjson::dom::parser parser;
  // A block of metadata larger than this is not one (a long articleBody is a few hundred KiB):
  // it is skipped rather than parsed.
  constexpr size_t kMaxJsonLdBytes = 2 << 20;
  for (const std::string& raw : doc.json_ld) {
    if (clock.ExpiredNow()) break;
    if (raw.size() > kMaxJsonLdBytes) continue;
    // Strip CDATA / HTML comment wrappers in one pass, and turn raw line breaks and tabs (invalid
    // inside JSON strings) into spaces.
    std::string s;
    s.reserve(raw.size());
    for (size_t i = 0; i < raw.size();) {
      bool skipped = false;
      if (raw[i] == '<' || raw[i] == ']' || raw[i] == '-' || raw[i] == '/') {
        for (std::string_view junk : {"//<![CDATA[", "//]]>", "<![CDATA[", "]]>", "<!--", "-->"}) {
          if (raw.compare(i, junk.size(), junk) == 0) {
            i += junk.size();
            skipped = true;
            break;
          }
        }
      }
      if (skipped) continue;
      const char c = raw[i++];
      s.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
    }
    simdjson::dom::element root;
    if (parser.parse(s).get(root) != simdjson::SUCCESS) continue;
    WalkLd(root, out, 0, clock);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

struct MetaTags {
  std::map<std::string, std::string> values;  // first value per key (lower-case key)
  std::vector<std::string> article_tags;
  std::vector<std::string> authors;  // every article:author / author meta
  void Add(const std::string& key, std::string_view value) {
    if (value.empty()) return;
    if (key == "article:tag" && article_tags.size() < kMaxKeywords) article_tags.push_back(CleanValue(value));
    if ((key == "article:author" || key == "author" || key == "parsely-author" || key == "sailthru.author" ||
         key == "dc.creator" || key == "byl" || key == "dcterms.creator" || key == "citation_author") &&
        authors.size() < kMaxAuthors)
      authors.push_back(CleanValue(value));
    values.emplace(key, std::string(value));
  }
  [[nodiscard]] bool Has(const std::string& key) const { return values.count(key) > 0; }
  [[nodiscard]] std::string Get(std::initializer_list<const char*> keys) const {
    for (const char* k : keys) {
      auto it = values.find(k);
      if (it != values.end() && !Trim(it->second).empty()) return it->second;
    }
    return "";
  }
};

// Splits "Title | Site" into the title part when the site part is short.
std::string StripSiteName(const std::string& title) {
  for (std::string_view sep : {" | ", " - ", " – ", " — ", " :: ", " » ", " · "}) {
    auto p = title.rfind(sep);
    if (p != std::string::npos && p > 0) {
      std::string head = title.substr(0, p);
      std::string tail = title.substr(p + sep.size());
      if (std::count(head.begin(), head.end(), ' ') >= 2 && tail.size() < head.size()) return Trim(head);
    }
  }
  return title;
}

// Fraction of the shorter string's characters covered by a common prefix-insensitive overlap.
double Similarity(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return 0;
  if (a == b) return 1;
  const std::string& shorter = a.size() < b.size() ? a : b;
  const std::string& longer = a.size() < b.size() ? b : a;
  if (longer.find(shorter) != std::string::npos) return static_cast<double>(shorter.size()) / longer.size();
  return 0;
}

// What a node's ancestors say about it: inside junk (navigation, footers, related links,
// comments) and inside a page header or logo. Each answer is memoized per ancestor, so asking
// for every node of a deep page stays linear instead of walking every chain to the root.
class Ancestry {
 public:
  explicit Ancestry(const Document& doc) : doc_(doc), junk_(doc.nodes.size(), kUnknown), header_(junk_) {}

  // An ancestor below the body/article/main is navigation, a footer, an aside, or has a related,
  // comment, sidebar, promo or recommendation class.
  bool InJunk(uint32_t n) { return Junk(doc_.nodes[n].parent) == kYes; }
  // In a page header, navigation or logo: an <h1> there is the site name, not the headline.
  bool InHeaderish(uint32_t n) {
    const uint8_t h = Header(doc_.nodes[n].parent);
    return h == kOpen ? InJunk(n) : h == kYes;
  }

 private:
  static constexpr uint8_t kUnknown = 0, kNo = 1, kYes = 2, kOpen = 3;  // kOpen: up to the root

  // The answer for the chain that starts at `p` (inclusive); `own` decides one node or says
  // kUnknown to defer to its parent.
  template <typename Own>
  uint8_t Chain(std::vector<uint8_t>& memo, uint32_t p, uint8_t at_root, Own own) {
    path_.clear();
    uint8_t answer = at_root;
    for (; p != kNone && p != 0; p = doc_.nodes[p].parent) {
      if (memo[p] != kUnknown) {
        answer = memo[p];
        break;
      }
      const uint8_t mine = own(p);
      if (mine != kUnknown) {
        answer = mine;
        memo[p] = mine;
        break;
      }
      path_.push_back(p);
    }
    for (uint32_t q : path_) memo[q] = answer;
    return answer;
  }

  uint8_t Junk(uint32_t p) {
    return Chain(junk_, p, kNo, [&](uint32_t q) -> uint8_t {
      const Tag t = doc_.nodes[q].tag;
      if (t == Tag::kNav || t == Tag::kFooter || t == Tag::kAside) return kYes;
      if (t == Tag::kBody || t == Tag::kHtml || t == Tag::kArticle || t == Tag::kMain) return kNo;
      const std::string cls = AsciiLower(doc_.Attribute(q, AttrKey::kClass));
      if (cls.find("related") != std::string::npos ||
          (cls.find("comment") != std::string::npos && cls.find("open") == std::string::npos) ||
          cls.find("sidebar") != std::string::npos || cls.find("promo") != std::string::npos ||
          cls.find("recommend") != std::string::npos)
        return kYes;
      return kUnknown;
    });
  }

  uint8_t Header(uint32_t p) {
    return Chain(header_, p, kOpen, [&](uint32_t q) -> uint8_t {
      const Tag t = doc_.nodes[q].tag;
      if (t == Tag::kArticle || t == Tag::kMain) return kNo;
      if (t == Tag::kNav || t == Tag::kFooter || t == Tag::kAside || t == Tag::kHeader) return kYes;
      std::string cls = AsciiLower(doc_.Attribute(q, AttrKey::kClass));
      cls += AsciiLower(doc_.Attribute(q, AttrKey::kId));
      if (cls.find("logo") != std::string::npos || cls.find("header") != std::string::npos ||
          cls.find("masthead") != std::string::npos || cls.find("brand") != std::string::npos ||
          cls.find("site-title") != std::string::npos || cls.find("sidebar") != std::string::npos ||
          cls.find("widget") != std::string::npos || cls.find("modal") != std::string::npos)
        return kYes;
      return kUnknown;
    });
  }

  const Document& doc_;
  std::vector<uint8_t> junk_, header_;
  std::vector<uint32_t> path_;
};

// Whether a date-time string states its time zone (Z, an offset, GMT/UTC).
bool HasZone(std::string_view s) {
  if (s.empty()) return false;
  if (s.back() == 'Z' || s.find("GMT") != std::string_view::npos || s.find("UTC") != std::string_view::npos)
    return true;
  auto t = s.find_first_of("T ", 8);
  if (t == std::string_view::npos) return false;
  return s.find_first_of("+-", t) != std::string_view::npos;
}

std::string PrimaryLanguage(std::string_view tag) {
  std::string l = AsciiLower(Trim(tag));
  auto cut = l.find_first_of("-_");
  l = l.substr(0, cut);
  if (l.size() < 2 || l.size() > 3 ||
      !std::all_of(l.begin(), l.end(), [](char c) { return c >= 'a' && c <= 'z'; }))
    return "";
  return l;
}

}  // namespace

bool ParseDateTime(std::string_view s, std::string_view zone, int64_t* epoch_seconds, bool* date_only) {
  std::string t = Trim(s);
  if (t.empty() || t.size() > 200) return false;
  if (ParseIso(t, zone, epoch_seconds, date_only)) return true;
  return ParseFree(t, zone, epoch_seconds, date_only);
}

PageMeta ExtractMetadata(const Document& doc, const Metadata& meta, v1::Article& out, int64_t deadline_ns) {
  // At most this many of each kind of candidate node are looked at: a page has a handful, a
  // hostile one millions.
  constexpr size_t kMaxCandidates = 64;
  PageMeta page;
  MetaTags tags;
  Ancestry ancestry(doc);
  DeadlineCheck<1024> clock(deadline_ns);
  std::string canonical_link, html_lang;
  std::vector<uint32_t> h1s;
  std::vector<uint32_t> times;
  std::vector<uint32_t> byline_nodes;
  std::vector<uint32_t> author_class_nodes;  // weaker: class contains "author"
  const size_t n = doc.nodes.size();
  for (uint32_t i = 1; i < n && !clock.Expired(); ++i) {
    const Node& nd = doc.nodes[i];
    if (nd.tag == Tag::kText) continue;
    switch (nd.tag) {
      case Tag::kMeta: {
        std::string_view content = doc.Attribute(i, AttrKey::kContent);
        for (AttrKey attr : {AttrKey::kName, AttrKey::kProperty, AttrKey::kItemprop, AttrKey::kHttpEquiv}) {
          std::string_view key = doc.Attribute(i, attr);
          if (!key.empty()) tags.Add(AsciiLower(Trim(key)), content);
        }
        break;
      }
      case Tag::kLink: {
        std::string rel = AsciiLower(doc.Attribute(i, AttrKey::kRel));
        if (rel == "canonical" && canonical_link.empty())
          canonical_link = Trim(doc.Attribute(i, AttrKey::kHref));
        break;
      }
      case Tag::kHtml:
        if (html_lang.empty()) html_lang = std::string(doc.Attribute(i, AttrKey::kLang));
        if (html_lang.empty()) html_lang = std::string(doc.Attribute(i, AttrKey::kXmlLang));
        break;
      case Tag::kH1:
        if (h1s.size() < kMaxCandidates / 4) h1s.push_back(i);
        break;
      case Tag::kTime:
        if (times.size() < kMaxCandidates) times.push_back(i);
        break;
      default: break;
    }
    if (nd.attr_count > 0) {
      std::string_view itemprop = doc.Attribute(i, AttrKey::kItemprop);
      std::string_view rel = doc.Attribute(i, AttrKey::kRel);
      if ((itemprop == "author" || rel == "author") && byline_nodes.size() < kMaxCandidates)
        byline_nodes.push_back(i);
      // Only the first value of a key is kept: the text of later ones is never read.
      const char* date_key = itemprop == "datePublished"  ? "itemprop:datepublished"
                             : itemprop == "dateModified" ? "itemprop:datemodified"
                                                          : nullptr;
      if (date_key && nd.tag != Tag::kMeta && !tags.Has(date_key) && !ancestry.InJunk(i)) {
        std::string_view v = doc.Attribute(i, AttrKey::kDatetime);
        if (v.empty()) v = doc.Attribute(i, AttrKey::kContent);
        std::string val = v.empty() ? doc.InnerText(i, 201) : std::string(v);
        tags.Add(date_key, val);
      }
      if (itemprop == "headline" && nd.tag != Tag::kMeta && !tags.Has("itemprop:headline"))
        tags.Add("itemprop:headline", doc.InnerText(i, kMaxTitleBytes));
      std::string_view cls = doc.Attribute(i, AttrKey::kClass);
      if ((cls.find("byline") != std::string_view::npos || cls.find("Byline") != std::string_view::npos) &&
          nd.tag != Tag::kBody && nd.tag != Tag::kArticle) {
        if (byline_nodes.size() < kMaxCandidates) byline_nodes.push_back(i);
      } else if (cls.find("author") != std::string_view::npos && cls.find("bio") == std::string_view::npos &&
                 cls.find("about") == std::string_view::npos &&
                 cls.find("avatar") == std::string_view::npos && nd.tag != Tag::kBody &&
                 nd.tag != Tag::kArticle && nd.tag != Tag::kImg) {
        if (author_class_nodes.size() < kMaxCandidates) author_class_nodes.push_back(i);
      }
    }
  }
  if (clock.ExpiredNow()) return page;
  LdArticle ld = ParseJsonLd(doc, clock);
  page.hint_body = ld.body;

  // URL and canonical URL.
  page.base_url = meta.url;
  std::string og_url = Trim(tags.Get({"og:url"}));
  std::string canon;
  if (!canonical_link.empty())
    canon = internal::CanonicalizeUrl(ResolveUrl(meta.url.empty() ? og_url : meta.url, canonical_link));
  if (canon.empty() && !og_url.empty()) canon = internal::CanonicalizeUrl(og_url);
  if (canon.empty() && !ld.url.empty()) canon = internal::CanonicalizeUrl(ld.url);
  if (!canon.empty()) out.set_canonical_url(canon);
  if (page.base_url.empty()) page.base_url = canon;

  // Headline: the visible <h1> that matches one of the page's declared titles; else an <h1> in
  // the content (not in a header/logo); else the declared title; else <title>.
  std::vector<std::string> declared_titles;
  for (const std::string& t :
       {ld.headline, CleanValue(tags.Get({"og:title"})), CleanValue(tags.Get({"twitter:title"})),
        CleanValue(tags.Get({"itemprop:headline", "headline"}))}) {
    if (!t.empty() && t.size() <= kMaxTitleBytes) {
      declared_titles.push_back(t);
      declared_titles.push_back(StripSiteName(t));
    }
  }
  std::string declared = declared_titles.empty() ? "" : StripSiteName(declared_titles[0]);
  std::string title = StripSiteName(doc.title.empty() ? "" : CleanValue(doc.title));
  if (!title.empty()) declared_titles.push_back(title);
  std::string best_h1, content_h1;
  double best_sim = 0;
  for (uint32_t h : h1s) {
    std::string t = doc.InnerText(h, 401);
    if (t.empty() || t.size() > 400) continue;
    std::string nt = Norm(t);
    double sim = 0;
    for (const auto& d : declared_titles) sim = std::max(sim, Similarity(nt, Norm(d)));
    if (sim > best_sim) {
      best_sim = sim;
      best_h1 = t;
    }
    if (content_h1.empty() && !ancestry.InHeaderish(h)) content_h1 = t;
  }
  std::string headline;
  if (!best_h1.empty() && best_sim >= 0.5)
    headline = best_h1;
  else if (!content_h1.empty())
    headline = content_h1;
  else if (!declared.empty())
    headline = declared;
  else
    headline = title;
  out.set_headline(Clean(headline));

  // Standfirst.
  std::string standfirst = ld.description;
  if (standfirst.empty())
    standfirst = CleanValue(tags.Get({"og:description", "description", "twitter:description"}));
  if (standfirst.size() > 1000) standfirst.clear();
  out.set_standfirst(standfirst);

  // Authors: JSON-LD, then visible byline markup, then meta.
  std::vector<std::string> authors = ld.authors;
  if (authors.empty()) {
    for (uint32_t b : byline_nodes) {
      if (ancestry.InJunk(b)) continue;
      std::string_view name_attr = doc.Attribute(b, AttrKey::kContent);
      std::string text;
      // itemprop=author with an itemprop=name child
      // (among the first nodes of the byline: a name sits at its start)
      const uint32_t scan_end = static_cast<uint32_t>(std::min<size_t>(n, b + 1 + 4096));
      for (uint32_t k = b + 1; k < scan_end && doc.nodes[k].depth > doc.nodes[b].depth; ++k) {
        if (doc.Attribute(k, AttrKey::kItemprop) == "name") {
          text = doc.Attribute(k, AttrKey::kContent).empty()
                     ? doc.InnerText(k, 201)
                     : std::string(doc.Attribute(k, AttrKey::kContent));
          break;
        }
      }
      if (text.empty()) text = name_attr.empty() ? doc.InnerText(b, 201) : std::string(name_attr);
      if (text.size() > 200) continue;
      for (auto& a : SplitAuthors(text)) {
        if (authors.size() < kMaxAuthors && std::find(authors.begin(), authors.end(), a) == authors.end())
          authors.push_back(a);
      }
      if (!authors.empty() && doc.Attribute(b, AttrKey::kRel) != "author" &&
          doc.Attribute(b, AttrKey::kItemprop) != "author")
        break;
    }
  }
  if (authors.empty()) {
    for (uint32_t b : author_class_nodes) {
      if (ancestry.InJunk(b)) continue;
      std::string text = doc.InnerText(b, 121);
      if (text.empty() || text.size() > 120) continue;
      auto names = SplitAuthors(text);
      if (names.empty()) continue;
      authors = names;
      break;
    }
  }
  if (authors.empty()) {
    for (const auto& a : tags.authors) {
      if (a.find("://") != std::string::npos) continue;
      for (auto& x : SplitAuthors(a)) {
        if (authors.size() < kMaxAuthors && std::find(authors.begin(), authors.end(), x) == authors.end())
          authors.push_back(x);
      }
    }
  }
  std::string byline;
  for (const auto& a : authors) {
    auto* p = out.add_authors();
    p->set_name(a);
    p->set_role("author");
    if (!byline.empty()) byline += ", ";
    byline += a;
  }
  out.set_byline(byline);

  // Times.
  int64_t secs = 0;
  // article:published_time first: JSON-LD times are more often mislabelled local times.
  std::string published = tags.Get({"article:published_time", "og:published_time"});
  if (published.empty() || (!HasZone(published) && HasZone(ld.published))) published = ld.published;
  if (published.empty())
    published = tags.Get({"datepublished", "itemprop:datepublished", "article.published", "pubdate",
                          "publishdate", "publish-date", "publish_date", "dc.date.issued", "dcterms.issued",
                          "dc.date", "dcterms.created", "date", "sailthru.date", "parsely-pub-date",
                          "og:pubdate", "article:published", "publication_date", "original-publish-date",
                          "citation_publication_date"});
  if (published.empty()) {
    for (uint32_t t : times) {
      if (ancestry.InJunk(t)) continue;
      std::string_view dt = doc.Attribute(t, AttrKey::kDatetime);
      if (!dt.empty()) {
        published = std::string(dt);
        break;
      }
    }
  }
  if (!published.empty() && ParseDateTime(published, meta.timezone, &secs))
    SetTime(out.mutable_firstcreated(), secs);
  std::string modified = ld.modified;
  if (modified.empty())
    modified = tags.Get({"article:modified_time", "og:updated_time", "itemprop:datemodified", "datemodified",
                         "article.updated", "last-modified", "dcterms.modified", "lastmod"});
  if (!modified.empty() && ParseDateTime(modified, meta.timezone, &secs))
    SetTime(out.mutable_versioncreated(), secs);
  if (!out.has_firstcreated()) {
    // A visible date line: a short text node with a month name or a numeric date near the top.
    int checked = 0;
    for (uint32_t i = 1; i < n && checked < 4000 && !clock.Expired(); ++i) {
      if (doc.nodes[i].tag != Tag::kText) continue;
      ++checked;
      std::string_view t = doc.Text(i);
      if (t.size() < 8 || t.size() > 120) continue;
      bool date_only = true;
      if (ParseDateTime(t, meta.timezone, &secs, &date_only)) {
        if (ancestry.InJunk(i)) continue;
        SetTime(out.mutable_firstcreated(), secs);
        break;
      }
    }
  }

  // Language.
  std::string lang = PrimaryLanguage(html_lang);
  if (lang.empty())
    lang = PrimaryLanguage(tags.Get({"content-language", "language", "dc.language", "og:locale"}));
  if (lang.empty()) lang = PrimaryLanguage(ld.language);
  if (!lang.empty()) out.set_language(lang);

  // Section path: breadcrumbs, then article:section / articleSection.
  std::vector<std::string> path;
  for (const auto& b : ld.breadcrumbs) {
    std::string lb = AsciiLower(b);
    if (lb == "home" || lb == "homepage" || lb == "start" || lb == "inicio" || lb == "início") continue;
    if (Norm(b) == Norm(out.headline())) continue;
    path.push_back(b);
  }
  if (path.empty()) {
    std::string section = CleanValue(tags.Get({"article:section", "section", "parsely-section", "category"}));
    if (section.empty()) section = ld.section;
    if (!section.empty() && section.size() < 80) path.push_back(section);
  }
  for (auto& p : path) out.add_section_path(p);

  // Keywords.
  std::string kw = tags.Get({"news_keywords", "keywords"});
  if (kw.empty()) kw = ld.keywords;
  std::vector<std::string> words;
  if (!kw.empty()) {
    size_t i = 0;
    while (i <= kw.size()) {
      size_t c = kw.find(',', i);
      std::string w =
          CleanValue(std::string_view(kw).substr(i, c == std::string::npos ? std::string::npos : c - i));
      if (!w.empty() && w.size() < 80) words.push_back(w);
      if (c == std::string::npos) break;
      i = c + 1;
    }
  }
  for (const auto& t : tags.article_tags) words.push_back(t);
  for (const auto& w : words) {
    if (out.keywords_size() >= 50) break;
    if (std::find(out.keywords().begin(), out.keywords().end(), w) == out.keywords().end())
      out.add_keywords(w);
  }
  return page;
}

void ExtractDateline(v1::Article& out) {
  if (out.body_size() == 0) return;
  const std::string& first = out.body(0).text();
  // "WASHINGTON (Reuters) - ", "LOS ANGELES, Calif. — ", "PARIS (AFP) – "
  size_t i = 0;
  while (i < first.size() && i < 60) {
    char c = first[i];
    if ((c >= 'A' && c <= 'Z') || c == ' ' || c == '.' || c == '\'') {
      ++i;
      continue;
    }
    break;
  }
  std::string place = Trim(std::string_view(first).substr(0, i));
  if (place.size() < 3 ||
      std::count_if(place.begin(), place.end(), [](char c) { return c >= 'A' && c <= 'Z'; }) < 3)
    return;
  size_t j = i;
  // optional ", State." and "(Agency)"
  if (j < first.size() && first[j] == ',') {
    size_t k = first.find_first_of("(-\xE2", j);
    if (k == std::string::npos || k - j > 25) return;
    j = k;
  }
  while (j < first.size() && first[j] == ' ') ++j;
  if (j < first.size() && first[j] == '(') {
    size_t k = first.find(')', j);
    if (k == std::string::npos || k - j > 30) return;
    j = k + 1;
  }
  while (j < first.size() && first[j] == ' ') ++j;
  size_t dash = 0;
  if (first.compare(j, 1, "-") == 0)
    dash = 1;
  else if (first.compare(j, 3, "\xE2\x80\x94") == 0 || first.compare(j, 3, "\xE2\x80\x93") == 0)
    dash = 3;
  if (dash == 0) return;
  auto* loc = out.mutable_located();
  if (!loc->name().empty()) return;
  std::string name;
  bool up = true;
  for (char c : place) {
    name.push_back(up ? c : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    up = c == ' ' || c == '.' || c == '-';
  }
  loc->set_name(name);
  loc->set_city(name);
  loc->set_dateline(Trim(std::string_view(first).substr(0, j + dash)));
}

}  // namespace copydesk::normalize::html
