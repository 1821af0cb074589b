// The memory budget of the assigned partitions' band entries (dedup.partition_bands_memory_mib):
// while they hold more than the budget in memory, or would after the next batch (a hash table
// doubles when it fills: the moves happen before that takes them past the budget, not after), the
// largest partition's entries move into its RocksDB store. Only a partition with nothing staged
// moves: its band entries in memory then match its local store exactly.
#pragma once

#include <cstdint>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "ingest/partition.h"

namespace copydesk::ingest {

class BandBudget {
 public:
  // `enabled`: the partitions have local stores to move to (a state dir). `headroom_entries`: the
  // most band entries a batch, or a restore's chunk, adds.
  BandBudget(bool enabled, uint64_t budget_bytes, size_t headroom_entries, const Clock& clock)
      : enabled_(enabled), budget_bytes_(budget_bytes), headroom_entries_(headroom_entries), clock_(clock) {}

  // Moves band entries until the partitions fit. An Error: a local store failed (fatal).
  Status Keep(Partitions& partitions) const;

  // One partition's band entries in memory.
  struct Usage {
    int32_t partition = -1;
    uint64_t bytes = 0;  // in memory now
    uint64_t jump = 0;   // what the next batch may add (a table that doubles)
    bool movable = false;
  };
  // The partition to move (the largest movable one), or -1 when the partitions fit or none may move.
  static int32_t PartitionToMove(const std::vector<Usage>& usage, uint64_t budget_bytes);

 private:
  bool enabled_;
  uint64_t budget_bytes_;
  size_t headroom_entries_;
  const Clock& clock_;
};

}  // namespace copydesk::ingest
