// Feeds the held view (HeldView) from news.articles-held.v1: one thread reads every partition
// with assign() (no consumer group) from the log start, applies each record (the latest per key
// wins, a tombstone removes the story) and keeps the offsets in memory only. On a re-attach
// (after a consumer error) it resumes from those offsets when they are still valid on the broker
// (same cluster, inside [log start, high watermark]); otherwise it forgets the view and reads the
// topic again from its start.
//
// Complete: from Start() until the view has applied everything below the high watermarks read
// when the feed attached, HeldView::complete() is false and the lookup is not ready (health
// NOT_SERVING, reads UNAVAILABLE), exactly like the events view's catch-up.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/kafka.h"
#include "common/result.h"
#include "lookup/held_view.h"
#include "lookup/metrics.h"

namespace copydesk::lookup {

struct HeldSyncOptions {
  std::string brokers = "127.0.0.1:9092";
  std::string topic = "news.articles-held.v1";
  kafka::Properties kafka;  // extra librdkafka properties passed through
  size_t max_batch = 2000;
};

// Owns the consumer thread that keeps a HeldView up to date. The view and the metrics must
// outlive it. Stop() (or the destructor) joins the thread.
class HeldSync {
 public:
  HeldSync(HeldSyncOptions options, HeldView& view, LookupMetrics& metrics);
  HeldSync(const HeldSync&) = delete;
  HeldSync& operator=(const HeldSync&) = delete;
  ~HeldSync();

  void Start();
  // Asks the thread to stop without waiting (so that several feeds stop together); Stop() joins.
  void RequestStop() { stop_ = true; }
  void Stop();
  // Number of times the view was forgotten and read again (after the first read).
  [[nodiscard]] int resets() const { return resets_.load(); }

 private:
  void Run();
  // Connects, checks the in-memory offsets against the broker (resetting the view when they are
  // not valid there) and assigns. Returns the partition count, or an error to retry later.
  Result<int> Attach(kafka::Consumer& consumer);
  // Marks the view complete once it (or the consumer's position, past transaction markers)
  // reached every high watermark of the last attach.
  void CheckComplete(kafka::Consumer* consumer);

  HeldSyncOptions options_;
  HeldView& view_;
  LookupMetrics& metrics_;
  std::atomic<bool> stop_{false};
  std::atomic<int> resets_{0};
  bool attached_ = false;          // an attach succeeded before (touched by the feed thread only)
  std::mutex target_mu_;           // guards target_ and start_
  std::optional<Offsets> target_;  // high watermarks to reach; unset until an attach needs them
  std::chrono::steady_clock::time_point start_;
  std::thread thread_;  // runs Run(); joined by Stop()
};

}  // namespace copydesk::lookup
