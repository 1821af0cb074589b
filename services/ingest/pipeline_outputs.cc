#include "ingest/pipeline_outputs.h"

#include <cstdio>
#include <ctime>
#include <utility>

#include "dedup/lineage.h"
#include "ingest/embargo.h"
#include "ingest/pipeline.h"
#include "normalize/ninjs_writer.h"

namespace copydesk::ingest {
namespace {

Record Output(const std::string& topic, const std::string& key, const OutputContext& ctx) {
  Record r;
  r.topic = topic;
  r.key = key;
  r.timestamp_ms = ctx.timestamp_ms;
  return r;
}

}  // namespace

std::string Rfc3339(int64_t ms) {
  const int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  const auto t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms - secs * 1000));
  return buf;
}

void AddContractHeaders(Record& r, const OutputContext& ctx, const PipelineOptions& options,
                        std::string_view type, std::string_view ce_id) {
  if (!ctx.traceparent.empty()) {
    r.headers.push_back({"traceparent", ctx.traceparent});
    if (!ctx.tracestate.empty()) r.headers.push_back({"tracestate", ctx.tracestate});
  }
  if (!options.cloudevents) return;
  r.headers.push_back({"ce_specversion", "1.0"});
  r.headers.push_back({"ce_id", std::string(ce_id)});
  r.headers.push_back({"ce_source", options.cloudevents_source});
  r.headers.push_back({"ce_type", std::string(type)});
  if (ctx.timestamp_ms > 0) r.headers.push_back({"ce_time", Rfc3339(ctx.timestamp_ms)});
}

v1::ArticleEvent ArticleEventOf(v1::Article a, const dedup::Decision& d, const std::string& event_id,
                                const OutputContext& ctx) {
  a.set_uri(d.story_id);
  a.set_version(d.version);
  if (d.decision == v1::DECISION_CANCEL) a.set_pubstatus(v1::PUB_STATUS_CANCELED);
  if (d.lineage.fields_size() > 0) *a.mutable_lineage() = d.lineage;
  auto* prov = a.mutable_provenance();
  prov->set_traceparent(ctx.traceparent);
  prov->set_tracestate(ctx.tracestate);
  v1::ArticleEvent ev;
  ev.set_kind(d.kind);
  ev.set_story_id(d.story_id);
  ev.set_version(d.version);
  ev.set_previous_version(d.previous_version);
  *ev.mutable_change() = d.change;
  dedup::FillParagraphTexts(a, *ev.mutable_change());
  ev.set_of_story(d.of);
  ev.set_similarity(d.similarity);
  *ev.mutable_source() = ctx.source;
  if (ctx.timestamp_ms > 0) embargo::SetMillis(ev.mutable_event_time(), ctx.timestamp_ms);
  ev.set_event_id(event_id);
  if (d.decision == v1::DECISION_CANCEL) {
    // The Article record is a tombstone (downstream compaction removes the story).
    v1::Article* stub = ev.mutable_article();
    stub->set_uri(d.story_id);
    stub->set_version(d.version);
    stub->set_pubstatus(v1::PUB_STATUS_CANCELED);
    *stub->mutable_provenance() = a.provenance();
  } else {
    *ev.mutable_article() = std::move(a);
  }
  return ev;
}

OutputContext ContextOf(const v1::ArticleEvent& ev) {
  OutputContext ctx;
  ctx.traceparent = ev.article().provenance().traceparent();
  ctx.tracestate = ev.article().provenance().tracestate();
  ctx.timestamp_ms = embargo::Millis(ev.event_time());
  ctx.source = ev.source();
  return ctx;
}

std::vector<Record> EventRecords(const v1::ArticleEvent& ev, const OutputContext& ctx,
                                 const PipelineOptions& options) {
  const std::string& story = ev.story_id();
  const bool cancel = ev.kind() == v1::EVENT_KIND_CANCELED;
  // The CloudEvents id of each record: the event id (an item's own) and what the record is.
  const std::string ce_base = ev.event_id() + "/" + story + "/" + std::to_string(ev.version());
  const v1::Article& a = ev.article();

  std::vector<Record> out;
  out.push_back(Output(options.articles_topic, story, ctx));
  Record& art = out.back();
  if (!cancel) art.value = a.SerializeAsString();
  art.headers.push_back({"content-type", "application/x-protobuf; messageType=copydesk.v1.Article"});
  AddContractHeaders(art, ctx, options, "copydesk.v1.Article", ce_base + "/article");

  out.push_back(Output(options.events_topic, story, ctx));
  Record& evr = out.back();
  evr.value = ev.SerializeAsString();
  evr.headers.push_back({"content-type", "application/x-protobuf; messageType=copydesk.v1.ArticleEvent"});
  AddContractHeaders(evr, ctx, options, "copydesk.v1.ArticleEvent", ce_base + "/event");

  if (!options.ninjs_topic.empty()) {
    out.push_back(Output(options.ninjs_topic, story, ctx));
    Record& nr = out.back();
    if (!cancel) nr.value = normalize::ToNinjs(a);
    nr.headers.push_back({"content-type", "application/ninjs+json"});
    AddContractHeaders(nr, ctx, options, "copydesk.v1.Article.ninjs", ce_base + "/ninjs");
  }
  return out;
}

std::vector<Record> ArticleRecords(v1::Article a, const dedup::Decision& d, const std::string& event_id,
                                   const OutputContext& ctx, const PipelineOptions& options) {
  return EventRecords(ArticleEventOf(std::move(a), d, event_id, ctx), ctx, options);
}

}  // namespace copydesk::ingest
