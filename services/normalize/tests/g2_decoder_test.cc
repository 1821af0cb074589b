// NewsML-G2 newsItem fixture (tests/fixtures/formats/g2-newsitem-markets.g2.xml, written from the
// NewsML-G2 2.33 specification): every field.
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

TEST(G2Decoder, NewsItemWithInlineXhtml) {
  Metadata meta;
  meta.content_type = "application/vnd.iptc.g2.newsitem+xml";
  std::string bytes = ReadFixture("g2-newsitem-markets.g2.xml");
  ASSERT_FALSE(bytes.empty());
  auto r = Normalize(bytes, meta);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  const v1::Article& a = r.value();
  EXPECT_EQ(a.provenance().guid(), "urn:newsml:example.net:20240605:ecb-rates-cut");
  EXPECT_EQ(a.provenance().provider_version(), "7");
  EXPECT_EQ(a.provenance().provider(), "Example Newswire");
  EXPECT_EQ(a.provenance().format(), "newsml-g2");
  EXPECT_EQ(a.type(), "text");
  EXPECT_EQ(a.versioncreated().seconds(), 1717676405);  // 2024-06-06T12:20:05Z
  EXPECT_EQ(a.firstcreated().seconds(), 1717676100);    // 2024-06-06T12:15:00Z
  EXPECT_EQ(a.embargoed().seconds(), 1717676100);
  EXPECT_EQ(a.contentcreated().seconds(), 1717675500);  // 2024-06-06T12:05:00Z
  EXPECT_EQ(a.pubstatus(), v1::PUB_STATUS_USABLE);
  EXPECT_TRUE(a.signals().update());
  EXPECT_TRUE(a.signals().correction());
  EXPECT_TRUE(a.signals().embargo());
  EXPECT_FALSE(a.signals().kill());
  EXPECT_EQ(a.ednote(), "Adds ECB president quote in paragraph 4. Correcting rate to 3.75 percent.");
  EXPECT_EQ(a.copyright_notice(), "Copyright 2024 Example Newswire Ltd. All rights reserved.");
  EXPECT_EQ(a.usage_terms(), "For use by subscribers only. Not for redistribution.");
  EXPECT_EQ(a.canonical_url().find("utm_medium"), std::string::npos);
  EXPECT_EQ(a.canonical_url().rfind("https://www.example.net/markets/ecb-cuts-rates", 0), 0u);
  ASSERT_EQ(a.related_size(), 1);
  EXPECT_EQ(a.related(0).title(), "What to expect from the ECB");
  EXPECT_EQ(a.related(0).url(), "https://www.example.net/markets/ecb-preview");
  EXPECT_EQ(a.located().name(), "Frankfurt");
  EXPECT_EQ(a.located().city(), "Frankfurt");
  EXPECT_EQ(a.located().country(), "Germany");
  EXPECT_EQ(a.located().dateline(), "FRANKFURT, June 6 (EXN) -");
  ASSERT_EQ(a.authors_size(), 2);
  EXPECT_EQ(a.authors(0).name(), "Marta Krause");
  EXPECT_EQ(a.authors(0).role(), "author");
  EXPECT_EQ(a.authors(0).uri(), "exnstaff:mkrause");
  EXPECT_EQ(a.authors(1).name(), "Patrick Nolan");
  EXPECT_EQ(a.authors(1).role(), "editor");
  EXPECT_EQ(a.byline(), "Marta Krause");
  EXPECT_EQ(a.language(), "en-GB");
  ASSERT_EQ(a.subjects_size(), 2);
  EXPECT_EQ(a.subjects(0).name(), "economy, business and finance");
  EXPECT_EQ(a.subjects(0).uri(), "medtop:04000000");
  EXPECT_EQ(a.subjects(0).scheme(), "medtop");
  EXPECT_EQ(a.subjects(0).code(), "04000000");
  EXPECT_EQ(a.subjects(1).name(), "central bank");
  EXPECT_EQ(a.subjects(1).code(), "20000350");
  ASSERT_EQ(a.genres_size(), 1);
  EXPECT_EQ(a.genres(0).name(), "Current");
  EXPECT_EQ(a.genres(0).scheme(), "genre");
  EXPECT_EQ(a.genres(0).code(), "Current");
  EXPECT_EQ(a.genres(0).uri(), "genre:Current");
  EXPECT_EQ(a.urgency(), 2u);
  EXPECT_EQ(a.slugline(), "ECB-RATES/");
  EXPECT_EQ(a.copyright_holder(), "Example Newswire Ltd");
  ASSERT_EQ(a.infosources_size(), 1);
  EXPECT_EQ(a.infosources(0).name(), "ECB");
  EXPECT_EQ(a.infosources(0).role(), "source");
  ASSERT_EQ(a.descriptions_size(), 1);
  EXPECT_EQ(a.descriptions(0).role(), "summary");
  EXPECT_EQ(
      a.body_html(),
      "<p>FRANKFURT, June 6 (EXN) - The European Central Bank cut interest rates on Thursday for the first "
      "time since 2019, lowering its deposit rate to 3.75 percent from a record 4 percent.</p><p>The move "
      "had "
      "been widely expected after inflation in the euro zone fell close to the bank's 2 percent target over "
      "the past year.</p><h2>Cautious outlook</h2><p>Policymakers gave no firm commitment to further cuts, "
      "saying they would decide meeting by meeting.</p><p>\"We are not pre-committing to a particular rate "
      "path,\" the ECB president told reporters in Frankfurt.</p>");
  ASSERT_EQ(a.keywords_size(), 2);
  EXPECT_EQ(a.keywords(1), "interest rates");
  EXPECT_EQ(a.headline(), "ECB cuts interest rates for the first time since 2019");
  ASSERT_EQ(a.headlines_size(), 1);
  EXPECT_EQ(a.headlines(0).role(), "short");
  EXPECT_EQ(a.headlines(0).value(), "ECB cuts rates");
  EXPECT_EQ(a.standfirst(), "The European Central Bank lowered its deposit rate to 3.75 percent.");
  EXPECT_NE(a.body_text().find("FRANKFURT, June 6 (EXN) - The European Central Bank cut interest rates"),
            std::string::npos);
  EXPECT_NE(a.body_text().find("\"We are not pre-committing to a particular rate path,\""),
            std::string::npos);
  bool subhead = false;
  for (const auto& b : a.body())
    subhead = subhead || (b.type() == v1::BLOCK_TYPE_SUBHEADING && b.text() == "Cautious outlook");
  EXPECT_TRUE(subhead);
}

// The newsMessage fixture (g2-newsmessage-storm.g2.xml, from NewsML-G2 2.33): every field of
// its items.
TEST(G2Decoder, NewsMessageItemsKeepEveryField) {
  Metadata meta;
  meta.content_type = "application/vnd.iptc.g2.newsmessage+xml";
  auto r = NormalizeItems(ReadFixture("g2-newsmessage-storm.g2.xml"), meta);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  ASSERT_EQ(r->size(), 4u);
  const v1::Article& a = (*r)[0].article.value();
  EXPECT_EQ(a.priority(), 2u);  // the message header's priority
  EXPECT_EQ(a.urgency(), 2u);
  EXPECT_EQ(a.slugline(), "BRITAIN-STORM/");
  EXPECT_EQ(a.ednote(), "Updates death toll in paragraph 2.");
  EXPECT_TRUE(a.signals().update());
  EXPECT_EQ(a.copyright_holder(), "Northwire Ltd");
  EXPECT_EQ(a.copyright_notice(), "Copyright 2024 Northwire Ltd");
  EXPECT_EQ(a.usage_terms(), "Subscribers only. No archiving.");
  ASSERT_EQ(a.genres_size(), 1);
  EXPECT_EQ(a.genres(0).name(), "Update");
  ASSERT_EQ(a.subjects_size(), 2);
  EXPECT_EQ(a.subjects(1).name(), "weather");
  EXPECT_EQ(a.subjects(1).code(), "17000000");
  ASSERT_EQ(a.places_size(), 1);
  EXPECT_EQ(a.places(0).name(), "United Kingdom");
  EXPECT_EQ(a.places(0).uri(), "geo:2635167");
  ASSERT_EQ(a.organisations_size(), 1);
  EXPECT_EQ(a.organisations(0).name(), "Met Office");
  ASSERT_EQ(a.people_size(), 1);
  EXPECT_EQ(a.people(0).name(), "Jane Smith");
  EXPECT_EQ(a.people(0).scheme(), "nwpers");
  ASSERT_EQ(a.keywords_size(), 1);
  EXPECT_EQ(a.located().name(), "London");
  EXPECT_EQ(a.located().dateline(), "LONDON, Oct 9 (Northwire) -");
  EXPECT_EQ(a.byline(), "Ada Okafor");
  EXPECT_EQ(a.standfirst(), "Thousands of homes are without power after overnight gales.");
  EXPECT_EQ(
      a.body_html(),
      "<p>Storm Ciara brought gusts of up to 90 miles an hour to southern England overnight, leaving "
      "thousands of homes without power.</p><p>Two people died when a tree fell on their car near Brighton, "
      "police said.</p>");
  const v1::Article& pic = (*r)[1].article.value();
  EXPECT_EQ(pic.type(), "picture");
  EXPECT_EQ(pic.copyright_notice(), "Copyright 2024 Northwire Ltd / Photo: Tom Reyes");
  ASSERT_EQ(pic.authors_size(), 1);
  EXPECT_EQ(pic.authors(0).role(), "photographer");
  ASSERT_EQ(pic.descriptions_size(), 1);
  EXPECT_EQ(pic.descriptions(0).role(), "caption");
  ASSERT_EQ(pic.renditions_size(), 2);
  EXPECT_EQ(pic.renditions(0).name(), "highRes");
  EXPECT_EQ(pic.renditions(0).href(), "https://media.northwire.example/storm/brighton-tree.jpg");
  EXPECT_EQ(pic.renditions(0).mime_type(), "image/jpeg");
  EXPECT_EQ(pic.renditions(0).width(), 3000u);
  EXPECT_EQ(pic.renditions(0).height(), 2000u);
  EXPECT_EQ(pic.renditions(0).size_bytes(), 1843200u);
  EXPECT_EQ(pic.renditions(1).name(), "thumbnail");
  EXPECT_EQ(pic.renditions(1).width(), 300u);
  EXPECT_TRUE(pic.media().empty());
  EXPECT_TRUE((*r)[3].article->body_html().empty());  // inlineData: plain text, no markup
}

TEST(G2Decoder, NewsMessageWithPlainTextAndCanceledStatus) {
  Metadata meta;
  meta.content_type = "application/vnd.iptc.g2.newsitem+xml";
  auto r = Normalize(
      "<newsMessage xmlns=\"http://iptc.org/std/nar/2006-10-01/\"><header/><itemSet>"
      "<newsItem guid=\"urn:x:1\" version=\"2\"><itemMeta><itemClass qcode=\"ninat:text\"/>"
      "<pubStatus qcode=\"stat:canceled\"/><signal qcode=\"sig:kill\"/></itemMeta>"
      "<contentMeta><headline>Withdrawn</headline></contentMeta><contentSet>"
      "<inlineData contenttype=\"text/plain\">First para.\n\nSecond para.</inlineData></contentSet>"
      "</newsItem></itemSet></newsMessage>",
      meta);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r->provenance().guid(), "urn:x:1");
  EXPECT_EQ(r->pubstatus(), v1::PUB_STATUS_CANCELED);
  EXPECT_TRUE(r->signals().kill());
  ASSERT_EQ(r->body_size(), 2);
  EXPECT_EQ(r->body(1).text(), "Second para.");
}

}  // namespace
}  // namespace copydesk::normalize
