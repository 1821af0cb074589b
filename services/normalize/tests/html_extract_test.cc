// The HTML decoder: typed body blocks, boilerplate removal, captions / pull quotes / media /
// related links kept out of the body, and page metadata.
#include <gtest/gtest.h>

#include <string>

#include "normalize/html/dom.h"
#include "normalize/html/meta.h"
#include "normalize/internal.h"
#include "normalize/normalize.h"

namespace copydesk::normalize {
namespace {

const char* kPage = R"HTML(<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>Storm closes ports along the coast | Example News</title>
<link rel="canonical" href="https://www.example.com/news/storm-ports?utm_source=twitter&amp;id=7#top">
<meta property="og:title" content="Storm closes ports along the coast">
<meta property="og:description" content="Ferries cancelled as winds reach 120km/h.">
<meta property="article:section" content="UK">
<script>var published = "2001-01-01T00:00:00Z"; var x = "<p>not text</p>";</script>
<script type="application/ld+json">
{"@context":"https://schema.org","@type":"NewsArticle","headline":"Storm closes ports along the coast",
 "datePublished":"2019-11-20T17:22:44+01:00","dateModified":"2019-11-21T08:00:00Z",
 "author":[{"@type":"Person","name":"Jane Doe"},{"@type":"Person","name":"John Smith"}]}
</script>
<script type="application/ld+json">
{"@context":"https://schema.org","@type":"BreadcrumbList","itemListElement":[
 {"@type":"ListItem","position":1,"name":"Home"},{"@type":"ListItem","position":2,"name":"News"},
 {"@type":"ListItem","position":3,"name":"UK"}]}
</script>
</head>
<body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li></ul></nav></header>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies?</div>
<main>
<article>
<h1>Storm closes ports along the coast</h1>
<p class="byline">By <a href="/jane">Jane Doe</a> and <a href="/john">John Smith</a>, Staff Writers</p>
<div class="share-bar"><a href="#">Share on Facebook</a> <a href="#">Share on Twitter</a></div>
<figure><img src="/img/storm.jpg" alt="Waves"><figcaption>Waves hit the harbour wall on Tuesday.</figcaption></figure>
<div class="article-body">
<p>DOVER (Reuters) - Ferries between England and France were cancelled on Wednesday as a storm brought winds of up to 120km/h to the coast, port officials said.</p>
<p>The port of Dover, the busiest ferry port in Europe, said it would stay closed until at least Thursday morning, leaving hundreds of lorries queueing on the motorway.</p>
<h2>Travel chaos</h2>
<p>Rail operators also cancelled dozens of services, and drivers were told to avoid the coast road, which was partly flooded at high tide.</p>
<aside class="pullquote"><blockquote><p>We have never seen waves like this in November.</p><cite>Harbour master Tom Brown</cite></blockquote></aside>
<ul><li>Ferries cancelled until Thursday</li><li>Rail services reduced on the coast line</li></ul>
<blockquote><p>Please do not travel unless your journey is essential, the police said in a statement.</p></blockquote>
<p>Forecasters expect the wind to ease by the weekend, although more rain is expected in the west.</p>
</div>
<div class="related-stories"><h3>Related stories</h3><ul>
<li><a href="/news/floods-2019">Floods hit northern towns after heavy rain</a></li>
<li><a href="https://www.example.com/news/wind-farm">Record output from offshore wind farms</a></li></ul></div>
<div class="newsletter-signup"><p>Sign up for our daily newsletter and get the news first, every morning in your inbox.</p></div>
</article>
</main>
<section class="comments"><p>Great article, thanks for writing it! I completely agree with everything you said here.</p></section>
<footer><p>Copyright Example News 2019. All rights reserved. Contact us for syndication and licensing.</p></footer>
</body></html>
)HTML";

v1::Article MustNormalize(const std::string& html, const std::string& url = "") {
  Metadata m;
  m.content_type = "text/html";
  m.url = url;
  auto r = Normalize(html, m);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().reason);
  return r.ok() ? r.value() : v1::Article{};
}

TEST(HtmlDecoder, ExtractsTypedBodyBlocksWithoutBoilerplate) {
  v1::Article a = MustNormalize(kPage);
  ASSERT_GE(a.body_size(), 7);
  EXPECT_EQ(a.body(0).type(), v1::BLOCK_TYPE_PARAGRAPH);
  EXPECT_EQ(a.body(0).text().rfind("DOVER (Reuters) - Ferries", 0), 0u);
  bool saw_subhead = false, saw_item = false, saw_quote = false;
  for (const auto& b : a.body()) {
    if (b.type() == v1::BLOCK_TYPE_SUBHEADING && b.text() == "Travel chaos") saw_subhead = true;
    if (b.type() == v1::BLOCK_TYPE_LIST_ITEM && b.text() == "Ferries cancelled until Thursday") {
      saw_item = true;
      EXPECT_FALSE(b.ordered());
    }
    if (b.type() == v1::BLOCK_TYPE_BLOCK_QUOTE && b.text().find("Please do not travel") == 0)
      saw_quote = true;
  }
  EXPECT_TRUE(saw_subhead);
  EXPECT_TRUE(saw_item);
  EXPECT_TRUE(saw_quote);
  const std::string& text = a.body_text();
  EXPECT_NE(text.find("Forecasters expect the wind"), std::string::npos);
  for (const char* junk :
       {"cookies", "Share on", "newsletter", "Great article", "Copyright", "Sport", "Floods hit", "Waves hit",
        "never seen waves", "Staff Writers", "not text", "Storm closes ports"}) {
    EXPECT_EQ(text.find(junk), std::string::npos) << junk;
  }
  EXPECT_EQ(a.body_text().find("\n\n"), a.body(0).text().size());
}

TEST(HtmlDecoder, KeepsCaptionsPullQuotesMediaAndRelatedOutOfTheBody) {
  v1::Article a = MustNormalize(kPage, "https://www.example.com/news/storm-ports");
  ASSERT_EQ(a.captions_size(), 1);
  EXPECT_EQ(a.captions(0).text(), "Waves hit the harbour wall on Tuesday.");
  EXPECT_EQ(a.captions(0).media_url(), "https://www.example.com/img/storm.jpg");
  ASSERT_EQ(a.pull_quotes_size(), 1);
  EXPECT_EQ(a.pull_quotes(0).text(), "We have never seen waves like this in November.");
  EXPECT_EQ(a.pull_quotes(0).attribution(), "Harbour master Tom Brown");
  ASSERT_GE(a.media_size(), 1);
  EXPECT_EQ(a.media(0).type(), "picture");
  EXPECT_EQ(a.media(0).url(), "https://www.example.com/img/storm.jpg");
  ASSERT_EQ(a.related_size(), 2);
  EXPECT_EQ(a.related(0).title(), "Floods hit northern towns after heavy rain");
  EXPECT_EQ(a.related(0).url(), "https://www.example.com/news/floods-2019");
}

TEST(HtmlDecoder, ExtractsMetadata) {
  v1::Article a = MustNormalize(kPage);
  EXPECT_EQ(a.headline(), "Storm closes ports along the coast");
  EXPECT_EQ(a.standfirst(), "Ferries cancelled as winds reach 120km/h.");
  ASSERT_EQ(a.authors_size(), 2);
  EXPECT_EQ(a.authors(0).name(), "Jane Doe");
  EXPECT_EQ(a.authors(1).name(), "John Smith");
  EXPECT_EQ(a.byline(), "Jane Doe, John Smith");
  // 17:22:44+01:00 is 16:22:44 UTC; the date in the plain <script> is ignored.
  EXPECT_EQ(a.firstcreated().seconds(), 1574266964);
  EXPECT_EQ(a.versioncreated().seconds(), 1574323200);
  EXPECT_EQ(a.language(), "en");
  ASSERT_EQ(a.section_path_size(), 2);
  EXPECT_EQ(a.section_path(0), "News");
  EXPECT_EQ(a.section_path(1), "UK");
  EXPECT_EQ(a.canonical_url(), "https://www.example.com/news/storm-ports?id=7");
  EXPECT_EQ(a.located().city(), "Dover");
  EXPECT_EQ(a.located().dateline(), "DOVER (Reuters) -");
  EXPECT_EQ(a.provenance().charset(), "utf-8");
  EXPECT_EQ(a.provenance().format(), "html");
}

TEST(HtmlDecoder, VisibleBylineAndDatelineWhenNoStructuredData) {
  const std::string html = R"(<html><head><title>Minister resigns</title></head><body>
<div id="content"><h1>Minister resigns</h1>
<div class="byline">By Mary Jones, Political Correspondent | Email the author</div>
<span class="date">Thursday, 15 November, 2001, 18:38 GMT</span>
<p>The minister resigned on Thursday evening after weeks of pressure over the handling of the rail crisis, aides said.</p>
<p>His departure leaves the prime minister with a difficult reshuffle only months before the election campaign begins.</p>
</div></body></html>)";
  v1::Article a = MustNormalize(html);
  EXPECT_EQ(a.headline(), "Minister resigns");
  ASSERT_EQ(a.authors_size(), 1);
  EXPECT_EQ(a.authors(0).name(), "Mary Jones");
  EXPECT_EQ(a.firstcreated().seconds(), 1005849480);  // 2001-11-15T18:38:00Z
}

TEST(HtmlDecoder, OpenGraphTimesAndTimeElement) {
  const std::string html = R"(<html><head>
<meta property="article:published_time" content="2019-11-18T10:00:00-05:00">
</head><body><article><h1>Title here</h1><time datetime="2018-01-01T00:00:00Z">Jan 1</time>
<p>A long enough paragraph of text to be taken as the body of this small article, with a comma, too.</p></article></body></html>)";
  v1::Article a = MustNormalize(html);
  EXPECT_EQ(a.firstcreated().seconds(), 1574089200);  // 15:00 UTC
  const std::string html2 =
      R"(<html><body><article><h1>Title here</h1><time datetime="2018-01-02T03:04:05Z">Jan 2</time>
<p>A long enough paragraph of text to be taken as the body of this small article, with a comma, too.</p></article></body></html>)";
  EXPECT_EQ(MustNormalize(html2).firstcreated().seconds(), 1514862245);
}

TEST(ParseDateTime, Formats) {
  int64_t s = 0;
  bool date_only = false;
  ASSERT_TRUE(html::ParseDateTime("2019-11-20T17:22:44Z", "", &s));
  EXPECT_EQ(s, 1574270564);
  ASSERT_TRUE(html::ParseDateTime("2019-11-20T17:22:44.123-0500", "", &s));
  EXPECT_EQ(s, 1574288564);
  ASSERT_TRUE(html::ParseDateTime("Wed, 20 Nov 2019 17:22:44 GMT", "", &s));
  EXPECT_EQ(s, 1574270564);
  ASSERT_TRUE(html::ParseDateTime("Thursday, 15 November, 2001, 18:38 GMT", "", &s));
  EXPECT_EQ(s, 1005849480);
  ASSERT_TRUE(html::ParseDateTime("Nov. 20, 2019 5:22 p.m. ET", "", &s));
  EXPECT_EQ(s, 1574288520);  // EST in November: 22:22 UTC
  ASSERT_TRUE(html::ParseDateTime("November 20, 2019", "", &s, &date_only));
  EXPECT_TRUE(date_only);
  EXPECT_EQ(s, 1574208000);
  ASSERT_TRUE(html::ParseDateTime("2019年11月20日", "", &s));
  EXPECT_EQ(s, 1574208000);
  EXPECT_FALSE(html::ParseDateTime("no date here", "", &s));
  EXPECT_FALSE(html::ParseDateTime("", "", &s));
}

TEST(HtmlFragment, ExtractsEverythingThatIsNotBoilerplate) {
  v1::Article a;
  a.set_headline("Given headline");
  auto st = internal::ExtractHtmlFragment(
      "<p>First paragraph.</p><h3>Sub</h3><ol><li>One</li><li>Two</li></ol>"
      "<figure><img src=\"https://cdn.example.com/a.jpg\"><figcaption>A caption</figcaption></figure>"
      "<p>Second &amp; last<br>line.</p><script>alert(1)</script>",
      Limits{}, a);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(a.headline(), "Given headline");
  ASSERT_EQ(a.body_size(), 5);
  EXPECT_EQ(a.body(0).text(), "First paragraph.");
  EXPECT_EQ(a.body(1).type(), v1::BLOCK_TYPE_SUBHEADING);
  EXPECT_EQ(a.body(2).type(), v1::BLOCK_TYPE_LIST_ITEM);
  EXPECT_TRUE(a.body(2).ordered());
  EXPECT_EQ(a.body(4).text(), "Second & last\nline.");
  ASSERT_EQ(a.captions_size(), 1);
  EXPECT_EQ(a.captions(0).text(), "A caption");
  ASSERT_EQ(a.media_size(), 1);
}

TEST(HtmlDom, ImpliedEndTagsEntitiesAndRawText) {
  auto doc = html::Parse(
      "<p>one <p>two &eacute;&#233;&#x41;&nbsp;&bogus; &amp <li>x <li>y<script>if (a<b) {}</script>"
      "<style>p{}</style><textarea><p>no</p></textarea>",
      Limits{}, 0);
  ASSERT_TRUE(doc.ok());
  std::string all = doc->InnerText(0);
  EXPECT_EQ(all,
            "one two \xC3\xA9\xC3\xA9"
            "A &bogus; & x y");
  int ps = 0;
  for (const auto& n : doc->nodes) ps += n.tag == html::Tag::kP;
  EXPECT_EQ(ps, 2);
}

}  // namespace
}  // namespace copydesk::normalize
