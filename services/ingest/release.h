// At-least-once pipelining: the outputs of decided events wait here until the changelog records
// sent before them (their state changes and decision memos) are acknowledged, are then released
// (sent), and wait again until they are acknowledged themselves (for the latency histogram).
// Pure bookkeeping over the producer's sequence numbers (kafka::Producer::last_sequence and
// DeliveredThrough); no Kafka here, so it is unit-tested with data alone.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "common/record.h"

namespace copydesk::ingest {

// Owns the held outputs of the open batch. Single-threaded (poll thread).
class ReleaseQueue {
 public:
  struct Held {
    uint64_t state_seq = 0;  // the last record sent before these outputs (its changelog records)
    int64_t timestamp_ms = 0;
    std::vector<Record> outputs;
  };

  // Holds an event's outputs until every record up to `state_seq` is delivered.
  void Hold(uint64_t state_seq, int64_t timestamp_ms, std::vector<Record> outputs);
  // Removes and returns, in order, the held events whose state_seq <= delivered.
  std::vector<Held> TakeReleasable(uint64_t delivered);
  // Records that an event's outputs were sent, the last of them with sequence `output_seq`.
  void Sent(uint64_t output_seq, int64_t timestamp_ms);
  // Removes and returns the timestamps of sent events whose outputs are all delivered.
  std::vector<int64_t> TakeDelivered(uint64_t delivered);
  // Forgets everything (the batch was aborted: held outputs are never sent).
  void Clear();
  [[nodiscard]] size_t held() const { return held_.size(); }
  [[nodiscard]] size_t unacknowledged() const { return sent_.size(); }

 private:
  std::deque<Held> held_;  // sequence numbers ascending
  struct SentEvent {
    uint64_t output_seq;
    int64_t timestamp_ms;
  };
  std::deque<SentEvent> sent_;  // sequence numbers ascending
};

}  // namespace copydesk::ingest
