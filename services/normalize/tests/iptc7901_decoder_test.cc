// IPTC 7901 fixtures (tests/fixtures/formats/iptc7901-*.7901, written from the IPTC Recommended
// Message Format; see README-wire-formats.md there): every field, the identity of leads and of
// provider item ids, charsets and broken framing.
#include <gtest/gtest.h>

#include <string>

#include "normalize/normalize.h"
#include "normalize/tests/fixtures.h"

namespace copydesk::normalize {
namespace {

Result<v1::Article> DecodeFixture(const std::string& name, Metadata meta = {}) {
  const std::string bytes = testing::ReadFormatFixture(name);
  EXPECT_FALSE(bytes.empty()) << name;
  if (meta.content_type.empty()) meta.content_type = "text/vnd.iptc.7901";
  return Normalize(bytes, meta);
}

std::string AltId(const v1::Article& a, std::string_view role) {
  for (const auto& id : a.altids()) {
    if (id.role() == role) return id.value();
  }
  return "<none>";
}

TEST(Iptc7901Decoder, MessageEveryField) {
  auto r = DecodeFixture("iptc7901-rail-strike.7901");
  ASSERT_TRUE(r.ok()) << r.error().reason;
  const v1::Article& a = r.value();
  // Identity: source, keyword line and the post-text's date; the first version.
  EXPECT_EQ(a.provenance().guid(), "iptc7901:eca:germany-rail-strike:2024-03-14");
  EXPECT_EQ(a.provenance().provider_version(), "1");
  EXPECT_EQ(a.provenance().provider(), "dpa");  // the agency named in the optional information
  EXPECT_EQ(a.provenance().format(), "iptc7901");
  EXPECT_EQ(a.provenance().charset(), "windows-1252");
  EXPECT_FALSE(a.signals().update());
  // Header: priority 4, category wi, word count 198 (recounted from the body), optional info.
  EXPECT_EQ(a.priority(), 4u);
  EXPECT_EQ(a.urgency(), 4u);
  ASSERT_EQ(a.subjects_size(), 1);
  EXPECT_EQ(a.subjects(0).scheme(), "iptc7901-category");
  EXPECT_EQ(a.subjects(0).code(), "wi");
  EXPECT_EQ(a.subjects(0).uri(), "iptc7901-category:wi");
  EXPECT_EQ(AltId(a, "iptc7901-source"), "eca");
  EXPECT_EQ(AltId(a, "iptc7901-message-number"), "0214");
  EXPECT_EQ(AltId(a, "iptc7901-header-info"), "dpa 0311");
  EXPECT_EQ(AltId(a, "iptc7901-version"), "<none>");
  EXPECT_EQ(a.slugline(), "Germany/rail/strike");
  // Post-text "141532 GMT Mar 24".
  EXPECT_EQ(a.versioncreated().seconds(), 1710430320);
  EXPECT_EQ(a.firstcreated().seconds(), 1710430320);
  // Text: the heading without its "=", a byline paragraph, indented paragraphs with wrapped
  // lines joined, Latin-1 decoded, the note section moved to the editorial note.
  EXPECT_EQ(a.headline(), "German rail strike halts most long-distance trains");
  EXPECT_EQ(a.byline(), "Lena Hartmann, dpa");
  ASSERT_EQ(a.authors_size(), 1);
  EXPECT_EQ(a.authors(0).name(), "Lena Hartmann");
  ASSERT_EQ(a.body_size(), 3);
  EXPECT_EQ(a.body(0).text(),
            "Berlin (dpa) - A strike by German train drivers halted most long-distance services on Thursday, "
            "stranding commuters across the country on the second day of a walkout over pay.");
  EXPECT_EQ(
      a.body(1).text(),
      "The GDL union said the strike would hit freight from M\xC3\xBCnchen to Hamburg and that talks with "
      "the state-owned operator had failed.");
  EXPECT_EQ(
      a.body(2).text(),
      "\"We are ready to talk as soon as there is a serious offer,\" the union's leader told reporters at "
      "Berlin's main station.");
  EXPECT_EQ(a.ednote(), "## Editorial contacts\nNewsdesk Berlin: +49 30 0000 0000");
  EXPECT_EQ(a.body_text().find("not for publication"), std::string::npos);
  EXPECT_EQ(a.located().dateline(), "Berlin (dpa) -");
  EXPECT_EQ(a.located().city(), "Berlin");
  EXPECT_EQ(a.language(), "en");
  EXPECT_TRUE(a.body_html().empty());
}

TEST(Iptc7901Decoder, LeadIsTheNextVersionOfTheSameStory) {
  auto r = DecodeFixture("iptc7901-rail-strike-lead.7901");
  ASSERT_TRUE(r.ok()) << r.error().reason;
  const v1::Article& a = r.value();
  EXPECT_EQ(a.provenance().guid(), "iptc7901:eca:germany-rail-strike:2024-03-14");
  EXPECT_EQ(a.provenance().provider_version(), "2");
  EXPECT_TRUE(a.signals().update());
  EXPECT_EQ(AltId(a, "iptc7901-version"), "1st LEAD");
  EXPECT_EQ(a.priority(), 3u);
  EXPECT_EQ(a.versioncreated().seconds(), 1710438480);
  EXPECT_FALSE(a.has_firstcreated());
  EXPECT_EQ(a.headline(), "German rail strike to last until Saturday, union says");
  EXPECT_TRUE(a.byline().empty());
  ASSERT_EQ(a.body_size(), 2);
}

TEST(Iptc7901Decoder, ProviderItemIdAndVersionWinOverTheKeyword) {
  auto r = DecodeFixture("iptc7901-kinderkommission-kna.7901");
  ASSERT_TRUE(r.ok()) << r.error().reason;
  const v1::Article& a = r.value();
  EXPECT_EQ(a.provenance().guid(), "240314-89-00065");
  EXPECT_EQ(a.provenance().provider_version(), "2");
  EXPECT_TRUE(a.signals().update());
  EXPECT_EQ(a.provenance().provider(), "KNA");
  EXPECT_EQ(AltId(a, "iptc7901-source"), "bkn");
  EXPECT_EQ(AltId(a, "iptc7901-message-number"), "014");
  EXPECT_EQ(AltId(a, "iptc7901-header-info"), "vvvvb KNA 240314-89-00065#2");
  EXPECT_EQ(a.slugline(), "Bundestag/Kinder");
  EXPECT_EQ(a.subjects(0).code(), "pl");
  // "141210 MEZ Mar 24": 12:10 Central European Time is 11:10 UTC.
  EXPECT_EQ(a.versioncreated().seconds(), 1710414600);
  EXPECT_EQ(a.headline(), "Kinderkommission: Bund muss f\xC3\xBCr Jugendhilfe zust\xC3\xA4ndig bleiben");
  // No indentation before the first paragraph and none between wrapped lines: paragraphs by indent.
  ASSERT_EQ(a.body_size(), 2);
  EXPECT_EQ(a.body(0).text(),
            "Berlin (KNA) Die Kinderkommission des Bundestages hat sich gegen \xC3\x9C"
            "berlegungen gewandt, die Zust\xC3\xA4ndigkeit f\xC3\xBCr die Jugendhilfe an die L\xC3\xA4nder "
            "abzugeben.");
  EXPECT_EQ(a.located().dateline(), "Berlin (KNA)");
  EXPECT_EQ(a.language(), "de");
}

TEST(Iptc7901Decoder, DeclaredCharsetIsUsedAndUtf8IsRecognised) {
  // The same message in UTF-8 with a declared charset decodes to the same text.
  const auto latin = DecodeFixture("iptc7901-kinderkommission-kna.7901");
  ASSERT_TRUE(latin.ok());
  std::string bytes = testing::ReadFormatFixture("iptc7901-kinderkommission-kna.7901");
  std::string utf8;
  for (unsigned char c : bytes) {
    if (c < 0x80) {
      utf8 += static_cast<char>(c);
    } else {
      utf8 += static_cast<char>(0xC0 | (c >> 6));
      utf8 += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  Metadata meta;
  meta.content_type = "text/vnd.iptc.7901; charset=utf-8";
  auto r = Normalize(utf8, meta);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r->provenance().charset(), "utf-8");
  EXPECT_EQ(r->body_text(), latin->body_text());
  EXPECT_EQ(r->headline(), latin->headline());
}

TEST(Iptc7901Decoder, TakesKillsAndCorrectionsFromTheHeaderLines) {
  std::string bytes = testing::ReadFormatFixture("iptc7901-rail-strike-lead.7901");
  Metadata meta;
  meta.content_type = "application/x-iptc7901";
  std::string take = bytes;
  take.replace(take.find("1st LEAD"), 8, "2nd take");
  auto t = Normalize(take, meta);
  ASSERT_TRUE(t.ok()) << t.error().reason;
  EXPECT_EQ(t->provenance().guid(), "iptc7901:eca:germany-rail-strike:2024-03-14:take-2");
  EXPECT_EQ(t->provenance().provider_version(), "1");
  std::string kill = bytes;
  kill.replace(kill.find("1st LEAD"), 8, "KILL");
  auto k = Normalize(kill, meta);
  ASSERT_TRUE(k.ok()) << k.error().reason;
  EXPECT_EQ(k->pubstatus(), v1::PUB_STATUS_CANCELED);
  EXPECT_TRUE(k->signals().kill());
  EXPECT_EQ(k->provenance().provider_version(), "");
  std::string corr = bytes;
  corr.replace(corr.find("1st LEAD"), 8, "Berichtigung");
  auto c = Normalize(corr, meta);
  ASSERT_TRUE(c.ok()) << c.error().reason;
  EXPECT_TRUE(c->signals().correction());
  EXPECT_EQ(c->provenance().guid(), "iptc7901:eca:germany-rail-strike:2024-03-14");
}

TEST(Iptc7901Decoder, TeleprinterPrefixAndNoPostText) {
  std::string bytes = "ZCZC\r\n" + testing::ReadFormatFixture("iptc7901-rail-strike.7901");
  bytes.erase(bytes.find('\x03') + 1);  // no post-text, no EOT
  Metadata meta;
  meta.content_type = "text/vnd.iptc.7901";
  meta.event_time_ms = 1710500000000;  // 2024-03-15T10:53:20Z
  auto r = Normalize(bytes, meta);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r->provenance().guid(), "iptc7901:eca:germany-rail-strike:2024-03-15");
  EXPECT_FALSE(r->has_versioncreated());
  EXPECT_EQ(r->headline(), "German rail strike halts most long-distance trains");
}

TEST(Iptc7901Decoder, MissingFramingIsRejected) {
  Metadata meta;
  meta.content_type = "text/vnd.iptc.7901";
  for (std::string bytes : {std::string("eca0001 4 pl 10\r\nkeyword\r\n\x02Heading\r\ntext\r\n\x03"),
                            std::string("\x01") + "eca0001 4 pl 10\r\nkeyword\r\nno start of text"}) {
    auto r = Normalize(bytes, meta);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, v1::ERROR_CODE_UNSUPPORTED_FORMAT);
  }
  auto empty = Normalize(std::string("\x01") + "eca0001 4 pl 0\r\n\x02\x03", meta);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, v1::ERROR_CODE_NO_CONTENT);
}

}  // namespace
}  // namespace copydesk::normalize
