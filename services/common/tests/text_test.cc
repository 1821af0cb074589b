#include "common/text.h"

#include <gtest/gtest.h>

namespace copydesk::text {
namespace {

TEST(Utf8, ValidAndInvalidSequences) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\xB0"));
  EXPECT_FALSE(IsValidUtf8("p\xFF"));             // never valid
  EXPECT_FALSE(IsValidUtf8("\x80"));              // stray continuation
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // beyond U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));          // truncated
}

TEST(Utf8, ToValidReplacesEachBadByte) {
  EXPECT_EQ(ToValidUtf8("p\xFFq"), "p\xEF\xBF\xBDq");
  EXPECT_EQ(ToValidUtf8("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(ToValidUtf8("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_TRUE(IsValidUtf8(ToValidUtf8(std::string("\x00\xC3\x28\xA0\xA1\xF0\x28\x8C\xBC", 9))));
}

TEST(Utf8, TruncateKeepsWholeCharacters) {
  EXPECT_EQ(TruncateUtf8("abc", 5), "abc");
  EXPECT_EQ(TruncateUtf8("ab\xE2\x82\xAC", 4), "ab");  // the euro sign does not fit
  EXPECT_EQ(TruncateUtf8("ab\xE2\x82\xAC", 5), "ab\xE2\x82\xAC");
}

TEST(Escape, TextCannotForgeALine) {
  const std::string forged = "text/html\n2026-01-01T00:00:00.000Z error ingest forged";
  const std::string out = Escaped(forged, EscapeStyle::kText);
  EXPECT_EQ(out.find('\n'), std::string::npos);
  EXPECT_EQ(out, "text/html\\n2026-01-01T00:00:00.000Z error ingest forged");
  EXPECT_EQ(Escaped("a\rb\tc\x1b[31m", EscapeStyle::kText), "a\\rb\\tc\\x1b[31m");
  EXPECT_EQ(Escaped("p\xFF", EscapeStyle::kText), "p\\xff");
  EXPECT_EQ(Escaped("back\\slash", EscapeStyle::kText), "back\\\\slash");
  // C1 controls and the Unicode line separators end lines in some viewers.
  EXPECT_EQ(Escaped("a\xC2\x85"
                    "b\xE2\x80\xA8",
                    EscapeStyle::kText),
            "a\\u{0085}b\\u{2028}");
  EXPECT_EQ(Escaped("caf\xC3\xA9", EscapeStyle::kText), "caf\xC3\xA9");
}

TEST(Escape, JsonIsAValidStringBody) {
  EXPECT_EQ(Escaped("say \"hi\"\n", EscapeStyle::kJson), "say \\\"hi\\\"\\n");
  EXPECT_EQ(Escaped(std::string("nul\0x", 5), EscapeStyle::kJson), "nul\\u0000x");
  // An invalid byte is written as visible text, not as a code point it never was.
  EXPECT_EQ(Escaped("p\xFF", EscapeStyle::kJson), "p\\\\xff");
  EXPECT_EQ(Escaped("\xE2\x80\xA9", EscapeStyle::kJson), "\\u2029");
}

}  // namespace
}  // namespace copydesk::text
