// The records an accepted change publishes, and the contract headers every output record
// carries (W3C Trace Context, optional CloudEvents binary-mode attributes). Pure; part of the
// pipeline (pipeline.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/record.h"
#include "copydesk/v1/events.pb.h"
#include "dedup/dedup.h"

namespace copydesk::ingest {

struct PipelineOptions;

// What the contract headers of one output record say.
struct OutputContext {
  // W3C Trace Context of the input ("" when it had none that is valid).
  std::string traceparent;
  std::string tracestate;
  // The input's Kafka timestamp (ms), the output records' timestamp.
  int64_t timestamp_ms = 0;
  // Where the input came from on the raw topic.
  v1::SourceOffset source;
};

// Adds `traceparent` / `tracestate` (when the input had them) and, with
// PipelineOptions::cloudevents, the CloudEvents binary-mode attributes: ce_specversion "1.0",
// ce_id `ce_id`, ce_source PipelineOptions::cloudevents_source, ce_type `type`, ce_time the
// input's timestamp (RFC 3339, UTC; left out when unknown). All deterministic for the input.
void AddContractHeaders(Record& r, const OutputContext& ctx, const PipelineOptions& options,
                        std::string_view type, std::string_view ce_id);

// The ArticleEvent of an accepted change, with `a` moved inside (on cancel only the story id,
// version, pubstatus and provenance) after its story id, version, lineage and trace context are
// set. Pass the article with std::move: it is not copied.
v1::ArticleEvent ArticleEventOf(v1::Article a, const dedup::Decision& d, const std::string& event_id,
                                const OutputContext& ctx);

// The records of an accepted change, in order: the Article (a tombstone on cancel), the
// ArticleEvent, and the ninjs document when PipelineOptions::ninjs_topic is set (a tombstone on
// cancel).
std::vector<Record> EventRecords(const v1::ArticleEvent& ev, const OutputContext& ctx,
                                 const PipelineOptions& options);

// EventRecords of ArticleEventOf.
std::vector<Record> ArticleRecords(v1::Article a, const dedup::Decision& d, const std::string& event_id,
                                   const OutputContext& ctx, const PipelineOptions& options);

// The output context an ArticleEvent was built with (trace context, timestamp, source): a held
// version's records are built again from its event alone.
OutputContext ContextOf(const v1::ArticleEvent& ev);

// `ms` since the epoch as RFC 3339 in UTC with milliseconds ("2023-11-14T22:13:20.123Z").
std::string Rfc3339(int64_t ms);

}  // namespace copydesk::ingest
