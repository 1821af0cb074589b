// The body region of a text dump: the run of lines with the most prose in it.
#include <algorithm>
#include <cctype>
#include <iterator>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "normalize/ascii.h"
#include "normalize/text_decode.h"

namespace copydesk::normalize::internal {
namespace {

// Legal small print is a notice of a few sentences; a longer line that names a trademark or the
// terms and conditions is prose about them.
constexpr int kLegalMaxWords = 80;

bool IsLegalNotice(const TextLine& l) {
  return l.legal && l.words <= kLegalMaxWords;
}

long LineWeight(const TextLine& l, const TextParams& params) {
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
    if (IsLegalNotice(l)) return -(3 + l.words / 4);
    return l.words;
  }
  if (IsBulletLine(l.text, ordered, rest) && l.words >= 4) return l.words / 2;
  return -(params.short_base + l.words / params.short_slope);
}

// "2 days ago", "an hour ago", "5h ago": a count (or "a"/"an"), a unit of time, "ago". Not
// "up 21 percent from year ago".
bool HasRelativeTime(std::string_view line) {
  const std::string s = AsciiLower(line);
  std::vector<std::string_view> w;
  for (size_t pos = 0; pos < s.size();) {
    size_t e = s.find(' ', pos);
    if (e == std::string::npos) e = s.size();
    std::string_view t = std::string_view(s).substr(pos, e - pos);
    while (!t.empty() && !std::isalnum(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
    w.push_back(t);
    pos = e + 1;
  }
  auto number = [](std::string_view t) {
    return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  static constexpr std::string_view kUnits[] = {
      "sec",  "secs",  "second", "seconds", "min",  "mins",  "minute", "minutes", "hr",   "hrs",
      "hour", "hours", "day",    "days",    "week", "weeks", "month",  "months",  "year", "years"};
  for (size_t i = 1; i < w.size(); ++i) {
    if (w[i] != "ago") continue;
    const std::string_view unit = w[i - 1];
    if (unit.size() >= 2 && number(unit.substr(0, unit.size() - 1)) &&
        std::string_view("smhdwy").find(unit.back()) != std::string_view::npos)
      return true;  // "5h ago"
    const bool is_unit = std::find(std::begin(kUnits), std::end(kUnits), unit) != std::end(kUnits);
    if (is_unit && i >= 2 && (number(w[i - 2]) || w[i - 2] == "a" || w[i - 2] == "an")) return true;
  }
  return false;
}

// A short meta line of a comment: "2 days ago at 08:12 am", "November 19, 2019 at 6:34 am".
bool IsCommentMetaLine(const TextLine& l) {
  if (l.words > 10 || IsProseLine(l)) return false;
  if (HasRelativeTime(l.text)) return true;
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

// Page furniture that never opens a story: boilerplate, an end marker, a list header, a copyright line.
bool IsPageFurniture(const TextLine& l) {
  return l.boilerplate || EndMarker(l) != Marker::kNone || ListHeaderKind(l.text) != ListHeader::kNone ||
         (IsCopyrightLine(l.text) && !IsProseLine(l));
}

// What may follow a story and is no part of it: page furniture, legal small print, a comment's time.
bool IsTrailingFurniture(const TextLine& l) {
  return IsPageFurniture(l) || IsLegalNotice(l) || IsCommentMetaLine(l);
}

}  // namespace

bool IsEventShape(const std::vector<TextLine>& lines, size_t begin) {
  // A headline longer than this is a caption or a teaser (Reuters titles have at most 13 words).
  constexpr int kMaxTitleWords = 20;
  if (lines.size() < 2 || !lines[1].gap_before) return false;
  const TextLine& title = lines[0];
  if (title.words > kMaxTitleWords || IsPageFurniture(title) || !SectionPathFromLine(title.text).empty() ||
      ParseHumanDate(title.text, true) || !ParseBylineLine(title.text).empty())
    return false;
  // At most one line (a correction note, a byline) before the first paragraph: a page whose header
  // has more is a page.
  if (begin > 2) return false;
  for (size_t i = 1; i < begin && i < lines.size(); ++i) {
    if (!lines[i].gap_before || IsPageFurniture(lines[i]) || !SectionPathFromLine(lines[i].text).empty())
      return false;
  }
  return true;
}

size_t EventBodyEnd(const std::vector<TextLine>& lines, size_t end) {
  while (end < lines.size() && lines[end].gap_before &&
         (end + 1 == lines.size() || lines[end + 1].gap_before) && !IsTrailingFurniture(lines[end]))
    ++end;
  return end;
}

namespace {

struct Segment {
  size_t begin, end;
  long sum;
  bool after_comments;  // a comment-section marker came before it
};

// List blocks: runs of glued lines (no blank line between them, as a browser prints a list's
// items) of at least `list_min_lines` lines, averaging at least `list_mean_words10` / 10 words, with
// digits in at least `list_digit_pct` % of them and no boilerplate: product features, ingredients,
// standings, tour dates. Menus and share bars are runs of one- and two-word lines. Marks the
// non-prose lines of such blocks.
std::vector<char> ListLines(const std::vector<TextLine>& lines, const TextParams& params) {
  std::vector<char> marks(lines.size(), 0);
  for (size_t s = 0; s < lines.size();) {
    size_t t = s + 1;
    while (t < lines.size() && !lines[t].gap_before) ++t;
    size_t words = 0, digits = 0, furniture = 0;
    for (size_t i = s; i < t; ++i) {
      words += static_cast<size_t>(lines[i].words);
      digits += HasDigit(lines[i].text) ? 1 : 0;
      furniture += lines[i].boilerplate || EndMarker(lines[i]) != Marker::kNone ? 1 : 0;
    }
    const size_t n = t - s;
    if (n >= static_cast<size_t>(params.list_min_lines) && words * 10 >= n * params.list_mean_words10 &&
        digits * 100 >= n * params.list_digit_pct && furniture == 0) {
      for (size_t i = s; i < t; ++i) marks[i] = !IsProseLine(lines[i]);
    }
    s = t;
  }
  return marks;
}

// Line weights: a prose line its word count, a line of a list block `list_weight_pct` % of it,
// other lines (a picture's credit or caption among them) a penalty. A line printed twice on the page (a
// ticker, a teaser repeated in two boxes) is furniture.
std::vector<long> LineWeights(const std::vector<TextLine>& lines, const std::vector<char>& list_lines,
                              const TextParams& params) {
  std::unordered_map<std::string_view, int> seen;
  for (const auto& l : lines) {
    if (l.words >= 4) ++seen[l.text];
  }
  std::vector<long> w(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    if (l.words >= 4 && IsProseLine(l) && seen[l.text] > 1) {
      w[i] = -(3L + l.words / 4);
    } else if (IsCreditLine(l)) {
      w[i] = -(params.short_base + l.words / params.short_slope);
    } else if (list_lines[i] && params.list_weight_pct >= 0) {
      w[i] = static_cast<long>(l.words) * params.list_weight_pct / 100;
    } else {
      w[i] = LineWeight(l, params);
    }
  }
  return w;
}

// The maximum-sum segments of the weights. Hard end markers split segments; what follows a comment
// marker is comments (a comment counter in the header, before any prose, does not count).
std::vector<Segment> MaxSumSegments(const std::vector<TextLine>& lines, const std::vector<long>& weights) {
  std::vector<Segment> segs;
  long cur = 0, seg_best = 0;
  size_t cur_b = 0, seg_end = 0;
  bool comments_seen = false, seg_after_comments = false;
  long prose_so_far = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const bool hard = IsHardMarkerAt(lines, i, lines.size());
    if (cur <= 0 || hard) {
      if (seg_best > 0) segs.push_back({cur_b, seg_end, seg_best, seg_after_comments});
      cur = 0;
      seg_best = 0;
      cur_b = i;
      seg_after_comments = comments_seen;
    }
    if (hard) {
      if (prose_so_far >= 50) {
        const std::string l = AsciiLower(lines[i].text);
        for (std::string_view k : {"comment", "repl", "response", "conversation", "discussion", "thoughts"}) {
          comments_seen = comments_seen || l.find(k) != std::string::npos;
        }
      }
      cur_b = i + 1;
      seg_after_comments = comments_seen;
      continue;
    }
    const long w = weights[i];
    if (w > 0) prose_so_far += w;
    cur += w;
    if (cur > seg_best) {
      seg_best = cur;
      seg_end = i + 1;
    }
  }
  if (seg_best > 0) segs.push_back({cur_b, seg_end, seg_best, seg_after_comments});
  return segs;
}

// The best segment: the largest sum, a tenth of it after comments, half as much again when a byline
// or a dateline introduces it.
std::pair<size_t, size_t> BestSegment(const std::vector<TextLine>& lines, const std::vector<Segment>& segs) {
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
  return {b, e};
}

// The end of the article inside [b, e): the first end marker, comment run or teaser run once 30
// words of prose have passed.
size_t CutAtEnd(const std::vector<TextLine>& lines, size_t b, size_t e) {
  long prose_words = 0;
  int meta_lines = 0;
  size_t first_meta = 0;
  for (size_t i = b; i < e; ++i) {
    const auto& l = lines[i];
    if (prose_words >= 30 && IsHardMarkerAt(lines, i, lines.size())) return i;
    if (prose_words >= 30 && IsCommentMetaLine(l)) {
      if (meta_lines++ == 0) first_meta = i;
      if (meta_lines >= 3) return first_meta;
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
      if (pairs >= 4) return i;
    }
    if (IsProseLine(l)) prose_words += l.words;
  }
  return e;
}

// A list that closes the article (results, ingredients, product features): list blocks right after
// `e`, the first one perhaps under a heading line.
size_t ExtendOverLists(const std::vector<TextLine>& lines, const std::vector<char>& list_lines, size_t e) {
  size_t k = e;
  if (k + 1 < lines.size() && !list_lines[k] && list_lines[k + 1] && !IsProseLine(lines[k]) &&
      EndMarker(lines[k]) != Marker::kHard && !lines[k].boilerplate)
    ++k;  // its heading
  if (k >= lines.size() || !list_lines[k]) return e;
  while (k < lines.size() && list_lines[k]) ++k;
  return k;
}

}  // namespace

// The body region [begin, end): among the maximum-sum segments of line weights, the best one; then
// cut at the first end marker or comment/teaser run, and extended over a list that closes the
// article.
std::pair<size_t, size_t> FindBodyRegion(const std::vector<TextLine>& lines, const TextParams& params) {
  const std::vector<char> list_lines = ListLines(lines, params);
  const std::vector<Segment> segs = MaxSumSegments(lines, LineWeights(lines, list_lines, params));
  if (segs.empty()) return {0, 0};
  auto [b, e] = BestSegment(lines, segs);
  e = CutAtEnd(lines, b, e);
  if (e > b && e < lines.size()) e = ExtendOverLists(lines, list_lines, e);
  return {b, e};
}

}  // namespace copydesk::normalize::internal
