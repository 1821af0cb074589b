// The ingest worker's pure core: one raw event in, the records to publish out.
// No Kafka, gRPC or Prometheus here: the worker loop (worker.h) feeds it and publishes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/record.h"
#include "common/result.h"
#include "copydesk/v1/events.pb.h"
#include "dedup/dedup.h"
#include "ingest/embargo.h"
#include "normalize/normalize.h"

namespace copydesk::ingest {

// Topic names and limits the pipeline needs.
struct PipelineOptions {
  std::string articles_topic = "news.articles.v1";
  std::string events_topic = "news.article-events.v1";
  std::string dlq_topic = "news.raw.dlq.v1";
  std::string outcomes_topic = "news.ingest-outcomes.v1";
  // Embargoed stories while they are held (embargo.h): copydesk.v1.HeldStory, tombstone on release.
  std::string held_topic = "news.articles-held.v1";
  normalize::Limits limits;
  // The largest record the output topics take (their max.message.bytes; Kafka's default). An
  // input (or an item) whose Article or ArticleEvent would be larger is dead-lettered with
  // ERROR_CODE_OUTPUT_TOO_LARGE instead of failing its delivery on every retry.
  size_t max_output_bytes = 1048588;
  // The worker instance every outcome names (`ingest.instance_id`).
  std::string worker;
  // An extra output topic with every published Article as IPTC ninjs JSON (key: story id, as on
  // the articles topic; a tombstone on cancel); "" = none.
  std::string ninjs_topic;
  // CloudEvents binary-mode headers (ce_specversion, ce_id, ce_source, ce_type, ce_time) on every
  // output record (pipeline_outputs.h); ce_source is `cloudevents_source`.
  bool cloudevents = false;
  std::string cloudevents_source = "urn:copydesk:ingest";
  // The IANA time zone in which times without a zone or offset are read (normalize::Metadata::
  // timezone): the provider's entry of `provider_timezones`, else `timezone`; "" = UTC.
  std::string timezone;
  std::map<std::string, std::string, std::less<>> provider_timezones;
  [[nodiscard]] const std::string& TimezoneOf(std::string_view provider) const {
    auto it = provider_timezones.find(provider);
    return it != provider_timezones.end() ? it->second : timezone;
  }
};

// Stage timings of one event, in seconds, for the metrics.
struct StageTimes {
  double decode = 0;
  double normalize = 0;
  double decide = 0;
};

// One item of an input, for the metrics (count items by format and result). A single-item input
// has exactly one, the same as its outcome; a multi-item input one per item, in input order.
struct ItemResult {
  uint32_t index = 0;
  // The item's event id: the input's for a single-item input, ItemEventId for an item of a
  // multi-item input.
  std::string event_id;
  // The decision (DECISION_DEAD_LETTER when the item was dead-lettered).
  v1::Decision decision = v1::DECISION_UNSPECIFIED;
  // Set when the item went to the dead-letter topic.
  std::optional<Error> dead_letter;
  std::string provider;
};

// Everything one input event produces. Exactly one outcome per event.
struct ProcessResult {
  // Records to publish, in order: per item (article, event) or its dead letter; the outcome last.
  std::vector<Record> records;
  // The decisions' shared index mutations (dedup::Deduper::Commit), and the partition's clock
  // after them (0: no new decision, e.g. a dead letter or a replayed memo).
  std::vector<dedup::Mutation> index_changes;
  int64_t visibility_time_ms = 0;
  v1::IngestOutcome outcome;
  // Set when the input as a whole went to the dead-letter topic (items[0] says the same).
  std::optional<Error> dead_letter;
  // The format label for metrics ("html", "text", ..., "unknown"), the input's and its items'.
  std::string format;
  // The first item's provider ("" when none).
  std::string provider;
  StageTimes times;
  // Every item's result, in input order (at least one).
  std::vector<ItemResult> items;
  // Stories held, moved or no longer held by this input's decisions (embargo.h), in order.
  std::vector<embargo::HeldChange> held_changes;
};

// The producer's id of an input event: its `event-id` header, when present and usable (valid
// UTF-8 without control characters, at most 256 bytes; pipeline_input.h).
std::optional<std::string_view> ProducerEventId(const Record& in);
// The event id of an input: ProducerEventId, else "topic/partition/offset".
std::string EventId(const Record& in);
// The event id of item `index` of a multi-item input: the input's event id + "#" + the index.
// A replayed input gives its items the same ids.
std::string ItemEventId(std::string_view input_event_id, uint32_t index);

// Builds the dead-letter record for `in`: original key, value (null stays null) and headers,
// plus error code, reason and source topic/partition/offset headers.
Record DeadLetter(const Record& in, const Error& error, const std::string& dlq_topic);

// Processes one raw event against the dedup state of its partition and stages the decisions'
// state changes in that state. A multi-item input (an RSS or Atom feed, a NewsML-G2
// newsMessage) is decided item by item: each item has its own event id, decision, decision-log
// entry and, when it cannot be normalized, dead letter; the input gets one outcome
// (DECISION_ITEMS) listing them. Deterministic: the same event against the same state gives the
// same records. Errors only when the state store fails (transient: abort and retry the batch;
// never a dead letter).
//
// With `hold`, embargoes are held (embargo.h): an accepted change whose article's embargo lies
// after `hold->now_ms`, or whose story is held already, is staged as a held version and publishes
// only its held-topic record; its outcome says until when. The worker passes its clock; without
// `hold` (tools, tests of the rest) every accepted change is published at once.
Result<ProcessResult> Process(const Record& in, dedup::Deduper& deduper, const PipelineOptions& options,
                              std::optional<embargo::HoldContext> hold = std::nullopt);

// The format label of a content type, for metrics.
std::string FormatLabel(std::string_view content_type);

// The size a record can take in a record batch of its own: what the topic's max.message.bytes
// bounds (key, value and headers plus the batch and record overhead).
size_t RecordBytes(const Record& r);

}  // namespace copydesk::ingest
