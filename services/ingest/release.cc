#include "ingest/release.h"

namespace copydesk::ingest {

void ReleaseQueue::Hold(uint64_t state_seq, int64_t timestamp_ms, std::vector<Record> outputs) {
  held_.push_back({state_seq, timestamp_ms, std::move(outputs)});
}

std::vector<ReleaseQueue::Held> ReleaseQueue::TakeReleasable(uint64_t delivered) {
  std::vector<Held> out;
  while (!held_.empty() && held_.front().state_seq <= delivered) {
    out.push_back(std::move(held_.front()));
    held_.pop_front();
  }
  return out;
}

void ReleaseQueue::Sent(uint64_t output_seq, int64_t timestamp_ms) {
  sent_.push_back({output_seq, timestamp_ms});
}

std::vector<int64_t> ReleaseQueue::TakeDelivered(uint64_t delivered) {
  std::vector<int64_t> out;
  while (!sent_.empty() && sent_.front().output_seq <= delivered) {
    out.push_back(sent_.front().timestamp_ms);
    sent_.pop_front();
  }
  return out;
}

void ReleaseQueue::Clear() {
  held_.clear();
  sent_.clear();
}

}  // namespace copydesk::ingest
