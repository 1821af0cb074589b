#include "dedup/index_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "dedup/dedup.h"
#include "dedup/records.h"

namespace copydesk::dedup {
namespace {

// Every pair a full scan of `s` visits, in order.
std::vector<std::pair<std::string, std::string>> ScanAll(const StateStore& s, std::string_view prefix,
                                                         std::string_view start = "") {
  std::vector<std::pair<std::string, std::string>> out;
  EXPECT_TRUE(s.Scan(prefix, start, [&](std::string_view k, std::string_view v) {
                 out.emplace_back(k, v);
                 return true;
               }).ok());
  return out;
}

// Random band entries (few buckets, so that buckets hold several), documents and deletions,
// applied in random batches to the index store and to MemoryStateStore (the model): every
// point read and every scan agrees, bucket scans included, also when they start inside a bucket
// or stop early.
TEST(IndexMemoryStore, ReadsMatchAnOrderedStoreUnderRandomBatches) {
  std::mt19937_64 rng(5);
  IndexMemoryStore idx;
  MemoryStateStore model;
  std::vector<std::string> keys;
  // Times and doc ids over their whole range, so that entries of a bucket differ in bytes at or
  // above 0x80 too (the order is that of unsigned bytes, as in every store).
  std::vector<int64_t> times = {1'000, 1'007, 1'700'000'000'000, 1'700'000'000'128, 1'700'000'032'768};
  for (int i = 0; i < 3; ++i) times.push_back(static_cast<int64_t>(rng() >> 1));
  std::vector<uint64_t> docs = {0, 1, 0x80, 0xFF00, rng(), rng()};
  for (int band = 0; band < 3; ++band)
    for (uint64_t h = 0; h < 4; ++h)
      for (int64_t t : times)
        for (uint64_t doc : docs)
          keys.push_back(internal::BandEntryKey(band, h * 0x9E3779B97F4A7C15ull, t, doc));
  for (uint64_t doc = 0; doc < 20; ++doc) keys.push_back(internal::DocKey(doc));
  keys.push_back("m/wm");
  for (int round = 0; round < 300; ++round) {
    MutationBatch b;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      const std::string& k = keys[rng() % keys.size()];
      const bool band = k.starts_with("b/");
      if (rng() % 3 == 0) {
        b.Delete(k);
      } else {
        b.Put(k, band ? "" : "v" + std::to_string(rng() % 1000));
      }
    }
    MutationBatch copy = b;
    ASSERT_TRUE(model.Apply(b).ok());
    ASSERT_TRUE(round % 2 == 0 ? idx.Apply(b).ok() : idx.ApplyOwned(copy).ok());
    for (const auto& k : keys) {
      auto a = idx.Get(k), m = model.Get(k);
      ASSERT_TRUE(a.ok() && m.ok());
      ASSERT_EQ(a.value(), m.value()) << "round " << round;
    }
    ASSERT_EQ(ScanAll(idx, ""), ScanAll(model, ""));
    ASSERT_EQ(ScanAll(idx, "b/"), ScanAll(model, "b/"));
    for (int band = 0; band < 3; ++band) {
      for (uint64_t h = 0; h < 4; ++h) {
        const std::string prefix = internal::BandPrefix(band, h * 0x9E3779B97F4A7C15ull);
        ASSERT_EQ(ScanAll(idx, prefix), ScanAll(model, prefix));
        const std::string inside = keys[rng() % keys.size()];
        ASSERT_EQ(ScanAll(idx, prefix, inside), ScanAll(model, prefix, inside));
        // Stopping after the first entry visits exactly one.
        int visited = 0;
        ASSERT_TRUE(
            idx.Scan(prefix, "", [&](std::string_view, std::string_view) { return ++visited < 1; }).ok());
        ASSERT_EQ(visited, ScanAll(model, prefix).empty() ? 0 : 1);
      }
    }
  }
  EXPECT_EQ(idx.band_entries(), ScanAll(model, "b/").size());
  EXPECT_GT(idx.band_entries(), 0u);
}

TEST(IndexMemoryStore, ABandEntryWithAValueIsRejectedAndNothingOfItsBatchApplied) {
  IndexMemoryStore idx;
  MutationBatch b;
  b.Put(internal::DocKey(1), "doc");
  b.Put(internal::BandEntryKey(0, 42, 1'000, 1), "not empty");
  Status st = idx.Apply(b);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.error().reason.find("band entry"), std::string::npos);
  EXPECT_FALSE(idx.Get(internal::DocKey(1)).value().has_value());
}

// The shared index's use: documents applied from the topic (ApplySharedIndexMutation derives their
// band entries), then replaced and deleted; a Deduper reading it finds the copy on another partition.
TEST(IndexMemoryStore, ServesTheDeduperAsItsSharedIndex) {
  IndexMemoryStore shared;
  MemoryStateStore model;
  MemoryStateStore p0, p1;
  Config cfg;
  cfg.visibility_delay_ms = 1000;
  Deduper d0(cfg, p0, &shared), d1(cfg, p1, &shared);
  v1::Article orig;
  orig.mutable_provenance()->set_provider("AP");
  orig.mutable_provenance()->set_guid("ap-1");
  orig.set_headline("Wire");
  std::string text;
  for (int i = 0; i < 60; ++i) text += "word" + std::to_string(i) + " ";
  auto* block = orig.add_body();
  block->set_type(v1::BLOCK_TYPE_PARAGRAPH);
  block->set_text(text);
  orig.set_body_text(text);
  auto* fp = orig.mutable_fingerprints();
  std::mt19937 rng(3);
  for (int k = 0; k < internal::kSignatureSize; ++k) fp->add_minhash(rng() & 0xFFFF);
  MutationBatch b;
  const int64_t t0 = 1'700'000'000'000;
  ASSERT_TRUE(d0.Decide(orig, EventContext{0, 0, t0, ""}, &b).ok());
  ASSERT_TRUE(d0.Apply(b).ok());
  int docs = 0;
  for (const auto& m : b.mutations()) {
    if (!IsSharedIndexKey(m.key)) continue;
    ++docs;
    ASSERT_TRUE(ApplySharedIndexMutation(shared, m).ok());
    ASSERT_TRUE(ApplySharedIndexMutation(model, m).ok());
  }
  ASSERT_EQ(docs, 1);
  EXPECT_EQ(ScanAll(shared, ""), ScanAll(model, ""));
  EXPECT_EQ(shared.band_entries(), static_cast<size_t>(internal::kBands));
  v1::Article copy = orig;
  copy.mutable_provenance()->set_provider("Yahoo");
  copy.mutable_provenance()->set_guid("y-1");
  auto d = d1.Process(copy, EventContext{1, 0, t0 + 5000, ""});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->decision, v1::DECISION_SYNDICATED);
  // The owner's tombstone removes the document and its band entries.
  for (const auto& m : b.mutations()) {
    if (!IsSharedIndexKey(m.key)) continue;
    ASSERT_TRUE(ApplySharedIndexMutation(shared, Mutation{m.key, std::nullopt}).ok());
  }
  EXPECT_EQ(shared.band_entries(), 0u);
  EXPECT_TRUE(ScanAll(shared, "").empty());
}

// Shared index documents (what the index topic carries) with random signatures.
std::vector<Mutation> RandomDocs(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Mutation> out;
  for (int i = 0; i < n; ++i) {
    internal::DocRecord d;
    d.story_id = StoryIdFor("s" + std::to_string(seed) + "-" + std::to_string(i));
    d.root = d.story_id;
    d.time_ms = 1'700'000'000'000 + i;
    d.tau_ms = d.time_ms;
    d.partition = i % 4;
    d.version = 1;
    d.signature.resize(internal::kSignatureSize);
    for (auto& v : d.signature) v = static_cast<uint16_t>(rng() % 8);  // few values: shared buckets
    out.push_back({internal::DocKey(seed * 1'000'000 + static_cast<uint64_t>(i)), internal::EncodeDoc(d)});
  }
  return out;
}

// A document record (time, signature drawn from few values, so that documents share buckets).
std::string DocValue(std::mt19937_64& rng) {
  internal::DocRecord d;
  d.story_id = StoryIdFor(std::to_string(rng()));
  d.root = d.story_id;
  d.time_ms = static_cast<int64_t>(rng() >> 1);
  d.tau_ms = d.time_ms;
  d.signature.resize(internal::kSignatureSize);
  for (auto& v : d.signature) v = static_cast<uint16_t>(rng() % 4);
  return internal::EncodeDoc(d);
}

// ApplyDocuments gives what ApplyChangelog gives: documents added, replaced (other signature and
// time) and deleted, repeated within a batch, with derived keys in the input (ignored), a "d/"
// key that is no document record, and batches with a decision memo (which fall back).
TEST(IndexMemoryStore, ApplyDocumentsEqualsApplyChangelog) {
  std::mt19937_64 rng(11);
  IndexMemoryStore idx;
  SharedIndexStore shared(0, "");  // memory only: its chunked path
  MemoryStateStore model;
  for (int round = 0; round < 200; ++round) {
    std::vector<Mutation> batch;
    const int n = 1 + static_cast<int>(rng() % 30);
    for (int i = 0; i < n; ++i) {
      const std::string key = internal::DocKey(rng() % 25);
      switch (rng() % 8) {
        case 0: batch.push_back({key, std::nullopt}); break;
        case 1: batch.push_back({internal::BandEntryKey(1, 7, 1000, 3), std::string()}); break;
        case 2: batch.push_back({"d/other", std::string("v")}); break;
        default: batch.push_back({key, DocValue(rng)}); break;
      }
    }
    if (round % 25 == 24) batch.push_back({internal::MemoKey(0, round), std::nullopt});
    ASSERT_TRUE(ApplyChangelog(model, batch, false).ok());
    ASSERT_TRUE(idx.ApplyDocuments(batch).ok());
    ASSERT_TRUE(shared.ApplyDocuments(batch).ok());
    ASSERT_EQ(ScanAll(idx, ""), ScanAll(model, "")) << "round " << round;
    ASSERT_EQ(ScanAll(shared, ""), ScanAll(model, "")) << "round " << round;
  }
  EXPECT_EQ(idx.band_entries(), ScanAll(model, "b/").size());
  EXPECT_GT(idx.band_entries(), 0u);
}

std::string TempPath(const char* name) {
  return (std::filesystem::temp_directory_path() / (std::string(name) + "-" + std::to_string(::getpid())))
      .string();
}

// Past its memory budget the shared index moves to RocksDB: it reads the same keys before and
// after the move, and keeps taking documents and tombstones there.
TEST(SharedIndexStore, MovesToRocksDbPastItsBudgetAndReadsTheSameKeys) {
  const std::string path = TempPath("copydesk-shared-index-test");
  std::filesystem::remove_all(path);
  SharedIndexStore shared(256 << 10, path);
  MemoryStateStore model;
  auto docs = RandomDocs(400, 1);
  size_t applied = 0;
  for (; applied < docs.size() && !shared.on_disk(); ++applied) {
    ASSERT_TRUE(ApplySharedIndexMutation(shared, docs[applied]).ok());
    ASSERT_TRUE(ApplySharedIndexMutation(model, docs[applied]).ok());
    if (!shared.on_disk()) {
      ASSERT_LE(shared.memory_bytes(), 256u << 10);
    }
  }
  ASSERT_TRUE(shared.on_disk()) << "400 documents did not outgrow 256 KiB";
  ASSERT_GT(applied, 10u);
  const std::string report = shared.TakeReport();
  EXPECT_NE(report.find("moved to RocksDB"), std::string::npos) << report;
  EXPECT_TRUE(shared.TakeReport().empty());
  EXPECT_EQ(shared.memory_bytes(), 0u);
  EXPECT_EQ(ScanAll(shared, ""), ScanAll(model, ""));
  // On disk: the rest of the documents (as the worker applies them), then tombstones of every
  // other one.
  const std::vector<Mutation> rest(docs.begin() + static_cast<ptrdiff_t>(applied), docs.end());
  ASSERT_TRUE(shared.ApplyDocuments(rest).ok());
  ASSERT_TRUE(ApplyChangelog(model, rest, false).ok());
  for (size_t i = 0; i < docs.size(); i += 2) {
    ASSERT_TRUE(ApplySharedIndexMutation(shared, Mutation{docs[i].key, std::nullopt}).ok());
    ASSERT_TRUE(ApplySharedIndexMutation(model, Mutation{docs[i].key, std::nullopt}).ok());
  }
  EXPECT_EQ(ScanAll(shared, ""), ScanAll(model, ""));
  const auto some = ScanAll(model, "b/");
  ASSERT_FALSE(some.empty());
  const std::string bucket = some.front().first.substr(0, internal::kBandPrefixSize);
  EXPECT_EQ(ScanAll(shared, bucket), ScanAll(model, bucket));
  std::filesystem::remove_all(path);
}

// One large batch (a backlog's own documents) that outgrows the budget half way: the index moves
// between chunks and the rest of the batch goes to RocksDB.
TEST(SharedIndexStore, ALargeBatchMovesHalfWayAndLosesNothing) {
  const std::string path = TempPath("copydesk-shared-index-batch-test");
  std::filesystem::remove_all(path);
  SharedIndexStore shared(512 << 10, path);
  MemoryStateStore model;
  const auto docs = RandomDocs(3000, 4);
  ASSERT_TRUE(shared.ApplyDocuments(docs).ok());
  ASSERT_TRUE(ApplyChangelog(model, docs, false).ok());
  EXPECT_TRUE(shared.on_disk());
  EXPECT_NE(shared.TakeReport().find("moved to RocksDB"), std::string::npos);
  EXPECT_EQ(ScanAll(shared, ""), ScanAll(model, ""));
  std::filesystem::remove_all(path);
}

TEST(SharedIndexStore, StaysInMemoryWithoutAPathAndReportsAFailedMove) {
  SharedIndexStore no_path(0, "");
  for (const auto& m : RandomDocs(20, 2)) ASSERT_TRUE(ApplySharedIndexMutation(no_path, m).ok());
  EXPECT_FALSE(no_path.on_disk());
  EXPECT_GT(no_path.memory_bytes(), 0u);
  EXPECT_TRUE(no_path.TakeReport().empty());

  // A path RocksDB cannot create: the index stays in memory, says why once, and keeps working.
  SharedIndexStore bad(0, "/proc/copydesk-no-such-dir/shared-index");
  MemoryStateStore model;
  for (const auto& m : RandomDocs(20, 3)) {
    ASSERT_TRUE(ApplySharedIndexMutation(bad, m).ok());
    ASSERT_TRUE(ApplySharedIndexMutation(model, m).ok());
  }
  EXPECT_FALSE(bad.on_disk());
  const std::string report = bad.TakeReport();
  EXPECT_NE(report.find("stays in memory"), std::string::npos) << report;
  EXPECT_TRUE(bad.TakeReport().empty());
  EXPECT_EQ(ScanAll(bad, ""), ScanAll(model, ""));
}

}  // namespace
}  // namespace copydesk::dedup
