#include "normalize/normalize.h"

#include <gtest/gtest.h>

#include "copydesk/v1/raw.pb.h"

namespace copydesk::normalize {
namespace {

TEST(FormatFromContentType, MapsKnownTypesAndIgnoresParameters) {
  EXPECT_EQ(FormatFromContentType("text/html; charset=utf-8"), Format::kHtml);
  EXPECT_EQ(FormatFromContentType("TEXT/PLAIN"), Format::kText);
  EXPECT_EQ(FormatFromContentType("application/ninjs+json"), Format::kNinjs);
  EXPECT_EQ(FormatFromContentType("application/nitf+xml"), Format::kNitf);
  EXPECT_EQ(FormatFromContentType("application/x-protobuf"), Format::kRawArticle);
  EXPECT_EQ(FormatFromContentType("image/png"), Format::kUnknown);
}

TEST(ContentTypeFromFileName, UsesTheExtension) {
  EXPECT_EQ(ContentTypeFromFileName("a/b.HTML"), "text/html");
  EXPECT_EQ(ContentTypeFromFileName("x.nitf.xml"), "application/nitf+xml");
  EXPECT_EQ(ContentTypeFromFileName("x.txt"), "text/plain");
  EXPECT_EQ(ContentTypeFromFileName("x.bin"), "");
}

TEST(Normalize, RejectsEmptyTooLargeAndUnknown) {
  Metadata m;
  m.content_type = "text/plain";
  EXPECT_EQ(Normalize("", m).error().code, v1::ERROR_CODE_EMPTY_VALUE);
  Limits small;
  small.max_bytes = 4;
  EXPECT_EQ(Normalize("hello world", m, small).error().code, v1::ERROR_CODE_VALUE_TOO_LARGE);
  m.content_type = "image/png";
  auto r = Normalize("abc", m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, v1::ERROR_CODE_UNKNOWN_CONTENT_TYPE);
  EXPECT_NE(r.error().reason.find("image/png"), std::string::npos);
}

TEST(Normalize, UnwrapsRawArticleAndKeepsEnvelopeIdentity) {
  v1::RawArticle raw;
  raw.set_content_type("text/plain");
  raw.set_body("A headline\n\nFirst paragraph of the story.\n");
  raw.set_provider("Example Wire");
  raw.set_guid("urn:example:1");
  raw.set_url("https://example.com/a?utm_source=x&id=3#frag");
  Metadata m;
  m.content_type = "application/x-protobuf";
  auto r = Normalize(raw.SerializeAsString(), m);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r->provenance().provider(), "Example Wire");
  EXPECT_EQ(r->provenance().guid(), "urn:example:1");
  EXPECT_EQ(r->canonical_url(), "https://example.com/a?id=3");
  EXPECT_FALSE(r->body_text().empty());
  EXPECT_EQ(r->provenance().normalizer_version(), kNormalizerVersion);
}

TEST(Normalize, RejectsTruncatedProtobuf) {
  v1::RawArticle raw;
  raw.set_content_type("text/plain");
  raw.set_body(std::string(200, 'x'));
  std::string bytes = raw.SerializeAsString();
  bytes.resize(bytes.size() / 2);
  Metadata m;
  m.content_type = "application/x-protobuf";
  auto r = Normalize(bytes, m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, v1::ERROR_CODE_MALFORMED_PROTOBUF);
}

}  // namespace
}  // namespace copydesk::normalize

namespace copydesk::normalize {
namespace {

TEST(Normalize, RejectsInvalidUtf8TextUnlessACharsetIsDeclared) {
  Metadata m;
  m.content_type = "text/plain";
  const std::string latin1 = "Caf\xe9 headline\n\nA paragraph about the caf\xe9.\n";
  auto r = Normalize(latin1, m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, v1::ERROR_CODE_INVALID_UTF8);
  m.content_type = "text/plain; charset=iso-8859-1";
  auto ok = Normalize(latin1, m);
  ASSERT_TRUE(ok.ok()) << ok.error().reason;
  EXPECT_NE(ok->body_text().find("caf\xc3\xa9"), std::string::npos);
}

}  // namespace
}  // namespace copydesk::normalize
