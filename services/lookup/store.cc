#include "lookup/store.h"

#include <google/protobuf/util/time_util.h>
#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/options_util.h>
#include <rocksdb/write_batch.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "common/bytes.h"
#include "common/minhash.h"
#include "normalize/url.h"

namespace copydesk::lookup {
namespace {

using internal::StoryRecord;
using TimeUtil = google::protobuf::util::TimeUtil;

constexpr char kMeta = 'M';
constexpr char kOffset = 'O';
constexpr char kVersion = 'V';
constexpr char kCancel = 'X';
constexpr char kStory = 'S';
constexpr char kArrival = 'A';
constexpr char kProvider = 'P';
constexpr char kLanguage = 'L';
constexpr char kUrl = 'U';
constexpr char kBand = 'H';
constexpr char kEvent = 'E';

constexpr int kMinHashRowsPerBand = 4;
constexpr uint16_t kSimHashBandBase = 1000;
constexpr size_t kMaxSimilarCandidates = 2000;

using bytes::GetBe;
using bytes::PutBe32;
using bytes::PutBe64;
// Offsets are >= 0 here; the sign bit flip keeps the order for any int64 anyway.
uint64_t OrderedOffset(int64_t o) {
  return static_cast<uint64_t>(o) ^ (1ull << 63);
}

std::string Key(char kind, std::string_view rest = {}) {
  std::string k(1, kind);
  k.append(rest);
  return k;
}
std::string VersionKey(std::string_view story, uint32_t version) {
  std::string k = Key(kVersion, story);
  k.push_back('\0');
  PutBe32(k, version);
  return k;
}
std::string OffsetKey(int32_t partition) {
  std::string k(1, kOffset);
  PutBe32(k, static_cast<uint32_t>(partition));
  return k;
}
std::string EventKey(int32_t partition, int64_t offset) {
  std::string k(1, kEvent);
  PutBe32(k, static_cast<uint32_t>(partition));
  PutBe64(k, OrderedOffset(offset));
  return k;
}
std::string SeqKey(char kind, std::string_view value, uint64_t seq) {
  std::string k(1, kind);
  if (kind != kArrival) {
    k.append(value);
    k.push_back('\0');
  }
  PutBe64(k, seq);
  return k;
}
std::string MetaKey(std::string_view name) {
  return Key(kMeta, name);
}

int64_t ToMillis(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMilliseconds(t);
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The URL keys of one URL: the canonical form, and the URL as given when different.
std::vector<std::string> UrlKeys(std::string_view url) {
  std::vector<std::string> out;
  std::string canon = normalize::CanonicalUrl(url);
  if (!canon.empty()) out.push_back(canon);
  std::string raw(url);
  if (!raw.empty() && raw != canon) out.push_back(raw);
  return out;
}

// LSH band keys of a signature (without the story suffix).
std::vector<std::string> BandKeys(const StoryRecord& rec) {
  std::vector<std::string> out;
  if (!rec.minhash().empty()) {
    const int n = rec.minhash_size();
    for (int b = 0; b * kMinHashRowsPerBand < n; ++b) {
      const int start = b * kMinHashRowsPerBand;
      const int len = std::min(kMinHashRowsPerBand, n - start);
      std::string k(1, kBand);
      k.push_back(static_cast<char>((b >> 8) & 0xff));
      k.push_back(static_cast<char>(b & 0xff));
      PutBe64(k, XXH3_64bits(rec.minhash().data() + start, sizeof(uint32_t) * static_cast<size_t>(len)));
      out.push_back(std::move(k));
    }
  } else if (rec.simhash() != 0) {
    for (int b = 0; b < 4; ++b) {
      const int band = kSimHashBandBase + b;
      std::string k(1, kBand);
      k.push_back(static_cast<char>((band >> 8) & 0xff));
      k.push_back(static_cast<char>(band & 0xff));
      PutBe64(k, (rec.simhash() >> (16 * b)) & 0xffff);
      out.push_back(std::move(k));
    }
  }
  return out;
}

bool PrefixMatch(const google::protobuf::RepeatedPtrField<std::string>& prefix,
                 const google::protobuf::RepeatedPtrField<std::string>& path) {
  if (prefix.size() > path.size()) return false;
  for (int i = 0; i < prefix.size(); ++i) {
    if (Lower(prefix[i]) != Lower(path[i])) return false;
  }
  return true;
}

bool Matches(const v1::ArticleFilter& f, const StoryRecord& rec) {
  if (!f.provider().empty() && f.provider() != rec.provider()) return false;
  if (!f.language().empty() && Lower(f.language()) != Lower(rec.language())) return false;
  if (!f.section_path().empty() && !PrefixMatch(f.section_path(), rec.section_path())) return false;
  if (f.has_updated_since() && rec.updated_ms() < ToMillis(f.updated_since())) return false;
  if (f.has_updated_until() && rec.updated_ms() >= ToMillis(f.updated_until())) return false;
  return true;
}

uint64_t FilterHash(const v1::ArticleFilter& f) {
  std::string bytes;
  google::protobuf::io::StringOutputStream os(&bytes);
  {
    google::protobuf::io::CodedOutputStream cos(&os);
    cos.SetSerializationDeterministic(true);
    f.SerializeToCodedStream(&cos);
  }
  return XXH3_64bits(bytes.data(), bytes.size());
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Base64Url(std::string_view in) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kB64[(v >> s) & 63]);
  }
  if (i < in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    if (i + 1 < in.size()) out.push_back(kB64[(v >> 6) & 63]);
  }
  return out;
}

std::optional<std::string> UnBase64Url(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const char* p = std::strchr(kB64, c);
    if (c == '\0' || p == nullptr) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

// Collects one Apply()'s writes and hands them to RocksDB in key order: the memtable's skip list
// then reuses its insert position from one key to the next. In arrival order (~45 random keys per
// story: LSH bands, indexes, URL keys) every insert walked the list from the top, ~40% of the
// rebuild's CPU. As in a WriteBatch, the last write of a key wins.
class SortedBatch {
 public:
  void Put(std::string key, std::string value) { ops_[std::move(key)] = std::move(value); }
  void Delete(std::string key) { ops_[std::move(key)] = std::nullopt; }
  [[nodiscard]] rocksdb::WriteBatch Build() const {
    rocksdb::WriteBatch b;
    for (const auto& [k, v] : ops_) {
      if (v) {
        b.Put(k, *v);
      } else {
        b.Delete(k);
      }
    }
    return b;
  }

 private:
  std::map<std::string, std::optional<std::string>> ops_;
};

uint64_t NewGeneration() {
  std::random_device rd;
  const uint64_t now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::system_clock::now().time_since_epoch())
                                                 .count());
  return (now << 16) ^ (rd() & 0xffff);
}

// Inserts a version keeping `versions` ascending (by index: Add() may reallocate).
void InsertVersion(StoryRecord& rec, v1::VersionInfo info) {
  auto* vs = rec.mutable_versions();
  const uint32_t version = info.version();
  int pos = vs->size();
  while (pos > 0 && vs->Get(pos - 1).version() > version) --pos;
  vs->Add(std::move(info));
  for (int i = vs->size() - 1; i > pos; --i) vs->SwapElements(i, i - 1);
}

void MarkCanceled(StoryRecord& rec) {
  for (auto& v : *rec.mutable_versions()) {
    if (v.version() <= rec.cancel_version()) v.set_canceled(true);
  }
}

}  // namespace

bool FilterMatches(const v1::ArticleFilter& filter, const StoryRecord& story) {
  return Matches(filter, story);
}

double SignatureSimilarity(const StoryRecord& a, const StoryRecord& b) {
  if (!a.minhash().empty() && a.minhash_size() == b.minhash_size()) {
    return minhash::EstimateJaccard(a.minhash(), b.minhash());
  }
  if (a.minhash().empty() && b.minhash().empty() && a.simhash() != 0 && b.simhash() != 0) {
    return 1.0 - static_cast<double>(__builtin_popcountll(a.simhash() ^ b.simhash())) / 64.0;
  }
  return 0.0;
}

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

Result<ApplyStats> ViewStore::Apply(const std::vector<InputRecord>& records) {
  ApplyStats stats;
  Offsets offsets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    offsets = watermark_;
  }
  SortedBatch batch;
  std::unordered_map<std::string, StoryRecord> cache;  // stories touched by this batch
  std::unordered_set<std::string> written;             // V/X keys put by this batch
  uint64_t stories = stories_.load();
  uint64_t versions = versions_.load();
  std::set<int32_t> touched;

  auto load_story = [&](const std::string& id, bool* existed) -> StoryRecord& {
    auto it = cache.find(id);
    if (it != cache.end()) {
      *existed = it->second.seq() != 0;
      return it->second;
    }
    StoryRecord rec;
    std::string bytes;
    *existed = false;
    if (db_->Get(rocksdb::ReadOptions(), Key(kStory, id), &bytes).ok() && rec.ParseFromString(bytes)) {
      *existed = true;
    }
    return cache.emplace(id, std::move(rec)).first->second;
  };
  auto key_exists = [&](const std::string& key) {
    if (written.count(key)) return true;
    std::string ignored;
    return db_->Get(rocksdb::ReadOptions(), key, &ignored).ok();
  };
  auto ensure_seq = [&](StoryRecord& rec, const std::string& id) {
    if (rec.seq() != 0) return;
    rec.set_story_id(id);
    rec.set_seq(next_seq_++);
    batch.Put(SeqKey(kArrival, {}, rec.seq()), id);
    ++stories;
    ++stats.new_stories;
  };

  for (const auto& r : records) {
    auto cur = offsets.find(r.partition);
    if (cur != offsets.end() && r.offset < cur->second) continue;  // already applied
    offsets[r.partition] = r.offset + 1;
    touched.insert(r.partition);
    v1::ArticleEvent ev;
    if (!ev.ParseFromString(r.value) || ev.story_id().empty()) {
      ++stats.invalid;
      continue;
    }
    const std::string& id = ev.story_id();
    uint32_t version = ev.version() != 0 ? ev.version() : ev.article().version();
    bool existed = false;
    if (ev.kind() == v1::EVENT_KIND_CANCELED) {
      const std::string xkey = Key(kCancel, id);
      if (key_exists(xkey)) {
        ++stats.duplicates;
        continue;
      }
      StoryRecord& rec = load_story(id, &existed);
      ensure_seq(rec, id);
      if (rec.canceled()) {
        ++stats.duplicates;
        continue;
      }
      rec.set_canceled(true);
      rec.set_cancel_version(std::max(version, rec.latest()));
      bool known = false;
      for (const auto& v : rec.versions()) known = known || v.version() == version;
      if (!known && version != 0) {
        // The cancel is a version of its own (no article body): list it.
        v1::VersionInfo info;
        info.set_version(version);
        info.set_kind(ev.kind());
        if (ev.article().has_versioncreated()) {
          *info.mutable_versioncreated() = ev.article().versioncreated();
        } else {
          *info.mutable_versioncreated() = ev.event_time();
        }
        InsertVersion(rec, std::move(info));
      }
      MarkCanceled(rec);
      batch.Put(xkey, r.value);
      written.insert(xkey);
      batch.Put(EventKey(r.partition, r.offset), "X" + id);
      ++stats.applied;
      continue;
    }
    if (version == 0) {
      ++stats.invalid;
      continue;
    }
    const std::string vkey = VersionKey(id, version);
    if (key_exists(vkey)) {
      ++stats.duplicates;
      continue;
    }
    StoryRecord& rec = load_story(id, &existed);
    ensure_seq(rec, id);
    const v1::Article& a = ev.article();
    v1::VersionInfo info;
    info.set_version(version);
    info.set_kind(ev.kind());
    if (a.has_versioncreated()) {
      *info.mutable_versioncreated() = a.versioncreated();
    } else {
      *info.mutable_versioncreated() = ev.event_time();
    }
    *info.mutable_change() = ev.change();
    info.set_headline(a.headline());
    info.set_canceled(rec.canceled() && version <= rec.cancel_version());
    InsertVersion(rec, std::move(info));
    // URLs of every version point at the story.
    std::vector<std::string> urls;
    if (!a.canonical_url().empty()) urls.push_back(a.canonical_url());
    for (const auto& u : a.urls()) urls.push_back(u);
    if (!a.provenance().source_url().empty()) urls.push_back(a.provenance().source_url());
    for (const auto& u : urls) {
      for (auto& k : UrlKeys(u)) {
        if (std::find(rec.url_keys().begin(), rec.url_keys().end(), k) != rec.url_keys().end()) continue;
        batch.Put(Key(kUrl, k), id);
        rec.add_url_keys(k);
      }
    }
    if (version > rec.latest()) {
      // Secondary indexes follow the latest version.
      const std::string provider = a.provenance().provider();
      const std::string language = Lower(a.language());
      if (rec.latest() != 0 && rec.provider() != provider)
        batch.Delete(SeqKey(kProvider, rec.provider(), rec.seq()));
      if (rec.latest() != 0 && rec.language() != language)
        batch.Delete(SeqKey(kLanguage, rec.language(), rec.seq()));
      if (!provider.empty()) batch.Put(SeqKey(kProvider, provider, rec.seq()), id);
      if (!language.empty()) batch.Put(SeqKey(kLanguage, language, rec.seq()), id);
      rec.set_latest(version);
      rec.set_provider(provider);
      rec.set_language(language);
      *rec.mutable_section_path() = a.section_path();
      rec.set_updated_ms(ToMillis(a.has_versioncreated() ? a.versioncreated() : ev.event_time()));
      rec.set_headline(a.headline());
      for (const auto& bk : rec.band_keys()) batch.Delete(bk + id);
      rec.clear_band_keys();
      *rec.mutable_minhash() = a.fingerprints().minhash();
      rec.set_simhash(a.fingerprints().simhash());
      for (auto& bk : BandKeys(rec)) {
        batch.Put(bk + id, "");
        rec.add_band_keys(std::move(bk));
      }
    }
    batch.Put(vkey, r.value);
    written.insert(vkey);
    batch.Put(EventKey(r.partition, r.offset), "V" + id + std::string(1, '\0') + std::to_string(version));
    ++versions;
    ++stats.new_versions;
    ++stats.applied;
  }
  if (touched.empty()) return stats;
  for (const auto& [id, rec] : cache) {
    if (rec.seq() != 0) batch.Put(Key(kStory, id), rec.SerializeAsString());
  }
  for (int32_t p : touched) {
    std::string v;
    PutBe64(v, static_cast<uint64_t>(offsets[p]));
    batch.Put(OffsetKey(p), v);
  }
  std::string v;
  PutBe64(v, next_seq_);
  batch.Put(MetaKey("seq"), v);
  v.clear();
  PutBe64(v, stories);
  batch.Put(MetaKey("stories"), v);
  v.clear();
  PutBe64(v, versions);
  batch.Put(MetaKey("versions"), v);
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rocksdb::WriteBatch wb = batch.Build();
    auto s = db_->Write(wo, &wb);
    if (!s.ok()) return Error{v1::ERROR_CODE_INTERNAL, "write view batch: " + s.ToString()};
    for (int32_t p : touched) watermark_[p] = offsets[p];
    PublishWatermark();
    stories_ = stories;
    versions_ = versions;
    changed_.notify_all();
  }
  std::vector<std::string> ids;
  ids.reserve(cache.size());
  for (const auto& [id, rec] : cache) ids.push_back(id);
  Invalidate(ids, false);
  return stats;
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

// ---------------------------------------------------------------------------------------------
// Reader

bool Reader::Get(std::string_view key, std::string* value) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap_.get();
  return db_->Get(ro, rocksdb::Slice(key.data(), key.size()), value).ok();
}

std::optional<StoryRecord> Reader::Story(std::string_view story_id) const {
  std::string bytes;
  if (!Get(Key(kStory, story_id), &bytes)) return std::nullopt;
  StoryRecord rec;
  if (!rec.ParseFromString(bytes)) return std::nullopt;
  return rec;
}

std::optional<ArticleRead> Reader::Article(std::string_view story_id, uint32_t version,
                                           std::optional<int64_t> as_of_ms) const {
  auto rec = Story(story_id);
  if (!rec || rec->latest() == 0) return std::nullopt;
  uint32_t chosen = 0;
  auto has_article = [&](const v1::VersionInfo& v) { return v.kind() != v1::EVENT_KIND_CANCELED; };
  if (as_of_ms) {
    for (const auto& v : rec->versions()) {
      if (has_article(v) && ToMillis(v.versioncreated()) <= *as_of_ms) chosen = std::max(chosen, v.version());
    }
  } else if (version != 0) {
    for (const auto& v : rec->versions()) {
      if (v.version() != version) continue;
      // The cancel's own version number reads as the latest article, canceled.
      chosen = has_article(v) ? version : rec->latest();
    }
  } else {
    chosen = rec->latest();
  }
  if (chosen == 0) return std::nullopt;
  std::string bytes;
  if (!Get(VersionKey(story_id, chosen), &bytes)) return std::nullopt;
  v1::ArticleEvent ev;
  if (!ev.ParseFromString(bytes)) return std::nullopt;
  ArticleRead out;
  out.article = std::move(*ev.mutable_article());
  if (out.article.uri().empty()) out.article.set_uri(std::string(story_id));
  out.article.set_version(chosen);
  out.canceled = rec->canceled() && chosen <= rec->cancel_version();
  if (out.canceled) out.article.set_pubstatus(v1::PUB_STATUS_CANCELED);
  return out;
}

std::optional<std::string> Reader::StoryByUrl(std::string_view url) const {
  for (const auto& k : UrlKeys(url)) {
    std::string id;
    if (Get(Key(kUrl, k), &id)) return id;
  }
  return std::nullopt;
}

Result<ListPage> Reader::List(const v1::ArticleFilter& filter, uint32_t page_size,
                              std::string_view page_token, int64_t now_ms) const {
  const uint64_t fhash = FilterHash(filter);
  uint64_t after = 0;
  if (!page_token.empty()) {
    auto raw = UnBase64Url(page_token);
    internal::PageToken tok;
    if (!raw || !tok.ParseFromString(*raw) || tok.generation() == 0) {
      return Error{v1::ERROR_CODE_INTERNAL,
                   std::string(kBadTokenPrefix) + ": not a page token of this service"};
    }
    if (tok.filter_hash() != fhash) {
      return Error{v1::ERROR_CODE_INTERNAL, std::string(kBadTokenPrefix) + ": issued for another filter"};
    }
    if (tok.generation() != generation_) {
      return Error{v1::ERROR_CODE_INTERNAL, std::string(kStaleTokenPrefix) +
                                                ": the view was rebuilt since; start again without a token"};
    }
    if (now_ms - tok.issued_ms() > store_.options().page_token_ttl_ms) {
      return Error{v1::ERROR_CODE_INTERNAL,
                   std::string(kStaleTokenPrefix) + ": expired; start again without a token"};
    }
    after = tok.after_seq();
  }
  // The most selective index the filter allows; every index is in arrival order.
  std::string prefix;
  if (!filter.provider().empty()) {
    prefix = Key(kProvider, filter.provider());
    prefix.push_back('\0');
  } else if (!filter.language().empty()) {
    prefix = Key(kLanguage, Lower(filter.language()));
    prefix.push_back('\0');
  } else {
    prefix = Key(kArrival);
  }
  rocksdb::ReadOptions ro;
  ro.snapshot = snap_.get();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  std::string start = prefix;
  PutBe64(start, after + 1);
  const size_t scan_limit = static_cast<size_t>(page_size) * 20 + 1000;
  size_t scanned = 0;
  uint64_t last_seq = after;
  ListPage page;
  bool more = false;
  for (it->Seek(start); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (page.articles.size() >= page_size || scanned >= scan_limit) {
      more = true;
      break;
    }
    ++scanned;
    auto k = it->key().ToStringView();
    last_seq = GetBe(k, k.size() - 8, 8);
    auto rec = Story(it->value().ToStringView());
    if (!rec || rec->latest() == 0 || !Matches(filter, *rec)) continue;
    auto art = Article(rec->story_id(), 0, std::nullopt);
    if (art) page.articles.push_back(std::move(art->article));
  }
  if (more) {
    internal::PageToken tok;
    tok.set_generation(generation_);
    tok.set_filter_hash(fhash);
    tok.set_after_seq(last_seq);
    tok.set_issued_ms(now_ms);
    page.next_page_token = Base64Url(tok.SerializeAsString());
  }
  return page;
}

std::vector<v1::SimilarStory> Reader::Similar(const StoryRecord& story, uint32_t limit,
                                              double min_similarity) const {
  std::vector<v1::SimilarStory> out;
  std::set<std::string> candidates;
  rocksdb::ReadOptions ro;
  ro.snapshot = snap_.get();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  for (const auto& bk : story.band_keys()) {
    for (it->Seek(bk); it->Valid() && it->key().starts_with(bk); it->Next()) {
      std::string id(it->key().ToStringView().substr(bk.size()));
      if (id != story.story_id()) candidates.insert(std::move(id));
      if (candidates.size() >= kMaxSimilarCandidates) break;
    }
  }
  for (const auto& id : candidates) {
    auto rec = Story(id);
    if (!rec) continue;
    const double sim = SignatureSimilarity(story, *rec);
    if (sim < min_similarity) continue;
    v1::SimilarStory s;
    s.set_story_id(id);
    s.set_similarity(sim);
    s.set_headline(rec->headline());
    s.set_provider(rec->provider());
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.similarity() != b.similarity() ? a.similarity() > b.similarity() : a.story_id() < b.story_id();
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

void Reader::Events(int32_t partition, int64_t from, int64_t to,
                    const std::function<bool(LoggedEvent&)>& fn) const {
  if (from >= to) return;
  rocksdb::ReadOptions ro;
  ro.snapshot = snap_.get();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  const std::string end = EventKey(partition, to);
  for (it->Seek(EventKey(partition, from)); it->Valid() && it->key().compare(end) < 0; it->Next()) {
    auto k = it->key().ToStringView();
    if (k.size() != 13 || k[0] != kEvent) break;
    auto ref = it->value().ToStringView();
    if (ref.empty()) continue;
    std::string key;
    std::string id;
    if (ref[0] == 'X') {
      id = std::string(ref.substr(1));
      key = Key(kCancel, id);
    } else {
      auto nul = ref.find('\0');
      if (nul == std::string_view::npos) continue;
      id = std::string(ref.substr(1, nul - 1));
      key = VersionKey(id, static_cast<uint32_t>(std::stoul(std::string(ref.substr(nul + 1)))));
    }
    std::string bytes;
    LoggedEvent le;
    if (!Get(key, &bytes) || !le.event.ParseFromString(bytes)) continue;
    le.partition = partition;
    le.offset = static_cast<int64_t>(GetBe(k, 5, 8) ^ (1ull << 63));
    if (auto rec = Story(id)) le.story = std::move(*rec);
    if (!fn(le)) return;
  }
}

}  // namespace copydesk::lookup
