// Items of a multi-item input: one position each (partition, offset, item), so each has its own
// decision-log entry and index document, and both expire with the window.
#include <gtest/gtest.h>

#include <string>

#include "dedup/dedup.h"
#include "dedup/records.h"
#include "dedup/tests/test_util.h"

namespace copydesk::dedup {
namespace {

using testing::Make;
using testing::Paragraphs;

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kDay = 24LL * 3600 * 1000;

size_t CountPrefix(const MemoryStateStore& s, std::string_view prefix) {
  size_t n = 0;
  for (const auto& [k, v] : s.contents()) n += k.starts_with(prefix) ? 1 : 0;
  return n;
}

TEST(Items, EachItemOfAnInputHasItsOwnLogEntryAndDocument) {
  MemoryStateStore store;
  Deduper d(store);
  EventContext ctx{0, 5, kT0, "ev"};
  std::string stories[3];
  for (uint32_t i = 0; i < 3; ++i) {
    ctx.item = i;
    auto r = d.Process(Make("P", "g" + std::to_string(i), Paragraphs(10 + i, 5)), ctx);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->decision, v1::DECISION_NEW);
    EXPECT_FALSE(r->replayed);
    stories[i] = r->story_id;
  }
  EXPECT_EQ(CountPrefix(store, "o/"), 3u);
  EXPECT_EQ(CountPrefix(store, "d/"), 3u);
  ASSERT_TRUE(store.Get(DecisionLogKey(0, 5)).value().has_value());  // item 0: the input's own key
  ASSERT_TRUE(store.Get(DecisionLogKey(0, 5, 2)).value().has_value());
  EXPECT_EQ(DecisionLogKey(0, 5, 2).size(), 18u);
  // The input reprocessed: every item replays its own decision.
  for (uint32_t i = 0; i < 3; ++i) {
    ctx.item = i;
    auto r = d.Process(Make("P", "g" + std::to_string(i), Paragraphs(10 + i, 5)), ctx);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->replayed);
    EXPECT_EQ(r->decision, v1::DECISION_NEW);
    EXPECT_EQ(r->story_id, stories[i]);
  }
  // Content identities (no guid) of two items get different story ids.
  ctx = EventContext{0, 6, kT0, ""};
  auto a = d.Process(Make("P", "", Paragraphs(20, 5)), ctx);
  ctx.item = 1;
  auto b = d.Process(Make("P", "", Paragraphs(21, 5)), ctx);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->story_id, b->story_id);
  // A week later every item's log entry and document have expired, derived keys with them.
  auto late = d.Process(Make("P", "later", Paragraphs(30, 5)), EventContext{0, 7, kT0 + 8 * kDay, ""});
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(CountPrefix(store, "o/"), 1u);
  EXPECT_EQ(CountPrefix(store, "y/"), 1u);
  EXPECT_EQ(CountPrefix(store, "d/"), 1u);
}

// A restore from the changelog rebuilds the items' derived keys exactly.
TEST(Items, ARestoreRebuildsTheItemsDerivedKeys) {
  MemoryStateStore store;
  Deduper d(store);
  std::vector<Mutation> changelog;
  for (uint32_t i = 0; i < 3; ++i) {
    MutationBatch b;
    EventContext ctx{0, 5, kT0, "ev"};
    ctx.item = i;
    ctx.producer_event_id = "ev#" + std::to_string(i);
    ASSERT_TRUE(d.Decide(Make("P", "g" + std::to_string(i), Paragraphs(40 + i, 5)), ctx, &b).ok());
    for (const auto& m : b.mutations()) {
      if (!IsDerivedKey(m.key)) changelog.push_back(m);
    }
    ASSERT_TRUE(d.Apply(b).ok());
  }
  MemoryStateStore restored;
  ASSERT_TRUE(ApplyChangelog(restored, changelog).ok());
  EXPECT_EQ(restored.contents(), store.contents());
}

}  // namespace
}  // namespace copydesk::dedup
