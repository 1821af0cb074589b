// Canonical URLs: cases from the WHATWG URL Standard's tests (urltestdata.json) that apply to an
// http(s) URL, with the canonical form's own rules on top (no credentials, fragment or tracking
// parameters; RFC 3986 percent-encoding normalization).
#include "normalize/url.h"

#include <gtest/gtest.h>

#include <string>

#include "normalize/internal.h"

namespace copydesk::normalize {
namespace {

TEST(CanonicalUrl, RemovesTrackingFragmentAndDefaultPort) {
  EXPECT_EQ(CanonicalUrl("HTTPS://WWW.Example.COM:443/News/A?utm_source=x&id=3&fbclid=y#frag"),
            "https://www.example.com/News/A?id=3");
  EXPECT_EQ(CanonicalUrl("http://example.com:80"), "http://example.com/");
  EXPECT_EQ(CanonicalUrl("http://example.com:8080/a"), "http://example.com:8080/a");
  EXPECT_EQ(CanonicalUrl("http://example.com:443/a"), "http://example.com:443/a");
  EXPECT_EQ(CanonicalUrl("  https://example.com/a?utm_medium=1&utm_campaign=2  "), "https://example.com/a");
  EXPECT_EQ(CanonicalUrl("https://example.com/a?gclid=1&page=2&ocid=3"), "https://example.com/a?page=2");
  EXPECT_EQ(CanonicalUrl("https://example.com/a?UTM_Source=x&b=%75tm"), "https://example.com/a?b=utm");
}

TEST(CanonicalUrl, DropsCredentials) {
  EXPECT_EQ(CanonicalUrl("http://user:pass@foo:21/bar;par?b#c"), "http://foo:21/bar;par?b");
  EXPECT_EQ(CanonicalUrl("http://@www.example.com"), "http://www.example.com/");
  EXPECT_EQ(CanonicalUrl("http://:@www.example.com"), "http://www.example.com/");
  EXPECT_EQ(CanonicalUrl("http://a:b@c@www.example.com/x"), "http://www.example.com/x");
  EXPECT_EQ(CanonicalUrl("http://user@/www.example.com"), "");  // the host is empty
}

TEST(CanonicalUrl, WhatwgPreprocessingAndSlashes) {
  EXPECT_EQ(CanonicalUrl("http://example\t.\norg"), "http://example.org/");
  EXPECT_EQ(CanonicalUrl("\x01 http://example.com/ \x1F"), "http://example.com/");
  EXPECT_EQ(CanonicalUrl("http:\\\\www.google.com\\foo"), "http://www.google.com/foo");
  EXPECT_EQ(CanonicalUrl("http:/example.com/"), "http://example.com/");
  EXPECT_EQ(CanonicalUrl("http:example.com/"), "http://example.com/");
  EXPECT_EQ(CanonicalUrl("http:///example.com/a"), "http://example.com/a");
  EXPECT_EQ(CanonicalUrl("http://www.google.com/foo?bar=baz#"), "http://www.google.com/foo?bar=baz");
  EXPECT_EQ(CanonicalUrl("http://www.google.com/foo?bar=baz# \xC2\xBB"), "http://www.google.com/foo?bar=baz");
  EXPECT_EQ(CanonicalUrl("https://x/?#\x00y"), "https://x/");
}

TEST(CanonicalUrl, DotSegments) {
  EXPECT_EQ(CanonicalUrl("http://example.com/foo/bar/../ton/../../a"), "http://example.com/a");
  EXPECT_EQ(CanonicalUrl("http://example.com/foo/./bar/."), "http://example.com/foo/bar/");
  EXPECT_EQ(CanonicalUrl("http://example.com/foo/.."), "http://example.com/");
  EXPECT_EQ(CanonicalUrl("http://example.com/../../x"), "http://example.com/x");
  EXPECT_EQ(CanonicalUrl("http://example.com/foo/%2e"), "http://example.com/foo/");
  EXPECT_EQ(CanonicalUrl("http://example.com/foo/%2E%2e/bar"), "http://example.com/bar");
  EXPECT_EQ(CanonicalUrl("http://example.com/foo/%2e./%2e%2e/.%2e/%2e.bar"), "http://example.com/..bar");
}

TEST(CanonicalUrl, PercentEncoding) {
  EXPECT_EQ(CanonicalUrl("http://example.com/foo bar"), "http://example.com/foo%20bar");
  EXPECT_EQ(CanonicalUrl("http://example.com/\xE4\xBD\xA0\xE5\xA5\xBD"),
            "http://example.com/%E4%BD%A0%E5%A5%BD");
  EXPECT_EQ(CanonicalUrl("http://example.com/foo\t\xC2\x91%91"), "http://example.com/foo%C2%91%91");
  EXPECT_EQ(CanonicalUrl("http://example.com/(%28:%3A%29)"), "http://example.com/(%28:%3A%29)");
  // Hex digits in upper case; unreserved characters decoded (RFC 3986 6.2.2).
  EXPECT_EQ(CanonicalUrl("http://example.com/%3a%3c%7e%41?q=%7e%2f"), "http://example.com/%3A%3C~A?q=~%2F");
  EXPECT_EQ(CanonicalUrl("http://example.com/a\"b<c>d`e{f}g"),
            "http://example.com/a%22b%3Cc%3Ed%60e%7Bf%7Dg");
  EXPECT_EQ(CanonicalUrl("http://example.com/50%"), "http://example.com/50%25");
  EXPECT_EQ(CanonicalUrl("http://host/?'"), "http://host/?%27");
  EXPECT_EQ(CanonicalUrl(std::string("https://x/\0y", 12)), "https://x/%00y");
}

TEST(CanonicalUrl, Hosts) {
  EXPECT_EQ(CanonicalUrl("HTTP://EXAMPLE.COM/A"), "http://example.com/A");
  EXPECT_EQ(CanonicalUrl("https://fa\xC3\x9F.ExAmPlE/"), "https://xn--fa-hia.example/");
  EXPECT_EQ(CanonicalUrl("http://www.b\xC3\xBC"
                         "cher.de/x"),
            "http://www.xn--bcher-kva.de/x");
  EXPECT_EQ(CanonicalUrl("http://www.xn--bcher-kva.de/x"), "http://www.xn--bcher-kva.de/x");
  EXPECT_EQ(CanonicalUrl("http://%77%77%77.example.com/"), "http://www.example.com/");
  // Full-width "0Xc0.0250.01" maps (UTS #46) to an IPv4 address.
  EXPECT_EQ(CanonicalUrl(
                "http://\xEF\xBC\x90\xEF\xBC\xB8\xEF\xBD\x83\xEF\xBC\x90\xEF\xBC\x8E\xEF\xBC\x90\xEF\xBC\x92"
                "\xEF\xBC\x95\xEF\xBC\x90\xEF\xBC\x8E\xEF\xBC\x90\xEF\xBC\x91"),
            "http://192.168.0.1/");
  EXPECT_EQ(CanonicalUrl("http://a.b.c.xn--pokxncvks"), "");                       // invalid punycode
  EXPECT_EQ(CanonicalUrl("http://\xEF\xBC\x85\xEF\xBC\x94\xEF\xBC\x91.com"), "");  // full-width "%41"
  EXPECT_EQ(CanonicalUrl("http://ex ample.com/"), "");
  EXPECT_EQ(CanonicalUrl("http://exa<mple.com/"), "");
  EXPECT_EQ(CanonicalUrl("http://[www.google.com]/"), "");
  EXPECT_EQ(CanonicalUrl("http:///"), "");
  EXPECT_EQ(CanonicalUrl("http://"), "");
}

TEST(CanonicalUrl, IpAddresses) {
  EXPECT_EQ(CanonicalUrl("http://0x7f.1/"), "http://127.0.0.1/");
  EXPECT_EQ(CanonicalUrl("http://2130706433/"), "http://127.0.0.1/");
  EXPECT_EQ(CanonicalUrl("http://0177.0.0.01/"), "http://127.0.0.1/");
  EXPECT_EQ(CanonicalUrl("http://192.168.0.1./x"), "http://192.168.0.1/x");
  EXPECT_EQ(CanonicalUrl("http://192.168.0.257"), "");
  EXPECT_EQ(CanonicalUrl("http://256.256.256.256"), "");
  EXPECT_EQ(CanonicalUrl("http://10000000000"), "");
  EXPECT_EQ(CanonicalUrl("http://1.2.3.4.5"), "");
  EXPECT_EQ(CanonicalUrl("http://[1:0::]"), "http://[1::]/");
  EXPECT_EQ(CanonicalUrl("http://[::127.0.0.1]"), "http://[::7f00:1]/");
  EXPECT_EQ(CanonicalUrl("http://[0:0:0:0:0:0:13.1.68.3]"), "http://[::d01:4403]/");
  EXPECT_EQ(CanonicalUrl("http://[2001:DB8:0:0:1:0:0:1]:8080/"), "http://[2001:db8::1:0:0:1]:8080/");
  EXPECT_EQ(CanonicalUrl("http://[1:2:3:4:5:6:7:8:9]/"), "");
}

TEST(CanonicalUrl, Ports) {
  EXPECT_EQ(CanonicalUrl("http://f:00000000000000/c"), "http://f:0/c");
  EXPECT_EQ(CanonicalUrl("http://f:00000000000000000000080/c"), "http://f/c");
  EXPECT_EQ(CanonicalUrl("https://f:443/c"), "https://f/c");
  EXPECT_EQ(CanonicalUrl("http://f:/c"), "http://f/c");
  EXPECT_EQ(CanonicalUrl("http://f:b/c"), "");
  EXPECT_EQ(CanonicalUrl("http://f: /c"), "");
  EXPECT_EQ(CanonicalUrl("http://f:65536/c"), "");
  EXPECT_EQ(CanonicalUrl("http://f:999999/c"), "");
}

TEST(CanonicalUrl, OnlyHttpAndHttpsWhateverTheCase) {
  for (const char* bad :
       {"javascript:alert(1)", "JavaScript:alert(1)", "  JAVASCRIPT:alert(1)", "java\tscript:alert(1)",
        "DATA:text/html,<script>alert(1)</script>", "data:image/png;base64,AAAA", "vbscript:msgbox(1)",
        "VBScript:msgbox(1)", "file:///etc/passwd", "FILE://host/share", "ftp://example.com/a",
        "mailto:desk@example.com", "//example.com/a", "/relative/path", "relative", "", "http", "https:"}) {
    EXPECT_EQ(CanonicalUrl(bad), "") << bad;
  }
  EXPECT_EQ(CanonicalUrl("HtTpS://example.com"), "https://example.com/");
}

TEST(CanonicalUrl, IsIdempotent) {
  for (const char* url :
       {"HTTPS://WWW.Example.COM:443/News/A?utm_source=x&id=3#f", "http://example.com/foo bar/%7e?q='x'",
        "http://www.b\xC3\xBC"
        "cher.de/a/./b/../c",
        "http://[::127.0.0.1]:81/", "http://0x7f.1/x?y=%2f"}) {
    const std::string once = CanonicalUrl(url);
    ASSERT_FALSE(once.empty()) << url;
    EXPECT_EQ(CanonicalUrl(once), once) << url;
  }
}

TEST(ResolveUrl, RelativeReferences) {
  const std::string base = "http://example.com/a/b/c?q#f";
  EXPECT_EQ(ResolveUrl(base, "../d"), "http://example.com/a/d");
  EXPECT_EQ(ResolveUrl(base, "d e"), "http://example.com/a/b/d%20e");
  EXPECT_EQ(ResolveUrl(base, "/abs"), "http://example.com/abs");
  EXPECT_EQ(ResolveUrl(base, "?x=1"), "http://example.com/a/b/c?x=1");
  EXPECT_EQ(ResolveUrl(base, "#frag"), "http://example.com/a/b/c?q");
  EXPECT_EQ(ResolveUrl(base, ""), "http://example.com/a/b/c?q");
  EXPECT_EQ(ResolveUrl(base, "//cdn.example.org/i.jpg"), "http://cdn.example.org/i.jpg");
  EXPECT_EQ(ResolveUrl("https://example.com/", "\\\\cdn.example.org\\i.jpg"),
            "https://cdn.example.org/i.jpg");
  EXPECT_EQ(ResolveUrl(base, "HTTPS://Other.example/x"), "https://other.example/x");
  EXPECT_EQ(ResolveUrl(base, "javascript:alert(1)"), "");
  EXPECT_EQ(ResolveUrl(base, " JavaScript:alert(1)"), "");
  EXPECT_EQ(ResolveUrl("", "/relative"), "");
  EXPECT_EQ(ResolveUrl("", "https://example.com/x"), "https://example.com/x");
}

TEST(CanonicalUrl, InternalNameIsTheSameFunction) {
  EXPECT_EQ(internal::CanonicalizeUrl("HTTP://Example.com/a/../b"),
            CanonicalUrl("HTTP://Example.com/a/../b"));
}

}  // namespace
}  // namespace copydesk::normalize
