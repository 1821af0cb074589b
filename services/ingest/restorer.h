// Brings an assigned partition to the point where it can decide, between polls (never inside the
// rebalance callback, so that the worker's other partitions and its answers to the group go on):
// the group's committed offset, the local store (used as it is when its checkpoint says it is
// current, else emptied), and otherwise a restore that applies the partition's changelog in log
// order. Transient Kafka errors are retried until `restore_timeout_ms` after the assignment; a
// failure past that, or of the local store, is fatal.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "ingest/io.h"
#include "ingest/partition.h"
#include "ingest/probe.h"

namespace copydesk::ingest {

class Restorer {
 public:
  struct Options {
    // <state_dir>/<instance id>/<raw topic>: partition N's store is <root>/pN. Empty: memory.
    std::string store_root;
    std::string changelog_topic;
    int64_t restore_timeout_ms = 300000;
    // Band entries in RocksDB from the start (dedup.partition_bands_memory_mib = 0).
    bool bands_in_base = false;
    // At-least-once: the store records which keys each decision writes (they are sent to the
    // changelog as events are decided).
    bool track_changes = false;
  };
  // Called for every changelog record beyond the committed input offset (a decision whose batch
  // was not committed: at-least-once sends the shared index copies of its documents again).
  using UncommittedHook = std::function<void(int32_t partition, const Record& record)>;
  // Called after each chunk of records applied (the band entries' memory budget).
  using AppliedHook = std::function<Status()>;

  // Everything borrowed outlives the restorer.
  Restorer(Options options, RecordSource& source, Cluster& cluster, const Clock& clock, WorkerProbe& probe,
           UncommittedHook on_uncommitted, AppliedHook on_applied);

  // A partition was assigned: starts opening it (p.restore).
  void Begin(Partition& p) const;
  // Advances the partition; true once its state is ready (p.restore is then reset; the caller makes
  // the deduper and adds the partition to the consumer). An Error is fatal.
  Result<bool> Step(int32_t partition, Partition& p, int64_t until_us);

 private:
  // The steps; each returns false while it has to be tried again.
  Result<bool> ReadCommitted(int32_t partition, Partition& p);
  Result<bool> OpenStore(int32_t partition, Partition& p);
  Result<bool> StartReading(int32_t partition, Partition& p);
  Result<bool> ReadChangelog(int32_t partition, Partition& p, int64_t until_us);
  Result<bool> Finish(int32_t partition, Partition& p);
  // The local store's checkpoint against the changelog: the input offset the store reaches when it
  // is current, nullopt when it must be restored; an Error when Kafka did not answer (retry).
  Result<std::optional<int64_t>> LocalStateIsCurrent(const std::string& checkpoint, int32_t partition,
                                                     int64_t committed_next);
  // True when reading the changelog partition from `offset` reaches its end without a record.
  bool OnlyControlRecordAt(int32_t partition, int64_t offset);
  void NoteRetry(int32_t partition, RestoreState& r, const Error& e);
  [[nodiscard]] std::string StorePath(int32_t partition) const;

  Options options_;
  RecordSource& source_;
  Cluster& cluster_;
  const Clock& clock_;
  WorkerProbe& probe_;
  UncommittedHook on_uncommitted_;
  AppliedHook on_applied_;
};

}  // namespace copydesk::ingest
