// The shared near-duplicate index's records, and the dedup state keys other folders see: the one
// definition of these bytes. The ingest worker writes and reads the index topic through it, and
// dedup's own code builds the same keys with the same functions.
//
// The index topic (`topics.index`, news.dedup-index.v1, compacted; key = the record key):
//
//   d/<doc id: 8 bytes BE>            a document: one indexed text of some input partition (value:
//                                     dedup's document record, read with DocumentPartition), or
//                                     a tombstone when the document expired
//   w/<input partition: 4 bytes BE>   a progress marker: 8 bytes BE progress (ms since epoch, two's
//                                     complement), then the sender's tag (any bytes)
//
// An input partition's documents and its markers go to index partition IndexPartitionFor(p, n),
// in that order, so a reader that has a marker has every document sent before it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace copydesk::dedup {

// ---------------------------------------------------------------------------------------------
// Index topic records.

enum class IndexRecordKind {
  kDocument,  // "d/" + doc id
  kProgress,  // "w/" + input partition
  kOther,     // anything else: not copydesk's, skip it
};
IndexRecordKind IndexRecordKindOf(std::string_view key);

// True for the state keys that belong to the shared index: the document records ("d/<doc id>")
// a worker publishes to the index topic so other partitions' workers can match against them.
bool IsSharedIndexKey(std::string_view key);

// The input partition that indexed a document (its owner), read from the document's value
// without decoding the rest; nullopt when `value` is not a document record.
std::optional<int32_t> DocumentPartition(std::string_view value);

// A progress marker: every record input partition `partition` decides from now on has a
// visibility time of at least `progress_ms` (services/ingest/README.md, "Progress and the
// visibility wait"). `tag` says who sent it (the worker's instance, start and assignment).
struct ProgressMarker {
  int32_t partition = 0;
  int64_t progress_ms = 0;
  std::string tag;
};

inline constexpr std::string_view kProgressKeyPrefix = "w/";
inline constexpr size_t kProgressKeySize = 6;  // "w/" + 4 bytes
inline constexpr size_t kProgressValueMinSize = 8;

// "w/" + partition (4 bytes big-endian).
std::string ProgressKey(int32_t partition);
// The progress (8 bytes big-endian) followed by the tag.
std::string EncodeProgressValue(int64_t progress_ms, std::string_view tag);
// The marker of a record whose key is a progress key and whose value has at least the 8 bytes
// of the progress; nullopt otherwise (a tombstone or a foreign record: skip it).
std::optional<ProgressMarker> DecodeProgressMarker(std::string_view key, std::string_view value);

// The index topic partition of an input partition's documents and markers: p mod
// `index_partitions`; -1 (let the producer's partitioner choose by key) when the number of index
// partitions is not known (<= 0).
inline int32_t IndexPartitionFor(int32_t input_partition, int32_t index_partitions) {
  return index_partitions > 0 ? input_partition % index_partitions : -1;
}

// ---------------------------------------------------------------------------------------------
// A partition's state keys, as far as code outside dedup needs them.

// The layout of a partition's local state (the keys and records services/dedup/README.md lists).
// A worker keeps it in its local-state marker and restores from the changelog when a store has
// another one. Changes whenever the layout does.
inline constexpr std::string_view kStateLayout = "s4:";

// LSH band bucket entries: each document has one entry in each of kBandsPerDocument buckets.
// An entry's key is the bucket's prefix (kBandBucketPrefixSize bytes: "b/" + band + band hash)
// + the inverted event time + the doc id (kBandEntryKeySize bytes in all); a bucket scan is a
// prefix scan, newest entries first.
inline constexpr int kBandsPerDocument = 20;
inline constexpr size_t kBandBucketPrefixSize = 11;
inline constexpr size_t kBandEntryKeySize = 27;
// Writes a band entry key (kBandEntryKeySize bytes) into `out`, without allocating.
void WriteBandEntryKey(char* out, int band, uint64_t band_hash, int64_t time_ms, uint64_t doc);

// The decision log's key for one input record, or one item of a multi-item input (its memo,
// services/dedup/README.md): "o/" + partition (4 bytes BE) + offset (8 bytes BE), + the item
// (4 bytes BE) when it is not 0.
std::string DecisionLogKey(int32_t partition, int64_t offset, uint32_t item = 0);

}  // namespace copydesk::dedup
