#include "ingest/options.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "common/log.h"
#include "normalize/timezone.h"

namespace copydesk::ingest {

std::string WorkerOptions::DefaultStateDir() {
  std::error_code ec;
  std::filesystem::path cwd = std::filesystem::current_path(ec);
  if (ec) cwd = ".";
  return (cwd / "copydesk-data" / "ingest").string();
}

std::string WorkerOptions::DefaultInstanceId() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(getpid());
}

void WorkerOptions::Resolve() {
  if (instance_id.empty()) instance_id = DefaultInstanceId();
  if (!state_dir.empty()) {
    std::error_code ec;
    auto absolute = std::filesystem::absolute(state_dir, ec);
    if (!ec) state_dir = absolute.lexically_normal().string();
  }
}

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls `f(provider, zone)` for each "provider=zone" of a comma-separated list; false at the first
// entry without '=' or with an empty side.
template <typename F>
bool ForEachProviderZone(std::string_view list, F f) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view entry = Trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (entry.empty()) continue;
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos) return f(entry, std::string_view(), false);
    if (!f(Trim(entry.substr(0, eq)), Trim(entry.substr(eq + 1)), true)) return false;
  }
  return true;
}

}  // namespace

Status WorkerOptions::Validate() const {
  if (!timezone.empty() && !normalize::IsTimezone(timezone)) {
    return Error{v1::ERROR_CODE_INTERNAL,
                 "normalize.timezone: '" + timezone + "' is not an IANA time zone name (e.g. Europe/Berlin)"};
  }
  std::string problem;
  ForEachProviderZone(provider_timezones, [&](std::string_view provider, std::string_view zone, bool has_eq) {
    if (!has_eq || provider.empty() || zone.empty()) {
      problem = "normalize.provider_timezones: '" + std::string(provider) +
                "' is not provider=Zone (e.g. 'dpa=Europe/Berlin,afp=Europe/Paris')";
    } else if (!normalize::IsTimezone(zone)) {
      problem = "normalize.provider_timezones: '" + std::string(zone) + "' (provider " +
                std::string(provider) + ") is not an IANA time zone name";
    }
    return problem.empty();
  });
  if (!problem.empty()) return Error{v1::ERROR_CODE_INTERNAL, problem};
  return OkStatus();
}

std::map<std::string, std::string, std::less<>> WorkerOptions::ProviderTimezones() const {
  std::map<std::string, std::string, std::less<>> out;
  ForEachProviderZone(provider_timezones, [&](std::string_view provider, std::string_view zone, bool has_eq) {
    if (has_eq) out[std::string(provider)] = std::string(zone);
    return true;
  });
  return out;
}

void WorkerOptions::RemoveStoppedDefaultInstances() const {
  if (state_dir.empty()) return;
  const std::string own = DefaultInstanceId();
  const std::string host = own.substr(0, own.rfind('-') + 1);  // "<host>-"
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(state_dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name == own || !name.starts_with(host) || name.size() == host.size() ||
        name.size() > host.size() + 9 ||
        name.find_first_not_of("0123456789", host.size()) != std::string::npos)
      continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name.substr(host.size())));
    if (pid <= 0 || kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::error_code rm;
    std::filesystem::remove_all(it->path(), rm);
    Logger("ingest")->info("removed the local state of a stopped worker path={} ok={}", it->path().string(),
                           !rm);
  }
}

void WorkerOptions::Describe(ConfigSchema& schema) {
  kafka.Describe(schema);
  topics.Describe(schema);
  schema.String("ingest.group_id", &group_id, "consumer group of the ingest workers");
  schema.Enum("ingest.mode", &mode,
              "processing guarantee: Kafka transactions, or at-least-once with manual commits",
              {std::string(kTransactional), std::string(kAtLeastOnce)});
  schema.String("ingest.instance_id", &instance_id,
                "stable worker identity (transactional.id suffix, local state directory); default: the "
                "host name and the process id");
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
             "opening a partition's state retries transient Kafka errors for this long, then the worker "
             "exits with status 3",
             100, 86'400'000);
  schema.Int("ingest.embargo_late_tolerance_ms", &embargo_late_tolerance_ms,
             "an embargoed story released more than this after its due time counts as a late release", 0,
             3'600'000);
  schema.Int("ingest.max_output_bytes", &max_output_bytes,
             "largest output record (the output topics' max.message.bytes); an input whose Article or "
             "ArticleEvent would be larger goes to the dead-letter topic with OUTPUT_TOO_LARGE",
             1024, 256 << 20);
  schema.Bool("ingest.cloudevents", &cloudevents,
              "CloudEvents binary-mode headers (ce_*) on every output record");
  schema.String("ingest.cloudevents_source", &cloudevents_source, "the ce_source of the CloudEvents headers");
  schema.String("normalize.timezone", &timezone,
                "IANA time zone in which times without a zone or offset are read; empty = UTC");
  schema.String("normalize.provider_timezones", &provider_timezones,
                "per-provider time zones, 'provider=Zone,provider=Zone' (e.g. 'dpa=Europe/Berlin'); "
                "override normalize.timezone");
  schema.Bool("ingest.check_topics", &check_topics,
              "check at start-up that every topic exists with the partitions, cleanup policy and "
              "max.message.bytes the worker needs");
  schema.Int("ingest.liveness_max_age_ms", &liveness_max_age_ms,
             "/livez fails when the poll loop has not turned for this long", 1000, 3'600'000);
  schema.String("ingest.state_dir", &state_dir,
                "local dedup state (RocksDB per partition) under <dir>/<instance id>; default "
                "copydesk-data/ingest in the working directory; empty = memory only, restored from the "
                "changelog");
}

}  // namespace copydesk::ingest
