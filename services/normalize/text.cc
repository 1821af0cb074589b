// The text/plain decoder. Two shapes arrive as text/plain:
//  - an event, as a wire or a CMS sends a story: a title line, a blank line, the story. Its title
//    is the headline whatever its punctuation, and every line after it is the story, short lines
//    (figures, a correction note, the reporter's credit) included, up to the first line of page
//    furniture (IsEventShape, EventBodyEnd in text_region.cc);
//  - a page dump, as a crawler or a browser's innerText hands a page over: navigation, captions,
//    pull quotes, subheads, lists and footers mixed into plain lines.
// Everything is decided by line shape, never by site:
//  1. the body region is the run of lines with the most prose in it (text_region.cc: a
//     maximum-sum segment; prose lines weigh their word count, list blocks their words, other
//     lines a penalty), cut at the article's end and extended over a list that closes it;
//  2. the header before it gives the headline, dateline time, section path ("You are in:"),
//     provider, byline and a caption glued to the first paragraph (text_header.cc);
//  3. inside the region short lines become subheadings, captions (two short lines glued to a
//     paragraph, a picture's credit), pull quotes (a line followed by a name line), list items or
//     paragraphs;
//  4. the footer gives media items, "See also" related links and the copyright line.
// The numbers behind these choices are TextParams (text_decode.h), fitted on text dumps of the
// extraction benchmark's pages and checked across halves of them (tests/bench/textdump_twins.py).
#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>
#include <vector>

#include "normalize/ascii.h"
#include "normalize/deadline.h"
#include "normalize/internal.h"
#include "normalize/text_decode.h"

namespace copydesk::normalize::internal {
namespace {

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

void AddBlock(v1::Article& out, v1::BlockType type, std::string_view text, bool ordered = false) {
  auto* b = out.add_body();
  b->set_type(type);
  b->set_text(std::string(text));
  if (ordered) b->set_ordered(true);
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

// The attribution when `l` is a pull quote: a line of up to 40 words, then a name line ("- Jane
// Doe", "Tony Blair, Prime Minister"), then prose.
std::string_view PullQuoteName(const TextLine& l, const TextLine& next, const TextLine& next2) {
  if (l.words > 40) return {};
  std::string_view name = next.text;
  while (!name.empty() && (name.front() == '-' || static_cast<unsigned char>(name.front()) == 0xE2)) {
    if (name.front() == '-')
      name.remove_prefix(1);
    else if (name.size() >= 3)
      name.remove_prefix(3);
    else
      break;
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  }
  if (IsNameLine(name) && IsProseLine(next2) && (!IsProseLine(l) || !next2.gap_before) && !IsNameLine(l.text))
    return name;
  return {};
}

// Lines that leave the flow of the body: a related-links list, boilerplate, a "Related" box and
// its items, a copyright line, a date on a line of its own (the article's time). Returns true when
// lines[i] is taken; `i` then is the last line taken.
bool TakeOutOfFlow(const std::vector<TextLine>& lines, size_t& i, size_t end, std::string_view zone,
                   v1::Article& out) {
  const auto& l = lines[i];
  if (const ListHeader kind = ListHeaderKind(l.text); kind != ListHeader::kNone) {
    FooterState st;
    st.mode = kind;
    while (i + 1 < end && !IsProseLine(lines[i + 1])) {
      ++i;
      DecodeFooterLine(lines, i, st, out);
    }
    return true;
  }
  if (l.boilerplate) return true;
  if (IsProseLine(l)) return false;
  if (EndMarker(l) != Marker::kNone) {
    while (i + 1 < end && !lines[i + 1].gap_before && !IsProseLine(lines[i + 1])) ++i;
    return true;
  }
  if (IsCopyrightLine(l.text)) {
    if (out.copyright_notice().empty()) out.set_copyright_notice(l.text);
    return true;
  }
  if (!HasDigit(l.text)) return false;  // a date has a day or a year
  if (auto d = ParseHumanDate(l.text, true)) {
    SetTime(*d, zone, out);
    return true;
  }
  return false;
}

// Pull quotes and credits, which a page dump has and an event does not.
bool TakeLayout(const std::vector<TextLine>& lines, size_t& i, size_t end, v1::Article& out) {
  const auto& l = lines[i];
  if (i + 2 < lines.size() && i + 1 < end) {
    if (std::string_view name = PullQuoteName(l, lines[i + 1], lines[i + 2]); !name.empty()) {
      auto* q = out.add_pull_quotes();
      q->set_text(std::string(StripQuotes(l.text)));
      q->set_attribution(std::string(name));
      ++i;
      return true;
    }
  }
  if (IsCreditLine(l)) {
    out.add_captions()->set_text(l.text);
    return true;
  }
  return false;
}

// A line that is not prose: a caption pair glued to the next paragraph, an item of a run of glued
// short lines, a byline, a subheading before prose or a list, or a paragraph of `keep_words` words
// or more.
void DecodeShortLine(const std::vector<TextLine>& lines, size_t& i, size_t end, int keep_words, bool& in_list,
                     v1::Article& out) {
  const auto& l = lines[i];
  const TextLine* next = i + 1 < lines.size() ? &lines[i + 1] : nullptr;
  const TextLine* next2 = i + 2 < lines.size() ? &lines[i + 2] : nullptr;
  if (next && next2 && !next->gap_before && !next2->gap_before && !IsProseLine(*next) &&
      IsProseLine(*next2) && l.words <= 30 && next->words <= 30) {
    auto* c = out.add_captions();
    c->set_text(l.text);
    c->set_secondary(next->text);
    ++i;
    return;
  }
  size_t k = i + 1;
  while (k < end && !IsProseLine(lines[k]) && !lines[k].gap_before) ++k;
  if (k - i >= 3 || (in_list && !l.gap_before)) {
    AddBlock(out, v1::BLOCK_TYPE_LIST_ITEM, l.text);
    in_list = true;
    return;
  }
  if (l.words <= 12) {
    if (auto names = ParseBylineLine(l.text); !names.empty()) {
      SetAuthors(names, out);
      return;
    }
  }
  bool ordered = false;
  std::string_view item;
  if (l.words <= 12 && next && l.text.back() != ':' &&
      (IsProseLine(*next) || IsBulletLine(next->text, ordered, item))) {
    AddBlock(out, v1::BLOCK_TYPE_SUBHEADING, l.text);
    return;
  }
  if (l.words >= keep_words) AddBlock(out, v1::BLOCK_TYPE_PARAGRAPH, l.text);
}

// The body region's lines as blocks. `event`: the text is a text/plain event (a title, a blank line,
// the story), whose every line is the story: short lines are kept, none is a pull quote or a credit.
void DecodeRegion(const std::vector<TextLine>& lines, size_t begin, size_t end, const TextParams& params,
                  bool event, std::string_view zone, v1::Article& out) {
  const int keep_words = event ? 1 : params.keep_short_words;
  bool first_para = true;
  bool in_list = false;
  for (size_t i = begin; i < end; ++i) {
    if (DeadlinePassed()) break;
    const auto& l = lines[i];
    if (IsProseLine(l) || l.gap_before) in_list = false;
    if (TakeOutOfFlow(lines, i, end, zone, out)) continue;
    if (!event && TakeLayout(lines, i, end, out)) continue;
    bool ordered = false;
    std::string_view item;
    if (IsBulletLine(l.text, ordered, item)) {
      AddBlock(out, v1::BLOCK_TYPE_LIST_ITEM, item, ordered);
    } else if (IsProseLine(l)) {
      if (first_para) DetectDateline(l.text, *out.mutable_located());
      first_para = false;
      AddBlock(out, v1::BLOCK_TYPE_PARAGRAPH, l.text);
    } else {
      DecodeShortLine(lines, i, end, keep_words, in_list, out);
    }
  }
}

}  // namespace

Status DecodeTextWith(std::string_view bytes, const Metadata& meta, const Limits& limits,
                      const TextParams& params, v1::Article& out) {
  // Every step is linear in the input; the time limit is checked between them.
  const int64_t deadline = DeadlineFor(limits);
  auto over_time = [&]() { return PastDeadline(deadline); };
  const Error timeout{v1::ERROR_CODE_TIMEOUT,
                      "text decoding took longer than " + std::to_string(limits.max_millis) + " ms"};
  std::string charset;
  auto utf8 = ToUtf8(bytes, meta.charset, &charset);
  if (!utf8.ok()) return utf8.error();
  out.mutable_provenance()->set_charset(charset);
  std::vector<TextLine> lines = SplitTextLines(utf8.value());
  if (params.prose_min_words != kProseMinWords || params.prose_run_words != kProseRunWords)
    MarkProse(lines, params.prose_min_words, params.prose_run_words);
  if (over_time()) return timeout;
  if (lines.empty()) return OkStatus();

  auto [begin, end] = FindBodyRegion(lines, params);
  if (over_time()) return timeout;
  const bool event = IsEventShape(lines, begin);
  if (end == 0) {
    // No prose at all: the first line is the headline, the rest are paragraphs.
    out.set_headline(lines[0].text);
    for (size_t i = 1; i < lines.size(); ++i) {
      if (DeadlinePassed()) return timeout;
      if (!lines[i].boilerplate) AddBlock(out, v1::BLOCK_TYPE_PARAGRAPH, lines[i].text);
    }
    return OkStatus();
  }
  if (event) {
    // The title line is the headline whatever its punctuation; the story runs from the next line
    // to the first line of page furniture after the region.
    out.set_headline(lines[0].text);
    begin = 1;
    end = EventBodyEnd(lines, std::max<size_t>(end, 1));
  } else {
    DecodeHeader(lines, begin, meta, out);
  }
  DecodeRegion(lines, begin, end, params, event, meta.timezone, out);
  if (over_time()) return timeout;
  FooterState st;
  for (size_t i = end; i < lines.size(); ++i) {
    if (DeadlinePassed()) return timeout;
    const auto& l = lines[i];
    if (DecodeFooterLine(lines, i, st, out)) continue;
    if (auto d = ParseHumanDate(l.text, true); d) {
      SetTime(*d, meta.timezone, out);
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

namespace {

struct ParamField {
  std::string_view name;
  int TextParams::*field;
  int min, max;
};
constexpr ParamField kParamFields[] = {
    {"prose_min_words", &TextParams::prose_min_words, 1, 100},
    {"prose_run_words", &TextParams::prose_run_words, 1, 1000},
    {"short_base", &TextParams::short_base, 0, 100},
    {"short_slope", &TextParams::short_slope, 1, 100},
    {"keep_short_words", &TextParams::keep_short_words, 0, 1000},
    {"list_min_lines", &TextParams::list_min_lines, 1, 1000},
    {"list_mean_words10", &TextParams::list_mean_words10, 0, 1000},
    {"list_digit_pct", &TextParams::list_digit_pct, 0, 100},
    {"list_weight_pct", &TextParams::list_weight_pct, -100, 200},
};

}  // namespace

bool SetTextParam(TextParams& params, std::string_view name, int value) {
  for (const auto& f : kParamFields) {
    if (f.name == name && value >= f.min && value <= f.max) {
      params.*f.field = value;
      return true;
    }
  }
  return false;
}

std::vector<std::pair<std::string, int>> TextParamList(const TextParams& params) {
  std::vector<std::pair<std::string, int>> out;
  for (const auto& f : kParamFields) out.emplace_back(std::string(f.name), params.*f.field);
  return out;
}

Status DecodeText(std::string_view bytes, const Metadata& meta, const Limits& limits, v1::Article& out) {
  return DecodeTextWith(bytes, meta, limits, TextParams{}, out);
}

}  // namespace copydesk::normalize::internal
