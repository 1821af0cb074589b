// Hostile HTML: deep nesting and slow documents turn into error codes, never crashes or hangs.
#include <gtest/gtest.h>

#include <string>

#include "normalize/internal.h"
#include "normalize/normalize.h"

namespace copydesk::normalize {
namespace {

std::string Nested(int depth, const char* tag) {
  std::string s = "<html><body>";
  for (int i = 0; i < depth; ++i) s += std::string("<") + tag + ">";
  s += "deep text";
  return s;
}

TEST(HtmlLimits, HundredThousandNestedTagsAreRejected) {
  Metadata m;
  m.content_type = "text/html";
  auto r = Normalize(Nested(100000, "div"), m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, v1::ERROR_CODE_NESTING_TOO_DEEP);
  auto r2 = Normalize(Nested(100000, "span"), m);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, v1::ERROR_CODE_NESTING_TOO_DEEP);
}

TEST(HtmlLimits, DeepNestingWithinAGenerousLimitDoesNotBlowTheStack) {
  Metadata m;
  m.content_type = "text/html";
  Limits limits;
  limits.max_depth = 200000;
  limits.max_millis = 0;
  auto r = Normalize(Nested(100000, "div") + " and some more words to make a paragraph, with commas, here.",
                     m, limits);
  if (r.ok()) {
    EXPECT_NE(r->body_text().find("deep text"), std::string::npos);
  } else {
    EXPECT_EQ(r.error().code, v1::ERROR_CODE_NESTING_TOO_DEEP);
  }
}

TEST(HtmlLimits, NestingWithinTheLimitIsFine) {
  Metadata m;
  m.content_type = "text/html";
  auto r = Normalize(
      "<title>Deep</title>" + Nested(400, "div") + ", a sentence long enough to be a paragraph.", m);
  ASSERT_TRUE(r.ok()) << r.error().reason;
}

TEST(HtmlLimits, ImplicitlyClosedElementsDoNotCountAsNesting) {
  std::string s = "<html><body><div>";
  for (int i = 0; i < 5000; ++i) s += "<p>paragraph number " + std::to_string(i) + ", with some text<li>item";
  Metadata m;
  m.content_type = "text/html";
  auto r = Normalize(s, m);
  ASSERT_TRUE(r.ok()) << r.error().reason;
}

TEST(HtmlLimits, TimeLimitIsCheckedCooperatively) {
  std::string s = "<html><body>";
  s.reserve(8 << 20);
  while (s.size() < (8u << 20)) s += "<div class=\"a\"><p>Some text, more text, and more.</p></div>";
  Metadata m;
  m.content_type = "text/html";
  Limits limits;
  limits.max_millis = 1;
  auto r = Normalize(s, m, limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, v1::ERROR_CODE_TIMEOUT);
}

TEST(HtmlLimits, TruncatedAndGarbageInputDoesNotCrash) {
  Metadata m;
  m.content_type = "text/html";
  for (const char* s :
       {"<", "<a", "<a href=\"x", "<!--", "<![CDATA[", "</", "<p>&#xFFFFFFFF;&#0;&", "<script>",
        "<svg><path/><title>t</title>", "\xFF\xFE<\x00p\x00>", "<table><td><tr><th></table></td>"}) {
    auto r = Normalize(std::string(s), m);
    (void)r;
  }
  SUCCEED();
}

}  // namespace
}  // namespace copydesk::normalize
