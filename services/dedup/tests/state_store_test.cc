// The state stores' ordering, the config checks and the record layouts.
#include "dedup/state_store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dedup/dedup.h"
#include "dedup/records.h"

namespace copydesk::dedup {
namespace {

// Scanned keys live in two maps (inline keys up to 31 bytes, longer ones apart): scans merge
// them in key order, and Get, overwrite and delete work on both, through Apply and ApplyOwned.
TEST(MemoryStateStore, ShortAndLongScannedKeysScanInOrder) {
  MemoryStateStore store({"b/"});
  const std::string long1 = "b/k" + std::string(40, 'a');  // 43 bytes
  const std::string long2 = "b/m" + std::string(30, 'z');  // 33 bytes
  const std::string exact = "b/l" + std::string(28, 'q');  // 31 bytes: still inline
  MutationBatch b;
  b.Put("b/j", "1");
  b.Put(long1, "2");
  b.Put(exact, "3");
  b.Put(long2, "4");
  b.Put("b/n", "5");
  b.Put("c/outside", "6");
  ASSERT_TRUE(store.Apply(b).ok());
  auto scan = [&](std::string_view prefix, std::string_view start) {
    std::vector<std::string> out;
    EXPECT_TRUE(store
                    .Scan(prefix, start,
                          [&](std::string_view k, std::string_view v) {
                            out.push_back(std::string(k) + "=" + std::string(v));
                            return true;
                          })
                    .ok());
    return out;
  };
  EXPECT_EQ(scan("b/", ""),
            (std::vector<std::string>{"b/j=1", long1 + "=2", exact + "=3", long2 + "=4", "b/n=5"}));
  EXPECT_EQ(scan("b/", "b/l"), (std::vector<std::string>{exact + "=3", long2 + "=4", "b/n=5"}));
  EXPECT_EQ(scan("b/k", ""), (std::vector<std::string>{long1 + "=2"}));
  EXPECT_EQ(store.size(), 6u);

  MutationBatch owned;
  owned.Put(long1, "7");  // overwrite a long key
  owned.Delete(exact);    // delete an inline one
  owned.Delete(long2);    // and a long one
  ASSERT_TRUE(store.ApplyOwned(owned).ok());
  EXPECT_TRUE(owned.empty());
  EXPECT_EQ(*store.Get(long1).value(), "7");
  EXPECT_FALSE(store.Get(exact).value().has_value());
  EXPECT_FALSE(store.Get(long2).value().has_value());
  EXPECT_EQ(*store.Get("c/outside").value(), "6");
  EXPECT_EQ(scan("b/", ""), (std::vector<std::string>{"b/j=1", long1 + "=7", "b/n=5"}));
  EXPECT_EQ(store.contents().size(), 4u);
  // A start longer than any inline key: inline keys up to its first 31 bytes are before it.
  EXPECT_EQ(scan("b/", long1 + "!"), (std::vector<std::string>{"b/n=5"}));
  EXPECT_EQ(scan("b/", "b/j" + std::string(40, '\0')), (std::vector<std::string>{long1 + "=7", "b/n=5"}));
}

// Inline keys are zero-padded: a key ending in zero bytes still sorts after its prefix.
TEST(MemoryStateStore, ZeroBytesSortLikeStrings) {
  MemoryStateStore store({"b/"});
  const std::vector<std::string> keys = {std::string("b/x"), std::string("b/x\0", 4),
                                         std::string("b/x\0\0", 5), std::string("b/x\x01", 4),
                                         std::string("b/\xff")};
  MutationBatch b;
  for (auto it = keys.rbegin(); it != keys.rend(); ++it) b.Put(*it, "");
  ASSERT_TRUE(store.Apply(b).ok());
  std::vector<std::string> seen;
  ASSERT_TRUE(store
                  .Scan("b/", "",
                        [&](std::string_view k, std::string_view) {
                          seen.emplace_back(k);
                          return true;
                        })
                  .ok());
  EXPECT_EQ(seen, keys);
  EXPECT_TRUE(store.Get(std::string("b/x\0", 4)).value().has_value());
  EXPECT_FALSE(store.Get(std::string("b/x\0\0\0", 6)).value().has_value());
}

TEST(Config, Validate) {
  EXPECT_TRUE(Config{}.Validate().ok());
  Config c;
  c.duplicate_threshold = 1.5;
  EXPECT_FALSE(c.Validate().ok());
  c = Config{};
  c.window_ms = 0;
  EXPECT_FALSE(c.Validate().ok());
}

// The partition alone, as DecodeDoc reads it; nothing for a value that is not a document record.
TEST(Records, DocPartitionWithoutDecodingTheDocument) {
  internal::DocRecord d;
  d.story_id = "story-with-an-id-longer-than-sso";
  d.root = "root-story";
  d.provider_hash = 42;
  d.time_ms = 1'700'000'000'000;
  d.partition = 11;
  d.version = 3;
  d.signature = {1, 2, 3};
  d.tau_ms = 1'700'000'000'500;
  const std::string v = internal::EncodeDoc(d);
  EXPECT_EQ(internal::DecodeDocPartition(v), std::optional<int32_t>(11));
  EXPECT_EQ(internal::DecodeDoc(v)->partition, 11);
  EXPECT_EQ(internal::DecodeDocPartition(v.substr(0, 10)), std::nullopt);
  EXPECT_EQ(internal::DecodeDocPartition(""), std::nullopt);
}

}  // namespace
}  // namespace copydesk::dedup
