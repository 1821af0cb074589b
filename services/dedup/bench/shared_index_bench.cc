// The worker's shared index workload on each store: documents applied from the index topic in
// batches of 300 (as Worker::DrainIndex does: ApplyDocuments on the in-memory stores,
// ApplyChangelog on the others), then a decision's reads (20 band bucket scans, half of them of
// existing buckets, and the documents they name). Prints CPU time per document for each phase
// and the resident memory the store added.
//
//   shared_index_bench [--docs N] [--store rocksdb|memory|index|shared] [--budget-mib N] [--dir PATH]
//
// `shared` is the worker's SharedIndexStore: in memory up to --budget-mib (default 128), then
// moved to RocksDB under --dir; the longest apply batch (the move) is printed.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "dedup/bench/bench_util.h"
#include "dedup/dedup.h"
#include "dedup/index_store.h"
#include "dedup/records.h"
#include "dedup/rocksdb_store.h"

namespace {

namespace dd = copydesk::dedup;
namespace in = copydesk::dedup::internal;

using copydesk::dedup::bench::RssKiB;

double CpuSeconds() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

in::DocRecord RandomDoc(uint64_t i, std::mt19937_64& rng) {
  in::DocRecord d;
  d.story_id = dd::StoryIdFor("story-" + std::to_string(i));
  d.root = d.story_id;
  d.provider_hash = rng() % 3;
  d.time_ms = 1'700'000'000'000 + static_cast<int64_t>(i) * 100;
  d.tau_ms = d.time_ms;
  d.partition = static_cast<int32_t>(i % 12);
  d.version = 1;
  d.signature.resize(in::kSignatureSize);
  for (auto& v : d.signature) v = static_cast<uint16_t>(rng());
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t n = 100'000;
  std::string kind = "index";
  std::string dir = "/tmp/copydesk-shared-index-bench";
  uint64_t budget_mib = 128;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--docs" && i + 1 < argc) {
      n = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--store" && i + 1 < argc) {
      kind = argv[++i];
    } else if (a == "--budget-mib" && i + 1 < argc) {
      budget_mib = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: shared_index_bench [--docs N] [--store rocksdb|memory|index] [--dir PATH]\n");
      return a == "--help" ? 0 : 2;
    }
  }
  std::mt19937_64 rng(42);
  std::vector<in::DocRecord> docs;
  docs.reserve(n);
  for (uint64_t i = 0; i < n; ++i) docs.push_back(RandomDoc(i, rng));

  std::unique_ptr<dd::StateStore> store;
  if (kind == "rocksdb") {
    (void)dd::RocksDbStateStore::Destroy(dir);
    dd::RocksDbOptions o;
    o.disable_wal = true;  // as the worker opens it
    auto opened = dd::RocksDbStateStore::Open(dir, o);
    if (!opened.ok()) {
      std::fprintf(stderr, "%s\n", opened.error().reason.c_str());
      return 1;
    }
    store = std::move(opened.value());
  } else if (kind == "memory") {
    store = std::make_unique<dd::MemoryStateStore>(dd::kDedupScannedPrefixes);
  } else if (kind == "index") {
    store = std::make_unique<dd::IndexMemoryStore>();
  } else if (kind == "shared") {
    (void)dd::RocksDbStateStore::Destroy(dir);
    store = std::make_unique<dd::SharedIndexStore>(budget_mib << 20, dir);
  } else {
    std::fprintf(stderr, "unknown store %s (rocksdb, memory or index)\n", kind.c_str());
    return 2;
  }
  const long rss0 = RssKiB();

  // Apply, in batches of 300 records.
  double c0 = CpuSeconds();
  std::vector<dd::Mutation> batch;
  double longest_s = 0;
  for (uint64_t i = 0; i < n; ++i) {
    batch.push_back({in::DocKey(i), in::EncodeDoc(docs[i])});
    if (batch.size() == 300 || i + 1 == n) {
      const auto t = std::chrono::steady_clock::now();
      // The worker's path: the in-memory stores' ApplyDocuments, ApplyChangelog for the others.
      auto* idx = dynamic_cast<dd::IndexMemoryStore*>(store.get());
      auto* sh = dynamic_cast<dd::SharedIndexStore*>(store.get());
      const copydesk::Status st = idx  ? idx->ApplyDocuments(batch)
                                  : sh ? sh->ApplyDocuments(batch)
                                       : dd::ApplyChangelog(*store, batch, false);
      if (!st.ok()) {
        std::fprintf(stderr, "apply: %s\n", st.error().reason.c_str());
        return 1;
      }
      longest_s =
          std::max(longest_s, std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
      batch.clear();
    }
  }
  const double apply_s = CpuSeconds() - c0;
  const long rss1 = RssKiB();

  // Reads: per probe, 20 bucket scans (even probes: an indexed document's buckets; odd: new ones)
  // and a Get of each document found.
  const uint64_t probes = std::min<uint64_t>(n, 50'000);
  std::mt19937_64 pick(7);
  uint64_t found = 0;
  c0 = CpuSeconds();
  for (uint64_t k = 0; k < probes; ++k) {
    const in::DocRecord probe = k % 2 == 0 ? docs[pick() % n] : RandomDoc(n + k, pick);
    std::vector<uint64_t> cands;
    for (int b = 0; b < in::kBands; ++b) {
      const std::string prefix = in::BandPrefix(b, in::BandHash(probe.signature, b));
      (void)store->Scan(prefix, "", [&](std::string_view key, std::string_view) {
        cands.push_back(in::BandEntryDoc(key));
        return cands.size() < 64;
      });
    }
    for (uint64_t doc : cands) {
      auto r = store->Get(in::DocKey(doc));
      found += r.ok() && r.value().has_value();
    }
  }
  const double read_s = CpuSeconds() - c0;
  std::printf(
      "store=%s docs=%llu apply=%.2f us/doc reads=%.2f us/probe (%llu docs found) rss_added=%.1f MiB\n",
      kind.c_str(), static_cast<unsigned long long>(n), 1e6 * apply_s / static_cast<double>(n),
      1e6 * read_s / static_cast<double>(probes), static_cast<unsigned long long>(found),
      static_cast<double>(rss1 - rss0) / 1024.0);
  std::printf("longest apply of 300 documents: %.1f ms\n", 1e3 * longest_s);
  if (auto* sh = dynamic_cast<dd::SharedIndexStore*>(store.get()))
    std::printf("%s\n", sh->TakeReport().c_str());
  if (auto* idx = dynamic_cast<dd::IndexMemoryStore*>(store.get()))
    std::printf("index store: %zu band entries, %zu other keys, ~%.1f MiB by its own estimate\n",
                idx->band_entries(), idx->other_keys(),
                static_cast<double>(idx->ApproximateMemoryBytes()) / 1048576.0);
  return 0;
}
