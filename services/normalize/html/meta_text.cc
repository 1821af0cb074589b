// Text clean-up shared by the metadata extractor's parts, and byline splitting.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "normalize/ascii.h"
#include "normalize/html/entities.h"
#include "normalize/html/meta_internal.h"

namespace copydesk::normalize::internal {
namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// ---------------------------------------------------------------------------------------------
// Authors

bool LooksLikeRole(std::string_view s) {
  std::string l = AsciiLower(s);
  static const char* kRoles[] = {
      "staff writer", "reporter",  "correspondent", "editor",  "contributor",      "columnist", "writer",
      "senior",       "producer",  "photographer",  "staff",   "email the author", "follow",    "twitter",
      "updated",      "published", "associate",     "analyst", "news service",     "special to"};
  for (const char* r : kRoles) {
    if (l == r) return true;
  }
  if (l.find('@') != std::string::npos || l.find("http") != std::string::npos ||
      l.find("email") != std::string::npos || l.find(".com") != std::string::npos ||
      l.find(".org") != std::string::npos || l.find(".net") != std::string::npos ||
      l.find(".co.") != std::string::npos)
    return true;
  if (l.find("staff writer") != std::string::npos || l.find("correspondent") != std::string::npos ||
      l.find("email the author") != std::string::npos)
    return true;
  return false;
}

}  // namespace

std::string Trim(std::string_view s) {
  while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.front())))) s.remove_prefix(1);
  while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.back())))) s.remove_suffix(1);
  return std::string(s);
}

// Collapses white space runs and trims.
std::string Clean(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = true;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool sp = std::isspace(static_cast<unsigned char>(c));
    if (c == '\xC2' && i + 1 < s.size() && s[i + 1] == '\xA0') {
      sp = true;
      ++i;
    }
    if (sp) {
      if (!space) out.push_back(' ');
      space = true;
    } else {
      out.push_back(c);
      space = false;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Decodes entities that some publishers leave in meta/JSON-LD values ("&amp;", "&#8217;").
std::string CleanValue(std::string_view s) {
  if (s.find('&') == std::string_view::npos) return Clean(s);
  std::string dec;
  html::DecodeEntities(s, dec);
  return Clean(dec);
}

// Letters and digits only, lower-cased, for loose comparisons.
std::string Norm(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c >= 0x80) out.push_back(static_cast<char>(std::tolower(c)));
  }
  return out;
}

std::vector<std::string> SplitAuthors(std::string_view raw) {
  std::string s = Clean(raw);
  // strip a leading "By"
  auto strip_prefix = [&](std::string_view p) {
    if (s.size() > p.size() && AsciiLower(s.substr(0, p.size())) == p) {
      s = Trim(std::string_view(s).substr(p.size()));
      return true;
    }
    return false;
  };
  strip_prefix("by:") || strip_prefix("by ") || strip_prefix("written by ") || strip_prefix("words by ") ||
      strip_prefix("por ") || strip_prefix("par ") || strip_prefix("von ") || strip_prefix("di ") ||
      strip_prefix("oleh ") || strip_prefix("posted by ") || strip_prefix("author: ") ||
      strip_prefix("autor: ") || strip_prefix("текст: ") || strip_prefix("автор: ") ||
      strip_prefix("text: ") || strip_prefix("Текст: ") || strip_prefix("Автор: ");
  // cut trailing "| Updated ...", dates, " - role"
  for (std::string_view sep : {" | ", " – ", " — ", "\n", " · ", " - "}) {
    auto p = s.find(sep);
    if (p != std::string::npos) s = s.substr(0, p);
  }
  std::vector<std::string> parts;
  std::string cur;
  // split on ",", " and ", " & ", ";", " y ", " e ", " und "
  std::string l = AsciiLower(s);
  size_t i = 0;
  while (i < s.size()) {
    size_t len = 0;
    if (s[i] == ',' || s[i] == ';')
      len = 1;
    else if (l.compare(i, 5, " and ") == 0 || l.compare(i, 5, " und ") == 0)
      len = 5;
    else if (l.compare(i, 3, " & ") == 0)
      len = 3;
    if (len) {
      parts.push_back(Trim(cur));
      cur.clear();
      i += len;
      continue;
    }
    cur.push_back(s[i++]);
  }
  parts.push_back(Trim(cur));
  std::vector<std::string> out;
  for (auto& p : parts) {
    if (p.empty() || p.size() > 60) continue;
    std::string lp = AsciiLower(p);
    if (lp == "jr" || lp == "jr." || lp == "sr." || lp == "inc." || lp == "phd") {
      if (!out.empty()) out.back() += ", " + p;
      continue;
    }
    if (LooksLikeRole(p)) continue;
    // "JOHN SMITH" (styled bylines) -> "John Smith"; short acronyms (AP, BBC) stay.
    bool has_lower = false;
    size_t letters = 0;
    for (char c : p) {
      if (c >= 'a' && c <= 'z') has_lower = true;
      if (c >= 'A' && c <= 'Z') ++letters;
    }
    if (!has_lower && letters >= 4 &&
        std::all_of(p.begin(), p.end(), [](unsigned char c) { return c < 0x80; })) {
      bool up = true;
      for (char& c : p) {
        if (c >= 'A' && c <= 'Z' && !up) c = static_cast<char>(c | 0x20);
        up = c == ' ' || c == '-' || c == '\'' || c == '.';
      }
    }
    // a name has no digits and at most 6 words
    if (std::any_of(p.begin(), p.end(), [](char c) { return IsDigit(c); })) continue;
    if (std::count(p.begin(), p.end(), ' ') > 5) continue;
    out.push_back(p);
  }
  return out;
}

}  // namespace copydesk::normalize::internal
