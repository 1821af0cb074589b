// Offline replay: JSON-lines article records -> the same fingerprint and dedup code as the
// worker, in file order, without Kafka. Used by `copydesk replay` and the evaluations in
// tests/bench/dedup_*.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "copydesk/v1/article.pb.h"
#include "dedup/dedup.h"

namespace copydesk::dedup {

// How record fields map to an Article, and the dedup settings.
struct ReplayOptions {
  // Field holding the provider's guid; "" = no guid (identity from content).
  std::string guid_field;
  std::string provider_field = "source";
  // Field holding the provider's version number; "" = none.
  std::string version_field;
  std::string id_field = "id";
  // Field holding the provider's versioncreated (orders versions after the version number);
  // "" = none. `published` is always the event time (the Kafka timestamp the worker would see)
  // but is not used to order versions unless named here: in the Reuters data it is a page
  // timestamp that can be earlier than the previous version's.
  std::string versioncreated_field;
  // Directory of a RocksDB state store ("<dir>/p<N>" per partition); "" = in memory.
  std::string state_dir;
  // Input partitions to spread the records over, as the ingest workers' input topic would: a
  // record goes to partition hash(key) mod n, key = the guid, else the URL (with url_identity),
  // else the record id (a producer without a key). n > 1 gives each partition its own state
  // and all of them one shared near-duplicate index, with the visibility rule of the worker
  // (services/dedup/README.md, "Cross-partition near-duplicates"): a record sees another
  // partition's documents only when they were indexed more than Config::visibility_delay_ms
  // before it in event time, which is what the worker's progress wait makes every run see.
  int partitions = 1;
  Config config;
};

// One record as read from the file.
struct ReplayRecord {
  std::string id;
  std::string provider;
  std::string guid;
  std::string version;
  std::string url;
  std::string title;
  std::string published;
  std::string versioncreated;
  std::string body;
  // The input partition the record was assigned (ReplayOptions::partitions > 1), else -1.
  int32_t partition = -1;
};

// Builds the Article the worker would see for a record: headline, body blocks (paragraphs split
// at blank lines, else at line breaks), body_text joined as Finalize() joins it, provenance,
// versioncreated from `versioncreated`, provenance.event_time from `published`, and the
// normalizer's fingerprints.
v1::Article ArticleFromRecord(const ReplayRecord& r);

// Parses a timestamp such as "2008-08-31T20:57 EDT", "2008-08-31T20:57:00Z" or
// "2008-08-31 20:57:00+02:00" to ms since epoch; nullopt when unparseable.
std::optional<int64_t> ParsePublished(std::string_view s);

// Totals of a replay run.
struct ReplayStats {
  uint64_t records = 0;
  uint64_t errors = 0;     // lines that were not a JSON object
  double seconds = 0;      // wall time of read + parse + fingerprint + decide + emit
  double cpu_seconds = 0;  // CPU time of the same (the process's, single-threaded)
};

// Replays `in` line by line, calling `emit(record, decision)` in file order. The context of
// record i is partition 0, offset i, timestamp = published (0 when absent); with several
// partitions, the record's partition and its position in that partition.
// `emit` also gets the Article the record became.
Result<ReplayStats> Replay(
    std::FILE* in, const ReplayOptions& options,
    const std::function<void(const ReplayRecord&, const v1::Article&, const Decision&)>& emit);

// {"id","story","version","decision","of","similarity"} (+ "change" on updates, + "partition"
// when the record has one) as one JSON line with a trailing "\n". With `lineage` (the record's
// Article) also, on accepted versions: "lineage" details for the evaluations: the change's
// "fields_changed" and "paragraph_edits" (with texts, as the worker publishes them), the
// article's "paragraphs", and "event_bytes" / "event_bytes_without_lineage": the size of the
// ArticleEvent with and without the lineage, the fields changed and the paragraph edits.
std::string DecisionJson(const ReplayRecord& r, const Decision& d, const v1::Article* lineage = nullptr);

}  // namespace copydesk::dedup
