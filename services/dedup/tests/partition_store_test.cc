#include "dedup/partition_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "dedup/dedup.h"
#include "dedup/records.h"
#include "dedup/replay.h"
#include "dedup/rocksdb_store.h"
#include "dedup/tests/test_util.h"

namespace copydesk::dedup {
namespace {

using testing::Make;
using testing::Paragraphs;
using testing::TempDir;

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs ScanAll(const StateStore& s, std::string_view prefix, std::string_view start = "") {
  Pairs out;
  EXPECT_TRUE(s.Scan(prefix, start, [&](std::string_view k, std::string_view v) {
                 out.emplace_back(k, v);
                 return true;
               }).ok());
  return out;
}

std::unique_ptr<PartitionStore> OpenOver(const std::string& path) {
  auto db = RocksDbStateStore::Open(path);
  EXPECT_TRUE(db.ok());
  auto s = PartitionStore::Open(std::move(db.value()));
  EXPECT_TRUE(s.ok());
  return std::move(s.value());
}

// Random band entries, other keys and deletions in random batches (mixed, band entries only,
// other keys only): the partition store reads exactly what an ordered store does, for bucket
// scans, scans that take band entries and other keys together, and point reads; and its base
// never sees a band entry while they are in memory.
TEST(PartitionStore, ReadsMatchAnOrderedStoreUnderRandomBatches) {
  std::mt19937_64 rng(11);
  auto base = std::make_unique<MemoryStateStore>();
  const MemoryStateStore* base_view = base.get();
  auto opened = PartitionStore::Open(std::move(base));
  ASSERT_TRUE(opened.ok());
  PartitionStore& s = *opened.value();
  MemoryStateStore model;
  std::vector<std::string> keys;
  for (int i = 0; i < 400; ++i) {
    char k[internal::kBandEntryKeySize];
    internal::WriteBandEntryKey(k, static_cast<int>(rng() % 3), rng() % 4,
                                static_cast<int64_t>(rng() % 1'000'000), rng());
    keys.emplace_back(k, sizeof(k));
    keys.push_back("a/" + std::to_string(rng() % 50));
    keys.push_back("c/" + std::to_string(rng() % 50));
  }
  for (int round = 0; round < 300; ++round) {
    MutationBatch b;
    const int kind = static_cast<int>(rng() % 3);  // 0 mixed, 1 band entries only, 2 no band entries
    for (int n = static_cast<int>(rng() % 12); n >= 0; --n) {
      const std::string& k = keys[rng() % keys.size()];
      const bool band = PartitionStore::IsBandKey(k);
      if ((kind == 1 && !band) || (kind == 2 && band)) continue;
      if (rng() % 4 == 0) {
        b.Delete(k);
      } else {
        b.Put(k, band ? "" : std::to_string(rng()));
      }
    }
    ASSERT_TRUE(s.Apply(b).ok());
    ASSERT_TRUE(model.Apply(b).ok());
  }
  EXPECT_GT(s.band_entries(), 50u);
  EXPECT_TRUE(ScanAll(*base_view, "b/").empty());
  EXPECT_EQ(ScanAll(s, ""), ScanAll(model, ""));
  EXPECT_EQ(ScanAll(s, "b"), ScanAll(model, "b"));
  EXPECT_EQ(ScanAll(s, "c/"), ScanAll(model, "c/"));
  EXPECT_EQ(ScanAll(s, "", "b/\x01"), ScanAll(model, "", "b/\x01"));
  for (const auto& k : keys) {
    EXPECT_EQ(s.Get(k).value(), model.Get(k).value()) << k;
    if (PartitionStore::IsBandKey(k)) {
      const std::string bucket = k.substr(0, internal::kBandPrefixSize);
      EXPECT_EQ(ScanAll(s, bucket), ScanAll(model, bucket));
      EXPECT_EQ(ScanAll(s, bucket, k), ScanAll(model, bucket, k));
    }
  }
}

// A batch with a band entry that carries a value is refused whole: neither its other keys nor
// its band entries are applied.
TEST(PartitionStore, ARefusedBatchAppliesNothing) {
  auto opened = PartitionStore::Open(std::make_unique<MemoryStateStore>());
  ASSERT_TRUE(opened.ok());
  PartitionStore& s = *opened.value();
  char good[internal::kBandEntryKeySize], bad[internal::kBandEntryKeySize];
  internal::WriteBandEntryKey(good, 1, 2, 3, 4);
  internal::WriteBandEntryKey(bad, 1, 2, 3, 5);
  MutationBatch b;
  b.Put("a/1", "x");
  b.Put(std::string_view(good, sizeof(good)), "");
  b.Put(std::string_view(bad, sizeof(bad)), "a value");
  EXPECT_FALSE(s.Apply(b).ok());
  EXPECT_FALSE(s.Get("a/1").value());
  EXPECT_EQ(s.band_entries(), 0u);
}

// The same stream decided over memory, and over a partition store on RocksDB that is reopened
// (band entries rebuilt from its documents), then moves its band entries into RocksDB, then is
// reopened again (and stays there): the same decisions all along, near-duplicates included.
TEST(PartitionStore, DecisionsMatchTheMemoryStoreAcrossReopensAndTheMove) {
  const std::vector<v1::Article> stream = testing::MixedStream(45);
  Config cfg;
  cfg.window_ms = 10'000;  // documents expire along the stream: their band entries must go too
  auto ctx = [](size_t i) {
    return EventContext{0, static_cast<int64_t>(i), 1'000'000 + static_cast<int64_t>(i) * 1000, ""};
  };
  auto name = [](const Decision& d) {
    return d.story_id + "/" + std::to_string(d.version) + "/" + std::string(DecisionName(d.decision));
  };
  MemoryStateStore mem;
  Deduper dm(cfg, mem);
  std::vector<std::string> a, b;
  for (size_t i = 0; i < stream.size(); ++i) {
    auto d = dm.Process(stream[i], ctx(i));
    ASSERT_TRUE(d.ok());
    a.push_back(name(*d));
  }
  TempDir dir;
  for (int third = 0; third < 3; ++third) {
    auto store = OpenOver(dir.path());
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->bands_in_memory(), third < 2);
    if (third == 1) {
      // Rebuilt from the documents of the first third: the same band entries as the model's.
      EXPECT_GT(store->band_entries(), 0u);
      EXPECT_TRUE(ScanAll(store->base(), "b/").empty());
    }
    Deduper dr(cfg, *store);
    const size_t from = third * stream.size() / 3, to = (third + 1) * stream.size() / 3;
    for (size_t i = from; i < to; ++i) {
      auto d = dr.Process(stream[i], ctx(i));
      ASSERT_TRUE(d.ok()) << d.error().reason;
      b.push_back(name(*d));
    }
    if (third == 1) {
      const Pairs before = ScanAll(*store, "b/");
      ASSERT_TRUE(store->MoveBandsToBase().ok());
      EXPECT_FALSE(store->bands_in_memory());
      EXPECT_EQ(ScanAll(store->base(), "b/"), before);
      EXPECT_EQ(ScanAll(*store, "b/"), before);
    }
  }
  EXPECT_EQ(a, b);
  EXPECT_NE(std::find_if(a.begin(), a.end(), [](const std::string& s) { return s.ends_with("/duplicate"); }),
            a.end());
}

// A store written with its band entries in RocksDB but without the mark (the layout before
// PartitionStore, or a move cut short) opens with them deleted from RocksDB and rebuilt, the
// same, in memory.
TEST(PartitionStore, BandEntriesInTheBaseWithoutTheMarkAreRebuiltInMemory) {
  TempDir dir;
  Pairs bands;
  {
    auto db = RocksDbStateStore::Open(dir.path());
    ASSERT_TRUE(db.ok());
    Deduper d(Config{}, **db);
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(d.Process(Make("P", "g" + std::to_string(i), Paragraphs(static_cast<uint32_t>(i), 3)),
                            EventContext{0, i, 1'000'000 + i, ""})
                      .ok());
    }
    bands = ScanAll(**db, "b/");
    ASSERT_EQ(bands.size(), 6u * internal::kBands);
  }
  auto store = OpenOver(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->bands_in_memory());
  EXPECT_TRUE(ScanAll(store->base(), "b/").empty());
  EXPECT_EQ(ScanAll(*store, "b/"), bands);
}

}  // namespace
}  // namespace copydesk::dedup

namespace copydesk::dedup {
namespace {

// `copydesk replay --state-dir` decides over the worker's store (RocksDB, band entries in
// memory) exactly as over memory; replayed again over the same directory (its band entries
// rebuilt from its documents), every record gets its recorded decision back.
TEST(PartitionStore, ReplayOverAStateDirDecidesAsInMemory) {
  std::string all;
  for (int i = 0; i < 40; ++i) {
    const auto paras = Paragraphs(static_cast<uint32_t>(i % 13), 4);
    std::string body;
    for (const auto& p : paras) body += p + "\\n\\n";
    all += R"({"id":"r)" + std::to_string(i) + R"(","source":")" + (i % 3 == 0 ? "Q" : "P") +
           R"(","title":"T)" + std::to_string(i) + R"(","published":"2008-01-07T23:)" +
           std::to_string(10 + i) + R"(:00Z","body":")" + body + "\"}\n";
  }
  auto replay = [](const std::string& lines, const std::string& state_dir) {
    std::vector<std::string> out;
    std::FILE* f = fmemopen(const_cast<char*>(lines.data()), lines.size(), "r");
    EXPECT_NE(f, nullptr);
    ReplayOptions o;
    o.state_dir = state_dir;
    auto st = Replay(f, o, [&](const ReplayRecord& r, const v1::Article&, const Decision& d) {
      out.push_back(DecisionJson(r, d));
    });
    std::fclose(f);
    EXPECT_TRUE(st.ok());
    return out;
  };
  const auto in_memory = replay(all, "");
  TempDir dir;
  EXPECT_EQ(replay(all, dir.path()), in_memory);
  EXPECT_EQ(replay(all, dir.path()), in_memory);
  EXPECT_EQ(in_memory.size(), 40u);
  EXPECT_NE(std::find_if(in_memory.begin(), in_memory.end(),
                         [](const std::string& s) { return s.find("\"duplicate\"") != std::string::npos; }),
            in_memory.end());
}

}  // namespace
}  // namespace copydesk::dedup
