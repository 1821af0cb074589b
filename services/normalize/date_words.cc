#include "normalize/date_words.h"

#include <unicode/dtfmtsym.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <array>
#include <unordered_map>

#include "normalize/ascii.h"

namespace copydesk::normalize::internal {
namespace {

constexpr std::array<const char*, 12> kLocales = {"en", "de", "fr", "es", "it", "pt",
                                                  "nl", "sv", "da", "nb", "ru", "id"};

// Month abbreviations that are also common words in the languages read.
constexpr std::array<std::string_view, 4> kAmbiguous = {"out", "set", "ago", "des"};

struct Tables {
  std::unordered_map<std::string, MonthWord> months;
  std::unordered_map<std::string, bool> weekdays;
};

std::string WithoutDot(std::string s) {
  while (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// The ICU string in lower case, as UTF-8, and the same without combining marks.
void Forms(const icu::UnicodeString& name, std::string& folded, std::string& plain) {
  icu::UnicodeString lower(name);
  lower.toLower(icu::Locale::getRoot());
  folded.clear();
  lower.toUTF8String(folded);
  folded = WithoutDot(folded);
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  plain = folded;
  if (U_FAILURE(status) || nfd == nullptr) return;
  icu::UnicodeString decomposed = nfd->normalize(lower, status);
  if (U_FAILURE(status)) return;
  icu::UnicodeString stripped;
  for (int32_t i = 0; i < decomposed.length();) {
    const UChar32 c = decomposed.char32At(i);
    if (u_charType(c) != U_NON_SPACING_MARK) stripped.append(c);
    i += U16_LENGTH(c);
  }
  plain.clear();
  stripped.toUTF8String(plain);
  plain = WithoutDot(plain);
}

void AddMonth(Tables& t, const std::string& key, int month) {
  if (key.size() < 3) return;
  MonthWord w{month, false};
  for (auto a : kAmbiguous) w.ambiguous = w.ambiguous || key == a;
  t.months.emplace(key, w);  // the first language to name a form keeps it
}

Tables Build() {
  Tables t;
  std::string folded, plain;
  for (const char* loc : kLocales) {
    UErrorCode status = U_ZERO_ERROR;
    icu::DateFormatSymbols symbols(icu::Locale(loc), status);
    if (U_FAILURE(status)) continue;
    for (auto ctx : {icu::DateFormatSymbols::FORMAT, icu::DateFormatSymbols::STANDALONE}) {
      for (auto width : {icu::DateFormatSymbols::WIDE, icu::DateFormatSymbols::ABBREVIATED}) {
        int32_t n = 0;
        const icu::UnicodeString* months = symbols.getMonths(n, ctx, width);
        for (int32_t i = 0; i < n && i < 12; ++i) {
          Forms(months[i], folded, plain);
          AddMonth(t, folded, i + 1);
          AddMonth(t, plain, i + 1);
        }
        const icu::UnicodeString* days = symbols.getWeekdays(n, ctx, width);
        for (int32_t i = 1; i < n; ++i) {  // ICU's weekday arrays start at index 1
          Forms(days[i], folded, plain);
          for (const std::string* k : {&folded, &plain}) {
            if (k->size() >= 3) t.weekdays.emplace(*k, true);
          }
        }
      }
    }
  }
  // English prefixes of three and four letters ("sept", "janu"), and forms writers use that CLDR
  // lacks.
  static constexpr std::array<std::string_view, 12> kEnglish = {
      "january", "february", "march",     "april",   "may",      "june",
      "july",    "august",   "september", "october", "november", "december"};
  for (size_t i = 0; i < kEnglish.size(); ++i) {
    for (size_t len = 3; len <= 4 && len <= kEnglish[i].size(); ++len)
      AddMonth(t, std::string(kEnglish[i].substr(0, len)), static_cast<int>(i) + 1);
  }
  static constexpr std::array<std::string_view, 7> kEnglishDays = {
      "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
  for (auto day : kEnglishDays) {
    for (size_t len = 3; len <= 4; ++len) t.weekdays.emplace(std::string(day.substr(0, len)), true);
  }
  AddMonth(t, "mrz", 3);
  AddMonth(t, "maerz", 3);
  AddMonth(t, "sept", 9);
  // A word that is a month in one language and a weekday in another ("mar": March, and Tuesday in
  // French) is a month.
  for (auto it = t.weekdays.begin(); it != t.weekdays.end();) {
    it = t.months.count(it->first) != 0 ? t.weekdays.erase(it) : std::next(it);
  }
  return t;
}

const Tables& Get() {
  static const Tables tables = Build();
  return tables;
}

}  // namespace

std::string FoldDateWord(std::string_view word) {
  std::string out(word);
  for (size_t i = 0; i < out.size(); ++i) {
    auto c = static_cast<unsigned char>(out[i]);
    if (c < 0x80) {
      out[i] = AsciiLowerChar(out[i]);
      continue;
    }
    if (i + 1 >= out.size()) break;
    auto d = static_cast<unsigned char>(out[i + 1]);
    if (c == 0xC3 && d >= 0x80 && d <= 0x9E && d != 0x97) {  // À-Þ (not ×)
      out[i + 1] = static_cast<char>(d + 0x20);
    } else if (c == 0xD0 && d >= 0x90 && d <= 0x9F) {  // А-П
      out[i + 1] = static_cast<char>(d + 0x20);
    } else if (c == 0xD0 && d >= 0xA0 && d <= 0xAF) {  // Р-Я
      out[i] = static_cast<char>(0xD1);
      out[i + 1] = static_cast<char>(d - 0x20);
    }
    ++i;
  }
  return out;
}

MonthWord MonthFromWord(std::string_view word) {
  while (!word.empty() && word.back() == '.') word.remove_suffix(1);
  if (word.size() < 3 || word.size() > 24) return {};
  const auto& months = Get().months;
  auto it = months.find(FoldDateWord(word));
  return it == months.end() ? MonthWord{} : it->second;
}

bool IsWeekdayWord(std::string_view word) {
  while (!word.empty() && word.back() == '.') word.remove_suffix(1);
  if (word.size() < 3 || word.size() > 40) return false;
  return Get().weekdays.count(FoldDateWord(word)) != 0;
}

}  // namespace copydesk::normalize::internal
