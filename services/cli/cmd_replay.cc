// `copydesk replay`: the worker's fingerprint + dedup code over a JSON-lines file, no Kafka.
#include <cstdio>
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "dedup/replay.h"

namespace copydesk::cli {
namespace {

struct Flags {
  std::string input = "-";
  dedup::ReplayOptions options;
  double window_days = 7;
  bool url_identity = false;
  bool quiet = false;
  bool lineage = false;
  bool no_lineage = false;
};

void AddReplayOptions(CLI::App* cmd, Flags* flags);
void RunReplay(Flags& flags);

}  // namespace

void RegisterReplay(CLI::App& app) {
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "replay",
      "Run the ingest worker's dedup decisions over a JSON-lines file, offline, in file order.\n"
      "Each line is a record like ../shared/data/*/articles.jsonl: id, source, url, title,\n"
      "published, body (other fields are ignored unless named by a flag). The record becomes the\n"
      "Article the worker would build (headline, paragraphs, provenance, guid and version from\n"
      "the flags) with the normalizer's fingerprints, and goes through the same Deduper as the\n"
      "worker (partition 0, offset = line number, event time = published; --partitions spreads\n"
      "the records over several partitions and a shared index, as the worker group would).\n"
      "Prints one JSON line per record on stdout:\n"
      "  {\"id\",\"story\",\"version\",\"decision\",\"of\",\"similarity\"} (+ \"change\" on updates)\n"
      "decision: new | update | redelivery | stale | duplicate | syndicated | cancel.\n"
      "Throughput (records/s) goes to stderr.\n"
      "Without --guid-field there is no guid: identity comes from content (URLs are not used as\n"
      "identity unless --url-identity, because many feeds put a date or version in the URL).");
  AddReplayOptions(cmd, flags.get());
  cmd->callback([flags] { RunReplay(*flags); });
}

namespace {

void AddReplayOptions(CLI::App* cmd, Flags* flags) {
  cmd->add_option("--input,-i", flags->input, "JSON-lines file ('-' = stdin)")->required();
  cmd->add_option("--guid-field", flags->options.guid_field,
                  "record field holding the provider's guid (story identity)");
  cmd->add_option("--provider-field", flags->options.provider_field, "record field holding the provider")
      ->capture_default_str();
  cmd->add_option("--version-field", flags->options.version_field,
                  "record field holding the provider's version number (orders versions)");
  cmd->add_option("--versioncreated-field", flags->options.versioncreated_field,
                  "record field holding the provider's versioncreated (orders versions after the version\n"
                  "number; `published` is the event time and does not order versions unless named here)");
  cmd->add_option("--id-field", flags->options.id_field, "record field printed as \"id\"")
      ->capture_default_str();
  cmd->add_option("--window-days", flags->window_days, "near-duplicate window in event time, days")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--duplicate-threshold", flags->options.config.duplicate_threshold,
                  "estimated 5-shingle Jaccard for a same-provider duplicate")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 1.0));
  cmd->add_option("--syndicated-threshold", flags->options.config.syndicated_threshold,
                  "estimated 5-shingle Jaccard for an other-provider syndicated copy")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 1.0));
  cmd->add_flag("--url-identity", flags->url_identity,
                "use the record's url as identity when there is no guid");
  cmd->add_option("--state-dir", flags->options.state_dir,
                  "keep the state in a RocksDB store in this directory, its near-duplicate band entries in "
                  "memory, as the ingest worker does (default: all in memory)");
  cmd->add_option("--partitions", flags->options.partitions,
                  "spread the records over this many input partitions (key: guid, else url with\n"
                  "--url-identity, else id), each with its own state and one shared near-duplicate index\n"
                  "under the worker's visibility rule; prints each record's \"partition\"")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--visibility-delay-ms", flags->options.config.visibility_delay_ms,
                  "with --partitions: another partition's documents are visible only when indexed more\n"
                  "than this before the record (event time)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--quiet,-q", flags->quiet, "print only the throughput line, no decisions");
  cmd->add_flag("--lineage", flags->lineage,
                "on new and updated versions also print the fields changed, the paragraph edits (with\n"
                "texts), the version's paragraphs and the ArticleEvent's size with and without lineage");
  cmd->add_flag("--no-lineage", flags->no_lineage,
                "decide without field lineage and paragraph edit scripts (to measure what they cost)");
}

void RunReplay(Flags& flags) {
  auto& o = flags.options;
  o.config.window_ms = static_cast<int64_t>(flags.window_days * 24 * 3600 * 1000);
  o.config.url_identity = flags.url_identity;
  std::FILE* in = flags.input == "-" ? stdin : std::fopen(flags.input.c_str(), "rb");
  if (in == nullptr) {
    std::cerr << "copydesk replay: cannot open " << flags.input << "\n";
    SetExitCode(2);
    return;
  }
  std::string out;
  out.reserve(1 << 20);
  const bool quiet = flags.quiet;
  if (flags.no_lineage && flags.lineage) {
    std::cerr << "copydesk replay: --lineage and --no-lineage exclude each other\n";
    SetExitCode(2);
    return;
  }
  o.config.lineage = !flags.no_lineage;
  const bool lineage = flags.lineage;
  auto stats =
      dedup::Replay(in, o, [&](const dedup::ReplayRecord& r, const v1::Article& a, const dedup::Decision& d) {
        if (quiet) return;
        out += dedup::DecisionJson(r, d, lineage ? &a : nullptr);
        if (out.size() > (1 << 20)) {
          std::fwrite(out.data(), 1, out.size(), stdout);
          out.clear();
        }
      });
  if (in != stdin) std::fclose(in);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  if (!stats.ok()) {
    std::cerr << "copydesk replay: " << stats.error().reason << "\n";
    SetExitCode(1);
    return;
  }
  const double n = static_cast<double>(stats->records);
  std::fprintf(stderr,
               "replay: %llu records (%llu unreadable lines) in %.3f s: %.0f records/s "
               "(CPU %.3f s: %.0f records per CPU-second)\n",
               static_cast<unsigned long long>(stats->records),
               static_cast<unsigned long long>(stats->errors), stats->seconds,
               stats->seconds > 0 ? n / stats->seconds : 0.0, stats->cpu_seconds,
               stats->cpu_seconds > 0 ? n / stats->cpu_seconds : 0.0);
  if (stats->errors > 0) SetExitCode(1);
}

}  // namespace

}  // namespace copydesk::cli
