#include "ingest/worker.h"

#include <algorithm>
#include <filesystem>
#include <thread>

#include "common/log.h"
#include "dedup/index_format.h"
#include "ingest/input_position.h"

namespace copydesk::ingest {

namespace {

// Failed turns back off from 100 ms, doubling up to 5 s; a commit resets it.
constexpr int64_t kBackoffFirstMs = 100;
constexpr int64_t kBackoffMaxMs = 5000;
// How often the loop looks at the shared index topic (at most kDrainRecords per write: a larger
// write costs less per key, but holds up the open batch longer), at held inputs, at idle
// partitions' progress, and at the state's size.
constexpr int64_t kDrainEveryMs = 20;
constexpr int kDrainRecords = 300;
constexpr int64_t kReleaseEveryMs = 10;
constexpr int64_t kProgressEveryMs = 50;
constexpr int64_t kStoreSizeEveryMs = 10000;
// A turn spends about this long on restores.
constexpr int64_t kRestoreTurnUs = 50'000;

void Sleep(int64_t ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

uint64_t DirBytes(const std::string& dir) {
  std::error_code ec;
  uintmax_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

}  // namespace

Worker::Worker(WorkerOptions options, metrics::IngestMetrics& metrics, const Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      probe_(metrics),
      gate_(options_.visibility_delay_ms, options_.visibility_wait_ms, clock) {
  options_.Resolve();
  identity_ = {options_.instance_id, clock_.NowMillis()};
  pipeline_.articles_topic = options_.topics.articles;
  pipeline_.events_topic = options_.topics.events;
  pipeline_.dlq_topic = options_.topics.dlq;
  pipeline_.outcomes_topic = options_.topics.outcomes;
  pipeline_.held_topic = options_.topics.held;
  pipeline_.limits.max_bytes = static_cast<size_t>(options_.max_value_bytes);
  pipeline_.limits.max_millis = static_cast<uint32_t>(options_.max_event_millis);
  pipeline_.max_output_bytes = static_cast<size_t>(options_.max_output_bytes);
  pipeline_.worker = options_.instance_id;
  pipeline_.ninjs_topic = options_.topics.ninjs_enabled ? options_.topics.ninjs : std::string();
  pipeline_.cloudevents = options_.cloudevents;
  pipeline_.cloudevents_source = options_.cloudevents_source;
  pipeline_.timezone = options_.timezone;
  pipeline_.provider_timezones = options_.ProviderTimezones();
}

Worker::~Worker() {
  closing_ = true;
  if (source_) (void)source_->Close(std::chrono::seconds(4));
}

void Worker::MakeParts() {
  const bool transactional = options_.transactional();
  budget_ = std::make_unique<BandBudget>(
      !options_.state_dir.empty(), static_cast<uint64_t>(options_.partition_bands_memory_mib) << 20,
      static_cast<size_t>(std::max<int64_t>(options_.commit_max_events, 1000)) * dedup::kBandsPerDocument,
      clock_);
  CommitContext ctx{.changelog_topic = options_.topics.changelog,
                    .commit_interval_ms = options_.commit_interval_ms,
                    .sink = *sink_,
                    .offsets = *offsets_,
                    .source = *source_,
                    .cluster = *cluster_,
                    .partitions = partitions_,
                    .probe = probe_,
                    .clock = clock_,
                    .budget = *budget_,
                    .fatal = fatal_,
                    .identity = identity_,
                    .gate = waits_for_progress_ ? &gate_ : nullptr,
                    .feed = feed_.get()};
  committer_ =
      transactional ? MakeTransactionalCommitter(ctx, *transactions_) : MakeAtLeastOnceCommitter(ctx);
  Restorer::UncommittedHook on_uncommitted;
  if (!transactional && feed_) {
    // At-least-once sends a batch's index copies with its commit: those of a decision whose batch
    // was not committed may never have been sent, and its replay stages nothing new.
    on_uncommitted = [this](int32_t partition, const Record& rec) {
      if (dedup::IsSharedIndexKey(*rec.key))
        committer_->AddRestoredCopy(feed_->DocumentRecord(partition, *rec.key, rec.value));
    };
  }
  restorer_ = std::make_unique<Restorer>(
      Restorer::Options{
          .store_root = options_.state_dir.empty() ? "" : InstanceRoot() + "/" + options_.topics.raw,
          .changelog_topic = options_.topics.changelog,
          .restore_timeout_ms = options_.restore_timeout_ms,
          .bands_in_base = options_.partition_bands_memory_mib == 0,
          .track_changes = !transactional},
      *source_, *cluster_, clock_, probe_, std::move(on_uncommitted),
      [this] { return budget_->Keep(partitions_); });
}

Status Worker::Run(const std::atomic<bool>& stop) {
  Logger("ingest")->info("worker started mode={} group={} instance={} topic={} state_dir={}", options_.mode,
                         options_.group_id, options_.instance_id, options_.topics.raw,
                         options_.state_dir.empty() ? "(memory)" : options_.state_dir);
  int64_t backoff_ms = kBackoffFirstMs;
  bool caught_up = false;  // the last poll found no input waiting
  while (!stop.load() && fatal_.ok()) Turn(backoff_ms, caught_up);
  return fatal_.ok() ? Shutdown() : ExitFatal();
}

void Worker::AttachHealth(health::Registry& registry) {
  heartbeat_ =
      registry.AddHeartbeat("ingest poll loop", std::chrono::milliseconds(options_.liveness_max_age_ms));
  ready_ = registry.AddReadiness("ingest partitions", "not yet polled the consumer group");
}

// Each step either is due or returns at once; a failure aborts the open batch and backs off.
void Worker::Turn(int64_t& backoff_ms, bool& caught_up) {
  auto log = Logger("ingest");
  if (heartbeat_) heartbeat_->Beat();
  auto fail = [&](std::string_view what, const Error& e) {
    log->warn("{}, aborting batch reason=\"{}\"", what, e.reason);
    AbortBatch(e.reason);
    Sleep(backoff_ms);
    backoff_ms = std::min(backoff_ms * 2, kBackoffMaxMs);
  };
  // Outputs wait for acknowledgements (at-least-once): come back soon to release them. (Before the
  // poll: an abort rewinds only the partitions of the open batch.)
  const bool waiting = committer_->waiting();
  if (waiting && committer_->open()) {
    if (Status st = committer_->Serve(); !st.ok()) return fail("delivery failed", st.error());
  }
  const bool restoring = std::any_of(partitions_.begin(), partitions_.end(),
                                     [](const auto& kv) { return kv.second.restore != nullptr; });
  if (restoring) StepRestores();
  // Not past the open batch's deadline while nothing arrives.
  const int64_t idle_ms =
      committer_->open() ? std::clamp<int64_t>(committer_->deadline_ms() - clock_.NowMillis(), 1, 20) : 20;
  auto polled = source_->Poll(std::chrono::milliseconds(waiting || restoring ? 1 : idle_ms));
  if (!polled.ok()) {
    if (auto position = source_->TakeOutOfRange()) {
      OnOutOfRange(*position);
    } else {
      log->warn("consumer error reason=\"{}\"", polled.error().reason);
    }
  } else {
    if (ready_ && !restoring && !reported_ready_) {
      ready_->SetReady();
      reported_ready_ = true;
    }
    caught_up = !polled.value();
    if (polled.value()) {
      if (Status st = HandleEvent(*polled.value()); !st.ok())
        return fail("event handling failed", st.error());
    }
  }
  const int64_t now = clock_.NowMillis();
  if (now - last_store_size_ms_ > kStoreSizeEveryMs) UpdateStoreSizes();
  if (feed_ && now - last_index_drain_ms_ >= kDrainEveryMs) {
    last_index_drain_ms_ = now;
    feed_->Drain(kDrainRecords, std::chrono::milliseconds(0), partitions_);
    if (caught_up) {
      if (Status st = feed_->FlushOwnIfSteady(); !st.ok()) fatal_.Set(st.error());  // the store failed
    }
  }
  // Progress moves with every decision (own partitions) and every drain (markers).
  const bool holding = std::any_of(partitions_.begin(), partitions_.end(),
                                   [](const auto& kv) { return !kv.second.held.empty(); });
  if (waits_for_progress_ && holding && now - last_release_ms_ >= kReleaseEveryMs) {
    last_release_ms_ = now;
    if (Status st = ReleaseHeld(); !st.ok()) {
      log->warn("event handling failed, aborting batch reason=\"{}\"", st.error().reason);
      AbortBatch(st.error().reason);
    }
  }
  if (waits_for_progress_ && now - last_progress_ms_ >= kProgressEveryMs) {
    last_progress_ms_ = now;
    AdvanceProgress();
  }
  // Embargoes are released on this worker's clock, with the open batch (a batch of their own when
  // none is open), so the commit publishes them with the state change that marks them released.
  if (NextEmbargoDue() <= now || now - last_embargo_gauges_ms_ >= kProgressEveryMs) {
    last_embargo_gauges_ms_ = now;
    if (Status st = ReleaseEmbargoes(); !st.ok()) return fail("embargo release failed", st.error());
  }
  if (committer_->open() && (committer_->events() >= options_.commit_max_events ||
                             clock_.NowMillis() >= committer_->deadline_ms())) {
    if (Status st = CommitBatch(); !st.ok()) {
      log->warn("commit failed, batch rewound reason=\"{}\" retry_in_ms={}", st.error().reason, backoff_ms);
      Sleep(backoff_ms);
      backoff_ms = std::min(backoff_ms * 2, kBackoffMaxMs);
    } else {
      backoff_ms = kBackoffFirstMs;
    }
  }
}

void Worker::OnRebalance(bool assigned, std::vector<int32_t>& partitions) {
  auto log = Logger("ingest");
  const size_t given = partitions.size();
  probe_.Rebalanced(assigned);
  if (assigned) {
    ever_assigned_ = true;
    // Every partition is held back: it joins the consumer's assignment once its state is open (and
    // restored when the local state is not current), between polls. Doing that here, inside the
    // callback, would stall the worker's other partitions and its answer to the group, and could
    // not wait out a transient Kafka error.
    for (int32_t part : partitions) Assign(part);
    partitions.clear();
  } else {
    if (closing_ || !fatal_.ok()) {
      // Exiting: nothing more is published or committed; the next owner reprocesses the inputs.
    } else if (source_->AssignmentLost()) {
      // The session timed out: another member may be deciding these partitions already, so nothing
      // of the open batch may be published (a real cluster would fence the commit; the embedded
      // broker would not). Its inputs are reprocessed by their new owner.
      log->warn("partitions lost (session timed out); the open batch is aborted, not committed");
      if (committer_->open()) AbortBatch("partitions lost");
    } else if (Status st = CommitBatch(); !st.ok()) {  // finish the open batch before they go
      log->warn("commit on revoke failed reason=\"{}\"", st.error().reason);
    }
    std::vector<int32_t> added;  // the partitions the consumer has (the others were held back)
    for (int32_t part : partitions) {
      auto it = partitions_.find(part);
      if (it != partitions_.end()) {
        // Its held inputs go with it (the next owner fetches them); it must not stay paused.
        if (!it->second.held.empty()) source_->Resume(part);
        if (it->second.restore) {
          log->info("restore dropped, partition revoked partition={}", part);
        } else {
          added.push_back(part);
        }
        partitions_.erase(it);
      } else {
        added.push_back(part);
      }
      probe_.PartitionRevoked(part);
    }
    partitions = std::move(added);
  }
  UpdateGauges();
  log->info("rebalance kind={} partitions={} assigned_now={} restoring={}", assigned ? "assign" : "revoke",
            given, partitions_.size(), given - partitions.size());
}

void Worker::Assign(int32_t partition) {
  Partition p;
  p.last_delivery_ms = clock_.NowMillis();
  p.assignment = ++assignments_;
  restorer_->Begin(p);
  partitions_[partition] = std::move(p);
}

void Worker::StepRestores() {
  const int64_t until = clock_.MonotonicMicros() + kRestoreTurnUs;
  for (auto& [part, p] : partitions_) {
    if (!p.restore) continue;
    auto ready = restorer_->Step(part, p, until);
    Status st = ready.ok() ? (ready.value() ? MakeReady(part, p) : OkStatus()) : Status(ready.error());
    if (!st.ok()) {
      Logger("ingest")->error("restore failed partition={} reason=\"{}\"", part, st.error().reason);
      fatal_.Set(st.error());
      break;
    }
  }
  UpdateGauges();
}

Status Worker::MakeReady(int32_t partition, Partition& p) {
  dedup::Config config;
  config.visibility_delay_ms = options_.visibility_delay_ms;
  p.deduper = std::make_unique<dedup::Deduper>(config, *p.store, feed_ ? &feed_->store() : nullptr);
  auto clock = p.deduper->VisibilityTime(0);
  if (!clock.ok()) return clock.error();
  p.clock = clock.value();
  if (Status st = p.embargo.Load(*p.store); !st.ok()) return st;
  if (committer_->has_restored_copies()) (void)committer_->Open();  // they go with the next commit
  return source_->Add(partition, p.StartOffset());
}

void Worker::OnOutOfRange(const PartitionOffset& position) {
  auto log = Logger("ingest");
  auto it = partitions_.find(position.partition);
  if (it == partitions_.end()) return;
  Partition& p = it->second;
  auto wm = cluster_->Watermarks(options_.topics.raw, position.partition);
  const ResumePlan plan =
      PlanResume(position.offset, wm.ok() ? std::optional(wm.value()) : std::nullopt, p.decided_next);
  switch (plan.kind) {
    case ResumePlan::Kind::kUnknown:
      log->warn(
          "input position not available, cannot read watermarks; retrying partition={} offset={} "
          "reason=\"{}\"",
          position.partition, position.offset, wm.error().reason);
      break;
    case ResumePlan::Kind::kGone:
      // Gone (retention). Inputs whose decisions are in the state were processed already; the rest
      // have no outcome, and nothing brings them back.
      if (plan.lost() > 0) {
        probe_.InputLost(plan.lost());
        log->error(
            "input lost: records left the broker before they were processed partition={} offsets={}..{} "
            "count={} (retention shorter than the lag?)",
            position.partition, plan.lost_from, plan.resume - 1, plan.lost());
      } else {
        log->warn(
            "input position no longer on the broker, but every input before the first one there was "
            "processed already; continuing there partition={} offset={} first={} decided_next={}",
            position.partition, position.offset, plan.resume, p.decided_next);
      }
      break;
    case ResumePlan::Kind::kBeyondEnd:
      log->error(
          "input position beyond the end of the partition (truncated log?) partition={} offset={} end={}",
          position.partition, position.offset, plan.resume);
      break;
    case ResumePlan::Kind::kTransient:
      log->warn("input position reported out of range but is on the broker; retrying partition={} offset={}",
                position.partition, position.offset);
      Sleep(100);
      break;
  }
  if (!p.in_batch() && plan.resume > p.committed_next) p.committed_next = plan.resume;
  // Fetching stopped (auto.offset.reset=error); a seek cannot restart it.
  if (Status st = source_->Restart(position.partition, plan.resume); !st.ok())
    log->warn("restart failed partition={} reason=\"{}\"", position.partition, st.error().reason);
}

Status Worker::HandleEvent(const Record& in) {
  auto it = partitions_.find(in.partition);
  if (it == partitions_.end()) return OkStatus();  // revoked meanwhile
  Partition& p = it->second;
  if (in.offset < p.committed_next && !p.in_batch()) return OkStatus();  // committed already (a rewind)
  p.last_delivery_ms = clock_.NowMillis();
  if (waits_for_progress_) {
    if (!p.held.empty()) {
      p.held.push_back(in);  // behind the held ones, in order
      return OkStatus();
    }
    if (!MayDecide(in.partition, p, in.timestamp_ms)) {
      if (gate_.Hold(in.partition, p, in)) {
        source_->Pause(in.partition);
        UpdateGauges();
      }
      return OkStatus();
    }
  }
  return Decide(in.partition, p, in);
}

Status Worker::Decide(int32_t partition, Partition& p, const Record& in) {
  // On a failure the batch is aborted, and this input must be fetched again with it, also when it
  // is the partition's first input in the batch.
  auto failed = [&p](const Error& e) -> Status {
    if (!p.in_batch()) p.batch_next = p.committed_next;
    return e;
  };
  if (Status st = committer_->Open(); !st.ok()) return failed(st.error());
  if (feed_) {
    const int64_t need = std::max(p.clock, in.timestamp_ms) - options_.visibility_delay_ms;
    if (Status st = feed_->FlushOwnBefore(need); !st.ok()) return failed(st.error());
  }
  probe_.counters().consumed++;
  auto processed =
      Process(in, *p.deduper, pipeline_, embargo::HoldContext{clock_.NowMillis(), !p.embargo.empty()});
  if (!processed.ok()) return failed(processed.error());
  ProcessResult& res = processed.value();
  for (const auto& change : res.held_changes) p.embargo.Apply(change);
  p.clock = std::max(p.clock, res.visibility_time_ms);
  if (feed_) {
    // The worker's own documents go into its shared index without the round trip through the
    // index topic: its other partitions see them, and its own progress counts without markers.
    if (Status st = feed_->AddOwn(std::move(res.index_changes), res.visibility_time_ms); !st.ok())
      return failed(st.error());
  }
  probe_.Decided(res, in);
  return committer_->Add(partition, p, in, std::move(res.records));
}

bool Worker::MayDecide(int32_t partition, const Partition& p, int64_t timestamp_ms) {
  bool decided_without = false;
  if (!gate_.MayDecide(partition, p, timestamp_ms, partitions_, &decided_without)) return false;
  if (decided_without) probe_.DecidedWithoutProgress();
  return true;
}

Status Worker::ReleaseHeld() {
  for (auto& [part, p] : partitions_) {
    if (p.held.empty() || !p.ready()) continue;
    while (!p.held.empty() && MayDecide(part, p, p.held.front().timestamp_ms)) {
      Record in = std::move(p.held.front());
      p.held.pop_front();
      if (Status st = Decide(part, p, in); !st.ok()) return st;
    }
    if (p.held.empty()) {
      Logger("ingest")->debug("progress reached partition={} waited_ms={}", part,
                              clock_.NowMillis() - p.held_since_ms);
      source_->Resume(part);
      UpdateGauges();
    }
  }
  return OkStatus();
}

void Worker::AdvanceProgress() {
  for (auto& [part, p] : partitions_) {
    if (!p.ready()) continue;
    if (auto floor = gate_.FloorDue(p)) {
      // Idle and caught up (at most one offset behind the end, which can be a transaction control
      // record): raise the clock, persisted with the marker that announces it.
      const auto lag = source_->Lag(part, p.committed_next);
      dedup::MutationBatch raise;
      if (lag && *lag <= 1 && committer_->Open().ok() && p.deduper->RaiseClock(*floor, &raise).ok() &&
          p.store->Apply(raise).ok()) {
        if (!p.in_batch()) {
          p.batch_next = p.committed_next;
          p.state_only = true;
        }
        p.clock = std::max(p.clock, *floor);
      }
    }
    if (gate_.MarkerDue(p)) (void)committer_->Open();  // the commit sends the marker
  }
}

int64_t Worker::NextEmbargoDue() const {
  int64_t next = INT64_MAX;
  for (const auto& [part, p] : partitions_) next = std::min(next, p.embargo.next_due_ms());
  return next;
}

Status Worker::ReleaseEmbargoes() {
  const int64_t now = clock_.NowMillis();
  for (auto& [part, p] : partitions_) {
    if (!p.ready() || p.embargo.next_due_ms() > now) continue;
    for (const std::string& story : p.embargo.Due(now)) {
      auto release = embargo::ReleaseStory(*p.store, story, now, pipeline_);
      if (!release.ok()) return release.error();
      if (!release.value()) {  // nothing held any more
        p.embargo.Apply({story, std::nullopt});
        continue;
      }
      const int64_t due = release.value()->due_ms;
      const size_t versions = release.value()->versions;
      if (Status st = committer_->Open(); !st.ok()) return st;
      if (Status st = committer_->AddRelease(part, p, std::move(*release.value())); !st.ok()) return st;
      p.embargo.Apply({story, std::nullopt});
      const int64_t late_ms = due > 0 ? std::max<int64_t>(0, now - due) : 0;
      probe_.EmbargoReleased(late_ms, options_.embargo_late_tolerance_ms);
      Logger("ingest")->info("embargo released partition={} story={} versions={} due_ms={} late_ms={}", part,
                             story, versions, due, late_ms);
    }
  }
  size_t held = 0;
  for (const auto& [part, p] : partitions_) held += p.embargo.size();
  probe_.EmbargoHeld(held, NextEmbargoDue());
  return OkStatus();
}

Status Worker::CommitBatch() {
  Status st = committer_->Commit();
  if (!st.ok() && fatal_.ok()) AbortBatch(st.error().reason);
  return st;
}

void Worker::AbortBatch(const std::string& why) {
  Logger("ingest")->warn("aborting batch events={} reason=\"{}\"", committer_->events(), why);
  committer_->Abort();
  for (auto& [part, p] : partitions_) {
    ProgressGate::ForgetSent(p);  // the markers of an aborted batch may be gone
    if (p.in_batch()) Rewind(part, p);
    // Releases of the aborted batch were undone in the store: held again.
    if (p.ready()) {
      if (Status st = p.embargo.Load(*p.store); !st.ok()) fatal_.Set(st.error());
    }
  }
  UpdateGauges();
}

void Worker::Rewind(int32_t partition, Partition& p) {
  p.batch_next = -1;
  p.state_only = false;
  if (Status st = source_->Seek(partition, p.committed_next); !st.ok())
    Logger("ingest")->warn("rewind failed partition={} reason=\"{}\"", partition, st.error().reason);
  if (!p.held.empty()) {
    p.held.clear();  // fetched again from the committed offset
    source_->Resume(partition);
  }
}

void Worker::UpdateGauges() {
  size_t restoring = 0, waiting = 0;
  for (const auto& [part, p] : partitions_) {
    restoring += p.restore != nullptr;
    waiting += !p.held.empty();
  }
  probe_.Partitions(partitions_.size(), restoring, waiting);
  if (ready_ && restoring > 0) {
    ready_->SetNotReady(std::to_string(restoring) + " partition(s) restoring their state");
    reported_ready_ = false;
  }
}

void Worker::UpdateStoreSizes() {
  last_store_size_ms_ = clock_.NowMillis();
  uint64_t shared = 0, bands = 0;
  if (feed_) {
    shared = feed_->memory_bytes();
    if (std::string report = feed_->TakeReport(); !report.empty()) Logger("ingest")->warn("{}", report);
  }
  for (const auto& [part, p] : partitions_) {
    if (p.store) bands += p.store->partition()->memory_bytes();
  }
  const uint64_t disk = options_.state_dir.empty() ? 0 : DirBytes(InstanceRoot() + "/" + options_.topics.raw);
  probe_.StoreSizes(shared, bands, disk);
}

void Worker::AwaitFirstAssignment(int64_t bound_ms) {
  const int64_t deadline = clock_.MonotonicMicros() + bound_ms * 1000;
  while (!ever_assigned_ && clock_.MonotonicMicros() < deadline)
    (void)source_->Poll(std::chrono::milliseconds(50));
  if (!ever_assigned_) Logger("ingest")->warn("stopping before the first assignment arrived");
}

// Leaves the group at once, committing nothing (the revoke hook sees the fatal error), so that the
// partitions move to another member without waiting out the session timeout.
Status Worker::ExitFatal() {
  auto log = Logger("ingest");
  log->error("fatal error, exiting reason=\"{}\"", fatal_.status().error().reason);
  AwaitFirstAssignment(5000);
  if (!source_->Close(std::chrono::seconds(4)))
    log->warn("leaving the group timed out; the group will drop this member");
  if (feed_) feed_->Close();
  return fatal_.status();
}

// Graceful shutdown within ~10 s: stop fetching, commit (or abort) what is in flight, leave the
// group. Whatever is not committed is reprocessed by the next owner with the same outcome.
Status Worker::Shutdown() {
  auto log = Logger("ingest");
  committer_->set_timeout(std::chrono::seconds(3));
  Status st = CommitBatch();
  AwaitFirstAssignment(5000);
  if (!st.ok()) log->warn("final commit failed, batch aborted reason=\"{}\"", st.error().reason);
  if (!source_->Close(std::chrono::seconds(4)))
    log->warn("leaving the group timed out; the group will drop this member");
  if (feed_) feed_->Close();
  log->info("worker stopped consumed={} index_records={} index_copies_skipped={}",
            probe_.counters().consumed.load(), feed_ ? feed_->records() : 0, feed_ ? feed_->skipped() : 0);
  return OkStatus();
}

}  // namespace copydesk::ingest
