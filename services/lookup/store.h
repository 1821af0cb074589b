// The lookup view: every version of every story from news.article-events.v1 in RocksDB, with
// the consumed offsets written in the same WriteBatch as the data they produced.
//
// Key layout (one column family; the first byte is the record kind):
//   M<name>                      metadata: generation, cluster id, topic, next story sequence
//   O<partition:be32>            next offset to apply on that partition
//   V<story>\0<version:be32>     the ArticleEvent that created that version
//   X<story>                     the CANCELED event of the story
//   S<story>                     StoryRecord (versions, filter fields, signature, url keys)
//   A<seq:be64>                  -> story: arrival order (ListArticles without provider/language)
//   P<provider>\0<seq:be64>      -> story: by provider
//   L<language>\0<seq:be64>      -> story: by language
//   U<normalized url>            -> story
//   H<band:be16><hash:be64><story> -> "" : LSH buckets for FindSimilar
//   E<partition:be32><offset:be64> -> event reference ('V' story\0version or 'X' story): the
//                                   applied events by position, for WatchArticles resume.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <grpcpp/support/slice.h>
#include <rocksdb/db.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "copydesk/v1/events.pb.h"
#include "copydesk/v1/lookup.pb.h"
#include "lookup/view_record.pb.h"

namespace copydesk::lookup {

// partition -> next offset to apply.
using Offsets = std::map<int32_t, int64_t>;

// One record of the events topic, as the applier sees it.
struct InputRecord {
  int32_t partition = 0;
  int64_t offset = 0;
  std::string value;  // serialized ArticleEvent
};

// What one Apply() did.
struct ApplyStats {
  int applied = 0;     // new (story, version) or cancel
  int duplicates = 0;  // already applied: changed nothing
  int invalid = 0;     // undecodable or without story id / version: skipped (offset advances)
  int new_stories = 0;
  int new_versions = 0;
};

// An article read from the view.
struct ArticleRead {
  v1::Article article;
  bool canceled = false;
};

// The latest version of a story, pre-serialized for GetArticle: `response_prefix` holds the
// GetArticleResponse fields `article` (1) and `canceled` (2) in wire format, so a response is
// this slice followed by the watermark field (ViewStore::WatermarkField()). The slices are
// reference-counted: handing them to gRPC copies no bytes.
struct LatestArticle {
  grpc::Slice response_prefix;
  bool canceled = false;
};

// A ListArticles page.
struct ListPage {
  std::vector<v1::Article> articles;
  std::string next_page_token;
};

// One applied event by its position on the events topic.
struct LoggedEvent {
  int32_t partition = 0;
  int64_t offset = 0;
  v1::ArticleEvent event;
  internal::StoryRecord story;  // the story as of the read snapshot (for filtering)
};

// Releases a RocksDB snapshot.
class SnapshotHolder {
 public:
  SnapshotHolder(rocksdb::DB* db, const rocksdb::Snapshot* snap) : db_(db), snap_(snap) {}
  SnapshotHolder(const SnapshotHolder&) = delete;
  SnapshotHolder& operator=(const SnapshotHolder&) = delete;
  ~SnapshotHolder() {
    if (snap_) db_->ReleaseSnapshot(snap_);
  }
  [[nodiscard]] const rocksdb::Snapshot* get() const { return snap_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snap_;  // owned
};

class ViewStore;

// A consistent read of the view: a RocksDB snapshot plus the watermark it corresponds to.
// Cheap to create; create one per request. Must not outlive its ViewStore.
class Reader {
 public:
  [[nodiscard]] const Offsets& watermark() const { return *watermark_; }
  [[nodiscard]] uint64_t generation() const { return generation_; }

  // The story record, or nullopt.
  [[nodiscard]] std::optional<internal::StoryRecord> Story(std::string_view story_id) const;
  // version 0 = latest; as_of_ms (when set) = the highest version with versioncreated <= it.
  // NOT_FOUND-style: nullopt when the story or the version does not exist.
  [[nodiscard]] std::optional<ArticleRead> Article(std::string_view story_id, uint32_t version,
                                                   std::optional<int64_t> as_of_ms) const;
  // The story of a URL (normalized like canonical URLs), or nullopt.
  [[nodiscard]] std::optional<std::string> StoryByUrl(std::string_view url) const;
  // Filtered, stable-ordered page. An invalid token gives INVALID_ARGUMENT; a token of another
  // view generation, another filter or older than the token lifetime gives FAILED_PRECONDITION
  // (ErrorCode STALE_TOKEN is reported as ERROR_CODE_INTERNAL with reason prefix; see service).
  [[nodiscard]] Result<ListPage> List(const v1::ArticleFilter& filter, uint32_t page_size,
                                      std::string_view page_token, int64_t now_ms) const;
  // Near-duplicates of a story, best first.
  [[nodiscard]] std::vector<v1::SimilarStory> Similar(const internal::StoryRecord& story, uint32_t limit,
                                                      double min_similarity) const;
  // Applied events of one partition with from <= offset < to, in offset order; stops when
  // `fn` returns false.
  void Events(int32_t partition, int64_t from, int64_t to, const std::function<bool(LoggedEvent&)>& fn) const;

 private:
  friend class ViewStore;
  Reader(const ViewStore& store, rocksdb::DB* db, const rocksdb::Snapshot* snap,
         std::shared_ptr<const Offsets> wm, uint64_t gen)
      : store_(store), db_(db), snap_(db, snap), watermark_(std::move(wm)), generation_(gen) {}
  [[nodiscard]] bool Get(std::string_view key, std::string* value) const;

  const ViewStore& store_;
  rocksdb::DB* db_;
  SnapshotHolder snap_;
  std::shared_ptr<const Offsets> watermark_;  // immutable copy shared with other readers
  uint64_t generation_;
};

// Reasons a page token is refused, in Error.reason prefixes (the service maps them to gRPC codes).
inline constexpr std::string_view kBadTokenPrefix = "bad page token";
inline constexpr std::string_view kStaleTokenPrefix = "stale page token";

// Owns the RocksDB database of the view. Apply() is called by one thread (the applier);
// readers call NewReader() from any thread. WaitFor() blocks until a watermark is applied.
class ViewStore {
 public:
  struct Options {
    std::string dir;
    // Page tokens older than this are refused with FAILED_PRECONDITION.
    int64_t page_token_ttl_ms = 3600 * 1000;
    // Block cache for reads (data blocks; index and filter blocks are kept by the table readers).
    size_t block_cache_bytes = 128u << 20;
    // In-memory cache of each story's latest article, pre-serialized for GetArticle (see
    // Latest()). 0 disables it.
    size_t hot_cache_bytes = 512u << 20;
    // Fsync the WAL on every batch (off: a crash may lose the last batches, which are then
    // re-applied from Kafka because the offsets are in the same batch).
    bool sync = false;
  };

  static Result<std::unique_ptr<ViewStore>> Open(const Options& options);
  ViewStore(const ViewStore&) = delete;
  ViewStore& operator=(const ViewStore&) = delete;
  ~ViewStore();

  // Applies records (in offset order per partition) and advances the offsets of their
  // partitions, atomically. Records at offsets below the stored next offset are ignored.
  Result<ApplyStats> Apply(const std::vector<InputRecord>& records);
  // Sets offsets of partitions that have no records yet (e.g. start at the log start offset).
  Status SetOffsets(const Offsets& offsets);
  // Deletes everything and starts a new generation; records the source it is built from.
  Status Wipe(const std::string& cluster_id, const std::string& topic);
  // Records the cluster id and topic the view is built from (when not known yet).
  Status SetSource(const std::string& cluster_id, const std::string& topic);

  [[nodiscard]] Offsets StoredOffsets() const;
  [[nodiscard]] std::string ClusterId() const;
  [[nodiscard]] std::string Topic() const;
  [[nodiscard]] uint64_t generation() const { return generation_.load(); }
  [[nodiscard]] Offsets watermark() const;

  // A consistent reader (snapshot + the watermark of that snapshot).
  [[nodiscard]] Reader NewReader() const;

  // The GetArticle fast path (latest version, no snapshot): the story's latest article from the
  // hot cache, else read with a fresh Reader and cached. nullopt when the story has no article.
  // The article is at least as new as any watermark read before the call.
  [[nodiscard]] std::optional<LatestArticle> Latest(std::string_view story_id) const;
  // GetArticleResponse field `watermark` (3) in wire format, for the current watermark.
  [[nodiscard]] grpc::Slice WatermarkField() const;
  // Hot-cache figures: entries, bytes, hits, misses.
  struct HotCacheStats {
    uint64_t entries = 0, bytes = 0, hits = 0, misses = 0;
  };
  [[nodiscard]] HotCacheStats hot_cache_stats() const;
  // Whether the stored offsets are known to belong to the cluster the feed reads. A feed
  // (ViewSync) clears it when it starts or loses the broker and sets it once it has checked the
  // offsets (and rebuilt the view if they were not valid there). Until then a watermark from
  // the broker cannot be compared with the view's (after a broker swap the old offsets may be
  // numerically higher), so Reached() is false and WaitFor() waits. Default: true (no feed).
  void SetValidated(bool validated);
  // True when the view is validated and every partition in `min` has next offset >= the given one.
  [[nodiscard]] bool Reached(const Offsets& min) const;
  // Waits until Reached(min) or the deadline; `cancelled` is polled every 50 ms.
  bool WaitFor(const Offsets& min, std::chrono::steady_clock::time_point deadline,
               const std::function<bool()>& cancelled) const;
  // Waits until the watermark changes from `seen` or the timeout passes.
  void WaitForChange(const Offsets& seen, std::chrono::milliseconds timeout) const;

  // Sizes for the gauges: stories and versions (kept as counters in metadata), disk bytes.
  [[nodiscard]] uint64_t story_count() const { return stories_.load(); }
  [[nodiscard]] uint64_t version_count() const { return versions_.load(); }
  [[nodiscard]] uint64_t DiskBytes() const;
  // Compacts the whole database now (e.g. after a rebuild, before serving a benchmark).
  void CompactAll();
  [[nodiscard]] uint64_t MemoryBytes() const;
  [[nodiscard]] const Options& options() const { return options_; }

 private:
  friend class Reader;
  explicit ViewStore(Options options) : options_(std::move(options)) {}
  Status Load();
  std::string Meta(std::string_view name) const;

  // Replaces shared_watermark_ and watermark_field_ from watermark_ (mu_ held).
  void PublishWatermark();
  // Drops the hot-cache entries of these stories (all when `all`), after a write.
  void Invalidate(const std::vector<std::string>& stories, bool all);

  Options options_;
  std::unique_ptr<rocksdb::DB> db_;
  // Guards watermark_ and the snapshot/watermark pairing: the applier writes a batch and
  // updates watermark_ under it; NewReader takes the snapshot and copies watermark_ under it.
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  Offsets watermark_;
  bool validated_ = true;  // see SetValidated()
  // An immutable copy of watermark_ for readers (replaced on every change, under mu_).
  std::shared_ptr<const Offsets> shared_watermark_ = std::make_shared<const Offsets>();
  grpc::Slice watermark_field_;  // WatermarkField() of watermark_ (guarded by mu_)

  // The hot cache: story -> latest article, in shards. A reader fills an entry only when no
  // write happened since it started reading (cache_epoch_ unchanged, checked under the shard
  // lock); writers bump the epoch after writing and then drop the entries they touched.
  struct HotShard {
    std::mutex mu;
    absl::flat_hash_map<std::string, LatestArticle> map;  // open addressing: one probe, no node
    size_t bytes = 0;
  };
  static constexpr size_t kHotShards = 16;
  mutable std::array<HotShard, kHotShards> hot_;
  mutable std::atomic<uint64_t> cache_epoch_{0};
  mutable std::atomic<uint64_t> hot_hits_{0};
  mutable std::atomic<uint64_t> hot_misses_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> stories_{0};
  std::atomic<uint64_t> versions_{0};
  uint64_t next_seq_ = 1;  // touched only by the applier thread (and Open/Wipe)
};

// True when a story (its latest version's fields) passes a ListArticles/WatchArticles filter.
bool FilterMatches(const v1::ArticleFilter& filter, const internal::StoryRecord& story);

// Similarity of two stories' signatures (MinHash equal-bin fraction, else SimHash 1 - d/64).
double SignatureSimilarity(const internal::StoryRecord& a, const internal::StoryRecord& b);

}  // namespace copydesk::lookup
