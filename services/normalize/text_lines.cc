#include "normalize/text_lines.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>

#include "normalize/ascii.h"
#include "normalize/deadline.h"
#include "normalize/text_dates.h"

namespace copydesk::normalize::internal {

// The end marker a line of `words` words is (computed once per line by SplitTextLines).
Marker FindEndMarker(std::string_view text, int words);

namespace {

// Phrases found in one pass over each line (lower case): 16 that make a line boilerplate wherever
// they occur in it, then 9 of legal small print.
constexpr PhraseSet<25> kLinePhrases(
    {"is not responsible for the content of external", "links to more ", "e-mail this story",
     "email this story", "all rights reserved", "we use cookies", "cookie policy", "skip to main content",
     "skip to content", "printable version", "print this story", "print this article", "share this story",
     "share this article", "sign up for our newsletter", "javascript is disabled",
     // legal
     "trademark", "all rights reserved", "privacy policy", "terms of use", "terms of service", "cookies",
     "terms and conditions", "not intended to diagnose", "\xC2\xA9"});
constexpr uint32_t kBoilerplatePhrases = (1u << 16) - 1;
constexpr uint32_t kLegalPhrases = ((1u << 25) - 1) & ~kBoilerplatePhrases;

// Lines that are boilerplate when they are nothing but one of these (lower case).
constexpr std::array<std::string_view, 36> kBoilerplateWhole = {"advertisement",  "advert",
                                                                "share",          "print",
                                                                "email",          "e-mail",
                                                                "tweet",          "comments",
                                                                "read more",      "back to top",
                                                                "top of page",    "close",
                                                                "menu",           "search",
                                                                "subscribe",      "sign in",
                                                                "log in",         "sign up",
                                                                "home",           "more",
                                                                "next",           "previous",
                                                                "facebook",       "twitter",
                                                                "whatsapp",       "linkedin",
                                                                "pinterest",      "reddit",
                                                                "copy link",      "skip to main content",
                                                                "accept & close", "accept and close",
                                                                "accept",         "i agree",
                                                                "got it",         "ok"};

constexpr size_t LongestWhole() {
  size_t n = 0;
  for (auto k : kBoilerplateWhole) n = k.size() > n ? k.size() : n;
  return n;
}

struct LinePhrases {
  bool boilerplate = false;
  bool legal = false;
};

// Both marks of a line, from one pass. The line is read without the trailing spaces, colons, '>'
// and '|' of a link or a label (which drops no legal phrase: none ends in them).
LinePhrases FindLinePhrases(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == ':' || s.back() == '>' || s.back() == '|'))
    s.remove_suffix(1);
  const uint32_t found = kLinePhrases.Found(s);
  LinePhrases marks{(found & kBoilerplatePhrases) != 0, (found & kLegalPhrases) != 0};
  if (!marks.boilerplate && s.size() <= LongestWhole()) {
    const std::string l = AsciiLower(s);
    for (auto k : kBoilerplateWhole) marks.boilerplate = marks.boilerplate || l == k;
  }
  return marks;
}

bool StartsWith(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}
bool EndsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// Byte length of a Unicode space (or zero-width char, negative length = drop) at s[i], 0 if none.
int UnicodeSpaceAt(std::string_view s, size_t i, bool& drop) {
  drop = false;
  auto u = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const size_t left = s.size() - i;
  if (left >= 2 && u(0) == 0xC2 && u(1) == 0xA0) return 2;  // NBSP
  if (left >= 3 && u(0) == 0xE2 && u(1) == 0x80) {
    if (u(2) >= 0x80 && u(2) <= 0x8A) return 3;          // en quad .. hair space
    if (u(2) == 0xAF) return 3;                          // narrow NBSP
    if (u(2) == 0x8B || u(2) == 0x8C || u(2) == 0x8D) {  // zero width space / (non-)joiner
      drop = true;
      return 3;
    }
  }
  if (left >= 3 && u(0) == 0xE2 && u(1) == 0x81 && u(2) == 0x9F) return 3;  // medium math space
  if (left >= 3 && u(0) == 0xE3 && u(1) == 0x80 && u(2) == 0x80) return 3;  // ideographic space
  if (left >= 3 && u(0) == 0xEF && u(1) == 0xBB && u(2) == 0xBF) {          // BOM / ZWNBSP
    drop = true;
    return 3;
  }
  return 0;
}

constexpr PhraseSet<14> kCredits({"credit:", "credits:", "photo:", "photos:", "image:", "images:",
                                  "photograph:", "foto:", "bild:", "photo by ", "image via ",
                                  "image copyright", "photo courtesy", "photos courtesy"});

// `t`: a non-empty line, spaces collapsed and trimmed; `spaces`: how many it has; `cjk`: how many
// kana and CJK ideographs, scripts written without spaces, counted as a word per two.
void Finish(std::string&& t, bool gap, int spaces, int cjk, std::vector<TextLine>& out) {
  TextLine line;
  line.gap_before = gap;
  line.words = 1 + spaces + cjk / 2;
  // Terminal punctuation before closing quotes/brackets.
  std::string_view v = t;
  for (;;) {
    if (!v.empty() && (v.back() == '"' || v.back() == '\'' || v.back() == ')' || v.back() == ']')) {
      v.remove_suffix(1);
    } else if (EndsWith(v, "\xE2\x80\x9D") || EndsWith(v, "\xE2\x80\x99")) {  // ” ’
      v.remove_suffix(3);
    } else if (EndsWith(v, "\xC2\xBB")) {  // »
      v.remove_suffix(2);
    } else {
      break;
    }
  }
  line.terminal =
      !v.empty() && (v.back() == '.' || v.back() == '!' || v.back() == '?' ||
                     EndsWith(v, "\xE2\x80\xA6") /* … */ || EndsWith(v, "\xE3\x80\x82") /* 。 */ ||
                     EndsWith(v, "\xEF\xBC\x81") /* ！ */ || EndsWith(v, "\xEF\xBC\x9F") /* ？ */);
  line.text = std::move(t);
  const LinePhrases marks = FindLinePhrases(line.text);
  line.boilerplate = marks.boilerplate;
  line.legal = marks.legal;
  line.prose = (line.terminal && line.words >= kProseMinWords) || line.words >= kProseRunWords;
  line.credit = line.words <= 60 && kCredits.FoundIn(line.text);
  line.marker = FindEndMarker(line.text, line.words);
  out.push_back(std::move(line));
}

}  // namespace

std::vector<TextLine> SplitTextLines(std::string_view s) {
  std::vector<TextLine> out;
  bool gap = true;
  std::string t;
  // Without a '\r' in the text a line ends at the next '\n' (memchr); find_first_of would run
  // memchr over the set for every byte.
  const bool has_cr = s.find('\r') != std::string_view::npos;
  size_t pos = 0;
  while (pos <= s.size()) {
    if (DeadlinePassed()) break;
    size_t eol = pos;
    if (!has_cr) {
      eol = s.find('\n', pos);
      if (eol == std::string_view::npos) eol = s.size();
    } else {
      while (eol < s.size() && s[eol] != '\n' && s[eol] != '\r') ++eol;
    }
    std::string_view line = s.substr(pos, eol - pos);
    pos = eol + 1;
    if (eol < s.size() && s[eol] == '\r' && pos < s.size() && s[pos] == '\n') ++pos;
    // Tabs, control characters and Unicode spaces fold into ' '; runs collapse; the ends are
    // trimmed. Runs of printable ASCII are copied whole.
    t.clear();
    t.reserve(line.size());
    bool space = false;  // a space is pending (written only before more text)
    int spaces = 0;      // written (the only spaces in `t`)
    int cjk = 0;         // kana and CJK ideographs: U+3040..U+9FFF, lead bytes 0xE3..0xE9
    auto printable = [](unsigned char c) { return c > 0x20 && c < 0x7F; };
    for (size_t i = 0; i < line.size();) {
      const unsigned char c = static_cast<unsigned char>(line[i]);
      if (c <= 0x20 || c == 0x7F) {
        space = true;
        ++i;
        continue;
      }
      if (c >= 0xC2) {
        bool drop = false;
        if (int n = UnicodeSpaceAt(line, i, drop); n > 0) {
          if (!drop) space = true;
          i += static_cast<size_t>(n);
          continue;
        }
      }
      if (space && !t.empty()) {
        t += ' ';
        ++spaces;
      }
      space = false;
      if (c >= 0xE3 && c <= 0xE9 && !(c == 0xE3 && i + 1 < line.size() && line[i + 1] == '\x80')) ++cjk;
      size_t j = i + 1;
      if (printable(c)) {
        while (j < line.size() && printable(static_cast<unsigned char>(line[j]))) ++j;
      }
      t.append(line.data() + i, j - i);
      i = j;
    }
    if (t.empty()) {
      gap = true;
    } else {
      Finish(std::move(t), gap, spaces, cjk, out);
      t = std::string();
      gap = false;
    }
    if (eol == s.size()) break;
  }
  return out;
}

void MarkProse(std::vector<TextLine>& lines, int min_words, int run_words) {
  for (auto& l : lines) l.prose = (l.terminal && l.words >= min_words) || l.words >= run_words;
}

std::string_view StripQuotes(std::string_view s) {
  struct Pair {
    std::string_view open, close;
  };
  static constexpr std::array<Pair, 5> kPairs = {{{"\"", "\""},
                                                  {"\xE2\x80\x9C", "\xE2\x80\x9D"},
                                                  {"'", "'"},
                                                  {"\xE2\x80\x98", "\xE2\x80\x99"},
                                                  {"\xC2\xAB", "\xC2\xBB"}}};
  for (const auto& p : kPairs) {
    if (s.size() >= p.open.size() + p.close.size() + 1 && StartsWith(s, p.open) && EndsWith(s, p.close)) {
      s.remove_prefix(p.open.size());
      s.remove_suffix(p.close.size());
      while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
      while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
      return s;
    }
  }
  return s;
}

bool IsNameLine(std::string_view s) {
  if (s.empty() || s.size() > 80) return false;
  auto comma = s.find(',');
  std::string_view name = s.substr(0, comma);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  if (name.empty() || name.size() > 40) return false;
  static constexpr std::array<std::string_view, 13> kParticles = {
      "de", "van", "von", "der", "den", "bin", "al", "la", "le", "da", "di", "du", "del"};
  static constexpr std::array<std::string_view, 14> kNotFirst = {
      "The",  "A",     "An",      "In",    "On",       "See", "More",
      "Read", "Share", "Related", "Links", "Internet", "Top", "Back"};
  int words = 0;
  size_t pos = 0;
  while (pos < name.size()) {
    size_t end = name.find(' ', pos);
    if (end == std::string_view::npos) end = name.size();
    std::string_view w = name.substr(pos, end - pos);
    pos = end + 1;
    if (w.empty()) continue;
    ++words;
    if (words == 1) {
      for (auto n : kNotFirst) {
        if (w == n) return false;
      }
    }
    for (char c : w) {
      if (std::isdigit(static_cast<unsigned char>(c)) || c == ':' || c == '|' || c == '!' || c == '?' ||
          c == '"' || c == '(' || c == '@')
        return false;
    }
    unsigned char f = static_cast<unsigned char>(w[0]);
    bool upper = (f >= 'A' && f <= 'Z') || f >= 0xC3;
    bool particle = false;
    for (auto p : kParticles) particle = particle || w == p;
    if (!upper && !particle) return false;
    if (w.back() == '.' && w.size() > 2) return false;  // a sentence end, not an initial
  }
  return words >= 2 && words <= 5;
}

bool HasDigit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsBoilerplateLine(std::string_view s) {
  return FindLinePhrases(s).boilerplate;
}

bool HasLegalPhrase(std::string_view s) {
  return FindLinePhrases(s).legal;
}

std::vector<std::string> ParseBylineLine(std::string_view s) {
  std::vector<std::string> names;
  if (s.size() < 4 || s.size() > 160) return names;
  std::string l = AsciiLower(s.substr(0, 3));
  if (l != "by ") return names;
  std::string_view rest = s.substr(3);
  // Split on ",", " and ", " & ".
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos <= rest.size()) {
    size_t best = std::string_view::npos, len = 0;
    for (std::string_view sep : {std::string_view(","), std::string_view(" and "), std::string_view(" & ")}) {
      size_t p = rest.find(sep, pos);
      if (p < best) {
        best = p;
        len = sep.size();
      }
    }
    if (best == std::string_view::npos) {
      parts.push_back(rest.substr(pos));
      break;
    }
    parts.push_back(rest.substr(pos, best - pos));
    pos = best + len;
  }
  static constexpr std::array<std::string_view, 14> kRoles = {
      "correspondent", "editor", "reporter", "writer", "staff",      "contributor", "columnist",
      "bureau",        "chief",  "analyst",  "news",   "associated", "press",       "email the author"};
  for (auto p : parts) {
    while (!p.empty() && p.front() == ' ') p.remove_prefix(1);
    while (!p.empty() && (p.back() == ' ' || p.back() == '.')) p.remove_suffix(1);
    if (p.empty()) continue;
    std::string lp = AsciiLower(p);
    bool role = false;
    for (auto r : kRoles) role = role || lp.find(r) != std::string::npos;
    if (role) continue;
    if (!IsNameLine(std::string(p) + (p.find(' ') == std::string_view::npos ? " X" : ""))) continue;
    names.emplace_back(p);
  }
  return names;
}

bool StartsWithCI(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && AsciiLower(s.substr(0, p.size())) == p;
}

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && (s.front() == ' ')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ')) s.remove_suffix(1);
  return s;
}

std::vector<std::string> SplitOn(std::string_view s, std::string_view seps) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || seps.find(s[i]) != std::string_view::npos) {
      auto part = TrimView(s.substr(start, i - start));
      if (!part.empty()) out.emplace_back(part);
      start = i + 1;
    }
  }
  return out;
}

std::vector<std::string> SectionPathFromLine(std::string_view line) {
  std::string_view s = line;
  while (!s.empty() &&
         (s.front() == ' ' || static_cast<unsigned char>(s.front()) >= 0x80 || s.front() == '-'))
    s.remove_prefix(1);  // bullets
  if (StartsWithCI(s, "you are in:")) {
    return SplitOn(s.substr(11), ":>|/");
  }
  if (s.find(" > ") != std::string_view::npos || s.find(" \xC2\xBB ") != std::string_view::npos) {
    std::string t;  // "»" read as ">"
    t.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
      const bool guillemet = s.compare(i, 2, "\xC2\xBB") == 0;
      t += guillemet ? '>' : s[i];
      i += guillemet ? 1 : 0;
    }
    auto parts = SplitOn(t, ">");
    if (parts.size() < 2 || parts.size() > 6) return {};
    for (const auto& p : parts) {
      if (std::count(p.begin(), p.end(), ' ') > 3) return {};
    }
    if (AsciiLower(parts.front()) == "home") parts.erase(parts.begin());
    return parts;
  }
  return {};
}

ListHeader ListHeaderKind(std::string_view line) {
  while (!line.empty() && (line.back() == ':' || line.back() == ' ')) line.remove_suffix(1);
  if (line.size() > std::string_view("more on this story").size()) return ListHeader::kNone;  // the longest
  const std::string l = AsciiLower(line);
  if (l == "see also" || l == "related stories" || l == "related links" || l == "related" ||
      l == "related articles" || l == "more on this story" || l == "related content" || l == "read more")
    return ListHeader::kSeeAlso;
  if (l == "internet links" || l == "external links" || l == "links") return ListHeader::kInternetLinks;
  return ListHeader::kNone;
}

bool IsCopyrightLine(std::string_view line) {
  return line.find("\xC2\xA9") != std::string_view::npos || StartsWithCI(line, "copyright");
}

bool IsBulletLine(std::string_view s, bool& ordered, std::string_view& rest) {
  ordered = false;
  for (std::string_view b : {"\xE2\x80\xA2 ", "* ", "- ", "\xE2\x80\x93 ", "\xC2\xB7 ", "\xE2\x96\xAA "}) {
    if (s.substr(0, b.size()) == b) {
      rest = TrimView(s.substr(b.size()));
      return !rest.empty();
    }
  }
  size_t n = 0;
  while (n < s.size() && n < 3 && std::isdigit(static_cast<unsigned char>(s[n]))) ++n;
  if (n > 0 && n + 1 < s.size() && (s[n] == '.' || s[n] == ')') && s[n + 1] == ' ') {
    ordered = true;
    rest = TrimView(s.substr(n + 2));
    return !rest.empty();
  }
  return false;
}

Marker FindEndMarker(std::string_view text, int words) {
  if (words > 14) return Marker::kNone;
  std::string s = AsciiLower(text);
  while (!s.empty() && (s.back() == ':' || s.back() == ' ' || s.back() == '.')) s.pop_back();
  size_t digits = 0;
  while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
  if (digits > 0 && digits < s.size() && s[digits] == ' ' && s.find_first_not_of('0') < digits) {
    std::string_view rest = std::string_view(s).substr(digits + 1);
    for (std::string_view k : {"comment", "response", "repl", "thought"}) {
      if (rest.substr(0, k.size()) == k) return Marker::kHard;
    }
  }
  auto matches = [&](std::string_view k) {
    return s == k || (s.size() > k.size() && s.compare(0, k.size(), k) == 0 &&
                      (s[k.size()] == ' ' || s[k.size()] == ':' || s[k.size()] == '('));
  };
  static constexpr std::string_view kHardMarkers[] = {"comments",
                                                      "comment",
                                                      "leave a reply",
                                                      "leave a comment",
                                                      "post a comment",
                                                      "add a comment",
                                                      "join the conversation",
                                                      "join the discussion",
                                                      "show comments",
                                                      "view comments",
                                                      "load comments",
                                                      "share your thoughts",
                                                      "tell us what you think",
                                                      "you may also like",
                                                      "you might also like",
                                                      "you may be interested",
                                                      "more from",
                                                      "more stories",
                                                      "most popular",
                                                      "most read",
                                                      "popular posts",
                                                      "popular stories",
                                                      "previous post",
                                                      "next post",
                                                      "previous article",
                                                      "next article",
                                                      "about the author",
                                                      "promoted stories",
                                                      "around the web",
                                                      "privacy overview",
                                                      "this website uses cookies",
                                                      "we use cookies",
                                                      "what to read next",
                                                      "editor's picks",
                                                      "click to share on",
                                                      "more like this",
                                                      "recommended for you",
                                                      "trending now",
                                                      "top stories",
                                                      "latest news",
                                                      "give feedback"};
  for (auto k : kHardMarkers) {
    if (matches(k)) return Marker::kHard;
  }
  static constexpr std::string_view kSoftMarkers[] = {
      "related",         "related stories",  "related articles", "related posts", "related post",
      "related content", "related coverage", "read more",        "see also",      "also read",
      "also on",         "more on this",     "recommended",      "trending",      "sponsored",
      "share this",      "like this",        "newsletter",       "sign up for",   "subscribe to",
      "follow us",       "don't miss",       "internet links",   "read next"};
  for (auto k : kSoftMarkers) {
    if (matches(k)) return Marker::kSoft;
  }
  return Marker::kNone;
}

// A meta line of the article header: "Reuters November 18, 2019 11:03 PM", "By admin - 2018-09-16",
// "Nov 18, 2019 at 9:24 pm ET • 2 min read", share prompts. Never a headline.
bool IsMetaLine(const TextLine& l) {
  if (IsProseLine(l) || l.words > 20) return false;
  const std::string low = AsciiLower(l.text);
  // Whole words at the start: "Share" and "Share:" are prompts, "Shares of ..." and "Watchdog ..."
  // are headlines.
  for (std::string_view p : {"by ", "posted", "published", "updated", "written by", "share", "back to",
                             "reading time", "tempo de leitura", "photo", "photos", "photograph", "image",
                             "images", "video", "videos", "listen", "watch", "advertisement"}) {
    if (low.rfind(p, 0) == 0 && (p.back() == ' ' || low.size() == p.size() ||
                                 !std::isalpha(static_cast<unsigned char>(low[p.size()]))))
      return true;
  }
  for (std::string_view k : {" min read", "@", " \xE2\x80\xA2 ", "get short url", "sharing options",
                             "skip ad", "compensated by", "last updated", " ago"}) {
    if (low.find(k) != std::string::npos) return true;
  }
  return ParseHumanDate(l.text, false).has_value();
}

}  // namespace copydesk::normalize::internal
