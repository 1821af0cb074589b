#include "ingest/worker.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>
#include <tuple>

#include "common/log.h"
#include "dedup/records.h"
#include "ingest/batching.h"

namespace copydesk::ingest {
namespace {

using namespace std::chrono_literals;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr std::string_view kInputOffsetHeader = "x-copydesk-input-offset";
// Local-only key (never on the changelog): the input offset the local state is committed up to.
const std::string kMarkerKey = std::string("\xff\xff") + "copydesk/committed_next";
// Batches of at least this many events write their local state while the transaction commits.
constexpr int kOverlapMinEvents = 128;
// The layout of the local state (services/dedup/records.h); bump when it changes.
constexpr std::string_view kStateFormat = "s4:";

// Progress markers on the shared index topic (README.md, "Progress and the visibility wait"):
// key "w/" + input partition (4 bytes, big-endian), value the partition's progress (8 bytes).
constexpr std::string_view kProgressPrefix = "w/";
// An idle partition (nothing delivered for kIdleMs, caught up) raises its clock to now -
// kFloorLagMs once it is kFloorStepMs behind that; markers are resent every kHeartbeatMs.
constexpr int64_t kIdleMs = 250;
constexpr int64_t kFloorLagMs = 250;
constexpr int64_t kFloorStepMs = 250;
constexpr int64_t kHeartbeatMs = 1000;
// The worker's own documents for its shared index (21 keys each) are written before the first
// decision that may see one (Δ after it was decided), at the latest at kOwnIndexMaxPending, and
// at a steady rate (input caught up, at most kOwnIndexSteadyDocs in kOwnIndexMaxAgeMs) every
// kOwnIndexMaxAgeMs: left to pile up for Δ, 1,000 events/s made one write of ~20,000 keys every
// 2 s, a 40-160 ms stall of every event behind it. A backlog keeps the lazy writes: writing every
// 100 ms through one took 13-20 % of the throughput.
constexpr size_t kOwnIndexMaxPending = 20000;
constexpr size_t kOwnIndexSteadyDocs = 100;
constexpr int64_t kOwnIndexMaxAgeMs = 100;

std::string ProgressKey(int32_t partition) {
  std::string key(kProgressPrefix);
  dedup::internal::Be32(key, static_cast<uint32_t>(partition));
  return key;
}

}  // namespace

void WorkerOptions::Describe(ConfigSchema& schema) {
  kafka.Describe(schema);
  topics.Describe(schema);
  schema.String("ingest.group_id", &group_id, "consumer group of the ingest workers");
  schema.Enum("ingest.mode", &mode,
              "processing guarantee: Kafka transactions, or at-least-once with manual commits",
              {"transactional", "at-least-once"});
  schema.String("ingest.instance_id", &instance_id,
                "stable worker identity (transactional.id suffix); default: the host name");
  schema.Int("ingest.commit_interval_ms", &commit_interval_ms, "commit the open batch at least this often", 1,
             60000);
  schema.Int("ingest.commit_max_events", &commit_max_events, "commit the open batch at this many events", 1,
             100000);
  schema.Int("ingest.max_value_bytes", &max_value_bytes, "larger events go to the dead-letter topic", 1,
             256 << 20);
  schema.Int("ingest.max_event_millis", &max_event_millis, "time limit for normalizing one event", 1, 600000);
  schema.Int("ingest.session_timeout_ms", &session_timeout_ms, "consumer group session timeout", 1000,
             300000);
  schema.Bool("dedup.shared_index", &shared_index,
              "match near-duplicates across partitions through the shared index topic");
  schema.Int("dedup.shared_index_memory_mib", &shared_index_memory_mib,
             "keep the shared index in memory up to this size, then move it to RocksDB under "
             "ingest.state_dir (0 = RocksDB from the start; no state dir = always memory)",
             0, 1 << 20);
  schema.Int("dedup.partition_bands_memory_mib", &partition_bands_memory_mib,
             "keep the assigned partitions' near-duplicate band entries in memory up to this size in "
             "all, then move the largest partition's into its RocksDB store (0 = RocksDB from the start; "
             "no state dir = always memory)",
             0, 1 << 20);
  schema.Int("dedup.visibility_delay_ms", &visibility_delay_ms,
             "another partition's document is visible to a record only when indexed this much earlier", 0,
             3'600'000);
  schema.Int("ingest.visibility_wait_ms", &visibility_wait_ms,
             "a record waits for the other partitions' progress at most until a partition has sent no "
             "marker for this long; 0 = never wait (cross-partition decisions then depend on timing)",
             0, 3'600'000);
  schema.Int("ingest.restore_timeout_ms", &restore_timeout_ms,
             "a partition's restore retries transient Kafka errors for this long, then the worker exits "
             "with status 3",
             100, 86'400'000);
  schema.String(
      "ingest.state_dir", &state_dir,
      "local dedup state (RocksDB per partition); empty = memory only, restored from the changelog");
}

Worker::Worker(WorkerOptions options, metrics::IngestMetrics& metrics)
    : options_(std::move(options)), metrics_(metrics), started_ms_(NowMs()) {
  pipeline_.articles_topic = options_.topics.articles;
  pipeline_.events_topic = options_.topics.events;
  pipeline_.dlq_topic = options_.topics.dlq;
  pipeline_.outcomes_topic = options_.topics.outcomes;
  pipeline_.limits.max_bytes = static_cast<size_t>(options_.max_value_bytes);
  pipeline_.limits.max_millis = static_cast<uint32_t>(options_.max_event_millis);
}

// The group consumer is closed first, while everything its revoke callback reads still exists
// (members are destroyed in reverse order of declaration, the consumer after the partitions).
Worker::~Worker() {
  closing_ = true;
  if (consumer_) (void)consumer_->Close(4s);
  consumer_.reset();
}

Result<std::unique_ptr<Worker>> Worker::Create(const WorkerOptions& options,
                                               metrics::IngestMetrics& metrics) {
  std::unique_ptr<Worker> w(new Worker(options, metrics));
  auto& o = w->options_;
  if (o.instance_id.empty()) {
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    o.instance_id = std::string(host) + "-" + std::to_string(getpid());
  }
  auto base = o.kafka.ClientProperties();

  auto pprops = base;
  pprops["enable.idempotence"] = "true";
  // At-least-once releases an event's outputs once its changelog records are acknowledged: two
  // produce round trips per event, each waiting out linger.ms, so it lingers 1 ms (p50 29 -> 19 ms
  // at 1,000 events/s). Transactional mode sends at the commit and flushes at once; 5 ms batches
  // its records. kafka.property.linger.ms overrides both.
  pprops.emplace("linger.ms", w->transactional() ? "5" : "1");
  pprops["queue.buffering.max.messages"] = "20000";
  // Dead letters carry the original value, which may exceed max_value_bytes: leave room.
  pprops["message.max.bytes"] =
      std::to_string(std::max<int64_t>(2 * o.max_value_bytes + (1 << 20), 32 << 20));
  if (w->transactional()) {
    pprops["transactional.id"] = o.group_id + "-" + o.instance_id;
    pprops["transaction.timeout.ms"] = "60000";
  }
  auto producer = kafka::Producer::Create(pprops);
  if (!producer.ok()) return producer.error();
  w->producer_ = std::move(producer.value());
  {
    const auto& t = o.topics;
    Status st = w->producer_->WarmUp({t.changelog, t.index, t.articles, t.events, t.outcomes, t.dlq}, 10s);
    if (!st.ok()) Logger("ingest")->warn("producer warm-up failed reason=\"{}\"", st.error().reason);
  }
  if (w->transactional()) {
    Status st = w->producer_->InitTransactions(30s);
    if (!st.ok()) return st.error();
  }

  auto cprops = base;
  cprops["group.id"] = o.group_id;
  cprops["enable.auto.commit"] = "false";
  cprops["enable.auto.offset.store"] = "false";
  // Never skip input silently: each partition starts at its committed offset (the beginning when
  // there is none), and a position the broker no longer has is handled in OnOutOfRange.
  cprops["auto.offset.reset"] = "error";
  cprops["partition.assignment.strategy"] = "cooperative-sticky";
  cprops["isolation.level"] = "read_committed";
  cprops["fetch.wait.max.ms"] = "10";
  cprops["session.timeout.ms"] = std::to_string(o.session_timeout_ms);
  cprops["heartbeat.interval.ms"] = std::to_string(std::max<int64_t>(o.session_timeout_ms / 6, 250));
  cprops["statistics.interval.ms"] = "5000";
  cprops["fetch.message.max.bytes"] =
      std::to_string(std::max<int64_t>(o.max_value_bytes + (1 << 20), 1048576));
  if (o.shared_index) {
    Status st = w->OpenSharedIndex();
    if (!st.ok()) return st.error();
  }
  if (w->WaitsForProgress()) {
    auto n = kafka::PartitionCount(w->producer_->raw(), o.topics.raw);
    if (!n.ok()) return n.error();
    // Markers read at start-up count as fresh; a partition without any is waited for from now.
    w->progress_.resize(static_cast<size_t>(n.value()), INT64_MIN);
    w->progress_seen_ms_.resize(static_cast<size_t>(n.value()), NowMs());
  }
  Worker* raw = w.get();
  auto consumer = kafka::Consumer::Create(
      cprops,
      [raw](bool assigned, std::vector<kafka::TopicPartitionOffset>& parts) {
        raw->OnRebalance(assigned, parts);
      },
      [raw](std::string_view json) { raw->metrics_.OnStatistics(json); });
  if (!consumer.ok()) return consumer.error();
  w->consumer_ = std::move(consumer.value());
  Status st = w->consumer_->Subscribe({o.topics.raw});
  if (!st.ok()) return st.error();
  return w;
}

void Worker::OnRebalance(bool assigned, std::vector<kafka::TopicPartitionOffset>& parts) {
  auto log = Logger("ingest");
  const size_t given = parts.size();
  if (assigned) {
    ever_assigned_ = true;
    metrics_.rebalance_assign.Increment();
    // Every partition is held back: it joins the consumer's assignment once StepRestores has
    // opened its state (and restored it from the changelog when the local state is not current),
    // between polls. Doing that here, inside the callback, would stall this worker's other
    // partitions and its answer to the group, and could not wait out a transient Kafka error.
    for (const auto& p : parts) Assign(p.partition);
    std::vector<kafka::TopicPartitionOffset> ready;
    parts = std::move(ready);
  } else {
    metrics_.rebalance_revoke.Increment();
    if (closing_ || !fatal_.ok()) {
      // Exiting on a fatal error, or destroyed: nothing more is published or committed; the
      // next owner reprocesses the open batch's inputs.
    } else if (consumer_ && consumer_->AssignmentLost()) {
      // The session timed out: another member may be deciding these partitions already, so
      // nothing of the open batch may be published (a real cluster would fence the commit; the
      // embedded broker would not). Its inputs are reprocessed by their new owner.
      log->warn("partitions lost (session timed out); the open batch is aborted, not committed");
      if (txn_open_) AbortBatch("partitions lost");
    } else {
      // Finish the open batch before the partitions go.
      Status st = CommitBatch();
      if (!st.ok()) log->warn("commit on revoke failed reason=\"{}\"", st.error().reason);
    }
    std::vector<kafka::TopicPartitionOffset> added;
    for (const auto& p : parts) {
      auto it = partitions_.find(p.partition);
      // Its held records go with it (the next owner fetches them); it must not stay paused.
      if (it != partitions_.end() && !it->second.held.empty()) (void)consumer_->Resume({p});
      if (it != partitions_.end() && it->second.restore) {
        log->info("restore dropped, partition revoked partition={}", p.partition);
      } else {
        added.push_back(p);
      }
      if (it != partitions_.end()) partitions_.erase(it);
      metrics_.lag.Remove(std::to_string(p.partition));
    }
    parts = std::move(added);
  }
  metrics_.assigned_partitions.Set(static_cast<double>(partitions_.size()));
  UpdateRestoring();
  UpdateWaiting();
  log->info("rebalance kind={} partitions={} assigned_now={} restoring={}", assigned ? "assign" : "revoke",
            given, partitions_.size(), given - parts.size());
}

// Each worker instance keeps its local state in its own directory, so that several workers on one
// host never share (and lock) the same RocksDB databases.
std::string Worker::StateRoot() const {
  return options_.state_dir + "/" + options_.instance_id;
}

// The marker binds local state to the cluster, the committed input offset and the changelog
// position it reflects: "s4:<cluster id>/<committed input offset>/<changelog next offset>".
// kStateFormat first: local state written in another layout is never taken as current.
std::string Worker::MarkerHead() const {
  if (cluster_id_.empty()) {
    char* id = rd_kafka_clusterid(consumer_->raw(), 5000);
    if (id) {
      cluster_id_ = id;
      rd_kafka_mem_free(consumer_->raw(), id);
    }
  }
  return std::string(kStateFormat) + (cluster_id_.empty() ? "unknown" : cluster_id_) + "/";
}

std::string Worker::MarkerValue(int64_t committed_next, int64_t changelog_next) const {
  return MarkerHead() + std::to_string(committed_next) + "/" + std::to_string(changelog_next);
}

// The input offset the local state reaches when its marker says it is exactly what the changelog
// holds: same cluster, nobody wrote to the changelog partition since (a transaction's commit
// marker may add one offset on a real cluster), and at or past the group's committed offset.
// Past it is fine: the offset commits of the last batches failed (a rebalance), their decisions
// are in the state, and reprocessing those inputs replays them, exactly as after a restore.
// nullopt: restore from the changelog.
Result<std::optional<int64_t>> Worker::LocalStateIsCurrent(const std::string& marker, int32_t partition,
                                                           int64_t committed_next) const {
  const std::string head = MarkerHead();
  if (cluster_id_.empty()) return Error{v1::ERROR_CODE_INTERNAL, "the cluster id is not known yet"};
  if (!marker.starts_with(head)) return std::optional<int64_t>{};
  const size_t slash = marker.find('/', head.size());
  if (slash == std::string::npos) return std::optional<int64_t>{};
  int64_t local_next = 0, recorded = 0;
  try {
    local_next = std::stoll(marker.substr(head.size(), slash - head.size()));
    recorded = std::stoll(marker.substr(slash + 1));
  } catch (const std::exception&) {
    return std::optional<int64_t>{};
  }
  if (local_next < committed_next) return std::optional<int64_t>{};
  auto wm = kafka::Watermarks(producer_->raw(), options_.topics.changelog, partition);
  if (!wm.ok()) return wm.error();
  const int64_t hw = wm.value().second;
  if (hw < recorded || hw - recorded > 1) return std::optional<int64_t>{};
  // One offset more: a real cluster's commit marker, or (on a broker without markers, like the
  // embedded one) a one-record batch another worker wrote since. Only a marker is never
  // delivered: the partition's end is reached without a record.
  if (hw == recorded + 1 && !OnlyMarkerAt(partition, recorded)) return std::optional<int64_t>{};
  return std::optional<int64_t>(local_next);
}

// A consumer that reads assigned partitions to their end: committed data only, and an event at
// each partition's end, because the last offsets can be transaction markers (a real cluster
// writes one per committed transaction), which are never delivered. `fetch_wait_ms`: how long
// the broker may hold an empty fetch.
Result<std::unique_ptr<kafka::Consumer>> Worker::CreateReader(int fetch_wait_ms) const {
  auto props = options_.kafka.ClientProperties();
  props["isolation.level"] = "read_committed";
  props["enable.partition.eof"] = "true";
  props["fetch.wait.max.ms"] = std::to_string(fetch_wait_ms);
  return kafka::Consumer::Create(props);
}

// True when reading the changelog partition from `offset` reaches its end without a record.
bool Worker::OnlyMarkerAt(int32_t partition, int64_t offset) const {
  auto c = CreateReader(10);
  if (!c.ok() || !c.value()->Assign({{options_.topics.changelog, partition, offset}}).ok()) return false;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = c.value()->Poll(100ms);
    if (r.ok() && r.value()) return false;
    if (c.value()->TakeEndOfPartition()) return true;
  }
  return false;  // undecided: restore
}

void Worker::OnOutOfRange(const kafka::TopicPartitionOffset& position) {
  auto log = Logger("ingest");
  auto it = partitions_.find(position.partition);
  if (position.topic != options_.topics.raw || it == partitions_.end()) return;
  auto wm = kafka::Watermarks(consumer_->raw(), options_.topics.raw, position.partition);
  int64_t resume = position.offset;
  if (!wm.ok()) {
    log->warn(
        "input position not available, cannot read watermarks; retrying partition={} offset={} reason=\"{}\"",
        position.partition, position.offset, wm.error().reason);
  } else if (position.offset < wm.value().first) {
    // Gone (retention). Inputs whose decisions are in the state were processed already (the
    // group's offset commits lagged); the rest have no outcome, and nothing brings them back.
    resume = wm.value().first;
    const int64_t lost_from = std::max(position.offset, it->second.decided_next);
    if (lost_from < resume) {
      metrics_.input_lost.Increment(static_cast<double>(resume - lost_from));
      log->error(
          "input lost: records left the broker before they were processed partition={} offsets={}..{} "
          "count={} (retention shorter than the lag?)",
          position.partition, lost_from, resume - 1, resume - lost_from);
    } else {
      log->warn(
          "input position no longer on the broker, but every input before the first one there was "
          "processed already; continuing there partition={} offset={} first={} decided_next={}",
          position.partition, position.offset, resume, it->second.decided_next);
    }
  } else if (position.offset > wm.value().second) {
    // Beyond the end (a truncated log): continue at the end, where new input will appear.
    resume = wm.value().second;
    log->error(
        "input position beyond the end of the partition (truncated log?) partition={} offset={} end={}",
        position.partition, position.offset, resume);
  } else {
    // Within the log: a transient error (e.g. a leader change); fetch the same offset again.
    log->warn("input position reported out of range but is on the broker; retrying partition={} offset={}",
              position.partition, position.offset);
    std::this_thread::sleep_for(100ms);
  }
  if (it->second.batch_next < 0 && resume > it->second.committed_next) it->second.committed_next = resume;
  // librdkafka stopped fetching the partition (auto.offset.reset=error); a seek cannot restart it.
  Status st = consumer_->Restart({options_.topics.raw, position.partition, resume});
  if (!st.ok()) log->warn("restart failed partition={} reason=\"{}\"", position.partition, st.error().reason);
}

void Worker::Assign(int32_t partition) {
  Partition p;
  p.last_delivery_ms = NowMs();
  p.assignment = ++assignments_;
  p.restore = std::make_unique<Restore>();
  p.restore->deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.restore_timeout_ms);
  partitions_[partition] = std::move(p);
}

void Worker::NoteRetry(int32_t partition, Restore& r, const Error& e) {
  const auto now = std::chrono::steady_clock::now();
  ++r.retries;
  r.last_error = e.reason;
  r.retry_at = now + std::min<std::chrono::milliseconds>(100ms * (1 << std::min<int64_t>(r.retries, 5)), 2s);
  if (r.retries == 1 || now - r.warned_at >= 10s) {
    r.warned_at = now;
    Logger("ingest")->warn("restore retrying after a transient error partition={} retries={} reason=\"{}\"",
                           partition, r.retries, e.reason);
  }
}

Status Worker::OpenPartition(int32_t partition, Partition& p) {
  auto log = Logger("ingest");
  Restore& r = *p.restore;
  if (!r.have_committed) {
    auto committed = consumer_->Committed({{options_.topics.raw, partition, RD_KAFKA_OFFSET_INVALID}}, 10s);
    if (!committed.ok()) {
      NoteRetry(partition, r, committed.error());
      return OkStatus();
    }
    const int64_t next = committed.value().empty() ? RD_KAFKA_OFFSET_INVALID : committed.value()[0].offset;
    p.committed_next = next >= 0 ? next : 0;
    p.has_committed = next >= 0;
    r.have_committed = true;
  }
  if (!p.store) {
    std::unique_ptr<dedup::StateStore> base;
    bool local_is_current = false;
    if (!options_.state_dir.empty()) {
      const std::string path = StateRoot() + "/" + options_.topics.raw + "/p" + std::to_string(partition);
      if (!r.db) {
        std::error_code ec;
        std::filesystem::create_directories(path, ec);
        auto db = dedup::RocksDbStateStore::Open(path);
        if (!db.ok()) return db.error();
        auto marker = db.value()->Get(kMarkerKey);
        if (!marker.ok()) return marker.error();
        r.db = std::move(db.value());
        r.marker = marker.value();
      }
      std::optional<int64_t> local_next;
      if (r.marker) {
        auto current = LocalStateIsCurrent(*r.marker, partition, p.committed_next);
        if (!current.ok()) {
          NoteRetry(partition, r, current.error());
          return OkStatus();
        }
        local_next = current.value();
      }
      if (local_next) {
        local_is_current = true;
        p.decided_next = *local_next;
      } else {
        // Stale or foreign local state: start empty and restore from the changelog.
        r.db.reset();
        Status st = dedup::RocksDbStateStore::Destroy(path);
        if (!st.ok()) return st;
        auto db = dedup::RocksDbStateStore::Open(path);
        if (!db.ok()) return db.error();
        r.db = std::move(db.value());
      }
      base = std::move(r.db);
    } else {
      base = std::make_unique<dedup::MemoryStateStore>();
    }
    auto opened = dedup::PartitionStore::Open(std::move(base));
    if (!opened.ok()) return opened.error();
    if (!options_.state_dir.empty() && options_.partition_bands_memory_mib == 0) {
      if (Status st = opened.value()->MoveBandsToBase(); !st.ok()) return st;
    }
    p.store = std::make_unique<OverlayStore>(std::move(opened.value()));
    p.store->TrackChanges(pipelined());
    if (local_is_current) {
      log->info("local state is current partition={} committed_next={} decided_next={}", partition,
                p.committed_next, p.decided_next);
      return MakeReady(partition, p);
    }
  }
  return BeginRestore(partition, p);
}

int64_t Worker::StartOffset(const Partition& p) {
  // Exactly where the state is: the committed offset, or the beginning of the partition for a
  // group that never committed one.
  return p.has_committed ? p.committed_next : RD_KAFKA_OFFSET_BEGINNING;
}

size_t Worker::RestoringCount() const {
  return static_cast<size_t>(std::count_if(partitions_.begin(), partitions_.end(),
                                           [](const auto& kv) { return kv.second.restore != nullptr; }));
}

void Worker::UpdateRestoring() {
  metrics_.restoring_partitions.Set(static_cast<double>(RestoringCount()));
}

Status Worker::BeginRestore(int32_t partition, Partition& p) {
  Restore& r = *p.restore;
  auto wm = kafka::Watermarks(producer_->raw(), options_.topics.changelog, partition);
  if (!wm.ok()) {
    NoteRetry(partition, r, wm.error());
    return OkStatus();
  }
  std::tie(r.lo, r.hi) = wm.value();
  r.pos = r.lo;
  r.reading = true;
  if (r.hi > r.lo) {
    // The end-of-partition event says the restore is complete (CreateReader).
    auto c = CreateReader(10);
    if (!c.ok()) return c.error();
    r.consumer = std::move(c.value());
    Status st = r.consumer->Assign({{options_.topics.changelog, partition, r.lo}});
    if (!st.ok()) return st;
    Logger("ingest")->info("restore started partition={} changelog_records={}", partition, r.hi - r.lo);
  }
  if (r.pos >= r.hi) return FinishRestore(partition, p);
  return OkStatus();
}

void Worker::StepRestores(std::chrono::milliseconds budget) {
  const auto until = std::chrono::steady_clock::now() + budget;
  for (auto& [partition, p] : partitions_) {
    if (!p.restore) continue;
    Restore& r = *p.restore;
    const auto now = std::chrono::steady_clock::now();
    Status st = OkStatus();
    if (now > r.deadline) {
      st = Error{v1::ERROR_CODE_TIMEOUT,
                 "restoring partition " + std::to_string(partition) + " gave up after " +
                     std::to_string(options_.restore_timeout_ms) + " ms" +
                     (r.last_error.empty() ? "" : " (last error: " + r.last_error + ")")};
    } else if (!r.reading) {
      if (now >= r.retry_at) st = OpenPartition(partition, p);
    } else if (now < until) {
      st = ReadChangelog(partition, p, until);
    }
    if (!st.ok()) {
      Logger("ingest")->error("restore failed partition={} reason=\"{}\"", partition, st.error().reason);
      fatal_ = st;
      break;
    }
  }
  UpdateRestoring();
}

Status Worker::ReadChangelog(int32_t partition, Partition& p, std::chrono::steady_clock::time_point until) {
  Restore& r = *p.restore;
  while (r.pos < r.hi && std::chrono::steady_clock::now() < until) {
    auto rec_r = r.consumer->Poll(r.pending.empty() ? 5ms : 0ms);
    if (!rec_r.ok()) {
      if (r.consumer->fatal()) return rec_r.error();
      // A failed fetch (a timeout, a broker down, a leader change): librdkafka fetches again.
      NoteRetry(partition, r, rec_r.error());
      break;
    }
    if (!rec_r.value()) {
      if (auto end = r.consumer->TakeEndOfPartition(); end && end->offset > r.pos) r.pos = end->offset;
      break;
    }
    const Record& rec = *rec_r.value();
    r.pos = rec.offset + 1;
    if (!rec.key) continue;
    if (auto off = rec.HeaderValue(kInputOffsetHeader)) {
      const int64_t next = std::stoll(std::string(*off));
      if (next > p.committed_next) {
        ++r.beyond;
        // At-least-once: the previous owner's index copies of uncommitted decisions may never
        // have been sent (they go with the commit). The replayed decisions do not stage them
        // again, so they are sent from here (a copy sent twice is applied twice, harmlessly).
        if (pipelined() && shared_store_ && dedup::IsSharedIndexKey(*rec.key))
          restored_index_copies_.push_back(IndexCopy(partition, *rec.key, rec.value));
      }
      p.decided_next = std::max(p.decided_next, next);
    }
    r.pending.push_back({*rec.key, rec.value});
    ++r.applied;
    metrics_.restored_records.Increment();
    if (r.pending.size() >= 1000) {
      Status st = dedup::ApplyChangelog(p.store->base(), r.pending);
      r.pending.clear();
      if (!st.ok()) return st;
      KeepBandsInBudget();
    }
  }
  if (r.pos >= r.hi) return FinishRestore(partition, p);
  return OkStatus();
}

// A partition's state is its changelog, applied in log order. Everything the changelog shows is
// applied, including batches whose input offsets were not committed yet: their outputs are visible too (on a
// real cluster read_committed hides aborted ones; the mock shows everything), and the decision memos in that
// state make the reprocessed events replay exactly the decisions that were published (dedup::Deduper step 1).
Status Worker::FinishRestore(int32_t partition, Partition& p) {
  Restore& r = *p.restore;
  if (r.consumer) r.consumer->Close(5s);
  r.pending.push_back({kMarkerKey, MarkerValue(p.committed_next, r.hi)});
  Status st = dedup::ApplyChangelog(p.store->base(), r.pending);
  if (!st.ok()) return st;
  Logger("ingest")->info(
      "restored partition={} committed_next={} decided_next={} changelog_records={} applied={} "
      "beyond_committed={}",
      partition, p.committed_next, p.decided_next, r.hi - r.lo, r.applied, r.beyond);
  if (!restored_index_copies_.empty()) (void)BeginIfNeeded();  // sent with the next commit
  return MakeReady(partition, p);
}

Status Worker::MakeReady(int32_t partition, Partition& p) {
  p.restore.reset();
  if (Status st = MakeDeduper(p); !st.ok()) return st;
  return consumer_->AddPartitions({{options_.topics.raw, partition, StartOffset(p)}});
}

Status Worker::MakeDeduper(Partition& p) {
  p.deduper = std::make_unique<dedup::Deduper>(DedupConfig(), *p.store, shared_store_.get());
  auto clock = p.deduper->VisibilityTime(0);
  if (!clock.ok()) return clock.error();
  p.clock = clock.value();
  return OkStatus();
}

Status Worker::BeginIfNeeded() {
  if (txn_open_) return OkStatus();
  if (abort_pending_) {
    Status st = producer_->AbortTransaction(txn_timeout_);
    if (!st.ok()) {
      if (producer_->last_txn_error() == kafka::Producer::TxnErrorKind::kFatal) fatal_ = st;
      return st;
    }
    abort_pending_ = false;
  }
  if (transactional()) {
    Status st = producer_->BeginTransaction();
    if (!st.ok()) return st;
  }
  txn_open_ = true;
  batch_events_ = 0;
  batch_deadline_ms_ = NowMs() + options_.commit_interval_ms;
  batch_timestamps_.clear();
  batch_outputs_.clear();
  published_.clear();
  return OkStatus();
}

// The changelog record of a state change, and its shared index copy when it is an index entry.
// Derived keys are not sent: a restore rebuilds them from the doc and memo records.
Status Worker::SendStateChange(int32_t partition, int64_t batch_next, dedup::Mutation&& m) {
  if (dedup::IsDerivedKey(m.key)) return OkStatus();
  Record r;
  r.topic = options_.topics.changelog;
  r.partition = partition;
  r.key = m.key;
  r.value = m.value;
  // The input offset the state reaches once the event that staged it is done.
  r.headers.push_back({std::string(kInputOffsetHeader), std::to_string(batch_next)});
  Status st = producer_->Send(r);
  if (st.ok() && shared_store_ && dedup::IsSharedIndexKey(m.key)) {
    Record idx = IndexCopy(partition, std::move(m.key), std::move(m.value));
    if (pipelined()) {
      // Sent with the batch's markers (CommitBatch): one message set per index partition and
      // commit instead of one per event, which the embedded broker walks on every fetch.
      index_copies_.push_back(std::move(idx));
    } else {
      st = producer_->Send(idx);
    }
  }
  return st;
}

// A partition's documents and its progress markers share one index partition, in order: a reader
// that has a marker has every document sent before it.
Record Worker::IndexCopy(int32_t partition, std::string key, std::optional<std::string> value) const {
  Record idx;
  idx.topic = options_.topics.index;
  idx.partition = IndexPartition(partition);
  idx.key = std::move(key);
  idx.value = std::move(value);
  return idx;
}

Status Worker::SendChanges(int32_t partition, Partition& p) {
  for (auto& m : p.store->TakeChanges()) {
    if (Status st = SendStateChange(partition, p.batch_next, std::move(m)); !st.ok()) return st;
  }
  return OkStatus();
}

Status Worker::ReleaseReady() {
  producer_->Poll();
  if (producer_->delivery_failed()) return Error{v1::ERROR_CODE_INTERNAL, "a delivery failed"};
  for (auto& held : release_.TakeReleasable(producer_->DeliveredThrough())) {
    for (const auto& r : held.outputs) {
      Status st = producer_->Send(r);
      if (!st.ok()) return st;
      ++published_[r.topic];
    }
    release_.Sent(producer_->last_sequence(), held.timestamp_ms);
  }
  const int64_t now = NowMs();
  for (int64_t ts : release_.TakeDelivered(producer_->DeliveredThrough())) {
    if (ts > 0) metrics_.end_to_end_seconds.Observe(static_cast<double>(now - ts) / 1000.0);
  }
  return OkStatus();
}

// The summary counter of a counted decision (null for dead letters and unset outcomes).
std::atomic<int64_t>* Worker::DecisionCounter(v1::Decision d) {
  switch (d) {
    case v1::DECISION_NEW: return &counters_.created;
    case v1::DECISION_UPDATE: return &counters_.updated;
    case v1::DECISION_CANCEL: return &counters_.canceled;
    case v1::DECISION_SYNDICATED: return &counters_.syndicated;
    case v1::DECISION_REDELIVERY: return &counters_.redeliveries;
    case v1::DECISION_DUPLICATE: return &counters_.duplicates;
    case v1::DECISION_STALE: return &counters_.stale;
    default: return nullptr;
  }
}

dedup::Config Worker::DedupConfig() const {
  dedup::Config c;
  c.visibility_delay_ms = options_.visibility_delay_ms;
  return c;
}

Status Worker::HandleEvent(const Record& in) {
  auto it = partitions_.find(in.partition);
  if (it == partitions_.end()) return OkStatus();  // revoked meanwhile
  Partition& p = it->second;
  if (in.offset < p.committed_next && p.batch_next < 0) {
    // Already committed (can happen right after a rewind); skip.
    return OkStatus();
  }
  p.last_delivery_ms = NowMs();
  if (WaitsForProgress()) {
    if (!p.held.empty()) {
      p.held.push_back(in);  // behind the held ones, in order
      return OkStatus();
    }
    if (!MayDecide(in.partition, p, in.timestamp_ms)) {
      Hold(in.partition, p, in);
      return OkStatus();
    }
  }
  return DecideEvent(in.partition, p, in);
}

Status Worker::FlushOwnIndex() {
  if (own_index_pending_.empty()) return OkStatus();
  Status st = shared_store_->ApplyDocuments(own_index_pending_);
  own_index_pending_.clear();
  own_index_min_tau_ = INT64_MAX;
  return st;
}

Status Worker::DecideEvent(int32_t partition, Partition& p, const Record& in) {
  // On a failure the batch is aborted (AbortBatch), and this input must be fetched again with it,
  // also when it is the partition's first input in the batch.
  auto failed = [&p](const Error& e) -> Status {
    if (p.batch_next < 0) p.batch_next = p.committed_next;
    return e;
  };
  Status st = BeginIfNeeded();
  if (!st.ok()) return failed(st.error());
  if (own_index_min_tau_ < std::max(p.clock, in.timestamp_ms) - options_.visibility_delay_ms) {
    if (st = FlushOwnIndex(); !st.ok()) return failed(st.error());
  }
  counters_.consumed++;
  auto processed = Process(in, *p.deduper, pipeline_);
  if (!processed.ok()) return failed(processed.error());
  ProcessResult& res = processed.value();
  p.clock = std::max(p.clock, res.visibility_time_ms);
  if (shared_store_ && !res.index_changes.empty()) {
    // The worker's own documents go into its shared index without the round trip through the
    // index topic (whose copies are then skipped): its other partitions see them, and its own
    // progress counts without markers (MayDecide). Written in batches: when, see
    // kOwnIndexMaxPending.
    if (own_index_pending_.empty()) own_index_since_ms_ = NowMs();
    own_index_min_tau_ = std::min(own_index_min_tau_, res.visibility_time_ms);
    for (auto& m : res.index_changes) own_index_pending_.push_back(std::move(m));
    if (own_index_pending_.size() >= kOwnIndexMaxPending) {
      if (Status fst = FlushOwnIndex(); !fst.ok()) return fst;
    }
  }
  metrics_.consumed.Get(res.format).Increment();
  metrics_.decode_seconds.Observe(res.times.decode);
  if (res.dead_letter) {
    counters_.dead_letters++;
    metrics_.dead_letters.Get(res.dead_letter->CodeName()).Increment();
    Logger("ingest")->warn("dead letter partition={} offset={} code={} reason=\"{}\"", in.partition,
                           in.offset, res.dead_letter->CodeName(), res.dead_letter->reason);
  } else {
    metrics_.decoded.Get(res.format).Increment();
    metrics_.normalized.Get(res.format).Increment();
    metrics_.normalize_seconds.Observe(res.times.normalize);
    metrics_.decide_seconds.Observe(res.times.decide);
    if (std::atomic<int64_t>* counter = DecisionCounter(res.outcome.decision())) {
      ++*counter;
      metrics_.decisions.Get(dedup::DecisionName(res.outcome.decision())).Increment();
    }
    if (res.outcome.decision() != v1::DECISION_REDELIVERY && !res.provider.empty()) {
      metrics_.provider_last_article.Get(res.provider).Set(static_cast<double>(in.timestamp_ms) / 1000.0);
    }
  }
  if (transactional() && batch_events_ == 0) {
    // Its outputs wait for the commit. (At-least-once: they do not; the interval only bounds
    // what a crash reprocesses, and more commits would only stop the loop more often.)
    const auto lag = consumer_->Lag(options_.topics.raw, partition, in.offset + 1);
    batch_deadline_ms_ =
        AnchoredDeadline(batch_deadline_ms_, NowMs(), in.timestamp_ms, options_.commit_interval_ms,
                         /*backlog=*/!lag || *lag >= kBacklogEvents);
  }
  p.batch_next = in.offset + 1;
  p.decided_next = std::max(p.decided_next, p.batch_next);
  ++batch_events_;
  metrics_.in_flight.Set(static_cast<double>(batch_events_));
  p.state_only = false;
  if (pipelined()) {
    // The event's state changes go out now; its outputs wait for their acknowledgement (and for
    // that of everything sent before them).
    st = SendChanges(partition, p);
    if (!st.ok()) return st;
    release_.Hold(producer_->last_sequence(), in.timestamp_ms, std::move(res.records));
    return ReleaseReady();
  }
  for (auto& r : res.records) batch_outputs_.push_back(std::move(r));
  batch_timestamps_.push_back(in.timestamp_ms);
  return OkStatus();
}

// Cross-partition determinism. A record of partition p sees another partition's documents only
// when indexed more than Δ (visibility_delay_ms) before its own visibility time τ (dedup::Deduper).
// Each owner publishes its partitions' progress on the index topic: a lower bound of τ for
// everything the partition decides from then on. Once every other partition's marker is at least
// τ - Δ, exactly the documents the rule admits are in the shared index, in every run.
bool Worker::MayDecide(int32_t partition, const Partition& p, int64_t timestamp_ms) {
  const int64_t need = std::max(p.clock, timestamp_ms) - options_.visibility_delay_ms;
  const int64_t now = NowMs();
  bool absent = false;
  for (size_t i = 0; i < progress_.size(); ++i) {
    const auto q = static_cast<int32_t>(i);
    if (q == partition) continue;
    // A partition of this worker: its progress as of now (its documents are in the shared index
    // as soon as they are decided). Another worker's (or one still restoring): its last marker.
    auto own = partitions_.find(q);
    if (own != partitions_.end() && own->second.deduper && own->second.progress_live) {
      if (ProgressOf(own->second) >= need) continue;
      blocked_by_ = {q, ProgressOf(own->second), need};
      return false;
    }
    if (progress_[i] >= need) continue;
    if (now - progress_seen_ms_[i] < options_.visibility_wait_ms) {
      blocked_by_ = {q, progress_[i], need};
      return false;
    }
    absent = true;  // no marker for visibility_wait_ms: no owner; decide without it
  }
  if (absent) metrics_.decided_without_progress.Increment();
  return true;
}

void Worker::Hold(int32_t partition, Partition& p, Record in) {
  p.held.push_back(std::move(in));
  if (p.held.size() == 1) {
    p.held_since_ms = NowMs();
    Logger("ingest")->debug(
        "waiting for progress partition={} offset={} timestamp={} on={} progress={} need={}", partition,
        p.held.front().offset, p.held.front().timestamp_ms, blocked_by_.partition, blocked_by_.progress,
        blocked_by_.need);
    // Stop fetching it meanwhile: memory stays bounded by what was fetched already.
    (void)consumer_->Pause({{options_.topics.raw, partition, 0}});
    UpdateWaiting();
  }
}

Status Worker::ReleaseHeld() {
  for (auto& [part, p] : partitions_) {
    if (p.held.empty() || !p.deduper) continue;
    while (!p.held.empty()) {
      if (!MayDecide(part, p, p.held.front().timestamp_ms)) break;
      Record in = std::move(p.held.front());
      p.held.pop_front();
      if (Status st = DecideEvent(part, p, in); !st.ok()) return st;
    }
    if (p.held.empty()) {
      Logger("ingest")->debug("progress reached partition={} waited_ms={}", part, NowMs() - p.held_since_ms);
      (void)consumer_->Resume({{options_.topics.raw, part, 0}});
      UpdateWaiting();
    }
  }
  return OkStatus();
}

void Worker::UpdateWaiting() {
  metrics_.waiting_partitions.Set(static_cast<double>(std::count_if(
      partitions_.begin(), partitions_.end(), [](const auto& kv) { return !kv.second.held.empty(); })));
}

// The clock (never goes back), or the visibility time of the first held record: the partition
// decides it next, so nothing it decides later is below that.
int64_t Worker::ProgressOf(const Partition& p) {
  return p.held.empty() ? p.clock : std::max(p.clock, p.held.front().timestamp_ms);
}

void Worker::AdvanceProgress() {
  const int64_t now = NowMs();
  for (auto& [part, p] : partitions_) {
    if (!p.deduper) continue;  // restoring
    // Idle and caught up: records that arrive later get at least now - kFloorLagMs, persisted
    // with the marker that announces it, so a new owner raises them the same way.
    const int64_t floor = now - kFloorLagMs;
    if (p.held.empty() && now - p.last_delivery_ms >= kIdleMs && p.clock < floor - kFloorStepMs) {
      const auto lag = consumer_->Lag(options_.topics.raw, part, p.committed_next);
      dedup::MutationBatch raise;
      if (lag && *lag <= 1 && BeginIfNeeded().ok() && p.deduper->RaiseClock(floor, &raise).ok() &&
          p.store->Apply(raise).ok()) {
        if (p.batch_next < 0) {
          p.batch_next = p.committed_next;
          p.state_only = true;
        }
        p.clock = std::max(p.clock, floor);
      }
    }
    if (ProgressOf(p) > p.progress_sent || now - p.progress_sent_ms >= kHeartbeatMs) (void)BeginIfNeeded();
  }
}

// A marker's value: the progress (8 bytes), then who sent it: instance, process start (a
// restarted instance reads its earlier markers at start-up) and assignment.
std::string Worker::MarkerTag(uint64_t assignment) const {
  return options_.instance_id + "#" + std::to_string(started_ms_) + "#" + std::to_string(assignment);
}

// In the batch, after its state changes: a reader that has a marker has every document before it.
Status Worker::SendProgress() {
  const int64_t now = NowMs();
  for (auto& [part, p] : partitions_) {
    if (!p.deduper) continue;
    const int64_t progress = ProgressOf(p);
    if (progress <= p.progress_sent && now - p.progress_sent_ms < kHeartbeatMs) continue;
    Record r;
    r.topic = options_.topics.index;
    r.partition = IndexPartition(part);
    r.key = ProgressKey(part);
    r.value.emplace();
    dedup::internal::Be64(*r.value, static_cast<uint64_t>(progress));
    *r.value += MarkerTag(p.assignment);
    if (Status st = producer_->Send(r); !st.ok()) return st;
    p.progress_sent = std::max(p.progress_sent, progress);
    p.progress_sent_ms = now;
  }
  return OkStatus();
}

Status Worker::CommitBatch() {
  if (!txn_open_) return OkStatus();
  auto t0 = std::chrono::steady_clock::now();
  if (pipelined()) {
    // Everything staged is on its way already; wait for the acknowledgements, release the rest
    // of the outputs and wait for theirs: then the offsets can be committed.
    for (auto& [part, p] : partitions_) {
      if (p.batch_next < 0) continue;
      Status st = SendChanges(part, p);
      if (!st.ok()) {
        AbortBatch(st.error().reason);
        return st;
      }
    }
    for (const auto* copies : {&restored_index_copies_, &index_copies_}) {
      for (const auto& idx : *copies) {
        if (Status st = producer_->Send(idx); !st.ok()) {
          AbortBatch(st.error().reason);
          return st;
        }
      }
    }
    index_copies_.clear();  // an abort stages them again (MarkAllChanged); restored ones stay
    if (WaitsForProgress()) {
      if (Status st = SendProgress(); !st.ok()) {
        AbortBatch(st.error().reason);
        return st;
      }
    }
    Status st = producer_->Flush(txn_timeout_);
    if (st.ok()) st = ReleaseReady();
    if (st.ok()) st = producer_->Flush(txn_timeout_);
    if (st.ok()) st = ReleaseReady();  // observes the latency of the last outputs
    if (!st.ok()) {
      AbortBatch(st.error().reason);
      return st;
    }
    restored_index_copies_.clear();  // acknowledged
    return FinishCommit(t0);
  }
  // The state changes of this batch go to the changelog in the same transaction.
  for (auto& [part, p] : partitions_) {
    if (p.batch_next < 0) continue;
    for (auto& m : p.store->Pending()) {
      if (Status st = SendStateChange(part, p.batch_next, std::move(m)); !st.ok()) {
        AbortBatch(st.error().reason);
        return st;
      }
    }
  }
  if (WaitsForProgress()) {
    if (Status st = SendProgress(); !st.ok()) {
      AbortBatch(st.error().reason);
      return st;
    }
  }
  // A large batch (a backlog: throughput counts) has its state written to the local stores on a
  // second thread while Kafka acknowledges and commits (~18 ms of CPU per ~230 events, overlapped
  // with ~15-25 ms of network waits). The marker is removed in the same write and written again
  // once the transaction is committed: a worker that dies in between restores from the changelog
  // instead of trusting state Kafka may not have. The main thread does not touch the stores until
  // the writer is joined. A small batch (steady traffic: latency counts) writes after the commit,
  // so that the writer does not take CPU from the commit its events wait for.
  const bool overlap = batch_events_ >= kOverlapMinEvents;
  Status local_st = OkStatus();
  std::thread writer;
  if (overlap) writer = std::thread([this, &local_st] { local_st = WriteLocalState(); });
  // State (and memos) first, acknowledged; then the outputs.
  Status st = producer_->Flush(txn_timeout_);
  for (size_t i = 0; st.ok() && i < batch_outputs_.size(); ++i) {
    const Record& r = batch_outputs_[i];
    st = producer_->Send(r);
    if (st.ok()) ++published_[r.topic];
  }
  if (st.ok()) {
    auto group = consumer_->GroupMetadata();
    st = producer_->SendOffsetsToTransaction(BatchOffsets(), group.get(), txn_timeout_);
  }
  if (st.ok()) st = producer_->CommitTransaction(txn_timeout_);
  if (writer.joinable()) writer.join();
  if (!local_st.ok()) {
    fatal_ = local_st;  // the local store failed: restart and restore
    if (st.ok()) return local_st;
  }
  if (!st.ok()) {
    auto kind = producer_->last_txn_error();
    if (kind == kafka::Producer::TxnErrorKind::kFatal) {
      metrics_.txn_fenced.Increment();
      fatal_ = st;
      return st;
    }
    AbortBatch(st.error().reason);
    return st;
  }
  metrics_.txn_commits.Increment();
  const int64_t now = NowMs();
  for (int64_t ts : batch_timestamps_) {
    if (ts > 0) metrics_.end_to_end_seconds.Observe(static_cast<double>(now - ts) / 1000.0);
  }
  return FinishCommit(t0, /*state_written=*/overlap);
}

// The open batch's state, without its marker (deleted in the same write), to every partition's
// local store; the batch stays staged until FinishCommit. Runs on the commit's writer thread.
Status Worker::WriteLocalState() {
  for (auto& [part, p] : partitions_) {
    if (p.batch_next < 0) continue;
    if (Status st = p.store->WriteThrough({{kMarkerKey, std::nullopt}}); !st.ok()) return st;
  }
  return OkStatus();
}

std::vector<kafka::TopicPartitionOffset> Worker::BatchOffsets() const {
  std::vector<kafka::TopicPartitionOffset> offsets;
  for (const auto& [part, p] : partitions_) {
    if (p.batch_next >= 0 && !p.state_only) offsets.push_back({options_.topics.raw, part, p.batch_next});
  }
  return offsets;
}

// After the outputs are acknowledged (or the transaction committed): commits the offsets through
// the consumer and the staged state to the local stores, and closes the batch.
Status Worker::FinishCommit(std::chrono::steady_clock::time_point t0, bool state_written) {
  // Transactional: the mock broker does not store offsets sent in a transaction; committing them
  // through the consumer as well is a no-op on a real cluster and keeps restarts correct on the
  // mock. At-least-once: the outputs are acknowledged, the offset commit is bookkeeping.
  // Asynchronous in both: a lost commit only means reprocessing, which replays the recorded
  // decisions (their memos were acknowledged before any output).
  Status st = consumer_->Commit(BatchOffsets(), /*async=*/true);
  if (!st.ok() && pipelined()) {
    AbortBatch(st.error().reason);
    return st;
  }
  for (auto& [part, p] : partitions_) {
    if (p.batch_next < 0) continue;
    const int64_t changelog_next = producer_->LastAckedOffset(options_.topics.changelog, part) + 1;
    // Written already: close the batch, and the commit writes only the marker.
    if (state_written) p.store->Discard();
    Status cst = p.store->Commit({{kMarkerKey, MarkerValue(p.batch_next, changelog_next)}});
    if (!cst.ok()) {
      fatal_ = cst;  // the local store failed after Kafka committed: restart and restore
      return cst;
    }
    p.committed_next = p.batch_next;
    p.batch_next = -1;
    p.state_only = false;
  }
  KeepBandsInBudget();
  for (const auto& [topic, n] : published_) metrics_.published.Get(topic).Increment(static_cast<double>(n));
  published_.clear();
  batch_outputs_.clear();
  metrics_.commit_seconds.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  metrics_.in_flight.Set(0);
  counters_.committed_batches++;
  txn_open_ = false;
  return OkStatus();
}

void Worker::AbortBatch(const std::string& why) {
  Logger("ingest")->warn("aborting batch events={} reason=\"{}\"", batch_events_, why);
  if (transactional() && txn_open_) {
    Status st = producer_->AbortTransaction(txn_timeout_);
    if (!st.ok()) {
      if (producer_->last_txn_error() == kafka::Producer::TxnErrorKind::kFatal) {
        fatal_ = st;
      } else {
        // A transient failure (e.g. the coordinator did not answer in time): the abort is tried
        // again before the next transaction begins.
        abort_pending_ = true;
      }
    }
  }
  metrics_.txn_aborts.Increment();
  counters_.aborted_batches++;
  // Rewind to the committed offsets but keep the batch's staged decisions: some of its outputs
  // may be visible (at-least-once, or the mock broker, which shows aborted data), so the
  // reprocessed events replay the same decisions from their memos, and the next commit publishes
  // all staged state changes to the changelog.
  for (auto& [part, p] : partitions_) {
    // Markers of an aborted transaction may be gone: send them again with the next commit.
    p.progress_sent = INT64_MIN;
    p.progress_sent_ms = 0;
    if (p.batch_next < 0) continue;
    Rewind(part, p);
  }
  UpdateWaiting();
  txn_open_ = false;
  batch_outputs_.clear();
  index_copies_.clear();
  published_.clear();
  if (pipelined()) {
    // Held outputs are never sent. Clear a delivery failure (it is what aborted the batch), and
    // publish every staged change again: some of the sends may have failed.
    release_.Clear();
    (void)producer_->Flush(std::min<std::chrono::milliseconds>(txn_timeout_, 1s));
    for (auto& [part, p] : partitions_) {
      if (p.store) p.store->MarkAllChanged();
    }
  }
  metrics_.in_flight.Set(0);
}

void Worker::Rewind(int32_t partition, Partition& p) {
  p.batch_next = -1;
  p.state_only = false;
  Status st = consumer_->Seek({options_.topics.raw, partition, p.committed_next}, 10s);
  if (!st.ok())
    Logger("ingest")->warn("rewind failed partition={} reason=\"{}\"", partition, st.error().reason);
  if (!p.held.empty()) {
    // Fetched again from the committed offset, held ones included.
    p.held.clear();
    (void)consumer_->Resume({{options_.topics.raw, partition, 0}});
  }
}

// Opens the shared index (RocksDB under state_dir, else memory), rebuilt from the index topic at
// every start, and catches up with the topic before the worker decides anything.
Status Worker::OpenSharedIndex() {
  auto log = Logger("ingest");
  std::string path;
  if (!options_.state_dir.empty()) {
    path = StateRoot() + "/shared-index";
    (void)dedup::RocksDbStateStore::Destroy(path);
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
  }
  shared_store_ = std::make_unique<dedup::SharedIndexStore>(
      static_cast<uint64_t>(options_.shared_index_memory_mib) << 20, path);
  // An empty fetch waits up to 100 ms on the broker (fewer round trips cost the broker less CPU);
  // a fetch that finds data returns at once, so markers arrive well within Δ.
  // Caught up = every partition's end reached, reported by an event (CreateReader).
  auto c = CreateReader(100);
  if (!c.ok()) return c.error();
  index_consumer_ = std::move(c.value());
  auto n = kafka::PartitionCount(index_consumer_->raw(), options_.topics.index);
  if (!n.ok()) return n.error();
  index_partitions_ = n.value();
  std::vector<kafka::TopicPartitionOffset> parts;
  std::map<int32_t, int64_t> ends;  // partitions with records: their end offset now
  for (int p = 0; p < n.value(); ++p) {
    parts.push_back({options_.topics.index, p, RD_KAFKA_OFFSET_BEGINNING});
    auto wm = kafka::Watermarks(index_consumer_->raw(), options_.topics.index, p);
    if (wm.ok() && wm.value().second > wm.value().first) ends[p] = wm.value().second;
  }
  Status st = index_consumer_->Assign(parts);
  if (!st.ok()) return st;
  std::map<int32_t, int64_t> reached;  // next offset per partition: after a record, or its end
  auto caught_up = [&] {
    return std::all_of(ends.begin(), ends.end(), [&](const auto& kv) {
      auto it = reached.find(kv.first);
      return it != reached.end() && it->second >= kv.second;
    });
  };
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!caught_up() && std::chrono::steady_clock::now() < deadline) DrainIndex(1000, 100ms, &reached);
  if (!caught_up())
    log->warn("shared index not caught up after 30 s; continuing (it catches up while deciding)");
  log->info("shared index loaded topic={} partitions={} records={} on_disk={} memory_bytes={}",
            options_.topics.index, n.value(), index_records_, shared_store_->on_disk(),
            shared_store_->memory_bytes());
  if (std::string report = shared_store_->TakeReport(); !report.empty()) log->warn("{}", report);
  return OkStatus();
}

int Worker::DrainIndex(int max, std::chrono::milliseconds wait, std::map<int32_t, int64_t>* reached) {
  int n = 0;
  std::vector<dedup::Mutation> batch;
  std::vector<std::pair<int32_t, int64_t>> markers;  // progress markers (input partition, value)
  std::vector<int32_t> own_markers;                  // partitions whose marker from this assignment came back
  // An end-of-partition event (one per partition each time a fetch reaches the end: constantly,
  // when the topic is live) does not end the drain; only an empty queue does. Until 2026-11-29 it
  // did, and a worker read a few index records per drain: its shared index trailed the topic by
  // seconds, growing with traffic.
  int events = 0;
  while (n < max && events++ < 2 * max) {
    auto r = index_consumer_->Poll(n == 0 && events == 1 ? wait : 0ms);
    auto end = index_consumer_->TakeEndOfPartition();
    if (reached && end) (*reached)[end->partition] = std::max((*reached)[end->partition], end->offset);
    if (r.ok() && !r.value() && end) continue;
    if (!r.ok() || !r.value()) break;
    const Record& rec = *r.value();
    if (reached) (*reached)[rec.partition] = rec.offset + 1;
    ++n;
    if (!rec.key) continue;
    if (rec.key->size() == kProgressPrefix.size() + 4 && rec.key->starts_with(kProgressPrefix)) {
      if (rec.value && rec.value->size() >= 8) {
        const auto q = static_cast<int32_t>(dedup::internal::ReadBe32(*rec.key, kProgressPrefix.size()));
        markers.emplace_back(q, static_cast<int64_t>(dedup::internal::ReadBe64(*rec.value, 0)));
        auto own = partitions_.find(q);
        if (own != partitions_.end() && rec.value->substr(8) == MarkerTag(own->second.assignment))
          own_markers.push_back(q);
      }
      continue;
    }
    if (!dedup::IsSharedIndexKey(*rec.key)) continue;
    // Copies of this worker's own documents: it wrote them to its shared index itself (once one
    // of its markers for the partition came back, every document of the partition on the topic
    // is its own). Deletions are applied (idempotent).
    if (rec.value) {
      if (auto doc_partition = dedup::internal::DecodeDocPartition(*rec.value)) {
        auto own = partitions_.find(*doc_partition);
        if (own != partitions_.end() && own->second.progress_live) {
          ++index_skipped_;
          continue;
        }
      }
    }
    batch.push_back({*rec.key, rec.value});
  }
  if (!batch.empty()) {
    // One write for the batch; the shared index keeps no expiry queue (the owners' tombstones expire it).
    Status st = shared_store_->ApplyDocuments(batch);
    if (!st.ok()) {
      // Without the documents the markers do not hold: drop them too (the wait bounds it).
      Logger("ingest")->warn("shared index apply failed reason=\"{}\"", st.error().reason);
      markers.clear();
      own_markers.clear();
    }
  }
  // Only now that the documents before them are in the shared store.
  const int64_t now = NowMs();
  for (const auto& [q, value] : markers) {
    if (q < 0 || q > 100000) continue;
    if (static_cast<size_t>(q) >= progress_.size()) {
      progress_.resize(static_cast<size_t>(q) + 1, INT64_MIN);
      progress_seen_ms_.resize(static_cast<size_t>(q) + 1, now);
    }
    progress_[q] = std::max(progress_[q], value);
    progress_seen_ms_[q] = now;
  }
  for (int32_t q : own_markers) {
    if (auto own = partitions_.find(q); own != partitions_.end()) own->second.progress_live = true;
  }
  index_records_ += n;
  return n;
}

// Keeps the partitions' band entries in memory within dedup.partition_bands_memory_mib: while
// they hold more, or would after the next batch (a hash table doubles when it fills: the moves
// happen before that takes them past the budget, not after), the largest partition's move into
// its RocksDB store. Only a partition with nothing staged moves: its band entries in memory then
// match its local store exactly.
void Worker::KeepBandsInBudget() {
  if (options_.state_dir.empty()) return;
  const uint64_t budget = static_cast<uint64_t>(options_.partition_bands_memory_mib) << 20;
  // A batch, or a restore's chunk of 1,000 records, adds at most this many band entries.
  const size_t headroom =
      static_cast<size_t>(std::max<int64_t>(options_.commit_max_events, 1000)) * dedup::internal::kBands;
  for (;;) {
    uint64_t total = 0, jump = 0;
    int32_t largest = -1;
    uint64_t largest_bytes = 0;
    for (const auto& [part, p] : partitions_) {
      if (!p.store) continue;  // being opened
      const dedup::PartitionStore& store = *p.store->partition();
      const uint64_t bytes = store.memory_bytes();
      total += bytes;
      jump = std::max(jump, store.MemoryBytesAfterAdding(headroom) - bytes);
      if (p.batch_next < 0 && p.store->nothing_staged() && bytes > largest_bytes) {
        largest = part;
        largest_bytes = bytes;
      }
    }
    if (total + jump <= budget || largest < 0) return;
    dedup::PartitionStore& store = *partitions_[largest].store->partition();
    const size_t entries = store.band_entries();
    const auto t0 = std::chrono::steady_clock::now();
    if (Status st = store.MoveBandsToBase(); !st.ok()) {
      Logger("ingest")->error("moving band entries to RocksDB failed partition={} reason=\"{}\"", largest,
                              st.error().reason);
      fatal_ = st;  // the local store failed: restart and restore
      return;
    }
    Logger("ingest")->warn(
        "band entries moved to RocksDB partition={} memory_bytes={} band_entries={} "
        "all_partitions_bytes={} budget_bytes={} took_ms={}",
        largest, largest_bytes, entries, total, budget,
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
  }
}

// Bytes on disk of the local state stores (walked every 10 s; 0 for in-memory state), and the
// in-memory shared index's size.
void Worker::UpdateStoreSize() {
  last_store_size_ms_ = NowMs();
  if (shared_store_) {
    metrics_.shared_index_bytes.Set(static_cast<double>(shared_store_->memory_bytes()));
    if (std::string report = shared_store_->TakeReport(); !report.empty())
      Logger("ingest")->warn("{}", report);
  }
  uint64_t bands = 0;
  for (const auto& [part, p] : partitions_) {
    if (p.store) bands += p.store->partition()->memory_bytes();
  }
  metrics_.partition_bands_bytes.Set(static_cast<double>(bands));
  if (options_.state_dir.empty()) return;
  std::error_code ec;
  uintmax_t total = 0;
  const std::filesystem::path dir = StateRoot() + "/" + options_.topics.raw;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  metrics_.state_store_bytes.Set(static_cast<double>(total));
}

// librdkafka 2.0.2 aborts when a cooperative-sticky member is destroyed between its first
// JoinGroup and SyncGroup answers (the assignor's state is still unset: librdkafka issue #4312,
// fixed in 2.3.0). A worker stopped that early waits, bounded, for its first assignment; the
// events fetched meanwhile are not processed (the next owner processes them).
void Worker::AwaitFirstAssignment(std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!ever_assigned_ && std::chrono::steady_clock::now() < deadline) (void)consumer_->Poll(50ms);
  if (!ever_assigned_) Logger("ingest")->warn("stopping before the first assignment arrived");
}

Status Worker::Run(const std::atomic<bool>& stop) {
  auto log = Logger("ingest");
  stop_ = &stop;
  log->info("worker started mode={} group={} instance={} topic={}", options_.mode, options_.group_id,
            options_.instance_id, options_.topics.raw);
  int backoff_ms = 100;
  bool caught_up = false;  // the last poll found no input waiting
  while (!stop.load() && fatal_.ok()) {
    // Pipelined: outputs wait for acknowledgements; come back soon to release them.
    // (Before the consumer poll: an abort rewinds only partitions of the open batch.)
    const bool waiting = pipelined() && (release_.held() > 0 || release_.unacknowledged() > 0);
    if (waiting && txn_open_) {
      Status st = ReleaseReady();
      if (!st.ok()) {
        log->warn("delivery failed, aborting batch reason=\"{}\"", st.error().reason);
        AbortBatch(st.error().reason);
        std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
        backoff_ms = std::min(backoff_ms * 2, 5000);
        continue;
      }
    }
    const bool restoring_now = RestoringCount() > 0;
    if (restoring_now) StepRestores(50ms);
    // Not past the open batch's deadline while nothing arrives.
    const int64_t idle_ms = txn_open_ ? std::clamp<int64_t>(batch_deadline_ms_ - NowMs(), 1, 20) : 20;
    auto r = consumer_->Poll(waiting || restoring_now ? 1ms : std::chrono::milliseconds(idle_ms));
    if (r.ok()) caught_up = !r.value();
    if (!r.ok()) {
      if (auto position = consumer_->TakeOutOfRange()) {
        OnOutOfRange(*position);
      } else {
        log->warn("consumer error reason=\"{}\"", r.error().reason);
      }
    } else if (r.value()) {
      Status st = HandleEvent(*r.value());
      if (!st.ok()) {
        log->warn("event handling failed, aborting batch reason=\"{}\"", st.error().reason);
        AbortBatch(st.error().reason);
        std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
        backoff_ms = std::min(backoff_ms * 2, 5000);
        continue;
      }
    }
    if (NowMs() - last_store_size_ms_ > 10000) UpdateStoreSize();
    // The shared index is applied in batches (one RocksDB write each) every 20 ms, at most 300
    // records at a time: a larger batch costs less per key, but holds up the poll thread (the
    // events of the open batch wait for the commit) for longer.
    if (index_consumer_ && NowMs() - last_index_drain_ms_ >= 20) {
      last_index_drain_ms_ = NowMs();
      DrainIndex(300, 0ms);
      if (caught_up && !own_index_pending_.empty() && own_index_pending_.size() <= kOwnIndexSteadyDocs &&
          NowMs() - own_index_since_ms_ >= kOwnIndexMaxAgeMs) {
        if (Status st = FlushOwnIndex(); !st.ok()) fatal_ = st;  // the local store failed: restart
      }
    }
    // Progress moves with every decision (own partitions) and every drain (markers): held records
    // are looked at every 10 ms.
    if (WaitsForProgress() && metrics_.waiting_partitions.Value() > 0 && NowMs() - last_release_ms_ >= 10) {
      last_release_ms_ = NowMs();
      Status st = ReleaseHeld();
      if (!st.ok()) {
        log->warn("event handling failed, aborting batch reason=\"{}\"", st.error().reason);
        AbortBatch(st.error().reason);
      }
    }
    if (WaitsForProgress() && NowMs() - last_progress_check_ms_ >= 50) {
      last_progress_check_ms_ = NowMs();
      AdvanceProgress();
    }
    if (txn_open_ && (batch_events_ >= options_.commit_max_events || NowMs() >= batch_deadline_ms_)) {
      Status st = CommitBatch();
      if (!st.ok()) {
        log->warn("commit failed, batch rewound reason=\"{}\" retry_in_ms={}", st.error().reason, backoff_ms);
        std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
        backoff_ms = std::min(backoff_ms * 2, 5000);
      } else {
        backoff_ms = 100;
      }
    }
  }
  if (!fatal_.ok()) {
    log->error("fatal error, exiting reason=\"{}\"", fatal_.error().reason);
    // Leave the group at once, committing nothing (the revoke callback sees fatal_), so that the
    // partitions move to another member without waiting out the session timeout.
    AwaitFirstAssignment(5s);
    if (!consumer_->Close(4s)) log->warn("leaving the group timed out; the group will drop this member");
    if (index_consumer_) index_consumer_->Close(1s);
    return fatal_;
  }
  // Graceful shutdown within ~10 s: stop fetching, commit (or abort) what is in flight, leave
  // the group. Whatever is not committed is reprocessed by the next owner with the same outcome.
  txn_timeout_ = 3s;
  Status st = CommitBatch();
  AwaitFirstAssignment(5s);
  if (!st.ok()) log->warn("final commit failed, batch aborted reason=\"{}\"", st.error().reason);
  if (!consumer_->Close(4s)) log->warn("leaving the group timed out; the group will drop this member");
  if (index_consumer_) index_consumer_->Close(1s);
  log->info("worker stopped consumed={} index_records={} index_copies_skipped={}", counters_.consumed.load(),
            index_records_, index_skipped_);
  return OkStatus();
}

}  // namespace copydesk::ingest
