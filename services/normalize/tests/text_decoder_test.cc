// The text/plain page-dump decoder on dumps in shapes other than the seed, plus its date parser.
#include <gtest/gtest.h>

#include <array>
#include <random>
#include <string>

#include "normalize/ascii.h"
#include "normalize/normalize.h"
#include "normalize/text_dates.h"
#include "normalize/text_lines.h"

namespace copydesk::normalize {
namespace {

v1::Article NormalizeText(const std::string& text, const std::string& provider = "") {
  Metadata meta;
  meta.content_type = "text/plain; charset=utf-8";
  meta.provider = provider;
  auto r = Normalize(text, meta);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().reason);
  return r.ok() ? r.value() : v1::Article();
}

// 2020-03-03T14:45 CET and friends, written out by hand.
constexpr int64_t k20200303 = 1583193600;  // 2020-03-03T00:00:00Z

TEST(TextDates, ParsesPrintedDatelinesInManyShapes) {
  using internal::ParseHumanDate;
  auto d = ParseHumanDate("Thursday, 15 November, 2001, 18:38 GMT", true);
  ASSERT_TRUE(d);
  EXPECT_EQ(internal::ToUtcSeconds(*d, ""), 1005849480);
  EXPECT_TRUE(d->has_time);
  EXPECT_FALSE(d->is_update);
  d = ParseHumanDate("Thu, 15 Nov 2001 18:38:00 +0000", true);
  ASSERT_TRUE(d);
  EXPECT_EQ(internal::ToUtcSeconds(*d, ""), 1005849480);
  d = ParseHumanDate("Nov. 15, 2001 1:38 p.m. EST", true);
  ASSERT_TRUE(d);
  EXPECT_EQ(internal::ToUtcSeconds(*d, ""), 1005849480);
  d = ParseHumanDate("Last updated: 15 Nov 01", true);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->is_update);
  EXPECT_FALSE(d->has_time);
  EXPECT_EQ(internal::ToUtcSeconds(*d, ""), 1005782400);
  d = ParseHumanDate("Published March 3, 2020 2:45 p.m. CET", true);
  ASSERT_TRUE(d);
  EXPECT_EQ(internal::ToUtcSeconds(*d, ""), k20200303 + 13 * 3600 + 45 * 60);
  // A sentence that mentions a date is not a dateline.
  EXPECT_FALSE(ParseHumanDate("Leaders met on 15 November 2001 in Texas", true));
  EXPECT_FALSE(ParseHumanDate("No Bush-Putin missile agreement", true));
  EXPECT_FALSE(ParseHumanDate("31 February 2001", true));
}

TEST(TextDates, ParsesIsoExtendedAndBasic) {
  using internal::ParseIsoDateTime;
  auto utc = [](std::string_view s) -> std::optional<int64_t> {
    auto t = ParseIsoDateTime(s);
    if (!t) return std::nullopt;
    return internal::ToUtcSeconds(*t, "");
  };
  EXPECT_EQ(utc("2001-11-15T18:38:00Z"), 1005849480);
  EXPECT_EQ(utc("2001-11-15T19:38:00+01:00"), 1005849480);
  EXPECT_EQ(utc("2001-11-15T18:38:00.250Z"), 1005849480);
  EXPECT_EQ(utc("20011115T183800Z"), 1005849480);
  EXPECT_EQ(utc("20011115T133800-0500"), 1005849480);
  EXPECT_EQ(utc("2001-11-15"), 1005782400);
  EXPECT_FALSE(ParseIsoDateTime("2001-13-15"));
  EXPECT_FALSE(ParseIsoDateTime("yesterday"));
  EXPECT_FALSE(ParseIsoDateTime("2001-11-15T18:38:00 garbage"));
}

TEST(TextLines, FoldsUnicodeSpacesAndRecordsGaps) {
  auto lines = internal::SplitTextLines("\xEF\xBB\xBF  One\xC2\xA0two \r\n\r\nthree.\rfour");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].text, "One two");
  EXPECT_TRUE(lines[0].gap_before);
  EXPECT_EQ(lines[1].text, "three.");
  EXPECT_TRUE(lines[1].gap_before);
  EXPECT_TRUE(lines[1].terminal);
  EXPECT_EQ(lines[2].text, "four");
  EXPECT_FALSE(lines[2].gap_before);
  // Tabs and control bytes fold to a space, runs collapse, zero-width characters vanish, the
  // ends are trimmed; a line of nothing but spaces is a gap.
  lines = internal::SplitTextLines(
      " \ta\t\tb\x01 c\xE2\x80\x8B"
      "d\x7F \n \t \nz\xC3\xA9 \xE3\x80\x80 y");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text, "a b cd");
  EXPECT_EQ(lines[0].words, 3);
  EXPECT_EQ(lines[1].text, "z\xC3\xA9 y");
  EXPECT_TRUE(lines[1].gap_before);
  EXPECT_FALSE(lines[1].boilerplate);
  EXPECT_TRUE(internal::SplitTextLines("x\nAll rights reserved.")[1].boilerplate);
}

// One pass marks both: boilerplate phrases and legal small print, any ASCII case.
TEST(TextLines, LegalSmallPrintIsMarkedWithTheBoilerplate) {
  auto lines = internal::SplitTextLines(
      "Read our Privacy Policy and TERMS OF USE.\n\xC2\xA9 2019 Example Corp\nAll rights reserved.\n"
      "The committee met on Monday.\nLinks to more :");
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_TRUE(lines[0].legal);
  EXPECT_FALSE(lines[0].boilerplate);
  EXPECT_TRUE(lines[1].legal);
  EXPECT_TRUE(lines[2].legal);
  EXPECT_TRUE(lines[2].boilerplate);
  EXPECT_FALSE(lines[3].legal);
  EXPECT_FALSE(lines[3].boilerplate);
  EXPECT_FALSE(lines[4].boilerplate);  // "links to more " needs text after it
  EXPECT_TRUE(internal::HasLegalPhrase("This product is not intended to diagnose any disease"));
  EXPECT_FALSE(internal::HasLegalPhrase("The cookie jar"));
}

// PhraseSet::FoundIn answers what lower-casing the text and calling find() for every phrase does,
// on random texts built from the phrases' pieces in mixed case, other letters and UTF-8 bytes.
TEST(TextLines, PhraseSetFindsWhatLowerCaseFindFinds) {
  static constexpr std::array<std::string_view, 4> kPhrases = {"all rights", "cookies", "\xC2\xA9", "ab"};
  static constexpr PhraseSet<4> kSet(kPhrases);
  const std::array<std::string_view, 12> pieces = {"All ", "RIGHTS", "rights", "cook", "Cookies", "\xC2",
                                                   "\xA9", "a",      "B",      " ",    "xyz",     "\xC3\xA9"};
  std::mt19937 rng(7);
  int found = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string text;
    const int parts = static_cast<int>(rng() % 8);
    for (int i = 0; i < parts; ++i) text += pieces[rng() % pieces.size()];
    const std::string lower = AsciiLower(text);
    bool expected = false;
    for (auto p : kPhrases) expected = expected || lower.find(p) != std::string::npos;
    ASSERT_EQ(kSet.FoundIn(text), expected) << text;
    found += expected ? 1 : 0;
  }
  EXPECT_GT(found, 2000);  // both answers were exercised
  EXPECT_LT(found, 18000);
}

// Boilerplate: a phrase anywhere in the line (any ASCII case, also at its very start and end)
// or the whole line; near misses are not.
TEST(TextLines, BoilerplatePhrasesAndWholeLines) {
  EXPECT_TRUE(internal::IsBoilerplateLine("Copyright 2008 Reuters. All Rights Reserved."));
  EXPECT_TRUE(internal::IsBoilerplateLine("all rights reserved"));
  EXPECT_TRUE(internal::IsBoilerplateLine("xJavaScript is disabled"));
  EXPECT_TRUE(internal::IsBoilerplateLine("Please SIGN UP FOR OUR NEWSLETTER today"));
  EXPECT_TRUE(internal::IsBoilerplateLine("e-mail this story to a friend"));
  EXPECT_TRUE(internal::IsBoilerplateLine("Advertisement"));
  EXPECT_TRUE(internal::IsBoilerplateLine("Read more >"));
  EXPECT_TRUE(internal::IsBoilerplateLine("Skip to main content |"));
  EXPECT_TRUE(internal::IsBoilerplateLine("OK:"));
  EXPECT_FALSE(internal::IsBoilerplateLine("all rights reserve"));
  EXPECT_FALSE(internal::IsBoilerplateLine("Share prices fell sharply on Monday."));
  EXPECT_FALSE(internal::IsBoilerplateLine("Advertisements"));
  EXPECT_FALSE(internal::IsBoilerplateLine("The e-mail was sent to this story's author."));
  EXPECT_FALSE(internal::IsBoilerplateLine("links to more"));  // the phrase needs its trailing space
  EXPECT_TRUE(internal::IsBoilerplateLine("links to more stories"));
  EXPECT_FALSE(internal::IsBoilerplateLine(""));
  EXPECT_FALSE(internal::IsBoilerplateLine("a"));
}

TEST(TextLines, NamesAndBylines) {
  EXPECT_TRUE(internal::IsNameLine("George W Bush"));
  EXPECT_TRUE(internal::IsNameLine("Tony Blair, Prime Minister"));
  EXPECT_FALSE(internal::IsNameLine("The BBC's Stephen Sackur"));
  EXPECT_FALSE(internal::IsNameLine("Russia strongly opposes the plan"));
  auto names = internal::ParseBylineLine("By Jane Doe and John Roe, Brussels Correspondent");
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0], "Jane Doe");
  EXPECT_EQ(names[1], "John Roe");
  EXPECT_TRUE(internal::ParseBylineLine("Bystanders watched").empty());
}

constexpr char kModernDump[] =
    "Example Times\n"
    "Home | World | Business | Sport\n"
    "\n"
    "World > Europe\n"
    "\n"
    "EU leaders agree on new climate targets\n"
    "\n"
    "By Jane Doe and John Roe, Brussels Correspondent\n"
    "\n"
    "Updated 15:02 CET, Tue 3 March 2020\n"
    "Published March 3, 2020 2:45 p.m. CET\n"
    "\n"
    "BRUSSELS (Reuters) - European Union leaders agreed on Tuesday to cut emissions by 55 percent by 2030, "
    "after talks that ran through the night.\n"
    "\n"
    "The deal, reached after 20 hours of negotiation, still needs the approval of the European Parliament.\n"
    "\n"
    "Advertisement\n"
    "\n"
    "Key points\n"
    "\n"
    "- Emissions cut by 55 percent by 2030\n"
    "- A fund of 17.5 billion euros for coal regions\n"
    "\n"
    "\"This is a historic day for Europe,\" the Commission president told reporters after the summit.\n"
    "\n"
    "Share this article\n"
    "Related stories\n"
    "Leaders meet in Brussels\n"
    "Climate fund explained\n"
    "\n"
    "\xC2\xA9 2020 Example Times. All rights reserved.\n";

TEST(TextDecoder, ModernDumpWithBylineBulletsAndRelatedStories) {
  v1::Article a = NormalizeText(kModernDump);
  EXPECT_EQ(a.headline(), "EU leaders agree on new climate targets");
  ASSERT_EQ(a.section_path_size(), 2);
  EXPECT_EQ(a.section_path(0), "World");
  EXPECT_EQ(a.section_path(1), "Europe");
  EXPECT_EQ(a.byline(), "Jane Doe and John Roe");
  ASSERT_EQ(a.authors_size(), 2);
  EXPECT_EQ(a.authors(1).name(), "John Roe");
  EXPECT_EQ(a.firstcreated().seconds(), k20200303 + 13 * 3600 + 45 * 60);
  EXPECT_EQ(a.versioncreated().seconds(), k20200303 + 14 * 3600 + 2 * 60);
  EXPECT_EQ(a.located().city(), "Brussels");
  EXPECT_EQ(a.located().dateline(), "BRUSSELS (Reuters) -");
  ASSERT_EQ(a.body_size(), 6);
  EXPECT_EQ(a.body(0).type(), v1::BLOCK_TYPE_PARAGRAPH);
  EXPECT_EQ(a.body(2).type(), v1::BLOCK_TYPE_SUBHEADING);
  EXPECT_EQ(a.body(2).text(), "Key points");
  EXPECT_EQ(a.body(3).type(), v1::BLOCK_TYPE_LIST_ITEM);
  EXPECT_EQ(a.body(3).text(), "Emissions cut by 55 percent by 2030");
  EXPECT_FALSE(a.body(3).ordered());
  EXPECT_EQ(a.body(4).type(), v1::BLOCK_TYPE_LIST_ITEM);
  EXPECT_EQ(a.body(5).type(), v1::BLOCK_TYPE_PARAGRAPH);
  EXPECT_EQ(a.body_text().find("Advertisement"), std::string::npos);
  EXPECT_EQ(a.body_text().find("Share"), std::string::npos);
  ASSERT_EQ(a.related_size(), 2);
  EXPECT_EQ(a.related(0).title(), "Leaders meet in Brussels");
  EXPECT_EQ(a.related(1).title(), "Climate fund explained");
  EXPECT_EQ(a.copyright_notice(), "\xC2\xA9 2020 Example Times. All rights reserved.");
  EXPECT_EQ(a.provenance().provider(), "Example Times");
}

TEST(TextDecoder, MetadataProviderWinsOverTheDocument) {
  v1::Article a = NormalizeText(kModernDump, "Wire Co");
  EXPECT_EQ(a.provenance().provider(), "Wire Co");
}

TEST(TextDecoder, HeadlineAboveTheDateAndNumberedList) {
  const std::string dump =
      "Skip to content\n"
      "News Sport Weather\n"
      "Storm closes schools across the north\n"
      "15 January 2024\n"
      "\n"
      "Heavy snow has closed more than 300 schools across the north of the country, officials said.\n"
      "\n"
      "The closures affect around 40,000 pupils and are expected to last until Wednesday at least.\n"
      "\n"
      "1. Check your school's website.\n"
      "2. Listen to local radio for updates.\n"
      "\n"
      "Forecasters expect temperatures to rise slowly later in the week, bringing a thaw.\n";
  v1::Article a = NormalizeText(dump);
  EXPECT_EQ(a.headline(), "Storm closes schools across the north");
  EXPECT_EQ(a.firstcreated().seconds(), 1705276800);  // 2024-01-15T00:00:00Z
  ASSERT_EQ(a.body_size(), 5);
  EXPECT_EQ(a.body(2).type(), v1::BLOCK_TYPE_LIST_ITEM);
  EXPECT_TRUE(a.body(2).ordered());
  EXPECT_EQ(a.body(2).text(), "Check your school's website.");
  EXPECT_EQ(a.body_text().find("Skip to content"), std::string::npos);
  EXPECT_EQ(a.body_text().find("News Sport Weather"), std::string::npos);
}

TEST(TextDecoder, NoDatelineTakesTheNearestTitleAboveTheProse) {
  const std::string dump =
      "MENU\n"
      "Council approves new cycle lanes\n"
      "\n"
      "The city council voted on Monday night to build twelve kilometres of protected cycle lanes.\n"
      "\n"
      "Work is due to start in the spring and finish before the end of next year.\n";
  v1::Article a = NormalizeText(dump);
  EXPECT_EQ(a.headline(), "Council approves new cycle lanes");
  EXPECT_FALSE(a.has_firstcreated());
  ASSERT_EQ(a.body_size(), 2);
  EXPECT_EQ(a.word_count(), 31u);
}

TEST(TextDecoder, LinesWithoutProseStillGiveAHeadline) {
  v1::Article a = NormalizeText("Just a title\nand a line\n");
  EXPECT_EQ(a.headline(), "Just a title");
  ASSERT_EQ(a.body_size(), 1);
  EXPECT_EQ(a.body(0).text(), "and a line");
}

TEST(TextDecoder, Latin1BytesAreDecoded) {
  Metadata meta;
  meta.content_type = "text/plain; charset=iso-8859-1";
  std::string dump =
      "Caf\xE9 owners protest\n\nThe owners of every caf\xE9 in the old town closed for a day.\n";
  auto r = Normalize(dump, meta);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r->headline(), "Caf\xC3\xA9 owners protest");
}

}  // namespace
}  // namespace copydesk::normalize

namespace copydesk::normalize {
namespace {

TEST(TextDates, LongDigitRunsDoNotOverflow) {
  // Found by fuzz_normalize_text: a 10-digit token overflowed the digit accumulator.
  EXPECT_FALSE(internal::ParseHumanDate("8888888888 Nov 2001", true));
  EXPECT_FALSE(internal::ParseHumanDate("99999999999999999999 15 Nov 2001", true));
}

TEST(TextDecoder, CommentsAfterTheArticleAreNotBody) {
  std::string dump =
      "Council approves new cycle lanes\n\n"
      "The city council voted on Monday night to build twelve kilometres of protected cycle lanes across the "
      "centre.\n\n"
      "Work is due to start in the spring and finish before the end of next year, officials said.\n\n"
      "The plan was first proposed three years ago and has been revised twice since then.\n\n"
      "12 Comments\n\n"
      "About time this happened in our city, honestly it took them far too long.\n\n"
      "I cycle every day and this will make a real difference to my commute to work.\n";
  v1::Article a = NormalizeText(dump);
  EXPECT_NE(a.body_text().find("revised twice"), std::string::npos);
  EXPECT_EQ(a.body_text().find("About time"), std::string::npos);
  EXPECT_EQ(a.body_text().find("Comments"), std::string::npos);
}

TEST(TextDecoder, InlineRelatedBoxDoesNotEndTheArticle) {
  std::string dump =
      "Storm closes schools\n\n"
      "Heavy snow has closed more than 300 schools across the north of the country, officials said today.\n\n"
      "Related: Snow warnings issued for the weekend\n\n"
      "The closures affect around 40,000 pupils and are expected to last until Wednesday at least.\n";
  v1::Article a = NormalizeText(dump);
  EXPECT_NE(a.body_text().find("40,000 pupils"), std::string::npos);
  EXPECT_EQ(a.body_text().find("Snow warnings"), std::string::npos);
}

}  // namespace
}  // namespace copydesk::normalize

namespace copydesk::normalize {
namespace {

TEST(TextDecoder, BylineAndTimeFromAMetaLine) {
  std::string dump =
      "Menu\nHome\nNews\nSport\n\n"
      "Council votes to close the old bridge\n\n"
      "By Anna Kim - Nov 19, 2019, 10:31 pm CST\n\n"
      "The city council voted on Tuesday to close the old river bridge to traffic from next month.\n\n"
      "Engineers found cracks in two of its supports during an inspection in the summer.\n";
  v1::Article a = NormalizeText(dump);
  EXPECT_EQ(a.headline(), "Council votes to close the old bridge");
  EXPECT_EQ(a.byline(), "Anna Kim");
  EXPECT_EQ(a.firstcreated().seconds(), 1574224260);  // 2019-11-20T04:31:00Z
  ASSERT_EQ(a.body_size(), 2);
}

}  // namespace
}  // namespace copydesk::normalize
