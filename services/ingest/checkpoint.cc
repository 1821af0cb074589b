#include "ingest/checkpoint.h"

#include <charconv>

#include "dedup/index_format.h"

namespace copydesk::ingest {
namespace {

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

std::string CheckpointKey() {
  return std::string("\xff\xff") + "copydesk/committed_next";
}

std::string EncodeCheckpoint(const Checkpoint& c) {
  return std::string(dedup::kStateLayout) + c.cluster + "/" + std::to_string(c.committed_next) + "/" +
         std::to_string(c.changelog_next);
}

std::optional<Checkpoint> DecodeCheckpoint(std::string_view value) {
  if (!value.starts_with(dedup::kStateLayout)) return std::nullopt;
  value.remove_prefix(dedup::kStateLayout.size());
  const size_t last = value.rfind('/');
  if (last == std::string_view::npos || last == 0) return std::nullopt;
  const size_t middle = value.rfind('/', last - 1);
  if (middle == std::string_view::npos) return std::nullopt;
  auto committed = ParseInt(value.substr(middle + 1, last - middle - 1));
  auto changelog = ParseInt(value.substr(last + 1));
  if (!committed || !changelog) return std::nullopt;
  return Checkpoint{std::string(value.substr(0, middle)), *committed, *changelog};
}

CheckpointVerdict CheckCheckpoint(const Checkpoint& c, std::string_view cluster, int64_t committed_next,
                                  int64_t changelog_end) {
  if (c.cluster != cluster || c.committed_next < committed_next) return CheckpointVerdict::kRestore;
  // Another worker wrote to the changelog partition since (or it was truncated): restore.
  if (changelog_end < c.changelog_next || changelog_end - c.changelog_next > 1)
    return CheckpointVerdict::kRestore;
  // One offset more: a real cluster's transaction control record, or (on a broker without them,
  // like the embedded one) a one-record batch another worker wrote since.
  if (changelog_end == c.changelog_next + 1) return CheckpointVerdict::kCheckLastOffset;
  return CheckpointVerdict::kCurrent;
}

}  // namespace copydesk::ingest
