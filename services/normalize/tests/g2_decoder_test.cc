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
  ASSERT_EQ(a.subjects_size(), 3);
  EXPECT_EQ(a.subjects(0).name(), "economy, business and finance");
  EXPECT_EQ(a.subjects(0).uri(), "medtop:04000000");
  EXPECT_EQ(a.subjects(0).scheme(), "medtop");
  EXPECT_EQ(a.subjects(1).name(), "central bank");
  EXPECT_EQ(a.subjects(2).name(), "Current");
  EXPECT_EQ(a.subjects(2).scheme(), "genre");
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
