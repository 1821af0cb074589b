// Binary layout of the dedup state (internal to services/dedup). Keys are ordered byte strings
// (big-endian numbers, so scans run in numeric order); values are compact little-endian records.
//
//   m/wm                               event time of the partition's last record (i64)
//   i/<xxh128(identity)>               IdentityRecord: story id + ordering of the last accepted version
//   s/<story id>                       StoryRecord: version, flags, current content fingerprints
//   d/<doc id>                         DocRecord: one indexed text (story, provider, time, signature)
//   b/<band><band hash><~time><doc id> LSH band bucket entry (empty value; newest first in a bucket)
//   x/<time><doc id>                   doc expiry queue (empty value)
//   o/<partition><offset>              decision log: the decision made for that input
//   y/<time><partition><offset>        decision-log expiry queue (empty value)
//
// b/, x/ and y/ are derived: each is a function of one d/ or o/ record (DerivedKeys), so they
// are never written to the changelog; a restore rebuilds them from the d/ and o/ records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/minhash.h"
#include "dedup/dedup.h"
#include "dedup/index_format.h"
#include "dedup/lineage.h"

namespace copydesk::dedup::internal {

inline constexpr int kSignatureSize = 128;  // = normalize::kMinHashSize
inline constexpr int kBandRows = 2;
inline constexpr int kBands = kBandsPerDocument;  // uses the first kBands * kBandRows = 40 values

// The last accepted version of one identity.
struct IdentityRecord {
  std::string story_id;
  bool has_provider_version = false;
  int64_t provider_version = 0;
  int64_t versioncreated_ms = 0;  // 0 = unknown
  // The content last accepted under this identity (redelivery = identical to it).
  uint64_t headline_hash = 0;
  uint64_t body_hash = 0;
  bool canceled = false;
  // Set when the identity's first record was a duplicate of another partition's story: that
  // story, its version then, and the content this identity delivered as its duplicate. The
  // story's versions are counted on its own partition, so this identity never updates it: while
  // `story_id` is `alias_story` its records are re-deliveries or stale; its first change gets a
  // story of its own (`story_id`), and the duplicate's content stays a re-delivery of
  // `alias_story`. Empty for every other identity (and for records written before it existed).
  std::string alias_story;
  uint32_t alias_version = 0;
  uint64_t alias_headline_hash = 0;
  uint64_t alias_body_hash = 0;

  [[nodiscard]] bool foreign() const { return !alias_story.empty() && story_id == alias_story; }
};

// A story's current state.
struct StoryRecord {
  uint32_t version = 0;
  bool canceled = false;
  uint64_t provider_hash = 0;
  std::string root;  // for syndicated copies: the original story
  uint64_t headline_hash = 0;
  uint64_t body_hash = 0;
  std::vector<uint16_t> signature;   // 16-bit MinHash values of the current body
  std::vector<uint32_t> paragraphs;  // normalized-word hashes of the current paragraphs
  // The event time of the story's first record (0: unknown, a record written before it existed).
  int64_t created_ms = 0;
  // Per content field its hash and the version that set it, and where those versions came from
  // (empty for a record written before lineage was kept).
  StoryLineage lineage;
};

// One text in the near-duplicate index.
struct DocRecord {
  std::string story_id;
  std::string root;
  uint64_t provider_hash = 0;
  int64_t time_ms = 0;
  int32_t partition = 0;
  uint32_t version = 0;
  std::vector<uint16_t> signature;
  // Visibility time (the partition's clock when the document was indexed): another partition's
  // record sees the document only when this is more than Config::visibility_delay_ms below its
  // own. Records written before it existed read it as time_ms.
  int64_t tau_ms = 0;
  // The event time of the first record of the document's story: no record produced before it
  // is attached to the story. Records written before it existed read it as time_ms.
  int64_t story_created_ms = 0;
};

std::string EncodeIdentity(const IdentityRecord& r);
std::optional<IdentityRecord> DecodeIdentity(std::string_view v);
std::string EncodeStory(const StoryRecord& r);
std::optional<StoryRecord> DecodeStory(std::string_view v);
std::string EncodeDoc(const DocRecord& r);
std::optional<DocRecord> DecodeDoc(std::string_view v);
// The partition field of an encoded DocRecord alone (no copies; for filtering by owner).
std::optional<int32_t> DecodeDocPartition(std::string_view v);
std::string EncodeDecision(const Decision& d);
// `with_lineage` = false leaves out the change's lineage part and the lineage (for derived keys).
std::optional<Decision> DecodeDecision(std::string_view v, bool with_lineage = true);

std::string WatermarkKey();
std::string IdentityStateKey(std::string_view identity);
std::string StoryKey(std::string_view story_id);
std::string DocKey(uint64_t doc);
std::string BandPrefix(int band, uint64_t band_hash);
// One doc's entry in a band bucket: BandPrefix + inverted time (newest first) + doc id.
std::string BandEntryKey(int band, uint64_t band_hash, int64_t time_ms, uint64_t doc);
inline constexpr size_t kBandPrefixSize = kBandBucketPrefixSize;
using ::copydesk::dedup::kBandEntryKeySize;
using ::copydesk::dedup::WriteBandEntryKey;  // BandEntryKey written into a buffer (index_format.h)
// A document record's key: "d/" + doc id.
inline constexpr size_t kDocKeySize = 10;
inline bool IsDocKey(std::string_view key) {
  return key.size() == kDocKeySize && key.starts_with("d/");
}
// The time and doc id of a band entry key (kBandEntryKeySize bytes).
int64_t BandEntryTime(std::string_view key);
uint64_t BandEntryDoc(std::string_view key);
std::string DocExpiryKey(int64_t time_ms, uint64_t doc);
inline std::string MemoKey(int32_t partition, int64_t offset, uint32_t item = 0) {
  return DecisionLogKey(partition, offset, item);
}
// A memo key ("o/" + position) is 14 bytes, 18 with an item.
inline bool IsMemoKey(std::string_view key) {
  return (key.size() == 14 || key.size() == 18) && key.starts_with("o/");
}
// The memo's expiry queue key: "y/" + time + the memo key's position; and back.
std::string MemoExpiryKey(int64_t time_ms, std::string_view memo_key);
inline std::string MemoKeyOfExpiryKey(std::string_view expiry_key) {
  return "o/" + std::string(expiry_key.substr(10));
}
// The producer's event id (hashed) -> the memo key of the first input that carried it: a record
// with the same event id delivered again (a producer retry that the broker stored twice) replays
// that decision. Derived from the memo (Decision::event_key).
std::string EventMemoKey(uint64_t event_key);
uint64_t EventKeyHash(std::string_view event_id);

// Big-endian numbers (common/bytes.h), under the names the dedup code uses.
inline void Be64(std::string& s, uint64_t v) {
  bytes::PutBe64(s, v);
}
inline void Be32(std::string& s, uint32_t v) {
  bytes::PutBe32(s, v);
}
inline uint64_t ReadBe64(std::string_view s, size_t pos) {
  return bytes::GetBe64(s, pos);
}
inline uint32_t ReadBe32(std::string_view s, size_t pos) {
  return bytes::GetBe32(s, pos);
}
// Order-preserving map of a signed time to unsigned.
inline uint64_t TimeToKey(int64_t t) {
  return bytes::SignedToOrdered(t);
}
inline int64_t KeyToTime(uint64_t k) {
  return bytes::OrderedToSigned(k);
}

// The derived keys of the primary record `key` = `value`, put (`put`) or deleted: a doc's band
// bucket entries (and its expiry entry when `expiry`), a decision memo's expiry entry (when
// `expiry`) and event-id entry. Decide() and ApplyChangelog() both write them through this, so a
// restored store equals the one the decisions built.
void DerivedMutations(MutationBatch* out, std::string_view key, std::string_view value, bool put,
                      bool expiry);

// m/wm: the event time of the partition's last record, then its clock (the monotone visibility
// time). One key, so a decision writes one changelog record for both.
struct Times {
  int64_t last = 0;
  int64_t clock = 0;
};
Times DecodeTimes(const std::optional<std::string>& v);
std::string EncodeTimes(const Times& t);

// The hash of band `band` of a 16-bit signature.
uint64_t BandHash(const std::vector<uint16_t>& sig, int band);
// A doc's derived keys, one call of `f(key)` each: its expiry entry (when `expiry`) and its band
// bucket entries.
template <typename F>
void ForEachDocDerivedKey(uint64_t doc, const DocRecord& rec, bool expiry, F&& f) {
  if (expiry) f(DocExpiryKey(rec.time_ms, doc));
  if (rec.signature.size() != kSignatureSize) return;
  for (int b = 0; b < kBands; ++b) f(BandEntryKey(b, BandHash(rec.signature, b), rec.time_ms, doc));
}

// The fraction of equal signature values (the Jaccard estimate, common/minhash.h); 0 when either
// is empty.
inline double EstimateJaccard(const std::vector<uint16_t>& a, const std::vector<uint16_t>& b) {
  return minhash::EstimateJaccard(a, b);
}

}  // namespace copydesk::dedup::internal
