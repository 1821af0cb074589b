// The text/plain decoder on events (a title line, a blank line, the story) and on the line shapes
// that decide a page dump's body: abbreviations, whole-word meta prefixes, credits, lists, scripts
// written without spaces.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "normalize/internal.h"
#include "normalize/normalize.h"
#include "normalize/text_decode.h"
#include "normalize/text_lines.h"

namespace copydesk::normalize {
namespace {

v1::Article Text(const std::string& text) {
  Metadata meta;
  meta.content_type = "text/plain";
  auto r = Normalize(text, meta);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().reason);
  return r.ok() ? r.value() : v1::Article();
}

std::vector<std::string> Blocks(const v1::Article& a) {
  std::vector<std::string> out;
  for (const auto& b : a.body()) out.push_back(b.text());
  return out;
}

TEST(TextEvent, TitleLineIsTheHeadlineWhateverItsPunctuation) {
  const char* kTitles[] = {"Exxon, Shell could request SPR loans: Louisiana Gov.",
                           "Carlyle may look at assets bought by U.S.",
                           "Shares of Prudential, Principal Financial fall",
                           "Watchdog criticizes SEC's conduct of probe",
                           "Foreclosures up 21 percent from year ago",
                           "Share prices slump as banks wobble",
                           "Why did the Fed cut rates?"};
  for (const char* title : kTitles) {
    v1::Article a =
        Text(std::string(title) +
             "\n\nNEW YORK (Reuters) - Stocks fell on Monday as investors worried about the banks, "
             "traders said.\n\nThe Dow lost 2 percent in its third straight decline.\n");
    EXPECT_EQ(a.headline(), title);
    ASSERT_EQ(a.body_size(), 2) << title;
    EXPECT_EQ(a.located().city(), "New York");
  }
}

TEST(TextEvent, ShortParagraphsFiguresAndCreditsStayInTheStory) {
  const std::string story =
      "Acme quarterly profit beats forecasts\n\n"
      "(Corrects paragraph 2 to show the figure is in dollars)\n\n"
      "CHICAGO (Reuters) - Acme Corp reported higher quarterly profit on Tuesday, helped by strong demand "
      "for "
      "its anvils.\n\n"
      "Q3 EPS $0.45 vs $0.40\n\n"
      "Revenue $1.2 bln\n\n"
      "\"We had a great quarter,\" the chief executive told analysts on a conference call.\n\n"
      "Jane Roe, Acme chief executive\n\n"
      "The shares rose 3 percent in extended trading.\n\n"
      "(Reporting by Jane Doe; Editing by John Smith)\n";
  v1::Article a = Text(story);
  EXPECT_EQ(a.headline(), "Acme quarterly profit beats forecasts");
  const std::vector<std::string> want = {
      "(Corrects paragraph 2 to show the figure is in dollars)",
      "CHICAGO (Reuters) - Acme Corp reported higher quarterly profit on Tuesday, helped by strong demand "
      "for its "
      "anvils.",
      "Q3 EPS $0.45 vs $0.40",
      "Revenue $1.2 bln",
      "\"We had a great quarter,\" the chief executive told analysts on a conference call.",
      "Jane Roe, Acme chief executive",
      "The shares rose 3 percent in extended trading.",
      "(Reporting by Jane Doe; Editing by John Smith)"};
  EXPECT_EQ(Blocks(a), want);
  EXPECT_EQ(a.pull_quotes_size(), 0);  // an event's lines are its story, no pull quote is taken out
}

TEST(TextEvent, TheStoryEndsAtPageFurniture) {
  v1::Article a = Text(
      "Council approves new cycle lanes\n\n"
      "The city council voted on Monday night to build twelve kilometres of protected cycle lanes.\n\n"
      "(Reporting by Ann Lee)\n\n"
      "Share this article\n\n"
      "\xC2\xA9 2020 Example Times. All rights reserved.\n");
  EXPECT_EQ(a.headline(), "Council approves new cycle lanes");
  const std::vector<std::string> want = {
      "The city council voted on Monday night to build twelve kilometres of protected cycle lanes.",
      "(Reporting by Ann Lee)"};
  EXPECT_EQ(Blocks(a), want);
  EXPECT_EQ(a.copyright_notice(), "\xC2\xA9 2020 Example Times. All rights reserved.");
}

TEST(TextEvent, ALongParagraphThatNamesTermsAndConditionsIsStory) {
  std::string para =
      "NEW YORK (Reuters) - The former chief executive said the terms and conditions of the loan";
  for (int i = 0; i < 12; ++i) para += " were pushing the insurer closer to collapse with each passing day";
  para += ", he wrote.";
  v1::Article a =
      Text("Ex-CEO says insurer running out of time\n\n" + para + "\n\nThe shares fell 5 percent.\n");
  EXPECT_EQ(a.headline(), "Ex-CEO says insurer running out of time");
  ASSERT_EQ(a.body_size(), 2);
  EXPECT_EQ(a.body(0).text(), para);
}

TEST(TextEvent, APageDumpIsNoEvent) {
  // A menu glued under the first line, and a masthead that is no headline.
  v1::Article a = Text(
      "Example News\n\nHome\nWorld\nSport\n\nStorm closes schools across the north\n\n"
      "Heavy snow has closed more than 300 schools across the north of the country, officials said.\n\n"
      "The closures affect around 40,000 pupils and are expected to last until Wednesday at least.\n");
  EXPECT_EQ(a.headline(), "Storm closes schools across the north");
  EXPECT_EQ(a.body_text().find("Sport"), std::string::npos);
  // A long caption first is no title either (an event title has at most 20 words).
  a = Text(
      "The core stage of the rocket at the assembly plant after the installation early this month of its "
      "four "
      "engines, seen from the north side of the hall (credit: NASA)\n\n"
      "Seeking a bigger role for a big rocket\n\n"
      "The agency announced the newest milestone in the development of its long-delayed launch system.\n\n"
      "Engineers installed the four engines on the core stage early this month.\n");
  EXPECT_EQ(a.headline(), "Seeking a bigger role for a big rocket");
}

TEST(TextDump, HeadlineMayEndInAnAbbreviation) {
  v1::Article a = Text(
      "MENU\nSearch\n\nEU fines tech giant over deals with the U.S.\n15 January 2024\n\n"
      "The European Commission fined the company on Monday for deals it struck with American partners.\n\n"
      "The company said it would appeal against the decision in the courts.\n");
  EXPECT_EQ(a.headline(), "EU fines tech giant over deals with the U.S.");
}

TEST(TextDump, CreditLinesAreCaptionsNotBody) {
  v1::Article a = Text(
      "Skip to content\nNews\nSport\n\nDrought hits farmers\n\n"
      "Farmers in the south say the drought is the worst they have seen in forty years of work.\n\n"
      "A dry field near the river (Photo: Jane Doe/Getty Images)\n\n"
      "Crops have failed across the region and many herds have been sold off early this year.\n");
  EXPECT_EQ(a.body_text().find("Getty"), std::string::npos);
  ASSERT_EQ(a.captions_size(), 1);
  EXPECT_EQ(a.captions(0).text(), "A dry field near the river (Photo: Jane Doe/Getty Images)");
  ASSERT_EQ(a.body_size(), 2);
}

TEST(TextDump, AListOfFiguresThatClosesTheArticleIsBody) {
  v1::Article a = Text(
      "Skip to content\nNews\nSport\n\nMarathon results\n\n"
      "Thousands ran through the city centre on Sunday in warm weather and the winners set new records.\n\n"
      "Top finishers\n"
      "1. Jane Doe, 2:21:04, Kenya\n"
      "2. Ann Lee, 2:22:10, Ethiopia\n"
      "3. Mary Roe, 2:23:45, Japan\n"
      "4. Eva Berg, 2:24:02, Norway\n\n"
      "Privacy policy\nContact us\n");
  const std::string body = a.body_text();
  EXPECT_NE(body.find("Ann Lee, 2:22:10"), std::string::npos);
  EXPECT_NE(body.find("Eva Berg, 2:24:02"), std::string::npos);
  EXPECT_EQ(body.find("Privacy"), std::string::npos);
}

TEST(TextDump, ADateLineInsideTheBodyIsTheTime) {
  v1::Article a = Text(
      "Skip to content\nNews\nSport\n\nCouncil approves new cycle lanes\n\n"
      "The city council voted on Monday night to build twelve kilometres of protected cycle lanes.\n\n"
      "15 January 2024\n\n"
      "Work is due to start in the spring and finish before the end of next year, officials said.\n");
  EXPECT_EQ(a.firstcreated().seconds(), 1705276800);  // 2024-01-15T00:00:00Z
  EXPECT_EQ(a.body_text().find("January"), std::string::npos);
}

TEST(TextLines, KanaAndIdeographsCountAsWords) {
  // 20 kana and ideographs, no space: 1 + 20 / 2 words; a full-width "！" ends the sentence.
  auto lines = internal::SplitTextLines(
      "\xE3\x81\x93\xE3\x82\x8C\xE3\x81\xAF\xE9\x9D\x9E\xE5\xB8\xB8\xE3\x81\xAB\xE5\x9B\xB0\xE3\x81\xA3"
      "\xE3\x81\x9F\xE3\x82\x82\xE3\x81\xAE\xE3\x81\xA7\xE3\x81\x99\xE3\x81\x8C\xE3\x80\x81\xE8\xA7\xA3"
      "\xE6\xB1\xBA\xE3\x81\x97\xE3\x81\xBE\xE3\x81\x97\xE3\x81\x9F\xEF\xBC\x81");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].words, 11);
  EXPECT_TRUE(lines[0].terminal);
  EXPECT_TRUE(internal::IsProseLine(lines[0]));
  // Hangul is written with spaces and counts as before.
  lines = internal::SplitTextLines("\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4 \xEB\xAC\xB8\xEC\x9E\xA5");
  EXPECT_EQ(lines[0].words, 2);
}

TEST(TextLines, MetaPrefixesAreWholeWords) {
  auto meta = [](const std::string& s) { return internal::IsMetaLine(internal::SplitTextLines(s)[0]); };
  EXPECT_TRUE(meta("Share"));
  EXPECT_TRUE(meta("Share:"));
  EXPECT_TRUE(meta("By Jane Doe"));
  EXPECT_TRUE(meta("Photo: Reuters"));
  EXPECT_TRUE(meta("Updated 3 hours ago"));
  EXPECT_FALSE(meta("Shares of Acme fall"));
  EXPECT_FALSE(meta("Watchdog criticizes regulator"));
  EXPECT_FALSE(meta("Bystanders watched the fire"));
  EXPECT_FALSE(meta("Imagine a city without cars"));
}

TEST(TextLines, CreditLines) {
  auto credit = [](const std::string& s) { return internal::IsCreditLine(internal::SplitTextLines(s)[0]); };
  EXPECT_TRUE(credit("Photo: Damian Dovarganes, AP"));
  EXPECT_TRUE(credit("WeWork chairman Marcelo Claure (Credit: Getty Images)"));
  EXPECT_TRUE(credit("Image copyright Getty Images"));
  EXPECT_TRUE(credit("Photo by Kirk Irwin/Getty Images"));
  EXPECT_FALSE(credit("The photographer waited for the light to change."));
  EXPECT_FALSE(credit("Credit card debt rose in October, the central bank said."));
}

TEST(TextParamsTest, SetByNameWithinRange) {
  internal::TextParams p;
  EXPECT_TRUE(internal::SetTextParam(p, "short_base", 7));
  EXPECT_EQ(p.short_base, 7);
  EXPECT_FALSE(internal::SetTextParam(p, "short_slope", 0));  // out of range: a divisor
  EXPECT_FALSE(internal::SetTextParam(p, "no_such_param", 1));
  const auto list = internal::TextParamList(p);
  ASSERT_FALSE(list.empty());
  bool found = false;
  for (const auto& [name, value] : list) found = found || (name == "short_base" && value == 7);
  EXPECT_TRUE(found);
  // The defaults decode a text the same as DecodeText.
  const std::string text = "Title here\n\nA first paragraph that reads like prose, with a stop.\n";
  v1::Article with, plain;
  ASSERT_TRUE(internal::DecodeTextWith(text, Metadata{}, Limits{}, internal::TextParams{}, with).ok());
  ASSERT_TRUE(internal::DecodeText(text, Metadata{}, Limits{}, plain).ok());
  EXPECT_EQ(with.SerializeAsString(), plain.SerializeAsString());
}

}  // namespace
}  // namespace copydesk::normalize
