#include "ingest/band_budget.h"

#include <algorithm>

#include "common/log.h"

namespace copydesk::ingest {

int32_t BandBudget::PartitionToMove(const std::vector<Usage>& usage, uint64_t budget_bytes) {
  uint64_t total = 0, jump = 0;
  int32_t largest = -1;
  uint64_t largest_bytes = 0;
  for (const auto& u : usage) {
    total += u.bytes;
    jump = std::max(jump, u.jump);
    if (u.movable && u.bytes > largest_bytes) {
      largest = u.partition;
      largest_bytes = u.bytes;
    }
  }
  return total + jump <= budget_bytes ? -1 : largest;
}

Status BandBudget::Keep(Partitions& partitions) const {
  if (!enabled_) return OkStatus();
  for (;;) {
    std::vector<Usage> usage;
    uint64_t total = 0;
    for (const auto& [part, p] : partitions) {
      if (!p.store) continue;  // being opened
      const dedup::PartitionStore& store = *p.store->partition();
      const uint64_t bytes = store.memory_bytes();
      total += bytes;
      usage.push_back({part, bytes, store.MemoryBytesAfterAdding(headroom_entries_) - bytes,
                       !p.in_batch() && p.store->nothing_staged()});
    }
    const int32_t largest = PartitionToMove(usage, budget_bytes_);
    if (largest < 0) return OkStatus();
    dedup::PartitionStore& store = *partitions[largest].store->partition();
    const uint64_t bytes = store.memory_bytes();
    const size_t entries = store.band_entries();
    const int64_t t0 = clock_.MonotonicMicros();
    if (Status st = store.MoveBandsToBase(); !st.ok()) {
      Logger("ingest")->error("moving band entries to RocksDB failed partition={} reason=\"{}\"", largest,
                              st.error().reason);
      return st;
    }
    Logger("ingest")->warn(
        "band entries moved to RocksDB partition={} memory_bytes={} band_entries={} all_partitions_bytes={} "
        "budget_bytes={} took_ms={}",
        largest, bytes, entries, total, budget_bytes_, (clock_.MonotonicMicros() - t0) / 1000);
  }
}

}  // namespace copydesk::ingest
