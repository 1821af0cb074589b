// Internal interfaces between the parts of the text/plain decoder: text_region.cc finds the body,
// text_header.cc reads what stands above it, text.cc decodes the body and the footer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "copydesk/v1/article.pb.h"
#include "normalize/normalize.h"
#include "normalize/text_dates.h"
#include "normalize/text_lines.h"

namespace copydesk::normalize::internal {

// The decoder's numeric choices, gathered so that they can be fitted and checked on evaluation
// pages: tests/bench/textdump_twins.py fits them on one half of the text dumps of the extraction
// benchmark's pages and measures them on the other, through the text_fit tool. The defaults,
// which copydesk uses, are that procedure's fit on all the pages.
struct TextParams {
  int prose_min_words = kProseMinWords;  // a line that ends a sentence is prose from this many words
  int prose_run_words = kProseRunWords;  // any line is prose from this many words
  int short_base = 10;  // a line that is not prose weighs -(short_base + words / short_slope)
  int short_slope = 3;
  int keep_short_words = 1;  // inside the body, a line that is nothing else is a paragraph from here
  // List blocks (glued lines: product features, ingredients, results; see text_region.cc).
  int list_min_lines = 3;
  int list_mean_words10 = 40;  // mean words per line, times 10
  int list_digit_pct = 75;     // share of lines with a digit, in %
  int list_weight_pct = 100;   // a list line weighs this % of its words; below 0 the penalty of a short line
};

// Sets one parameter by name; false for an unknown name or a value outside its range.
bool SetTextParam(TextParams& params, std::string_view name, int value);
// Every parameter's name and value, in declaration order.
std::vector<std::pair<std::string, int>> TextParamList(const TextParams& params);

// Decodes with explicit parameters; DecodeText (internal.h) is this with TextParams{}.
Status DecodeTextWith(std::string_view bytes, const Metadata& meta, const Limits& limits,
                      const TextParams& params, v1::Article& out);

// The body region [begin, end) of `lines`; {0, 0} when there is no prose at all.
std::pair<size_t, size_t> FindBodyRegion(const std::vector<TextLine>& lines, const TextParams& params);

// A text/plain event rather than a page dump: a title line of at most 20 words, a blank line, and
// at most one more free-standing line that is no page furniture before the body region that
// starts at `begin`.
bool IsEventShape(const std::vector<TextLine>& lines, size_t begin);

// Where the story of an event ends: `end` extended over the lines after it up to the first line of
// page furniture (boilerplate, an end marker, a list header, a copyright line, legal small print, a
// comment's time) or the first run of glued lines.
size_t EventBodyEnd(const std::vector<TextLine>& lines, size_t end);

// Header: everything before the body region gives the headline, times, section path, provider,
// byline, a standfirst or a caption.
void DecodeHeader(const std::vector<TextLine>& lines, size_t begin, const Metadata& meta, v1::Article& out);

// A line that can be a headline: a few words, not a date, a byline, a section path or furniture.
bool TitleLike(const TextLine& line);

// The dateline at the head of the first paragraph: "WASHINGTON (Reuters) - ...".
void DetectDateline(std::string_view para, v1::Located& located);

void SetAuthors(const std::vector<std::string>& names, v1::Article& out);
// Sets firstcreated (versioncreated for an "updated" line) when still empty; a time without a zone
// is read in `zone` (Metadata::timezone).
void SetTime(const HumanDate& d, std::string_view zone, v1::Article& out);

}  // namespace copydesk::normalize::internal
