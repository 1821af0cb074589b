// The text of an ANPA 1312 message: '^' header lines (slug line, headline, notes, byline), tagged
// header lines, tab-indented paragraphs, and 7-bit typography.
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "normalize/anpa1312.h"
#include "normalize/ascii.h"
#include "normalize/wire_text.h"

namespace copydesk::normalize::internal::anpa {
namespace {

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

}  // namespace

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

std::string_view WithoutCycle(std::string_view kw) {
  if (kw.size() > 3 && kw[2] == '-') {
    const std::string c = AsciiLower(kw.substr(0, 2));
    if (c == "am" || c == "pm" || c == "bc" || c == "ap") return kw.substr(3);
  }
  return kw;
}

std::string HeaderKeyword(std::string_view slug) {
  std::string k;
  for (char c : slug) {
    if (c != ' ' && k.size() < 24) k += c;
  }
  return k;
}

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
    std::string line = wire::StripControls(wire::NextLine(text, pos));
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
        if (std::string more = CleanHeaderLine(line); !more.empty()) {
          std::string& head = parts.header.back();
          if (!head.empty()) head += ' ';
          head += more;
        }
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
  return parts;
}

void ReadSlugLine(std::string_view l, HeaderFacts& facts) {
  size_t start = 0;
  bool first = true;
  while (start <= l.size()) {
    size_t comma = l.find(',', start);
    if (comma == std::string_view::npos) comma = l.size();
    std::string field = wire::Squeeze(l.substr(start, comma - start));
    if (first) {
      facts.slug = field;
    } else if (!field.empty() && !wire::IsDigits(field)) {
      facts.designators += (facts.designators.empty() ? "" : " ") + field;
    }
    first = false;
    start = comma + 1;
  }
}

bool IsSlugLine(std::string_view l, std::string_view keyword) {
  return (!keyword.empty() && StartsWithAsciiLower(HeaderKeyword(l), AsciiLower(keyword.substr(0, 8)))) ||
         WithoutCycle(l).size() != l.size();
}

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

}  // namespace copydesk::normalize::internal::anpa
