// Feeds the view from news.article-events.v1: one thread reads every partition with assign()
// (no consumer group: every replica reads everything), applies records in batches (data and
// offsets in one WriteBatch), and checks on start and after consumer errors that the stored
// offsets are still valid on the broker; when they are not, it wipes the view and rebuilds it.
//
// Catching up: from Start() until the view has applied everything below the high watermarks read
// when the feed first attached, caught_up() is false (the gRPC health says NOT_SERVING). A rebuild
// (wipe) or partitions new to the view start a new catch-up with the high watermarks of that
// attach; a reconnect that keeps the view does not.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/kafka.h"
#include "common/result.h"
#include "lookup/metrics.h"
#include "lookup/store.h"

namespace copydesk::lookup {

struct ViewSyncOptions {
  std::string brokers = "127.0.0.1:9092";
  std::string topic = "news.article-events.v1";
  // Extra librdkafka properties passed through (security.protocol, sasl.*, ssl.*, ...).
  kafka::Properties kafka;
  // Records applied per WriteBatch at most.
  size_t max_batch = 2000;
};

// Owns the consumer thread that keeps a ViewStore up to date. The store and the metrics must
// outlive it. Stop() (or the destructor) joins the thread.
class ViewSync {
 public:
  ViewSync(ViewSyncOptions options, ViewStore& store, LookupMetrics& metrics);
  ViewSync(const ViewSync&) = delete;
  ViewSync& operator=(const ViewSync&) = delete;
  ~ViewSync();

  void Start();
  void Stop();
  // True once the view has caught up with the high watermarks seen at start (or at the last
  // rebuild); false before the feed could reach the broker at all.
  [[nodiscard]] bool caught_up() const { return caught_up_.load(); }
  // Records still to apply to reach those high watermarks (-1: not attached yet, unknown).
  [[nodiscard]] int64_t behind() const;
  // Number of rebuilds done by this process.
  [[nodiscard]] int rebuilds() const { return rebuilds_.load(); }

 private:
  void Run();
  // Connects, validates the stored offsets (rebuilding when they are invalid) and assigns.
  // Returns the partition count, or an error to retry later.
  Result<int> Attach(kafka::Consumer& consumer);
  void UpdateLag(kafka::Consumer& consumer, int partitions);
  // Not caught up until the view reaches `target` (partition -> offset).
  void StartCatchUp(Offsets target);
  // Sets caught_up_ once the view (or the consumer's position, which also moves past transaction
  // markers) reached every catch-up target. `consumer` may be null (view only).
  void CheckCaughtUp(kafka::Consumer* consumer);

  ViewSyncOptions options_;
  ViewStore& store_;
  LookupMetrics& metrics_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> caught_up_{false};
  std::atomic<int> rebuilds_{0};
  mutable std::mutex target_mu_;   // guards target_ and catchup_start_
  std::optional<Offsets> target_;  // high watermarks to reach; unset until the first attach
  std::chrono::steady_clock::time_point catchup_start_;
  std::thread thread_;  // runs Run(); joined by Stop()
};

}  // namespace copydesk::lookup
