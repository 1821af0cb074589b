// ToNinjs: the Article's fields in their ninjs 2.2 places, a uri always, and every string valid
// UTF-8 and escaped. (Schema validity of every fixture: ninjs_schema_test.py.)
#include "normalize/ninjs_writer.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "normalize/normalize.h"
#include "normalize/tests/fixtures.h"

namespace copydesk::normalize {
namespace {

simdjson::dom::element Parse(simdjson::dom::parser& parser, const std::string& json) {
  simdjson::dom::element doc;
  auto err = parser.parse(json).get(doc);
  EXPECT_EQ(err, simdjson::SUCCESS) << json;
  return doc;
}

std::string Str(simdjson::dom::element e, std::string_view pointer) {
  std::string_view v;
  if (e.at_pointer(pointer).get(v) != simdjson::SUCCESS) return "<absent>";
  return std::string(v);
}

int64_t Int(simdjson::dom::element e, std::string_view pointer) {
  double d = -1;
  if (e.at_pointer(pointer).get(d) == simdjson::SUCCESS) return static_cast<int64_t>(d);
  int64_t i = -1;
  if (e.at_pointer(pointer).get(i) != simdjson::SUCCESS) return -1;
  return i;
}

TEST(AsUri, KeepsUrisEncodesIrisRejectsNonUris) {
  EXPECT_EQ(AsUri("medtop:04000000"), "medtop:04000000");
  EXPECT_EQ(AsUri("urn:newsml:example.org:2024:x"), "urn:newsml:example.org:2024:x");
  EXPECT_EQ(AsUri("https://ex.example/a b/\xC3\xA9?q=1#f#g"), "https://ex.example/a%20b/%C3%A9?q=1#f%23g");
  EXPECT_EQ(AsUri("http://x.example/100%"), "http://x.example/100%25");
  EXPECT_EQ(AsUri("http://x.example/%41"), "http://x.example/%41");
  EXPECT_EQ(AsUri("astronomy"), "");
  EXPECT_EQ(AsUri("hg-2024-05-14-02"), "");
  EXPECT_EQ(AsUri("1abc:x"), "");
  EXPECT_EQ(AsUri(":x"), "");
  EXPECT_EQ(AsUri("a b:c"), "");
}

TEST(ToNinjs, WritesEveryFieldInItsPlace) {
  v1::Article a;
  a.set_uri("st_0123456789abcdef01234567");
  a.set_version(3);
  a.set_type("text");
  a.mutable_firstcreated()->set_seconds(1717676100);
  a.mutable_versioncreated()->set_seconds(1717676405);
  a.mutable_versioncreated()->set_nanos(500000000);
  a.mutable_embargoed()->set_seconds(1717680000);
  a.mutable_expires()->set_seconds(1720000000);
  a.set_pubstatus(v1::PUB_STATUS_WITHHELD);
  a.set_urgency(2);
  a.set_priority(4);
  a.set_headline("ECB cuts rates");
  auto* alt = a.add_headlines();
  alt->set_role("short");
  alt->set_value("ECB cut");
  a.set_standfirst("The bank lowered its rate.");
  a.set_body_text("First paragraph.\n\nSecond paragraph.");
  a.set_word_count(4);
  a.set_body_html("<p>First paragraph.</p><p>Second paragraph.</p>");
  a.set_byline("Marta Krause");
  auto* author = a.add_authors();
  author->set_name("Marta Krause");
  author->set_role("author");
  a.set_slugline("ECB-RATES/");
  a.mutable_located()->set_city("Frankfurt");
  a.mutable_located()->set_country("Germany");
  a.set_language("en-GB");
  auto* s = a.add_subjects();
  s->set_name("economy");
  s->set_scheme("medtop");
  s->set_code("04000000");
  s->set_uri("medtop:04000000");
  auto* s2 = a.add_subjects();
  s2->set_name("mediatopic by scheme URL");
  s2->set_scheme("http://cv.iptc.org/newscodes/mediatopic/");
  s2->set_code("20000350");
  auto* s3 = a.add_subjects();
  s3->set_name("not a uri");
  s3->set_uri("Innenriks");
  a.add_section_path("Markets");
  a.add_keywords("ECB");
  auto* g = a.add_genres();
  g->set_name("Current");
  g->set_uri("genre:Current");
  g->set_rel("ignored: genres have no rel");
  a.add_places()->set_name("Frankfurt");
  a.add_organisations()->set_name("ECB");
  a.add_people()->set_name("Christine Lagarde");
  auto* src = a.add_infosources();
  src->set_name("ECB");
  src->set_role("source");
  a.mutable_provenance()->set_provider("Example Newswire");
  a.mutable_provenance()->set_guid("urn:newsml:example.net:1");
  a.mutable_provenance()->set_provider_version("7");
  a.set_copyright_holder("Example Newswire Ltd");
  a.set_copyright_notice("(c) 2024");
  a.set_usage_terms("Subscribers only");
  a.set_ednote("Corrects rate");
  a.set_canonical_url("https://www.example.net/markets/ecb");
  auto* id = a.add_altids();
  id->set_role("transmission");
  id->set_value("T-1");
  auto* m = a.add_media();
  m->set_type("picture");
  m->set_role("featureimage");
  m->set_uri("urn:newsml:example.net:pic:1");
  m->set_url("https://img.example.net/a.jpg");
  m->set_title("The ECB tower");
  m->set_description("The ECB tower in Frankfurt.");
  m->set_credit("Photo: A. Person");
  m->set_alt_text("A tall tower");
  auto* r = m->add_renditions();
  r->set_name("main");
  r->set_href("https://img.example.net/a.jpg");
  r->set_mime_type("image/jpeg");
  r->set_width(2048);
  r->set_height(1365);
  auto* nouri = a.add_media();  // no uri and no URL: no association (ninjs requires a uri)
  nouri->set_type("picture");
  auto* rel = a.add_related();
  rel->set_title("Preview");
  rel->set_url("https://www.example.net/markets/preview");

  simdjson::dom::parser parser;
  const std::string json = ToNinjs(a);
  auto d = Parse(parser, json);
  EXPECT_EQ(Str(d, "/uri"), "urn:copydesk:story:st_0123456789abcdef01234567");
  EXPECT_EQ(Str(d, "/version"), "3");
  EXPECT_EQ(Str(d, "/type"), "text");
  EXPECT_EQ(Str(d, "/firstcreated"), "2024-06-06T12:15:00Z");
  EXPECT_EQ(Str(d, "/versioncreated"), "2024-06-06T12:20:05.500Z");
  EXPECT_EQ(Str(d, "/embargoed"), "2024-06-06T13:20:00Z");
  EXPECT_EQ(Str(d, "/expires"), "2024-07-03T09:46:40Z");
  EXPECT_EQ(Str(d, "/pubstatus"), "withheld");
  EXPECT_EQ(Int(d, "/urgency"), 2);
  EXPECT_EQ(Str(d, "/headlines/0/role"), "main");
  EXPECT_EQ(Str(d, "/headlines/0/value"), "ECB cuts rates");
  EXPECT_EQ(Str(d, "/headlines/1/role"), "short");
  EXPECT_EQ(Str(d, "/descriptions/0/role"), "summary");
  EXPECT_EQ(Str(d, "/descriptions/0/value"), "The bank lowered its rate.");
  EXPECT_EQ(Str(d, "/bodies/0/contenttype"), "text/plain");
  EXPECT_EQ(Str(d, "/bodies/0/value"), "First paragraph.\n\nSecond paragraph.");
  EXPECT_EQ(Int(d, "/bodies/0/wordcount"), 4);
  EXPECT_EQ(Int(d, "/bodies/0/charcount"), 35);
  EXPECT_EQ(Str(d, "/bodies/1/contenttype"), "text/html");
  EXPECT_EQ(Str(d, "/bodies/1/value"), "<p>First paragraph.</p><p>Second paragraph.</p>");
  EXPECT_EQ(Str(d, "/by"), "Marta Krause");
  EXPECT_EQ(Str(d, "/slugline"), "ECB-RATES/");
  EXPECT_EQ(Str(d, "/located"), "Frankfurt, Germany");
  EXPECT_EQ(Str(d, "/language"), "en-GB");
  EXPECT_EQ(Str(d, "/subjects/0/uri"), "medtop:04000000");
  EXPECT_EQ(Str(d, "/subjects/1/uri"), "http://cv.iptc.org/newscodes/mediatopic/20000350");
  EXPECT_EQ(Str(d, "/subjects/2/uri"), "<absent>");
  EXPECT_EQ(Str(d, "/subjects/2/literal"), "Innenriks");
  EXPECT_EQ(Str(d, "/subjects/3/name"), "Markets");
  EXPECT_EQ(Str(d, "/subjects/3/rel"), "section");
  EXPECT_EQ(Str(d, "/subjects/4/name"), "ECB");
  EXPECT_EQ(Str(d, "/subjects/4/rel"), "keyword");
  EXPECT_EQ(Str(d, "/genres/0/uri"), "genre:Current");
  EXPECT_EQ(Str(d, "/genres/0/rel"), "<absent>");
  EXPECT_EQ(Str(d, "/places/0/name"), "Frankfurt");
  EXPECT_EQ(Str(d, "/organisations/0/name"), "ECB");
  EXPECT_EQ(Str(d, "/people/0/name"), "Marta Krause");
  EXPECT_EQ(Str(d, "/people/0/rel"), "author");
  EXPECT_EQ(Str(d, "/people/1/name"), "Christine Lagarde");
  EXPECT_EQ(Str(d, "/infosources/0/name"), "ECB");
  EXPECT_EQ(Str(d, "/infosources/1/name"), "Example Newswire");
  EXPECT_EQ(Str(d, "/infosources/1/role"), "provider");
  EXPECT_EQ(Str(d, "/copyrightholder"), "Example Newswire Ltd");
  EXPECT_EQ(Str(d, "/copyrightnotice"), "(c) 2024");
  EXPECT_EQ(Str(d, "/usageterms"), "Subscribers only");
  EXPECT_EQ(Str(d, "/ednote"), "Corrects rate");
  EXPECT_EQ(Str(d, "/altids/0/value"), "T-1");
  EXPECT_EQ(Str(d, "/renditions/0/name"), "web");
  EXPECT_EQ(Str(d, "/renditions/0/href"), "https://www.example.net/markets/ecb");
  EXPECT_EQ(Str(d, "/associations/0/name"), "featureimage");
  EXPECT_EQ(Str(d, "/associations/0/uri"), "urn:newsml:example.net:pic:1");
  EXPECT_EQ(Str(d, "/associations/0/type"), "picture");
  EXPECT_EQ(Str(d, "/associations/0/headlines/0/value"), "The ECB tower");
  EXPECT_EQ(Str(d, "/associations/0/descriptions/0/role"), "caption");
  EXPECT_EQ(Str(d, "/associations/0/descriptions/1/value"), "A tall tower");
  EXPECT_EQ(Str(d, "/associations/0/by"), "Photo: A. Person");
  EXPECT_EQ(Int(d, "/associations/0/renditions/0/width"), 2048);
  EXPECT_EQ(Str(d, "/associations/1/name"), "related1");
  EXPECT_EQ(Str(d, "/associations/1/uri"), "https://www.example.net/markets/preview");
  EXPECT_EQ(Str(d, "/associations/2/name"), "<absent>");
  EXPECT_EQ(json.find("priority"), std::string::npos);  // ninjs 2.2 has no place for it
}

TEST(ToNinjs, ProvisionalUriForArticlesWithoutAStoryId) {
  simdjson::dom::parser parser;
  v1::Article a;
  a.set_headline("h");
  a.mutable_provenance()->set_guid("tag:example.org,2024:1");
  a.set_canonical_url("https://example.org/a");
  EXPECT_EQ(Str(Parse(parser, ToNinjs(a)), "/uri"), "tag:example.org,2024:1");
  a.mutable_provenance()->set_guid("hg-2024 05/14");
  EXPECT_EQ(Str(Parse(parser, ToNinjs(a)), "/uri"), "https://example.org/a");
  a.clear_canonical_url();
  a.mutable_provenance()->set_provider("Harbour Gazette");
  EXPECT_EQ(Str(Parse(parser, ToNinjs(a)), "/uri"), "urn:copydesk:guid:Harbour%20Gazette:hg-2024%2005%2F14");
  a.mutable_provenance()->clear_guid();
  a.mutable_fingerprints()->set_content_hash(0xABCDEF);
  EXPECT_EQ(Str(Parse(parser, ToNinjs(a)), "/uri"), "urn:copydesk:content:0000000000abcdef");
}

TEST(ToNinjs, EveryStringIsEscapedValidUtf8) {
  v1::Article a;
  a.set_uri("urn:x:1");
  a.set_headline(std::string("quote \" backslash \\ newline \n tab \t nul ") + std::string(1, '\0') +
                 " ctrl \x01 bad \xFF\xC0\x80 surrogate \xED\xA0\x80 ok \xC3\xA9 ls \xE2\x80\xA8 end");
  const std::string json = ToNinjs(a);
  EXPECT_NE(json.find("\\\""), std::string::npos);
  EXPECT_NE(json.find("\\\\"), std::string::npos);
  EXPECT_NE(json.find("\\n"), std::string::npos);
  EXPECT_NE(json.find("\\u0000"), std::string::npos);
  EXPECT_NE(json.find("\\u0001"), std::string::npos);
  EXPECT_NE(json.find("\\u2028"), std::string::npos);
  EXPECT_EQ(json.find('\xFF'), std::string::npos);
  EXPECT_EQ(json.find("\xED\xA0\x80"), std::string::npos);
  simdjson::dom::parser parser;
  auto d = Parse(parser, json);  // simdjson validates UTF-8
  std::string h = Str(d, "/headlines/0/value");
  EXPECT_NE(h.find("bad \xEF\xBF\xBD"), std::string::npos);
  EXPECT_NE(h.find("ok \xC3\xA9"), std::string::npos);
}

TEST(ToNinjs, RoundTripsThroughTheNinjsDecoder) {
  Metadata meta;
  meta.content_type = "application/ninjs+json";
  auto first = Normalize(testing::ReadFormatFixture("ninjs2-flood-update.json"), meta);
  ASSERT_TRUE(first.ok()) << first.error().reason;
  auto second = Normalize(ToNinjs(first.value()), meta);
  ASSERT_TRUE(second.ok()) << second.error().reason;
  const v1::Article& a = first.value();
  const v1::Article& b = second.value();
  EXPECT_EQ(b.provenance().guid(), a.provenance().guid());
  EXPECT_EQ(b.provenance().provider_version(), a.provenance().provider_version());
  EXPECT_EQ(b.headline(), a.headline());
  EXPECT_EQ(b.urgency(), a.urgency());
  EXPECT_EQ(b.embargoed().seconds(), a.embargoed().seconds());
  EXPECT_EQ(b.body_text(), a.body_text());
  EXPECT_EQ(b.body_html(), a.body_html());
  EXPECT_EQ(b.subjects_size(), a.subjects_size());
  EXPECT_EQ(b.keywords_size(), a.keywords_size());
  EXPECT_EQ(b.places_size(), a.places_size());
  EXPECT_EQ(b.organisations_size(), a.organisations_size());
  EXPECT_EQ(b.people_size(), a.people_size());
  EXPECT_EQ(b.authors_size(), a.authors_size());
  ASSERT_EQ(b.media_size(), a.media_size());
  EXPECT_EQ(b.media(0).renditions_size(), a.media(0).renditions_size());
  EXPECT_EQ(b.media(0).credit(), a.media(0).credit());
  EXPECT_EQ(b.copyright_holder(), a.copyright_holder());
  EXPECT_EQ(b.usage_terms(), a.usage_terms());
  EXPECT_EQ(b.ednote(), a.ednote());
}

}  // namespace
}  // namespace copydesk::normalize
