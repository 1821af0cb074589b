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
  EXPECT_EQ(a.urgency(), 3u);
  EXPECT_EQ(a.copyright_holder(), "Example News Agency");
  ASSERT_EQ(a.people_size(), 1);
  EXPECT_EQ(a.people(0).name(), "Henriette Reker");
  EXPECT_EQ(a.people(0).rel(), "about");
  EXPECT_EQ(a.people(0).uri(), "http://www.wikidata.org/entity/Q15834");
  EXPECT_EQ(a.people(0).code(), "Q15834");
  ASSERT_EQ(a.subjects_size(), 2);
  EXPECT_EQ(a.subjects(0).name(), "flood");
  EXPECT_EQ(a.subjects(0).rel(), "about");
  EXPECT_EQ(a.subjects(0).scheme(), "http://cv.iptc.org/newscodes/mediatopic/");
  EXPECT_EQ(a.subjects(0).code(), "20000151");
  EXPECT_EQ(a.subjects(1).uri(), "medtop:03000000");
  EXPECT_EQ(a.subjects(1).scheme(), "medtop");
  EXPECT_EQ(a.subjects(1).code(), "03000000");
  ASSERT_EQ(a.organisations_size(), 1);
  EXPECT_EQ(a.organisations(0).name(), "German Weather Service");
  EXPECT_EQ(a.organisations(0).rel(), "mentions");
  ASSERT_EQ(a.places_size(), 1);
  EXPECT_EQ(a.places(0).name(), "Cologne");
  EXPECT_EQ(a.places(0).code(), "2886242");
  ASSERT_EQ(a.descriptions_size(), 1);
  EXPECT_EQ(a.descriptions(0).role(), "summary");
  EXPECT_EQ(a.descriptions(0).content_type(), "text/html");
  EXPECT_EQ(a.descriptions(0).value(),
            "<p>Water levels reached <b>9.8 metres</b> overnight &amp; are still rising.</p>");
  ASSERT_EQ(a.keywords_size(), 3);
  EXPECT_EQ(a.keywords(0), "Rhine");
  EXPECT_EQ(a.located().name(), "Cologne, Germany");
  EXPECT_EQ(a.located().city(), "Cologne");
  EXPECT_EQ(a.located().country(), "Germany");
  EXPECT_EQ(a.language(), "en");
  EXPECT_EQ(a.copyright_notice(), "(c) 2024 Example News Agency. All rights reserved.");
  EXPECT_EQ(a.usage_terms(), "No archive use after 30 days. No sales.");
  EXPECT_EQ(a.ednote(), "UPDATES with evacuation figures in paragraph 3. Corrects spelling of mayor's name.");
  ASSERT_EQ(a.media_size(), 2);
  const v1::MediaItem& pic = a.media(0);
  EXPECT_EQ(pic.type(), "picture");
  EXPECT_EQ(pic.role(), "mainpic");
  EXPECT_EQ(pic.uri(), "urn:newsml:example.org:20240312:flood-rhine-photo-1");
  EXPECT_EQ(pic.url(), "https://media.example.org/flood-1.jpg");
  EXPECT_EQ(pic.mime_type(), "image/jpeg");
  EXPECT_EQ(pic.title(), "Flooded riverside in Cologne");
  EXPECT_EQ(pic.description(),
            "Firefighters wade through the flooded old town of Cologne on March 12, 2024.");
  EXPECT_EQ(pic.credit(), "Jens Krick");
  ASSERT_EQ(pic.renditions_size(), 2);
  EXPECT_EQ(pic.renditions(0).name(), "thumbnail");
  EXPECT_EQ(pic.renditions(0).href(), "https://media.example.org/flood-1-thumb.jpg");
  EXPECT_EQ(pic.renditions(0).width(), 200u);
  EXPECT_EQ(pic.renditions(0).height(), 133u);
  EXPECT_EQ(pic.renditions(1).width(), 2048u);
  EXPECT_EQ(pic.renditions(1).mime_type(), "image/jpeg");
  // A text association is an associated item referenced by uri.
  EXPECT_EQ(a.media(1).type(), "text");
  EXPECT_EQ(a.media(1).role(), "related");
  EXPECT_EQ(a.media(1).uri(), "urn:newsml:example.org:20240311:flood-warning-0007");
  EXPECT_EQ(a.media(1).title(), "Flood warnings issued along the Rhine");
  EXPECT_EQ(
      a.body_html(),
      "<p>COLOGNE, Germany (ENA) - Thousands of residents were ordered to leave their homes in Cologne on "
      "Tuesday as the Rhine rose to its highest level in two decades.</p><h2>Old town under water</h2><p>The "
      "river reached 9.8 metres at the city's gauge overnight, the German Weather Service said, and was "
      "expected to peak on Wednesday.</p><p>About 4,300 people had been evacuated by mid-morning, mayor "
      "Henriette Reker told reporters.</p>");
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
  EXPECT_EQ(r->subjects(0).code(), "11000000");
  EXPECT_EQ(r->subjects(0).uri(), "subj:11000000");
  ASSERT_EQ(r->media_size(), 1);
  EXPECT_EQ(r->media(0).url(), "http://x.example/a.jpg");
  EXPECT_EQ(r->media(0).role(), "featureimage");
  ASSERT_EQ(r->media(0).renditions_size(), 1);
  EXPECT_EQ(r->media(0).renditions(0).name(), "original");
  EXPECT_TRUE(r->body_html().empty());  // a plain-text body has no markup
}

// The IPTC's ninjs 2.1 examples (tests/fixtures/formats/iptc-ninjs-2.1, MIT): real agency items.
Result<v1::Article> Example(const std::string& name) {
  return NormalizeNinjs(Fixture("iptc-ninjs-2.1/" + name));
}

TEST(NinjsDecoder, IptcExampleNtbText) {
  auto r = Example("ntb_text.json");
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r->provenance().guid(), "urn:8d19cf88-b3ab-4972-8fec-1207599f2872");
  EXPECT_EQ(r->provenance().provider_version(), "6");
  EXPECT_EQ(r->urgency(), 5u);
  EXPECT_EQ(r->slugline(), "skien-google");
  EXPECT_EQ(r->ednote(), "Noe utvidet.");
  EXPECT_EQ(r->copyright_holder(), "NTB");
  EXPECT_EQ(r->language(), "nb-NO");
  EXPECT_EQ(r->byline(), "NTB");
  ASSERT_EQ(r->places_size(), 1);
  EXPECT_EQ(r->places(0).name(), "Telemark");
  EXPECT_EQ(r->places(0).literal(), "Telemark");
  ASSERT_EQ(r->subjects_size(), 4);
  EXPECT_EQ(r->subjects(1).name(), "Teknologi");
  EXPECT_EQ(r->subjects(1).literal(), "13010000");
  EXPECT_EQ(r->subjects(1).code(), "13010000");
  ASSERT_EQ(r->descriptions_size(), 1);
  EXPECT_EQ(r->descriptions(0).role(), "text");
}

TEST(NinjsDecoder, IptcExampleTtTextWithPicture) {
  auto r = Example("tt_text_image_2.json");
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r->urgency(), 3u);
  EXPECT_EQ(r->slugline(), "milit\xC3\xA4r\xC3\xB6vning");
  ASSERT_EQ(r->altids_size(), 1);
  EXPECT_EQ(r->altids(0).role(), "originaltransmissionreference");
  EXPECT_EQ(r->altids(0).value(), "a0f2d045-1058-46d1-9f9a-ad80ed1bc86f");
  ASSERT_EQ(r->genres_size(), 1);
  EXPECT_EQ(r->genres(0).name(), "Inrikes");
  EXPECT_EQ(r->genres(0).uri(), "http://tt.se/spec/sector/1.0/INR");
  EXPECT_EQ(r->genres(0).code(), "INR");
  EXPECT_EQ(r->genres(0).scheme(), "http://tt.se/spec/sector/1.0/");
  EXPECT_EQ(r->expires().seconds(), 1685484000);  // 2023-05-31T00:00:00+02:00
  ASSERT_GE(r->subjects_size(), 1);
  EXPECT_EQ(r->subjects(0).rel(), "classifies");
  EXPECT_EQ(r->subjects(0).code(), "16000000");
  ASSERT_EQ(r->organisations_size(), 1);
  EXPECT_EQ(r->organisations(0).name(), "Aurora");
  EXPECT_GE(r->places_size(), 2);
  EXPECT_EQ(r->places(1).name(), "Gotland");
  ASSERT_EQ(r->people_size(), 1);
  EXPECT_EQ(r->people(0).name(), "Jonas Svensson");
  ASSERT_GE(r->media_size(), 1);  // the association first, then any picture of the HTML body
  const v1::MediaItem& m = r->media(0);
  EXPECT_EQ(m.role(), "a001");
  EXPECT_EQ(m.uri(), "http://tt.se/media/image/sdlk2sirkPaauM");
  EXPECT_EQ(m.credit(), "Karl Melander/TT");
  ASSERT_EQ(m.renditions_size(), 4);
  EXPECT_EQ(m.renditions(0).name(), "r00");
  EXPECT_EQ(m.renditions(0).title(), "Hires");
  EXPECT_EQ(m.renditions(0).size_bytes(), 10326191u);
  EXPECT_EQ(m.renditions(0).width(), 4724u);
  EXPECT_EQ(m.renditions(0).height(), 3149u);
  EXPECT_EQ(m.url(), "https://beta.tt.se/media/text/210526-militarovning-a0f2d045/a001_NormalHires.jpg");
  EXPECT_FALSE(r->body_html().empty());
  EXPECT_EQ(r->body_html().find("<html"), std::string::npos);
  EXPECT_EQ(r->body_html().find("<title"), std::string::npos);
}

TEST(NinjsDecoder, IptcExampleApImageAndAudio) {
  auto r = Example("ap_image.json");
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r->type(), "picture");
  EXPECT_EQ(r->urgency(), 5u);
  EXPECT_EQ(r->slugline(), "Turkey Islamic State");
  EXPECT_EQ(r->ednote(), "TURKEY OUT  NOV. 11, 2019 FILE PHOTO");
  ASSERT_EQ(r->renditions_size(), 4);
  EXPECT_EQ(r->renditions(0).name(), "main");
  EXPECT_EQ(r->renditions(0).format(), "JPEG Baseline");
  EXPECT_EQ(r->renditions(0).width(), 3000u);
  EXPECT_EQ(r->renditions(0).size_bytes(), 4764958u);
  ASSERT_EQ(r->organisations_size(), 2);
  EXPECT_EQ(r->organisations(0).literal(), "84de12052c9c4e3ebca80df389e66fc3");
  EXPECT_EQ(r->places_size(), 6);
  ASSERT_EQ(r->infosources_size(), 1);
  EXPECT_EQ(r->infosources(0).name(), "DHA");
  auto audio = Example("ap_audio.json");
  ASSERT_TRUE(audio.ok()) << audio.error().reason;
  ASSERT_EQ(audio->renditions_size(), 3);
  EXPECT_EQ(audio->renditions(0).duration_seconds(), 7896);
  EXPECT_EQ(audio->renditions(0).mime_type(), "audio/mpeg");
  EXPECT_EQ(audio->located().name(), "CAPITOL HILL");
}

TEST(NinjsDecoder, IptcExampleDpaAndCompositeBusinessWire) {
  auto r = Example("dpa_text.json");
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r->copyright_holder(), "dpa");
  EXPECT_NE(r->byline().find("Christian Hollmann"), std::string::npos);
  EXPECT_EQ(r->urgency(), 4u);
  EXPECT_NE(r->body_html().find("<p>"), std::string::npos);
  EXPECT_EQ(r->body_html().find("<section"), std::string::npos);
  auto bw = Example("businesswire-newsml-20130731006140.json");
  ASSERT_TRUE(bw.ok()) << bw.error().reason;
  EXPECT_EQ(bw->type(), "composite");
  ASSERT_EQ(bw->media_size(), 2);
  EXPECT_EQ(bw->media(0).role(), "logo");
  EXPECT_EQ(bw->media(0).type(), "graphic");
  EXPECT_EQ(bw->media(0).renditions_size(), 3);
  EXPECT_EQ(bw->media(0).renditions(0).name(), "thumbnail");
  EXPECT_EQ(bw->media(0).renditions(0).height(), 70u);
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
