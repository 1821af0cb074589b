// The final field pass: every string of the Article valid, control-free and bounded, every URL
// field canonical http(s) or empty, whatever the decoder, and counted in Diagnostics.
#include "normalize/field_pass.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "normalize/normalize.h"
#include "normalize/utf8.h"

namespace copydesk::normalize {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// A string literal with its NULs.
template <size_t N>
std::string Bytes(const char (&s)[N]) {
  return std::string(s, N - 1);
}

bool HasControl(std::string_view s, bool multiline) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t'))) || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9F) return true;  // C1
  }
  return false;
}

// Calls `fn` for every string value of `m` and its nested messages.
void ForEachString(const Message& m,
                   const std::function<void(const FieldDescriptor&, const std::string&)>& fn) {
  const auto* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) ForEachString(r->GetRepeatedMessage(m, f, i), fn);
      } else {
        ForEachString(r->GetMessage(m, f), fn);
      }
    } else if (f->type() == FieldDescriptor::TYPE_STRING) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) fn(*f, r->GetRepeatedString(m, f, i));
      } else {
        fn(*f, r->GetString(m, f));
      }
    }
  }
}

// Sets every string field of `m` (and of one element of each nested message) to `value`.
void FillEveryString(Message& m, const std::string& value) {
  const Descriptor* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->message_type()->full_name().rfind("google.protobuf.", 0) == 0) continue;
      FillEveryString(f->is_repeated() ? *r->AddMessage(&m, f) : *r->MutableMessage(&m, f), value);
    } else if (f->type() == FieldDescriptor::TYPE_STRING) {
      if (f->is_repeated()) {
        r->AddString(&m, f, value);
      } else {
        r->SetString(&m, f, value);
      }
    }
  }
}

bool IsUrlField(const FieldDescriptor& f) {
  const std::string& n = f.name();
  auto ends = [&](std::string_view s) {
    return n.size() >= s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0;
  };
  return n == "url" || n == "urls" || n == "href" || ends("_url") || ends("_urls") || ends("_href");
}

TEST(FieldPass, EveryStringFieldOfEveryMessageIsRepairedByReflection) {
  // Invalid UTF-8, a NUL, C0 and C1 controls, DEL and line breaks in every string field there is,
  // including fields added to the proto after this test was written.
  const std::string hostile = Bytes("ab\xFF\xC3(\0c\x01\x1B\x7F\xC2\x85\r\n\td") + std::string(300000, 'x');
  v1::Article a;
  FillEveryString(a, hostile);
  Diagnostics diag;
  SanitizeOptions opts;
  opts.input_bytes = 1000;
  ASSERT_TRUE(SanitizeArticle(a, opts, &diag).ok());
  int strings = 0;
  ForEachString(a, [&](const FieldDescriptor& f, const std::string& v) {
    ++strings;
    SCOPED_TRACE(f.full_name());
    EXPECT_TRUE(IsValidUtf8(v));
    const bool multiline = f.full_name() == "copydesk.v1.Article.body_text" ||
                           f.full_name() == "copydesk.v1.Article.body_html" ||
                           f.full_name() == "copydesk.v1.BodyBlock.text";
    // Paragraph fields (notes, rights, captions, descriptions) keep line breaks too, within the
    // paragraph bound.
    static const std::set<std::string> kParagraphs = {"copydesk.v1.Article.standfirst",
                                                      "copydesk.v1.Article.copyright_notice",
                                                      "copydesk.v1.Article.usage_terms",
                                                      "copydesk.v1.Article.ednote",
                                                      "copydesk.v1.Caption.text",
                                                      "copydesk.v1.Caption.secondary",
                                                      "copydesk.v1.PullQuote.text",
                                                      "copydesk.v1.MediaItem.description",
                                                      "copydesk.v1.MediaItem.copyright_notice",
                                                      "copydesk.v1.MediaItem.usage_terms",
                                                      "copydesk.v1.Description.value"};
    EXPECT_FALSE(HasControl(v, multiline || kParagraphs.count(std::string(f.full_name())) > 0));
    EXPECT_LE(v.size(), multiline ? std::max<size_t>(MaxBodyBytes(1000, 0), 4u << 20) : kMaxParagraphBytes);
    if (IsUrlField(f)) ADD_FAILURE() << "a URL field kept a non-URL";
  });
  EXPECT_GT(strings, 50);
  EXPECT_GT(diag.strings_repaired, 50u);
  EXPECT_GT(diag.strings_truncated, 50u);
  EXPECT_GE(diag.urls_dropped, 7u);
}

TEST(FieldPass, FieldClassesAndLineBreaks) {
  v1::Article a;
  a.set_headline(Bytes("Storm\r\n\tcloses\0 ports"));
  a.add_body()->set_text("line one\r\nline two\rline three\x0B.");
  a.set_body_html("<p>a</p>\r\n<p>b</p>");
  a.add_subjects()->set_scheme(std::string(1000, 's'));
  a.set_standfirst(std::string(100000, 'p'));
  a.add_keywords(std::string(5000, 'k'));
  // A code point is never cut in two.
  std::string euros;
  for (int i = 0; i < 1000; ++i) euros += "\xE2\x82\xAC";
  a.set_slugline(euros);
  Diagnostics diag;
  ASSERT_TRUE(SanitizeArticle(a, {}, &diag).ok());
  EXPECT_EQ(a.headline(), "Storm closes ports");
  EXPECT_EQ(a.body(0).text(), "line one\nline two\nline three .");
  EXPECT_EQ(a.body_html(), "<p>a</p>\n<p>b</p>");
  EXPECT_EQ(a.subjects(0).scheme().size(), kMaxLabelBytes);
  EXPECT_EQ(a.standfirst().size(), kMaxParagraphBytes);
  EXPECT_EQ(a.keywords(0).size(), kMaxLineBytes);
  EXPECT_EQ(a.slugline().size(), kMaxLineBytes - kMaxLineBytes % 3);
  EXPECT_TRUE(IsValidUtf8(a.slugline()));
  EXPECT_EQ(diag.strings_repaired, 3u);
  EXPECT_EQ(diag.strings_truncated, 4u);
}

TEST(FieldPass, UrlFieldsAreCanonicalOrDropped) {
  v1::Article a;
  a.set_canonical_url("HTTP://user:pw@Example.com:80/a/./b?utm_source=x#top");
  a.add_urls("https://example.com/x");
  a.add_urls("JavaScript:alert(1)");
  a.add_urls("https://EXAMPLE.com/x#again");
  a.add_urls("/relative");
  auto* m = a.add_media();
  m->set_url("DATA:image/png;base64,AAAA");
  m->add_renditions()->set_href("vbscript:msgbox");
  m->add_renditions()->set_href("https://cdn.example.com/i.jpg?w=1");
  a.add_related()->set_url("//example.org/rel");
  a.add_captions()->set_media_url(" file:///etc/passwd");
  a.add_renditions()->set_href("ftp://example.com/f");
  a.mutable_provenance()->set_source_url("https://example.com/src?fbclid=1");
  Diagnostics diag;
  ASSERT_TRUE(SanitizeArticle(a, {}, &diag).ok());
  EXPECT_EQ(a.canonical_url(), "http://example.com/a/b");
  ASSERT_EQ(a.urls_size(), 1);  // duplicates kept once, the rest dropped
  EXPECT_EQ(a.urls(0), "https://example.com/x");
  EXPECT_EQ(a.media(0).url(), "");
  EXPECT_EQ(a.media(0).renditions(0).href(), "");
  EXPECT_EQ(a.media(0).renditions(1).href(), "https://cdn.example.com/i.jpg?w=1");
  EXPECT_EQ(a.related(0).url(), "");
  EXPECT_EQ(a.captions(0).media_url(), "");
  EXPECT_EQ(a.renditions(0).href(), "");
  EXPECT_EQ(a.provenance().source_url(), "https://example.com/src");
  EXPECT_EQ(diag.urls_dropped, 7u);
}

TEST(FieldPass, DeadlineStopsThePass) {
  v1::Article a;
  for (int i = 0; i < 100000; ++i) a.add_keywords("k\x01");
  SanitizeOptions opts;
  opts.deadline_ns = 1;  // long past
  auto st = SanitizeArticle(a, opts, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, v1::ERROR_CODE_TIMEOUT);
}

Result<v1::Article> NormalizeAs(const std::string& bytes, const std::string& content_type,
                                Diagnostics* diag = nullptr) {
  Metadata m;
  m.content_type = content_type;
  return Normalize(bytes, m, {}, diag);
}

TEST(FieldPass, NoDecoderMakesAHugeHeadline) {
  const std::string words = [] {
    std::string s;
    while (s.size() < (2u << 20)) s += "word ";
    return s;
  }();
  Diagnostics diag;
  auto text = NormalizeAs(words, "text/plain", &diag);
  ASSERT_TRUE(text.ok()) << text.error().reason;
  EXPECT_LE(text->headline().size(), kMaxLineBytes);
  EXPECT_GE(diag.strings_truncated, 1u);
  auto ninjs = NormalizeAs("{\"headline\":\"" + words + "\",\"body_text\":\"x\"}", "application/ninjs+json");
  ASSERT_TRUE(ninjs.ok()) << ninjs.error().reason;
  EXPECT_LE(ninjs->headline().size(), kMaxLineBytes);
  auto page =
      NormalizeAs("<html><head><title>" + words + "</title></head><body><p>x</p></body></html>", "text/html");
  ASSERT_TRUE(page.ok()) << page.error().reason;
  EXPECT_LE(page->headline().size(), kMaxLineBytes);
  auto nitf =
      NormalizeAs("<nitf><body><body.head><hedline><hl1>" + words +
                      "</hl1></hedline></body.head><body.content><p>x</p></body.content></body></nitf>",
                  "application/nitf+xml");
  ASSERT_TRUE(nitf.ok()) << nitf.error().reason;
  EXPECT_LE(nitf->headline().size(), kMaxLineBytes);
}

TEST(FieldPass, NoNulSurvivesIntoHeadlineOrBody) {
  auto ninjs = NormalizeAs(
      "{\"headline\":\"Storm\\u0000 hits\",\"body_text\":\"First\\u0000 paragraph, \\u0007with words.\"}",
      "application/ninjs+json");
  ASSERT_TRUE(ninjs.ok()) << ninjs.error().reason;
  EXPECT_EQ(ninjs->headline(), "Storm hits");
  EXPECT_EQ(ninjs->body_text(), "First paragraph, with words.");
  auto text = NormalizeAs(Bytes("Storm\0 hits\n\nFirst\0 paragraph, with some words in it to be prose.\n"),
                          "text/plain");
  ASSERT_TRUE(text.ok()) << text.error().reason;
  EXPECT_EQ(text->headline().find('\0'), std::string::npos);
  EXPECT_EQ(text->body_text().find('\0'), std::string::npos);
  auto page = NormalizeAs(Bytes("<h1>Storm\0 hits</h1><p>First\0 paragraph, with words, more words.</p>"),
                          "text/html");
  ASSERT_TRUE(page.ok()) << page.error().reason;
  EXPECT_EQ(page->headline().find('\0'), std::string::npos);
  EXPECT_EQ(page->body_text().find('\0'), std::string::npos);
}

TEST(FieldPass, NormalizeFillsDiagnostics) {
  Metadata m;
  m.content_type = "application/ninjs+json";
  m.url = "javascript:alert(1)";
  Diagnostics diag;
  auto r = Normalize(
      "{\"headline\":\"A\\u0001B\",\"body_text\":\"x\",\"associations\":{\"p\":{\"type\":\"picture\","
      "\"renditions\":{\"o\":{\"href\":\"DATA:image/png,x\"}}}}}",
      m, {}, &diag);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r->headline(), "AB");
  EXPECT_EQ(r->provenance().source_url(), "");
  EXPECT_EQ(r->canonical_url(), "");
  EXPECT_GE(diag.strings_repaired, 1u);
  EXPECT_GE(diag.urls_dropped, 2u);  // the source URL and the picture
}

}  // namespace
}  // namespace copydesk::normalize
