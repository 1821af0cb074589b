// HTML character references and CDATA as the WHATWG tokenizer reads them.
#include <gtest/gtest.h>

#include <string>

#include "normalize/html/dom.h"
#include "normalize/html/entities.h"
#include "normalize/normalize.h"

namespace copydesk::normalize {
namespace {

std::string Decode(std::string_view in, bool in_attribute = false) {
  std::string out;
  html::DecodeEntities(in, out, in_attribute);
  return out;
}

TEST(HtmlEntities, FullNamedTable) {
  EXPECT_EQ(Decode("&amp;&lt;&gt;&quot;&apos;&nbsp;"), "&<>\"'\xC2\xA0");
  EXPECT_EQ(Decode("&notin;"), "\xE2\x88\x89");
  EXPECT_EQ(Decode("&CounterClockwiseContourIntegral;"), "\xE2\x88\xB3");  // the longest name
  EXPECT_EQ(Decode("&nGt;"), "\xE2\x89\xAB\xE2\x83\x92");                  // two code points
  EXPECT_EQ(Decode("&bne;"), "=\xE2\x83\xA5");
  EXPECT_EQ(Decode("&Afr;&zwnj;&hookleftarrow;"), "\xF0\x9D\x94\x84\xE2\x80\x8C\xE2\x86\xA9");
  EXPECT_EQ(Decode("&ThickSpace;"), "\xE2\x81\x9F\xE2\x80\x8A");
  EXPECT_EQ(Decode("&euro;&hellip;&mdash;&rsquo;"), "\xE2\x82\xAC\xE2\x80\xA6\xE2\x80\x94\xE2\x80\x99");
  std::string_view value;
  bool legacy = true;
  EXPECT_EQ(html::MatchNamedReference("AElig;x", &value, &legacy), 6u);
  EXPECT_FALSE(legacy);
  EXPECT_EQ(value, "\xC3\x86");
}

TEST(HtmlEntities, LegacyNamesWithoutSemicolonTakeTheLongestMatch) {
  EXPECT_EQ(Decode("&amp"), "&");
  EXPECT_EQ(Decode("&copy 2024"), "\xC2\xA9 2024");
  EXPECT_EQ(Decode("&notit;"), "\xC2\xACit;");  // "not" then "it;"
  EXPECT_EQ(Decode("&notin"), "\xC2\xACin");    // "notin" needs its ';'
  EXPECT_EQ(Decode("&AMP;&AMP"), "&&");
  EXPECT_EQ(Decode("&ltx"), "<x");
  EXPECT_EQ(Decode("&middot;&middot"), "\xC2\xB7\xC2\xB7");
  EXPECT_EQ(Decode("&hellip"), "&hellip");  // not a legacy name
  EXPECT_EQ(Decode("&zzz; & &; &#; &#x;"), "&zzz; & &; &#; &#x;");
}

TEST(HtmlEntities, InAttributesALegacyNameBeforeAlnumOrEqualsStays) {
  EXPECT_EQ(Decode("?a=1&copy=2&lang=en", true), "?a=1&copy=2&lang=en");
  EXPECT_EQ(Decode("?a=1&copyx", true), "?a=1&copyx");
  EXPECT_EQ(Decode("a&copy b", true), "a\xC2\xA9 b");
  EXPECT_EQ(Decode("a&copy;b", true),
            "a\xC2\xA9"
            "b");
  EXPECT_EQ(Decode("?a=1&copy=2"), "?a=1\xC2\xA9=2");  // in text it is decoded
}

TEST(HtmlEntities, NumericReferences) {
  EXPECT_EQ(Decode("&#65;&#x42;&#X43;&#x1F600;"), "ABC\xF0\x9F\x98\x80");
  EXPECT_EQ(Decode("&#x80;&#150;&#x9F;"), "\xE2\x82\xAC\xE2\x80\x93\xC5\xB8");  // Windows-1252
  EXPECT_EQ(Decode("&#0;&#xD800;&#x110000;&#99999999999;"),
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(Decode("&#65x"), "Ax");
}

std::string BodyText(const std::string& page) {
  Metadata m;
  m.content_type = "text/html";
  auto r = Normalize(page, m);
  EXPECT_TRUE(r.ok()) << r.error().reason;
  return r.ok() ? r->body_text() : "";
}

TEST(HtmlCdata, IsABogusCommentInHtmlContent) {
  // The tokenizer: "<![CDATA[" in HTML content opens a bogus comment that ends at the first '>'
  // (here the one of "<script>"); "x" is then text, "</script>" an end tag for nothing open and
  // "]]>" text: browsers show "a x]]> b", never the markup.
  const std::string text = BodyText(
      "<html><body><p>a <![CDATA[<script>x</script>]]> b, and a sentence long enough for a paragraph.</p>"
      "</body></html>");
  EXPECT_EQ(text, "a x]]> b, and a sentence long enough for a paragraph.");
  EXPECT_EQ(text.find("<script"), std::string::npos);
  // Without a '>' inside, the whole section is the comment.
  EXPECT_EQ(BodyText("<p>one <![CDATA[hidden]]> two, three, and four words in a paragraph here.</p>"),
            "one two, three, and four words in a paragraph here.");
}

TEST(HtmlCdata, IsTextInForeignContent) {
  auto doc = html::Parse("<p>a<svg><text><![CDATA[x<y]]></text></svg>b</p>", Limits{}, 0);
  ASSERT_TRUE(doc.ok());
  bool found = false;
  for (uint32_t i = 0; i < doc->nodes.size(); ++i) {
    if (doc->IsText(i) && doc->Text(i) == "x<y") found = true;
  }
  EXPECT_TRUE(found);
}

TEST(HtmlComments, EndAsTheTokenizerEndsThem) {
  EXPECT_EQ(BodyText("<p>one <!--> two <!---> three <!-- x --!> four, five, six and seven words here.</p>"),
            "one two three four, five, six and seven words here.");
}

}  // namespace
}  // namespace copydesk::normalize
