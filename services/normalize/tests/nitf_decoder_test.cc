// NITF 3.6 fixture (tests/fixtures/formats/nitf36-wildfire.nitf.xml, written from the NITF 3.6 DTD): every
// field.
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

TEST(NitfDecoder, AnpaKeywordMetaIsTheSluglineWithoutDuKey) {
  Metadata meta;
  meta.content_type = "application/nitf+xml";
  auto r = Normalize(
      "<nitf><head><meta name=\"anpa-keyword\" content=\"BC-Storm\"/><docdata><doc-id id-string=\"x1\"/>"
      "</docdata></head><body><body.head><hedline><hl1>Storm</hl1></hedline></body.head>"
      "<body.content><p>Text.</p></body.content></body></nitf>",
      meta);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r->slugline(), "BC-Storm");
  EXPECT_EQ(r->body_html(), "<p>Text.</p>");
}

TEST(NitfDecoder, Nitf36StoryWithMediaQuoteListAndTable) {
  Metadata meta;
  meta.content_type = "application/nitf+xml";
  std::string bytes = ReadFixture("nitf36-wildfire.nitf.xml");
  ASSERT_FALSE(bytes.empty());
  auto r = Normalize(bytes, meta);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  const v1::Article& a = r.value();
  EXPECT_EQ(a.provenance().guid(), "EXW-2023-0917-0042");
  EXPECT_EQ(a.provenance().provider_version(), "4");
  EXPECT_EQ(a.provenance().provider(), "ExampleWire");
  EXPECT_EQ(a.provenance().format(), "nitf");
  EXPECT_EQ(a.pubstatus(), v1::PUB_STATUS_USABLE);
  EXPECT_TRUE(a.signals().correction());
  EXPECT_TRUE(a.signals().embargo());
  EXPECT_FALSE(a.signals().kill());
  EXPECT_FALSE(a.signals().update());
  EXPECT_EQ(a.firstcreated().seconds(), 1694961000);    // 2023-09-17T14:30:00Z
  EXPECT_EQ(a.embargoed().seconds(), 1694966400);       // 2023-09-17T16:00:00Z
  EXPECT_EQ(a.versioncreated().seconds(), 1694964720);  // 2023-09-17T15:32:00Z, latest revision
  EXPECT_EQ(a.copyright_notice(), "Copyright 2023 ExampleWire Inc.");
  EXPECT_EQ(a.usage_terms(), "Not for use in California print editions before 6 p.m. PT.");
  EXPECT_EQ(a.ednote(), "Eds: Adds quote from fire chief. With photo. Corrects acreage in 2nd paragraph.");
  ASSERT_EQ(a.keywords_size(), 3);
  EXPECT_EQ(a.keywords(2), "California");
  ASSERT_EQ(a.places_size(), 2);
  EXPECT_EQ(a.places(0).name(), "Santa Clarita");  // evloc
  EXPECT_EQ(a.places(0).code(), "US");
  EXPECT_EQ(a.places(0).rel(), "located");
  EXPECT_EQ(a.places(1).name(), "Los Angeles County");
  ASSERT_EQ(a.organisations_size(), 1);
  EXPECT_EQ(a.organisations(0).name(), "Cal Fire");
  EXPECT_EQ(a.organisations(0).scheme(), "https://www.fire.ca.gov/");
  ASSERT_EQ(a.people_size(), 1);
  EXPECT_EQ(a.people(0).name(), "Daryl Osby");
  ASSERT_EQ(a.subjects_size(), 2);
  EXPECT_EQ(a.subjects(0).name(), "US News");
  EXPECT_EQ(a.subjects(0).scheme(), "section");
  EXPECT_EQ(a.subjects(1).name(), "Fire");
  EXPECT_EQ(a.subjects(1).uri(), "subj:03000000");
  EXPECT_EQ(a.subjects(1).scheme(), "subj");
  EXPECT_EQ(a.subjects(1).code(), "03000000");
  ASSERT_EQ(a.genres_size(), 1);
  EXPECT_EQ(a.genres(0).name(), "current");
  EXPECT_EQ(a.urgency(), 2u);
  EXPECT_EQ(a.slugline(), "CA-Wildfire");
  EXPECT_EQ(a.expires().seconds(), 1697500800);  // 2023-10-17T00:00:00Z
  EXPECT_EQ(a.copyright_holder(), "ExampleWire Inc.");
  ASSERT_EQ(a.altids_size(), 1);
  EXPECT_EQ(a.altids(0).role(), "EXW");
  EXPECT_EQ(a.altids(0).value(), "EXW-2023-0917-0042");
  ASSERT_EQ(a.infosources_size(), 1);
  EXPECT_EQ(a.infosources(0).name(), "ExampleWire");
  EXPECT_EQ(a.infosources(0).role(), "distributor");
  ASSERT_EQ(a.section_path_size(), 2);
  EXPECT_EQ(a.section_path(0), "News");
  EXPECT_EQ(a.section_path(1), "US");
  EXPECT_EQ(a.canonical_url().find("utm_source"), std::string::npos);
  EXPECT_EQ(a.canonical_url().rfind("https://news.example.com/us/wildfire-santa-clarita", 0), 0u);
  EXPECT_EQ(a.headline(), "Wildfire forces evacuations north of Los Angeles");
  ASSERT_EQ(a.headlines_size(), 1);
  EXPECT_EQ(a.headlines(0).role(), "subheadline");
  EXPECT_EQ(a.headlines(0).value(), "Thousands told to leave as winds push flames toward homes");
  EXPECT_EQ(a.byline(), "Maria Lopez and Kevin Tran");
  ASSERT_EQ(a.authors_size(), 2);
  EXPECT_EQ(a.authors(0).name(), "Maria Lopez");
  EXPECT_EQ(a.authors(0).role(), "author");
  EXPECT_EQ(a.authors(1).name(), "Kevin Tran");
  EXPECT_EQ(a.located().dateline(), "SANTA CLARITA, Calif. (Sept. 17)");
  EXPECT_EQ(a.located().city(), "SANTA CLARITA");
  EXPECT_EQ(a.located().name(), "SANTA CLARITA, Calif.");
  EXPECT_EQ(
      a.standfirst(),
      "A fast-moving brush fire has burned 4,200 acres and forced about 8,000 people from their homes.");
  EXPECT_EQ(a.language(), "en-US");
  ASSERT_EQ(a.body_size(), 8);
  EXPECT_EQ(
      a.body(0).text(),
      "SANTA CLARITA, Calif. (EXW) \xE2\x80\x94 A wind-driven wildfire tore through dry brush north of Los "
      "Angeles on Sunday, forcing thousands of residents to flee as flames crept toward hillside "
      "neighborhoods.");
  EXPECT_EQ(a.body(2).type(), v1::BLOCK_TYPE_SUBHEADING);
  EXPECT_EQ(a.body(2).text(), "Winds expected to ease");
  EXPECT_EQ(a.body(4).type(), v1::BLOCK_TYPE_BLOCK_QUOTE);
  EXPECT_EQ(a.body(4).text(),
            "\"We are asking people to leave now, not in an hour,\" the county fire chief said.");
  EXPECT_EQ(a.body(5).text(), "Evacuation centers were opened at two high schools.");
  EXPECT_EQ(a.body(6).type(), v1::BLOCK_TYPE_LIST_ITEM);
  EXPECT_EQ(a.body(6).text(), "Valencia High School");
  EXPECT_FALSE(a.body(6).ordered());
  EXPECT_EQ(a.body(7).text(), "Canyon High School");
  EXPECT_EQ(a.body_text().find("Acres"), std::string::npos);
  EXPECT_EQ(a.body_text().find("newsdesk"), std::string::npos);
  EXPECT_EQ(a.body_text().find("Firefighters watch"), std::string::npos);
  ASSERT_EQ(a.media_size(), 1);
  EXPECT_EQ(a.media(0).type(), "picture");
  EXPECT_EQ(a.media(0).url(), "https://photos.example.com/2023/09/17/fire-1.jpg");
  EXPECT_EQ(a.media(0).mime_type(), "image/jpeg");
  EXPECT_EQ(a.media(0).title(), "Firefighters on a ridge");
  EXPECT_EQ(a.media(0).description(),
            "Firefighters watch the fire from a ridge above Santa Clarita on Sunday.");
  EXPECT_EQ(a.media(0).credit(), "Photo: Alex Kim / ExampleWire");
  EXPECT_EQ(a.media(0).alt_text(), "Firefighters on a ridge");
  ASSERT_EQ(a.media(0).renditions_size(), 1);
  EXPECT_EQ(a.media(0).renditions(0).name(), "main");
  EXPECT_EQ(a.media(0).renditions(0).width(), 2048u);
  EXPECT_EQ(a.media(0).renditions(0).height(), 1365u);
  EXPECT_EQ(a.media(0).renditions(0).mime_type(), "image/jpeg");
  // NITF's body vocabulary as sanitized HTML.
  EXPECT_EQ(
      a.body_html(),
      "<p>SANTA CLARITA, Calif. (EXW) \xE2\x80\x94 A wind-driven wildfire tore through dry brush north of "
      "Los "
      "Angeles on Sunday, forcing thousands of residents to flee as flames crept toward hillside "
      "neighborhoods.</p><p>The fire had burned about 4,200 acres by midday and was 5 percent contained, "
      "fire "
      "officials said.</p><figure><img src=\"https://photos.example.com/2023/09/17/fire-1.jpg\" "
      "alt=\"Firefighters on a ridge\" width=\"2048\" height=\"1365\"/><figcaption>Firefighters watch the "
      "fire from a ridge above Santa Clarita on Sunday.</figcaption></figure><h2>Winds expected to "
      "ease</h2><p>Forecasters said the gusty Santa Ana winds would ease overnight.</p><blockquote><p>\"We "
      "are "
      "asking people to leave now, not in an hour,\" the county fire chief said.</p><p>Daryl Osby, Los "
      "Angeles County fire chief</p></blockquote><p>Evacuation centers were opened at two high "
      "schools.</p><ul><li>Valencia "
      "High School</li><li>Canyon High School</li></ul><table><tr><td>Acres</td><td>4,200</td></tr></table>");
  ASSERT_EQ(a.captions_size(), 1);
  EXPECT_EQ(a.captions(0).text(), "Firefighters watch the fire from a ridge above Santa Clarita on Sunday.");
  EXPECT_EQ(a.captions(0).secondary(), "Photo: Alex Kim / ExampleWire");
  EXPECT_EQ(a.captions(0).media_url(), "https://photos.example.com/2023/09/17/fire-1.jpg");
}

TEST(NitfDecoder, CanceledStatusAndWrongRoot) {
  Metadata meta;
  meta.content_type = "application/nitf+xml";
  auto r = Normalize(
      "<nitf><head><docdata management-status=\"canceled\"><doc-id id-string=\"X-1\"/></docdata></head>"
      "<body><body.head><hedline><hl1>Killed story</hl1></hedline></body.head></body></nitf>",
      meta);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r->pubstatus(), v1::PUB_STATUS_CANCELED);
  EXPECT_TRUE(r->signals().kill());
  EXPECT_EQ(r->provenance().guid(), "X-1");
  auto bad = Normalize("<html><body><p>x</p></body></html>", meta);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, v1::ERROR_CODE_UNSUPPORTED_FORMAT);
}

}  // namespace
}  // namespace copydesk::normalize
