#include "common/json.h"

#include <gtest/gtest.h>

#include <string>

namespace copydesk {
namespace {

TEST(JsonString, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(JsonString("a\"b\\c\nd\re\tf"), R"("a\"b\\c\nd\re\tf")");
  EXPECT_EQ(JsonString(std::string("x\x01y\x1f", 4)), R"("x\u0001y\u001f")");
  EXPECT_EQ(JsonString(std::string("nul\0end", 7)), R"("nul\u0000end")");
}

TEST(JsonString, KeepsValidUtf8AndEscapesLineSeparators) {
  EXPECT_EQ(JsonString("Zürich – 東京 🎉"), "\"Zürich – 東京 🎉\"");
  // U+2028 and U+2029 end lines in JavaScript: escaped.
  EXPECT_EQ(JsonString("a\xE2\x80\xA8"
                       "b\xE2\x80\xA9"),
            R"("a\u2028b\u2029")");
}

TEST(JsonString, ReplacesEveryInvalidSequenceWithReplacementCharacter) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(JsonString("p\xFF"), "\"p" + fffd + "\"");                                 // stray byte
  EXPECT_EQ(JsonString("\xC0\xAF"), "\"" + fffd + fffd + "\"");                        // overlong '/'
  EXPECT_EQ(JsonString("\xED\xA0\x80"), "\"" + fffd + fffd + fffd + "\"");             // surrogate U+D800
  EXPECT_EQ(JsonString("\xF4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"");  // > U+10FFFF
  EXPECT_EQ(JsonString("ab\xE2\x82"), "\"ab" + fffd + "\"");  // truncated: one maximal subpart
}

}  // namespace
}  // namespace copydesk
