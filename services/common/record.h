// A Kafka record as plain values: what the pure pipeline sees (no librdkafka types).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace copydesk {

struct Header {
  std::string key;
  std::string value;
};

// One Kafka record, owned. `value` is nullopt for a tombstone. partition -1 = let the
// partitioner choose (by key).
struct Record {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  int64_t timestamp_ms = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<Header> headers;

  // The first header with this name (case-insensitive), or nullopt.
  [[nodiscard]] std::optional<std::string_view> HeaderValue(std::string_view name) const {
    for (const auto& h : headers) {
      if (h.key.size() != name.size()) continue;
      bool same = true;
      for (size_t i = 0; i < name.size() && same; ++i) {
        same = (h.key[i] | 0x20) == (name[i] | 0x20);
      }
      if (same) return std::string_view(h.value);
    }
    return std::nullopt;
  }
};

}  // namespace copydesk
