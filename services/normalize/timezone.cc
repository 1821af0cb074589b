#include "normalize/timezone.h"

#include <unicode/basictz.h>
#include <unicode/timezone.h>
#include <unicode/unistr.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace copydesk::normalize {
namespace {

// Bounds the per-thread cache: a worker serves a handful of provider zones; a caller that names
// more (fuzzing, hostile metadata) only pays the re-open.
constexpr size_t kMaxCachedZones = 32;

std::unique_ptr<icu::BasicTimeZone> Open(std::string_view zone) {
  if (zone.empty() || zone.size() > 64) return nullptr;
  std::unique_ptr<icu::TimeZone> tz(icu::TimeZone::createTimeZone(
      icu::UnicodeString::fromUTF8(icu::StringPiece(zone.data(), static_cast<int32_t>(zone.size())))));
  if (tz == nullptr || *tz == icu::TimeZone::getUnknown()) return nullptr;
  // Every zone createTimeZone returns (Olson zones, custom "GMT+hh:mm") is a BasicTimeZone.
  auto* basic = dynamic_cast<icu::BasicTimeZone*>(tz.get());
  if (basic == nullptr) return nullptr;
  tz.release();
  return std::unique_ptr<icu::BasicTimeZone>(basic);
}

// The zone of that name, opened at most once per thread while it stays cached; nullptr for an
// unknown name (also cached). The cache belongs to the calling thread alone.
const icu::BasicTimeZone* Cached(std::string_view zone) {
  thread_local std::vector<std::pair<std::string, std::unique_ptr<icu::BasicTimeZone>>> cache;
  for (const auto& [name, tz] : cache) {
    if (name == zone) return tz.get();
  }
  if (cache.size() >= kMaxCachedZones) cache.clear();
  cache.emplace_back(std::string(zone), Open(zone));
  return cache.back().second.get();
}

}  // namespace

bool IsTimezone(std::string_view zone) {
  return !zone.empty() && Cached(zone) != nullptr;
}

int64_t ZoneOffsetMillis(std::string_view zone, int64_t local_ms) {
  if (zone.empty()) return 0;
  const icu::BasicTimeZone* tz = Cached(zone);
  if (tz == nullptr) return 0;
  int32_t raw = 0;
  int32_t dst = 0;
  UErrorCode status = U_ZERO_ERROR;
  tz->getOffsetFromLocal(static_cast<UDate>(local_ms), UCAL_TZ_LOCAL_FORMER, UCAL_TZ_LOCAL_FORMER, raw, dst,
                         status);
  if (U_FAILURE(status)) return 0;
  return static_cast<int64_t>(raw) + dst;
}

}  // namespace copydesk::normalize
