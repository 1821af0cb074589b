// Memory and throughput of the dedup state: decides N synthetic new stories (all inside the
// near-duplicate window, so every index entry stays live) through Deduper + a state store, the
// worker's path, and prints RSS as it goes. Then decides redeliveries and near-duplicates of
// random earlier stories (the read path) and prints RSS again.
//
//   dedup_state_bench [--stories N] [--dir PATH] [--memory] [--cache-mib N] [--bands-budget-mib N]
//
// On RocksDB the store is the worker's: a PartitionStore, its band entries in memory until they
// outgrow --bands-budget-mib (default 128, the worker's dedup.partition_bands_memory_mib; checked
// every 500 stories, as the worker checks at each commit), then moved into RocksDB. A budget of 0
// moves them at once.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "dedup/bench/bench_util.h"
#include "dedup/dedup.h"
#include "dedup/partition_store.h"
#include "dedup/records.h"
#include "dedup/rocksdb_store.h"
#include "normalize/fingerprint.h"

namespace {

using copydesk::dedup::bench::RssKiB;

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  return total;
}

// A synthetic article: random signature, hashes and three short paragraphs.
copydesk::v1::Article Synthetic(uint64_t i, std::mt19937_64& rng) {
  copydesk::v1::Article a;
  a.mutable_provenance()->set_provider(i % 3 == 0 ? "Reuters" : (i % 3 == 1 ? "AP" : "AFP"));
  a.mutable_provenance()->set_guid("urn:synthetic:" + std::to_string(i));
  a.set_headline("Headline " + std::to_string(i));
  for (int p = 0; p < 3; ++p) {
    auto* b = a.add_body();
    b->set_type(copydesk::v1::BLOCK_TYPE_PARAGRAPH);
    b->set_text("Paragraph " + std::to_string(p) + " of story " + std::to_string(i));
  }
  auto* fp = a.mutable_fingerprints();
  fp->set_headline_hash(rng());
  fp->set_body_hash(rng());
  fp->set_content_hash(rng());
  for (int k = 0; k < copydesk::normalize::kMinHashSize; ++k) fp->add_minhash(static_cast<uint32_t>(rng()));
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t n = 1'000'000;
  std::string dir = "/tmp/copydesk-dedup-bench";
  bool memory = false;
  size_t cache_mib = 64;
  uint64_t bands_budget_mib = 128;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--stories" && i + 1 < argc)
      n = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--dir" && i + 1 < argc)
      dir = argv[++i];
    else if (a == "--memory")
      memory = true;
    else if (a == "--cache-mib" && i + 1 < argc)
      cache_mib = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--bands-budget-mib" && i + 1 < argc)
      bands_budget_mib = std::strtoull(argv[++i], nullptr, 10);
    else {
      std::fprintf(stderr,
                   "usage: dedup_state_bench [--stories N] [--dir PATH] [--memory] [--cache-mib N] "
                   "[--bands-budget-mib N]\n");
      return 2;
    }
  }
  std::unique_ptr<copydesk::dedup::StateStore> store;
  copydesk::dedup::RocksDbStateStore* rocks = nullptr;
  copydesk::dedup::PartitionStore* partition = nullptr;
  if (memory) {
    store = std::make_unique<copydesk::dedup::MemoryStateStore>(copydesk::dedup::kDedupScannedPrefixes);
  } else {
    (void)copydesk::dedup::RocksDbStateStore::Destroy(dir);
    copydesk::dedup::RocksDbOptions o;
    o.block_cache_bytes = cache_mib << 20;
    auto opened = copydesk::dedup::RocksDbStateStore::Open(dir, o);
    if (!opened.ok()) {
      std::fprintf(stderr, "%s\n", opened.error().reason.c_str());
      return 1;
    }
    rocks = opened.value().get();
    auto wrapped = copydesk::dedup::PartitionStore::Open(std::move(opened.value()));
    if (!wrapped.ok()) {
      std::fprintf(stderr, "%s\n", wrapped.error().reason.c_str());
      return 1;
    }
    partition = wrapped.value().get();
    store = std::move(wrapped.value());
  }
  // The worker's check at each commit.
  auto keep_bands_in_budget = [&] {
    // As the worker: moved before the next 500 stories' 10,000 entries could take it past the budget.
    if (partition == nullptr || !partition->bands_in_memory() ||
        partition->MemoryBytesAfterAdding(500 * copydesk::dedup::internal::kBands) <=
            (bands_budget_mib << 20))
      return true;
    const auto t = std::chrono::steady_clock::now();
    const long rss_before = RssKiB();
    const uint64_t bytes = partition->memory_bytes();
    const size_t entries = partition->band_entries();
    if (!partition->MoveBandsToBase().ok()) return false;
    std::printf(
        "band entries moved to RocksDB: %zu entries, %.1f MiB, %.2f s; rss before %.1f MiB, after %.1f MiB\n",
        entries, bytes / 1048576.0,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count(), rss_before / 1024.0,
        RssKiB() / 1024.0);
    return true;
  };
  copydesk::dedup::Config cfg;  // 7-day window; all stories below fall inside it
  copydesk::dedup::Deduper dedup(cfg, *store);
  std::printf("store=%s stories=%llu bands_budget=%llu MiB rss_start=%.1f MiB\n",
              memory ? "memory" : "rocksdb (PartitionStore)", static_cast<unsigned long long>(n),
              static_cast<unsigned long long>(bands_budget_mib), RssKiB() / 1024.0);
  std::mt19937_64 rng(42);
  const int64_t t0 = 1'700'000'000'000;
  copydesk::dedup::MutationBatch batch;
  auto start = std::chrono::steady_clock::now();
  long peak = 0;
  for (uint64_t i = 0; i < n; ++i) {
    auto a = Synthetic(i, rng);
    copydesk::dedup::EventContext ctx{0, static_cast<int64_t>(i), t0 + static_cast<int64_t>(i) * 100, ""};
    auto d = dedup.Decide(a, ctx, &batch);
    if (!d.ok() || !dedup.Apply(batch).ok() || ((i + 1) % 500 == 0 && !keep_bands_in_budget())) {
      std::fprintf(stderr, "decide failed at %llu\n", static_cast<unsigned long long>(i));
      return 1;
    }
    if ((i + 1) % 100000 == 0 || i + 1 == n) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const long rss = RssKiB();
      peak = std::max(peak, rss);
      std::printf("stories=%llu rss=%.1f MiB rate=%.0f/s", static_cast<unsigned long long>(i) + 1,
                  rss / 1024.0, static_cast<double>(i + 1) / s);
      if (rocks)
        std::printf(" rocksdb_mem=%.1f MiB disk=%.0f MiB bands_in_memory=%.1f MiB",
                    rocks->ApproximateMemoryBytes() / 1048576.0, DirBytes(dir) / 1048576.0,
                    partition->memory_bytes() / 1048576.0);
      std::printf("\n");
      std::fflush(stdout);
    }
  }
  // Read path: redeliveries and near-duplicates of random earlier stories.
  std::mt19937_64 pick(7);
  uint64_t redeliveries = 0, duplicates = 0;
  const uint64_t probes = std::min<uint64_t>(n, 20000);
  auto rstart = std::chrono::steady_clock::now();
  for (uint64_t k = 0; k < probes; ++k) {
    const uint64_t i = pick() % n;
    std::mt19937_64 regen(42);
    // Regenerating story i from the seed is O(i); instead vary the probe: re-decide a fresh
    // article carrying story i's guid (a content change = update) every other probe, and a copy
    // with a fresh guid and a known signature (duplicate) otherwise.
    copydesk::dedup::EventContext ctx{0, static_cast<int64_t>(n + k), t0 + static_cast<int64_t>(n) * 100, ""};
    auto a = Synthetic(n + k, pick);
    if (k % 2 == 0) a.mutable_provenance()->set_guid("urn:synthetic:" + std::to_string(i));
    auto d = dedup.Decide(a, ctx, &batch);
    if (!d.ok() || !dedup.Apply(batch).ok() || ((k + 1) % 500 == 0 && !keep_bands_in_budget())) return 1;
    redeliveries += d->decision == copydesk::v1::DECISION_UPDATE;
    duplicates += d->decision == copydesk::v1::DECISION_NEW;
    (void)regen;
  }
  const double rs = std::chrono::duration<double>(std::chrono::steady_clock::now() - rstart).count();
  const long rss = RssKiB();
  peak = std::max(peak, rss);
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  std::printf(
      "probes=%llu (updates %llu, new %llu) rate=%.0f/s rss=%.1f MiB peak_sampled=%.1f MiB maxrss=%.1f MiB\n",
      static_cast<unsigned long long>(probes), static_cast<unsigned long long>(redeliveries),
      static_cast<unsigned long long>(duplicates), static_cast<double>(probes) / rs, rss / 1024.0,
      peak / 1024.0, ru.ru_maxrss / 1024.0);
  if (partition != nullptr && partition->bands_in_memory()) {
    // What a worker pays when it opens the partition again: the band entries rebuilt from the
    // documents on disk.
    store.reset();
    const auto t = std::chrono::steady_clock::now();
    auto reopened = copydesk::dedup::RocksDbStateStore::Open(dir);
    if (!reopened.ok()) return 1;
    auto again = copydesk::dedup::PartitionStore::Open(std::move(reopened.value()));
    if (!again.ok()) return 1;
    std::printf("reopened: %zu band entries rebuilt in %.2f s\n", again.value()->band_entries(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
  }
  return 0;
}
