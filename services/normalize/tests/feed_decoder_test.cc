// RSS 2.0 item and Atom entry fixtures (tests/fixtures/formats/, written from the RSS 2.0 and RFC 4287
// specifications): every field.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "normalize/normalize.h"
#include "normalize/tests/fixtures.h"

namespace copydesk::normalize {
namespace {

std::string ReadFixture(const std::string& name) {
  return testing::ReadFormatFixture(name);
}

TEST(FeedDecoder, RssItemWithContentEncodedAndMediaRss) {
  Metadata meta;
  meta.content_type = "application/rss+xml";
  std::string bytes = ReadFixture("rss-item-transport.rss.xml");
  ASSERT_FALSE(bytes.empty());
  auto r = Normalize(bytes, meta);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  const v1::Article& a = r.value();
  EXPECT_EQ(a.provenance().format(), "rss");
  EXPECT_EQ(a.provenance().guid(), "dailyexample-transport-58213");
  EXPECT_EQ(a.provenance().provider(), "The Daily Example - Transport");
  EXPECT_EQ(a.provenance().charset(), "iso-8859-1");
  EXPECT_EQ(a.headline(), "Night trains return to the Caf\xC3\xA9 line after ten years");
  EXPECT_EQ(a.canonical_url().find("utm_"), std::string::npos);
  EXPECT_EQ(a.canonical_url().rfind("https://www.dailyexample.co.uk/transport/night-trains-return", 0), 0u);
  EXPECT_EQ(a.firstcreated().seconds(), 1712550600);    // 2024-04-08T04:30:00Z
  EXPECT_EQ(a.versioncreated().seconds(), 1712563800);  // 2024-04-08T08:10:00Z
  EXPECT_EQ(a.byline(), "Sam Whitfield");
  ASSERT_EQ(a.authors_size(), 1);
  ASSERT_EQ(a.subjects_size(), 2);
  EXPECT_EQ(a.subjects(0).name(), "Transport");
  EXPECT_EQ(a.subjects(0).scheme(), "https://www.dailyexample.co.uk/sections");
  EXPECT_EQ(a.subjects(1).name(), "Rail");
  EXPECT_EQ(a.language(), "en-gb");
  EXPECT_EQ(a.copyright_notice(), "\xC2\xA9 2024 The Daily Example");
  EXPECT_EQ(a.standfirst(), "Sleeper services will run four nights a week from May.");
  EXPECT_NE(a.body_text().find("Night trains will return to the line next month"), std::string::npos);
  EXPECT_NE(a.body_text().find("grown by a third since 2019."), std::string::npos);
  bool subhead = false;
  for (const auto& b : a.body())
    subhead = subhead || (b.type() == v1::BLOCK_TYPE_SUBHEADING && b.text() == "Demand has grown");
  EXPECT_TRUE(subhead);
  ASSERT_EQ(a.media_size(), 1);
  EXPECT_EQ(a.media(0).type(), "picture");
  EXPECT_EQ(a.media(0).url(), "https://img.dailyexample.co.uk/2024/04/sleeper.jpg");
  ASSERT_EQ(a.media(0).renditions_size(), 1);
  EXPECT_EQ(a.media(0).renditions(0).name(), "main");
  EXPECT_EQ(a.media(0).renditions(0).width(), 1200u);
  EXPECT_EQ(a.media(0).renditions(0).height(), 800u);
  EXPECT_EQ(a.media(0).renditions(0).mime_type(), "image/jpeg");
  ASSERT_EQ(a.descriptions_size(), 1);
  EXPECT_EQ(a.descriptions(0).role(), "summary");
  EXPECT_EQ(a.descriptions(0).value(), "Sleeper services will run four nights a week from May.");
  EXPECT_EQ(
      a.body_html(),
      "<p>Night trains will return to the line next month for the first time in a decade, the operator "
      "said on Monday.</p><p>Sleeper services will run four nights a week from May, with tickets going on "
      "sale on Tuesday.</p><h2>Demand has grown</h2><p>The operator said demand for overnight rail travel "
      "had grown by a third since 2019.</p>");
  EXPECT_EQ(a.media(0).mime_type(), "image/jpeg");
  EXPECT_EQ(a.media(0).title(), "A sleeper train at the platform");
  EXPECT_EQ(a.media(0).description(), "A sleeper train waits at the platform before departure.");
  EXPECT_EQ(a.media(0).credit(), "Photo: Lee Park");
  ASSERT_EQ(a.captions_size(), 1);
  EXPECT_EQ(a.captions(0).secondary(), "Photo: Lee Park");
}

TEST(FeedDecoder, AtomEntryInsideFeedWithXhtmlContent) {
  Metadata meta;
  meta.content_type = "application/atom+xml";
  auto r = Normalize(ReadFixture("atom-entry-science.atom.xml"), meta);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  const v1::Article& a = r.value();
  EXPECT_EQ(a.provenance().format(), "atom");
  EXPECT_EQ(a.provenance().guid(), "tag:science.example.org,2024:comet-tsuchinshan-atlas");
  EXPECT_EQ(a.provenance().provider(), "Example Science Desk");
  EXPECT_EQ(a.headline(), "Comet Tsuchinshan-ATLAS brightens ahead of October pass");
  EXPECT_EQ(a.firstcreated().seconds(), 1727892000);    // 2024-10-02T18:00:00Z
  EXPECT_EQ(a.versioncreated().seconds(), 1727901000);  // 2024-10-02T20:30:00Z
  ASSERT_EQ(a.authors_size(), 3);
  EXPECT_EQ(a.authors(0).name(), "Priya Raman");
  EXPECT_EQ(a.authors(0).uri(), "https://science.example.org/staff/praman");
  EXPECT_EQ(a.authors(2).name(), "Ana Costa");
  EXPECT_EQ(a.authors(2).role(), "contributor");
  EXPECT_EQ(a.byline(), "Priya Raman and Leo Martins");
  ASSERT_EQ(a.subjects_size(), 1);
  EXPECT_EQ(a.subjects(0).name(), "Astronomy");
  EXPECT_EQ(a.subjects(0).code(), "astronomy");
  EXPECT_EQ(a.subjects(0).uri(), "");  // a term that is not an IRI
  EXPECT_EQ(a.subjects(0).scheme(), "https://science.example.org/topics");
  EXPECT_EQ(a.canonical_url().find("fbclid"), std::string::npos);
  EXPECT_EQ(a.canonical_url().rfind("https://science.example.org/2024/10/comet-brightens", 0), 0u);
  ASSERT_EQ(a.media_size(), 1);
  EXPECT_EQ(a.media(0).type(), "picture");
  EXPECT_EQ(a.media(0).title(), "The comet over the Pacific");
  ASSERT_EQ(a.related_size(), 1);
  EXPECT_EQ(a.related(0).title(), "How to see a comet");
  EXPECT_EQ(a.language(), "en-US");
  EXPECT_EQ(a.copyright_notice(), "Copyright (c) 2024 Example Science Desk");
  EXPECT_EQ(a.standfirst(), "The comet could be visible to the naked eye in mid-October.");
  EXPECT_NE(a.body_text().find("A comet discovered last year has brightened faster than expected"),
            std::string::npos);
  EXPECT_NE(a.body_text().find("just after sunset."), std::string::npos);
}

// Media RSS (media:group with renditions, thumbnail, credit, copyright, keywords), an
// enclosure with its length, dc:subject/contributor, <source>, and markup a sanitizer must clean.
TEST(FeedDecoder, RssItemWithMediaGroupEnclosureAndHostileMarkup) {
  Metadata meta;
  meta.content_type = "application/rss+xml";
  auto r = Normalize(ReadFixture("rss-item-media-group.rss.xml"), meta);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  const v1::Article& a = r.value();
  ASSERT_EQ(a.media_size(), 2);
  const v1::MediaItem& audio = a.media(0);
  EXPECT_EQ(audio.type(), "audio");
  ASSERT_EQ(audio.renditions_size(), 1);
  EXPECT_EQ(audio.renditions(0).name(), "enclosure");
  EXPECT_EQ(audio.renditions(0).size_bytes(), 4821330u);
  EXPECT_EQ(audio.renditions(0).mime_type(), "audio/mpeg");
  const v1::MediaItem& pic = a.media(1);
  EXPECT_EQ(pic.type(), "picture");
  EXPECT_EQ(pic.url(), "https://img.coastline.example/lighthouse-large.jpg");  // isDefault
  EXPECT_EQ(pic.title(), "The restored lighthouse at dusk");
  EXPECT_EQ(pic.description(), "The lighthouse at Point Ness after its restoration.");
  EXPECT_EQ(pic.credit(), "Ivo Berg");
  EXPECT_EQ(pic.copyright_notice(), "Coastline Daily 2024");
  ASSERT_EQ(pic.renditions_size(), 3);
  EXPECT_EQ(pic.renditions(0).name(), "main");
  EXPECT_EQ(pic.renditions(0).width(), 2400u);
  EXPECT_EQ(pic.renditions(0).size_bytes(), 1048576u);
  EXPECT_EQ(pic.renditions(1).name(), "alternate1");
  EXPECT_EQ(pic.renditions(1).href(), "https://img.coastline.example/lighthouse-small.jpg");
  EXPECT_EQ(pic.renditions(1).height(), 427u);
  EXPECT_EQ(pic.renditions(2).name(), "thumbnail");
  EXPECT_EQ(pic.renditions(2).width(), 160u);
  ASSERT_EQ(a.authors_size(), 2);
  EXPECT_EQ(a.authors(1).name(), "Joel Park");
  EXPECT_EQ(a.authors(1).role(), "contributor");
  ASSERT_EQ(a.keywords_size(), 1);  // dc:subject; media:keywords of a group describe the media
  EXPECT_EQ(a.keywords(0), "heritage");
  ASSERT_EQ(a.infosources_size(), 1);
  EXPECT_EQ(a.infosources(0).name(), "Harbour Wire");
  EXPECT_EQ(a.infosources(0).uri(), "https://harbourwire.example/rss");
  EXPECT_EQ(a.provenance().provider(), "Harbour Wire");
  EXPECT_EQ(
      a.body_html(),
      "<p>The lighthouse at Point Ness shone again on Thursday night.</p><p>Volunteers spent two years "
      "<em>restoring</em> the lamp room. Click <a href=\"https://coastline.example/lighthouse-history\">"
      "History</a></p><p>Tours start in July.</p>");
}

TEST(FeedDecoder, BareRssItemAndEmptyFeed) {
  Metadata meta;
  meta.content_type = "application/rss+xml";
  auto r = Normalize(
      "<item><title>Bare</title><guid>g-1</guid><description>Just a line of text.</description>"
      "<author>ed@example.com (Ed Jones)</author></item>",
      meta);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r->provenance().guid(), "g-1");
  EXPECT_EQ(r->byline(), "Ed Jones");
  meta.content_type = "application/atom+xml";
  auto e = Normalize("<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>x</title></feed>", meta);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, v1::ERROR_CODE_NO_CONTENT);
}

}  // namespace
}  // namespace copydesk::normalize
