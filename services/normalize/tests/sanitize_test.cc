// The allow-list sanitizer behind Article.body_html (html/sanitize.h): what survives, what is
// dropped, and that the output is always well-formed.
#include "normalize/html/sanitize.h"

#include <gtest/gtest.h>
#include <libxml/parser.h>

#include <string>

#include "normalize/internal.h"

namespace copydesk::normalize {
namespace {

std::string Clean(const std::string& html) {
  return internal::SanitizedHtml(html, Limits{});
}

// Well-formed XML once wrapped in one element (every element closed, attributes quoted, text
// escaped).
bool WellFormed(const std::string& fragment) {
  std::string doc = "<div>" + fragment + "</div>";
  xmlDocPtr d = xmlReadMemory(doc.data(), static_cast<int>(doc.size()), "x.xml", "UTF-8",
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  bool ok = d != nullptr;
  if (d) xmlFreeDoc(d);
  return ok;
}

TEST(Sanitize, KeepsTheAllowedStructure) {
  const std::string in =
      "<h1>Title</h1><h3>Sub</h3><p>A <strong>bold</strong>, <b>b</b>, <em>em</em> and <i>i</i> text, "
      "H<sub>2</sub>O and x<sup>2</sup>.<br>Next "
      "line</p><ul><li>one</li><li>two</li></ul><ol><li>first</li></ol>"
      "<blockquote><p>Quoted</p></blockquote><table><caption>Cap</caption><thead><tr><th>H</th></tr></thead>"
      "<tbody><tr><td colspan=\"2\" rowspan=\"x\">C</td></tr></tbody></table>"
      "<figure><img src=\"https://img.example/a.jpg\" alt=\"A\" width=\"640\" height=\"480\" onerror=\"x()\">"
      "<figcaption>Caption</figcaption></figure>";
  EXPECT_EQ(
      Clean(in),
      "<h1>Title</h1><h3>Sub</h3><p>A <strong>bold</strong>, <b>b</b>, <em>em</em> and <i>i</i> text, "
      "H<sub>2</sub>O and x<sup>2</sup>.<br/>Next line</p><ul><li>one</li><li>two</li></ul><ol><li>first</li>"
      "</ol><blockquote><p>Quoted</p></blockquote><table><caption>Cap</caption><thead><tr><th>H</th></tr>"
      "</thead><tbody><tr><td colspan=\"2\">C</td></tr></tbody></table><figure><img "
      "src=\"https://img.example/a.jpg\" alt=\"A\" width=\"640\" height=\"480\"/><figcaption>Caption"
      "</figcaption></figure>");
}

TEST(Sanitize, DropsActiveContentAndUnsafeUrls) {
  const std::string in =
      "<p onclick=\"steal()\" style=\"color:red\" class=\"lead\" id=\"x\">Text</p>"
      "<script>alert(1)</script><style>p{}</style><iframe src=\"https://evil.example/\">frame text</iframe>"
      "<object data=\"x.swf\">obj</object><embed "
      "src=\"x\"><svg><script>alert(2)</script><text>svg</text></svg>"
      "<math><mi>x</mi></math><form action=\"/\"><input name=\"q\"><button>Go</button></form>"
      "<template><p>t</p></template><noscript>ns</noscript>"
      "<p><a href=\"javascript:alert(1)\">js</a> <a href=\"JaVaScRiPt:alert(1)\">js2</a> "
      "<a href=\" jav&#x61;script:alert(1)\">js3</a> <a href=\"data:text/html;base64,PHNjcmlwdD4=\">data</a> "
      "<a href=\"vbscript:x\">vb</a> <a href=\"/relative\">rel</a> <a href=\"HTTPS://Example.COM/a\">ok</a> "
      "<a href=\"http://example.com/b\" onclick=\"x()\" target=\"_blank\">ok2</a></p>"
      "<img src=\"https://img.example/outside.jpg\"><figure><img src=\"javascript:x\"><img "
      "src=\"data:image/png;base64,AA\">"
      "<figcaption>only caption</figcaption></figure>";
  const std::string out = Clean(in);
  EXPECT_EQ(
      out,
      "<p>Text</p><p>js js2 js3 data vb rel <a href=\"https://example.com/a\">ok</a> <a "
      "href=\"http://example.com/b\">ok2</a></p><figure><figcaption>only caption</figcaption></figure>");
  for (const char* bad : {"script",     "style", "iframe", "object",   "embed",    "svg",     "math",
                          "form",       "input", "button", "template", "noscript", "onclick", "onerror",
                          "javascript", "data:", "class=", "id=",      "target",   "evil",    "alert"}) {
    EXPECT_EQ(out.find(bad), std::string::npos) << bad;
  }
}

TEST(Sanitize, EscapesTextAndAttributes) {
  const std::string out = Clean(
      "<p>1 &lt; 2 &amp;&amp; 3 &gt; 2 &quot;q&quot; &lt;script&gt;</p>"
      "<figure><img src=\"https://img.example/a.jpg?x=1&amp;y=2\" alt='say \"hi\" &lt;b&gt;'></figure>");
  EXPECT_EQ(out,
            "<p>1 &lt; 2 &amp;&amp; 3 &gt; 2 \"q\" &lt;script&gt;</p><figure><img "
            "src=\"https://img.example/a.jpg?x=1&amp;y=2\" alt=\"say &quot;hi&quot; &lt;b&gt;\"/></figure>");
  EXPECT_TRUE(WellFormed(out));
}

TEST(Sanitize, RepairsStructureAndStaysWellFormed) {
  // Unclosed and misnested tags, list items and cells outside their containers, nested links,
  // empty elements, unknown elements unwrapped to their text.
  const std::string out = Clean(
      "<div><p>one<p>two <b>bold <i>both</b> italic</i><li>stray item</li><td>stray cell</td>"
      "<a href=\"https://a.example/\">outer <a href=\"https://b.example/\">inner</a></a><p></p><p>  </p>"
      "<custom-tag>custom</custom-tag><span>span</span><font "
      "color=red>font</font><figcaption>loose</figcaption>");
  EXPECT_TRUE(WellFormed(out)) << out;
  EXPECT_EQ(out.find("<p></p>"), std::string::npos);
  EXPECT_EQ(out.find("<td"), std::string::npos);
  EXPECT_EQ(out.find("<li"), std::string::npos);
  EXPECT_EQ(out.find("<div"), std::string::npos);
  EXPECT_EQ(out.find("<span"), std::string::npos);
  EXPECT_EQ(out.find("<figcaption"), std::string::npos);
  EXPECT_NE(out.find("stray item"), std::string::npos);
  EXPECT_NE(out.find("custom"), std::string::npos);
  EXPECT_NE(out.find("<a href=\"https://b.example/\">inner</a>"), std::string::npos);
  for (const std::string hostile :
       {"<p><b><i><u><s>x", "<table><tr><td><table><td>y", "</p></b></a>z<br/></br>", "<p a=\"\"\"\">q</p>",
        "<![CDATA[<script>x</script>]]>", "<!-- <script> -->text", "<p>\x01\x02\x7F ctrl</p>"}) {
    std::string o = Clean(hostile);
    EXPECT_TRUE(WellFormed(o)) << hostile << " -> " << o;
    EXPECT_EQ(o.find("<script"), std::string::npos);
  }
}

TEST(Sanitize, OutputIsBounded) {
  std::string in;
  for (int i = 0; i < 60000; ++i) in += "<p>A paragraph of text to fill the body.</p>";
  const std::string out = Clean(in);
  EXPECT_LE(out.size(), html::kMaxBodyHtmlBytes + 4096);
  EXPECT_GT(out.size(), html::kMaxBodyHtmlBytes / 2);
  EXPECT_EQ(out.substr(out.size() - 4), "</p>");
  EXPECT_TRUE(WellFormed(out));
}

TEST(Sanitize, BlocksToHtmlRendersTypedBlocks) {
  v1::Article a;
  auto add = [&](v1::BlockType t, const std::string& text, bool ordered = false) {
    auto* b = a.add_body();
    b->set_type(t);
    b->set_text(text);
    b->set_ordered(ordered);
  };
  add(v1::BLOCK_TYPE_PARAGRAPH, "First & <best>");
  add(v1::BLOCK_TYPE_SUBHEADING, "Sub");
  add(v1::BLOCK_TYPE_LIST_ITEM, "a");
  add(v1::BLOCK_TYPE_LIST_ITEM, "b");
  add(v1::BLOCK_TYPE_LIST_ITEM, "1", true);
  add(v1::BLOCK_TYPE_BLOCK_QUOTE, "Quote");
  EXPECT_EQ(html::BlocksToHtml(a.body()),
            "<p>First &amp; &lt;best&gt;</p><h2>Sub</h2><ul><li>a</li><li>b</li></ul><ol><li>1</li></ol>"
            "<blockquote>Quote</blockquote>");
}

}  // namespace
}  // namespace copydesk::normalize
