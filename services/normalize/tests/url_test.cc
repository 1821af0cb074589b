#include <gtest/gtest.h>

#include "normalize/internal.h"

namespace copydesk::normalize::internal {
namespace {

TEST(CanonicalizeUrl, RemovesTrackingFragmentAndDefaultPort) {
  EXPECT_EQ(CanonicalizeUrl("HTTPS://WWW.Example.COM:443/News/A?utm_source=x&id=3&fbclid=y#frag"),
            "https://www.example.com/News/A?id=3");
  EXPECT_EQ(CanonicalizeUrl("http://example.com:80"), "http://example.com/");
  EXPECT_EQ(CanonicalizeUrl("http://example.com:8080/a"), "http://example.com:8080/a");
  EXPECT_EQ(CanonicalizeUrl("  https://example.com/a?utm_medium=1&utm_campaign=2  "),
            "https://example.com/a");
  EXPECT_EQ(CanonicalizeUrl("https://example.com/a?gclid=1&page=2&ocid=3"), "https://example.com/a?page=2");
}

TEST(CanonicalizeUrl, RejectsNonHttp) {
  EXPECT_EQ(CanonicalizeUrl("ftp://example.com/a"), "");
  EXPECT_EQ(CanonicalizeUrl("/relative/path"), "");
  EXPECT_EQ(CanonicalizeUrl("javascript:alert(1)"), "");
  EXPECT_EQ(CanonicalizeUrl(""), "");
}

}  // namespace
}  // namespace copydesk::normalize::internal
