#include "common/redrive.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>

namespace copydesk::redrive {
namespace {

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && StartsWithNoCase(a, b);
}

template <typename T>
std::optional<T> Number(std::string_view s) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

Error Bad(const std::string& why) {
  return Error{v1::ERROR_CODE_INTERNAL, why};
}

}  // namespace

Result<Selection::Range> ParseRange(std::string_view text) {
  Selection::Range r;
  const auto colon = text.find(':');
  auto p = Number<int32_t>(text.substr(0, colon));
  if (!p || *p < 0) return Bad("--offsets '" + std::string(text) + "': expected PARTITION[:FIRST[-LAST]]");
  r.partition = *p;
  if (colon == std::string_view::npos) return r;
  std::string_view rest = text.substr(colon + 1);
  const auto dash = rest.find('-');
  auto first = Number<int64_t>(rest.substr(0, dash));
  auto last = dash == std::string_view::npos ? first : Number<int64_t>(rest.substr(dash + 1));
  if (!first || !last || *first < 0 || *last < *first) {
    return Bad("--offsets '" + std::string(text) + "': expected PARTITION[:FIRST[-LAST]] with FIRST <= LAST");
  }
  r.first = *first;
  r.last = *last;
  return r;
}

Result<int64_t> ParseTime(std::string_view text) {
  if (auto ms = Number<int64_t>(text)) return *ms;
  // YYYY-MM-DDTHH:MM:SS[.fff]Z
  std::string s(text);
  std::tm tm{};
  int year = 0, mon = 0, day = 0, hh = 0, mm = 0, ss = 0, used = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &mon, &day, &hh, &mm, &ss, &used) != 6 ||
      used != 19) {
    return Bad("time '" + s +
               "': expected RFC 3339 UTC (2026-01-31T12:00:00Z) or milliseconds since the epoch");
  }
  std::string_view tail = std::string_view(s).substr(19);
  int64_t frac_ms = 0;
  if (!tail.empty() && tail[0] == '.') {
    size_t i = 1;
    int64_t scale = 100;
    while (i < tail.size() && std::isdigit(static_cast<unsigned char>(tail[i]))) {
      frac_ms += (tail[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    tail = tail.substr(i);
  }
  if (tail != "Z" && tail != "z" && tail != "+00:00")
    return Bad("time '" + s + "': only UTC (Z) is accepted");
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hh;
  tm.tm_min = mm;
  tm.tm_sec = ss;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + frac_ms;
}

std::string NormalizeCode(std::string_view code) {
  std::string c(code);
  std::transform(c.begin(), c.end(), c.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  constexpr std::string_view kPrefix = "ERROR_CODE_";
  if (c.rfind(kPrefix, 0) == 0) c = c.substr(kPrefix.size());
  return c;
}

bool IsMarker(const Record& r) {
  return r.HeaderValue(kMarkerHeader).has_value();
}

std::string Coordinates(const Record& dead_letter) {
  return std::to_string(dead_letter.partition) + ":" + std::to_string(dead_letter.offset);
}

std::optional<std::string> MarkerTarget(const Record& r) {
  auto v = r.HeaderValue(kMarkerHeader);
  if (!v) return std::nullopt;
  return std::string(*v);
}

bool Selected(const Selection& s, const Record& dl) {
  if (IsMarker(dl)) return false;
  if (!s.codes.empty()) {
    auto code = dl.HeaderValue("x-copydesk-error-code");
    if (!code) return false;
    const std::string c = NormalizeCode(*code);
    if (std::find(s.codes.begin(), s.codes.end(), c) == s.codes.end()) return false;
  }
  if (dl.timestamp_ms < s.since_ms || dl.timestamp_ms >= s.until_ms) return false;
  if (!s.offsets.empty()) {
    const bool in = std::any_of(s.offsets.begin(), s.offsets.end(), [&](const Selection::Range& r) {
      return r.partition == dl.partition && dl.offset >= r.first && dl.offset <= r.last;
    });
    if (!in) return false;
  }
  return true;
}

std::string OriginalEventId(const Record& dl) {
  if (auto id = dl.HeaderValue("event-id"); id && !id->empty()) return std::string(*id);
  auto topic = dl.HeaderValue("x-copydesk-source-topic");
  auto part = dl.HeaderValue("x-copydesk-source-partition");
  auto off = dl.HeaderValue("x-copydesk-source-offset");
  if (topic && part && off) return std::string(*topic) + "/" + std::string(*part) + "/" + std::string(*off);
  return dl.topic + "/" + std::to_string(dl.partition) + "/" + std::to_string(dl.offset);
}

Record Restore(const Record& dl, const std::string& raw_topic, int raw_partitions,
               const std::vector<std::pair<std::string, std::string>>& set_headers) {
  Record out;
  out.topic = raw_topic;
  out.key = dl.key;
  out.value = dl.value;
  out.timestamp_ms = dl.timestamp_ms;
  if (auto p = dl.HeaderValue("x-copydesk-source-partition")) {
    if (auto n = Number<int32_t>(*p); n && *n >= 0 && *n < raw_partitions) out.partition = *n;
  }
  const std::string event_id = OriginalEventId(dl);
  for (const auto& h : dl.headers) {
    if (StartsWithNoCase(h.key, kCopydeskHeaderPrefix)) continue;
    const bool replaced = std::any_of(set_headers.begin(), set_headers.end(),
                                      [&](const auto& s) { return EqualsNoCase(s.first, h.key); });
    if (!replaced) out.headers.push_back(h);
  }
  for (const auto& [k, v] : set_headers) out.headers.push_back({k, v});
  if (!out.HeaderValue("event-id")) out.headers.push_back({"event-id", event_id});
  return out;
}

Record Marker(const Record& dl, const Record& sent, const std::string& dlq_topic) {
  Record m;
  m.topic = dlq_topic;
  m.key = dl.key;
  m.headers.push_back({std::string(kMarkerHeader), Coordinates(dl)});
  m.headers.push_back(
      {std::string(kMarkerEventIdHeader), std::string(sent.HeaderValue("event-id").value_or(""))});
  return m;
}

}  // namespace copydesk::redrive
