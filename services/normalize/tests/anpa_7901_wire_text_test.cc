// The pieces ANPA 1312 and IPTC 7901 share (normalize/wire_text.h): take and version words,
// the identity built from them, partial dates, wire time zones, datelines and bylines.
#include <gtest/gtest.h>

#include <string>

#include "normalize/wire_text.h"

namespace copydesk::normalize::internal::wire {
namespace {

Designator Parse(std::string_view s) {
  Designator d;
  ParseDesignator(s, d);
  return d;
}

TEST(WireDesignator, LeadsAndWriteThroughsNumberTheVersion) {
  EXPECT_EQ(Parse("1stLd-Writethru").lead, 1u);
  EXPECT_EQ(Parse("2nd Ld-Writethru").lead, 2u);
  EXPECT_EQ(Parse("7thWritethru").lead, 7u);
  EXPECT_EQ(Parse("REFILE 1ST LEAD").lead, 1u);
  EXPECT_TRUE(Parse("REFILE 1ST LEAD").repeat);
  EXPECT_EQ(Parse("2. Zusammenfassung").lead, 2u);
  EXPECT_EQ(Parse("Ld-Writethru").lead, 1u);
  EXPECT_EQ(ProviderVersionOf(Parse("")), "1");
  EXPECT_EQ(ProviderVersionOf(Parse("3rd Ld-Writethru")), "4");
  EXPECT_EQ(ProviderVersionOf(Parse("Refile")), "1");
}

TEST(WireDesignator, PartsSentOnTheirOwn) {
  Designator add = Parse("2ndAdd");
  EXPECT_EQ(add.part, "add");
  EXPECT_EQ(add.part_number, 2u);
  EXPECT_EQ(Parse("Adds").part_number, 1u);
  Designator take = Parse("Take 3");
  EXPECT_EQ(take.part, "take");
  EXPECT_EQ(take.part_number, 3u);
  EXPECT_EQ(Parse("3rd take").part_number, 3u);
  EXPECT_TRUE(Parse("Take").part.empty());  // the first take is the story itself
  EXPECT_EQ(Parse("1st Insert").part, "insert");
  EXPECT_EQ(Parse("Sub").part, "sub");
  EXPECT_EQ(Parse("1st Ld-Writethru, 2nd Add").lead, 1u);
  EXPECT_EQ(Parse("1st Ld-Writethru, 2nd Add").part, "add");
}

TEST(WireDesignator, CorrectionsKillsAndEmbargoes) {
  for (std::string_view s : {"Correction", "Corrective", "BERICHTIGUNG", "Korrektur", "rectificatif",
                             "Correcci\xC3\xB3n", "rettifica"}) {
    EXPECT_TRUE(Parse(s).correction) << s;
    EXPECT_EQ(ProviderVersionOf(Parse(s)), "") << s;
  }
  for (std::string_view s : {"Kill", "ELIMINATION", "Withdrawal", "annulation", "Storno"}) {
    EXPECT_TRUE(Parse(s).kill) << s;
  }
  EXPECT_EQ(ProviderVersionOf(Parse("2nd Ld-Writethru, Correction")), "3");
  EXPECT_TRUE(Parse("Sperrfrist").embargo);
  // Words that are not designators say nothing; a number alone says nothing.
  Designator none = Parse("Heat-Hawks 416 Urgent Bulletin");
  EXPECT_EQ(none.lead, 0u);
  EXPECT_TRUE(none.part.empty());
  EXPECT_FALSE(none.correction || none.kill || none.repeat || none.embargo);
}

TEST(WireIdentity, StoryGuidNormalizesTheSlug) {
  EXPECT_EQ(StoryGuid("anpa1312", "US--IceStorm-Power", "2025-01-27", Parse("")),
            "anpa1312:us-icestorm-power:2025-01-27");
  EXPECT_EQ(StoryGuid("iptc7901:eca", "Germany/rail/strike", "2024-03-14", Parse("2nd Add")),
            "iptc7901:eca:germany-rail-strike:2024-03-14:add-2");
  EXPECT_EQ(StoryGuid("x", "Bundestag / Kinder", "", Parse("")), "x:bundestag-kinder");
  EXPECT_EQ(StoryGuid("x", "M\xC3\xBCnchen", "03-14", Parse("")), "x:m\xC3\xBCnchen:03-14");
}

TEST(WireDates, YearsResolvedAroundAReference) {
  const int64_t dec_31_2025 = 1767139200;  // 2025-12-31T00:00:00Z
  EXPECT_EQ(ResolveYear(1, 27, dec_31_2025), 2026);
  EXPECT_EQ(ResolveYear(12, 30, dec_31_2025), 2025);
  EXPECT_EQ(ResolveYear(6, 1, dec_31_2025), 2025);   // five months ahead: last June
  EXPECT_EQ(ResolveYear(1, 31, dec_31_2025), 2026);  // within a month ahead: an advance
  EXPECT_EQ(ExpandYear(25, 0), 2025);
  EXPECT_EQ(ExpandYear(89, 0), 1989);
  EXPECT_EQ(ExpandYear(99, dec_31_2025), 1999);
  EXPECT_EQ(ExpandYear(30, dec_31_2025), 2030);
  EXPECT_EQ(ExpandYear(2014, dec_31_2025), 2014);
  PrintedDate d = UtcDateOf(dec_31_2025 + 86399);
  EXPECT_EQ(d.year, 2025);
  EXPECT_EQ(d.month, 12);
  EXPECT_EQ(d.day, 31);
  EXPECT_EQ(DateKey(d), "2025-12-31");
  EXPECT_EQ(DateKey(PrintedDate{0, 1, 27}), "01-27");
  EXPECT_EQ(DateKey(PrintedDate{2025, 13, 1}), "");
  EXPECT_EQ(MonthNumber("Jun"), 6);
  EXPECT_EQ(MonthNumber("december"), 12);
  EXPECT_FALSE(MonthNumber("GMT").has_value());
}

TEST(WireDates, ZonesAndNorthAmericanDaylightSaving) {
  const PrintedDate jan{2025, 1, 27}, jul{2025, 7, 4};
  EXPECT_EQ(WireTimeToUtc(jan, 16, 42, "EST", ""), 1738014120);
  EXPECT_EQ(WireTimeToUtc(jan, 16, 42, "ET", ""), 1738014120);  // standard time in January
  EXPECT_EQ(WireTimeToUtc(jul, 12, 0, "ET", ""), 1751644800);   // 16:00 UTC: daylight time
  EXPECT_EQ(WireTimeToUtc(jul, 12, 0, "EDT", ""), 1751644800);
  EXPECT_EQ(WireTimeToUtc(jul, 9, 0, "PT", ""), 1751644800);
  EXPECT_EQ(WireTimeToUtc(jul, 16, 0, "GMT", ""), 1751644800);
  EXPECT_EQ(WireTimeToUtc(jul, 16, 0, "", ""), 1751644800);
  EXPECT_EQ(WireTimeToUtc(jul, 17, 0, "MEZ", ""), 1751644800);  // fixed +1, as printed
  // 2025: daylight time from March 9 02:00 to November 2 02:00; 2006 rules before 2007.
  EXPECT_EQ(WireTimeToUtc(PrintedDate{2025, 3, 9}, 1, 0, "ET", ""), 1741500000);    // 06:00 UTC
  EXPECT_EQ(WireTimeToUtc(PrintedDate{2025, 3, 9}, 3, 0, "ET", ""), 1741503600);    // 07:00 UTC
  EXPECT_EQ(WireTimeToUtc(PrintedDate{2006, 3, 20}, 12, 0, "ET", ""), 1142874000);  // 17:00 UTC: standard
  EXPECT_FALSE(WireTimeToUtc(jan, 12, 0, "XYZ", "").has_value());
  EXPECT_FALSE(WireTimeToUtc(PrintedDate{2025, 2, 0}, 12, 0, "", "").has_value());
  EXPECT_FALSE(WireTimeToUtc(jan, 12, 75, "", "").has_value());
}

v1::Article WithFirstParagraph(const std::string& text) {
  v1::Article a;
  a.add_body()->set_text(text);
  return a;
}

TEST(WireDateline, AgencyDatelinesInAnyCase) {
  v1::Article a = WithFirstParagraph("BUENOS AIRES, Argentina (AP) \xE2\x80\x94 For cancer patients ...");
  SetDatelineFromBody(a);
  EXPECT_EQ(a.located().dateline(), "BUENOS AIRES, Argentina (AP) \xE2\x80\x94");
  EXPECT_EQ(a.located().city(), "Buenos Aires");
  EXPECT_EQ(a.located().name(), "Buenos Aires, Argentina");
  v1::Article b = WithFirstParagraph("M\xC3\x9CNCHEN (dpa) - Die Polizei ...");
  SetDatelineFromBody(b);
  EXPECT_EQ(b.located().city(), "M\xC3\xBCnchen");
  v1::Article c = WithFirstParagraph("Berlin (KNA) Die Kommission ...");
  SetDatelineFromBody(c);
  EXPECT_EQ(c.located().dateline(), "Berlin (KNA)");
  // Not datelines: a sentence with a dash, a place with digits, parentheses holding a sentence.
  for (const char* s : {"The man - who was 40 - said", "Route 66 (AP) - Traffic",
                        "Police (who declined to comment) said", "Officials (UN) said", "TORONTO"}) {
    v1::Article n = WithFirstParagraph(s);
    SetDatelineFromBody(n);
    EXPECT_TRUE(n.located().dateline().empty()) << s;
  }
}

TEST(WireByline, NamesTitlesAndAgencies) {
  v1::Article a;
  ASSERT_TRUE(IsBylineLine("By PAUL BYRNE and ALMUDENA CALATRAVA"));
  SetWireByline("By PAUL BYRNE and ALMUDENA CALATRAVA", "Associated Press", a);
  EXPECT_EQ(a.byline(), "Paul Byrne and Almudena Calatrava, Associated Press");
  ASSERT_EQ(a.authors_size(), 2);
  EXPECT_EQ(a.authors(1).name(), "Almudena Calatrava");
  v1::Article b;
  SetWireByline("By Lena Hartmann, dpa", "", b);
  EXPECT_EQ(b.byline(), "Lena Hartmann, dpa");
  ASSERT_EQ(b.authors_size(), 1);
  EXPECT_EQ(b.authors(0).name(), "Lena Hartmann");
  v1::Article c;
  SetWireByline("Von Anna Schmidt und Jan Weber, AFP", "", c);
  EXPECT_EQ(c.byline(), "Anna Schmidt and Jan Weber, AFP");
  EXPECT_FALSE(IsBylineLine("By the end of the day, trains ran again across the whole country."));
  EXPECT_FALSE(IsBylineLine("Byron Smith said"));
}

TEST(WireText, ControlsAndSubheadings) {
  EXPECT_EQ(StripControls("a\x01\tb\x7f\r\nc"), "a\tb\nc");
  EXPECT_EQ(Squeeze("  a \t b\n "), "a b");
  EXPECT_TRUE(LooksLikeSubheading("UP NEXT"));
  EXPECT_TRUE(LooksLikeSubheading("TIP-INS"));
  EXPECT_FALSE(LooksLikeSubheading("Up next"));
  EXPECT_FALSE(LooksLikeSubheading("NO."));
  EXPECT_FALSE(LooksLikeSubheading("THE STORM CLOSED A 60-MILE STRETCH OF INTERSTATE 70 AFTER CRASHES"));
}

}  // namespace
}  // namespace copydesk::normalize::internal::wire
