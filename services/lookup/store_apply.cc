// The write path of the lookup view: ViewStore::Apply turns a run of events-topic records into
// one RocksDB WriteBatch (versions, cancels, story records, indexes, the event log, the offsets
// and the counters), written atomically.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "common/bytes.h"
#include "lookup/store.h"
#include "lookup/store_keys.h"

namespace copydesk::lookup {
namespace {

using internal::StoryRecord;
using store_keys::BandKeys;
using store_keys::EventKey;
using store_keys::kArrival;
using store_keys::kCancel;
using store_keys::Key;
using store_keys::kLanguage;
using store_keys::kProvider;
using store_keys::kStory;
using store_keys::kUrl;
using store_keys::Lower;
using store_keys::MetaKey;
using store_keys::OffsetKey;
using store_keys::SeqKey;
using store_keys::ToMillis;
using store_keys::UrlKeys;
using store_keys::VersionKey;

using bytes::PutBe64;

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

// One Apply()'s work: the writes collected so far, the stories they touch and the counters. The
// story records are read once and kept here until the batch is written.
class ApplyBatch {
 public:
  ApplyBatch(rocksdb::DB* db, uint64_t* next_seq, uint64_t stories, uint64_t versions)
      : db_(db), next_seq_(next_seq), stories_(stories), versions_(versions) {}

  // Applies one decoded event found at `r` (an undecodable one is counted by the caller).
  void Add(const InputRecord& r, const v1::ArticleEvent& ev) {
    const std::string& id = ev.story_id();
    uint32_t version = ev.version() != 0 ? ev.version() : ev.article().version();
    if (ev.kind() == v1::EVENT_KIND_CANCELED) {
      AddCancel(r, ev, id, version);
      return;
    }
    if (version == 0) {
      ++stats_.invalid;
      return;
    }
    AddVersion(r, ev, id, version);
  }

  // Puts the touched story records, the partitions' next offsets and the metadata counters.
  void Finish(const std::set<int32_t>& touched, Offsets& offsets) {
    for (const auto& [id, rec] : cache_) {
      if (rec.seq() != 0) batch_.Put(Key(kStory, id), rec.SerializeAsString());
    }
    for (int32_t p : touched) {
      std::string v;
      PutBe64(v, static_cast<uint64_t>(offsets[p]));
      batch_.Put(OffsetKey(p), v);
    }
    std::string v;
    PutBe64(v, *next_seq_);
    batch_.Put(MetaKey("seq"), v);
    v.clear();
    PutBe64(v, stories_);
    batch_.Put(MetaKey("stories"), v);
    v.clear();
    PutBe64(v, versions_);
    batch_.Put(MetaKey("versions"), v);
  }

  [[nodiscard]] rocksdb::WriteBatch Build() const { return batch_.Build(); }
  [[nodiscard]] std::vector<std::string> TouchedStories() const {
    std::vector<std::string> ids;
    ids.reserve(cache_.size());
    for (const auto& [id, rec] : cache_) ids.push_back(id);
    return ids;
  }
  [[nodiscard]] uint64_t stories() const { return stories_; }
  [[nodiscard]] uint64_t versions() const { return versions_; }
  ApplyStats& stats() { return stats_; }

 private:
  StoryRecord& LoadStory(const std::string& id, bool* existed) {
    auto it = cache_.find(id);
    if (it != cache_.end()) {
      *existed = it->second.seq() != 0;
      return it->second;
    }
    StoryRecord rec;
    std::string bytes;
    *existed = false;
    if (db_->Get(rocksdb::ReadOptions(), Key(kStory, id), &bytes).ok() && rec.ParseFromString(bytes)) {
      *existed = true;
    }
    return cache_.emplace(id, std::move(rec)).first->second;
  }

  bool KeyExists(const std::string& key) {
    if (written_.count(key)) return true;
    std::string ignored;
    return db_->Get(rocksdb::ReadOptions(), key, &ignored).ok();
  }

  void EnsureSeq(StoryRecord& rec, const std::string& id) {
    if (rec.seq() != 0) return;
    rec.set_story_id(id);
    rec.set_seq((*next_seq_)++);
    batch_.Put(SeqKey(kArrival, {}, rec.seq()), id);
    ++stories_;
    ++stats_.new_stories;
  }

  void AddCancel(const InputRecord& r, const v1::ArticleEvent& ev, const std::string& id, uint32_t version) {
    bool existed = false;
    const std::string xkey = Key(kCancel, id);
    if (KeyExists(xkey)) {
      ++stats_.duplicates;
      return;
    }
    StoryRecord& rec = LoadStory(id, &existed);
    EnsureSeq(rec, id);
    if (rec.canceled()) {
      ++stats_.duplicates;
      return;
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
    batch_.Put(xkey, r.value);
    written_.insert(xkey);
    batch_.Put(EventKey(r.partition, r.offset), "X" + id);
    ++stats_.applied;
  }

  void AddVersion(const InputRecord& r, const v1::ArticleEvent& ev, const std::string& id, uint32_t version) {
    bool existed = false;
    const std::string vkey = VersionKey(id, version);
    if (KeyExists(vkey)) {
      ++stats_.duplicates;
      return;
    }
    StoryRecord& rec = LoadStory(id, &existed);
    EnsureSeq(rec, id);
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
    IndexUrls(rec, a, id);
    if (version > rec.latest()) IndexLatest(rec, ev, id, version);
    batch_.Put(vkey, r.value);
    written_.insert(vkey);
    batch_.Put(EventKey(r.partition, r.offset), "V" + id + std::string(1, '\0') + std::to_string(version));
    ++versions_;
    ++stats_.new_versions;
    ++stats_.applied;
  }

  // URLs of every version point at the story.
  void IndexUrls(StoryRecord& rec, const v1::Article& a, const std::string& id) {
    std::vector<std::string> urls;
    if (!a.canonical_url().empty()) urls.push_back(a.canonical_url());
    for (const auto& u : a.urls()) urls.push_back(u);
    if (!a.provenance().source_url().empty()) urls.push_back(a.provenance().source_url());
    for (const auto& u : urls) {
      for (auto& k : UrlKeys(u)) {
        if (std::find(rec.url_keys().begin(), rec.url_keys().end(), k) != rec.url_keys().end()) continue;
        batch_.Put(Key(kUrl, k), id);
        rec.add_url_keys(k);
      }
    }
  }

  // Secondary indexes follow the latest version.
  void IndexLatest(StoryRecord& rec, const v1::ArticleEvent& ev, const std::string& id, uint32_t version) {
    const v1::Article& a = ev.article();
    const std::string provider = a.provenance().provider();
    const std::string language = Lower(a.language());
    if (rec.latest() != 0 && rec.provider() != provider)
      batch_.Delete(SeqKey(kProvider, rec.provider(), rec.seq()));
    if (rec.latest() != 0 && rec.language() != language)
      batch_.Delete(SeqKey(kLanguage, rec.language(), rec.seq()));
    if (!provider.empty()) batch_.Put(SeqKey(kProvider, provider, rec.seq()), id);
    if (!language.empty()) batch_.Put(SeqKey(kLanguage, language, rec.seq()), id);
    rec.set_latest(version);
    rec.set_provider(provider);
    rec.set_language(language);
    *rec.mutable_section_path() = a.section_path();
    rec.set_updated_ms(ToMillis(a.has_versioncreated() ? a.versioncreated() : ev.event_time()));
    rec.set_headline(a.headline());
    for (const auto& bk : rec.band_keys()) batch_.Delete(bk + id);
    rec.clear_band_keys();
    *rec.mutable_minhash() = a.fingerprints().minhash();
    rec.set_simhash(a.fingerprints().simhash());
    for (auto& bk : BandKeys(rec)) {
      batch_.Put(bk + id, "");
      rec.add_band_keys(std::move(bk));
    }
  }

  rocksdb::DB* db_;
  uint64_t* next_seq_;  // the store's next story sequence (the applier thread's)
  SortedBatch batch_;
  std::unordered_map<std::string, StoryRecord> cache_;  // stories touched by this batch
  std::unordered_set<std::string> written_;             // V/X keys put by this batch
  uint64_t stories_;
  uint64_t versions_;
  ApplyStats stats_;
};

}  // namespace

Result<ApplyStats> ViewStore::Apply(const std::vector<InputRecord>& records) {
  Offsets offsets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    offsets = watermark_;
  }
  ApplyBatch batch(db_.get(), &next_seq_, stories_.load(), versions_.load());
  std::set<int32_t> touched;
  for (const auto& r : records) {
    auto cur = offsets.find(r.partition);
    if (cur != offsets.end() && r.offset < cur->second) continue;  // already applied
    offsets[r.partition] = r.offset + 1;
    touched.insert(r.partition);
    v1::ArticleEvent ev;
    if (!ev.ParseFromString(r.value) || ev.story_id().empty()) {
      ++batch.stats().invalid;
      continue;
    }
    batch.Add(r, ev);
  }
  if (touched.empty()) return batch.stats();
  batch.Finish(touched, offsets);
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rocksdb::WriteBatch wb = batch.Build();
    auto s = db_->Write(wo, &wb);
    if (!s.ok()) return Error{v1::ERROR_CODE_INTERNAL, "write view batch: " + s.ToString()};
    for (int32_t p : touched) watermark_[p] = offsets[p];
    PublishWatermark();
    stories_ = batch.stories();
    versions_ = batch.versions();
    changed_.notify_all();
  }
  Invalidate(batch.TouchedStories(), false);
  return batch.stats();
}

}  // namespace copydesk::lookup
