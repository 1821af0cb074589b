// Line-shape helpers for the text/plain page-dump decoder (text.cc). Exposed for unit tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace copydesk::normalize::internal {

// One non-blank line of a page dump, with the shape facts the decoder classifies it by.
struct TextLine {
  std::string text;        // trimmed, Unicode spaces folded to ' ', runs collapsed
  bool gap_before = true;  // a blank line (or the start of the text) precedes it
  int words = 0;
  bool terminal = false;     // ends a sentence: . ! ? ... (before closing quotes/brackets)
  bool boilerplate = false;  // IsBoilerplateLine(text), computed once by SplitTextLines
  bool legal = false;        // HasLegalPhrase(text), computed in the same pass
};

// Splits UTF-8 text into non-blank lines (LF, CRLF or CR), folding NBSP and the other Unicode
// spaces into ' '.
std::vector<TextLine> SplitTextLines(std::string_view utf8);

// A line that reads like body prose: a finished sentence of some length, or a long run of words.
bool IsProseLine(const TextLine& line);

// A person's name such as "George W Bush" or "Tony Blair, Prime Minister".
bool IsNameLine(std::string_view s);

// Known page furniture: share/e-mail/print links, "Advertisement", disclaimers, "Links to more ...".
bool IsBoilerplateLine(std::string_view s);

// Legal small print: a trademark, copyright, cookie or privacy notice, a medical disclaimer.
bool HasLegalPhrase(std::string_view s);

// Strips one pair of surrounding quotes ("..." “...” '...' «...»).
std::string_view StripQuotes(std::string_view s);

// A "By Jane Doe and John Roe" byline: returns the author names, or empty when the line is not one.
std::vector<std::string> ParseBylineLine(std::string_view s);

}  // namespace copydesk::normalize::internal
