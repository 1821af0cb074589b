// Sending dead letters back to the raw topic (`copydesk redrive`): which dead letters are
// selected, what is sent for each, and the marker that records it. Pure: the command does the
// Kafka I/O.
//
// Once per dead letter: every redriven dead letter gets a marker record on the dead-letter
// topic itself (null value; header x-copydesk-redrive-of = "PARTITION:OFFSET" of the dead
// letter), written in the same transaction as the record sent back; a later run reads the
// markers and skips what was redriven. And the record sent back carries the event id the
// original had (its `event-id` header, else "SOURCE-TOPIC/PARTITION/OFFSET", what the worker
// used) and goes to the original partition, so that even a record sent twice is the same event
// to the worker's dedup memo (same story, same version).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/record.h"
#include "common/result.h"

namespace copydesk::redrive {

inline constexpr std::string_view kMarkerHeader = "x-copydesk-redrive-of";
inline constexpr std::string_view kMarkerEventIdHeader = "x-copydesk-redrive-event-id";
// Headers the worker adds to a dead letter (and the markers'): never sent back.
inline constexpr std::string_view kCopydeskHeaderPrefix = "x-copydesk-";

// Which dead letters to send back. Empty lists select everything.
struct Selection {
  std::vector<std::string> codes;                          // error codes ("UNKNOWN_CONTENT_TYPE")
  int64_t since_ms = std::numeric_limits<int64_t>::min();  // record timestamp, inclusive
  int64_t until_ms = std::numeric_limits<int64_t>::max();  // exclusive
  struct Range {
    int32_t partition = 0;
    int64_t first = 0;
    int64_t last = std::numeric_limits<int64_t>::max();
  };
  std::vector<Range> offsets;  // dead-letter topic coordinates
};

// "3", "3:17" or "3:10-20" (dead-letter topic partition and offsets).
Result<Selection::Range> ParseRange(std::string_view text);
// RFC 3339 UTC ("2026-01-01T12:00:00Z", fraction optional) or milliseconds since the epoch.
Result<int64_t> ParseTime(std::string_view text);
// "UNKNOWN_CONTENT_TYPE" from either spelling ("ERROR_CODE_UNKNOWN_CONTENT_TYPE").
std::string NormalizeCode(std::string_view code);

// True for a marker record (not a dead letter).
bool IsMarker(const Record& r);
// "PARTITION:OFFSET" of a dead letter, as markers name it.
std::string Coordinates(const Record& dead_letter);
// The marker's target ("PARTITION:OFFSET"), when `r` is a marker.
std::optional<std::string> MarkerTarget(const Record& r);

bool Selected(const Selection& s, const Record& dead_letter);

// The event id the worker gave the original input.
std::string OriginalEventId(const Record& dead_letter);

// The record to send back to `raw_topic`: the original key, bytes (null stays null) and
// timestamp; its headers without x-copydesk-*, with `set_headers` replacing same-named ones or
// added, and with `event-id` = OriginalEventId when it had none. Partition: the original's when
// the dead letter names it and it is below `raw_partitions`, else the partitioner's.
Record Restore(const Record& dead_letter, const std::string& raw_topic, int raw_partitions,
               const std::vector<std::pair<std::string, std::string>>& set_headers);

// The marker for a redriven dead letter, on `dlq_topic`.
Record Marker(const Record& dead_letter, const Record& sent, const std::string& dlq_topic);

}  // namespace copydesk::redrive
