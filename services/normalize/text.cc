// The text/plain page-dump decoder: a page as a crawler or a browser's innerText hands it over,
// navigation chrome, captions, pull quotes, subheads, "See also" lists and footers mixed into
// plain lines. Everything is decided by line shape, never by site:
//  1. the body region is the run of lines with the most prose in it (maximum-sum segment, prose
//     lines weigh their word count, other lines a penalty);
//  2. the header before it gives the headline, dateline time, section path ("You are in:"),
//     provider, byline and a caption glued to the first paragraph;
//  3. inside the region short lines become subheadings, captions (two short lines glued to a
//     paragraph), pull quotes (a line followed by a name line) or list items;
//  4. the footer gives media items, "See also" related links and the copyright line.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>
#include <unordered_map>
#include <vector>

#include "normalize/ascii.h"
#include "normalize/deadline.h"
#include "normalize/internal.h"
#include "normalize/text_dates.h"
#include "normalize/text_lines.h"

namespace copydesk::normalize::internal {
namespace {

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

bool MonthFromWord(std::string_view w) {
  std::string l = AsciiLower(w);
  while (!l.empty() && (l.back() == '.' || l.back() == ',')) l.pop_back();
  for (std::string_view m :
       {"jan",   "feb",  "mar",  "apr",    "may",       "jun",     "jul",      "aug",
        "sep",   "sept", "oct",  "nov",    "dec",       "january", "february", "march",
        "april", "june", "july", "august", "september", "october", "november", "december"}) {
    if (l == m) return true;
  }
  return false;
}

// "BBC NEWS" -> "BBC News": all-caps words longer than three letters get title case.
std::string BrandCase(const std::vector<std::string_view>& words) {
  std::string out;
  for (auto w : words) {
    if (!out.empty()) out += ' ';
    std::string lw = AsciiLower(w);
    if (w.size() <= 3 && lw != "the" && lw != "and" && lw != "of") {
      out += w;
    } else {
      out += w[0];
      out += lw.substr(1);
    }
  }
  return out;
}

bool IsAllCapsWord(std::string_view w) {
  int letters = 0;
  for (char c : w) {
    if (c >= 'a' && c <= 'z') return false;
    if (c >= 'A' && c <= 'Z')
      ++letters;
    else if (c != '&' && c != '.' && c != '-' && c != '\'')
      return false;
  }
  return letters >= 2;
}

// A masthead such as "BBC NEWS Americas Africa ..." -> "BBC News".
std::string ProviderFromMasthead(std::string_view line) {
  std::vector<std::string_view> caps;
  size_t pos = 0;
  while (pos < line.size() && caps.size() < 5) {
    size_t end = line.find(' ', pos);
    if (end == std::string_view::npos) end = line.size();
    std::string_view w = line.substr(pos, end - pos);
    if (!IsAllCapsWord(w)) break;
    caps.push_back(w);
    pos = end + 1;
  }
  if (caps.size() < 2 || caps.size() > 4) return "";
  return BrandCase(caps);
}

// "You are in: World: Americas" / "Home > World > Americas" -> ["World", "Americas"].
std::vector<std::string> SectionPathFromLine(std::string_view line) {
  std::string_view s = line;
  while (!s.empty() &&
         (s.front() == ' ' || static_cast<unsigned char>(s.front()) >= 0x80 || s.front() == '-'))
    s.remove_prefix(1);  // bullets
  if (StartsWithCI(s, "you are in:")) {
    return SplitOn(s.substr(11), ":>|/");
  }
  if (s.find(" > ") != std::string_view::npos || s.find(" \xC2\xBB ") != std::string_view::npos) {
    std::string t(s);
    for (size_t p; (p = t.find("\xC2\xBB")) != std::string::npos;) t.replace(p, 2, ">");
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

// "See also:", "Related stories", "Internet links:" ...
enum class ListHeader { kNone, kSeeAlso, kInternetLinks };
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

// "15 Nov 01 | Americas" -> date and section.
bool ParseDateSectionLine(std::string_view line, std::string& date, std::string& section) {
  auto bar = line.find('|');
  if (bar == std::string_view::npos) return false;
  std::string_view d = TrimView(line.substr(0, bar));
  std::string_view sec = TrimView(line.substr(bar + 1));
  if (d.empty() || sec.empty() || sec.find('|') != std::string_view::npos) return false;
  if (!ParseHumanDate(d, true)) return false;
  date = std::string(d);
  section = std::string(sec);
  return true;
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

// The dateline at the head of the first paragraph: "WASHINGTON (Reuters) - ...".
void DetectDateline(std::string_view para, v1::Located& located) {
  for (std::string_view sep : {" - ", " \xE2\x80\x94 ", " \xE2\x80\x93 ", " -- "}) {
    auto p = para.find(sep);
    if (p == std::string_view::npos || p == 0 || p > 80) continue;
    std::string_view prefix = para.substr(0, p);
    std::string_view place = prefix.substr(0, prefix.find_first_of(",("));
    place = TrimView(place);
    if (place.size() < 3) continue;
    bool caps = true;
    for (char c : place) caps = caps && !(c >= 'a' && c <= 'z');
    if (!caps || !(place[0] >= 'A' && place[0] <= 'Z')) continue;
    std::vector<std::string_view> words;
    size_t pos = 0;
    while (pos < place.size()) {
      size_t e = place.find(' ', pos);
      if (e == std::string_view::npos) e = place.size();
      if (e > pos) words.push_back(place.substr(pos, e - pos));
      pos = e + 1;
    }
    if (words.empty() || words.size() > 4) continue;
    std::string city;
    for (auto w : words) {
      if (!city.empty()) city += ' ';
      city += w[0];
      city += AsciiLower(w.substr(1));
    }
    located.set_dateline(std::string(prefix) + " " + std::string(TrimView(sep)));
    located.set_city(city);
    located.set_name(city);
    return;
  }
}

struct Doc {
  std::vector<TextLine> lines;
  std::vector<bool> used;
};

// Lines that end an article: comment sections, share bars, "more from" boxes, cookie banners
// (kHard); boxes that also sit inside articles and need not end them: "Related", "Read more" (kSoft).
enum class Marker { kNone, kSoft, kHard };
Marker EndMarker(const TextLine& l) {
  if (l.words > 14) return Marker::kNone;
  std::string s = AsciiLower(l.text);
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

long LineWeight(const TextLine& l) {
  bool ordered = false;
  std::string_view rest;
  if (l.boilerplate) return -5;
  if (const Marker m = EndMarker(l); m != Marker::kNone) return m == Marker::kHard ? -15 : -8;
  if (IsProseLine(l)) {
    // A long line without any sentence punctuation is a tag cloud or a keyword list, not prose.
    const bool punct = l.terminal || l.text.find(", ") != std::string::npos;
    if (!punct || (!l.terminal && std::count(l.text.begin(), l.text.end(), ',') * 4 > l.words)) {
      return -(3 + l.words / 4);
    }
    // Legal small print: disclaimers, trademarks, cookie and privacy notices.
    if (l.legal) return -(3 + l.words / 4);
    return l.words;
  }
  if (IsBulletLine(l.text, ordered, rest) && l.words >= 4) return l.words / 2;
  return -(3 + l.words / 2);
}

// A short meta line of a comment: "2 days ago at 08:12 am", "November 19, 2019 at 6:34 am".
bool IsCommentMetaLine(const TextLine& l) {
  if (l.words > 10 || IsProseLine(l)) return false;
  std::string s = AsciiLower(l.text);
  if (s.find(" ago") != std::string::npos) return true;
  auto d = ParseHumanDate(l.text, false);
  return d && d->has_time;
}

// A hard end marker at lines[i]. One sandwiched in a run of glued short lines is a share bar or a
// menu item ("Comments" between "Twitter" and "Print"), not the start of a section.
bool IsHardMarkerAt(const std::vector<TextLine>& lines, size_t i, size_t limit) {
  const bool sandwiched = i > 0 && i + 1 < limit && lines[i].words <= 3 && !lines[i].gap_before &&
                          !lines[i + 1].gap_before && lines[i - 1].words <= 3 && lines[i + 1].words <= 3;
  return !sandwiched && EndMarker(lines[i]) == Marker::kHard;
}

// The body region [begin, end): among the maximum-sum segments of line weights (prose lines weigh
// their word count, other lines a penalty), the best one, favouring a segment that a byline or a
// dateline introduces; then cut at the first end marker or comment/teaser run, and extended over a
// list that closes the article.
std::pair<size_t, size_t> FindBodyRegion(const std::vector<TextLine>& lines, size_t limit) {
  struct Segment {
    size_t begin, end;
    long sum;
    bool after_comments;  // a comment-section marker came before it
  };
  // A line printed twice on the page (a ticker, a teaser repeated in two boxes) is furniture.
  std::unordered_map<std::string_view, int> seen;
  for (size_t i = 0; i < limit; ++i) {
    if (lines[i].words >= 4) ++seen[lines[i].text];
  }
  auto weight = [&](size_t i) {
    const auto& l = lines[i];
    if (l.words >= 4 && IsProseLine(l) && seen[l.text] > 1) return -(3L + l.words / 4);
    return LineWeight(l);
  };
  std::vector<Segment> segs;
  long cur = 0, seg_best = 0;
  size_t cur_b = 0, seg_end = 0;
  bool comments_seen = false, seg_after_comments = false;
  long prose_so_far = 0;
  for (size_t i = 0; i < limit; ++i) {
    if (DeadlinePassed()) break;
    const bool hard = IsHardMarkerAt(lines, i, limit);
    if (cur <= 0 || hard) {
      if (seg_best > 0) segs.push_back({cur_b, seg_end, seg_best, seg_after_comments});
      cur = 0;
      seg_best = 0;
      cur_b = i;
      seg_after_comments = comments_seen;
    }
    if (hard) {
      // Hard markers split segments; what follows a comment marker is comments.
      std::string l = AsciiLower(lines[i].text);
      // (A comment counter in the article's header, before any prose, does not count.)
      if (prose_so_far < 50) {
        cur_b = i + 1;
        seg_after_comments = comments_seen;
        continue;
      }
      if (l.find("comment") != std::string::npos || l.find("repl") != std::string::npos ||
          l.find("response") != std::string::npos || l.find("conversation") != std::string::npos ||
          l.find("discussion") != std::string::npos || l.find("thoughts") != std::string::npos) {
        comments_seen = true;
      }
      cur_b = i + 1;
      seg_after_comments = comments_seen;
      continue;
    }
    const long w = weight(i);
    if (w > 0) prose_so_far += w;
    cur += w;
    if (cur > seg_best) {
      seg_best = cur;
      seg_end = i + 1;
    }
  }
  if (seg_best > 0) segs.push_back({cur_b, seg_end, seg_best, seg_after_comments});
  if (segs.empty()) return {0, 0};
  double best_score = -1;
  size_t b = 0, e = 0;
  for (const auto& sg : segs) {
    double score = static_cast<double>(sg.sum);
    if (sg.after_comments) score *= 0.1;
    for (size_t k = sg.begin; k > 0 && k + 6 > sg.begin; --k) {
      const auto& l = lines[k - 1];
      if (IsProseLine(l)) break;
      const std::string low = AsciiLower(l.text);
      if (!ParseBylineLine(l.text).empty() || ParseHumanDate(l.text, true) || low.rfind("by ", 0) == 0 ||
          low.rfind("posted by ", 0) == 0 || low.rfind("published ", 0) == 0 ||
          low.rfind("updated ", 0) == 0) {
        score *= 1.5;
        break;
      }
    }
    if (score > best_score) {
      best_score = score;
      b = sg.begin;
      e = sg.end;
    }
  }
  // Cut at the first end marker, comment run or teaser run once the article has begun.
  long prose_words = 0;
  int meta_lines = 0;
  size_t first_meta = 0;
  for (size_t i = b; i < e; ++i) {
    const auto& l = lines[i];
    if (prose_words >= 30 && IsHardMarkerAt(lines, i, limit)) {
      e = i;
      break;
    }
    if (prose_words >= 30 && IsCommentMetaLine(l)) {
      if (meta_lines++ == 0) first_meta = i;
      if (meta_lines >= 3) {
        e = first_meta;
        break;
      }
    }
    // Teasers: (title, one prose line) repeated four times.
    if (prose_words >= 30 && !IsProseLine(l) && l.words >= 3) {
      int pairs = 0;
      size_t k = i;
      while (k + 1 < e && !IsProseLine(lines[k]) && lines[k].words >= 3 && IsProseLine(lines[k + 1]) &&
             !lines[k + 1].gap_before && (k + 2 >= e || !IsProseLine(lines[k + 2]))) {
        ++pairs;
        k += 2;
      }
      if (pairs >= 4) {
        e = i;
        break;
      }
    }
    if (IsProseLine(l)) prose_words += l.words;
  }
  // A list that closes the article (tour dates, results): glued lines with numbers in them.
  if (e < limit && e > b) {
    size_t k = e;
    if (k < limit && !IsProseLine(lines[k]) && EndMarker(lines[k]) == Marker::kNone && k + 1 < limit &&
        !lines[k + 1].gap_before)
      ++k;  // its heading
    size_t run = 0, with_digits = 0, words = 0;
    size_t j = k;
    for (;
         j < limit && !IsProseLine(lines[j]) && EndMarker(lines[j]) == Marker::kNone && !lines[j].boilerplate;
         ++j) {
      if (j > k && lines[j].gap_before) break;
      ++run;
      words += static_cast<size_t>(lines[j].words);
      if (lines[j].text.find_first_of("0123456789") != std::string::npos) ++with_digits;
    }
    if (run >= 3 && words >= run * 4 && with_digits * 2 >= run) e = j;
  }
  return {b, e};
}

// A meta line of the article header: "Reuters November 18, 2019 11:03 PM", "By admin - 2018-09-16",
// "Nov 18, 2019 at 9:24 pm ET • 2 min read", share prompts. Never a headline.
bool IsMetaLine(const TextLine& l) {
  if (IsProseLine(l) || l.words > 20) return false;
  const std::string low = AsciiLower(l.text);
  for (std::string_view p :
       {"by ", "posted", "published", "updated", "written by", "share", "back to", "reading time",
        "tempo de leitura", "photo", "image", "video", "listen", "watch", "advertisement"}) {
    if (low.rfind(p, 0) == 0) return true;
  }
  for (std::string_view k : {" min read", "@", " \xE2\x80\xA2 ", "get short url", "sharing options",
                             "skip ad", "compensated by", "last updated", " ago"}) {
    if (low.find(k) != std::string::npos) return true;
  }
  return ParseHumanDate(l.text, false).has_value();
}

// "By Jane Doe - Nov 19, 2019", "Posted on 30 March 2015 by Jane Doe" -> "Jane Doe".
std::string MetaByline(std::string_view line) {
  const std::string low = AsciiLower(line);
  size_t p = low.rfind("by ", 0) == 0 ? 3 : low.find(" by ");
  if (p == std::string::npos) return "";
  if (p != 3) p += 4;
  std::string name;
  int words = 0;
  size_t i = p;
  while (i < line.size() && words < 4) {
    size_t e = line.find(' ', i);
    if (e == std::string_view::npos) e = line.size();
    std::string_view w = line.substr(i, e - i);
    i = e + 1;
    if (w.empty()) continue;
    bool stop = w == "-" || w == "|" || w == "on" || w == "\xE2\x80\xA2" || w == "\xE2\x80\x94" ||
                std::isdigit(static_cast<unsigned char>(w[0])) || MonthFromWord(w) || w == "Updated" ||
                w == "Published" || w == "Posted" || w == "and" || w == "|" || w == "in";
    if (stop) break;
    bool comma = w.back() == ',';
    if (comma) w.remove_suffix(1);
    if (!name.empty()) name += ' ';
    name += w;
    ++words;
    if (comma) break;
  }
  return IsNameLine(name) ? name : "";
}

bool TitleLike(const TextLine& l) {
  if (l.words < 2 || l.words > 30) return false;
  if (IsMetaLine(l)) return false;
  int alpha_words = 0;  // "1 / 23" (a gallery counter) is not a title
  for (size_t i = 0; i < l.text.size(); ++i) {
    const bool start = i == 0 || l.text[i - 1] == ' ';
    const unsigned char c = static_cast<unsigned char>(l.text[i]);
    if (start && (std::isalpha(c) || c >= 0xC3) && i + 1 < l.text.size() && l.text[i + 1] != ' ')
      ++alpha_words;
  }
  if (alpha_words < 2) return false;
  if (l.text.back() == ':' || l.text.back() == '.') return false;
  if (l.boilerplate || IsCopyrightLine(l.text)) return false;
  if (ParseHumanDate(l.text, true)) return false;
  if (!SectionPathFromLine(l.text).empty()) return false;
  if (!ParseBylineLine(l.text).empty()) return false;
  return true;
}

void AddBlock(v1::Article& out, v1::BlockType type, std::string_view text, bool ordered = false) {
  auto* b = out.add_body();
  b->set_type(type);
  b->set_text(std::string(text));
  if (ordered) b->set_ordered(true);
}

void SetAuthors(const std::vector<std::string>& names, v1::Article& out) {
  if (names.empty() || !out.authors().empty()) return;
  std::string joined;
  for (size_t i = 0; i < names.size(); ++i) {
    auto* p = out.add_authors();
    p->set_name(names[i]);
    if (i > 0) joined += i + 1 == names.size() ? " and " : ", ";
    joined += names[i];
  }
  out.set_byline(joined);
}

void SetTime(const HumanDate& d, v1::Article& out) {
  if (d.is_update) {
    if (!out.has_versioncreated()) SetTimestamp(d.seconds, out.mutable_versioncreated());
  } else if (!out.has_firstcreated()) {
    SetTimestamp(d.seconds, out.mutable_firstcreated());
  }
}

// Header: everything before the body region.
void DecodeHeader(const std::vector<TextLine>& lines, size_t begin, const Metadata& meta, v1::Article& out) {
  int date_idx = -1;
  for (size_t i = 0; i < begin; ++i) {
    const auto& l = lines[i];
    if (out.section_path().empty()) {
      auto path = SectionPathFromLine(l.text);
      for (auto& p : path) out.add_section_path(std::move(p));
      if (!path.empty()) continue;
    }
    if (auto d = ParseHumanDate(l.text, true)) {
      if (date_idx < 0 && !d->is_update) date_idx = static_cast<int>(i);
      SetTime(*d, out);
      continue;
    }
    if (meta.provider.empty() && out.provenance().provider().empty()) {
      std::string p = ProviderFromMasthead(l.text);
      if (!p.empty()) out.mutable_provenance()->set_provider(p);
    }
    if (!IsProseLine(l) && l.words <= 12) SetAuthors(ParseBylineLine(l.text), out);
    if (IsMetaLine(l)) {
      if (auto d = ParseHumanDate(l.text, false); d && !out.has_firstcreated() && !d->is_update) {
        SetTime(*d, out);
        if (date_idx < 0) date_idx = static_cast<int>(i);
      }
      if (std::string by = MetaByline(l.text); !by.empty()) SetAuthors({by}, out);
    }
  }

  // Headline.
  int headline_idx = -1;
  if (date_idx >= 0) {
    const size_t d = static_cast<size_t>(date_idx);
    const bool before_glued = d > 0 && !lines[d].gap_before && TitleLike(lines[d - 1]);
    if (before_glued) {
      headline_idx = date_idx - 1;
    } else {
      auto skippable = [&](size_t i) {
        return !ParseBylineLine(lines[i].text).empty() || ParseHumanDate(lines[i].text, true).has_value() ||
               IsMetaLine(lines[i]);
      };
      for (size_t i = d + 1; i < begin && i <= d + 3; ++i) {
        if (skippable(i)) continue;
        if (TitleLike(lines[i])) headline_idx = static_cast<int>(i);
        break;
      }
      if (headline_idx < 0 && d > 0) {
        for (size_t i = d; i-- > 0 && i + 5 > d;) {
          if (skippable(i)) continue;
          if (TitleLike(lines[i]) && lines[i].words >= 3) headline_idx = static_cast<int>(i);
          break;
        }
      }
    }
  }
  // Lines glued to the first paragraph (no blank line between) that are not prose.
  size_t glued_begin = begin;
  while (glued_begin > 0 && begin < lines.size() && !lines[glued_begin].gap_before &&
         static_cast<int>(glued_begin) - 1 > headline_idx && !IsProseLine(lines[glued_begin - 1]) &&
         !ParseHumanDate(lines[glued_begin - 1].text, true) &&
         ParseBylineLine(lines[glued_begin - 1].text).empty())
    --glued_begin;
  if (headline_idx < 0) {
    // The nearest title-like line above the first paragraph, leaving a caption pair alone.
    size_t stop = begin - glued_begin >= 2 && begin - glued_begin <= 3 ? begin - 2 : begin;
    if (begin - glued_begin == 3) headline_idx = static_cast<int>(glued_begin);
    for (size_t i = stop; headline_idx < 0 && i-- > 0;) {
      // Menu items sit in runs of glued short lines; a headline stands apart or leads its group.
      const bool in_nav_run = i > 0 && i + 1 < lines.size() && !lines[i].gap_before &&
                              !lines[i + 1].gap_before && lines[i - 1].words <= 4 &&
                              lines[i + 1].words <= 4 && !IsProseLine(lines[i + 1]);
      if (TitleLike(lines[i]) && lines[i].words >= 3 && !in_nav_run && EndMarker(lines[i]) == Marker::kNone) {
        headline_idx = static_cast<int>(i);
        break;
      }
      if (stop - i > 12) break;
    }
  }
  if (headline_idx >= 0) out.set_headline(lines[static_cast<size_t>(headline_idx)].text);

  // What sits between the headline and the first paragraph.
  size_t from = std::max(glued_begin, static_cast<size_t>(headline_idx + 1));
  size_t n = begin > from ? begin - from : 0;
  if (n == 2) {
    auto* c = out.add_captions();
    c->set_text(lines[from].text);
    c->set_secondary(lines[from + 1].text);
  } else if (n == 1 && lines[from].words >= 8) {
    out.set_standfirst(lines[from].text);
  }
}

struct FooterState {
  ListHeader mode = ListHeader::kNone;
  std::string pending_date, pending_section;
};

// Footer and list lines: related links, media items, copyright. Returns true when consumed.
bool DecodeFooterLine(const std::vector<TextLine>& lines, size_t& i, FooterState& st, v1::Article& out) {
  const auto& l = lines[i];
  if (auto kind = ListHeaderKind(l.text); kind != ListHeader::kNone) {
    st.mode = kind;
    st.pending_date.clear();
    st.pending_section.clear();
    return true;
  }
  if (IsCopyrightLine(l.text)) {
    if (out.copyright_notice().empty() && l.words <= 20) out.set_copyright_notice(l.text);
    return true;
  }
  if (l.boilerplate) {
    st.mode = ListHeader::kNone;
    return true;
  }
  if (st.mode == ListHeader::kSeeAlso) {
    std::string date, section;
    if (ParseDateSectionLine(l.text, date, section)) {
      st.pending_date = date;
      st.pending_section = section;
      return true;
    }
    if (!IsProseLine(l) && l.words <= 20) {
      auto* r = out.add_related();
      r->set_title(l.text);
      r->set_date(st.pending_date);
      r->set_section(st.pending_section);
      st.pending_date.clear();
      st.pending_section.clear();
      return true;
    }
    st.mode = ListHeader::kNone;
  } else if (st.mode == ListHeader::kInternetLinks) {
    if (!IsProseLine(l) && l.words <= 12) {
      out.add_related()->set_title(l.text);
      return true;
    }
    st.mode = ListHeader::kNone;
  }
  // A media item: a short label glued to a quoted line ("The BBC's X" / "\"quote\"").
  if (i + 1 < lines.size() && !lines[i + 1].gap_before && l.words <= 8 && !IsProseLine(l)) {
    std::string_view q = lines[i + 1].text;
    std::string_view inner = StripQuotes(q);
    if (inner.size() < q.size() && lines[i + 1].words <= 30) {
      auto* m = out.add_media();
      m->set_title(l.text);
      m->set_description(std::string(inner));
      ++i;
      return true;
    }
  }
  return false;
}

void DecodeRegion(const std::vector<TextLine>& lines, size_t begin, size_t end, v1::Article& out) {
  FooterState st;
  bool first_para = true;
  bool in_list = false;
  for (size_t i = begin; i < end; ++i) {
    if (DeadlinePassed()) break;
    const auto& l = lines[i];
    if (IsProseLine(l) || l.gap_before) in_list = false;
    const TextLine* next = i + 1 < lines.size() ? &lines[i + 1] : nullptr;
    const TextLine* next2 = i + 2 < lines.size() ? &lines[i + 2] : nullptr;
    if (ListHeaderKind(l.text) != ListHeader::kNone) {
      // A related-links list inside the region: consume it up to the next prose line.
      st.mode = ListHeaderKind(l.text);
      while (i + 1 < end && !IsProseLine(lines[i + 1])) {
        ++i;
        DecodeFooterLine(lines, i, st, out);
      }
      st.mode = ListHeader::kNone;
      continue;
    }
    if (l.boilerplate) continue;
    if (EndMarker(l) != Marker::kNone && !IsProseLine(l)) {
      // A "Related" / "Read more" box inside the article: the marker and its glued items go.
      while (i + 1 < end && !lines[i + 1].gap_before && !IsProseLine(lines[i + 1])) ++i;
      continue;
    }
    if (IsCopyrightLine(l.text) && !IsProseLine(l)) {
      if (out.copyright_notice().empty()) out.set_copyright_notice(l.text);
      continue;
    }
    // Pull quote: a line, then a name line, then prose.
    if (next && next2 && l.words <= 40 && i + 2 < end + 1) {
      std::string_view name = next->text;
      while (!name.empty() && (name.front() == '-' || static_cast<unsigned char>(name.front()) == 0xE2)) {
        if (name.front() == '-')
          name.remove_prefix(1);
        else if (name.size() >= 3)
          name.remove_prefix(3);
        else
          break;
        while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
      }
      if (IsNameLine(name) && IsProseLine(*next2) && (!IsProseLine(l) || !next2->gap_before) &&
          !IsNameLine(l.text)) {
        auto* q = out.add_pull_quotes();
        q->set_text(std::string(StripQuotes(l.text)));
        q->set_attribution(std::string(name));
        ++i;
        continue;
      }
    }
    bool ordered = false;
    std::string_view item;
    if (IsBulletLine(l.text, ordered, item)) {
      AddBlock(out, v1::BLOCK_TYPE_LIST_ITEM, item, ordered);
      continue;
    }
    if (IsProseLine(l)) {
      if (first_para) {
        DetectDateline(l.text, *out.mutable_located());
        first_para = false;
      }
      AddBlock(out, v1::BLOCK_TYPE_PARAGRAPH, l.text);
      continue;
    }
    // Caption: two short lines glued together and to the paragraph that follows.
    if (next && next2 && !next->gap_before && !next2->gap_before && !IsProseLine(*next) &&
        IsProseLine(*next2) && l.words <= 30 && next->words <= 30) {
      auto* c = out.add_captions();
      c->set_text(l.text);
      c->set_secondary(next->text);
      ++i;
      continue;
    }
    // Subheading: a short line on its own before prose.
    // A run of three or more glued short lines inside the article is a list.
    if (!l.boilerplate) {
      size_t k = i + 1;
      while (k < end && !IsProseLine(lines[k]) && !lines[k].gap_before) ++k;
      const bool continues = in_list && !l.gap_before;
      if (k - i >= 3 || continues) {
        AddBlock(out, v1::BLOCK_TYPE_LIST_ITEM, l.text);
        in_list = true;
        continue;
      }
    }
    bool next_ordered = false;
    std::string_view next_item;
    if (l.words <= 12 && next && l.text.back() != ':' &&
        (IsProseLine(*next) || IsBulletLine(next->text, next_ordered, next_item))) {
      AddBlock(out, v1::BLOCK_TYPE_SUBHEADING, l.text);
      continue;
    }
    if (!ParseBylineLine(l.text).empty() && l.words <= 12) {
      SetAuthors(ParseBylineLine(l.text), out);
      continue;
    }
    if (l.words >= 8) AddBlock(out, v1::BLOCK_TYPE_PARAGRAPH, l.text);
  }
}

}  // namespace

Status DecodeText(std::string_view bytes, const Metadata& meta, const Limits& limits, v1::Article& out) {
  // Every step is linear in the input; the time limit is checked between them.
  const int64_t deadline = DeadlineFor(limits);
  auto over_time = [&]() { return PastDeadline(deadline); };
  const Error timeout{v1::ERROR_CODE_TIMEOUT,
                      "text decoding took longer than " + std::to_string(limits.max_millis) + " ms"};
  std::string charset;
  auto utf8 = ToUtf8(bytes, meta.charset, &charset);
  if (!utf8.ok()) return utf8.error();
  out.mutable_provenance()->set_charset(charset);
  const std::vector<TextLine> lines = SplitTextLines(utf8.value());
  if (over_time()) return timeout;
  if (lines.empty()) return OkStatus();

  size_t limit = lines.size();
  auto [begin, end] = FindBodyRegion(lines, limit);
  if (over_time()) return timeout;
  if (end == 0) {
    // No prose at all: the first line is the headline, the rest are paragraphs.
    out.set_headline(lines[0].text);
    for (size_t i = 1; i < lines.size(); ++i) {
      if (DeadlinePassed()) return timeout;
      if (!lines[i].boilerplate) AddBlock(out, v1::BLOCK_TYPE_PARAGRAPH, lines[i].text);
    }
    return OkStatus();
  }
  DecodeHeader(lines, begin, meta, out);
  DecodeRegion(lines, begin, end, out);
  if (over_time()) return timeout;
  FooterState st;
  for (size_t i = end; i < lines.size(); ++i) {
    if (DeadlinePassed()) return timeout;
    const auto& l = lines[i];
    if (DecodeFooterLine(lines, i, st, out)) continue;
    if (auto d = ParseHumanDate(l.text, true); d) {
      SetTime(*d, out);
      continue;
    }
  }
  if (out.headline().empty()) {
    for (const auto& l : lines) {
      if (TitleLike(l)) {
        out.set_headline(l.text);
        break;
      }
    }
  }
  if (meta.provider.empty() && out.provenance().provider().empty() && !out.copyright_notice().empty()) {
    // "© BBC MMI" / "Copyright 2001 The Example Times" -> the owner.
    std::string c = out.copyright_notice();
    for (std::string_view strip : {"\xC2\xA9", "Copyright", "copyright", "(c)"}) {
      for (size_t p; (p = c.find(strip)) != std::string::npos;) c.erase(p, strip.size());
    }
    std::vector<std::string> words = SplitOn(c, " ,.");
    std::string owner;
    for (const auto& w : words) {
      if (std::isdigit(static_cast<unsigned char>(w[0])) || w == "MMI" || w == "MMII" ||
          AsciiLower(w) == "all") {
        if (!owner.empty() && AsciiLower(w) == "all") break;
        continue;
      }
      if (!owner.empty()) owner += ' ';
      owner += w;
    }
    if (!owner.empty() && owner.size() < 60) out.mutable_provenance()->set_provider(owner);
  }
  return OkStatus();
}

}  // namespace copydesk::normalize::internal
