// Charset handling: a page in windows-1252, ISO-8859-1, Shift_JIS or GB2312 normalizes to the same
// text as its UTF-8 twin, declared (meta charset, http-equiv, content-type parameter), undeclared
// (detected) and wrongly declared.
#include "normalize/html/charset.h"

#include <gtest/gtest.h>
#include <unicode/ucnv.h>

#include <string>

#include "normalize/internal.h"
#include "normalize/normalize.h"

namespace copydesk::normalize {
namespace {

// Re-encodes UTF-8 text with ICU.
std::string Encode(const std::string& utf8, const char* charset) {
  UErrorCode status = U_ZERO_ERROR;
  std::string out(utf8.size() * 4 + 16, '\0');
  int32_t n = ucnv_convert(charset, "UTF-8", out.data(), static_cast<int32_t>(out.size()), utf8.data(),
                           static_cast<int32_t>(utf8.size()), &status);
  EXPECT_TRUE(U_SUCCESS(status)) << u_errorName(status);
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string Page(const std::string& head_decl, const std::string& title, const std::string& body) {
  return "<!DOCTYPE html><html><head>" + head_decl + "<title>" + title +
         "</title></head><body><article><h1>" + title + "</h1>" + body + "</article></body></html>";
}

const char* kFrenchTitle = "Le marché du café à Genève";
const char* kFrenchBody =
    "<p>Les négociants genevois ont annoncé mercredi une hausse des prix du café, après une récolte "
    "décevante au Brésil et en Éthiopie. « Nous n'avions pas vu cela depuis dix ans », a déclaré un "
    "responsable de la coopérative.</p>"
    "<p>Selon les économistes, la tendance devrait se prolonger jusqu'à l'été prochain, car les réserves "
    "mondiales sont au plus bas. Les torréfacteurs suisses étudient déjà des mélanges moins coûteux.</p>"
    "<p>Les consommateurs, eux, paieront en moyenne trois francs de plus par kilo dès le mois de "
    "février.</p>";

const char* kJapaneseTitle = "東京で記録的な大雪、交通機関に大きな乱れ";
const char* kJapaneseBody =
    "<p>気象庁によると、東京都心では十四日朝までに二十センチを超える積雪を観測し、観測史上まれに見る大雪と"
    "なった。首都高速道路は一部区間で通行止めとなり、鉄道各社も運転を見合わせた。</p>"
    "<p>都内の小学校の多くは臨時休校を決め、保護者には早めの帰宅を呼びかけた。専門家は、路面の凍結による"
    "転倒事故に十分注意するよう話している。</p>"
    "<p>雪は午後にはやむ見込みだが、交通の混乱は明日の朝まで続く可能性があるという。</p>";

const char* kChineseTitle = "北京发布今年首个空气污染橙色预警";
const char* kChineseBody =
    "<p>北京市空气重污染应急指挥部今天下午发布消息，由于不利气象条件持续，预计未来三天本市将出现一次空气"
    "重污染过程，决定启动橙色预警措施。</p>"
    "<p>预警期间，全市中小学和幼儿园将停止户外活动，部分工业企业实行停产限产，建筑工地停止土石方作业。"
    "专家提醒市民减少外出，老人和儿童尤其需要注意防护。</p>"
    "<p>气象部门表示，本周末随着冷空气到来，空气质量将逐步好转。</p>";

struct TwinResult {
  std::string headline, body, charset;
};

TwinResult NormalizeTwin(const std::string& bytes, const std::string& content_type = "text/html") {
  Metadata m;
  m.content_type = content_type;
  auto r = Normalize(bytes, m);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().reason);
  if (!r.ok()) return {};
  return {r->headline(), r->body_text(), r->provenance().charset()};
}

void ExpectTwins(const char* title, const char* body, const char* charset, const char* expected_used) {
  const std::string utf8_page = Page("<meta charset=\"utf-8\">", title, body);
  const TwinResult want = NormalizeTwin(utf8_page);
  ASSERT_FALSE(want.body.empty());
  EXPECT_EQ(want.headline, title);

  SCOPED_TRACE(charset);
  // Declared with <meta charset>.
  {
    auto got =
        NormalizeTwin(Encode(Page(std::string("<meta charset=\"") + charset + "\">", title, body), charset));
    EXPECT_EQ(got.body, want.body);
    EXPECT_EQ(got.headline, want.headline);
    EXPECT_EQ(got.charset, expected_used);
  }
  // Declared with http-equiv.
  {
    auto got = NormalizeTwin(Encode(
        Page(std::string("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=") + charset + "\">",
             title, body),
        charset));
    EXPECT_EQ(got.body, want.body);
    EXPECT_EQ(got.charset, expected_used);
  }
  // Declared only in the content type.
  {
    auto got =
        NormalizeTwin(Encode(Page("", title, body), charset), std::string("text/html; charset=") + charset);
    EXPECT_EQ(got.body, want.body);
    EXPECT_EQ(got.headline, want.headline);
  }
  // Undeclared: detected.
  {
    auto got = NormalizeTwin(Encode(Page("", title, body), charset));
    EXPECT_EQ(got.body, want.body);
    EXPECT_EQ(got.headline, want.headline);
  }
}

TEST(CharsetTwins, Windows1252) {
  ExpectTwins(kFrenchTitle, kFrenchBody, "windows-1252", "windows-1252");
}
TEST(CharsetTwins, Iso88591) {
  ExpectTwins(kFrenchTitle, kFrenchBody, "ISO-8859-1", "windows-1252");
}
TEST(CharsetTwins, ShiftJis) {
  ExpectTwins(kJapaneseTitle, kJapaneseBody, "Shift_JIS", "shift_jis");
}
TEST(CharsetTwins, Gb2312) {
  ExpectTwins(kChineseTitle, kChineseBody, "GB2312", "gb18030");
}

TEST(CharsetWrongDeclaration, Latin1DeclaredButUtf8) {
  const std::string utf8_page = Page("<meta charset=\"iso-8859-1\">", kFrenchTitle, kFrenchBody);
  auto got = NormalizeTwin(utf8_page);
  auto want = NormalizeTwin(Page("<meta charset=\"utf-8\">", kFrenchTitle, kFrenchBody));
  EXPECT_EQ(got.body, want.body);
  EXPECT_EQ(got.charset, "utf-8");
}

TEST(CharsetWrongDeclaration, Utf8DeclaredButWindows1252) {
  auto bytes = Encode(Page("<meta charset=\"utf-8\">", kFrenchTitle, kFrenchBody), "windows-1252");
  auto got = NormalizeTwin(bytes);
  auto want = NormalizeTwin(Page("<meta charset=\"utf-8\">", kFrenchTitle, kFrenchBody));
  EXPECT_EQ(got.body, want.body);
  EXPECT_NE(got.charset, "utf-8");
}

TEST(CharsetWrongDeclaration, Utf8DeclaredButShiftJis) {
  auto bytes = Encode(Page("<meta charset=\"utf-8\">", kJapaneseTitle, kJapaneseBody), "Shift_JIS");
  auto got = NormalizeTwin(bytes);
  auto want = NormalizeTwin(Page("<meta charset=\"utf-8\">", kJapaneseTitle, kJapaneseBody));
  EXPECT_EQ(got.body, want.body);
  EXPECT_EQ(got.charset, "shift_jis");
}

TEST(CharsetWrongDeclaration, ShiftJisDeclaredButGb2312) {
  auto bytes = Encode(Page("<meta charset=\"Shift_JIS\">", kChineseTitle, kChineseBody), "GB2312");
  auto got = NormalizeTwin(bytes);
  auto want = NormalizeTwin(Page("<meta charset=\"utf-8\">", kChineseTitle, kChineseBody));
  EXPECT_EQ(got.body, want.body);
  EXPECT_EQ(got.charset, "gb18030");
}

TEST(Charset, BomWinsOverDeclaration) {
  std::string page = "\xEF\xBB\xBF" + Page("<meta charset=\"windows-1252\">", kFrenchTitle, kFrenchBody);
  auto got = NormalizeTwin(page);
  auto want = NormalizeTwin(Page("<meta charset=\"utf-8\">", kFrenchTitle, kFrenchBody));
  EXPECT_EQ(got.body, want.body);
  EXPECT_EQ(got.charset, "utf-8");
}

TEST(Charset, OutputIsNfc) {
  // "é" written decomposed (e + U+0301) comes out precomposed.
  std::string page =
      Page("<meta charset=\"utf-8\">", "Caf\x65\xCC\x81 society",
           "<p>The cafe\xCC\x81 on the corner opened in 1901 and is still run by the same family, "
           "who serve coffee the old way.</p>");
  auto got = NormalizeTwin(page);
  EXPECT_EQ(got.headline, "Caf\xC3\xA9 society");
  EXPECT_NE(got.body.find("caf\xC3\xA9 on the corner"), std::string::npos);
}

TEST(SniffHtmlCharset, FindsDeclarations) {
  EXPECT_EQ(html::SniffHtmlCharset("<html><head><meta charset='Shift_JIS'>"), "shift_jis");
  EXPECT_EQ(
      html::SniffHtmlCharset("<meta http-equiv=\"content-type\" content=\"text/html; charset=gb2312\">"),
      "gb2312");
  EXPECT_EQ(html::SniffHtmlCharset("<!-- <meta charset=koi8-r> --><p>x</p>"), "");
  EXPECT_EQ(html::SniffHtmlCharset("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><html>"), "iso-8859-1");
  EXPECT_EQ(html::SniffHtmlCharset("\xEF\xBB\xBF<html>"), "utf-8");
}

TEST(ToUtf8, InvalidUtf8WithoutDeclarationStillYieldsValidUtf8) {
  std::string used;
  auto r = internal::ToUtf8("caf\xE9 cr\xE8me \xFF\xFE", "", &used);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->find("caf\xC3\xA9"), std::string::npos);
  EXPECT_FALSE(used.empty());
}

}  // namespace
}  // namespace copydesk::normalize
