#include "lookup/held_view.h"

#include "lookup/store_keys.h"

namespace copydesk::lookup {
namespace {

using store_keys::DecodePageToken;
using store_keys::EncodePageToken;
using store_keys::FilterHash;
using store_keys::Lower;
using store_keys::ToMillis;

// Mixed into the filter hash of held-listing tokens: a token of a held listing is refused by a
// public one and the other way round ("issued for another filter").
constexpr uint64_t kHeldTokenSalt = 0x68656c642d766965ull;  // "held-vie"

// The filter fields of a held article, shaped as the public view's story record.
internal::StoryRecord FilterFields(const v1::Article& a) {
  internal::StoryRecord rec;
  rec.set_provider(a.provenance().provider());
  rec.set_language(Lower(a.language()));
  *rec.mutable_section_path() = a.section_path();
  rec.set_updated_ms(a.has_versioncreated() ? ToMillis(a.versioncreated()) : 0);
  return rec;
}

}  // namespace

uint32_t HeldVersion(const v1::HeldStory& held) {
  if (held.article().version() != 0) return held.article().version();
  return held.versions().empty() ? 0 : held.versions(held.versions_size() - 1);
}

v1::Article HeldArticle(const v1::HeldStory& held, std::string_view story_id) {
  v1::Article a = held.article();
  if (a.uri().empty()) a.set_uri(std::string(story_id));
  a.set_version(HeldVersion(held));
  return a;
}

HeldApplyStats HeldView::Apply(const std::vector<HeldRecord>& records) {
  HeldApplyStats stats;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& r : records) {
    auto next = next_.find(r.partition);
    if (next != next_.end() && r.offset < next->second) continue;  // already applied
    next_[r.partition] = r.offset + 1;
    if (r.key.empty()) {
      ++stats.invalid;
      continue;
    }
    if (!r.value) {
      if (stories_.erase(r.key) > 0) ++stats.removals;
      continue;
    }
    auto held = std::make_shared<v1::HeldStory>();
    if (!held->ParseFromString(*r.value)) {
      // Latest record wins: an unreadable one must not leave an older held version visible.
      stories_.erase(r.key);
      ++stats.invalid;
      continue;
    }
    held->set_story_id(r.key);  // the key is the identity (tombstones have nothing else)
    stories_[r.key] = std::move(held);
    ++stats.upserts;
  }
  return stats;
}

void HeldView::Reset(const std::string& cluster_id) {
  std::lock_guard<std::mutex> lock(mu_);
  stories_.clear();
  next_.clear();
  cluster_id_ = cluster_id;
}

void HeldView::SetOffsets(const Offsets& offsets) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [p, o] : offsets) next_[p] = o;
}

Offsets HeldView::offsets() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_;
}

std::string HeldView::cluster_id() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cluster_id_;
}

std::shared_ptr<const v1::HeldStory> HeldView::Get(std::string_view story_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = stories_.find(story_id);
  return it == stories_.end() ? nullptr : it->second;
}

size_t HeldView::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stories_.size();
}

Result<ListPage> HeldView::List(const v1::ArticleFilter& filter, uint32_t page_size,
                                std::string_view page_token, int64_t now_ms) const {
  const uint64_t fhash = FilterHash(filter) ^ kHeldTokenSalt;
  std::string after;
  if (!page_token.empty()) {
    auto tok = DecodePageToken(page_token, fhash, std::nullopt, now_ms, token_ttl_ms_);
    if (!tok.ok()) return tok.error();
    after = tok->after_story();
  }
  // Story-id order does not depend on when stories were held or on a rebuild of the view, so a
  // token stays meaningful across both (no generation check).
  std::vector<std::shared_ptr<const v1::HeldStory>> picked;
  std::string last;
  bool more = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = page_token.empty() ? stories_.begin() : stories_.upper_bound(after); it != stories_.end();
         ++it) {
      if (picked.size() >= page_size) {
        more = true;
        break;
      }
      last = it->first;
      if (!FilterMatches(filter, FilterFields(it->second->article()))) continue;
      picked.push_back(it->second);
    }
  }
  ListPage page;
  page.articles.reserve(picked.size());
  for (const auto& h : picked) page.articles.push_back(HeldArticle(*h, h->story_id()));
  if (more) {
    internal::PageToken position;
    position.set_after_story(last);
    page.next_page_token = EncodePageToken(std::move(position), 1, fhash, now_ms);
  }
  return page;
}

}  // namespace copydesk::lookup
