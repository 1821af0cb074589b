// ViewStore: opening the RocksDB view, its metadata and offsets, the watermark readers wait on,
// and the hot cache of latest articles. The write path is in store_apply.cc, the read path
// (Reader) in store_read.cc, the key encoding in store_keys.cc.
#include "lookup/store.h"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/options_util.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>

#include "common/bytes.h"
#include "lookup/store_keys.h"

namespace copydesk::lookup {
namespace {

using store_keys::kOffset;
using store_keys::MetaKey;
using store_keys::OffsetKey;

using bytes::GetBe;
using bytes::PutBe64;

uint64_t NewGeneration() {
  std::random_device rd;
  const uint64_t now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::system_clock::now().time_since_epoch())
                                                 .count());
  return (now << 16) ^ (rd() & 0xffff);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ViewStore

Result<std::unique_ptr<ViewStore>> ViewStore::Open(const Options& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return Error{v1::ERROR_CODE_INTERNAL, "create " + options.dir + ": " + ec.message()};
  rocksdb::Options o;
  o.create_if_missing = true;
  o.IncreaseParallelism(2);
  o.max_open_files = 512;
  o.keep_log_file_num = 3;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10, false));
  // Index and filter blocks stay in the table readers (a few MiB for 100k stories): cached in
  // the block cache they were evicted by data blocks and re-read on nearly every lookup.
  t.cache_index_and_filter_blocks = false;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(o, options.dir, &raw);
  if (!s.ok()) return Error{v1::ERROR_CODE_INTERNAL, "open view " + options.dir + ": " + s.ToString()};
  std::unique_ptr<ViewStore> store(new ViewStore(options));
  store->db_.reset(raw);
  Status st = store->Load();
  if (!st.ok()) return st.error();
  return store;
}

ViewStore::~ViewStore() = default;

std::string ViewStore::Meta(std::string_view name) const {
  std::string v;
  if (!db_->Get(rocksdb::ReadOptions(), MetaKey(name), &v).ok()) return {};
  return v;
}

Status ViewStore::Load() {
  std::string gen = Meta("generation");
  if (gen.size() == 8) {
    generation_ = GetBe(gen, 0, 8);
  } else {
    generation_ = NewGeneration();
    std::string v;
    PutBe64(v, generation_);
    auto s = db_->Put(rocksdb::WriteOptions(), MetaKey("generation"), v);
    if (!s.ok()) return Error{v1::ERROR_CODE_INTERNAL, "write generation: " + s.ToString()};
  }
  std::string seq = Meta("seq");
  next_seq_ = seq.size() == 8 ? GetBe(seq, 0, 8) : 1;
  std::string n = Meta("stories");
  stories_ = n.size() == 8 ? GetBe(n, 0, 8) : 0;
  n = Meta("versions");
  versions_ = n.size() == 8 ? GetBe(n, 0, 8) : 0;
  std::lock_guard<std::mutex> lock(mu_);
  watermark_ = StoredOffsets();
  PublishWatermark();
  return OkStatus();
}

Offsets ViewStore::StoredOffsets() const {
  Offsets out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  const std::string prefix(1, kOffset);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    auto k = it->key().ToStringView();
    auto v = it->value().ToStringView();
    if (k.size() != 5 || v.size() != 8) continue;
    out[static_cast<int32_t>(GetBe(k, 1, 4))] = static_cast<int64_t>(GetBe(v, 0, 8));
  }
  return out;
}

std::string ViewStore::ClusterId() const {
  return Meta("cluster");
}
std::string ViewStore::Topic() const {
  return Meta("topic");
}

Offsets ViewStore::watermark() const {
  std::lock_guard<std::mutex> lock(mu_);
  return watermark_;
}

Status ViewStore::SetSource(const std::string& cluster_id, const std::string& topic) {
  rocksdb::WriteBatch b;
  b.Put(MetaKey("cluster"), cluster_id);
  b.Put(MetaKey("topic"), topic);
  auto s = db_->Write(rocksdb::WriteOptions(), &b);
  if (!s.ok()) return Error{v1::ERROR_CODE_INTERNAL, "write source: " + s.ToString()};
  return OkStatus();
}

Status ViewStore::SetOffsets(const Offsets& offsets) {
  rocksdb::WriteBatch b;
  for (const auto& [p, o] : offsets) {
    std::string v;
    PutBe64(v, static_cast<uint64_t>(o));
    b.Put(OffsetKey(p), v);
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto s = db_->Write(rocksdb::WriteOptions(), &b);
  if (!s.ok()) return Error{v1::ERROR_CODE_INTERNAL, "write offsets: " + s.ToString()};
  for (const auto& [p, o] : offsets) watermark_[p] = o;
  PublishWatermark();
  changed_.notify_all();
  return OkStatus();
}

Status ViewStore::Wipe(const std::string& cluster_id, const std::string& topic) {
  rocksdb::WriteBatch b;
  b.DeleteRange(std::string(1, '\0'), std::string(2, '\xff'));
  const uint64_t gen = NewGeneration();
  std::string v;
  PutBe64(v, gen);
  b.Put(MetaKey("generation"), v);
  b.Put(MetaKey("cluster"), cluster_id);
  b.Put(MetaKey("topic"), topic);
  {
    std::lock_guard<std::mutex> lock(mu_);
    rocksdb::WriteOptions wo;
    wo.sync = true;
    auto s = db_->Write(wo, &b);
    if (!s.ok()) return Error{v1::ERROR_CODE_INTERNAL, "wipe view: " + s.ToString()};
    generation_ = gen;
    next_seq_ = 1;
    stories_ = 0;
    versions_ = 0;
    watermark_.clear();
    PublishWatermark();
    changed_.notify_all();
  }
  Invalidate({}, true);
  rocksdb::CompactRangeOptions cro;
  db_->CompactRange(cro, nullptr, nullptr);
  return OkStatus();
}

void ViewStore::PublishWatermark() {
  shared_watermark_ = std::make_shared<const Offsets>(watermark_);
  v1::GetArticleResponse r;
  for (const auto& [p, o] : watermark_) (*r.mutable_watermark()->mutable_offsets())[p] = o;
  r.mutable_watermark();  // an empty watermark is still sent
  const std::string bytes = r.SerializeAsString();
  watermark_field_ = grpc::Slice(bytes);
}

grpc::Slice ViewStore::WatermarkField() const {
  std::lock_guard<std::mutex> lock(mu_);
  return watermark_field_;
}

namespace {
size_t EntryCost(std::string_view id, const LatestArticle& a) {
  return a.response_prefix.size() + id.size() + 64;
}
}  // namespace

void ViewStore::Invalidate(const std::vector<std::string>& stories, bool all) {
  cache_epoch_.fetch_add(1);
  if (options_.hot_cache_bytes == 0) return;
  if (all) {
    for (auto& shard : hot_) {
      std::lock_guard<std::mutex> lock(shard.mu);
      shard.map.clear();
      shard.bytes = 0;
    }
    return;
  }
  for (const auto& id : stories) {
    auto& shard = hot_[std::hash<std::string_view>()(id) % kHotShards];
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.map.find(id);
    if (it == shard.map.end()) continue;
    shard.bytes -= EntryCost(it->first, it->second);
    shard.map.erase(it);
  }
}

std::optional<LatestArticle> ViewStore::Latest(std::string_view story_id) const {
  const bool cached = options_.hot_cache_bytes > 0;
  auto& shard = hot_[std::hash<std::string_view>()(story_id) % kHotShards];
  if (cached) {
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.map.find(absl::string_view(story_id.data(), story_id.size()));
    if (it != shard.map.end()) {
      hot_hits_.fetch_add(1, std::memory_order_relaxed);
      return it->second;
    }
  }
  hot_misses_.fetch_add(1, std::memory_order_relaxed);
  const uint64_t epoch = cache_epoch_.load();
  auto art = NewReader().Article(story_id, 0, std::nullopt);
  if (!art) return std::nullopt;
  // GetArticleResponse{article = 1, canceled = 2} in wire format; the watermark (3) follows.
  v1::GetArticleResponse r;
  *r.mutable_article() = std::move(art->article);
  r.set_canceled(art->canceled);
  LatestArticle out;
  out.response_prefix = grpc::Slice(r.SerializeAsString());
  out.canceled = art->canceled;
  if (cached) {
    const size_t cost = EntryCost(story_id, out);
    std::lock_guard<std::mutex> lock(shard.mu);
    if (cache_epoch_.load() == epoch) {
      // Over budget: drop arbitrary entries (reads are uniform enough that LRU buys little).
      while (!shard.map.empty() && shard.bytes + cost > options_.hot_cache_bytes / kHotShards) {
        auto victim = shard.map.begin();
        shard.bytes -= EntryCost(victim->first, victim->second);
        shard.map.erase(victim);
      }
      if (shard.map.emplace(std::string(story_id), out).second) shard.bytes += cost;
    }
  }
  return out;
}

ViewStore::HotCacheStats ViewStore::hot_cache_stats() const {
  HotCacheStats st;
  for (auto& shard : hot_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    st.entries += shard.map.size();
    st.bytes += shard.bytes;
  }
  st.hits = hot_hits_.load();
  st.misses = hot_misses_.load();
  return st;
}

Reader ViewStore::NewReader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Reader(*this, db_.get(), db_->GetSnapshot(), shared_watermark_, generation_.load());
}

void ViewStore::SetValidated(bool validated) {
  std::lock_guard<std::mutex> lock(mu_);
  validated_ = validated;
  changed_.notify_all();
}

bool ViewStore::Reached(const Offsets& min) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!validated_) return false;
  for (const auto& [p, o] : min) {
    auto it = watermark_.find(p);
    if (it == watermark_.end() || it->second < o) return false;
  }
  return true;
}

bool ViewStore::WaitFor(const Offsets& min, std::chrono::steady_clock::time_point deadline,
                        const std::function<bool()>& cancelled) const {
  std::unique_lock<std::mutex> lock(mu_);
  auto reached = [&] {
    if (!validated_) return false;
    for (const auto& [p, o] : min) {
      auto it = watermark_.find(p);
      if (it == watermark_.end() || it->second < o) return false;
    }
    return true;
  };
  while (!reached()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline || (cancelled && cancelled())) return false;
    changed_.wait_until(lock, std::min(deadline, now + std::chrono::milliseconds(50)));
  }
  return true;
}

void ViewStore::WaitForChange(const Offsets& seen, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait_for(lock, timeout, [&] { return watermark_ != seen; });
}

uint64_t ViewStore::DiskBytes() const {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(options_.dir, ec)) {
    std::error_code ec2;
    if (e.is_regular_file(ec2)) total += e.file_size(ec2);
  }
  return total;
}

void ViewStore::CompactAll() {
  rocksdb::CompactRangeOptions cro;
  cro.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  db_->CompactRange(cro, nullptr, nullptr);
}

uint64_t ViewStore::MemoryBytes() const {
  uint64_t total = hot_cache_stats().bytes;
  for (const char* p : {"rocksdb.cur-size-all-mem-tables", "rocksdb.estimate-table-readers-mem",
                        "rocksdb.block-cache-usage"}) {
    uint64_t v = 0;
    if (db_->GetIntProperty(p, &v)) total += v;
  }
  return total;
}

}  // namespace copydesk::lookup
