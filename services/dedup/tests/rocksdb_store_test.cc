#include "dedup/rocksdb_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "dedup/dedup.h"
#include "dedup/tests/test_util.h"

namespace copydesk::dedup {
namespace {
using testing::TempDir;

TEST(RocksDbStateStore, PutGetScanDeleteAndReopen) {
  TempDir dir;
  {
    auto store = RocksDbStateStore::Open(dir.path());
    ASSERT_TRUE(store.ok()) << store.error().reason;
    MutationBatch b;
    b.Put("x/1", "a");
    b.Put("x/2", "b");
    b.Put("x/3", "c");
    b.Put("y/1", "d");
    b.Delete("x/2");
    b.Put("k", std::string("\0bin\xff", 5));
    ASSERT_TRUE((*store)->Apply(b).ok());
    auto v = (*store)->Get("k");
    ASSERT_TRUE(v.ok());
    ASSERT_TRUE(v.value().has_value());
    EXPECT_EQ(*v.value(), std::string("\0bin\xff", 5));
    EXPECT_FALSE((*store)->Get("x/2").value().has_value());
    std::vector<std::string> keys;
    ASSERT_TRUE((*store)
                    ->Scan("x/", "",
                           [&](std::string_view k, std::string_view) {
                             keys.emplace_back(k);
                             return true;
                           })
                    .ok());
    EXPECT_EQ(keys, (std::vector<std::string>{"x/1", "x/3"}));
    keys.clear();
    ASSERT_TRUE((*store)
                    ->Scan("x/", "x/2",
                           [&](std::string_view k, std::string_view) {
                             keys.emplace_back(k);
                             return true;
                           })
                    .ok());
    EXPECT_EQ(keys, (std::vector<std::string>{"x/3"}));
  }
  // Reopened: the data is still there.
  auto store = RocksDbStateStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*(*store)->Get("x/3").value(), "c");
  EXPECT_EQ(*(*store)->Get("y/1").value(), "d");
}

// Scan() reuses its iterators: each scan still sees every write made before it (also across a
// flush), and only the keys of its own prefix, with neighbouring prefixes and tombstones around.
TEST(RocksDbStateStore, ReusedScansSeeEveryEarlierWriteAndOnlyTheirPrefix) {
  TempDir dir;
  RocksDbOptions o;
  o.bucket_prefix_bytes = 4;  // "b/" + 2 bytes
  auto store = RocksDbStateStore::Open(dir.path(), o);
  ASSERT_TRUE(store.ok()) << store.error().reason;
  auto scan = [&](std::string_view prefix, std::string_view start = "") {
    std::vector<std::string> keys;
    EXPECT_TRUE((*store)
                    ->Scan(prefix, start,
                           [&](std::string_view k, std::string_view) {
                             keys.emplace_back(k);
                             return true;
                           })
                    .ok());
    return keys;
  };
  using Keys = std::vector<std::string>;
  MutationBatch b1;
  for (const char* k : {"b/aa1", "b/aa2", "b/ab1", "b/ac1", "x/01", "x/02", "y/01"}) b1.Put(k, "v");
  ASSERT_TRUE((*store)->Apply(b1).ok());
  EXPECT_EQ(scan("b/aa"), (Keys{"b/aa1", "b/aa2"}));
  EXPECT_EQ(scan("b/ab"), (Keys{"b/ab1"}));
  EXPECT_EQ(scan("x/"), (Keys{"x/01", "x/02"}));
  EXPECT_EQ(scan("x/", "x/02"), (Keys{"x/02"}));
  MutationBatch b2;  // written after the iterators were made
  b2.Put("b/aa3", "v");
  b2.Delete("b/ab1");
  b2.Put("x/03", "v");
  b2.Delete("x/01");
  ASSERT_TRUE((*store)->Apply(b2).ok());
  EXPECT_EQ(scan("b/aa"), (Keys{"b/aa1", "b/aa2", "b/aa3"}));
  EXPECT_TRUE(scan("b/ab").empty());
  EXPECT_EQ(scan("x/"), (Keys{"x/02", "x/03"}));
  ASSERT_TRUE((*store)->Flush().ok());  // the data moves to an SST file
  MutationBatch b3;
  b3.Put("b/ab2", "v");
  b3.Delete("b/aa2");
  ASSERT_TRUE((*store)->Apply(b3).ok());
  EXPECT_EQ(scan("b/aa"), (Keys{"b/aa1", "b/aa3"}));
  EXPECT_EQ(scan("b/ab"), (Keys{"b/ab2"}));
  EXPECT_EQ(scan("b/ac"), (Keys{"b/ac1"}));
  EXPECT_TRUE(scan("b/ad").empty());
  EXPECT_EQ(scan("y/"), (Keys{"y/01"}));
}

TEST(RocksDbStateStore, OpenFailsWithAnError) {
  RocksDbOptions o;
  o.create_if_missing = false;
  auto store = RocksDbStateStore::Open("/nonexistent/copydesk/state", o);
  EXPECT_FALSE(store.ok());
}

// The same stream decided over RocksDB and over memory gives the same decisions, also when the
// RocksDB store is closed and reopened half way (a restart with the local state kept).
TEST(RocksDbStateStore, DecisionsMatchTheMemoryStore) {
  const std::vector<v1::Article> stream = testing::MixedStream(30);
  Config cfg;
  cfg.window_ms = 10'000;
  MemoryStateStore mem;
  Deduper dm(cfg, mem);
  TempDir dir;
  std::vector<std::string> a, b;
  for (size_t i = 0; i < stream.size(); ++i) {
    auto d = dm.Process(
        stream[i], EventContext{0, static_cast<int64_t>(i), 1'000'000 + static_cast<int64_t>(i) * 1000, ""});
    ASSERT_TRUE(d.ok());
    a.push_back(d->story_id + "/" + std::to_string(d->version) + "/" +
                std::string(DecisionName(d->decision)));
  }
  for (int half = 0; half < 2; ++half) {
    auto store = RocksDbStateStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    Deduper dr(cfg, **store);
    const size_t from = half == 0 ? 0 : stream.size() / 2, to = half == 0 ? stream.size() / 2 : stream.size();
    for (size_t i = from; i < to; ++i) {
      auto d = dr.Process(stream[i], EventContext{0, static_cast<int64_t>(i),
                                                  1'000'000 + static_cast<int64_t>(i) * 1000, ""});
      ASSERT_TRUE(d.ok()) << d.error().reason;
      b.push_back(d->story_id + "/" + std::to_string(d->version) + "/" +
                  std::string(DecisionName(d->decision)));
    }
    // The second half reads the first half's state from SST files (prefix filters on disk).
    ASSERT_TRUE((*store)->Flush().ok());
  }
  EXPECT_EQ(a, b);
  // The stream matched near-duplicates through the band buckets.
  EXPECT_NE(std::find_if(a.begin(), a.end(), [](const std::string& s) { return s.ends_with("/duplicate"); }),
            a.end());
}

}  // namespace
}  // namespace copydesk::dedup
