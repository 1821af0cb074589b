// Golden test for the seed event: every field ../shared/data/seed/README.md lists, asserted exactly.
// The expected values were written by hand from the seed page and its README.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "normalize/normalize.h"

namespace copydesk::normalize {
namespace {

// Prefers the copy committed with the fixtures; falls back to ../shared/data/seed.
std::string ReadSeed() {
  const std::filesystem::path src = COPYDESK_SOURCE_DIR;
  const std::string name = "bbc-2001-11-15-no-bush-putin-missile-agreement.txt";
  for (const auto& p : {src / "tests/fixtures/seed" / name, src / "../shared/data/seed" / name}) {
    std::ifstream in(p, std::ios::binary);
    if (!in) continue;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  return "";
}

class SeedGolden : public ::testing::Test {
 protected:
  void SetUp() override {
    bytes_ = ReadSeed();
    if (bytes_.empty()) GTEST_SKIP() << "seed page not found in tests/fixtures/seed or ../shared/data/seed";
    Metadata meta;
    meta.content_type = "text/plain";
    auto r = Normalize(bytes_, meta);
    ASSERT_TRUE(r.ok()) << r.error().reason;
    a_ = std::move(r.value());
  }
  std::string bytes_;
  v1::Article a_;
};

TEST_F(SeedGolden, ProviderSectionHeadlineAndTime) {
  EXPECT_EQ(a_.provenance().provider(), "BBC News");
  ASSERT_EQ(a_.section_path_size(), 2);
  EXPECT_EQ(a_.section_path(0), "World");
  EXPECT_EQ(a_.section_path(1), "Americas");
  EXPECT_EQ(a_.headline(), "No Bush-Putin missile agreement");
  // Thursday, 15 November, 2001, 18:38 GMT = 2001-11-15T18:38:00Z
  EXPECT_EQ(a_.firstcreated().seconds(), 1005849480);
  EXPECT_EQ(a_.firstcreated().nanos(), 0);
  EXPECT_EQ(a_.provenance().format(), "text");
  EXPECT_EQ(a_.language(), "en");
}

TEST_F(SeedGolden, BodyHasNineteenParagraphsAndTwoSubheadings) {
  std::vector<std::string> paras;
  std::vector<std::string> subheads;
  for (const auto& b : a_.body()) {
    if (b.type() == v1::BLOCK_TYPE_PARAGRAPH) paras.push_back(b.text());
    if (b.type() == v1::BLOCK_TYPE_SUBHEADING) subheads.push_back(b.text());
  }
  ASSERT_EQ(paras.size(), 19u);
  EXPECT_EQ(paras.front(),
            "Russia and the United States have failed to reach agreement on US plans for a missile defence "
            "shield, despite three days of talks between George W Bush and Vladimir Putin.");
  EXPECT_EQ(paras[2], "But Mr Bush said they had a \"difference of opinion\" over missile defence.");
  EXPECT_EQ(paras[3],
            "Russia strongly opposes Washington's plans to abrogate the 1972 Anti-Ballistic Missile treaty, "
            "which bans systems like the one Mr Bush wants.");
  EXPECT_EQ(paras[9],
            "\"We differ in the ways and means we perceive that are suitable for reaching the same "
            "objective\", Mr Putin said.");
  EXPECT_EQ(paras[11],
            "The Russian leader later offered to reduce Russia's long-range weapons by about one-third.");
  EXPECT_EQ(paras.back(),
            "However, the BBC's Philippa Thomas noted that while President Bush said the Northern Alliance "
            "would find no preferential treatment at the negotiating table, Russia has been supporting the "
            "Alliance for years - a source of potential tension.");
  ASSERT_EQ(subheads.size(), 2u);
  EXPECT_EQ(subheads[0], "Arms reduction");
  EXPECT_EQ(subheads[1], "Common ground");
  // Subheads sit in reading order: "Arms reduction" after paragraph 10, "Common ground" after 15.
  ASSERT_EQ(a_.body_size(), 21);
  EXPECT_EQ(a_.body(10).type(), v1::BLOCK_TYPE_SUBHEADING);
  EXPECT_EQ(a_.body(10).text(), "Arms reduction");
  EXPECT_EQ(a_.body(16).type(), v1::BLOCK_TYPE_SUBHEADING);
  EXPECT_EQ(a_.body(16).text(), "Common ground");
  EXPECT_EQ(a_.body(17).text(),
            "Mr Bush stressed in Crawford that the relationship between their countries had been transformed "
            "from that of the Cold War era.");
  // body_text: blocks separated by a blank line, starting and ending with the article.
  EXPECT_EQ(a_.body_text().rfind("Russia and the United States have failed", 0), 0u);
  EXPECT_TRUE(a_.body_text().ends_with("a source of potential tension."));
  EXPECT_NE(a_.body_text().find("objective\", Mr Putin said.\n\nArms reduction\n\nPresident Putin's visit"),
            std::string::npos);
}

TEST_F(SeedGolden, CaptionsArePairsKeptOutOfTheBody) {
  ASSERT_EQ(a_.captions_size(), 2);
  EXPECT_EQ(a_.captions(0).text(),
            "Lyudmila Putin presents a flower to Laura Bush as their husbands look on");
  EXPECT_EQ(a_.captions(0).secondary(), "The Crawford summit was not all work");
  EXPECT_EQ(a_.captions(1).text(), "US Patriot anti-missile system");
  EXPECT_EQ(a_.captions(1).secondary(), "Missile defence is still a major sticking point");
  EXPECT_EQ(a_.body_text().find("Lyudmila Putin"), std::string::npos);
  EXPECT_EQ(a_.body_text().find("US Patriot"), std::string::npos);
  EXPECT_EQ(a_.body_text().find("sticking point"), std::string::npos);
}

TEST_F(SeedGolden, PullQuotesWithAttribution) {
  ASSERT_EQ(a_.pull_quotes_size(), 2);
  EXPECT_EQ(a_.pull_quotes(0).text(), "Mr Putin is a man who loves his country as much as I love mine");
  EXPECT_EQ(a_.pull_quotes(0).attribution(), "George W Bush");
  EXPECT_EQ(
      a_.pull_quotes(1).text(),
      "When I was in high school, Russia was an enemy - now the high school students can know Russia is "
      "a friend");
  EXPECT_EQ(a_.pull_quotes(1).attribution(), "George W Bush");
  EXPECT_EQ(a_.body_text().find("loves his country"), std::string::npos);
  EXPECT_EQ(a_.body_text().find("George W Bush\n"), std::string::npos);
  EXPECT_EQ(a_.body_text().find("When I was in high school"), std::string::npos);
}

TEST_F(SeedGolden, MediaItem) {
  ASSERT_EQ(a_.media_size(), 1);
  EXPECT_EQ(a_.media(0).title(), "The BBC's Stephen Sackur");
  EXPECT_EQ(a_.media(0).description(), "Amid the back slapping was the important work");
  EXPECT_EQ(a_.body_text().find("Stephen Sackur"), std::string::npos);
}

TEST_F(SeedGolden, EightRelatedLinksWithDateSectionAndTitle) {
  struct Want {
    const char* date;
    const char* section;
    const char* title;
  };
  const Want want[] = {
      {"15 Nov 01", "Americas", "Bush and Putin 'best of buddies'"},
      {"14 Nov 01", "Americas", "Texas town: Howdy comrade"},
      {"14 Nov 01", "Americas", "Putin pledges 'radical' arms cuts"},
      {"13 Nov 01", "Americas", "Vagueness the key to missile summit"},
      {"12 Nov 01", "Europe", "Hope for US-Russia summit"},
      {"21 Oct 01", "Americas", "Bush and Putin hail new relationship"},
      {"24 Aug 01", "Americas", "Russia unmoved on ABM"},
      {"20 Jun 01", "Europe", "Putin delivers summit verdict"},
  };
  ASSERT_EQ(a_.related_size(), 8);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(a_.related(i).date(), want[i].date) << i;
    EXPECT_EQ(a_.related(i).section(), want[i].section) << i;
    EXPECT_EQ(a_.related(i).title(), want[i].title) << i;
    EXPECT_EQ(a_.body_text().find(want[i].title), std::string::npos) << i;
  }
}

TEST_F(SeedGolden, NoBoilerplateAnywhereInTheBody) {
  const char* boilerplate[] = {
      "BBC NEWS",
      "Africa",
      "You are in",
      "Front Page",
      "Middle East",
      "From Our Own Correspondent",
      "Letter From America",
      "UK Politics",
      "Talking Point",
      "In Depth",
      "Commonwealth Games 2002",
      "BBC Sport",
      "BBC Weather",
      "Thursday, 15 November",
      "See also",
      "15 Nov 01",
      "Internet links",
      "The BBC is not responsible for the content of external internet sites",
      "E-mail this story to a friend",
      "Links to more Americas stories",
      "No Bush-Putin missile agreement",
  };
  for (const char* b : boilerplate) {
    EXPECT_EQ(a_.body_text().find(b), std::string::npos) << b;
    for (const auto& block : a_.body()) EXPECT_EQ(block.text().find(b), std::string::npos) << b;
  }
  EXPECT_EQ(a_.standfirst(), "");
  EXPECT_EQ(a_.byline(), "");
}

}  // namespace
}  // namespace copydesk::normalize
