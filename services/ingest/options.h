// The ingest worker's configuration: one struct with defaults, registered on the config schema
// (ingest.*, dedup.shared_index*, dedup.partition_bands_memory_mib, dedup.visibility_delay_ms).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "common/config.h"
#include "common/result.h"

namespace copydesk::ingest {

// The two delivery modes (ingest.mode).
inline constexpr std::string_view kTransactional = "transactional";
inline constexpr std::string_view kAtLeastOnce = "at-least-once";

struct WorkerOptions {
  KafkaConfig kafka;
  TopicsConfig topics;
  std::string group_id = "copydesk-ingest";
  // "transactional" (default) or "at-least-once". Never a silent fallback.
  std::string mode = std::string(kTransactional);
  // This worker's stable identity; the transactional.id is "<group>-<instance_id>". Empty: the
  // host name and the process id (DefaultInstanceId).
  std::string instance_id;
  int64_t commit_interval_ms = 100;
  int64_t commit_max_events = 500;
  int64_t max_value_bytes = 10 << 20;
  int64_t max_event_millis = 2000;
  int64_t session_timeout_ms = 6000;
  // Local dedup state: one RocksDB per input partition under
  // <state_dir>/<instance_id>/<raw topic>/p<N>, and the shared index past its memory budget under
  // <state_dir>/<instance_id>/shared-index. Default: copydesk-data/ingest under the directory the
  // worker started in, made absolute. Empty = in memory (restored from the changelog on every
  // assignment).
  std::string state_dir = DefaultStateDir();
  // Match near-duplicates across partitions through the shared index topic.
  bool shared_index = true;
  // The worker's copy of the shared index (rebuilt from the topic at every start) is kept in
  // memory (dedup::IndexMemoryStore) up to this many MiB, then moved to RocksDB under state_dir.
  // 0 = RocksDB from the start. Without a state_dir it stays in memory.
  int64_t shared_index_memory_mib = 128;
  // The assigned partitions' LSH band entries (rebuilt from the documents when a partition is
  // opened) are kept in memory (dedup::PartitionStore) up to this many MiB in all; past it, the
  // largest partition's move into its RocksDB store (BandBudget). 0 = RocksDB from the start.
  // Without a state_dir they stay in memory.
  int64_t partition_bands_memory_mib = 128;
  // Cross-partition determinism (README.md, "Progress and the visibility wait"): a record sees
  // another partition's documents only when indexed more than this earlier ...
  int64_t visibility_delay_ms = 2000;
  // ... and waits until every other partition's progress marker covers that, at most until a
  // partition has published no marker for this long (no owner): then it is decided without
  // (counted). 0 = never wait (decisions across partitions then depend on timing).
  int64_t visibility_wait_ms = 30000;
  // Opening a partition's state (and restoring it from the changelog) retries transient Kafka
  // errors for this long, then fails the worker (exit 3; the orchestrator restarts it).
  int64_t restore_timeout_ms = 300000;
  // An embargoed story released more than this after its due time counts as a late release
  // (copydesk_ingest_embargo_late_releases_total).
  int64_t embargo_late_tolerance_ms = 1000;
  // The largest output record (the output topics' max.message.bytes): an input whose Article or
  // ArticleEvent would be larger is dead-lettered with OUTPUT_TOO_LARGE.
  int64_t max_output_bytes = 1048588;
  // CloudEvents binary-mode headers on every output record, with this ce_source.
  bool cloudevents = false;
  std::string cloudevents_source = "urn:copydesk:ingest";
  // Times without a zone or offset are read in the provider's zone from `provider_timezones`
  // ("provider=Zone,provider=Zone"), else in `timezone`; "" = UTC. Zones are IANA names.
  std::string timezone;
  std::string provider_timezones;
  // At start-up, check that every topic the worker uses exists with the partitions, cleanup
  // policy and max.message.bytes it needs (copydesk topics check); exit 2 when not.
  bool check_topics = true;
  // /livez fails when the poll loop has not turned for this long (a wedged worker is restarted).
  int64_t liveness_max_age_ms = 120000;

  // Registers every key on a config schema.
  void Describe(ConfigSchema& schema);
  [[nodiscard]] bool transactional() const { return mode == kTransactional; }
  // Fills in the derived defaults: the instance id, an absolute state_dir.
  void Resolve();
  // Checks what the schema cannot: time zone names and the provider_timezones list.
  [[nodiscard]] Status Validate() const;
  // provider -> IANA zone, from provider_timezones (Validate() first).
  [[nodiscard]] std::map<std::string, std::string, std::less<>> ProviderTimezones() const;

  // Removes, under state_dir, the directories of this host's workers that ran with the default
  // instance id ("<host>-<pid>") and are no longer running: a default id is new for every process,
  // so nobody reuses them. Directories of running processes and other ids are left alone.
  void RemoveStoppedDefaultInstances() const;

  // "<working directory>/copydesk-data/ingest".
  static std::string DefaultStateDir();
  // "<host name>-<process id>".
  static std::string DefaultInstanceId();
};

}  // namespace copydesk::ingest
