// The held view: every embargoed story the ingest workers hold, from the compacted topic
// news.articles-held.v1 (key: story id; value: copydesk.v1.HeldStory; a tombstone when the story
// is released or dropped). Kept in memory and rebuilt from the topic at every start: the topic is
// compacted and small (the stories held right now), so there is nothing to persist.
//
// Only callers with the `embargoed` scope ever read it (service.cc); it is never part of the
// public view (ViewStore), so held content cannot leak into ordinary reads, watches or indexes.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "copydesk/v1/events.pb.h"
#include "copydesk/v1/lookup.pb.h"
#include "lookup/store.h"

namespace copydesk::lookup {

// One record of the held topic, as the view sees it.
struct HeldRecord {
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;                   // story id
  std::optional<std::string> value;  // serialized HeldStory; nullopt = tombstone
};

// What one HeldView::Apply() did.
struct HeldApplyStats {
  int upserts = 0;   // a story held or its held version replaced
  int removals = 0;  // tombstones of held stories (released or dropped)
  int invalid = 0;   // no key, or an undecodable value (the key is then dropped: never stale content)
};

// The version a held story holds: its article's, else the last of `versions`.
uint32_t HeldVersion(const v1::HeldStory& held);

// The in-memory held view. Apply(), Reset() and SetComplete() are called by the feed (HeldSync,
// one thread); readers call Get() and List() from any thread.
class HeldView {
 public:
  // Page tokens of held listings older than this are refused with FAILED_PRECONDITION.
  explicit HeldView(int64_t page_token_ttl_ms = 3600 * 1000) : token_ttl_ms_(page_token_ttl_ms) {}
  HeldView(const HeldView&) = delete;
  HeldView& operator=(const HeldView&) = delete;

  // Applies records (in offset order per partition): the latest record of a key wins, a
  // tombstone removes it. Records below a partition's next offset are ignored.
  HeldApplyStats Apply(const std::vector<HeldRecord>& records);
  // Forgets every story and offset (the feed then reads the topic again from its start) and
  // records the cluster the view is (re)built from.
  void Reset(const std::string& cluster_id);
  // Sets the next offset of partitions that have no record applied yet (e.g. the log start).
  void SetOffsets(const Offsets& offsets);
  [[nodiscard]] Offsets offsets() const;
  [[nodiscard]] std::string cluster_id() const;

  // Whether the view holds everything the topic held when the feed attached (set by the feed;
  // false from its start until it caught up). Without a feed the view is taken as complete.
  void SetComplete(bool complete) { complete_ = complete; }
  [[nodiscard]] bool complete() const { return complete_.load(); }

  // The held story, or nullptr.
  [[nodiscard]] std::shared_ptr<const v1::HeldStory> Get(std::string_view story_id) const;
  // The held stories matching the filter (applied to each held article), ordered by story id,
  // `page_size` per page. Token errors as Reader::List (kBadTokenPrefix / kStaleTokenPrefix).
  [[nodiscard]] Result<ListPage> List(const v1::ArticleFilter& filter, uint32_t page_size,
                                      std::string_view page_token, int64_t now_ms) const;
  [[nodiscard]] size_t size() const;

 private:
  const int64_t token_ttl_ms_;
  mutable std::mutex mu_;  // guards the members below
  std::map<std::string, std::shared_ptr<const v1::HeldStory>, std::less<>> stories_;
  Offsets next_;  // partition -> next offset to apply
  std::string cluster_id_;
  std::atomic<bool> complete_{true};
};

// The held article as a reader with the `embargoed` scope sees it: `article` with its uri and
// version filled in.
v1::Article HeldArticle(const v1::HeldStory& held, std::string_view story_id);

}  // namespace copydesk::lookup
