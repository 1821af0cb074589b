// ninjs 2.x and 3.x fixtures (tests/fixtures/formats/, written from the IPTC ninjs schemas): every field.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "normalize/normalize.h"

namespace copydesk::normalize {
namespace {

std::string Fixture(const std::string& name) {
  std::ifstream in(std::filesystem::path(COPYDESK_SOURCE_DIR) / "tests/fixtures/formats" / name,
                   std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<v1::Article> NormalizeNinjs(const std::string& bytes, const Limits& limits = {}) {
  Metadata meta;
  meta.content_type = "application/ninjs+json";
  return Normalize(bytes, meta, limits);
}

TEST(NinjsDecoder, Ninjs2TextWithPictureAndRelatedItem) {
  std::string bytes = Fixture("ninjs2-flood-update.json");
  ASSERT_FALSE(bytes.empty());
  auto r = NormalizeNinjs(bytes);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  const v1::Article& a = r.value();
  EXPECT_EQ(a.provenance().guid(), "urn:newsml:example.org:20240312:flood-rhine-0041");
  EXPECT_EQ(a.provenance().provider_version(), "3");
  EXPECT_EQ(a.provenance().provider(), "Example News Agency");
  EXPECT_EQ(a.provenance().format(), "ninjs");
  EXPECT_EQ(a.type(), "text");
  EXPECT_EQ(a.firstcreated().seconds(), 1710224100);    // 2024-03-12T06:15:00Z
  EXPECT_EQ(a.versioncreated().seconds(), 1710232830);  // 2024-03-12T08:40:30Z
  EXPECT_EQ(a.contentcreated().seconds(), 1710222600);  // 2024-03-12T05:50:00Z
  EXPECT_EQ(a.embargoed().seconds(), 1710237600);       // 2024-03-12T10:00:00Z
  EXPECT_EQ(a.pubstatus(), v1::PUB_STATUS_USABLE);
  EXPECT_TRUE(a.signals().update());
  EXPECT_TRUE(a.signals().correction());
  EXPECT_TRUE(a.signals().embargo());
  EXPECT_FALSE(a.signals().kill());
  EXPECT_EQ(a.headline(), "Rhine floods force thousands from homes in Cologne");
  ASSERT_EQ(a.headlines_size(), 1);
  EXPECT_EQ(a.headlines(0).role(), "short");
  EXPECT_EQ(a.headlines(0).value(), "Cologne evacuates as Rhine rises");
  EXPECT_EQ(a.standfirst(), "Water levels reached 9.8 metres overnight & are still rising.");
  EXPECT_EQ(a.byline(), "Anna Becker and Tomas Lind");
  ASSERT_EQ(a.authors_size(), 2);
  EXPECT_EQ(a.authors(0).name(), "Anna Becker");
  EXPECT_EQ(a.authors(0).role(), "author");
  EXPECT_EQ(a.authors(0).uri(), "https://example.org/staff/abecker");
  EXPECT_EQ(a.authors(1).name(), "Tomas Lind");
  ASSERT_EQ(a.subjects_size(), 5);
  EXPECT_EQ(a.subjects(0).name(), "Henriette Reker");
  EXPECT_EQ(a.subjects(0).scheme(), "person");
  EXPECT_EQ(a.subjects(0).uri(), "http://www.wikidata.org/entity/Q15834");
  EXPECT_EQ(a.subjects(1).name(), "flood");
  EXPECT_EQ(a.subjects(1).scheme(), "http://cv.iptc.org/newscodes/mediatopic/");
  EXPECT_EQ(a.subjects(2).uri(), "medtop:03000000");
  EXPECT_EQ(a.subjects(2).scheme(), "medtop");
  EXPECT_EQ(a.subjects(3).name(), "German Weather Service");
  EXPECT_EQ(a.subjects(3).scheme(), "organisation");
  EXPECT_EQ(a.subjects(4).name(), "Cologne");
  EXPECT_EQ(a.subjects(4).scheme(), "place");
  ASSERT_EQ(a.keywords_size(), 3);
  EXPECT_EQ(a.keywords(0), "Rhine");
  EXPECT_EQ(a.located().name(), "Cologne, Germany");
  EXPECT_EQ(a.located().city(), "Cologne");
  EXPECT_EQ(a.located().country(), "Germany");
  EXPECT_EQ(a.language(), "en");
  EXPECT_EQ(a.copyright_notice(), "(c) 2024 Example News Agency. All rights reserved.");
  EXPECT_EQ(a.usage_terms(), "No archive use after 30 days. No sales.");
  EXPECT_EQ(a.ednote(), "UPDATES with evacuation figures in paragraph 3. Corrects spelling of mayor's name.");
  ASSERT_EQ(a.media_size(), 1);
  EXPECT_EQ(a.media(0).type(), "picture");
  EXPECT_EQ(a.media(0).url(), "https://media.example.org/flood-1.jpg");
  EXPECT_EQ(a.media(0).mime_type(), "image/jpeg");
  EXPECT_EQ(a.media(0).title(), "Flooded riverside in Cologne");
  EXPECT_EQ(a.media(0).description(),
            "Firefighters wade through the flooded old town of Cologne on March 12, 2024.");
  EXPECT_EQ(a.media(0).credit(), "Jens Krick");
  ASSERT_EQ(a.related_size(), 1);
  EXPECT_EQ(a.related(0).title(), "Flood warnings issued along the Rhine");
  EXPECT_EQ(a.related(0).url(), "urn:newsml:example.org:20240311:flood-warning-0007");
  // The rich-text body wins over the plain one and goes through the HTML engine.
  EXPECT_NE(a.body_text().find("COLOGNE, Germany (ENA) - Thousands of residents were ordered"),
            std::string::npos);
  EXPECT_NE(a.body_text().find("About 4,300 people had been evacuated by mid-morning"), std::string::npos);
  EXPECT_EQ(a.body_text().find("Water levels are still rising."), std::string::npos);
  bool subhead = false;
  for (const auto& b : a.body())
    subhead = subhead || (b.type() == v1::BLOCK_TYPE_SUBHEADING && b.text() == "Old town under water");
  EXPECT_TRUE(subhead);
}

TEST(NinjsDecoder, Ninjs3CamelCaseCanceledItemWithPlainBody) {
  auto r = NormalizeNinjs(Fixture("ninjs3-cancel.json"));
  ASSERT_TRUE(r.ok()) << r.error().reason;
  const v1::Article& a = r.value();
  EXPECT_EQ(a.provenance().guid(), "http://ninjs.example.com/newsitems/20250204-budget-vote");
  EXPECT_EQ(a.provenance().provider_version(), "5");
  EXPECT_EQ(a.provenance().provider(), "The News Agency");
  EXPECT_EQ(a.firstcreated().seconds(), 1738677720);    // 2025-02-04T14:02:00Z
  EXPECT_EQ(a.versioncreated().seconds(), 1738687512);  // 2025-02-04T16:45:12Z
  EXPECT_FALSE(a.has_embargoed());
  EXPECT_FALSE(a.has_contentcreated());
  EXPECT_EQ(a.pubstatus(), v1::PUB_STATUS_CANCELED);
  EXPECT_TRUE(a.signals().kill());
  EXPECT_FALSE(a.signals().embargo());
  EXPECT_EQ(a.headline(), "Parliament passes budget after late-night vote");
  EXPECT_EQ(a.headlines_size(), 0);
  EXPECT_EQ(a.standfirst(), "MPs approved the spending plan by 312 votes to 289.");
  EXPECT_EQ(a.byline(), "Ruth Okafor");
  ASSERT_EQ(a.authors_size(), 1);
  EXPECT_EQ(a.authors(0).role(), "author");
  EXPECT_EQ(a.located().name(), "London");
  EXPECT_EQ(a.located().city(), "London");
  EXPECT_EQ(a.language(), "en-GB");
  EXPECT_EQ(a.copyright_notice(), "Copyright 2025 The News Agency, www.tna.example - all rights reserved.");
  EXPECT_EQ(a.usage_terms(), "Do not use. Withdrawn.");
  EXPECT_EQ(a.ednote(), "KILL: This story has been withdrawn. Do not use.");
  ASSERT_EQ(a.body_size(), 3);
  EXPECT_EQ(a.body(1).text(), "The vote was 312 to 289.");
  EXPECT_EQ(a.body(0).type(), v1::BLOCK_TYPE_PARAGRAPH);
}

TEST(NinjsDecoder, Ninjs1FlatFields) {
  const std::string bytes = R"({"uri":"tag:example.com,2013:1","version":"1","headline":"Old style item",
    "byline":"Jo Bloggs","body_text":"First line.\nSecond line.","description_text":"A summary.",
    "pubstatus":"withheld","subject":[{"name":"politics","code":"subj:11000000"}],
    "associations":{"featureimage":{"type":"picture","renditions":{"original":{"href":"http://x.example/a.jpg","mimetype":"image/jpeg"}}}}})";
  auto r = NormalizeNinjs(bytes);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r->headline(), "Old style item");
  EXPECT_EQ(r->pubstatus(), v1::PUB_STATUS_WITHHELD);
  EXPECT_EQ(r->standfirst(), "A summary.");
  EXPECT_EQ(r->byline(), "Jo Bloggs");
  ASSERT_EQ(r->body_size(), 2);
  ASSERT_EQ(r->subjects_size(), 1);
  EXPECT_EQ(r->subjects(0).scheme(), "subj");
  ASSERT_EQ(r->media_size(), 1);
  EXPECT_EQ(r->media(0).url(), "http://x.example/a.jpg");
}

TEST(NinjsDecoder, MalformedAndTooDeepJsonAreRejectedWithCodes) {
  auto r = NormalizeNinjs("{\"uri\": \"x\", ");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, v1::ERROR_CODE_MALFORMED_JSON);
  r = NormalizeNinjs("[1, 2, 3]");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, v1::ERROR_CODE_MALFORMED_JSON);
  std::string deep = "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  r = NormalizeNinjs(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, v1::ERROR_CODE_NESTING_TOO_DEEP);
}

}  // namespace
}  // namespace copydesk::normalize
