// The text decoder's header: what stands above the body region (headline, times, section path,
// provider, byline, a standfirst or a caption) and the dateline of the first paragraph.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "normalize/ascii.h"
#include "normalize/text_decode.h"

namespace copydesk::normalize::internal {
namespace {

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

// A headline may end in an abbreviation ("... with the U.S.", "... Louisiana Gov."): a last word
// with a second period in it, or a capitalized word of at most four letters before the period.
bool EndsWithAbbreviation(std::string_view s) {
  std::string_view w = s.substr(s.rfind(' ') == std::string_view::npos ? 0 : s.rfind(' ') + 1);
  if (w.size() < 2 || w.back() != '.') return false;
  w.remove_suffix(1);
  if (std::none_of(w.begin(), w.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); }))
    return false;  // "..." or "11.18."
  if (w.find('.') != std::string_view::npos) return true;
  if (w.size() > 4 || !(w[0] >= 'A' && w[0] <= 'Z')) return false;
  return std::all_of(w.begin() + 1, w.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

}  // namespace

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
  if (l.text.back() == ':' || (l.text.back() == '.' && !EndsWithAbbreviation(l.text))) return false;
  if (l.boilerplate || IsCreditLine(l) || IsCopyrightLine(l.text)) return false;
  if (ParseHumanDate(l.text, true)) return false;
  if (!SectionPathFromLine(l.text).empty()) return false;
  if (!ParseBylineLine(l.text).empty()) return false;
  return true;
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

void SetTime(const HumanDate& d, std::string_view zone, v1::Article& out) {
  if (d.is_update) {
    if (!out.has_versioncreated()) SetTimestamp(ToUtcSeconds(d, zone), out.mutable_versioncreated());
  } else if (!out.has_firstcreated()) {
    SetTimestamp(ToUtcSeconds(d, zone), out.mutable_firstcreated());
  }
}

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

namespace {

// The metadata lines of the header: section path, times, provider masthead, bylines. Returns the
// index of the first line with the first publication time, or -1.
int DecodeHeaderMeta(const std::vector<TextLine>& lines, size_t begin, const Metadata& meta,
                     v1::Article& out) {
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
      SetTime(*d, meta.timezone, out);
      continue;
    }
    if (meta.provider.empty() && out.provenance().provider().empty()) {
      std::string p = ProviderFromMasthead(l.text);
      if (!p.empty()) out.mutable_provenance()->set_provider(p);
    }
    if (!IsProseLine(l) && l.words <= 12) SetAuthors(ParseBylineLine(l.text), out);
    if (IsMetaLine(l)) {
      if (auto d = ParseHumanDate(l.text, false); d && !out.has_firstcreated() && !d->is_update) {
        SetTime(*d, meta.timezone, out);
        if (date_idx < 0) date_idx = static_cast<int>(i);
      }
      if (std::string by = MetaByline(l.text); !by.empty()) SetAuthors({by}, out);
    }
  }
  return date_idx;
}

// The headline next to the dateline at `d`: a title glued above it, else the first title below it
// past bylines and meta lines, else the nearest above. -1 when there is none.
int HeadlineNearDate(const std::vector<TextLine>& lines, size_t begin, size_t d) {
  if (d > 0 && !lines[d].gap_before && TitleLike(lines[d - 1])) return static_cast<int>(d) - 1;
  auto skippable = [&](size_t i) {
    return !ParseBylineLine(lines[i].text).empty() || ParseHumanDate(lines[i].text, true).has_value() ||
           IsMetaLine(lines[i]);
  };
  for (size_t i = d + 1; i < begin && i <= d + 3; ++i) {
    if (skippable(i)) continue;
    if (TitleLike(lines[i])) return static_cast<int>(i);
    break;
  }
  for (size_t i = d; i-- > 0 && i + 5 > d;) {
    if (skippable(i)) continue;
    if (TitleLike(lines[i]) && lines[i].words >= 3) return static_cast<int>(i);
    break;
  }
  return -1;
}

// Lower-cased words of four bytes or more.
std::vector<std::string> ContentWords(std::string_view t) {
  std::vector<std::string> out;
  size_t pos = 0;
  auto word_byte = [](unsigned char c) { return std::isalnum(c) || c >= 0x80; };
  while (pos < t.size()) {
    while (pos < t.size() && !word_byte(static_cast<unsigned char>(t[pos]))) ++pos;
    size_t q = pos;
    while (q < t.size() && word_byte(static_cast<unsigned char>(t[q]))) ++q;
    if (q - pos >= 4) out.push_back(AsciiLower(t.substr(pos, q - pos)));
    pos = q;
  }
  return out;
}

// Without a dateline: among the title-like lines up to 12 lines above the first paragraph (a
// caption pair glued to the paragraph from `glued_begin` left alone), the one that shares the most
// words with the opening of the body; the nearest among equals.
int HeadlineAboveBody(const std::vector<TextLine>& lines, size_t begin, size_t glued_begin) {
  const size_t stop = begin - glued_begin >= 2 && begin - glued_begin <= 3 ? begin - 2 : begin;
  if (begin - glued_begin == 3) return static_cast<int>(glued_begin);
  std::vector<std::string> body;
  for (size_t i = begin, n = 0; i < lines.size() && n < 5; ++i) {
    if (!IsProseLine(lines[i])) continue;
    ++n;
    for (auto& w : ContentWords(lines[i].text)) body.push_back(std::move(w));
  }
  std::sort(body.begin(), body.end());
  int best = -1;
  size_t best_shared = 0;
  for (size_t i = stop; i-- > 0;) {
    // Menu items sit in runs of glued short lines; a headline stands apart or leads its group.
    const bool in_nav_run = i > 0 && i + 1 < lines.size() && !lines[i].gap_before &&
                            !lines[i + 1].gap_before && lines[i - 1].words <= 4 && lines[i + 1].words <= 4 &&
                            !IsProseLine(lines[i + 1]);
    if (TitleLike(lines[i]) && lines[i].words >= 3 && !in_nav_run && EndMarker(lines[i]) == Marker::kNone) {
      std::vector<std::string> words = ContentWords(lines[i].text);
      std::sort(words.begin(), words.end());
      words.erase(std::unique(words.begin(), words.end()), words.end());
      size_t shared = 0;
      for (const auto& w : words) shared += std::binary_search(body.begin(), body.end(), w) ? 1 : 0;
      if (best < 0 || shared > best_shared) {
        best = static_cast<int>(i);
        best_shared = shared;
      }
    }
    if (stop - i > 12) break;
  }
  return best;
}

}  // namespace

// Header: everything before the body region.
void DecodeHeader(const std::vector<TextLine>& lines, size_t begin, const Metadata& meta, v1::Article& out) {
  const int date_idx = DecodeHeaderMeta(lines, begin, meta, out);
  int headline_idx = date_idx >= 0 ? HeadlineNearDate(lines, begin, static_cast<size_t>(date_idx)) : -1;
  // Lines glued to the first paragraph (no blank line between) that are not prose.
  size_t glued_begin = begin;
  while (glued_begin > 0 && begin < lines.size() && !lines[glued_begin].gap_before &&
         static_cast<int>(glued_begin) - 1 > headline_idx && !IsProseLine(lines[glued_begin - 1]) &&
         !ParseHumanDate(lines[glued_begin - 1].text, true) &&
         ParseBylineLine(lines[glued_begin - 1].text).empty())
    --glued_begin;
  if (headline_idx < 0) headline_idx = HeadlineAboveBody(lines, begin, glued_begin);
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

}  // namespace copydesk::normalize::internal
