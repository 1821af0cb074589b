#include "ingest/state.h"

#include <gtest/gtest.h>

namespace copydesk::ingest {
namespace {

dedup::MutationBatch Batch(std::initializer_list<std::pair<std::string, std::optional<std::string>>> kv) {
  dedup::MutationBatch b;
  for (const auto& [k, v] : kv) {
    if (v) {
      b.Put(k, *v);
    } else {
      b.Delete(k);
    }
  }
  return b;
}

TEST(OverlayStore, ChangesAreInvisibleToTheBaseUntilCommitAndDroppedOnDiscard) {
  auto base = std::make_unique<dedup::MemoryStateStore>();
  auto* base_raw = base.get();
  OverlayStore s(std::move(base));
  ASSERT_TRUE(s.Apply(Batch({{"a", "1"}})).ok());
  EXPECT_EQ(s.Get("a").value(), "1");
  EXPECT_FALSE(base_raw->Get("a").value());
  ASSERT_TRUE(s.Commit().ok());
  EXPECT_EQ(base_raw->Get("a").value(), "1");
  ASSERT_TRUE(s.Apply(Batch({{"a", "2"}, {"a", std::nullopt}})).ok());
  EXPECT_FALSE(s.Get("a").value());
  ASSERT_EQ(s.Pending().size(), 1u);
  EXPECT_FALSE(s.Pending()[0].value);
  s.Discard();
  EXPECT_EQ(s.Get("a").value(), "1");
  EXPECT_TRUE(s.Pending().empty());
}

TEST(OverlayStore, WriteThroughCopiesTheBatchToTheBaseAndKeepsItStagedUntilDiscard) {
  auto base = std::make_unique<dedup::MemoryStateStore>();
  auto* base_raw = base.get();
  OverlayStore s(std::move(base));
  ASSERT_TRUE(s.Apply(Batch({{"m", "marker"}})).ok());
  ASSERT_TRUE(s.Commit().ok());
  ASSERT_TRUE(s.Apply(Batch({{"a", "1"}, {"b", std::nullopt}})).ok());
  // The marker is removed in the same write as the state.
  ASSERT_TRUE(s.WriteThrough({{"m", std::nullopt}}).ok());
  EXPECT_EQ(base_raw->Get("a").value(), "1");
  EXPECT_FALSE(base_raw->Get("m").value());
  // Still staged: a commit that fails after the write sends the same changes again.
  ASSERT_EQ(s.Pending().size(), 2u);
  EXPECT_EQ(s.Pending()[0].key, "a");
  EXPECT_EQ(s.Get("a").value(), "1");
  s.Discard();
  EXPECT_TRUE(s.Pending().empty());
  EXPECT_EQ(s.Get("a").value(), "1");
}

TEST(OverlayStore, ScanMergesTheOverlayOverTheBase) {
  OverlayStore s(std::make_unique<dedup::MemoryStateStore>());
  ASSERT_TRUE(s.Apply(Batch({{"p/a", "1"}, {"p/b", "2"}, {"q/x", "9"}})).ok());
  ASSERT_TRUE(s.Commit().ok());
  ASSERT_TRUE(s.Apply(Batch({{"p/b", std::nullopt}, {"p/c", "3"}, {"o/z", "0"}})).ok());
  std::vector<std::string> seen;
  ASSERT_TRUE(s.Scan("p/", "p/", [&](std::string_view k, std::string_view v) {
                 seen.push_back(std::string(k) + "=" + std::string(v));
                 return true;
               }).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"p/a=1", "p/c=3"}));
}

}  // namespace
}  // namespace copydesk::ingest
