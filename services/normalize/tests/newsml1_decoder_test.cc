// NewsML 1.2 fixtures (tests/fixtures/formats/newsml12-*.newsml1.xml, written from the IPTC
// NewsML 1.2 specification; see README-wire-formats.md there): every field of a NewsItem, the
// identity across revisions, and an envelope with several NewsItems split into items.
#include <gtest/gtest.h>

#include <string>

#include "normalize/normalize.h"
#include "normalize/tests/fixtures.h"

namespace copydesk::normalize {
namespace {

constexpr const char* kNewsMl = "application/vnd.iptc.newsml+xml";

Result<v1::Article> DecodeFixture(const std::string& name) {
  const std::string bytes = testing::ReadFormatFixture(name);
  EXPECT_FALSE(bytes.empty()) << name;
  Metadata meta;
  meta.content_type = kNewsMl;
  return Normalize(bytes, meta);
}

std::string AltId(const v1::Article& a, std::string_view role) {
  for (const auto& id : a.altids()) {
    if (id.role() == role) return id.value();
  }
  return "<none>";
}

TEST(NewsMl1Decoder, NewsItemEveryField) {
  auto r = DecodeFixture("newsml12-bridge-reopens.newsml1.xml");
  ASSERT_TRUE(r.ok()) << r.error().reason;
  const v1::Article& a = r.value();
  // Identification: the item's identity without its revision; the revision is the version.
  EXPECT_EQ(a.provenance().guid(), "urn:newsml:wire.example.com:20250612:TX-LIS-4471");
  EXPECT_EQ(a.provenance().provider_version(), "1");
  EXPECT_EQ(AltId(a, "public-identifier"), "urn:newsml:wire.example.com:20250612:TX-LIS-4471:1");
  EXPECT_EQ(AltId(a, "name-label"), "Portugal-bridge-transport");
  EXPECT_FALSE(a.signals().update());
  EXPECT_EQ(a.provenance().format(), "newsml1");
  EXPECT_EQ(a.provenance().charset(), "iso-8859-1");
  EXPECT_EQ(a.provenance().item_count(), 0u);  // one NewsItem: a single-item input
  // NewsEnvelope.
  EXPECT_EQ(a.priority(), 3u);
  EXPECT_EQ(AltId(a, "transmission-id"), "0731");
  EXPECT_EQ(AltId(a, "news-service"), "GEN");
  EXPECT_EQ(AltId(a, "news-product"), "EUROPE");
  // NewsManagement.
  ASSERT_GE(a.genres_size(), 2);
  EXPECT_EQ(a.genres(0).scheme(), "NewsItemType");
  EXPECT_EQ(a.genres(0).code(), "News");
  EXPECT_EQ(a.firstcreated().seconds(), 1749715920);    // 20250612T081200Z
  EXPECT_EQ(a.versioncreated().seconds(), 1749716940);  // 20250612T092900+0100
  EXPECT_EQ(a.pubstatus(), v1::PUB_STATUS_USABLE);      // embargoed until the time below
  EXPECT_TRUE(a.signals().embargo());
  EXPECT_EQ(a.embargoed().seconds(), 1749722400);
  EXPECT_EQ(a.urgency(), 4u);
  EXPECT_EQ(AltId(a, "associated-with"), "urn:newsml:wire.example.com:20250612:PH-LIS-0098");
  // NewsLines.
  EXPECT_EQ(a.headline(), "Lisbon's 25 de Abril bridge reopens after three-week repair");
  ASSERT_EQ(a.headlines_size(), 2);
  EXPECT_EQ(a.headlines(0).role(), "subheadline");
  EXPECT_EQ(a.headlines(0).value(), "Commuters return to the river crossing a day ahead of schedule");
  EXPECT_EQ(a.headlines(1).role(), "series");
  EXPECT_EQ(a.byline(), "Sofia Almeida and Jo\xC3\xA3o Pires, Example Wire");
  ASSERT_EQ(a.authors_size(), 3);
  EXPECT_EQ(a.authors(1).name(), "Jo\xC3\xA3o Pires");
  EXPECT_EQ(a.authors(2).name(), "Carla Nunes");  // AdministrativeMetadata Contributor
  EXPECT_EQ(a.authors(2).role(), "contributor");
  EXPECT_EQ(a.located().dateline(), "LISBON, June 12, 2025 (EW) -");
  EXPECT_EQ(a.located().city(), "Lisbon");
  EXPECT_EQ(a.located().country(), "PRT");
  EXPECT_EQ(a.copyright_notice(), "Copyright 2025 Example Wire");
  EXPECT_EQ(a.slugline(), "Portugal-bridge");
  ASSERT_EQ(a.keywords_size(), 4);
  EXPECT_EQ(a.keywords(0), "bridge");
  EXPECT_EQ(a.keywords(2), "Lisbon");
  EXPECT_EQ(a.keywords(3), "infrastructure");  // DescriptiveMetadata Property Keyword
  ASSERT_EQ(a.descriptions_size(), 1);
  EXPECT_EQ(a.descriptions(0).role(), "productline");
  EXPECT_EQ(a.descriptions(0).value(), "(Photo)");
  // AdministrativeMetadata and RightsMetadata.
  EXPECT_EQ(a.provenance().provider(), "Example Wire");
  EXPECT_EQ(AltId(a, "file-name"), "TX-LIS-4471.xml");
  EXPECT_EQ(AltId(a, "system-identifier"), "ewsys-88213");
  ASSERT_EQ(a.infosources_size(), 2);
  EXPECT_EQ(a.infosources(0).name(), "Example Wire");
  EXPECT_EQ(a.infosources(0).role(), "credit");
  EXPECT_EQ(a.infosources(1).name(), "Lusa");
  EXPECT_EQ(a.infosources(1).role(), "source");
  EXPECT_EQ(a.copyright_holder(), "Example Wire Ltd");
  EXPECT_EQ(a.usage_terms(),
            "Not for use in Spain before 12:00 GMT; NO ARCHIVAL USE; Worldwide except Spain");
  EXPECT_EQ(a.expires().seconds(), 1752278400);
  // DescriptiveMetadata.
  EXPECT_EQ(a.language(), "en");
  EXPECT_EQ(a.genres(1).code(), "Current");
  EXPECT_EQ(a.genres(1).scheme(), "IptcGenre");
  ASSERT_EQ(a.subjects_size(), 3);
  EXPECT_EQ(a.subjects(0).uri(), "subj:04000000");
  EXPECT_EQ(a.subjects(2).code(), "04015001");
  EXPECT_EQ(a.contentcreated().seconds(), 1749715200);
  ASSERT_EQ(a.places_size(), 2);
  EXPECT_EQ(a.places(0).name(), "Lisbon");
  EXPECT_EQ(a.places(0).rel(), "origin");
  EXPECT_EQ(a.places(1).name(),
            "Set\xC3\xBA"
            "bal");  // a raw ISO-8859-1 byte in the document
  EXPECT_EQ(a.places(1).rel(), "about");
  ASSERT_EQ(a.people_size(), 1);
  EXPECT_EQ(a.people(0).name(), "Rita Mendes");
  EXPECT_EQ(a.people(0).rel(), "mentioned");
  ASSERT_EQ(a.organisations_size(), 1);
  EXPECT_EQ(a.organisations(0).name(), "Infraestruturas de Portugal");
  EXPECT_EQ(a.organisations(0).rel(), "principal");
  // The NITF body through the NITF decoder.
  ASSERT_EQ(a.body_size(), 5);
  EXPECT_EQ(a.body(0).text().rfind("LISBON, June 12, 2025 (EW) - Lisbon's 25 de Abril bridge reopened", 0),
            0u);
  EXPECT_EQ(a.body(2).type(), v1::BLOCK_TYPE_SUBHEADING);
  EXPECT_EQ(a.body(2).text(), "Cost of the works");
  EXPECT_EQ(a.body(4).text(), "Rail services on the lower deck were not affected.");
  // The NITF body's markup, sanitized: hl2 is a heading.
  EXPECT_NE(a.body_html().find("<h2>Cost of the works</h2>"), std::string::npos) << a.body_html();
  EXPECT_EQ(a.body_html().rfind("<p>LISBON, June 12, 2025", 0), 0u) << a.body_html();
  // The photo component: two http(s) renditions (the relative one is dropped), its caption.
  ASSERT_EQ(a.media_size(), 1);
  const v1::MediaItem& m = a.media(0);
  EXPECT_EQ(m.type(), "picture");
  EXPECT_EQ(m.role(), "Photo");
  EXPECT_EQ(m.title(), "Traffic returns to the 25 de Abril bridge");
  EXPECT_EQ(m.credit(), "EW / Pedro Costa");
  EXPECT_EQ(m.copyright_notice(), "2025 Example Wire");
  EXPECT_EQ(m.description(), "Cars cross the 25 de Abril bridge in Lisbon on June 12, 2025.");
  EXPECT_EQ(m.url(), "https://media.wire.example.com/PH-LIS-0098/hd.jpg");
  ASSERT_EQ(m.renditions_size(), 2);
  EXPECT_EQ(m.renditions(0).name(), "Quicklook");
  EXPECT_EQ(m.renditions(0).width(), 320u);
  EXPECT_EQ(m.renditions(0).height(), 213u);
  EXPECT_EQ(m.renditions(0).size_bytes(), 24576u);
  EXPECT_EQ(m.renditions(0).mime_type(), "image/jpeg");
  EXPECT_EQ(m.renditions(0).format(), "JPEG Baseline");
  EXPECT_EQ(m.renditions(1).name(), "HighDef");
  EXPECT_EQ(m.renditions(1).width(), 3000u);
  ASSERT_EQ(a.captions_size(), 1);
  EXPECT_EQ(a.captions(0).secondary(), "EW / Pedro Costa");
  EXPECT_EQ(a.type(), "text");
}

TEST(NewsMl1Decoder, RevisionKeepsTheIdentityAndCarriesItsInstruction) {
  auto r = DecodeFixture("newsml12-bridge-reopens-rev2.newsml1.xml");
  ASSERT_TRUE(r.ok()) << r.error().reason;
  const v1::Article& a = r.value();
  EXPECT_EQ(a.provenance().guid(), "urn:newsml:wire.example.com:20250612:TX-LIS-4471");
  EXPECT_EQ(a.provenance().provider_version(), "2");
  EXPECT_TRUE(a.signals().update());
  EXPECT_TRUE(a.signals().correction());  // Instruction Rectify
  EXPECT_FALSE(a.signals().embargo());
  EXPECT_EQ(a.versioncreated().seconds(), 1749726720);
  EXPECT_EQ(a.urgency(), 5u);
  EXPECT_EQ(a.priority(), 4u);
  // The XHTML body through the HTML engine.
  ASSERT_EQ(a.body_size(), 4);
  EXPECT_EQ(
      a.body(1).text(),
      "Around 150,000 vehicles cross the suspension bridge over the Tagus river each day. The works cost "
      "21 million euros, not 18 million as reported earlier.");
  EXPECT_EQ(a.body(2).type(), v1::BLOCK_TYPE_LIST_ITEM);
  EXPECT_EQ(a.body(3).text(), "Tolls resume on Friday.");
  EXPECT_NE(a.body_html().find(
                "<ul><li>Lower deck rail services ran normally.</li><li>Tolls resume on Friday.</li></ul>"),
            std::string::npos)
      << a.body_html();
  EXPECT_EQ(a.body_html().find("<title>"), std::string::npos);
}

TEST(NewsMl1Decoder, EnvelopeWithSeveralNewsItemsIsSplitIntoItems) {
  const std::string bytes = testing::ReadFormatFixture("newsml12-envelope-three-items.newsml1.xml");
  Metadata meta;
  meta.content_type = kNewsMl;
  meta.guid = "container-guid";  // the input's, not the items'
  auto items = NormalizeItems(bytes, meta);
  ASSERT_TRUE(items.ok()) << items.error().reason;
  ASSERT_EQ(items->size(), 3u);
  const auto& alert = (*items)[0];
  ASSERT_TRUE(alert.article.ok()) << alert.article.error().reason;
  EXPECT_EQ(alert.guid, "urn:newsml:wire.example.com:20250612:TX-LIS-4502");
  EXPECT_EQ(alert.article->provenance().guid(), "urn:newsml:wire.example.com:20250612:TX-LIS-4502");
  EXPECT_EQ(alert.article->provenance().item_index(), 0u);
  EXPECT_EQ(alert.article->provenance().item_count(), 3u);
  EXPECT_EQ(alert.article->priority(), 2u);  // the envelope's, for every item
  EXPECT_EQ(alert.article->urgency(), 1u);
  EXPECT_EQ(alert.article->genres(0).code(), "Alert");
  // An alert's first line is its headline; plain-text DataContent becomes paragraphs.
  EXPECT_EQ(alert.article->headline(), "Governo aprova novo aeroporto de Lisboa em Alcochete");
  ASSERT_EQ(alert.article->body_size(), 2);
  EXPECT_EQ(alert.article->body(1).text(),
            "Decis\xC3\xA3o tomada em Conselho de Ministros extraordin\xC3\xA1rio");
  EXPECT_EQ(alert.article->language(), "pt");
  EXPECT_TRUE(alert.article->body_html().empty());  // plain text has no markup
  // A management-only revision that kills the item: canceled, no content needed.
  const auto& kill = (*items)[1];
  ASSERT_TRUE(kill.article.ok()) << kill.article.error().reason;
  EXPECT_EQ(kill.article->provenance().guid(), "urn:newsml:wire.example.com:20250611:TX-LIS-4390");
  EXPECT_EQ(kill.article->provenance().provider_version(), "3");
  EXPECT_EQ(kill.article->pubstatus(), v1::PUB_STATUS_CANCELED);
  EXPECT_TRUE(kill.article->signals().kill());
  // A picture item: its renditions are the item's, its caption a description.
  const auto& photo = (*items)[2];
  ASSERT_TRUE(photo.article.ok()) << photo.article.error().reason;
  EXPECT_EQ(photo.article->type(), "picture");
  EXPECT_EQ(photo.article->headline(), "Alcochete airport site");
  ASSERT_EQ(photo.article->renditions_size(), 1);
  EXPECT_EQ(photo.article->renditions(0).width(), 2400u);
  EXPECT_EQ(photo.article->renditions(0).href(), "https://media.wire.example.com/PH-LIS-0101/hd.jpg");
  ASSERT_EQ(photo.article->descriptions_size(), 1);
  EXPECT_EQ(photo.article->descriptions(0).role(), "caption");
  EXPECT_TRUE(photo.article->body().empty());
  // Each item's own bytes decode on their own (the dead letter of an item is usable), to the same
  // article.
  for (const auto& it : *items) {
    ASSERT_FALSE(it.bytes.empty());
    EXPECT_NE(it.bytes.find("<NewsEnvelope>"), std::string::npos);
    const size_t item_at = it.bytes.find("<NewsItem ");
    ASSERT_NE(item_at, std::string::npos);
    EXPECT_EQ(it.bytes.find("<NewsItem ", item_at + 1), std::string::npos);
    Metadata one;
    one.content_type = kNewsMl;
    auto again = Normalize(it.bytes, one);
    ASSERT_TRUE(again.ok()) << again.error().reason;
    EXPECT_EQ(again->provenance().guid(), it.article->provenance().guid());
    EXPECT_EQ(again->fingerprints().content_hash(), it.article->fingerprints().content_hash());
    EXPECT_EQ(again->priority(), 2u);
  }
}

TEST(NewsMl1Decoder, OneItemThatFailsDoesNotStopTheOthers) {
  std::string bytes = testing::ReadFormatFixture("newsml12-envelope-three-items.newsml1.xml");
  // Make the killed item a plain management-only revision: it cancels nothing and has no content.
  bytes.replace(bytes.find("<Status FormalName=\"Canceled\"/>"), 31, "<Status FormalName=\"Usable\"/>  ");
  bytes.replace(bytes.find("<Instruction FormalName=\"Kill\"/>"), 32, "");
  Metadata meta;
  meta.content_type = kNewsMl;
  auto items = NormalizeItems(bytes, meta);
  ASSERT_TRUE(items.ok()) << items.error().reason;
  ASSERT_EQ(items->size(), 3u);
  EXPECT_TRUE((*items)[0].article.ok());
  ASSERT_FALSE((*items)[1].article.ok());
  EXPECT_EQ((*items)[1].article.error().code, v1::ERROR_CODE_NO_CONTENT);
  EXPECT_NE((*items)[1].article.error().reason.find("Update=\"A\""), std::string::npos);
  EXPECT_TRUE((*items)[2].article.ok());
}

TEST(NewsMl1Decoder, DeltaRevisionsAreRejectedVisibly) {
  std::string bytes = testing::ReadFormatFixture("newsml12-bridge-reopens-rev2.newsml1.xml");
  bytes.replace(bytes.find("Update=\"N\""), 10, "Update=\"U\"");
  Metadata meta;
  meta.content_type = kNewsMl;
  auto r = Normalize(bytes, meta);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, v1::ERROR_CODE_UNSUPPORTED_FORMAT);
}

TEST(NewsMl1Decoder, BareNewsItemAndForeignRoots) {
  std::string doc = testing::ReadFormatFixture("newsml12-bridge-reopens-rev2.newsml1.xml");
  const size_t start = doc.find("<NewsItem"), end = doc.find("</NewsItem>") + 11;
  Metadata meta;
  meta.content_type = "text/vnd.IPTC.NewsML";
  auto r = Normalize(doc.substr(start, end - start), meta);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r->provenance().guid(), "urn:newsml:wire.example.com:20250612:TX-LIS-4471");
  EXPECT_EQ(r->priority(), 0u);  // no envelope
  auto other = Normalize("<nitf><body/></nitf>", meta);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, v1::ERROR_CODE_UNSUPPORTED_FORMAT);
  auto empty = Normalize("<NewsML Version=\"1.2\"><NewsEnvelope/></NewsML>", meta);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, v1::ERROR_CODE_NO_CONTENT);
}

TEST(NewsMl1Decoder, ContentTypesAndFileNames) {
  EXPECT_EQ(FormatFromContentType("application/vnd.iptc.newsml+xml; charset=utf-8"), Format::kNewsMl1);
  EXPECT_EQ(FormatFromContentType("text/vnd.IPTC.NewsML"), Format::kNewsMl1);
  EXPECT_EQ(FormatFromContentType("application/vnd.iptc.newsml1+xml"), Format::kNewsMl1);
  EXPECT_EQ(FormatFromContentType("application/vnd.anpa1312"), Format::kAnpa1312);
  EXPECT_EQ(FormatFromContentType("text/vnd.anpa1312"), Format::kAnpa1312);
  EXPECT_EQ(FormatFromContentType("text/vnd.iptc.7901; charset=iso-8859-1"), Format::kIptc7901);
  EXPECT_EQ(FormatFromContentType("application/x-iptc7901"), Format::kIptc7901);
  EXPECT_EQ(ContentTypeFromFileName("a/b.newsml1.xml"), "application/vnd.iptc.newsml+xml");
  EXPECT_EQ(ContentTypeFromFileName("story.ANPA"), "application/vnd.anpa1312");
  EXPECT_EQ(ContentTypeFromFileName("story.7901"), "text/vnd.iptc.7901");
  EXPECT_EQ(ContentTypeFromFileName("story.newsml.xml"), "application/vnd.iptc.g2.newsitem+xml");
}

}  // namespace
}  // namespace copydesk::normalize
