// What the lookup's topic feeds (ViewSync: news.article-events.v1 into the ViewStore; HeldSync:
// news.articles-held.v1 into the HeldView) share: the consumer they read with (every partition with
// assign(), read_committed, no commits), the watermark query, the batch poll, the attach retry,
// the partition-count check and the caught-up test against the high watermarks of an attach.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/kafka.h"
#include "common/result.h"
#include "lookup/store.h"

namespace copydesk::lookup {

// partition -> (log start, high watermark).
using Marks = std::map<int32_t, std::pair<int64_t, int64_t>>;

// Log start and high watermark of every partition of `topic`, with two ListOffsets requests that
// honour the timeout (rd_kafka_query_watermark_offsets() may wait without a bound when the broker
// goes away after the leader lookup, which would hold Stop()).
Result<Marks> QueryMarks(rd_kafka_t* rk, const std::string& topic, int partitions, int timeout_ms);

// partition -> high watermark, from `marks`: the offsets a catch-up has to reach.
Offsets HighWatermarks(const Marks& marks);

// Why offsets kept for a topic (partition -> next offset) are not valid against it now: a partition
// it no longer has ("partition_missing"), an offset beyond the high watermark
// ("offset_beyond_high_watermark") or, when `below_log_start_invalid`, below the log start
// ("offset_below_log_start": records and tombstones below it may be gone unseen). Empty when they
// are valid; `*detail` then says which partition and offsets.
std::string InvalidOffsets(const Offsets& kept, int partitions, const Marks& marks,
                           bool below_log_start_invalid, std::string* detail);

// How a feed's log lines name it and its topic, e.g. {"view", "events topic"}.
struct FeedNames {
  std::string_view feed;
  std::string_view topic;
};

// The properties of a feed's consumer: `extra` (security.protocol, sasl.*, ssl.*, ...) with the
// brokers, read_committed, no auto commit or offset store, auto.offset.reset=error (an invalid
// position surfaces as a consumer error, upon which the feed revalidates), fetch.wait.max.ms=10,
// no partition EOF events, and client.id `default_client_id` unless `extra` sets one. The caller
// sets group.id: librdkafka wants one even for assign(); a feed never joins or commits to it.
kafka::Properties FeedConsumerProperties(const kafka::Properties& extra, const std::string& brokers,
                                         const std::string& default_client_id);

// The consumer of a feed with `props`, or null (logged) when librdkafka refuses them.
std::unique_ptr<kafka::Consumer> CreateFeedConsumer(const kafka::Properties& props, const FeedNames& names);

// Polls up to `max_batch` records, waiting up to 100 ms for the first, and hands each to `push`.
// False on a consumer error (logged for the first poll); the records pushed before it stay the
// caller's.
bool PollRecords(kafka::Consumer& consumer, size_t max_batch, const FeedNames& names,
                 const std::function<void(kafka::Record&)>& push);

// Calls `attach` (connect, validate, assign: the partition count or an error). On an error it logs
// the first failure and every 10th (counted in `*failures`), waits 1 s (less once `stop` is set)
// and returns nullopt; on success it resets `*failures`.
std::optional<int> AttachOrWait(const std::function<Result<int>()>& attach, const std::string& topic,
                                const FeedNames& names, const std::atomic<bool>& stop, int* failures);

// True (and logged) when the broker says how many partitions `topic` has (within 2 s) and that is
// not `partitions`: the feed then attaches again.
bool PartitionCountChanged(kafka::Consumer& consumer, const std::string& topic, int partitions,
                           const FeedNames& names);

// Whether every partition of `target` (partition -> offset) is reached by `applied` (partition ->
// next offset to apply) or, when `consumer` is not null, by the consumer's position: a
// transactional producer leaves a commit marker after its last record, so the next offset to apply
// stops one short of the high watermark while the position moves past it.
bool ReachedTarget(const Offsets& target, const Offsets& applied, kafka::Consumer* consumer,
                   const std::string& topic);

}  // namespace copydesk::lookup
