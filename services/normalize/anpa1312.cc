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
#include "normalize/anpa1312.h"

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

bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// "02-20" -> {2, 20}; false when not two numbers joined by '-'.
bool ParseDayPair(std::string_view s, int& a, int& b) {
  const size_t dash = s.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash > 2 || s.size() - dash - 1 > 2) return false;
  if (!wire::IsDigits(s.substr(0, dash)) || !wire::IsDigits(s.substr(dash + 1))) return false;
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
  for (; i < l.size() && l[i] >= 0x11 && l[i] <= 0x14; ++i) {
    if (l[i] == 0x12) h.tabular = true;
  }
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
  if (!tokens.empty() && wire::IsDigits(tokens.back()) && tokens.back().size() <= 5) {
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
    if (parts.size() >= 3 && wire::IsDigits(parts[parts.size() - 1]) &&
        wire::IsDigits(parts[parts.size() - 2]) && wire::IsDigits(parts[parts.size() - 3]) &&
        parts[parts.size() - 3].size() <= 2 && parts[parts.size() - 2].size() <= 2 &&
        parts.back().size() <= 4) {
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
  if (line.size() >= 48) return false;
  Trailer t;
  ParseTrailer(line, t);
  return t.yy >= 0 && t.hour >= 0;
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
    // A zone the table does not know is no zone: the provider's.
    auto s = wire::WireTimeToUtc(printed, t.hour, t.minute, t.zone, meta.timezone);
    if (!s) s = wire::WireTimeToUtc(printed, t.hour, t.minute, "", meta.timezone);
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

// A message split by its framing: the header lines, the text and the trailer (after ETX, or the
// text's last line when there is none there).
struct Message {
  AnpaHeader header;
  std::string_view text;
  Trailer trailer;
};

Result<Message> Frame(std::string_view s) {
  Message m;
  size_t pos = 0;
  while (pos < s.size() &&
         (s[pos] == kSyn || s[pos] == '\r' || s[pos] == '\n' || s[pos] == ' ' || s[pos] == 0))
    ++pos;
  const bool soh = pos < s.size() && s[pos] == kSoh;
  if (soh) ++pos;
  const size_t line1_start = pos;
  ParseLine1(wire::NextLine(s, pos), m.header);
  const size_t line2_start = pos;
  if (!ParseLine2(wire::NextLine(s, pos), m.header)) pos = line2_start;
  const size_t stx = s.find(kStx, line1_start);
  if (!soh && stx == std::string_view::npos && m.header.priority == 0) {
    return Error{v1::ERROR_CODE_UNSUPPORTED_FORMAT,
                 "not an ANPA 1312 message: no SOH, no STX and no priority/category header line"};
  }
  const size_t text_start = stx != std::string_view::npos ? stx + 1 : pos;
  const size_t etx = s.find(kEtx, text_start);
  m.text = s.substr(text_start, etx == std::string_view::npos ? std::string_view::npos : etx - text_start);
  if (etx != std::string_view::npos) {
    const size_t eot = s.find(kEot, etx + 1);
    const std::string_view after = s.substr(etx + 1, eot == std::string_view::npos ? 4096 : eot - etx - 1);
    size_t apos = 0;
    while (apos < after.size()) {
      const std::string_view line = wire::NextLine(after, apos);
      if (wire::Squeeze(wire::StripControls(line)).empty()) continue;
      ParseTrailer(line, m.trailer);
      break;
    }
  }
  return m;
}

void AddBody(const std::vector<std::string>& paragraphs, bool tabular, v1::Article& out) {
  for (const auto& p : paragraphs) {
    std::string t = anpa::Typography(p);
    if (t.find_first_not_of("_-= ") == std::string::npos) continue;  // "___" separator
    auto* b = out.add_body();
    b->set_type(!tabular && wire::LooksLikeSubheading(t) ? v1::BLOCK_TYPE_SUBHEADING
                                                         : v1::BLOCK_TYPE_PARAGRAPH);
    b->set_text(std::move(t));
  }
}

// Priority, category and the routing fields (alternative ids).
void ApplyRouting(const AnpaHeader& h, const Trailer& t, std::string_view version, v1::Article& out) {
  wire::SetPriorityAndCategory(out, PriorityNumber(h.priority), "anpa-category", h.category);
  wire::AddAltId(out, "anpa-service-level", h.service_level);
  wire::AddAltId(out, "anpa-story-number", h.story_number);
  wire::AddAltId(out, "anpa-upi", h.upi);
  wire::AddAltId(out, "anpa-selector", h.selector);
  wire::AddAltId(out, "anpa-reference", h.reference);
  wire::AddAltId(out, "anpa-version", version);
  wire::AddAltId(out, "anpa-desk", t.desk);
}

}  // namespace

Status DecodeAnpa1312(std::string_view bytes, const Metadata& meta, const Limits& /*limits*/,
                      v1::Article& out) {
  std::string charset;
  auto utf8 =
      ToUtf8(bytes, meta.charset.empty() ? std::string_view("iso-8859-1") : std::string_view(meta.charset),
             &charset);
  if (!utf8.ok()) return utf8.error();
  auto& prov = *out.mutable_provenance();
  prov.set_charset(charset);
  prov.set_format("anpa1312");
  auto framed = Frame(utf8.value());
  if (!framed.ok()) return framed.error();
  Message& m = framed.value();
  const AnpaHeader& h = m.header;
  anpa::TextParts parts = anpa::SplitText(m.text, h.tabular);
  if (m.trailer.yy < 0 && !parts.paragraphs.empty() && LooksLikeTrailer(parts.paragraphs.back())) {
    ParseTrailer(parts.paragraphs.back(), m.trailer);
    parts.paragraphs.pop_back();
  }

  // The version field says what this transmission is; without one, the slug line says it.
  wire::Designator d;
  wire::ParseDesignator(h.version, d);
  if (h.version.empty() && !parts.header.empty() && anpa::IsSlugLine(parts.header.front(), h.keyword)) {
    anpa::HeaderFacts peek;
    anpa::ReadSlugLine(parts.header.front(), peek);
    wire::ParseDesignator(peek.designators, d);
  }
  const anpa::HeaderFacts facts = anpa::ReadHeaderLines(parts.header, h.keyword, !d.part.empty(), out);
  AddBody(parts.paragraphs, h.tabular, out);
  wire::SetDatelineFromBody(out);

  // Identity: the keyword without its cycle, the filing date, the part; the version and status.
  const std::string slug = facts.slug.empty() ? h.keyword : facts.slug;
  out.set_slugline(std::string(anpa::WithoutCycle(slug)));
  const bool first_version = d.lead == 0 && d.part.empty() && !d.correction && !d.kill;
  const std::string date_key = ResolveDates(h, m.trailer, meta, out, first_version);
  const std::string key_source = h.keyword.empty() ? anpa::HeaderKeyword(slug) : h.keyword;
  if (!key_source.empty()) {
    prov.set_guid(wire::StoryGuid("anpa1312", anpa::WithoutCycle(key_source), date_key, d));
  }
  prov.set_provider_version(wire::ProviderVersionOf(d));
  wire::ApplyDesignator(d, out);
  if (meta.provider.empty() && !m.trailer.originator.empty()) prov.set_provider(m.trailer.originator);
  ApplyRouting(h, m.trailer, h.version.empty() ? facts.designators : h.version, out);
  out.set_type("text");
  return OkStatus();
}

}  // namespace copydesk::normalize::internal
