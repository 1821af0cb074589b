// ANPA 1312 internals shared by anpa1312.cc (framing, header fields, trailer, identity) and
// anpa1312_text.cc (the text: '^' header lines, paragraphs, 7-bit typography).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "copydesk/v1/article.pb.h"

namespace copydesk::normalize::internal::anpa {

// The text between STX and ETX: its '^' header lines (markers removed) and its paragraphs (a tab
// or a blank line starts one; tabular text has one per line).
struct TextParts {
  std::vector<std::string> header;  // '^' lines, cleaned
  std::vector<std::string> paragraphs;
};

TextParts SplitText(std::string_view text, bool tabular);

// ANPA's 7-bit typography undone: `` and '' are double quotes, ` a single opening quote, " _ " a
// dash.
std::string Typography(std::string_view s);

// The keyword without the cycle designator of AP keywords (AM-, PM-, BC- for both, AP-).
std::string_view WithoutCycle(std::string_view kw);

// The keyword as the header line carries it: spaces dropped, at most 24 characters.
std::string HeaderKeyword(std::string_view slug);

struct HeaderFacts {
  std::string slug;         // from the slug line, untruncated
  std::string designators;  // version words of the slug line
};

// The first header line repeats the keyword (untruncated) or starts with a cycle designator.
bool IsSlugLine(std::string_view l, std::string_view keyword);

// "BC-BKN--Heat-Hawks, 1st Ld-Writethru,416": the slug, then version words, then the word count.
void ReadSlugLine(std::string_view l, HeaderFacts& facts);

// The '^' header lines into `out`: slug line, headline, notes, byline and its title, summary,
// tagged lines (HL:, INDEX:, SYMBOL:, Eds:, Update:, code:). In a part sent on its own (an add,
// an insert) the line after the slug line is the pickup line, a note saying where the part goes.
HeaderFacts ReadHeaderLines(const std::vector<std::string>& lines, std::string_view keyword, bool is_part,
                            v1::Article& out);

}  // namespace copydesk::normalize::internal::anpa
