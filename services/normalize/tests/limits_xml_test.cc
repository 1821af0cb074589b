// Hostile XML and JSON: every limit turns into its error code, nothing is fetched, nothing blows up.
#include <gtest/gtest.h>

#include <string>

#include "normalize/normalize.h"

namespace copydesk::normalize {
namespace {

Result<v1::Article> Nitf(const std::string& bytes, const Limits& limits = {}) {
  Metadata meta;
  meta.content_type = "application/nitf+xml";
  return Normalize(bytes, meta, limits);
}

TEST(XmlLimits, BillionLaughsIsEntityExpansion) {
  std::string doc = "<?xml version=\"1.0\"?><!DOCTYPE nitf [<!ENTITY lol \"lol\">";
  std::string prev = "lol";
  for (int i = 1; i <= 9; ++i) {
    std::string name = "lol" + std::to_string(i);
    doc += "<!ENTITY " + name + " \"";
    for (int k = 0; k < 10; ++k) doc += "&" + prev + ";";
    doc += "\">";
    prev = name;
  }
  doc += "]><nitf><body><body.head><hedline><hl1>&lol9;</hl1></hedline></body.head></body></nitf>";
  for (const char* ct :
       {"application/nitf+xml", "application/rss+xml", "application/vnd.iptc.g2.newsitem+xml"}) {
    Metadata meta;
    meta.content_type = ct;
    auto r = Normalize(doc, meta);
    ASSERT_FALSE(r.ok()) << ct;
    EXPECT_EQ(r.error().code, v1::ERROR_CODE_ENTITY_EXPANSION) << ct << ": " << r.error().reason;
  }
}

TEST(XmlLimits, QuadraticBlowupByRepetitionIsEntityExpansion) {
  std::string big(100000, 'a');
  std::string doc = "<!DOCTYPE nitf [<!ENTITY a \"" + big + "\">]><nitf><body><body.content><p>";
  for (int i = 0; i < 50; ++i) doc += "&a;";
  doc += "</p></body.content></body></nitf>";
  auto r = Nitf(doc);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, v1::ERROR_CODE_ENTITY_EXPANSION);
}

TEST(XmlLimits, SmallInternalEntitiesAreExpanded) {
  auto r = Nitf(
      "<!DOCTYPE nitf [<!ENTITY co \"Example Wire\">]><nitf><body><body.head><hedline>"
      "<hl1>News from &co;</hl1></hedline></body.head></body></nitf>");
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r->headline(), "News from Example Wire");
}

TEST(XmlLimits, ExternalEntitiesAreRefusedAndNeverFetched) {
  for (const char* decl :
       {"<!ENTITY xxe SYSTEM \"file:///etc/passwd\">", "<!ENTITY xxe SYSTEM \"http://127.0.0.1:9/evil\">",
        "<!ENTITY % pe SYSTEM \"file:///etc/hostname\"> %pe;"}) {
    std::string doc =
        std::string("<?xml version=\"1.0\"?><!DOCTYPE nitf [") + decl +
        "]><nitf><body><body.head><hedline><hl1>x &xxe;</hl1></hedline></body.head></body></nitf>";
    auto r = Nitf(doc);
    ASSERT_FALSE(r.ok()) << decl;
    EXPECT_EQ(r.error().code, v1::ERROR_CODE_EXTERNAL_ENTITY) << decl << ": " << r.error().reason;
  }
  // An external DTD reference alone is fine: it is simply not loaded.
  auto ok = Nitf(
      "<!DOCTYPE nitf SYSTEM \"http://www.nitf.org/IPTC/NITF/3.6/specification/dtd/nitf-3-6.dtd\">"
      "<nitf><body><body.head><hedline><hl1>Fine</hl1></hedline></body.head></body></nitf>");
  ASSERT_TRUE(ok.ok()) << ok.error().reason;
  EXPECT_EQ(ok->headline(), "Fine");
}

TEST(XmlLimits, HundredThousandNestedTagsIsNestingTooDeep) {
  std::string doc = "<nitf><body><body.content>";
  for (int i = 0; i < 100000; ++i) doc += "<block>";
  for (int i = 0; i < 100000; ++i) doc += "</block>";
  doc += "</body.content></body></nitf>";
  auto r = Nitf(doc);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, v1::ERROR_CODE_NESTING_TOO_DEEP) << r.error().reason;
  Limits shallow;
  shallow.max_depth = 8;
  std::string ten = "<nitf>" + std::string("<a><a><a><a><a><a><a><a><a><a>") +
                    "</a></a></a></a></a></a></a></a></a></a></nitf>";
  auto s = Nitf(ten, shallow);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, v1::ERROR_CODE_NESTING_TOO_DEEP);
}

TEST(XmlLimits, MalformedXmlHasItsCode) {
  for (const char* bad :
       {"<nitf><body>", "not xml at all", "<nitf><a></b></nitf>", "<?xml version=\"1.0\"?>"}) {
    auto r = Nitf(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, v1::ERROR_CODE_MALFORMED_XML) << bad << ": " << r.error().reason;
  }
}

TEST(TextLimits, HugeSingleLineAndManyLinesStayLinear) {
  Metadata meta;
  meta.content_type = "text/plain";
  Limits generous;  // no time limit in play: this is about not crashing, not about speed
  generous.max_millis = 600000;
  std::string one_line(1 << 20, 'x');
  auto r = Normalize(one_line, meta, generous);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  std::string many;
  for (int i = 0; i < 50000; ++i) many += "Short line\n";
  auto m = Normalize(many, meta, generous);
  ASSERT_TRUE(m.ok()) << m.error().reason;
}

TEST(TextLimits, TimeLimitGivesTimeout) {
  Metadata meta;
  meta.content_type = "text/plain";
  Limits tight;
  tight.max_millis = 1;
  std::string many;
  for (int i = 0; i < 200000; ++i) many += "A line of text that goes on.\n";
  auto r = Normalize(many, meta, tight);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, v1::ERROR_CODE_TIMEOUT);
}

TEST(TextLimits, ZeroMeansNoTimeLimit) {
  Metadata meta;
  meta.content_type = "text/plain";
  Limits none;
  none.max_millis = 0;
  std::string many = "Title\n\n";
  for (int i = 0; i < 2000; ++i) many += "A line of text that goes on, with some words in it.\n";
  auto r = Normalize(many, meta, none);
  ASSERT_TRUE(r.ok()) << r.error().reason;
}

}  // namespace
}  // namespace copydesk::normalize
