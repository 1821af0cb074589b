#include "ingest/state.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace copydesk::ingest {
namespace {

dedup::MutationBatch Batch(const std::vector<std::pair<std::string, std::optional<std::string>>>& kv) {
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

TEST(OverlayStore, ChangesAreInvisibleToTheBaseUntilPersistAndDroppedOnDiscard) {
  auto base = std::make_unique<dedup::MemoryStateStore>();
  auto* base_raw = base.get();
  OverlayStore s(std::move(base));
  ASSERT_TRUE(s.Apply(Batch({{"a", "1"}})).ok());
  EXPECT_EQ(s.Get("a").value(), "1");
  EXPECT_FALSE(base_raw->Get("a").value());
  ASSERT_TRUE(s.Persist().ok());
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
  ASSERT_TRUE(s.Persist().ok());
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
  ASSERT_TRUE(s.Persist().ok());
  ASSERT_TRUE(s.Apply(Batch({{"p/b", std::nullopt}, {"p/c", "3"}, {"o/z", "0"}})).ok());
  std::vector<std::string> seen;
  ASSERT_TRUE(s.Scan("p/", "p/", [&](std::string_view k, std::string_view v) {
                 seen.push_back(std::string(k) + "=" + std::string(v));
                 return true;
               }).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"p/a=1", "p/c=3"}));
}

// Reads through the key and prefix filters give what a plain merge of the overlay over the base
// gives: random batches of puts and deletes (copied in or moved in) over keys that share long
// (bucket-sized) and short prefixes, committed or discarded, then every Get and Scan checked
// against a model.
TEST(OverlayStore, FilteredReadsMatchAPlainMergeOfOverlayAndBase) {
  OverlayStore s(std::make_unique<dedup::MemoryStateStore>());
  std::map<std::string, std::string> base, staged_puts;
  std::map<std::string, bool> staged;  // key -> deleted
  std::mt19937 rng(11);
  const std::vector<std::string> prefixes = {"b/0123456789", "b/0123456788", "b/9", "i/", "s/abcdefghij"};
  std::vector<std::string> keys;
  for (const auto& p : prefixes)
    for (int i = 0; i < 6; ++i) keys.push_back(p + static_cast<char>('a' + i));
  auto model_get = [&](const std::string& k) -> std::optional<std::string> {
    if (auto it = staged.find(k); it != staged.end()) {
      if (it->second) return std::nullopt;
      return staged_puts[k];
    }
    if (auto it = base.find(k); it != base.end()) return it->second;
    return std::nullopt;
  };
  for (int round = 0; round < 300; ++round) {
    std::vector<std::pair<std::string, std::optional<std::string>>> muts;
    for (int i = static_cast<int>(rng() % 4); i >= 0; --i) {
      const std::string& k = keys[rng() % keys.size()];
      if (rng() % 3 == 0) {
        muts.emplace_back(k, std::nullopt);
        staged[k] = true;
      } else {
        const std::string v = std::to_string(round);
        muts.emplace_back(k, v);
        staged[k] = false;
        staged_puts[k] = v;
      }
    }
    if (round % 2 == 0) {
      ASSERT_TRUE(s.Apply(Batch(muts)).ok());
    } else {  // the strings are moved in, the batch left empty
      dedup::MutationBatch owned = Batch(muts);
      ASSERT_TRUE(s.ApplyOwned(owned).ok());
      ASSERT_TRUE(owned.empty());
    }
    if (round % 7 == 6) {  // commit: the model's staged changes reach its base
      ASSERT_TRUE(s.Persist().ok());
      for (const auto& [k, deleted] : staged) {
        if (deleted) {
          base.erase(k);
        } else {
          base[k] = staged_puts[k];
        }
      }
      staged.clear();
    } else if (round % 11 == 10) {
      s.Discard();
      staged.clear();
    }
    for (const auto& k : keys) ASSERT_EQ(s.Get(k).value(), model_get(k)) << k << " round " << round;
    for (const std::string scan :
         {"b/0123456789", "b/0123456788a", "b/012", "b/9", "i/", "s/abcdefghij", "x/"}) {
      std::vector<std::string> got, want;
      ASSERT_TRUE(s.Scan(scan, scan, [&](std::string_view k, std::string_view v) {
                     got.push_back(std::string(k) + "=" + std::string(v));
                     return true;
                   }).ok());
      for (const auto& k : keys) {
        if (!k.starts_with(scan)) continue;
        if (auto v = model_get(k)) want.push_back(k + "=" + *v);
      }
      std::sort(want.begin(), want.end());  // a scan returns keys in order
      ASSERT_EQ(got, want) << scan << " round " << round;
      // A scan that stops early sees the first entries of the same sequence.
      const size_t stop_after = rng() % 4 + 1;
      std::vector<std::string> first;
      ASSERT_TRUE(s.Scan(scan, scan, [&](std::string_view k, std::string_view v) {
                     first.push_back(std::string(k) + "=" + std::string(v));
                     return first.size() < stop_after;
                   }).ok());
      want.resize(std::min(want.size(), stop_after));
      ASSERT_EQ(first, want) << scan << " round " << round << " stopping after " << stop_after;
    }
  }
}

}  // namespace
}  // namespace copydesk::ingest

namespace copydesk::ingest {
namespace {

// Over a PartitionStore, band entries skip the overlay while the store keeps them in memory:
// visible at once, in the base store without a commit, never in Pending() and not dropped by a
// Discard (the worker keeps a batch staged until it commits it, or drops the whole partition).
// Other keys are staged as over any store. Once the band entries moved into the base store they
// are staged like the rest.
TEST(OverlayStore, BandEntriesOverAPartitionStoreSkipTheOverlayWhileInMemory) {
  auto opened = dedup::PartitionStore::Open(std::make_unique<dedup::MemoryStateStore>());
  ASSERT_TRUE(opened.ok());
  dedup::PartitionStore* part = opened.value().get();
  OverlayStore s(std::move(opened.value()));
  ASSERT_EQ(s.partition(), part);
  char k1[dedup::kBandEntryKeySize], k2[dedup::kBandEntryKeySize];
  dedup::WriteBandEntryKey(k1, 0, 7, 1000, 1);
  dedup::WriteBandEntryKey(k2, 0, 7, 2000, 2);
  const std::string band1(k1, sizeof(k1)), band2(k2, sizeof(k2));
  ASSERT_TRUE(s.Apply(Batch({{band1, ""}, {"d/1", "doc"}})).ok());
  EXPECT_EQ(part->Get(band1).value(), "");  // in the partition store already
  EXPECT_FALSE(part->Get("d/1").value());   // staged
  EXPECT_EQ(s.Get(band1).value(), "");
  ASSERT_EQ(s.Pending().size(), 1u);
  EXPECT_EQ(s.Pending()[0].key, "d/1");
  s.Discard();
  EXPECT_EQ(s.Get(band1).value(), "");
  EXPECT_FALSE(s.Get("d/1").value());
  EXPECT_TRUE(s.nothing_staged());

  ASSERT_TRUE(part->MoveBandsToBase().ok());
  ASSERT_TRUE(s.Apply(Batch({{band2, ""}, {band1, std::nullopt}})).ok());
  EXPECT_EQ(s.Pending().size(), 2u);
  EXPECT_FALSE(part->Get(band2).value());
  std::vector<std::string> bucket;
  ASSERT_TRUE(
      s.Scan(band1.substr(0, dedup::kBandBucketPrefixSize), "", [&](std::string_view k, std::string_view) {
         bucket.emplace_back(k);
         return true;
       }).ok());
  EXPECT_EQ(bucket, std::vector<std::string>{band2});
  ASSERT_TRUE(s.Persist().ok());
  EXPECT_EQ(part->Get(band2).value(), "");
  EXPECT_FALSE(part->Get(band1).value());
}

}  // namespace
}  // namespace copydesk::ingest
