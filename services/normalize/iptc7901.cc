// IPTC 7901 (IPTC Recommended Message Format) -> Article.
//
//   [ZCZC] SOH <source id><message number> SP <priority> SP <category> SP <word count> SP <optional info> CR
//   LF <keyword line, e.g. "Germany/rail/strike/"> CR LF
//   [<further keyword lines: take and version words, e.g. "1st LEAD", "(Achtung)", "Berichtigung">]
//   STX <heading> [=] CR LF <text> ETX <post-text: ddhhmm [zone] Mon yy> EOT
//
// Paragraphs start with an indented line or follow a blank line; continuation lines are joined.
// A "not for publication" section at the end of the text is the editorial note. Story identity:
// a provider item id with its version in the optional information ("170123-89-00065#2") when
// there is one, else the source, keyword line and printed date, with the take and version words
// (see wire_text.h).
#include <string>
#include <vector>

#include "normalize/ascii.h"
#include "normalize/internal.h"
#include "normalize/text_dates.h"
#include "normalize/wire_text.h"

namespace copydesk::normalize::internal {
namespace {

constexpr char kSoh = 0x01, kStx = 0x02, kEtx = 0x03, kEot = 0x04, kSyn = 0x16;

struct Header7901 {
  std::string source, message_number, priority, category, word_count, optional;
  std::string item_id, item_version, agency;  // from the optional information
};

bool IsLetters(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  return true;
}

std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size() && out.size() < 32) {
    while (pos < s.size() && s[pos] == ' ') ++pos;
    size_t end = s.find(' ', pos);
    if (end == std::string_view::npos) end = s.size();
    if (end > pos) out.emplace_back(s.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

// "eca0001 4 rs 46  dpa 0027", "bkn014 4 pl 171 vvvvb KNA 170123-89-00065#2".
Header7901 ParseHeaderLine(std::string_view line) {
  Header7901 h;
  const std::string l = wire::StripControls(line);
  const std::vector<std::string> w = Words(l);
  if (w.empty()) return h;
  size_t i = 0;
  while (i < w[0].size() && !(w[0][i] >= '0' && w[0][i] <= '9')) ++i;
  h.source = w[0].substr(0, i);
  h.message_number = w[0].substr(i);
  size_t next = 1;
  if (next < w.size() && w[next].size() <= 2) h.priority = w[next++];
  if (next < w.size() && w[next].size() <= 3 && IsLetters(w[next])) h.category = w[next++];
  if (next < w.size() && wire::IsDigits(w[next]) && w[next].size() <= 5) h.word_count = w[next++];
  for (size_t k = next; k < w.size(); ++k) {
    if (!h.optional.empty()) h.optional += ' ';
    h.optional += w[k];
    // A provider item id with its version: "170123-89-00065#2".
    const size_t hash = w[k].find('#');
    if (hash != std::string::npos && hash >= 6 && wire::IsDigits(std::string_view(w[k]).substr(hash + 1)) &&
        w[k].size() - hash <= 6) {
      h.item_id = w[k].substr(0, hash);
      h.item_version = w[k].substr(hash + 1);
    }
    // The agency's name stands before the first number-led field ("dpa 0027", "KNA 1701...").
    if (h.agency.empty() && k + 1 < w.size() && IsLetters(w[k]) && w[k].size() <= 8 && w[k + 1][0] >= '0' &&
        w[k + 1][0] <= '9')
      h.agency = w[k];
  }
  return h;
}

int PriorityNumber(std::string_view p) {
  if (p.size() == 1 && p[0] >= '1' && p[0] <= '9') return p[0] - '0';
  if (p.size() != 1) return 0;
  switch (AsciiLowerChar(p[0])) {
    case 'f': return 1;
    case 'b': return 2;
    case 'u': return 3;
    case 'r': return 5;
    case 'd': return 6;
    default: return 0;
  }
}

// The post-text: "242200 GMT Jun 17" (day, hour, minute, zone, month, year).
struct PostText {
  wire::PrintedDate date;
  int hour = -1, minute = 0;
  std::string zone;
};

PostText ParsePostText(std::string_view line, int64_t reference_s) {
  PostText p;
  const std::vector<std::string> w = Words(wire::StripControls(line));
  if (w.empty() || w[0].size() != 6 || !wire::IsDigits(w[0])) return p;
  const int ddhhmm = std::stoi(w[0]);
  size_t k = 1;
  if (k < w.size() && IsLetters(w[k]) && !wire::MonthNumber(w[k])) p.zone = w[k++];
  if (k + 1 >= w.size()) return p;
  const auto month = wire::MonthNumber(w[k]);
  if (!month || !wire::IsDigits(w[k + 1]) || w[k + 1].size() > 4) return p;
  p.date.day = ddhhmm / 10000;
  p.date.month = *month;
  p.date.year = wire::ExpandYear(std::stoi(w[k + 1]), reference_s);
  p.hour = (ddhhmm / 100) % 100;
  p.minute = ddhhmm % 100;
  return p;
}

bool StartsNotForPublication(std::string_view l) {
  const std::string s = AsciiLower(l);
  return s.find("not for publication") != std::string::npos ||
         s.find("not intended for publication") != std::string::npos ||
         s.find(
             "nicht zur ver\xC3\xB6"
             "ffentlichung") != std::string::npos ||
         s.find("pas pour publication") != std::string::npos ||
         s.find("no para publicaci") != std::string::npos || s == "notizblock";
}

struct TextParts {
  std::string headline;
  std::vector<std::string> paragraphs;
  std::vector<std::string> note;
};

// The text between STX and ETX: heading line, paragraphs, and the trailing note section.
TextParts SplitText(std::string_view text) {
  TextParts parts;
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) lines.push_back(wire::StripControls(wire::NextLine(text, pos)));
  size_t i = 0;
  while (i < lines.size() && wire::Squeeze(lines[i]).empty()) ++i;
  if (i < lines.size()) {
    std::string h = wire::Squeeze(lines[i++]);
    while (!h.empty() && (h.back() == '=' || h.back() == ' ')) h.pop_back();
    parts.headline = h;
  }
  // Indentation or blank lines mark paragraphs when the text uses them; otherwise every line is one.
  bool structured = false;
  for (size_t k = i; k < lines.size(); ++k) {
    const std::string& l = lines[k];
    structured = structured || wire::Squeeze(l).empty() || l[0] == ' ' || l[0] == '\t';
  }
  std::string cur;
  bool in_note = false;
  auto flush = [&]() {
    std::string p = wire::Squeeze(cur);
    cur.clear();
    if (p.empty()) return;
    (in_note ? parts.note : parts.paragraphs).push_back(std::move(p));
  };
  for (; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    const std::string squeezed = wire::Squeeze(l);
    if (squeezed.empty()) {
      flush();
      continue;
    }
    if (!in_note && StartsNotForPublication(squeezed)) {
      flush();
      in_note = true;
      continue;
    }
    if (!structured || in_note || l[0] == ' ' || l[0] == '\t') flush();
    if (!cur.empty()) cur += ' ';
    cur += squeezed;
  }
  flush();
  return parts;
}

// The keyword line without its end marks: "Germany/rail/strike/" -> "Germany/rail/strike".
std::string CleanKeyword(std::string_view l, std::string* parenthesized) {
  std::string k = wire::Squeeze(l);
  if (const size_t open = k.find(" ("); open != std::string::npos && k.back() == ')') {
    *parenthesized = k.substr(open + 2, k.size() - open - 3);
    k.erase(open);
  }
  while (!k.empty() && (k.back() == '/' || k.back() == '=' || k.back() == ' ')) k.pop_back();
  return k;
}

// The body paragraphs: a byline among the first two, then the story.
void AddBody(const TextParts& parts, v1::Article& out) {
  size_t first = 0;
  for (size_t i = 0; i < parts.paragraphs.size() && i < 2; ++i) {
    if (wire::IsBylineLine(parts.paragraphs[i])) {
      wire::SetWireByline(parts.paragraphs[i], "", out);
      first = i + 1;
      break;
    }
  }
  for (size_t i = 0; i < parts.paragraphs.size(); ++i) {
    if (i + 1 == first) continue;
    auto* b = out.add_body();
    b->set_type(wire::LooksLikeSubheading(parts.paragraphs[i]) ? v1::BLOCK_TYPE_SUBHEADING
                                                               : v1::BLOCK_TYPE_PARAGRAPH);
    b->set_text(parts.paragraphs[i]);
  }
}

// A message split by its framing: header line, keyword lines, text and post-text.
struct Message {
  Header7901 header;
  std::string slug;             // the keyword line
  std::string designator_text;  // take and version words of the other keyword lines
  std::string_view text;
  PostText post;
};

Result<Message> Frame(std::string_view s, int64_t event_s) {
  Message m;
  size_t pos = 0;
  while (pos < s.size() &&
         (s[pos] == kSyn || s[pos] == '\r' || s[pos] == '\n' || s[pos] == ' ' || s[pos] == 0))
    ++pos;
  if (s.compare(pos, 4, "ZCZC") == 0) pos += 4;  // teleprinter start-of-message
  while (pos < s.size() && (s[pos] == '\r' || s[pos] == '\n' || s[pos] == ' ')) ++pos;
  const bool soh = pos < s.size() && s[pos] == kSoh;
  if (soh) ++pos;
  const size_t stx = s.find(kStx, pos);
  if (!soh || stx == std::string_view::npos) {
    return Error{v1::ERROR_CODE_UNSUPPORTED_FORMAT,
                 "not an IPTC 7901 message: it needs SOH, a header and STX"};
  }
  const std::string_view head = s.substr(0, stx);
  m.header = ParseHeaderLine(wire::NextLine(head, pos));
  bool first = true;
  while (pos < stx) {
    const std::string l = wire::Squeeze(wire::StripControls(wire::NextLine(head, pos)));
    if (l.empty()) continue;
    if (first) {
      m.slug = CleanKeyword(l, &m.designator_text);
    } else {
      m.designator_text += (m.designator_text.empty() ? "" : " ") + l;
    }
    first = false;
  }
  const size_t etx = s.find(kEtx, stx + 1);
  m.text = s.substr(stx + 1, etx == std::string_view::npos ? std::string_view::npos : etx - stx - 1);
  if (etx != std::string_view::npos) {
    const size_t eot = s.find(kEot, etx + 1);
    const std::string_view after = s.substr(etx + 1, eot == std::string_view::npos ? 4096 : eot - etx - 1);
    size_t apos = 0;
    while (apos < after.size()) {
      const std::string_view line = wire::NextLine(after, apos);
      if (wire::Squeeze(wire::StripControls(line)).empty()) continue;
      m.post = ParsePostText(line, event_s);
      break;
    }
  }
  return m;
}

// Times from the post-text, and the identity: the provider item id when the header has one,
// else source, keyword line, printed date (the event's date without one) and part.
void ApplyIdentity(const Message& m, const wire::Designator& d, int64_t event_s, std::string_view zone,
                   v1::Article& out) {
  auto& prov = *out.mutable_provenance();
  const Header7901& h = m.header;
  const bool first_version = d.lead == 0 && d.part.empty() && !d.correction && !d.kill;
  if (m.post.hour >= 0) {
    // A zone the table does not know is no zone: the provider's.
    auto t = wire::WireTimeToUtc(m.post.date, m.post.hour, m.post.minute, m.post.zone, zone);
    if (!t) t = wire::WireTimeToUtc(m.post.date, m.post.hour, m.post.minute, "", zone);
    if (t) {
      SetTimestamp(*t, out.mutable_versioncreated());
      if (first_version && h.item_version.empty()) SetTimestamp(*t, out.mutable_firstcreated());
    }
  }
  std::string date_key = wire::DateKey(m.post.date);
  if (date_key.empty() && event_s > 0) date_key = wire::DateKey(wire::UtcDateOf(event_s));
  if (!h.item_id.empty()) {
    prov.set_guid(h.item_id);
    prov.set_provider_version(h.item_version);
    if (h.item_version != "1") out.mutable_signals()->set_update(true);
  } else {
    prov.set_guid(wire::StoryGuid("iptc7901:" + AsciiLower(h.source), m.slug, date_key, d));
    prov.set_provider_version(wire::ProviderVersionOf(d));
  }
  wire::ApplyDesignator(d, out);
}

void ApplyRouting(const Message& m, const Metadata& meta, v1::Article& out) {
  const Header7901& h = m.header;
  if (meta.provider.empty() && !h.agency.empty()) out.mutable_provenance()->set_provider(h.agency);
  // The message priority is the story's urgency too (IIM's Urgency took it over).
  wire::SetPriorityAndCategory(out, PriorityNumber(h.priority), "iptc7901-category", h.category);
  wire::AddAltId(out, "iptc7901-source", h.source);
  wire::AddAltId(out, "iptc7901-message-number", h.message_number);
  wire::AddAltId(out, "iptc7901-header-info", h.optional);
  wire::AddAltId(out, "iptc7901-version", m.designator_text);
}

}  // namespace

Status DecodeIptc7901(std::string_view bytes, const Metadata& meta, const Limits& /*limits*/,
                      v1::Article& out) {
  std::string charset;
  auto utf8 =
      ToUtf8(bytes, meta.charset.empty() ? std::string_view("iso-8859-1") : std::string_view(meta.charset),
             &charset);
  if (!utf8.ok()) return utf8.error();
  out.mutable_provenance()->set_charset(charset);
  out.mutable_provenance()->set_format("iptc7901");
  const int64_t event_s = meta.event_time_ms > 0 ? meta.event_time_ms / 1000 : 0;
  auto framed = Frame(utf8.value(), event_s);
  if (!framed.ok()) return framed.error();
  const Message& m = framed.value();

  const TextParts parts = SplitText(m.text);
  out.set_headline(parts.headline);
  AddBody(parts, out);
  wire::SetDatelineFromBody(out);
  std::string note;
  for (const auto& n : parts.note) note += (note.empty() ? "" : "\n") + n;
  out.set_ednote(note);
  out.set_slugline(m.slug);

  wire::Designator d;
  wire::ParseDesignator(m.designator_text, d);
  ApplyIdentity(m, d, event_s, meta.timezone, out);
  ApplyRouting(m, meta, out);
  out.set_type("text");
  return OkStatus();
}

}  // namespace copydesk::normalize::internal
