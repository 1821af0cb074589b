// ANPA 1312 (ANPA/NAA Wire Service Transmission Guidelines) -> Article.
//
//   SYN SYN SOH <service level><story number>[<UPI>] US <selector code> CR LF
//   <priority> SP <category> <format: DC3|DC4 then DC1|DC2> SP <keyword> SP <version> SP <reference>
//       SP <filing date mm-dd> SP <word count> CR LF
//   STX <text> ETX <trailer: originator-desk-mm-dd-yy hhmmZONE> EOT
//
// The text opens with header lines marked '^' (slug line, headline, notes to editors, byline and
// its title line) and goes on with paragraphs that start with a tab. 7-bit typography is undone:
// `` and '' are curly quotes, " _ " is a dash. Story identity comes from the keyword, the filing
// date and the version field (see wire_text.h); the story number and selector code are routing and
// go to altids.
#include <array>
#include <string>
#include <vector>

#include "normalize/ascii.h"
#include "normalize/internal.h"
#include "normalize/text_dates.h"
#include "normalize/wire_text.h"

namespace copydesk::normalize::internal {
namespace {

constexpr char kSoh = 0x01, kStx = 0x02, kEtx = 0x03, kEot = 0x04, kUs = 0x1F, kSyn = 0x16;

struct AnpaHeader {
  std::string service_level, story_number, upi, selector;
  char priority = 0;
  std::string category;
  bool tabular = false;  // DC2 after the DC3/DC4 format identifier
  std::string keyword, version, reference, filing_date, word_count;
};

struct Trailer {
  std::string originator, desk, zone;
  int a = 0, b = 0, yy = -1;  // the printed date's three numbers
  int hour = -1, minute = 0;
};

std::string_view NextLine(std::string_view s, size_t& pos) {
  const size_t nl = s.find('\n', pos);
  std::string_view line = s.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
  pos = nl == std::string_view::npos ? s.size() : nl + 1;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// "02-20" -> {2, 20}; false when not two numbers joined by '-'.
bool ParseDayPair(std::string_view s, int& a, int& b) {
  const size_t dash = s.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash > 2 || s.size() - dash - 1 > 2) return false;
  if (!IsDigits(s.substr(0, dash)) || !IsDigits(s.substr(dash + 1))) return false;
  a = std::stoi(std::string(s.substr(0, dash)));
  b = std::stoi(std::string(s.substr(dash + 1)));
  return true;
}

void ParseLine1(std::string_view l, AnpaHeader& h) {
  size_t i = 0;
  if (i < l.size() && IsAlpha(l[i])) h.service_level = std::string(1, l[i++]);
  while (i < l.size() && l[i] >= '0' && l[i] <= '9' && h.story_number.size() < 4) h.story_number += l[i++];
  const size_t us = l.find(kUs, i);
  if (us != std::string_view::npos) {
    h.upi = wire::Squeeze(wire::StripControls(l.substr(i, us - i)));
    h.selector = wire::Squeeze(wire::StripControls(l.substr(us + 1)));
  } else {
    h.selector = wire::Squeeze(wire::StripControls(l.substr(i)));
  }
}

// The second header line; false when it is not one.
bool ParseLine2(std::string_view l, AnpaHeader& h) {
  if (l.size() < 3 || !IsAlpha(l[0]) || l[1] != ' ' || !IsAlpha(l[2])) return false;
  h.priority = AsciiLowerChar(l[0]);
  size_t i = 2;
  while (i < l.size() && IsAlpha(l[i]) && h.category.size() < 2) h.category += AsciiLowerChar(l[i++]);
  // Format identifier: DC3 (body type) or DC4 (agate), then DC1 (text) or DC2 (tabular).
  while (i < l.size() && l[i] >= 0x11 && l[i] <= 0x14) h.tabular = h.tabular || l[i++] == 0x12;
  std::vector<std::string_view> tokens;
  std::string_view rest = l.substr(i);
  size_t pos = 0;
  while (pos < rest.size()) {
    while (pos < rest.size() && rest[pos] == ' ') ++pos;
    size_t end = rest.find(' ', pos);
    if (end == std::string_view::npos) end = rest.size();
    if (end > pos) tokens.push_back(rest.substr(pos, end - pos));
    pos = end;
  }
  int a = 0, b = 0;
  if (!tokens.empty() && IsDigits(tokens.back()) && tokens.back().size() <= 5) {
    h.word_count = std::string(tokens.back());
    tokens.pop_back();
  }
  if (!tokens.empty() && ParseDayPair(tokens.back(), a, b)) {
    h.filing_date = std::string(tokens.back());
    tokens.pop_back();
  }
  if (!tokens.empty()) h.keyword = wire::StripControls(tokens.front());
  // Between keyword and date: the version ("1stLd-Writethru", "2ndAdd", "Correction") and the
  // reference (the story number it refers to).
  for (size_t t = 1; t < tokens.size(); ++t) {
    wire::Designator probe;
    wire::ParseDesignator(tokens[t], probe);
    const bool says_something = probe.lead > 0 || !probe.part.empty() || probe.correction || probe.kill ||
                                probe.repeat || probe.embargo;
    std::string& field = says_something || (t == 1 && tokens.size() > 2) ? h.version : h.reference;
    if (!field.empty()) field += ' ';
    field += wire::StripControls(tokens[t]);
  }
  return true;
}

void ParseTrailer(std::string_view line, Trailer& t) {
  std::string s = wire::Squeeze(wire::StripControls(line));
  while (!s.empty() && (s.back() == '<' || s.back() == '=')) s.pop_back();
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find(' ', pos);
    if (end == std::string::npos) end = s.size();
    std::string_view tok = std::string_view(s).substr(pos, end - pos);
    pos = end + 1;
    // Split on '-': leading words are the originator and desk, three trailing numbers the date.
    std::vector<std::string_view> parts;
    size_t p = 0;
    while (p <= tok.size()) {
      size_t d = tok.find('-', p);
      if (d == std::string_view::npos) d = tok.size();
      parts.push_back(tok.substr(p, d - p));
      p = d + 1;
    }
    if (parts.size() >= 3 && IsDigits(parts[parts.size() - 1]) && IsDigits(parts[parts.size() - 2]) &&
        IsDigits(parts[parts.size() - 3]) && parts[parts.size() - 3].size() <= 2 &&
        parts[parts.size() - 2].size() <= 2 && parts.back().size() <= 4) {
      t.a = std::stoi(std::string(parts[parts.size() - 3]));
      t.b = std::stoi(std::string(parts[parts.size() - 2]));
      t.yy = std::stoi(std::string(parts.back()));
      if (parts.size() >= 4 && !parts[0].empty() && IsAlpha(parts[0][0]))
        t.originator = std::string(parts[0]);
      if (parts.size() >= 5) t.desk = std::string(parts[1]);
      continue;
    }
    // "0337GMT", "16:35ET", "1509", "GMT"
    size_t k = 0;
    std::string digits;
    while (k < tok.size() && ((tok[k] >= '0' && tok[k] <= '9') || tok[k] == ':')) {
      if (tok[k] != ':') digits += tok[k];
      ++k;
    }
    if (digits.size() == 4 || (digits.size() == 3 && tok.find(':') != std::string_view::npos)) {
      const int hhmm = std::stoi(digits);
      t.hour = hhmm / 100;
      t.minute = hhmm % 100;
      if (k < tok.size()) t.zone = std::string(tok.substr(k));
    } else if (digits.empty() && t.hour >= 0 && t.zone.empty()) {
      t.zone = std::string(tok);
    }
  }
}

// A line that is a trailer rather than text: "AP-WF-02-20-16 0337GMT", "16:35ET 31-10-14".
bool LooksLikeTrailer(std::string_view line) {
  Trailer t;
  ParseTrailer(line, t);
  return t.yy >= 0 && t.hour >= 0 && line.size() < 48;
}

// ANPA's 7-bit typography: `` and '' are double quotes, ` a single opening quote, " _ " a dash.
std::string Typography(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 2, "``") == 0) {
      out += "\xE2\x80\x9C";
      ++i;
    } else if (s.compare(i, 2, "''") == 0) {
      out += "\xE2\x80\x9D";
      ++i;
    } else if (s[i] == '`') {
      out += "\xE2\x80\x98";
    } else if (s[i] == '_' && (i == 0 || s[i - 1] == ' ') && (i + 1 == s.size() || s[i + 1] == ' ')) {
      out += "\xE2\x80\x94";
    } else {
      out += s[i];
    }
  }
  return out;
}

// A '^' header line without its markers: "^By CHARLES ODUM=" -> "By CHARLES ODUM".
std::string CleanHeaderLine(std::string_view s) {
  std::string t = wire::Squeeze(wire::StripControls(s));
  while (!t.empty() && (t.front() == '^' || t.front() == ' ')) t.erase(0, 1);
  while (!t.empty() && (t.back() == '<' || t.back() == '=' || t.back() == '@' || t.back() == ' '))
    t.pop_back();
  return t;
}

bool EndsHeaderLine(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s.empty() || s.back() == '<' || s.back() == '=';
}

int PriorityNumber(char p) {
  switch (p) {
    case 'f': return 1;  // flash
    case 'b': return 2;  // bulletin
    case 'u': return 3;  // urgent
    case 'r': return 5;  // regular
    case 'd':
    case 'h': return 6;  // deferred
    case 'a':
    case 's': return 7;  // weekday / Sunday advance
    case 'y': return 8;  // rerun
    default: return 0;
  }
}

// The cycle designator in front of AP keywords (AM-, PM-, BC- for both, AP-).
std::string_view WithoutCycle(std::string_view kw) {
  if (kw.size() > 3 && kw[2] == '-') {
    const std::string c = AsciiLower(kw.substr(0, 2));
    if (c == "am" || c == "pm" || c == "bc" || c == "ap") return kw.substr(3);
  }
  return kw;
}

// The keyword as the header carries it: spaces dropped, at most 24 characters.
std::string HeaderKeyword(std::string_view slug) {
  std::string k;
  for (char c : slug) {
    if (c != ' ' && k.size() < 24) k += c;
  }
  return k;
}

void AddAltId(v1::Article& out, std::string_view role, std::string_view value) {
  if (value.empty()) return;
  auto* a = out.add_altids();
  a->set_role(std::string(role));
  a->set_value(std::string(value));
}

struct TextParts {
  std::vector<std::string> header;  // '^' lines, cleaned
  std::vector<std::string> paragraphs;
  std::string trailer;  // a trailer line found at the end of the text
};

TextParts SplitText(std::string_view text, bool tabular) {
  TextParts parts;
  std::string cur;
  bool in_header = true, header_open = false;
  auto flush = [&]() {
    std::string p = wire::Squeeze(cur);
    cur.clear();
    if (!p.empty()) parts.paragraphs.push_back(std::move(p));
  };
  size_t pos = 0;
  while (pos < text.size()) {
    std::string line = wire::StripControls(NextLine(text, pos));
    const bool blank = line.find_first_not_of(" \t") == std::string::npos;
    if (in_header) {
      // Header lines start with '^'; one without its end marker goes on on the next line; a short
      // unmarked line ending with '<' ("code:2<") is one too.
      if (!blank && line[0] == '^') {
        parts.header.push_back(CleanHeaderLine(line));
        header_open = !EndsHeaderLine(line);
        continue;
      }
      if (header_open && !blank && line[0] != '\t') {
        parts.header.back() = wire::Squeeze(parts.header.back() + " " + CleanHeaderLine(line));
        header_open = !EndsHeaderLine(line);
        continue;
      }
      header_open = false;
      if (blank) continue;
      if (line[0] != '\t' && line.size() < 40 && line.find_last_not_of(" ") == line.rfind('<')) {
        parts.header.push_back(CleanHeaderLine(line));
        continue;
      }
      in_header = false;
    }
    if (blank) {
      flush();
      continue;
    }
    if (line[0] == '^') line.erase(0, 1);
    if (tabular || line[0] == '\t' || line.compare(0, 2, "  ") == 0) flush();
    if (!cur.empty()) cur += ' ';
    cur += line;
    if (tabular) flush();
  }
  flush();
  // "<" ends paragraphs in some feeds.
  for (auto& p : parts.paragraphs) {
    while (!p.empty() && (p.back() == '<' || p.back() == ' ')) p.pop_back();
  }
  if (!parts.paragraphs.empty() && LooksLikeTrailer(parts.paragraphs.back())) {
    parts.trailer = parts.paragraphs.back();
    parts.paragraphs.pop_back();
  }
  return parts;
}

// Notes to editors that wires put among the header lines.
bool IsEditorsNote(std::string_view l) {
  return StartsWithAsciiLower(l, "editor's note") || StartsWithAsciiLower(l, "editors note") ||
         StartsWithAsciiLower(l, "ap photo") || StartsWithAsciiLower(l, "with ap photo");
}

// The tagged header lines some wires send ("HL:", "INDEX:", "SYMBOL:", "Eds:", "Update:", "code:"),
// lower-cased; "" for an untagged line (a headline may hold a colon, so only these tags count).
std::string TagOf(std::string_view l) {
  static constexpr std::array<std::string_view, 10> kTags = {
      "hl", "index", "keywords", "symbol", "eds", "update", "advisory", "note", "code", "slug"};
  const size_t colon = l.find(':');
  if (colon == std::string_view::npos) return "";
  const std::string tag = AsciiLower(wire::Squeeze(l.substr(0, colon)));
  for (auto t : kTags) {
    if (t == tag) return tag;
  }
  return "";
}

std::string WithoutLeadingDash(std::string t) {
  while (!t.empty()) {
    if (t.front() == '_' || t.front() == ':' || t.front() == '-' || t.front() == ' ') {
      t.erase(0, 1);
    } else if (t.compare(0, 3, "\xE2\x80\x94") == 0) {
      t.erase(0, 3);
    } else {
      break;
    }
  }
  return t;
}

// "EDITOR'S NOTE _ The story ..." -> "The story ..."; other notes unchanged.
std::string NoteText(std::string_view l) {
  for (std::string_view p : {std::string_view("editor's note"), std::string_view("editors note")}) {
    if (StartsWithAsciiLower(l, p)) return WithoutLeadingDash(std::string(l.substr(p.size())));
  }
  return std::string(l);
}

void AddKeywords(std::string_view list, v1::Article& out) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    if (auto k = wire::Squeeze(list.substr(start, comma - start)); !k.empty()) out.add_keywords(k);
    start = comma + 1;
  }
}

struct HeaderFacts {
  std::string slug;         // from the slug line, untruncated
  std::string designators;  // version words of the slug line
};

// "BC-BKN--Heat-Hawks, 1st Ld-Writethru,416": the slug, then version words, then the word count.
void ReadSlugLine(std::string_view l, HeaderFacts& facts) {
  size_t start = 0;
  bool first = true;
  while (start <= l.size()) {
    size_t comma = l.find(',', start);
    if (comma == std::string_view::npos) comma = l.size();
    std::string field = wire::Squeeze(l.substr(start, comma - start));
    if (first) {
      facts.slug = field;
    } else if (!field.empty() && !IsDigits(field)) {
      facts.designators += (facts.designators.empty() ? "" : " ") + field;
    }
    first = false;
    start = comma + 1;
  }
}

// The first header line repeats the keyword (untruncated) or starts with a cycle designator.
bool IsSlugLine(std::string_view l, std::string_view keyword) {
  return (!keyword.empty() && StartsWithAsciiLower(HeaderKeyword(l), AsciiLower(keyword.substr(0, 8)))) ||
         WithoutCycle(l).size() != l.size();
}

// The '^' header lines: slug line, headline, notes, byline and its title, summary. In a part sent
// on its own (an add, an insert) the line after the slug line is the pickup line, a note saying
// where the part goes, not a headline.
HeaderFacts ReadHeaderLines(const std::vector<std::string>& lines, std::string_view keyword, bool is_part,
                            v1::Article& out) {
  HeaderFacts facts;
  std::vector<std::string> notes;
  std::string byline, byline_title;
  bool after_byline = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string l = Typography(lines[i]);
    if (l.empty()) continue;
    const std::string tag = TagOf(l);
    const std::string value = tag.empty() ? l : wire::Squeeze(std::string_view(l).substr(l.find(':') + 1));
    const bool was_after_byline = after_byline;
    after_byline = false;
    if (i == 0 && tag.empty() && IsSlugLine(l, keyword)) {
      ReadSlugLine(l, facts);
    } else if (tag == "slug") {
      ReadSlugLine(value, facts);
    } else if (tag == "hl") {
      out.set_headline(value);
    } else if (tag == "index" || tag == "keywords") {
      AddKeywords(value, out);
    } else if (tag == "symbol") {
      auto* o = out.add_organisations();
      o->set_name(value);
      o->set_code(value);
      o->set_scheme("symbol");
    } else if (tag == "code") {
      auto* a = out.add_altids();
      a->set_role("anpa-code");
      a->set_value(value);
    } else if (!tag.empty()) {
      notes.push_back(value);
    } else if (IsEditorsNote(l)) {
      notes.push_back(NoteText(l));
    } else if (byline.empty() && wire::IsBylineLine(l)) {
      byline = l;
      after_byline = true;
    } else if (was_after_byline && byline_title.empty() && std::count(l.begin(), l.end(), ' ') < 6) {
      byline_title = l;
    } else if (is_part && i == 1) {
      notes.push_back(l);
    } else if (out.headline().empty()) {
      out.set_headline(l);
    } else if (out.standfirst().empty() && byline.empty() && std::count(l.begin(), l.end(), ' ') >= 11) {
      out.set_standfirst(l);
    } else {
      notes.push_back(l);
    }
  }
  if (!byline.empty()) wire::SetWireByline(byline, byline_title, out);
  std::string ednote;
  for (const auto& n : notes) {
    const std::string t = wire::Squeeze(n);
    if (t.empty()) continue;
    if (!ednote.empty()) ednote += ' ';
    ednote += t;
  }
  out.set_ednote(ednote);
  return facts;
}

// Times and the date key: the trailer's time, and the header's filing date with its year.
std::string ResolveDates(const AnpaHeader& h, const Trailer& t, const Metadata& meta, v1::Article& out,
                         bool first_version) {
  int fa = 0, fb = 0;
  const bool has_filing = ParseDayPair(h.filing_date, fa, fb);
  // Month first (ANPA, AP) unless a number above 12 says the day comes first (CP prints dd-mm).
  bool day_first = false;
  if (t.yy >= 0 && t.a > 12) {
    day_first = true;
  } else if (!(t.yy >= 0 && t.b > 12) && has_filing && fa > 12) {
    day_first = true;
  }
  const int64_t event_s = meta.event_time_ms > 0 ? meta.event_time_ms / 1000 : 0;
  int64_t trailer_s = 0;
  wire::PrintedDate printed;
  if (t.yy >= 0 && t.hour >= 0) {
    printed.month = day_first ? t.b : t.a;
    printed.day = day_first ? t.a : t.b;
    printed.year = wire::ExpandYear(t.yy, event_s);
    auto s = wire::WireTimeToUtc(printed, t.hour, t.minute, t.zone);
    if (!s) s = wire::WireTimeToUtc(printed, t.hour, t.minute, "");  // unknown zone: UTC
    if (s) {
      trailer_s = *s;
      SetTimestamp(trailer_s, out.mutable_versioncreated());
      if (first_version) SetTimestamp(trailer_s, out.mutable_firstcreated());
    }
  }
  if (has_filing) {
    wire::PrintedDate filed;
    filed.month = day_first ? fb : fa;
    filed.day = day_first ? fa : fb;
    const int64_t ref = trailer_s > 0 ? trailer_s : event_s;
    if (ref > 0 && filed.month >= 1 && filed.month <= 12)
      filed.year = wire::ResolveYear(filed.month, filed.day, ref);
    return wire::DateKey(filed);
  }
  if (printed.year > 0) return wire::DateKey(printed);
  return "";
}

}  // namespace

Status DecodeAnpa1312(std::string_view bytes, const Metadata& meta, const Limits& /*limits*/,
                      v1::Article& out) {
  std::string charset;
  auto utf8 =
      ToUtf8(bytes, meta.charset.empty() ? std::string_view("iso-8859-1") : std::string_view(meta.charset),
             &charset);
  if (!utf8.ok()) return utf8.error();
  const std::string& s = utf8.value();
  auto& prov = *out.mutable_provenance();
  prov.set_charset(charset);
  prov.set_format("anpa1312");

  size_t pos = 0;
  while (pos < s.size() &&
         (s[pos] == kSyn || s[pos] == '\r' || s[pos] == '\n' || s[pos] == ' ' || s[pos] == 0))
    ++pos;
  const bool soh = pos < s.size() && s[pos] == kSoh;
  if (soh) ++pos;
  AnpaHeader h;
  const size_t line1_start = pos;
  ParseLine1(NextLine(s, pos), h);
  const size_t line2_start = pos;
  if (!ParseLine2(NextLine(s, pos), h)) pos = line2_start;
  const size_t stx = s.find(kStx, line1_start);
  if (!soh && stx == std::string::npos && h.priority == 0) {
    return Error{v1::ERROR_CODE_UNSUPPORTED_FORMAT,
                 "not an ANPA 1312 message: no SOH, no STX and no priority/category header line"};
  }
  const size_t text_start = stx != std::string::npos ? stx + 1 : pos;
  const size_t etx = s.find(kEtx, text_start);
  const std::string_view text =
      std::string_view(s).substr(text_start, etx == std::string::npos ? std::string::npos : etx - text_start);
  Trailer trailer;
  if (etx != std::string::npos) {
    size_t tpos = etx + 1;
    const size_t eot = s.find(kEot, tpos);
    const std::string_view after =
        std::string_view(s).substr(tpos, eot == std::string::npos ? 4096 : eot - tpos);
    size_t apos = 0;
    while (apos < after.size()) {
      std::string_view line = NextLine(after, apos);
      if (wire::Squeeze(wire::StripControls(line)).empty()) continue;
      ParseTrailer(line, trailer);
      break;
    }
  }
  TextParts parts = SplitText(text, h.tabular);
  if (trailer.yy < 0 && !parts.trailer.empty()) ParseTrailer(parts.trailer, trailer);

  // The version field says what this transmission is; without one, the slug line says it.
  wire::Designator d;
  wire::ParseDesignator(h.version, d);
  if (h.version.empty() && !parts.header.empty() && IsSlugLine(parts.header.front(), h.keyword)) {
    HeaderFacts peek;
    ReadSlugLine(parts.header.front(), peek);
    wire::ParseDesignator(peek.designators, d);
  }
  const HeaderFacts facts = ReadHeaderLines(parts.header, h.keyword, !d.part.empty(), out);

  for (const auto& p : parts.paragraphs) {
    std::string t = Typography(p);
    if (t.find_first_not_of("_-= ") == std::string::npos) continue;  // "___" separator
    auto* b = out.add_body();
    b->set_type(!h.tabular && wire::LooksLikeSubheading(t) ? v1::BLOCK_TYPE_SUBHEADING
                                                           : v1::BLOCK_TYPE_PARAGRAPH);
    b->set_text(std::move(t));
  }
  wire::SetDatelineFromBody(out);

  // Identity, version, status.
  const std::string slug = facts.slug.empty() ? h.keyword : facts.slug;
  out.set_slugline(std::string(WithoutCycle(slug)));
  const bool first_version = d.lead == 0 && d.part.empty() && !d.correction && !d.kill;
  const std::string date_key = ResolveDates(h, trailer, meta, out, first_version);
  const std::string key_source = h.keyword.empty() ? HeaderKeyword(slug) : h.keyword;
  if (!key_source.empty()) prov.set_guid(wire::StoryGuid("anpa1312", WithoutCycle(key_source), date_key, d));
  prov.set_provider_version(wire::ProviderVersionOf(d));
  if (d.lead > 0) out.mutable_signals()->set_update(true);
  if (d.correction) out.mutable_signals()->set_correction(true);
  if (d.embargo) out.mutable_signals()->set_embargo(true);
  if (d.kill) {
    out.mutable_signals()->set_kill(true);
    out.set_pubstatus(v1::PUB_STATUS_CANCELED);
  }
  if (meta.provider.empty() && !trailer.originator.empty()) prov.set_provider(trailer.originator);

  // Routing and classification.
  out.set_priority(static_cast<uint32_t>(PriorityNumber(h.priority)));
  if (!h.category.empty()) {
    auto* c = out.add_subjects();
    c->set_scheme("anpa-category");
    c->set_code(h.category);
    c->set_uri("anpa-category:" + h.category);
  }
  AddAltId(out, "anpa-service-level", h.service_level);
  AddAltId(out, "anpa-story-number", h.story_number);
  AddAltId(out, "anpa-upi", h.upi);
  AddAltId(out, "anpa-selector", h.selector);
  AddAltId(out, "anpa-reference", h.reference);
  AddAltId(out, "anpa-version", h.version.empty() ? facts.designators : h.version);
  AddAltId(out, "anpa-desk", trailer.desk);
  out.set_type("text");
  return OkStatus();
}

}  // namespace copydesk::normalize::internal
