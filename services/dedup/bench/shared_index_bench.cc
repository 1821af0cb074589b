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
#include <optional>
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

struct Args {
  uint64_t docs = 100'000;
  std::string kind = "index";
  std::string dir = "/tmp/copydesk-shared-index-bench";
  uint64_t budget_mib = 128;
};

// nullopt after a usage error (printed); `exit_code` 0 for --help.
std::optional<Args> ParseArgs(int argc, char** argv, int* exit_code) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--docs" && i + 1 < argc) {
      args.docs = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--store" && i + 1 < argc) {
      args.kind = argv[++i];
    } else if (a == "--budget-mib" && i + 1 < argc) {
      args.budget_mib = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--dir" && i + 1 < argc) {
      args.dir = argv[++i];
    } else {
      std::fprintf(
          stderr,
          "usage: shared_index_bench [--docs N] [--store rocksdb|memory|index|shared] [--budget-mib N] "
          "[--dir PATH]\n");
      *exit_code = a == "--help" ? 0 : 2;
      return std::nullopt;
    }
  }
  return args;
}

std::unique_ptr<dd::StateStore> OpenStore(const Args& args) {
  if (args.kind == "rocksdb") {
    (void)dd::RocksDbStateStore::Destroy(args.dir);
    dd::RocksDbOptions o;
    o.disable_wal = true;  // as the worker opens it
    auto opened = dd::RocksDbStateStore::Open(args.dir, o);
    if (!opened.ok()) {
      std::fprintf(stderr, "%s\n", opened.error().reason.c_str());
      return nullptr;
    }
    return std::move(opened.value());
  }
  if (args.kind == "memory") return std::make_unique<dd::MemoryStateStore>(dd::kDedupScannedPrefixes);
  if (args.kind == "index") return std::make_unique<dd::IndexMemoryStore>();
  if (args.kind == "shared") {
    (void)dd::RocksDbStateStore::Destroy(args.dir);
    return std::make_unique<dd::SharedIndexStore>(args.budget_mib << 20, args.dir);
  }
  std::fprintf(stderr, "unknown store %s (rocksdb, memory, index or shared)\n", args.kind.c_str());
  return nullptr;
}

// Applies the documents as the worker applies the index topic: batches of 300 records, the
// in-memory stores' ApplyDocuments, ApplyChangelog for the others. The longest batch, in seconds;
// negative on failure.
double ApplyAll(dd::StateStore& store, const std::vector<in::DocRecord>& docs) {
  std::vector<dd::Mutation> batch;
  double longest_s = 0;
  auto* idx = dynamic_cast<dd::IndexMemoryStore*>(&store);
  auto* sh = dynamic_cast<dd::SharedIndexStore*>(&store);
  for (uint64_t i = 0; i < docs.size(); ++i) {
    batch.push_back({in::DocKey(i), in::EncodeDoc(docs[i])});
    if (batch.size() < 300 && i + 1 < docs.size()) continue;
    const auto t = std::chrono::steady_clock::now();
    const copydesk::Status st = idx  ? idx->ApplyDocuments(batch)
                                : sh ? sh->ApplyDocuments(batch)
                                     : dd::ApplyChangelog(store, batch, false);
    if (!st.ok()) {
      std::fprintf(stderr, "apply: %s\n", st.error().reason.c_str());
      return -1;
    }
    longest_s =
        std::max(longest_s, std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
    batch.clear();
  }
  return longest_s;
}

// A decision's reads, `probes` times: 20 bucket scans (even probes: an indexed document's
// buckets; odd: new ones) and a Get of each document found. The documents found.
uint64_t Probe(const dd::StateStore& store, const std::vector<in::DocRecord>& docs, uint64_t probes) {
  std::mt19937_64 pick(7);
  uint64_t found = 0;
  const uint64_t n = docs.size();
  for (uint64_t k = 0; k < probes; ++k) {
    const in::DocRecord probe = k % 2 == 0 ? docs[pick() % n] : RandomDoc(n + k, pick);
    std::vector<uint64_t> cands;
    for (int b = 0; b < in::kBands; ++b) {
      const std::string prefix = in::BandPrefix(b, in::BandHash(probe.signature, b));
      (void)store.Scan(prefix, "", [&](std::string_view key, std::string_view) {
        cands.push_back(in::BandEntryDoc(key));
        return cands.size() < 64;
      });
    }
    for (uint64_t doc : cands) {
      auto r = store.Get(in::DocKey(doc));
      found += r.ok() && r.value().has_value();
    }
  }
  return found;
}

void PrintStoreReport(dd::StateStore& store) {
  if (auto* sh = dynamic_cast<dd::SharedIndexStore*>(&store)) std::printf("%s\n", sh->TakeReport().c_str());
  if (auto* idx = dynamic_cast<dd::IndexMemoryStore*>(&store))
    std::printf("index store: %zu band entries, %zu other keys, ~%.1f MiB by its own estimate\n",
                idx->band_entries(), idx->other_keys(),
                static_cast<double>(idx->ApproximateMemoryBytes()) / 1048576.0);
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  auto args = ParseArgs(argc, argv, &exit_code);
  if (!args) return exit_code;
  const uint64_t n = args->docs;
  std::mt19937_64 rng(42);
  std::vector<in::DocRecord> docs;
  docs.reserve(n);
  for (uint64_t i = 0; i < n; ++i) docs.push_back(RandomDoc(i, rng));
  std::unique_ptr<dd::StateStore> store = OpenStore(*args);
  if (!store) return 2;
  const long rss0 = RssKiB();
  double c0 = CpuSeconds();
  const double longest_s = ApplyAll(*store, docs);
  if (longest_s < 0) return 1;
  const double apply_s = CpuSeconds() - c0;
  const long rss1 = RssKiB();
  const uint64_t probes = std::min<uint64_t>(n, 50'000);
  c0 = CpuSeconds();
  const uint64_t found = Probe(*store, docs, probes);
  const double read_s = CpuSeconds() - c0;
  std::printf(
      "store=%s docs=%llu apply=%.2f us/doc reads=%.2f us/probe (%llu docs found) rss_added=%.1f MiB\n",
      args->kind.c_str(), static_cast<unsigned long long>(n), 1e6 * apply_s / static_cast<double>(n),
      1e6 * read_s / static_cast<double>(probes), static_cast<unsigned long long>(found),
      static_cast<double>(rss1 - rss0) / 1024.0);
  std::printf("longest apply of 300 documents: %.1f ms\n", 1e3 * longest_s);
  PrintStoreReport(*store);
  return 0;
}
