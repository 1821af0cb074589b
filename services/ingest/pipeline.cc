#include "ingest/pipeline.h"

#include <algorithm>
#include <chrono>

#include "copydesk/v1/dead_letter.pb.h"
#include "ingest/pipeline_input.h"
#include "ingest/pipeline_outputs.h"

namespace copydesk::ingest {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
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

// Bounds of the strings an outcome carries for each item, so that an outcome listing
// normalize::Limits::max_items (1,000) items stays well below a 1 MiB record.
constexpr size_t kMaxOutcomeGuidBytes = 256;
constexpr size_t kMaxReasonBytes = 256;
constexpr size_t kMaxWorkerBytes = 256;
// What releasing a held version adds to its ArticleEvent record (EmbargoRelease, two timestamps).
constexpr size_t kEmbargoBytes = 64;

// An item's guid as the outcome lists it: printable UTF-8 (else left out) and bounded.
std::string OutcomeGuid(std::string_view guid) {
  if (guid.size() > kMaxOutcomeGuidBytes || !IsPrintableUtf8(guid)) return "";
  return std::string(guid);
}

// An error's reason as outcomes and dead-letter headers carry it: valid UTF-8, bounded.
std::string Reason(const Error& e) {
  return SafeText(e.reason, kMaxReasonBytes);
}

// The decision's fields of an outcome (IngestOutcome or ItemOutcome).
template <typename Outcome>
void SetDecision(Outcome& o, const dedup::Decision& d) {
  o.set_decision(d.decision);
  o.set_story_id(d.story_id);
  o.set_version(d.version);
  o.set_of_story(d.of);
  o.set_similarity(d.similarity);
}

// What an embargo did to it.
template <typename Outcome>
void SetHold(Outcome& o, const std::optional<v1::Hold>& hold) {
  if (hold) *o.mutable_hold() = *hold;
}

// One input, processed: its items decided, its records built.
class InputRun {
 public:
  InputRun(const Record& in, dedup::Deduper& deduper, const PipelineOptions& options,
           std::optional<embargo::HoldContext> hold)
      : in_(in),
        deduper_(deduper),
        options_(options),
        hold_(hold),
        event_id_(EventId(in)),
        start_(Clock::now()) {}

  Result<ProcessResult> Run();

 private:
  // An article decided: its decision, or why it is dead-lettered instead (its decision then
  // changes no state).
  struct Decided {
    dedup::Decision decision;
    std::optional<Error> rejected;
    std::optional<v1::Hold> hold;
  };

  Result<ProcessResult> Reject(Error e);
  // The checks before the normalizer, and its metadata: an error dead-letters the input.
  Result<normalize::Metadata> Admit();
  Status DecideItems(std::vector<normalize::Item>& items);
  void DeadLetterItem(const normalize::Item& item, uint32_t count, const Error& e, v1::ItemOutcome& io,
                      ItemResult& ir);
  // Decides one article (the input's, or one item's) and builds its records, the article moved into them.
  Result<Decided> DecideArticle(v1::Article&& a, const dedup::EventContext& ctx, const std::string& event_id);
  Result<ProcessResult> Finish();

  const Record& in_;
  dedup::Deduper& deduper_;
  const PipelineOptions& options_;
  const std::optional<embargo::HoldContext> hold_;
  const std::string event_id_;
  const Clock::time_point start_;
  InputHeaders headers_;
  OutputContext output_;
  ProcessResult result_;
};

Result<ProcessResult> InputRun::Reject(Error e) {
  auto& outcome = result_.outcome;
  outcome.set_decision(v1::DECISION_DEAD_LETTER);
  outcome.set_error_code(e.CodeName());
  outcome.set_error_reason(Reason(e));
  result_.records.push_back(DeadLetter(in_, e, options_.dlq_topic));
  ItemResult item;
  item.event_id = event_id_;
  item.decision = v1::DECISION_DEAD_LETTER;
  item.dead_letter = e;
  result_.items.push_back(std::move(item));
  result_.dead_letter = std::move(e);
  return Finish();
}

Result<normalize::Metadata> InputRun::Admit() {
  // A tombstone is Kafka's "delete this key" on a compacted topic; news.raw.v1 is a stream of
  // events, and a null value is none (README.md, "Headers and values").
  if (!in_.value) return Error{v1::ERROR_CODE_NULL_VALUE, "the event value is null (a tombstone)"};
  auto headers = ReadInputHeaders(in_);
  if (!headers.ok()) return headers.error();
  headers_ = std::move(headers.value());
  result_.format = FormatLabel(headers_.content_type);
  if (in_.value->empty()) return Error{v1::ERROR_CODE_EMPTY_VALUE, "the event value is empty"};
  if (in_.value->size() > options_.limits.max_bytes) {
    return Error{v1::ERROR_CODE_VALUE_TOO_LARGE, "value of " + std::to_string(in_.value->size()) +
                                                     " bytes exceeds the limit of " +
                                                     std::to_string(options_.limits.max_bytes)};
  }
  if (headers_.content_type.empty()) {
    return Error{v1::ERROR_CODE_UNKNOWN_CONTENT_TYPE, "no content-type header on the event"};
  }
  normalize::Metadata meta;
  meta.content_type = headers_.content_type;
  meta.url = headers_.url;
  meta.provider = headers_.provider;
  meta.guid = headers_.guid;
  meta.timezone = options_.TimezoneOf(headers_.provider);
  meta.version = headers_.version;
  meta.event_id = event_id_;
  meta.event_time_ms = in_.timestamp_ms;
  for (const auto& h : in_.headers) meta.headers.emplace_back(h.key, h.value);
  return meta;
}

Result<ProcessResult> InputRun::Run() {
  auto& outcome = result_.outcome;
  outcome.set_event_id(event_id_);
  outcome.mutable_source()->set_topic(in_.topic);
  outcome.mutable_source()->set_partition(in_.partition);
  outcome.mutable_source()->set_offset(in_.offset);
  result_.format = FormatLabel(in_.HeaderValue("content-type").value_or(""));
  // The trace context goes on every output, dead letters' outcomes too.
  output_.timestamp_ms = in_.timestamp_ms;
  output_.source = outcome.source();
  if (auto tp = in_.HeaderValue("traceparent"); tp && IsTraceparent(*tp)) {
    output_.traceparent = std::string(*tp);
    if (auto ts = in_.HeaderValue("tracestate"); ts && IsTracestate(*ts))
      output_.tracestate = std::string(*ts);
  }

  auto t0 = Clock::now();
  auto meta = Admit();
  result_.times.decode = Since(t0);
  if (!meta.ok()) return Reject(meta.error());

  // Normalize: every item of the input.
  t0 = Clock::now();
  auto items = normalize::NormalizeItems(*in_.value, meta.value(), options_.limits);
  result_.times.normalize = Since(t0);
  if (!items.ok()) return Reject(items.error());
  // A container (feed, newsMessage) gives its items their own bytes, whatever their number.
  const bool container = items->size() > 1 || !items->front().bytes.empty();
  if (container) {
    if (Status st = DecideItems(items.value()); !st.ok()) return st.error();
    return Finish();
  }
  v1::Article& a = items->front().article.value();
  result_.provider = a.provenance().provider();
  dedup::EventContext ctx{in_.partition, in_.offset, in_.timestamp_ms, event_id_};
  if (auto id = ProducerEventId(in_)) ctx.producer_event_id = std::string(*id);
  auto decided = DecideArticle(std::move(a), ctx, event_id_);
  if (!decided.ok()) return decided.error();
  if (decided->rejected) return Reject(std::move(*decided->rejected));
  const dedup::Decision& d = decided->decision;
  SetDecision(outcome, d);
  SetHold(outcome, decided->hold);
  ItemResult item;
  item.event_id = event_id_;
  item.decision = d.decision;
  item.provider = result_.provider;
  result_.items.push_back(std::move(item));
  return Finish();
}

// Each item on its own: its event id, its decision (a decision-log entry of its own: the item
// is part of the decision's position), or its own dead letter.
Status InputRun::DecideItems(std::vector<normalize::Item>& items) {
  auto& outcome = result_.outcome;
  outcome.set_decision(v1::DECISION_ITEMS);
  const auto count = static_cast<uint32_t>(items.size());
  const auto producer_id = ProducerEventId(in_);
  for (auto& item : items) {
    ItemResult ir;
    ir.index = item.index;
    ir.event_id = ItemEventId(event_id_, item.index);
    v1::ItemOutcome& io = *outcome.add_items();
    io.set_index(item.index);
    io.set_event_id(ir.event_id);
    io.set_guid(OutcomeGuid(item.guid));
    if (!item.article.ok()) {
      DeadLetterItem(item, count, item.article.error(), io, ir);
      continue;
    }
    v1::Article& a = item.article.value();
    a.mutable_provenance()->set_event_id(ir.event_id);
    a.mutable_provenance()->set_parent_event_id(event_id_);
    ir.provider = a.provenance().provider();
    if (result_.provider.empty()) result_.provider = ir.provider;
    dedup::EventContext ctx{in_.partition, in_.offset, in_.timestamp_ms, ir.event_id};
    ctx.item = item.index;
    if (producer_id) ctx.producer_event_id = ItemEventId(*producer_id, item.index);
    auto decided = DecideArticle(std::move(a), ctx, ir.event_id);
    if (!decided.ok()) return decided.error();
    if (decided->rejected) {
      DeadLetterItem(item, count, *decided->rejected, io, ir);
      continue;
    }
    SetDecision(io, decided->decision);
    SetHold(io, decided->hold);
    ir.decision = decided->decision.decision;
    result_.items.push_back(std::move(ir));
  }
  return OkStatus();
}

// An item's own dead letter: its bytes, the input's key and headers, its position.
void InputRun::DeadLetterItem(const normalize::Item& item, uint32_t count, const Error& e,
                              v1::ItemOutcome& io, ItemResult& ir) {
  Record dl = DeadLetter(in_, e, options_.dlq_topic);
  dl.value = item.bytes;
  dl.headers.push_back({HeaderName(v1::DEAD_LETTER_HEADER_ITEM_INDEX), std::to_string(item.index)});
  dl.headers.push_back({HeaderName(v1::DEAD_LETTER_HEADER_ITEM_COUNT), std::to_string(count)});
  result_.records.push_back(std::move(dl));
  io.set_decision(v1::DECISION_DEAD_LETTER);
  io.set_error_code(e.CodeName());
  io.set_error_reason(Reason(e));
  ir.decision = v1::DECISION_DEAD_LETTER;
  ir.dead_letter = e;
  result_.items.push_back(std::move(ir));
}

Result<InputRun::Decided> InputRun::DecideArticle(v1::Article&& a, const dedup::EventContext& ctx,
                                                  const std::string& event_id) {
  auto* prov = a.mutable_provenance();
  prov->set_source_topic(in_.topic);
  prov->set_source_partition(in_.partition);
  prov->set_source_offset(in_.offset);
  if (!a.has_versioncreated() && in_.timestamp_ms > 0)
    embargo::SetMillis(a.mutable_versioncreated(), in_.timestamp_ms);
  if (!a.has_firstcreated()) *a.mutable_firstcreated() = a.versioncreated();

  const auto t0 = Clock::now();
  dedup::MutationBatch batch;
  auto decided = deduper_.Decide(a, ctx, &batch);
  if (!decided.ok()) return decided.error();
  result_.times.decide += Since(t0);
  Decided out{std::move(decided.value()), std::nullopt, std::nullopt};
  const dedup::Decision& d = out.decision;
  std::vector<Record> records;
  std::optional<embargo::HoldResult> held;
  if (d.Publishes()) {
    // The article is not used after this: moved into the event, not copied.
    const v1::ArticleEvent ev = ArticleEventOf(std::move(a), d, event_id, output_);
    records = EventRecords(ev, output_, options_);
    if (hold_) {
      auto h = embargo::Hold(deduper_.store(), ev, d, *hold_, options_, output_, &batch);
      if (!h.ok()) return h.error();
      held = std::move(h.value());
    }
  }
  // A held version is stored as its event and released with its release time added: room for it.
  const size_t reserve = held && held->withheld ? kEmbargoBytes : 0;
  // Records an output topic would refuse are dead-lettered now, deterministically, and the
  // decision is dropped with its state changes: a delivery that fails on every retry would hold
  // the partition.
  for (const Record& r : records) {
    const size_t bytes = RecordBytes(r) + reserve;
    if (bytes <= options_.max_output_bytes) continue;
    out.rejected = Error{v1::ERROR_CODE_OUTPUT_TOO_LARGE,
                         "the " + r.topic + " record would take " + std::to_string(bytes) +
                             " bytes, more than the limit of " + std::to_string(options_.max_output_bytes)};
    return out;
  }
  if (Status st = deduper_.Commit(batch, &result_.index_changes); !st.ok()) return st.error();
  result_.visibility_time_ms = std::max(result_.visibility_time_ms, d.visibility_time_ms);
  if (held) {
    if (held->withheld) records.clear();
    for (Record& r : held->records) records.push_back(std::move(r));
    if (held->change) result_.held_changes.push_back(std::move(*held->change));
    out.hold = std::move(held->outcome);
  }
  for (Record& r : records) result_.records.push_back(std::move(r));
  return out;
}

// The input's one outcome, last.
Result<ProcessResult> InputRun::Finish() {
  auto& outcome = result_.outcome;
  outcome.set_worker(SafeText(options_.worker, kMaxWorkerBytes));
  outcome.set_normalizer_version(std::string(normalize::kNormalizerVersion));
  outcome.set_format(result_.format);
  outcome.set_traceparent(output_.traceparent);
  outcome.set_tracestate(output_.tracestate);
  // The one field that is not a function of the input.
  outcome.set_processing_micros(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start_).count()));
  Record r;
  r.topic = options_.outcomes_topic;
  r.key = event_id_;
  r.value = outcome.SerializeAsString();
  r.timestamp_ms = in_.timestamp_ms;
  r.headers.push_back({"decision", std::string(dedup::DecisionName(outcome.decision()))});
  AddContractHeaders(r, output_, options_, "copydesk.v1.IngestOutcome", event_id_ + "/outcome");
  result_.records.push_back(std::move(r));
  return std::move(result_);
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
    case normalize::Format::kAnpa1312: return "anpa1312";
    case normalize::Format::kIptc7901: return "iptc7901";
    case normalize::Format::kNewsMl1: return "newsml1";
    case normalize::Format::kUnknown: break;
  }
  return "unknown";
}

std::optional<std::string_view> ProducerEventId(const Record& in) {
  return UsableEventId(in);
}

std::string EventId(const Record& in) {
  if (auto h = ProducerEventId(in)) return std::string(*h);
  return in.topic + "/" + std::to_string(in.partition) + "/" + std::to_string(in.offset);
}

std::string ItemEventId(std::string_view input_event_id, uint32_t index) {
  return std::string(input_event_id) + "#" + std::to_string(index);
}

Record DeadLetter(const Record& in, const Error& error, const std::string& dlq_topic) {
  Record out;
  out.topic = dlq_topic;
  out.key = in.key;
  out.value = in.value;
  out.timestamp_ms = in.timestamp_ms;
  out.headers = in.headers;
  out.headers.push_back({HeaderName(v1::DEAD_LETTER_HEADER_ERROR_CODE), error.CodeName()});
  out.headers.push_back({HeaderName(v1::DEAD_LETTER_HEADER_ERROR_REASON), Reason(error)});
  out.headers.push_back({HeaderName(v1::DEAD_LETTER_HEADER_SOURCE_TOPIC), in.topic});
  out.headers.push_back({HeaderName(v1::DEAD_LETTER_HEADER_SOURCE_PARTITION), std::to_string(in.partition)});
  out.headers.push_back({HeaderName(v1::DEAD_LETTER_HEADER_SOURCE_OFFSET), std::to_string(in.offset)});
  out.headers.push_back(
      {HeaderName(v1::DEAD_LETTER_HEADER_NORMALIZER_VERSION), std::string(normalize::kNormalizerVersion)});
  return out;
}

size_t RecordBytes(const Record& r) {
  // A record batch's header (61 bytes) and one record's length, attributes, deltas and header
  // count (at most 21 bytes of varints), then per header its two lengths (at most 10 bytes).
  size_t n = 61 + 21 + (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
  for (const auto& h : r.headers) n += 10 + h.key.size() + h.value.size();
  return n;
}

Result<ProcessResult> Process(const Record& in, dedup::Deduper& deduper, const PipelineOptions& options,
                              std::optional<embargo::HoldContext> hold) {
  return InputRun(in, deduper, options, hold).Run();
}

}  // namespace copydesk::ingest
