#include "normalize/timezone.h"

#include <unicode/timezone.h>
#include <unicode/unistr.h>

#include <memory>
#include <string>

namespace copydesk::normalize {
namespace {

std::unique_ptr<icu::TimeZone> Open(std::string_view zone) {
  if (zone.empty()) return nullptr;
  std::unique_ptr<icu::TimeZone> tz(icu::TimeZone::createTimeZone(
      icu::UnicodeString::fromUTF8(icu::StringPiece(zone.data(), zone.size()))));
  if (tz == nullptr || *tz == icu::TimeZone::getUnknown()) return nullptr;
  return tz;
}

}  // namespace

bool IsTimezone(std::string_view zone) {
  return Open(zone) != nullptr;
}

int64_t ZoneOffsetMillis(std::string_view zone, int64_t local_ms) {
  auto tz = Open(zone);
  if (tz == nullptr) return 0;
  int32_t raw = 0;
  int32_t dst = 0;
  UErrorCode status = U_ZERO_ERROR;
  // The offset at the instant local_ms - raw - dst converges in two steps for every zone.
  tz->getOffset(static_cast<UDate>(local_ms), /*local=*/false, raw, dst, status);
  if (U_FAILURE(status)) return 0;
  int64_t offset = raw + dst;
  tz->getOffset(static_cast<UDate>(local_ms - offset), false, raw, dst, status);
  if (U_FAILURE(status)) return 0;
  return raw + dst;
}

}  // namespace copydesk::normalize
