// Line-shape helpers for the text/plain decoder (text.cc, text_header.cc, text_region.cc): the
// split into lines and the classifiers that look at one line. Exposed for unit tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace copydesk::normalize::internal {

// What a line that ends an article is (see EndMarker).
enum class Marker { kNone, kSoft, kHard };

// One non-blank line of a page dump, with the shape facts the decoder classifies it by.
struct TextLine {
  std::string text;        // trimmed, Unicode spaces folded to ' ', runs collapsed
  bool gap_before = true;  // a blank line (or the start of the text) precedes it
  int words = 0;
  bool terminal = false;          // ends a sentence: . ! ? ... (before closing quotes/brackets)
  bool boilerplate = false;       // IsBoilerplateLine(text), computed once by SplitTextLines
  bool legal = false;             // HasLegalPhrase(text), computed in the same pass
  bool prose = false;             // reads like body prose (see MarkProse)
  bool credit = false;            // a picture's credit or caption label (see IsCreditLine)
  Marker marker = Marker::kNone;  // the end marker it is (see EndMarker)
};

// The prose thresholds: a line that ends a sentence is prose from `min_words` words, any line from
// `run_words` words.
constexpr int kProseMinWords = 3;
constexpr int kProseRunWords = 20;

// Splits UTF-8 text into non-blank lines (LF, CRLF or CR), folding NBSP and the other Unicode
// spaces into ' '. Marks prose with the default thresholds.
std::vector<TextLine> SplitTextLines(std::string_view utf8);

// Marks prose again with other thresholds.
void MarkProse(std::vector<TextLine>& lines, int min_words, int run_words);

// A line that reads like body prose: a finished sentence of some length, or a long run of words.
inline bool IsProseLine(const TextLine& line) {
  return line.prose;
}

// A person's name such as "George W Bush" or "Tony Blair, Prime Minister".
bool IsNameLine(std::string_view s);

// Known page furniture: share/e-mail/print links, "Advertisement", disclaimers, "Links to more ...".
bool IsBoilerplateLine(std::string_view s);

// Legal small print: a trademark, copyright, cookie or privacy notice, a medical disclaimer.
bool HasLegalPhrase(std::string_view s);

// A line of the article header that is never a headline: a byline, a date, "2 min read", a share
// prompt, a photo or video label.
bool IsMetaLine(const TextLine& line);

// "You are in: World: Americas" / "Home > World > Americas" -> ["World", "Americas"]; empty otherwise.
std::vector<std::string> SectionPathFromLine(std::string_view line);

// A list header: "See also:", "Related stories" (kSeeAlso); "Internet links:" (kInternetLinks).
enum class ListHeader { kNone, kSeeAlso, kInternetLinks };
ListHeader ListHeaderKind(std::string_view line);

// Lines that end an article: comment sections, share bars, "more from" boxes, cookie banners
// (kHard); boxes that also sit inside articles and need not end them: "Related", "Read more" (kSoft).
inline Marker EndMarker(const TextLine& line) {
  return line.marker;
}

// "© 2020 Example" / "Copyright 2001 ...".
bool IsCopyrightLine(std::string_view line);

// "• item", "- item", "1. item", "2) item": sets `rest` to the item and `ordered` for numbers.
bool IsBulletLine(std::string_view s, bool& ordered, std::string_view& rest);

// Small string helpers shared by the decoder's files.
bool StartsWithCI(std::string_view s, std::string_view lower_prefix);
std::string_view TrimView(std::string_view s);                                // trims ' '
std::vector<std::string> SplitOn(std::string_view s, std::string_view seps);  // trimmed, non-empty parts

// A picture's credit or caption label: "Photo: ...", "(Credit: Getty Images)", "Image copyright ...",
// "Photo by ...". Looked at up to 60 words.
inline bool IsCreditLine(const TextLine& line) {
  return line.credit;
}

// True when the text has an ASCII digit.
bool HasDigit(std::string_view s);

// Strips one pair of surrounding quotes ("..." “...” '...' «...»).
std::string_view StripQuotes(std::string_view s);

// A "By Jane Doe and John Roe" byline: returns the author names, or empty when the line is not one.
std::vector<std::string> ParseBylineLine(std::string_view s);

}  // namespace copydesk::normalize::internal
