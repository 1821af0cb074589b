#include "ingest/pipeline.h"

#include <algorithm>
#include <chrono>

#include "copydesk/v1/dead_letter.pb.h"

namespace copydesk::ingest {
namespace {

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

const std::string& HeaderName(v1::DeadLetterHeader h) {
  static const auto* names = [] {
    const auto* desc = v1::DeadLetterHeader_descriptor();
    int max_number = 0;
    for (int i = 0; i < desc->value_count(); ++i) max_number = std::max(max_number, desc->value(i)->number());
    auto* m = new std::vector<std::string>(static_cast<size_t>(max_number) + 1);
    for (int i = 0; i < desc->value_count(); ++i) {
      const auto* v = desc->value(i);
      (*m)[static_cast<size_t>(v->number())] = v->options().GetExtension(v1::header_name);
    }
    return m;
  }();
  return (*names)[static_cast<size_t>(h)];
}

void SetTimestamp(google::protobuf::Timestamp* ts, int64_t ms) {
  ts->set_seconds(ms / 1000);
  ts->set_nanos(static_cast<int32_t>(ms % 1000) * 1000000);
}

std::string Header(const Record& in, std::string_view name) {
  auto v = in.HeaderValue(name);
  return v ? std::string(*v) : std::string();
}

}  // namespace

std::string FormatLabel(std::string_view content_type) {
  switch (normalize::FormatFromContentType(content_type)) {
    case normalize::Format::kHtml: return "html";
    case normalize::Format::kText: return "text";
    case normalize::Format::kNinjs: return "ninjs";
    case normalize::Format::kNitf: return "nitf";
    case normalize::Format::kNewsMlG2: return "newsml-g2";
    case normalize::Format::kRss: return "rss";
    case normalize::Format::kAtom: return "atom";
    case normalize::Format::kRawArticle: return "raw-article";
    case normalize::Format::kUnknown: break;
  }
  return "unknown";
}

std::optional<std::string_view> ProducerEventId(const Record& in) {
  auto h = in.HeaderValue("event-id");
  if (h && !h->empty()) return h;
  return std::nullopt;
}

std::string EventId(const Record& in) {
  if (auto h = ProducerEventId(in)) return std::string(*h);
  return in.topic + "/" + std::to_string(in.partition) + "/" + std::to_string(in.offset);
}

Record DeadLetter(const Record& in, const Error& error, const std::string& dlq_topic) {
  Record out;
  out.topic = dlq_topic;
  out.key = in.key;
  out.value = in.value ? *in.value : std::string();
  out.timestamp_ms = in.timestamp_ms;
  out.headers = in.headers;
  out.headers.push_back({HeaderName(v1::DEAD_LETTER_HEADER_ERROR_CODE), error.CodeName()});
  out.headers.push_back({HeaderName(v1::DEAD_LETTER_HEADER_ERROR_REASON), error.reason});
  out.headers.push_back({HeaderName(v1::DEAD_LETTER_HEADER_SOURCE_TOPIC), in.topic});
  out.headers.push_back({HeaderName(v1::DEAD_LETTER_HEADER_SOURCE_PARTITION), std::to_string(in.partition)});
  out.headers.push_back({HeaderName(v1::DEAD_LETTER_HEADER_SOURCE_OFFSET), std::to_string(in.offset)});
  out.headers.push_back(
      {HeaderName(v1::DEAD_LETTER_HEADER_NORMALIZER_VERSION), std::string(normalize::kNormalizerVersion)});
  return out;
}

Result<ProcessResult> Process(const Record& in, dedup::Deduper& deduper, const PipelineOptions& options) {
  ProcessResult result;
  const std::string event_id = EventId(in);
  auto& outcome = result.outcome;
  outcome.set_event_id(event_id);
  outcome.mutable_source()->set_topic(in.topic);
  outcome.mutable_source()->set_partition(in.partition);
  outcome.mutable_source()->set_offset(in.offset);
  const std::string content_type = Header(in, "content-type");
  result.format = FormatLabel(content_type);

  auto emit_outcome = [&] {
    Record r;
    r.topic = options.outcomes_topic;
    r.key = event_id;
    r.value = outcome.SerializeAsString();
    r.timestamp_ms = in.timestamp_ms;
    r.headers.push_back({"decision", std::string(dedup::DecisionName(outcome.decision()))});
    result.records.push_back(std::move(r));
  };
  auto reject = [&](Error e) {
    outcome.set_decision(v1::DECISION_DEAD_LETTER);
    outcome.set_error_code(e.CodeName());
    result.records.push_back(DeadLetter(in, e, options.dlq_topic));
    result.dead_letter = std::move(e);
    emit_outcome();
    return Result<ProcessResult>(std::move(result));
  };

  // Decode: the checks the edge can make before the normalizer.
  auto t0 = std::chrono::steady_clock::now();
  if (!in.value || in.value->empty()) return reject({v1::ERROR_CODE_EMPTY_VALUE, "the event value is empty"});
  if (in.value->size() > options.limits.max_bytes) {
    return reject({v1::ERROR_CODE_VALUE_TOO_LARGE, "value of " + std::to_string(in.value->size()) +
                                                       " bytes exceeds the limit of " +
                                                       std::to_string(options.limits.max_bytes)});
  }
  if (content_type.empty()) {
    return reject({v1::ERROR_CODE_UNKNOWN_CONTENT_TYPE, "no content-type header on the event"});
  }
  normalize::Metadata meta;
  meta.content_type = content_type;
  meta.url = Header(in, "url");
  meta.provider = Header(in, "provider");
  meta.guid = Header(in, "guid");
  meta.version = Header(in, "version");
  meta.event_id = event_id;
  meta.event_time_ms = in.timestamp_ms;
  for (const auto& h : in.headers) meta.headers.emplace_back(h.key, h.value);
  result.times.decode = Since(t0);

  // Normalize.
  t0 = std::chrono::steady_clock::now();
  auto article = normalize::Normalize(*in.value, meta, options.limits);
  result.times.normalize = Since(t0);
  if (!article.ok()) return reject(article.error());
  v1::Article& a = article.value();
  auto* prov = a.mutable_provenance();
  prov->set_source_topic(in.topic);
  prov->set_source_partition(in.partition);
  prov->set_source_offset(in.offset);
  result.provider = prov->provider();
  if (!a.has_versioncreated() && in.timestamp_ms > 0)
    SetTimestamp(a.mutable_versioncreated(), in.timestamp_ms);
  if (!a.has_firstcreated()) *a.mutable_firstcreated() = a.versioncreated();

  // Decide.
  t0 = std::chrono::steady_clock::now();
  dedup::EventContext ctx{in.partition, in.offset, in.timestamp_ms, event_id};
  if (auto h = ProducerEventId(in)) ctx.producer_event_id = std::string(*h);
  auto decided = deduper.Process(a, ctx, &result.index_changes);
  if (!decided.ok()) return decided.error();
  const dedup::Decision& d = decided.value();
  result.visibility_time_ms = d.visibility_time_ms;
  result.times.decide = Since(t0);
  outcome.set_decision(d.decision);
  outcome.set_story_id(d.story_id);
  outcome.set_version(d.version);
  outcome.set_of_story(d.of);
  outcome.set_similarity(d.similarity);

  if (d.Publishes()) {
    a.set_uri(d.story_id);
    a.set_version(d.version);
    if (d.decision == v1::DECISION_CANCEL) a.set_pubstatus(v1::PUB_STATUS_CANCELED);
    v1::ArticleEvent ev;
    ev.set_kind(d.kind);
    ev.set_story_id(d.story_id);
    ev.set_version(d.version);
    ev.set_previous_version(d.previous_version);
    *ev.mutable_change() = d.change;
    ev.set_of_story(d.of);
    ev.set_similarity(d.similarity);
    *ev.mutable_source() = outcome.source();
    if (in.timestamp_ms > 0) SetTimestamp(ev.mutable_event_time(), in.timestamp_ms);
    ev.set_event_id(event_id);

    Record art;
    art.topic = options.articles_topic;
    art.key = d.story_id;
    art.timestamp_ms = in.timestamp_ms;
    if (d.decision == v1::DECISION_CANCEL) {
      // Tombstone: downstream compaction removes the story.
      v1::Article* stub = ev.mutable_article();
      stub->set_uri(d.story_id);
      stub->set_version(d.version);
      stub->set_pubstatus(v1::PUB_STATUS_CANCELED);
      *stub->mutable_provenance() = a.provenance();
    } else {
      art.value = a.SerializeAsString();
      *ev.mutable_article() = std::move(a);
    }
    art.headers.push_back({"content-type", "application/x-protobuf; messageType=copydesk.v1.Article"});
    result.records.push_back(std::move(art));

    Record evr;
    evr.topic = options.events_topic;
    evr.key = d.story_id;
    evr.timestamp_ms = in.timestamp_ms;
    evr.value = ev.SerializeAsString();
    evr.headers.push_back({"content-type", "application/x-protobuf; messageType=copydesk.v1.ArticleEvent"});
    result.records.push_back(std::move(evr));
  }
  emit_outcome();
  return result;
}

}  // namespace copydesk::ingest
