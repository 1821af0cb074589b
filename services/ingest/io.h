// What the ingest worker needs from Kafka, as small interfaces over plain values (common/record.h):
// the input topic as a group member (RecordSource), where records go (RecordSink), transactions,
// the group's offset commits (OffsetCommitter), topic metadata and readers that read partitions
// to their end (Cluster, PartitionReader). The librdkafka versions are in kafka_io.h; the unit
// tests use fakes (tests/fakes.h). Nothing here includes librdkafka.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/record.h"
#include "common/result.h"

namespace copydesk::ingest {

// The first offset a partition still has (Kafka's logical OFFSET_BEGINNING), for
// PartitionReader::Assign.
inline constexpr int64_t kOffsetBeginning = -2;

// A partition and an offset of a topic the context names (the next offset to read, unless said).
struct PartitionOffset {
  int32_t partition = 0;
  int64_t offset = 0;
  bool operator==(const PartitionOffset&) const = default;
};

// The input topic, read as a member of the consumer group. Single-threaded: every call from the
// poll thread.
class RecordSource {
 public:
  // Called from inside Poll() when the group assigns or revokes partitions (incremental). On
  // assign, the hook removes from the list the partitions it adds later with Add(); what is left
  // starts at the group's committed offset. On revoke, it removes the ones it never added.
  using RebalanceHook = std::function<void(bool assigned, std::vector<int32_t>& partitions)>;

  virtual ~RecordSource() = default;
  // The next record; nullopt when none arrived within `timeout`. An Error is a report (librdkafka
  // keeps fetching), except a position the broker no longer has: TakeOutOfRange() says which.
  virtual Result<std::optional<Record>> Poll(std::chrono::milliseconds timeout) = 0;
  // After Poll returned an Error: the partition whose position is not on the broker (fetching it
  // stopped; Restart resumes it). Cleared by the call.
  virtual std::optional<PartitionOffset> TakeOutOfRange() = 0;
  // The group's committed offset of a partition; nullopt when the group has none.
  virtual Result<std::optional<int64_t>> Committed(int32_t partition) = 0;
  // Starts fetching a partition the rebalance hook held back: at `offset`, or at the beginning
  // of the partition when nullopt.
  virtual Status Add(int32_t partition, std::optional<int64_t> offset) = 0;
  // Fetches a partition again from `offset`, also after a fetch error stopped it.
  virtual Status Restart(int32_t partition, int64_t offset) = 0;
  virtual Status Seek(int32_t partition, int64_t offset) = 0;
  virtual void Pause(int32_t partition) = 0;
  virtual void Resume(int32_t partition) = 0;
  // Records of a partition not delivered yet, as of the last fetch (`start`: the position before
  // the first delivery); nullopt until a fetch reported the partition's end.
  [[nodiscard]] virtual std::optional<int64_t> Lag(int32_t partition, int64_t start) const = 0;
  // True inside a revoke when the group took the partitions without a handshake (the session
  // timed out): another member may own them already.
  [[nodiscard]] virtual bool AssignmentLost() const = 0;
  // Leaves the group (running the revoke hook), waiting at most `timeout`; false if it timed out.
  virtual bool Close(std::chrono::milliseconds timeout) = 0;
};

// Where the worker's records go. Send() numbers every record (1, 2, ...); delivery reports are
// served by Poll(), Flush() and Send(). Single-threaded.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Enqueues a record; an error here is local (unknown topic, too large).
  virtual Status Send(const Record& record) = 0;
  // Waits until every enqueued record is acknowledged or failed; the first failure since the last
  // Flush, or a timeout.
  virtual Status Flush(std::chrono::milliseconds timeout) = 0;
  // Serves the delivery reports that arrived.
  virtual void Poll() = 0;
  // The sequence number of the last Send (0: none yet).
  [[nodiscard]] virtual uint64_t last_sequence() const = 0;
  // Every record up to this sequence number has its delivery report.
  [[nodiscard]] virtual uint64_t DeliveredThrough() const = 0;
  // A delivery failed since the last Flush (which returns the failure and clears it).
  [[nodiscard]] virtual bool delivery_failed() const = 0;
  // The highest offset acknowledged on (topic, partition), -1 if none.
  [[nodiscard]] virtual int64_t LastAckedOffset(const std::string& topic, int32_t partition) const = 0;
};

// Kafka transactions of the sink (transactional delivery): the records sent between Begin and
// CommitTransaction, and the input offsets given to SendOffsets, become visible together.
class Transactions {
 public:
  // Retriable: the same call may be made again; abortable: abort, then begin anew; fatal: the
  // producer can do nothing more (fenced by a newer instance, or broken).
  enum class ErrorKind { kNone, kRetriable, kAbortable, kFatal };

  virtual ~Transactions() = default;
  virtual Status Begin() = 0;
  // The input offsets, committed for the group with the transaction.
  virtual Status SendOffsets(const std::vector<PartitionOffset>& next, std::chrono::milliseconds timeout) = 0;
  virtual Status CommitTransaction(std::chrono::milliseconds timeout) = 0;
  virtual Status AbortTransaction(std::chrono::milliseconds timeout) = 0;
  // The kind of the last call's error.
  [[nodiscard]] virtual ErrorKind last_error() const = 0;
};

// Commits the group's next input offsets through the consumer, asynchronously: only local errors
// are reported (a lost offset commit means reprocessing, which replays the recorded decisions).
class OffsetCommitter {
 public:
  virtual ~OffsetCommitter() = default;
  virtual Status CommitOffsets(const std::vector<PartitionOffset>& next) = 0;
};

// Reads assigned partitions of one topic to their end: committed data only, and an end event at
// each partition's end (the last offsets can be transaction control records, which are never
// delivered). Single-threaded.
class PartitionReader {
 public:
  virtual ~PartitionReader() = default;
  virtual Status Assign(const std::vector<PartitionOffset>& from) = 0;
  // The next record; nullopt on timeout or at a partition's end (TakeEndOfPartition says which).
  // An Error is a report (the fetch is retried), unless fatal().
  virtual Result<std::optional<Record>> Poll(std::chrono::milliseconds timeout) = 0;
  // After Poll returned nullopt: the partition whose end was reached, with the end offset.
  virtual std::optional<PartitionOffset> TakeEndOfPartition() = 0;
  // The client can do nothing more (a fatal librdkafka error).
  [[nodiscard]] virtual bool fatal() const = 0;
  virtual void Close(std::chrono::milliseconds timeout) = 0;
};

// The cluster's metadata, and readers. Thread-compatible.
class Cluster {
 public:
  virtual ~Cluster() = default;
  virtual Result<int> PartitionCount(const std::string& topic) = 0;
  // The low and high watermark (first offset, end offset) of a partition.
  virtual Result<std::pair<int64_t, int64_t>> Watermarks(const std::string& topic, int32_t partition) = 0;
  // The cluster's id; an Error while the broker has not said it (try again).
  virtual Result<std::string> ClusterId() = 0;
  // A reader of partitions of `topic`; `fetch_wait_ms`: how long the broker may hold an empty fetch.
  virtual Result<std::unique_ptr<PartitionReader>> OpenReader(const std::string& topic,
                                                              int fetch_wait_ms) = 0;
};

}  // namespace copydesk::ingest
