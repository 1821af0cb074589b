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

std::string_view NextLine(std::string_view s, size_t& pos) {
  const size_t nl = s.find('\n', pos);
  std::string_view line = s.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
  pos = nl == std::string_view::npos ? s.size() : nl + 1;
  while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

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
  if (next < w.size() && IsDigits(w[next]) && w[next].size() <= 5) h.word_count = w[next++];
  for (size_t k = next; k < w.size(); ++k) {
    if (!h.optional.empty()) h.optional += ' ';
    h.optional += w[k];
    // A provider item id with its version: "170123-89-00065#2".
    const size_t hash = w[k].find('#');
    if (hash != std::string::npos && hash >= 6 && IsDigits(std::string_view(w[k]).substr(hash + 1)) &&
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
  if (w.empty() || w[0].size() != 6 || !IsDigits(w[0])) return p;
  const int ddhhmm = std::stoi(w[0]);
  size_t k = 1;
  if (k < w.size() && IsLetters(w[k]) && !wire::MonthNumber(w[k])) p.zone = w[k++];
  if (k + 1 >= w.size()) return p;
  const auto month = wire::MonthNumber(w[k]);
  if (!month || !IsDigits(w[k + 1]) || w[k + 1].size() > 4) return p;
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
  while (pos < text.size()) lines.push_back(wire::StripControls(NextLine(text, pos)));
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

void AddAltId(v1::Article& out, std::string_view role, std::string_view value) {
  if (value.empty()) return;
  auto* a = out.add_altids();
  a->set_role(std::string(role));
  a->set_value(std::string(value));
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

}  // namespace

Status DecodeIptc7901(std::string_view bytes, const Metadata& meta, const Limits& /*limits*/,
                      v1::Article& out) {
  std::string charset;
  auto utf8 =
      ToUtf8(bytes, meta.charset.empty() ? std::string_view("iso-8859-1") : std::string_view(meta.charset),
             &charset);
  if (!utf8.ok()) return utf8.error();
  const std::string& s = utf8.value();
  auto& prov = *out.mutable_provenance();
  prov.set_charset(charset);
  prov.set_format("iptc7901");

  size_t pos = 0;
  while (pos < s.size() &&
         (s[pos] == kSyn || s[pos] == '\r' || s[pos] == '\n' || s[pos] == ' ' || s[pos] == 0))
    ++pos;
  if (s.compare(pos, 4, "ZCZC") == 0) pos += 4;  // teleprinter start-of-message
  while (pos < s.size() && (s[pos] == '\r' || s[pos] == '\n' || s[pos] == ' ')) ++pos;
  const bool soh = pos < s.size() && s[pos] == kSoh;
  if (soh) ++pos;
  const size_t stx = s.find(kStx, pos);
  if (!soh || stx == std::string::npos) {
    return Error{v1::ERROR_CODE_UNSUPPORTED_FORMAT,
                 "not an IPTC 7901 message: it needs SOH, a header and STX"};
  }
  const Header7901 h = ParseHeaderLine(NextLine(std::string_view(s).substr(0, stx), pos));
  // Keyword lines between the header line and STX.
  std::string slug, designator_text;
  std::vector<std::string> keyword_lines;
  while (pos < stx) {
    const std::string l =
        wire::Squeeze(wire::StripControls(NextLine(std::string_view(s).substr(0, stx), pos)));
    if (!l.empty()) keyword_lines.push_back(l);
  }
  for (size_t k = 0; k < keyword_lines.size(); ++k) {
    if (k == 0) {
      slug = CleanKeyword(keyword_lines[0], &designator_text);
    } else {
      designator_text += (designator_text.empty() ? "" : " ") + keyword_lines[k];
    }
  }
  const size_t etx = s.find(kEtx, stx + 1);
  const std::string_view text =
      std::string_view(s).substr(stx + 1, etx == std::string::npos ? std::string::npos : etx - stx - 1);
  const int64_t event_s = meta.event_time_ms > 0 ? meta.event_time_ms / 1000 : 0;
  PostText post;
  if (etx != std::string::npos) {
    size_t ppos = etx + 1;
    const size_t eot = s.find(kEot, ppos);
    const std::string_view after =
        std::string_view(s).substr(ppos, eot == std::string::npos ? 4096 : eot - ppos);
    size_t apos = 0;
    while (apos < after.size()) {
      const std::string_view line = NextLine(after, apos);
      if (wire::Squeeze(wire::StripControls(line)).empty()) continue;
      post = ParsePostText(line, event_s);
      break;
    }
  }

  const TextParts parts = SplitText(text);
  out.set_headline(parts.headline);
  AddBody(parts, out);
  wire::SetDatelineFromBody(out);
  std::string note;
  for (const auto& n : parts.note) note += (note.empty() ? "" : "\n") + n;
  out.set_ednote(note);

  // Times and identity.
  wire::Designator d;
  wire::ParseDesignator(designator_text, d);
  const bool first_version = d.lead == 0 && d.part.empty() && !d.correction && !d.kill;
  if (post.hour >= 0) {
    auto t = wire::WireTimeToUtc(post.date, post.hour, post.minute, post.zone);
    if (!t) t = wire::WireTimeToUtc(post.date, post.hour, post.minute, "");  // unknown zone: UTC
    if (t) {
      SetTimestamp(*t, out.mutable_versioncreated());
      if (first_version && h.item_version.empty()) SetTimestamp(*t, out.mutable_firstcreated());
    }
  }
  std::string date_key = wire::DateKey(post.date);
  // Without a post-text date the event's date (UTC) stands in.
  if (date_key.empty() && event_s > 0) date_key = wire::DateKey(wire::UtcDateOf(event_s));
  if (!h.item_id.empty()) {
    prov.set_guid(h.item_id);
    prov.set_provider_version(h.item_version);
  } else {
    prov.set_guid(wire::StoryGuid("iptc7901:" + AsciiLower(h.source), slug, date_key, d));
    prov.set_provider_version(wire::ProviderVersionOf(d));
  }
  out.set_slugline(slug);
  if (d.lead > 0 || (!h.item_version.empty() && h.item_version != "1"))
    out.mutable_signals()->set_update(true);
  if (d.correction) out.mutable_signals()->set_correction(true);
  if (d.embargo) out.mutable_signals()->set_embargo(true);
  if (d.kill) {
    out.mutable_signals()->set_kill(true);
    out.set_pubstatus(v1::PUB_STATUS_CANCELED);
  }
  if (meta.provider.empty() && !h.agency.empty()) prov.set_provider(h.agency);

  out.set_priority(static_cast<uint32_t>(PriorityNumber(h.priority)));
  if (!h.category.empty()) {
    auto* c = out.add_subjects();
    c->set_scheme("iptc7901-category");
    c->set_code(h.category);
    c->set_uri("iptc7901-category:" + h.category);
  }
  AddAltId(out, "iptc7901-source", h.source);
  AddAltId(out, "iptc7901-message-number", h.message_number);
  AddAltId(out, "iptc7901-header-info", h.optional);
  AddAltId(out, "iptc7901-version", designator_text);
  out.set_type("text");
  return OkStatus();
}

}  // namespace copydesk::normalize::internal
