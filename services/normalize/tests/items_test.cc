// NormalizeItems: every item of a multi-item input (RSS 2.0 and Atom feeds, NewsML-G2
// newsMessage) becomes its own Item, in input order; the limits on items and time produce items
// with errors of their own, never fewer items.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "normalize/normalize.h"
#include "normalize/tests/fixtures.h"

namespace copydesk::normalize {
namespace {

using testing::ReadFormatFixture;

std::string Two(int n) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", n);
  return buf;
}

Result<std::vector<Item>> Items(const std::string& fixture, const std::string& content_type,
                                const Limits& limits = {}) {
  std::string bytes = ReadFormatFixture(fixture);
  EXPECT_FALSE(bytes.empty()) << fixture;
  Metadata meta;
  meta.content_type = content_type;
  meta.url = "https://feeds.example/latest.xml";
  meta.guid = "whole-input-guid";
  meta.event_id = "evt-1";
  return NormalizeItems(bytes, meta, limits);
}

TEST(NormalizeItems, RssFeedOfFiftyItemsYieldsFiftyArticles) {
  auto r = Items("rss-feed-50-items.rss.xml", "application/rss+xml");
  ASSERT_TRUE(r.ok()) << r.error().reason;
  ASSERT_EQ(r->size(), 50u);
  const std::string topics[5][2] = {{"harbour", "Ferry timetable changes for the summer season"},
                                    {"council", "Council approves new cycle lanes"},
                                    {"weather", "Storm warning issued for the coast"},
                                    {"schools", "New primary school opens its doors"},
                                    {"sport", "Rowing club wins regional title"}};
  const std::string towns[10] = {"Portmere", "Ashby",   "Calder", "Dunmore",   "Elston",
                                 "Fairholt", "Glenrae", "Hollin", "Ivybridge", "Kestle"};
  for (int i = 0; i < 50; ++i) {
    SCOPED_TRACE("item " + std::to_string(i));
    const Item& it = (*r)[static_cast<size_t>(i)];
    const int n = i + 1;
    EXPECT_EQ(it.index, static_cast<uint32_t>(i));
    const std::string link = "https://www.harbourgazette.example/" + topics[i % 5][0] + "/story-" + Two(n);
    std::string guid;
    if (i % 10 == 9) {
      guid = link + "?utm_source=rss";  // no <guid>: the link identifies the item
    } else if (i % 3 == 0) {
      guid = "https://www.harbourgazette.example/p/" + Two(n);
    } else {
      guid = "hg-2024-05-14-" + Two(n);
    }
    EXPECT_EQ(it.guid, guid);
    // The item's own bytes: a standalone <item> document that decodes to the same item.
    EXPECT_NE(it.bytes.find("<item"), std::string::npos);
    EXPECT_EQ(it.bytes.find("<channel>"), std::string::npos);
    EXPECT_NE(it.bytes.find("story-" + Two(n)), std::string::npos);
    ASSERT_TRUE(it.article.ok()) << it.article.error().reason;
    const v1::Article& a = it.article.value();
    EXPECT_EQ(a.headline(), topics[i % 5][1] + " in " + towns[i % 10] + " (" + std::to_string(n) + ")");
    EXPECT_EQ(a.provenance().guid(), guid);  // the input's guid header is the feed's, not the item's
    EXPECT_EQ(a.provenance().item_index(), static_cast<uint32_t>(i));
    EXPECT_EQ(a.provenance().item_count(), 50u);
    EXPECT_EQ(a.provenance().event_id(), "evt-1");
    EXPECT_EQ(a.provenance().source_url(), "https://feeds.example/latest.xml");
    EXPECT_EQ(a.provenance().format(), "rss");
    EXPECT_EQ(a.provenance().provider(), "Harbour Gazette - Latest");  // from the channel
    EXPECT_EQ(a.canonical_url(), link);                                // tracking parameter removed
    EXPECT_EQ(a.language(), "en-gb");                                  // from the channel
    EXPECT_EQ(a.copyright_notice(), "Copyright 2024 Harbour Gazette Ltd");
    // 2024-05-14T17:50:00Z, then 17 minutes earlier per item.
    EXPECT_EQ(a.firstcreated().seconds(), 1715709000 - 17 * 60 * i);
    EXPECT_EQ(a.byline(), (i % 2 == 0 ? "Reporter " : "Desk Writer ") + Two(n));
    EXPECT_EQ(a.body_text(),
              "Story " + std::to_string(n) + " from " + towns[i % 10] + ": " +
                  std::string(1, static_cast<char>(std::tolower(topics[i % 5][1][0]))) +
                  topics[i % 5][1].substr(1) + ", officials said on Tuesday.\n\nResidents of " +
                  towns[i % 10] +
                  " will be told more at a public meeting next week, the Gazette understands.");
    const bool enclosure = i % 5 == 2;
    ASSERT_EQ(a.media_size(), enclosure ? 1 : 0);
    if (enclosure) {
      EXPECT_EQ(a.media(0).url(), "https://media.harbourgazette.example/" + Two(n) + ".jpg");
      EXPECT_EQ(a.media(0).type(), "picture");
    }
  }
}

TEST(NormalizeItems, AnItemsBytesDecodeToTheSameItemAlone) {
  auto r = Items("rss-feed-50-items.rss.xml", "application/rss+xml");
  ASSERT_TRUE(r.ok());
  const Item& it = (*r)[7];
  Metadata meta;
  meta.content_type = "application/rss+xml";
  auto alone = NormalizeItems(it.bytes, meta);
  ASSERT_TRUE(alone.ok()) << alone.error().reason;
  ASSERT_EQ(alone->size(), 1u);
  EXPECT_TRUE(alone->front().bytes.empty());  // a bare item is the whole input
  ASSERT_TRUE(alone->front().article.ok());
  EXPECT_EQ(alone->front().article->headline(), it.article->headline());
  EXPECT_EQ(alone->front().article->body_text(), it.article->body_text());
  EXPECT_EQ(alone->front().article->provenance().item_count(), 0u);
}

TEST(NormalizeItems, AtomFeedEntriesEachKeepTheirOwnFields) {
  auto r = Items("atom-feed-4-entries.atom.xml", "application/atom+xml");
  ASSERT_TRUE(r.ok()) << r.error().reason;
  ASSERT_EQ(r->size(), 4u);
  for (const Item& it : *r) {
    ASSERT_TRUE(it.article.ok()) << it.index << ": " << it.article.error().reason;
    EXPECT_EQ(it.article->provenance().item_count(), 4u);
    EXPECT_EQ(it.article->provenance().item_index(), it.index);
    EXPECT_EQ(it.article->provenance().format(), "atom");
    EXPECT_NE(it.bytes.find("<entry"), std::string::npos);
    EXPECT_NE(it.bytes.find("http://www.w3.org/2005/Atom"), std::string::npos);  // namespace declared
  }
  const v1::Article& otters = (*r)[0].article.value();
  EXPECT_EQ((*r)[0].guid, "tag:valleytimes.example,2024:science/otters-return");
  EXPECT_EQ(otters.headline(), "River otters return to the upper valley after forty years");
  // A relative link resolved against the feed's xml:base.
  EXPECT_EQ(otters.canonical_url(), "https://valleytimes.example/science/2024/09/03/otters-return");
  EXPECT_EQ(otters.firstcreated().seconds(), 1725346800);    // 2024-09-03T09:00:00+02:00
  EXPECT_EQ(otters.versioncreated().seconds(), 1725355800);  // 11:30+02:00
  EXPECT_EQ(otters.byline(), "Hanna Lind");
  EXPECT_EQ(otters.language(), "en-US");  // the feed's xml:lang
  EXPECT_EQ(otters.copyright_notice(), "Copyright (c) 2024 Valley Times Media");
  EXPECT_EQ(otters.standfirst(), "Otters have been seen on the upper river for the first time since 1984.");
  EXPECT_NE(otters.body_text().find("Volunteers counted tracks at six sites"), std::string::npos);
  ASSERT_EQ(otters.media_size(), 1);
  EXPECT_EQ(otters.media(0).url(), "https://img.valleytimes.example/otter.jpg");
  EXPECT_EQ(otters.provenance().provider(), "Valley Times: Science and Environment");

  const v1::Article& glacier = (*r)[1].article.value();
  EXPECT_EQ(glacier.headline(), "Gletscher im Tal schrumpft schneller als erwartet");
  EXPECT_EQ(glacier.language(), "de");  // the entry's own xml:lang
  EXPECT_EQ(glacier.canonical_url(), "https://valleytimes.example/de/wissen/gletscher");
  EXPECT_EQ(glacier.firstcreated().seconds(), 1725285600);   // no <published>: <updated>
  EXPECT_EQ(glacier.byline(), "Valley Times Science Desk");  // the feed's author
  EXPECT_NE(glacier.body_text().find("38 Metern"), std::string::npos);

  const v1::Article& stars = (*r)[2].article.value();
  EXPECT_EQ(stars.canonical_url(), "https://valleytimes.example/science/2024/09/01/variable-stars");
  EXPECT_EQ(stars.byline(), "Omar Haddad");
  ASSERT_EQ(stars.authors_size(), 2);
  EXPECT_EQ(stars.authors(1).role(), "contributor");
  ASSERT_EQ(stars.related_size(), 1);
  EXPECT_EQ(stars.related(0).title(), "The observatory opens");
  EXPECT_EQ(stars.body_size(), 2);

  const v1::Article& drought = (*r)[3].article.value();
  EXPECT_EQ((*r)[3].guid, "urn:uuid:6f1c2a7e-3f7d-4c1e-9a55-2d8b4e0c9a11");
  EXPECT_EQ(drought.provenance().provider(), "Weather Wire");  // the entry's <source>
  EXPECT_EQ(drought.canonical_url(), "");  // no link, and the feed's URL is not the entry's
  EXPECT_EQ(
      drought.body_text(),
      "Rainfall over the weekend ended a ten-week dry spell across the valley, the weather service said.");
}

TEST(NormalizeItems, NewsMessageYieldsEveryNewsItemAndThePackage) {
  auto r = Items("g2-newsmessage-storm.g2.xml", "application/vnd.iptc.g2.newsmessage+xml");
  ASSERT_TRUE(r.ok()) << r.error().reason;
  ASSERT_EQ(r->size(), 4u);
  const char* guids[] = {"urn:newsml:northwire.example:20241009:storm-text",
                         "urn:newsml:northwire.example:20241009:storm-picture",
                         "urn:newsml:northwire.example:20241009:storm-package",
                         "urn:newsml:northwire.example:20241009:storm-sidebar"};
  const char* types[] = {"text", "picture", "composite", "text"};
  for (size_t i = 0; i < 4; ++i) {
    const Item& it = (*r)[i];
    ASSERT_TRUE(it.article.ok()) << i << ": " << it.article.error().reason;
    EXPECT_EQ(it.guid, guids[i]);
    EXPECT_EQ(it.article->provenance().guid(), guids[i]);
    EXPECT_EQ(it.article->type(), types[i]);
    EXPECT_EQ(it.article->provenance().item_index(), i);
    EXPECT_EQ(it.article->provenance().item_count(), 4u);
    EXPECT_EQ(it.article->provenance().provider(), "Northwire");
    EXPECT_NE(it.bytes.find("http://iptc.org/std/nar/2006-10-01/"), std::string::npos);
    EXPECT_EQ(it.bytes.find("<header>"), std::string::npos);
  }
  const v1::Article& text = (*r)[0].article.value();
  EXPECT_EQ(text.headline(), "Storm Ciara brings floods and power cuts to southern England");
  EXPECT_EQ(text.provenance().provider_version(), "3");
  EXPECT_NE(text.body_text().find("Two people died"), std::string::npos);
  const v1::Article& pic = (*r)[1].article.value();
  EXPECT_EQ(pic.headline(), "Fallen tree on a road in Brighton");
  const v1::Article& pkg = (*r)[2].article.value();
  EXPECT_EQ(pkg.headline(), "Storm Ciara: story and picture");
  ASSERT_EQ(pkg.media_size(), 2);
  EXPECT_EQ(pkg.media(0).uri(), guids[0]);
  EXPECT_EQ(pkg.media(0).type(), "text");
  EXPECT_EQ(pkg.media(0).role(), "main");
  EXPECT_EQ(pkg.media(1).uri(), guids[1]);
  EXPECT_EQ(pkg.media(1).type(), "picture");
  EXPECT_EQ(pkg.media(1).role(), "pictures");
  EXPECT_EQ(pkg.media(1).description(), "A fallen tree blocks a road in Brighton.");
  const v1::Article& side = (*r)[3].article.value();
  EXPECT_EQ(side.headline(), "How storms are named");
  EXPECT_EQ(side.body_size(), 2);
}

TEST(NormalizeItems, ItemsPastTheLimitAreEachRejectedNotDropped) {
  Limits limits;
  limits.max_items = 20;
  auto r = Items("rss-feed-50-items.rss.xml", "application/rss+xml", limits);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 50u);
  for (const Item& it : *r) {
    if (it.index < 20) {
      EXPECT_TRUE(it.article.ok()) << it.index;
    } else {
      ASSERT_FALSE(it.article.ok()) << it.index;
      EXPECT_EQ(it.article.error().code, v1::ERROR_CODE_TOO_MANY_ITEMS);
      EXPECT_FALSE(it.guid.empty());
      EXPECT_NE(it.bytes.find("<item"), std::string::npos);  // for its dead letter
    }
  }
}

TEST(NormalizeItems, AFailingItemDoesNotStopTheOthers) {
  const std::string feed =
      "<rss version=\"2.0\"><channel><title>T</title>"
      "<item><guid>a</guid><title>First story</title><description>Body one.</description></item>"
      "<item><guid>b</guid></item>"
      "<item><guid>c</guid><title>Third story</title><description>Body three.</description></item>"
      "</channel></rss>";
  Metadata meta;
  meta.content_type = "application/rss+xml";
  auto r = NormalizeItems(feed, meta);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_TRUE((*r)[0].article.ok());
  ASSERT_FALSE((*r)[1].article.ok());
  EXPECT_EQ((*r)[1].article.error().code, v1::ERROR_CODE_NO_CONTENT);
  EXPECT_EQ((*r)[1].guid, "b");
  EXPECT_NE((*r)[1].bytes.find("<guid>b</guid>"), std::string::npos);
  ASSERT_TRUE((*r)[2].article.ok());
  EXPECT_EQ((*r)[2].article->headline(), "Third story");
  // Normalize() of a multi-item input points to NormalizeItems rather than keep one item.
  auto one = Normalize(feed, meta);
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.error().code, v1::ERROR_CODE_TOO_MANY_ITEMS);
}

TEST(NormalizeItems, TheTimeLimitBoundsTheWholeInput) {
  // Items with large embedded bodies; a 1 ms limit for the whole input cannot cover them all.
  std::string feed = "<rss version=\"2.0\"><channel><title>T</title>";
  std::string para;
  for (int k = 0; k < 400; ++k)
    para += "&lt;p&gt;Paragraph " + std::to_string(k) + " of a long story.&lt;/p&gt;";
  for (int i = 0; i < 200; ++i) {
    feed += "<item><guid>g" + std::to_string(i) + "</guid><title>Story " + std::to_string(i) +
            "</title><description>" + para + "</description></item>";
  }
  feed += "</channel></rss>";
  Metadata meta;
  meta.content_type = "application/rss+xml";
  Limits limits;
  limits.max_millis = 1;
  auto r = NormalizeItems(feed, meta, limits);
  if (!r.ok()) {
    // The parse of the container itself is bounded by the same limit.
    EXPECT_EQ(r.error().code, v1::ERROR_CODE_TIMEOUT) << r.error().reason;
    return;
  }
  ASSERT_EQ(r->size(), 200u);
  size_t timed_out = 0;
  for (const Item& it : *r) {
    if (!it.article.ok()) {
      EXPECT_EQ(it.article.error().code, v1::ERROR_CODE_TIMEOUT);
      ++timed_out;
    }
  }
  EXPECT_GT(timed_out, 0u);
  EXPECT_TRUE(r->back().article.ok() == false);
}

TEST(NormalizeItems, EmptyFeedAndSingleItemFormats) {
  Metadata meta;
  meta.content_type = "application/rss+xml";
  auto empty = NormalizeItems("<rss version=\"2.0\"><channel><title>T</title></channel></rss>", meta);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, v1::ERROR_CODE_NO_CONTENT);
  meta.content_type = "text/plain";
  auto text = NormalizeItems("A headline\n\nA body paragraph that is long enough.\n", meta);
  ASSERT_TRUE(text.ok());
  ASSERT_EQ(text->size(), 1u);
  EXPECT_TRUE(text->front().bytes.empty());
  EXPECT_EQ(text->front().article->provenance().item_count(), 0u);
}

}  // namespace
}  // namespace copydesk::normalize
