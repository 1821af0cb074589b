// The read path of the lookup view: Reader (stories, articles, URL lookups, filtered pages,
// near-duplicates, the applied-event log) and the filter and similarity helpers it shares with
// the service.
#include <rocksdb/db.h>

#include <algorithm>
#include <set>

#include "common/bytes.h"
#include "common/minhash.h"
#include "lookup/store.h"
#include "lookup/store_keys.h"

namespace copydesk::lookup {
namespace {

using internal::StoryRecord;
using store_keys::EventKey;
using store_keys::kArrival;
using store_keys::kCancel;
using store_keys::kEvent;
using store_keys::Key;
using store_keys::kLanguage;
using store_keys::kProvider;
using store_keys::kStory;
using store_keys::kUrl;
using store_keys::Lower;
using store_keys::ToMillis;
using store_keys::UrlKeys;
using store_keys::VersionKey;

constexpr size_t kMaxSimilarCandidates = 2000;

using bytes::GetBe;
using bytes::PutBe64;
using store_keys::DecodePageToken;
using store_keys::EncodePageToken;
using store_keys::FilterHash;

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
    auto tok = DecodePageToken(page_token, fhash, generation_, now_ms, store_.options().page_token_ttl_ms);
    if (!tok.ok()) return tok.error();
    after = tok->after_seq();
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
    internal::PageToken position;
    position.set_after_seq(last_seq);
    page.next_page_token = EncodePageToken(std::move(position), generation_, fhash, now_ms);
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
