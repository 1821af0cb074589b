// Fakes of the worker's I/O interfaces (io.h) for the unit tests of its parts: plain containers
// that record what the parts did, with errors to inject. No Kafka.
#pragma once

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ingest/io.h"

namespace copydesk::ingest::testing {

inline Error Transient(const std::string& what) {
  return Error{v1::ERROR_CODE_INTERNAL, what + ": Broker: Request timed out"};
}

// Records are delivered in order; each Send gets an offset on its (topic, partition).
class FakeSink final : public RecordSink {
 public:
  Status Send(const Record& record) override {
    if (fail_sends > 0) {
      --fail_sends;
      return Error{v1::ERROR_CODE_INTERNAL, "produce failed"};
    }
    sent.push_back(record);
    sent.back().offset = next_offset[{record.topic, record.partition}]++;
    log.push_back("send " + record.topic);
    if (auto_deliver) delivered = sent.size();
    return OkStatus();
  }
  Status Flush(std::chrono::milliseconds) override {
    ++flushes;
    log.push_back("flush");
    if (fail_deliveries) {
      fail_deliveries = false;
      failed = false;
      return Error{v1::ERROR_CODE_INTERNAL, "delivery failed"};
    }
    delivered = sent.size();
    return OkStatus();
  }
  void Poll() override {
    if (fail_deliveries) failed = true;
  }
  [[nodiscard]] uint64_t last_sequence() const override { return sent.size(); }
  [[nodiscard]] uint64_t DeliveredThrough() const override { return delivered; }
  [[nodiscard]] bool delivery_failed() const override { return failed; }
  [[nodiscard]] int64_t LastAckedOffset(const std::string& topic, int32_t partition) const override {
    int64_t last = -1;
    for (size_t i = 0; i < delivered && i < sent.size(); ++i) {
      if (sent[i].topic == topic && sent[i].partition == partition) last = std::max(last, sent[i].offset);
    }
    return last;
  }
  // The records sent to `topic`, in order.
  [[nodiscard]] std::vector<Record> To(const std::string& topic) const {
    std::vector<Record> out;
    for (const auto& r : sent) {
      if (r.topic == topic) out.push_back(r);
    }
    return out;
  }
  // The position of the first record sent to `topic`, or -1.
  [[nodiscard]] int64_t FirstTo(const std::string& topic) const {
    for (size_t i = 0; i < sent.size(); ++i) {
      if (sent[i].topic == topic) return static_cast<int64_t>(i);
    }
    return -1;
  }

  std::vector<Record> sent;
  std::vector<std::string> log;  // "send <topic>" and "flush", in order
  std::map<std::pair<std::string, int32_t>, int64_t> next_offset;
  size_t delivered = 0;          // records [0, delivered) are acknowledged
  bool auto_deliver = false;     // every Send is acknowledged at once
  int fail_sends = 0;            // the next N sends fail locally
  bool fail_deliveries = false;  // Poll reports a failed delivery; the next Flush returns it
  bool failed = false;
  int flushes = 0;
};

class FakeTransactions final : public Transactions {
 public:
  Status Begin() override { return Call("begin"); }
  Status SendOffsets(const std::vector<PartitionOffset>& next, std::chrono::milliseconds) override {
    offsets.push_back(next);
    return Call("send_offsets");
  }
  Status CommitTransaction(std::chrono::milliseconds) override { return Call("commit"); }
  Status AbortTransaction(std::chrono::milliseconds) override { return Call("abort"); }
  [[nodiscard]] ErrorKind last_error() const override { return last_; }

  // Fails the next call named `call` with an error of `kind`.
  void FailNext(const std::string& call, ErrorKind kind) { failures[call].push_back(kind); }

  std::vector<std::string> calls;
  std::vector<std::vector<PartitionOffset>> offsets;
  std::map<std::string, std::deque<ErrorKind>> failures;

 private:
  Status Call(const std::string& name) {
    calls.push_back(name);
    auto& f = failures[name];
    if (f.empty()) {
      last_ = ErrorKind::kNone;
      return OkStatus();
    }
    last_ = f.front();
    f.pop_front();
    return Error{v1::ERROR_CODE_INTERNAL, name + " failed"};
  }
  ErrorKind last_ = ErrorKind::kNone;
};

class FakeOffsetCommitter final : public OffsetCommitter {
 public:
  Status CommitOffsets(const std::vector<PartitionOffset>& next) override {
    commits.push_back(next);
    if (fail) return Error{v1::ERROR_CODE_INTERNAL, "commit failed"};
    return OkStatus();
  }
  std::vector<std::vector<PartitionOffset>> commits;
  bool fail = false;
};

class FakeSource final : public RecordSource {
 public:
  Result<std::optional<Record>> Poll(std::chrono::milliseconds) override {
    if (records.empty()) return std::optional<Record>();
    Record r = std::move(records.front());
    records.pop_front();
    return std::optional<Record>(std::move(r));
  }
  std::optional<PartitionOffset> TakeOutOfRange() override {
    return std::exchange(out_of_range, std::nullopt);
  }
  Result<std::optional<int64_t>> Committed(int32_t partition) override {
    if (committed_failures > 0) {
      --committed_failures;
      return Transient("committed");
    }
    auto it = committed.find(partition);
    return it == committed.end() ? std::optional<int64_t>() : std::optional<int64_t>(it->second);
  }
  Status Add(int32_t partition, std::optional<int64_t> offset) override {
    added.emplace_back(partition, offset);
    return OkStatus();
  }
  Status Restart(int32_t partition, int64_t offset) override {
    restarted.push_back({partition, offset});
    return OkStatus();
  }
  Status Seek(int32_t partition, int64_t offset) override {
    seeks.push_back({partition, offset});
    return OkStatus();
  }
  void Pause(int32_t partition) override { paused.push_back(partition); }
  void Resume(int32_t partition) override { resumed.push_back(partition); }
  [[nodiscard]] std::optional<int64_t> Lag(int32_t partition, int64_t) const override {
    auto it = lag.find(partition);
    return it == lag.end() ? std::nullopt : std::optional<int64_t>(it->second);
  }
  [[nodiscard]] bool AssignmentLost() const override { return false; }
  bool Close(std::chrono::milliseconds) override { return true; }

  std::deque<Record> records;
  std::optional<PartitionOffset> out_of_range;
  std::map<int32_t, int64_t> committed;
  int committed_failures = 0;
  std::map<int32_t, int64_t> lag;
  std::vector<std::pair<int32_t, std::optional<int64_t>>> added;
  std::vector<PartitionOffset> restarted, seeks;
  std::vector<int32_t> paused, resumed;
};

// A reader of a FakeCluster topic: each Poll returns the next record of the assigned partitions
// (records appended later included), or an injected error, or, once a partition has nothing more,
// one end event for it (at the partition's end offset, past trailing control records).
class FakeReader final : public PartitionReader {
 public:
  using Log = std::map<int32_t, std::vector<Record>>;  // partition -> records (offsets set)
  using EndOf = std::function<int64_t(int32_t partition)>;
  FakeReader(const Log* log, EndOf end_of) : log_(log), end_of_(std::move(end_of)) {}
  Status Assign(const std::vector<PartitionOffset>& from) override {
    for (const auto& f : from) {
      auto it = log_->find(f.partition);
      const int64_t first = it == log_->end() || it->second.empty() ? 0 : it->second.front().offset;
      pos_[f.partition] = {f.offset == kOffsetBeginning ? first : f.offset, false};
    }
    return OkStatus();
  }
  Result<std::optional<Record>> Poll(std::chrono::milliseconds) override {
    if (errors > 0) {
      --errors;
      return Transient("consume: Fetch from broker 1 failed");
    }
    for (auto& [part, pos] : pos_) {
      auto it = log_->find(part);
      if (it == log_->end()) continue;
      for (const auto& r : it->second) {
        if (r.offset < pos.next) continue;
        pos.next = r.offset + 1;
        pos.end_reported = false;
        return std::optional<Record>(r);
      }
    }
    for (auto& [part, pos] : pos_) {
      if (pos.end_reported) continue;
      pos.end_reported = true;
      end_ = PartitionOffset{part, std::max(pos.next, end_of_(part))};
      break;
    }
    return std::optional<Record>();
  }
  std::optional<PartitionOffset> TakeEndOfPartition() override { return std::exchange(end_, std::nullopt); }
  [[nodiscard]] bool fatal() const override { return is_fatal; }
  void Close(std::chrono::milliseconds) override {
    if (closes != nullptr) ++*closes;
  }

  int errors = 0;  // the next N polls fail (transiently, unless is_fatal)
  bool is_fatal = false;
  int* closes = nullptr;  // counts Close() calls where the owner can read it after the reader is gone

 private:
  struct Position {
    int64_t next = 0;
    bool end_reported = false;
  };
  const Log* log_;
  EndOf end_of_;
  std::map<int32_t, Position> pos_;
  std::optional<PartitionOffset> end_;
};

// Topics as lists of records per partition; watermarks from them.
class FakeCluster final : public Cluster {
 public:
  Result<int> PartitionCount(const std::string& topic) override {
    auto it = partitions.find(topic);
    if (it == partitions.end()) return Error{v1::ERROR_CODE_INTERNAL, "no topic " + topic};
    return it->second;
  }
  Result<std::pair<int64_t, int64_t>> Watermarks(const std::string& topic, int32_t partition) override {
    if (watermark_failures > 0) {
      --watermark_failures;
      return Transient("watermarks");
    }
    const auto& recs = topics[topic][partition];
    return std::make_pair(recs.empty() ? End(topic, partition) : recs.front().offset, End(topic, partition));
  }
  // A partition's end: after its last record, or end_offset when that is further.
  int64_t End(const std::string& topic, int32_t partition) {
    const auto& recs = topics[topic][partition];
    const int64_t after = recs.empty() ? 0 : recs.back().offset + 1;
    auto it = end_offset.find({topic, partition});
    return it == end_offset.end() ? after : std::max(after, it->second);
  }
  Result<std::string> ClusterId() override {
    if (cluster_id.empty()) return Error{v1::ERROR_CODE_INTERNAL, "the cluster id is not known yet"};
    return cluster_id;
  }
  Result<std::unique_ptr<PartitionReader>> OpenReader(const std::string& topic, int) override {
    auto reader =
        std::make_unique<FakeReader>(&topics[topic], [this, topic](int32_t p) { return End(topic, p); });
    reader->errors = reader_errors;
    reader->is_fatal = reader_fatal;
    reader->closes = &readers_closed;
    ++readers_opened;
    return std::unique_ptr<PartitionReader>(std::move(reader));
  }
  // Appends a record to a topic partition, at the next offset.
  void Append(const std::string& topic, int32_t partition, Record r) {
    auto& recs = topics[topic][partition];
    r.topic = topic;
    r.partition = partition;
    r.offset = End(topic, partition);
    recs.push_back(std::move(r));
  }

  std::map<std::string, int> partitions;
  std::map<std::string, FakeReader::Log> topics;
  // A partition's end when it is past the last record (transaction control records at the end).
  std::map<std::pair<std::string, int32_t>, int64_t> end_offset;
  std::string cluster_id = "test-cluster";
  int watermark_failures = 0;
  int reader_errors = 0;  // every reader opened fails its first N polls
  bool reader_fatal = false;
  int readers_opened = 0;
  int readers_closed = 0;
};

}  // namespace copydesk::ingest::testing
