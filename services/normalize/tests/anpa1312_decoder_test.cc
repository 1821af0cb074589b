// ANPA 1312 fixtures (tests/fixtures/formats/anpa1312-*.anpa, written from the ANPA/NAA Wire
// Service Transmission Guidelines; see README-wire-formats.md there): every field, the story
// identity of takes, write-throughs and kills, and damaged or hostile framing.
#include <gtest/gtest.h>

#include <string>

#include "normalize/normalize.h"
#include "normalize/tests/fixtures.h"

namespace copydesk::normalize {
namespace {

Result<v1::Article> DecodeFixture(const std::string& name, Metadata meta = {}) {
  const std::string bytes = testing::ReadFormatFixture(name);
  EXPECT_FALSE(bytes.empty()) << name;
  meta.content_type = "application/vnd.anpa1312";
  return Normalize(bytes, meta);
}

std::string AltId(const v1::Article& a, std::string_view role) {
  for (const auto& id : a.altids()) {
    if (id.role() == role) return id.value();
  }
  return "<none>";
}

TEST(Anpa1312Decoder, StoryAsFirstSentEveryField) {
  auto r = DecodeFixture("anpa1312-ice-storm.anpa");
  ASSERT_TRUE(r.ok()) << r.error().reason;
  const v1::Article& a = r.value();
  // Identity: keyword without its cycle, the filing date with the trailer's year, version 1.
  EXPECT_EQ(a.provenance().guid(), "anpa1312:us-icestorm-power:2025-01-27");
  EXPECT_EQ(a.provenance().provider_version(), "1");
  EXPECT_EQ(a.provenance().provider(), "AP");  // the trailer's originator
  EXPECT_EQ(a.provenance().format(), "anpa1312");
  EXPECT_EQ(a.provenance().charset(), "windows-1252");
  EXPECT_EQ(a.pubstatus(), v1::PUB_STATUS_USABLE);
  EXPECT_FALSE(a.signals().update());
  EXPECT_FALSE(a.signals().correction());
  EXPECT_FALSE(a.signals().kill());
  // Trailer "AP-RS-01-27-25 1642EST": 21:42 UTC; the first version is also the first creation.
  EXPECT_EQ(a.versioncreated().seconds(), 1738014120);
  EXPECT_EQ(a.firstcreated().seconds(), 1738014120);
  // Header line 2: priority u (urgent), category a, keyword, filing date, word count.
  EXPECT_EQ(a.priority(), 3u);
  EXPECT_EQ(a.urgency(), 3u);
  ASSERT_EQ(a.subjects_size(), 1);
  EXPECT_EQ(a.subjects(0).scheme(), "anpa-category");
  EXPECT_EQ(a.subjects(0).code(), "a");
  EXPECT_EQ(a.subjects(0).uri(), "anpa-category:a");
  // Header line 1 and the trailer's desk: routing, kept as alternative ids.
  EXPECT_EQ(AltId(a, "anpa-service-level"), "a");
  EXPECT_EQ(AltId(a, "anpa-story-number"), "0412");
  EXPECT_EQ(AltId(a, "anpa-selector"), "apstf");
  EXPECT_EQ(AltId(a, "anpa-desk"), "RS");
  EXPECT_EQ(AltId(a, "anpa-reference"), "<none>");
  EXPECT_EQ(AltId(a, "anpa-version"), "<none>");
  // The '^' header lines.
  EXPECT_EQ(a.slugline(), "US--Ice Storm-Power");
  EXPECT_EQ(a.headline(), "Ice storm leaves 200,000 without power across three states");
  EXPECT_EQ(a.ednote(), "Moves on general news. With AP Photos.");
  EXPECT_EQ(a.standfirst(),
            "Freezing rain snapped power lines and closed roads from Kansas to Ohio on Monday, and utility "
            "crews said some customers could wait days for service.");
  EXPECT_EQ(a.byline(), "Maria J. Okafor and Ted Lindqvist, Associated Press");
  ASSERT_EQ(a.authors_size(), 2);
  EXPECT_EQ(a.authors(0).name(), "Maria J. Okafor");
  EXPECT_EQ(a.authors(0).role(), "author");
  EXPECT_EQ(a.authors(1).name(), "Ted Lindqvist");
  EXPECT_EQ(a.located().dateline(), "KANSAS CITY, Mo. (AP) \xE2\x80\x94");
  EXPECT_EQ(a.located().city(), "Kansas City");
  EXPECT_EQ(a.located().name(), "Kansas City, Mo.");
  // Body: tab-indented paragraphs (a wrapped one joined), 7-bit typography undone, Latin-1
  // decoded, "___" dropped, a capitals line as a subheading.
  ASSERT_EQ(a.body_size(), 7);
  EXPECT_EQ(
      a.body(0).text(),
      "KANSAS CITY, Mo. (AP) \xE2\x80\x94 Freezing rain coated trees and power lines across three states "
      "on Monday, leaving more than 200,000 homes and businesses in the dark.");
  EXPECT_EQ(
      a.body(1).text(),
      "\xE2\x80\x9CWe have crews from four states on the way,\xE2\x80\x9D said Dana Whitfield, a spokeswoman "
      "for the utility. \xE2\x80\x9C"
      "But this is a multi-day event.\xE2\x80\x9D");
  EXPECT_EQ(
      a.body(2).text(),
      "The storm closed a 60-mile stretch of Interstate 70 \xE2\x80\x94 the main route across the state "
      "\xE2\x80\x94 after dozens of crashes.");
  EXPECT_EQ(a.body(3).text(),
            "At the Caf\xC3\xA9 Lumi\xC3\xA8re in Lawrence, owner Ren\xC3\xA9"
            "e Dubois served coffee by candlelight.");
  EXPECT_EQ(a.body(4).type(), v1::BLOCK_TYPE_SUBHEADING);
  EXPECT_EQ(a.body(4).text(), "WHAT'S NEXT");
  EXPECT_EQ(a.body(5).type(), v1::BLOCK_TYPE_PARAGRAPH);
  EXPECT_EQ(a.body(6).text(), "Associated Press writer Jim Salter in St. Louis contributed to this report.");
  EXPECT_EQ(a.body_text().find("___"), std::string::npos);
  EXPECT_EQ(a.body_text().find("AP-RS"), std::string::npos);
  EXPECT_TRUE(a.body_html().empty());  // plain text has no markup
  EXPECT_EQ(a.language(), "en");
  EXPECT_EQ(a.type(), "text");
}

TEST(Anpa1312Decoder, WriteThroughIsTheNextVersionOfTheSameStory) {
  auto r = DecodeFixture("anpa1312-ice-storm-writethru.anpa");
  ASSERT_TRUE(r.ok()) << r.error().reason;
  const v1::Article& a = r.value();
  EXPECT_EQ(a.provenance().guid(), "anpa1312:us-icestorm-power:2025-01-27");
  EXPECT_EQ(a.provenance().provider_version(), "2");
  EXPECT_TRUE(a.signals().update());
  EXPECT_FALSE(a.signals().correction());
  // The trailer inside the text, before ETX: 19:15 EST. Not the first version: no firstcreated.
  EXPECT_EQ(a.versioncreated().seconds(), 1738023300);
  EXPECT_FALSE(a.has_firstcreated());
  EXPECT_EQ(a.headline(), "Ice storm leaves 250,000 without power; 2 deaths blamed on icy roads");
  EXPECT_EQ(a.ednote(), "Updates with deaths, new outage figures. With AP Photos.");
  EXPECT_EQ(AltId(a, "anpa-version"), "1stLd-Writethru");
  EXPECT_EQ(AltId(a, "anpa-reference"), "a0412");
  EXPECT_EQ(AltId(a, "anpa-story-number"), "0498");
  ASSERT_EQ(a.body_size(), 3);
  EXPECT_EQ(a.body_text().find("AP-RS"), std::string::npos);
  EXPECT_EQ(a.priority(), 3u);
}

TEST(Anpa1312Decoder, AddIsAPartOfItsOwnWithAPickupLine) {
  auto r = DecodeFixture("anpa1312-ice-storm-add.anpa");
  ASSERT_TRUE(r.ok()) << r.error().reason;
  const v1::Article& a = r.value();
  // An add carries only the added paragraphs: its own identity under the story's, so it never
  // replaces the story's text.
  EXPECT_EQ(a.provenance().guid(), "anpa1312:us-icestorm-power:2025-01-27:add-1");
  EXPECT_EQ(a.provenance().provider_version(), "1");
  EXPECT_FALSE(a.signals().update());
  EXPECT_TRUE(a.headline().empty());
  EXPECT_EQ(a.ednote(), "KANSAS CITY, Mo.: through Wednesday.");
  ASSERT_EQ(a.body_size(), 2);
  EXPECT_EQ(a.body(0).text(), "In Columbia, Missouri, the university canceled classes for Tuesday.");
  EXPECT_EQ(a.priority(), 5u);  // r: regular
  EXPECT_EQ(a.versioncreated().seconds(), 1738017180);
  EXPECT_FALSE(a.has_firstcreated());
}

TEST(Anpa1312Decoder, KillCancelsTheStoryAndLeavesTheVersionToTheTransmissionTime) {
  auto r = DecodeFixture("anpa1312-ice-storm-kill.anpa");
  ASSERT_TRUE(r.ok()) << r.error().reason;
  const v1::Article& a = r.value();
  EXPECT_EQ(a.provenance().guid(), "anpa1312:us-icestorm-power:2025-01-27");
  EXPECT_EQ(a.provenance().provider_version(), "");
  EXPECT_EQ(a.pubstatus(), v1::PUB_STATUS_CANCELED);
  EXPECT_TRUE(a.signals().kill());
  EXPECT_EQ(a.priority(), 2u);  // b: bulletin
  EXPECT_EQ(a.versioncreated().seconds(), 1738026240);
  EXPECT_EQ(
      a.ednote(),
      "KILL BC-US--Ice Storm-Power. The story misidentified the utility. A corrected version will move.");
}

TEST(Anpa1312Decoder, AgateTabularRowsStayRows) {
  auto r = DecodeFixture("anpa1312-standings-agate.anpa");
  ASSERT_TRUE(r.ok()) << r.error().reason;
  const v1::Article& a = r.value();
  EXPECT_EQ(a.provenance().guid(), "anpa1312:hkn-standings:2025-03-02");
  EXPECT_EQ(a.headline(), "NHL Standings");
  EXPECT_EQ(a.subjects(0).code(), "q");
  EXPECT_EQ(AltId(a, "anpa-service-level"), "s");
  ASSERT_EQ(a.body_size(), 4);
  EXPECT_EQ(a.body(0).text(), "Team W L Pts");
  EXPECT_EQ(a.body(0).type(), v1::BLOCK_TYPE_PARAGRAPH);  // no subheadings in a table
  EXPECT_EQ(a.body(3).text(), "Montreal 30 26 64");
  // 23:10 EST on March 2 (standard time until March 9) is 04:10 UTC on March 3.
  EXPECT_EQ(a.versioncreated().seconds(), 1740975000);
}

TEST(Anpa1312Decoder, CanadianPressDayFirstDatesTaggedLinesAndEasternDaylightTime) {
  Metadata meta;
  meta.provider = "CP";
  auto r = DecodeFixture("anpa1312-markets-cp.anpa", meta);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  const v1::Article& a = r.value();
  // "31-10" is day-month; "16:35ET" on 31 October 2014 is daylight time, 20:35 UTC.
  EXPECT_EQ(a.provenance().guid(), "anpa1312:dollar-markets:2014-10-31");
  EXPECT_EQ(a.provenance().provider_version(), "8");  // 7th write-through
  EXPECT_EQ(a.provenance().provider(), "CP");
  EXPECT_EQ(a.versioncreated().seconds(), 1414787700);
  EXPECT_TRUE(a.signals().update());
  EXPECT_EQ(a.headline(), "Stock markets rise as central bank moves to lift the economy");  // wrapped HL:
  EXPECT_EQ(a.byline(), "Anne-Marie Leclerc, THE CANADIAN PRESS");
  ASSERT_EQ(a.keywords_size(), 2);
  EXPECT_EQ(a.keywords(0), "Economy");
  EXPECT_EQ(a.keywords(1), "Business");
  ASSERT_EQ(a.organisations_size(), 1);
  EXPECT_EQ(a.organisations(0).name(), "TSX:XYZ");
  EXPECT_EQ(a.organisations(0).scheme(), "symbol");
  EXPECT_EQ(a.ednote(), "ADDS closing figures");
  EXPECT_EQ(AltId(a, "anpa-code"), "2");
  EXPECT_EQ(AltId(a, "anpa-reference"), "TB06");
  EXPECT_EQ(a.slugline(), "Dollar-Markets");
  EXPECT_EQ(a.located().dateline(), "TORONTO \xE2\x80\x94");
  EXPECT_EQ(a.located().city(), "Toronto");
  ASSERT_EQ(a.body_size(), 2);
  EXPECT_EQ(a.body(0).text(),
            "TORONTO \xE2\x80\x94 The Toronto stock market closed higher on Friday after the central bank "
            "surprised traders with a larger stimulus package.");
}

TEST(Anpa1312Decoder, ReSentStoryKeepsItsIdentityVersionAndText) {
  // The same story sent again: a new story number and a later transmission time.
  std::string bytes = testing::ReadFormatFixture("anpa1312-ice-storm.anpa");
  auto first = DecodeFixture("anpa1312-ice-storm.anpa");
  ASSERT_TRUE(first.ok());
  ASSERT_NE(bytes.find("a0412"), std::string::npos);
  bytes.replace(bytes.find("a0412"), 5, "a0777");
  bytes.replace(bytes.find("1642EST"), 7, "2230EST");
  Metadata meta;
  meta.content_type = "application/vnd.anpa1312";
  auto again = Normalize(bytes, meta);
  ASSERT_TRUE(again.ok()) << again.error().reason;
  EXPECT_EQ(again->provenance().guid(), first->provenance().guid());
  EXPECT_EQ(again->provenance().provider_version(), first->provenance().provider_version());
  EXPECT_EQ(again->fingerprints().content_hash(), first->fingerprints().content_hash());
  EXPECT_GT(again->versioncreated().seconds(), first->versioncreated().seconds());
}

TEST(Anpa1312Decoder, CorrectionWithoutANumberIsOrderedByTime) {
  std::string bytes = testing::ReadFormatFixture("anpa1312-ice-storm-writethru.anpa");
  bytes.replace(bytes.find("1stLd-Writethru"), 15, "Correction");
  Metadata meta;
  meta.content_type = "application/vnd.anpa1312";
  auto r = Normalize(bytes, meta);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r->provenance().guid(), "anpa1312:us-icestorm-power:2025-01-27");
  EXPECT_EQ(r->provenance().provider_version(), "");
  EXPECT_TRUE(r->signals().correction());
  EXPECT_FALSE(r->signals().update());
}

TEST(Anpa1312Decoder, WithoutATrailerTheEventTimeGivesTheYear) {
  std::string bytes = testing::ReadFormatFixture("anpa1312-ice-storm-add.anpa");
  bytes.erase(bytes.find('\x03'));  // cut at ETX: no trailer
  Metadata meta;
  meta.content_type = "application/vnd.anpa1312";
  meta.event_time_ms = 1767139200000;  // 2025-12-31: January 27 is nearest in 2026
  auto r = Normalize(bytes, meta);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r->provenance().guid(), "anpa1312:us-icestorm-power:2026-01-27:add-1");
  EXPECT_FALSE(r->has_versioncreated());
  meta.event_time_ms = 0;
  auto undated = Normalize(bytes, meta);
  ASSERT_TRUE(undated.ok());
  EXPECT_EQ(undated->provenance().guid(), "anpa1312:us-icestorm-power:01-27:add-1");
}

TEST(Anpa1312Decoder, HeaderGuidFromTheEventWins) {
  Metadata meta;
  meta.guid = "ap-story-42";
  meta.version = "7";
  auto r = DecodeFixture("anpa1312-ice-storm.anpa", meta);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->provenance().guid(), "ap-story-42");
  EXPECT_EQ(r->provenance().provider_version(), "7");
}

TEST(Anpa1312Decoder, UnframedTextIsNotAnpa) {
  Metadata meta;
  meta.content_type = "application/vnd.anpa1312";
  auto r = Normalize("Just some text\nwithout any framing at all\n", meta);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, v1::ERROR_CODE_UNSUPPORTED_FORMAT);
}

TEST(Anpa1312Decoder, FramingWithoutTextIsNoContent) {
  Metadata meta;
  meta.content_type = "application/vnd.anpa1312";
  const std::string bytes =
      std::string("\x16\x16\x01") + "a0001\x1f" + "sel\r\nr a\x13\x11 BC-Empty  01-01 0000\r\n\x02\x03";
  auto r = Normalize(bytes, meta);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, v1::ERROR_CODE_NO_CONTENT);
}

TEST(Anpa1312Decoder, RepeatedFormatIdentifiersAreReadOnce) {
  // DC2 then DC1 then DC3: tabular, and the header line goes on (this once looped forever).
  Metadata meta;
  meta.content_type = "application/vnd.anpa1312";
  const std::string bytes = std::string("\x16\x16\x01") + "a0001\x1fsel\r\n" +
                            "b a\x12\x11\x13 BC-Rows  01-02 0012\r\n" +
                            "\x02\tone\ttwo\r\n\tthree\tfour\r\n\x03";
  auto r = Normalize(bytes, meta);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r->provenance().guid(), "anpa1312:rows:01-02");
  ASSERT_EQ(r->body_size(), 2);
  EXPECT_EQ(r->body(1).text(), "three four");
}

TEST(Anpa1312Decoder, ControlCharactersAndBrokenHeadersNeverReachTheArticle) {
  Metadata meta;
  meta.content_type = "application/vnd.anpa1312";
  std::string bytes =
      std::string("\x16\x16\x01") + "zz\x1f\x1f\x07\r\n" + "r \x14\x12\x12\x12 \x1b\x1b 99-99 \r\n" +
      "\x02^Bell\x07 and escape\x1b headline<\r\n\t   Body\x10 text\x0e with\x7f controls.\r\n\x03" +
      "AP-XX-13-45-99 9999ZZT\r\n\x04";
  auto r = Normalize(bytes, meta);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r->headline(), "Bell and escape headline");
  ASSERT_EQ(r->body_size(), 1);
  EXPECT_EQ(r->body(0).text(), "Body text with controls.");
  EXPECT_FALSE(r->has_versioncreated());  // 13-45 is no date
  for (const auto& id : r->altids()) {
    for (char c : id.value()) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << id.role();
  }
}

}  // namespace
}  // namespace copydesk::normalize
