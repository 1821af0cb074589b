// Times without a zone read in Metadata::timezone, in every decoder family; month names in the
// languages the date parsers read. Expected instants are written out by hand (UTC).
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "normalize/date_words.h"
#include "normalize/html/meta.h"
#include "normalize/normalize.h"
#include "normalize/tests/fixtures.h"
#include "normalize/text_dates.h"
#include "normalize/timezone.h"
#include "normalize/wire_text.h"

namespace copydesk::normalize {
namespace {

constexpr int64_t kWinter = 1705329000;  // 2024-01-15T14:30:00Z
constexpr int64_t kSummer = 1721053800;  // 2024-07-15T14:30:00Z
constexpr int64_t kHour = 3600;
constexpr std::string_view kBerlin = "Europe/Berlin";

// `text` with its one occurrence of `from` replaced (the test fails when it is not there).
std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "fixture lacks " << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

using Field = std::function<const google::protobuf::Timestamp&(const v1::Article&)>;

const google::protobuf::Timestamp& FirstCreated(const v1::Article& a) {
  return a.firstcreated();
}
const google::protobuf::Timestamp& VersionCreated(const v1::Article& a) {
  return a.versioncreated();
}

// The field's seconds after decoding `bytes` with that zone; -1 when the input or the field fails.
int64_t Decoded(const std::string& bytes, std::string_view content_type, std::string_view zone,
                const Field& field) {
  Metadata meta;
  meta.content_type = std::string(content_type);
  meta.timezone = std::string(zone);
  auto items = NormalizeItems(bytes, meta);
  if (!items.ok() || items->empty()) {
    ADD_FAILURE() << (items.ok() ? "no items" : items.error().reason);
    return -1;
  }
  const auto& article = items->front().article;
  if (!article.ok()) {
    ADD_FAILURE() << article.error().reason;
    return -1;
  }
  const auto& ts = field(article.value());
  return ts.seconds() == 0 ? -1 : ts.seconds();
}

// One decoder family: its input with a zone-less 14:30 on 2024-01-15 (winter), the same on
// 2024-07-15 (summer) and 14:30 on 2024-01-15 stated as UTC (Z, GMT, +00:00).
struct Family {
  std::string content_type;
  std::function<std::string(const std::string& variant)> input;  // "winter", "summer", "stated"
  Field field;
};

void ExpectZoneRead(const Family& f) {
  const std::string winter = f.input("winter"), summer = f.input("summer"), stated = f.input("stated");
  // "" is UTC.
  EXPECT_EQ(Decoded(winter, f.content_type, "", f.field), kWinter);
  EXPECT_EQ(Decoded(summer, f.content_type, "", f.field), kSummer);
  // Europe/Berlin: +01:00 in January, +02:00 in July.
  EXPECT_EQ(Decoded(winter, f.content_type, kBerlin, f.field), kWinter - kHour);
  EXPECT_EQ(Decoded(summer, f.content_type, kBerlin, f.field), kSummer - 2 * kHour);
  // A stated zone wins over the provider's.
  EXPECT_EQ(Decoded(stated, f.content_type, kBerlin, f.field), kWinter);
  EXPECT_EQ(Decoded(stated, f.content_type, "America/New_York", f.field), kWinter);
}

// "2024-01-15T14:30:00", "2024-07-15T14:30:00", "2024-01-15T14:30:00Z" in `sep`-less basic form too.
std::string Iso(const std::string& variant, bool basic = false) {
  std::string s = variant == "summer" ? "2024-07-15T14:30:00" : "2024-01-15T14:30:00";
  if (basic) s = s.substr(0, 4) + s.substr(5, 2) + s.substr(8, 5) + s.substr(14, 2) + s.substr(17, 2);
  if (variant == "stated") s += basic ? "+0000" : "Z";
  return s;
}

TEST(ZoneLessTimes, Ninjs) {
  ExpectZoneRead({"application/ninjs+json",
                  [](const std::string& v) {
                    return R"({"uri":"urn:x:1","type":"text","headline":"Zone test","versioncreated":")" +
                           Iso(v) +
                           R"(","body_text":"A paragraph long enough to be the body of this small story."})";
                  },
                  VersionCreated});
}

TEST(ZoneLessTimes, Nitf) {
  ExpectZoneRead({"application/nitf+xml",
                  [](const std::string& v) {
                    return Replace(testing::ReadFormatFixture("nitf36-wildfire.nitf.xml"),
                                   R"(<date.issue norm="20230917T143000Z"/>)",
                                   R"(<date.issue norm=")" + Iso(v, true) + R"("/>)");
                  },
                  FirstCreated});
}

TEST(ZoneLessTimes, NewsMlG2) {
  ExpectZoneRead({"application/vnd.iptc.g2.newsitem+xml",
                  [](const std::string& v) {
                    return Replace(testing::ReadFormatFixture("g2-newsitem-markets.g2.xml"),
                                   "<firstCreated>2024-06-06T12:15:00Z</firstCreated>",
                                   "<firstCreated>" + Iso(v) + "</firstCreated>");
                  },
                  FirstCreated});
}

TEST(ZoneLessTimes, Rss) {
  ExpectZoneRead({"application/rss+xml",
                  [](const std::string& v) {
                    const std::string date = v == "summer"   ? "Mon, 15 Jul 2024 14:30:00"
                                             : v == "stated" ? "Mon, 15 Jan 2024 14:30:00 GMT"
                                                             : "Mon, 15 Jan 2024 14:30:00";
                    return Replace(testing::ReadFormatFixture("rss-item-transport.rss.xml"),
                                   "<pubDate>Mon, 08 Apr 2024 05:30:00 +0100</pubDate>",
                                   "<pubDate>" + date + "</pubDate>");
                  },
                  FirstCreated});
}

TEST(ZoneLessTimes, Atom) {
  ExpectZoneRead({"application/atom+xml",
                  [](const std::string& v) {
                    return Replace(testing::ReadFormatFixture("atom-entry-science.atom.xml"),
                                   "<published>2024-10-02T14:00:00-04:00</published>",
                                   "<published>" + Iso(v) + "</published>");
                  },
                  FirstCreated});
}

TEST(ZoneLessTimes, NewsMl1) {
  ExpectZoneRead({"application/vnd.iptc.newsml+xml",
                  [](const std::string& v) {
                    return Replace(testing::ReadFormatFixture("newsml12-bridge-reopens.newsml1.xml"),
                                   "<FirstCreated>20250612T081200Z</FirstCreated>",
                                   "<FirstCreated>" + Iso(v, true) + "</FirstCreated>");
                  },
                  FirstCreated});
}

TEST(ZoneLessTimes, Anpa1312Trailer) {
  ExpectZoneRead({"application/vnd.anpa1312",
                  [](const std::string& v) {
                    const std::string trailer = v == "summer"   ? "AP-RS-07-15-24 1430"
                                                : v == "stated" ? "AP-RS-01-15-24 1430GMT"
                                                                : "AP-RS-01-15-24 1430";
                    return Replace(testing::ReadFormatFixture("anpa1312-ice-storm.anpa"),
                                   "AP-RS-01-27-25 1642EST", trailer);
                  },
                  VersionCreated});
}

TEST(ZoneLessTimes, Iptc7901PostText) {
  ExpectZoneRead({"text/vnd.iptc.7901",
                  [](const std::string& v) {
                    const std::string post = v == "summer"   ? "151430 Jul 24"
                                             : v == "stated" ? "151430 GMT Jan 24"
                                                             : "151430 Jan 24";
                    return Replace(testing::ReadFormatFixture("iptc7901-rail-strike.7901"),
                                   "141532 GMT Mar 24", post);
                  },
                  VersionCreated});
}

std::string Page(const std::string& head, const std::string& body_top) {
  return "<html><head><title>Tram line approved</title>" + head +
         "</head><body><article><h1>Tram line approved</h1>" + body_top +
         "<p>The city council voted on Monday to build a new tram line through the eastern districts, ending "
         "a decade of debate over its route.</p><p>Construction is due to start next year and the line "
         "should "
         "open in 2029, the transport department said.</p></article></body></html>";
}

TEST(ZoneLessTimes, HtmlMetaTag) {
  ExpectZoneRead({"text/html",
                  [](const std::string& v) {
                    return Page(R"(<meta property="article:published_time" content=")" + Iso(v) + R"(">)",
                                "");
                  },
                  FirstCreated});
}

TEST(ZoneLessTimes, HtmlJsonLd) {
  ExpectZoneRead(
      {"text/html",
       [](const std::string& v) {
         return Page(
             R"(<script type="application/ld+json">{"@type":"NewsArticle","headline":"Tram line approved","datePublished":")" +
                 Iso(v) + R"("}</script>)",
             "");
       },
       FirstCreated});
}

TEST(ZoneLessTimes, HtmlTimeElement) {
  ExpectZoneRead({"text/html",
                  [](const std::string& v) {
                    return Page("", R"(<time datetime=")" + Iso(v) + R"(">15 January</time>)");
                  },
                  FirstCreated});
}

TEST(ZoneLessTimes, HtmlVisibleDateLine) {
  ExpectZoneRead({"text/html",
                  [](const std::string& v) {
                    const std::string line = v == "summer"   ? "15. Juli 2024, 14:30 Uhr"
                                             : v == "stated" ? "15. Januar 2024, 14:30 GMT"
                                                             : "15. Januar 2024, 14:30 Uhr";
                    return Page("", "<div class=\"date\">" + line + "</div>");
                  },
                  FirstCreated});
}

TEST(ZoneLessTimes, PlainText) {
  ExpectZoneRead(
      {"text/plain",
       [](const std::string& v) {
         const std::string line = v == "summer"   ? "Published 15 July 2024 14:30"
                                  : v == "stated" ? "Published 15 January 2024 14:30 GMT"
                                                  : "Published 15 January 2024 14:30";
         return "Berlin council approves new tram line\n\n" + line +
                "\n\nThe city council voted on Monday to build a new tram line through the eastern "
                "districts, ending a decade of debate.\n\nConstruction is due to start next year and "
                "the line should open in 2029, the transport department said.\n";
       },
       FirstCreated});
}

TEST(ZoneLessTimes, DateWithoutTimeStaysTheDate) {
  using internal::ParseIsoDateTime;
  using internal::ToUtcSeconds;
  constexpr int64_t kJan15 = 1705276800;  // 2024-01-15T00:00:00Z
  EXPECT_EQ(ToUtcSeconds(*ParseIsoDateTime("2024-01-15"), kBerlin), kJan15);
  EXPECT_EQ(ToUtcSeconds(*internal::ParseHumanDate("15 January 2024", true), kBerlin), kJan15);
  int64_t s = 0;
  bool date_only = false;
  ASSERT_TRUE(html::ParseDateTime("15 January 2024", kBerlin, &s, &date_only));
  EXPECT_TRUE(date_only);
  EXPECT_EQ(s, kJan15);
}

TEST(ZoneLessTimes, StatedOffsetsAndAbbreviationsAreKept) {
  using internal::ToUtcSeconds;
  for (std::string_view zone : {std::string_view(), kBerlin, std::string_view("Asia/Tokyo")}) {
    EXPECT_EQ(ToUtcSeconds(*internal::ParseIsoDateTime("2024-01-15T15:30:00+01:00"), zone), kWinter) << zone;
    EXPECT_EQ(ToUtcSeconds(*internal::ParseHumanDate("15 Jan 2024 15:30 CET", true), zone), kWinter) << zone;
    EXPECT_EQ(ToUtcSeconds(*internal::ParseHumanDate("15 Jan 2024 09:30 EST", true), zone), kWinter) << zone;
    EXPECT_EQ(ToUtcSeconds(*internal::ParseHumanDate("15 Jul 2024 16:30 CEST", true), zone), kSummer) << zone;
    EXPECT_EQ(ToUtcSeconds(*internal::ParseHumanDate("15 Jul 2024 15:30 BST", true), zone), kSummer) << zone;
    EXPECT_EQ(ToUtcSeconds(*internal::ParseHumanDate("15 Jan 2024 14:30 UTC", true), zone), kWinter) << zone;
  }
}

TEST(TimeZones, NamesAndDaylightSavingChanges) {
  EXPECT_TRUE(IsTimezone("Europe/Berlin"));
  EXPECT_TRUE(IsTimezone("UTC"));
  EXPECT_FALSE(IsTimezone("Mars/Olympus"));
  EXPECT_FALSE(IsTimezone(""));
  // 2024-03-31 02:30 does not exist in Berlin: read with the offset before the change (+01:00).
  constexpr int64_t kGapLocal = 1711852200;  // 2024-03-31T02:30 as if UTC
  EXPECT_EQ(ZoneOffsetMillis(kBerlin, kGapLocal * 1000), kHour * 1000);
  // 2024-10-27 02:30 happens twice: the first (+02:00, 00:30Z).
  constexpr int64_t kOverlapLocal = 1729996200;  // 2024-10-27T02:30 as if UTC
  EXPECT_EQ(ZoneOffsetMillis(kBerlin, kOverlapLocal * 1000), 2 * kHour * 1000);
  EXPECT_EQ(ZoneOffsetMillis("Mars/Olympus", kGapLocal * 1000), 0);
  EXPECT_EQ(ZoneOffsetMillis("", kGapLocal * 1000), 0);
  internal::ParsedTime gap{kGapLocal, true, std::nullopt};
  EXPECT_EQ(internal::ToUtcSeconds(gap, kBerlin), 1711848600);  // 2024-03-31T01:30Z
  internal::ParsedTime overlap{kOverlapLocal, true, std::nullopt};
  EXPECT_EQ(internal::ToUtcSeconds(overlap, kBerlin), 1729989000);  // 2024-10-27T00:30Z
  // A zone name ICU does not know is UTC.
  EXPECT_EQ(internal::ToUtcSeconds(gap, "Mars/Olympus"), kGapLocal);
}

// Midnight UTC of a printed date line, or -1.
int64_t DateOf(std::string_view line) {
  auto d = internal::ParseHumanDate(line, true);
  return d ? internal::ToUtcSeconds(*d, "") : -1;
}

TEST(MonthNames, EachLanguage) {
  // German
  EXPECT_EQ(DateOf("3. März 2024"), 1709424000);
  EXPECT_EQ(DateOf("3. MÄRZ 2024"), 1709424000);
  EXPECT_EQ(DateOf("3. Maerz 2024"), 1709424000);
  EXPECT_EQ(DateOf("3. Mrz. 2024"), 1709424000);
  EXPECT_EQ(DateOf("Dienstag, 24. Dez. 2024"), 1734998400);
  // French
  EXPECT_EQ(DateOf("le 5 juin 2024"), 1717545600);
  EXPECT_EQ(DateOf("1er février 2024"), 1706745600);
  EXPECT_EQ(DateOf("1er fevrier 2024"), 1706745600);
  EXPECT_EQ(DateOf("mardi 8 oct. 2024"), 1728345600);
  // Spanish
  EXPECT_EQ(DateOf("12 de marzo de 2024"), 1710201600);
  EXPECT_EQ(DateOf("martes, 24 de diciembre de 2024"), 1734998400);
  EXPECT_EQ(DateOf("30 abr 2024"), 1714435200);
  // Italian
  EXPECT_EQ(DateOf("1° maggio 2024"), 1714521600);
  EXPECT_EQ(DateOf("20 agosto 2024"), 1724112000);
  EXPECT_EQ(DateOf("19 nov 2024"), 1731974400);
  // Portuguese
  EXPECT_EQ(DateOf("12 de março de 2024"), 1710201600);
  EXPECT_EQ(DateOf("12 de marco de 2024"), 1710201600);
  EXPECT_EQ(DateOf("5 de set. de 2024"), 1725494400);
  EXPECT_EQ(DateOf("8 out 2024"), 1728345600);
  // Dutch
  EXPECT_EQ(DateOf("12 mrt 2024"), 1710201600);
  EXPECT_EQ(DateOf("1 mei 2024"), 1714521600);
  EXPECT_EQ(DateOf("dinsdag 8 oktober 2024"), 1728345600);
  // Swedish, Danish, Norwegian
  EXPECT_EQ(DateOf("3 mars 2024"), 1709424000);
  EXPECT_EQ(DateOf("1 maj 2024"), 1714521600);
  EXPECT_EQ(DateOf("tisdag 8 okt. 2024"), 1728345600);
  EXPECT_EQ(DateOf("24. december 2024"), 1734998400);
  EXPECT_EQ(DateOf("24. des. 2024"), 1734998400);
  EXPECT_EQ(DateOf("1. mai 2024"), 1714521600);
  // The HTML page parser reads the same names.
  int64_t s = 0;
  ASSERT_TRUE(html::ParseDateTime("12 de marzo de 2024", "", &s));
  EXPECT_EQ(s, 1710201600);
  ASSERT_TRUE(html::ParseDateTime("3. März 2024", "", &s));
  EXPECT_EQ(s, 1709424000);
  ASSERT_TRUE(html::ParseDateTime("le 5 juin 2024", "", &s));
  EXPECT_EQ(s, 1717545600);
  // And the wire formats.
  EXPECT_EQ(internal::wire::MonthNumber("Okt"), 10);
  EXPECT_EQ(internal::wire::MonthNumber("déc"), 12);
  EXPECT_EQ(internal::wire::MonthNumber("Mrz"), 3);
  EXPECT_EQ(internal::wire::MonthNumber("giu"), 6);
}

TEST(MonthNames, CommonWordsAreMonthsOnlyAfterTheDay) {
  EXPECT_FALSE(internal::ParseHumanDate("Sold out 12 tickets in 2024", false).has_value());
  EXPECT_EQ(internal::MonthFromWord("out").month, 10);
  EXPECT_TRUE(internal::MonthFromWord("out").ambiguous);
  EXPECT_EQ(internal::MonthFromWord("MÄRZ").month, 3);
  EXPECT_EQ(internal::MonthFromWord("tuesday").month, 0);
}

TEST(PrintedTimes, OtherLanguagesInTheProvidersZone) {
  // "am" before the time is German, not a.m.: 12:30 stays 12:30.
  auto d = internal::ParseHumanDate("am 15. Januar 2024 um 12:30 Uhr", true);
  ASSERT_TRUE(d);
  EXPECT_EQ(internal::ToUtcSeconds(*d, kBerlin), kWinter - 2 * kHour - kHour);
  d = internal::ParseHumanDate("le 15 juillet 2024 à 14h30", true);
  ASSERT_TRUE(d);
  EXPECT_EQ(internal::ToUtcSeconds(*d, kBerlin), kSummer - 2 * kHour);
  d = internal::ParseHumanDate("15. Januar 2024, 14.30 Uhr", true);
  ASSERT_TRUE(d);
  EXPECT_EQ(internal::ToUtcSeconds(*d, kBerlin), kWinter - kHour);
  d = internal::ParseHumanDate("Aktualisiert: 15. Juli 2024, 14:30 Uhr", true);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->is_update);
  EXPECT_EQ(internal::ToUtcSeconds(*d, kBerlin), kSummer - 2 * kHour);
  // A time with a stated zone is read as stated in every language.
  d = internal::ParseHumanDate("15. Januar 2024, 14:30 Uhr MEZ", true);
  ASSERT_TRUE(d);
  EXPECT_EQ(internal::ToUtcSeconds(*d, "America/New_York"), kWinter - kHour);
}

TEST(WireTimes, ZoneLessIsTheProvidersZone) {
  using internal::wire::PrintedDate;
  using internal::wire::WireTimeToUtc;
  EXPECT_EQ(WireTimeToUtc(PrintedDate{2024, 1, 15}, 14, 30, "", kBerlin), kWinter - kHour);
  EXPECT_EQ(WireTimeToUtc(PrintedDate{2024, 7, 15}, 14, 30, "", kBerlin), kSummer - 2 * kHour);
  EXPECT_EQ(WireTimeToUtc(PrintedDate{2024, 1, 15}, 14, 30, "GMT", kBerlin), kWinter);
  EXPECT_EQ(WireTimeToUtc(PrintedDate{2024, 1, 15}, 14, 30, "", ""), kWinter);
}

}  // namespace
}  // namespace copydesk::normalize
