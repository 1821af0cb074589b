// Inputs that once crashed a decoder under the fuzzer (tests/fixtures/fuzz-regressions/): each
// must now give an Article or an error code, never a crash or an exception. The file extension
// picks the content type (.pb = a RawArticle envelope).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "normalize/normalize.h"

namespace copydesk::normalize {
namespace {

TEST(FuzzRegressions, EveryFormerCrashNormalizesOrFailsCleanly) {
  const std::filesystem::path dir =
      std::filesystem::path(COPYDESK_SOURCE_DIR) / "tests/fixtures/fuzz-regressions";
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Metadata m;
    m.content_type = ContentTypeFromFileName(e.path().string());
    ASSERT_FALSE(m.content_type.empty()) << e.path();
    auto r = Normalize(bytes, m);
    if (!r.ok()) {
      EXPECT_NE(r.error().code, v1::ERROR_CODE_UNSPECIFIED) << e.path();
    }
    ++n;
  }
  EXPECT_GT(n, 0);
}

}  // namespace
}  // namespace copydesk::normalize
