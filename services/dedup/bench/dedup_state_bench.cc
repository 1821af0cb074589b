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
#include <optional>
#include <random>
#include <string>

#include "dedup/bench/bench_util.h"
#include "dedup/dedup.h"
#include "dedup/partition_store.h"
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

struct Args {
  uint64_t stories = 1'000'000;
  std::string dir = "/tmp/copydesk-dedup-bench";
  bool memory = false;
  size_t cache_mib = 64;
  uint64_t bands_budget_mib = 128;
};

std::optional<Args> ParseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--stories" && i + 1 < argc) {
      args.stories = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--dir" && i + 1 < argc) {
      args.dir = argv[++i];
    } else if (a == "--memory") {
      args.memory = true;
    } else if (a == "--cache-mib" && i + 1 < argc) {
      args.cache_mib = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--bands-budget-mib" && i + 1 < argc) {
      args.bands_budget_mib = std::strtoull(argv[++i], nullptr, 10);
    } else {
      return std::nullopt;
    }
  }
  return args;
}

constexpr int64_t kT0 = 1'700'000'000'000;

// The benchmark's phases over one store: fill it with new stories, probe the read path, reopen.
class StateBench {
 public:
  explicit StateBench(Args args) : args_(std::move(args)) {}

  bool Open() {
    if (args_.memory) {
      store_ = std::make_unique<copydesk::dedup::MemoryStateStore>(copydesk::dedup::kDedupScannedPrefixes);
    } else {
      (void)copydesk::dedup::RocksDbStateStore::Destroy(args_.dir);
      copydesk::dedup::RocksDbOptions o;
      o.block_cache_bytes = args_.cache_mib << 20;
      auto opened = copydesk::dedup::RocksDbStateStore::Open(args_.dir, o);
      if (!opened.ok()) return Fail(opened.error().reason);
      rocks_ = opened.value().get();
      auto wrapped = copydesk::dedup::PartitionStore::Open(std::move(opened.value()));
      if (!wrapped.ok()) return Fail(wrapped.error().reason);
      partition_ = wrapped.value().get();
      store_ = std::move(wrapped.value());
    }
    dedup_ = std::make_unique<copydesk::dedup::Deduper>(copydesk::dedup::Config{}, *store_);
    std::printf("store=%s stories=%llu bands_budget=%llu MiB rss_start=%.1f MiB\n",
                args_.memory ? "memory" : "rocksdb (PartitionStore)",
                static_cast<unsigned long long>(args_.stories),
                static_cast<unsigned long long>(args_.bands_budget_mib), RssKiB() / 1024.0);
    return true;
  }

  // New stories, all inside the 7-day window so that every index entry stays live.
  bool Fill() {
    std::mt19937_64 rng(42);
    const auto start = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < args_.stories; ++i) {
      copydesk::dedup::EventContext ctx{0, static_cast<int64_t>(i), kT0 + static_cast<int64_t>(i) * 100, ""};
      if (!Decide(Synthetic(i, rng), ctx, i)) return Fail("decide failed at " + std::to_string(i));
      if ((i + 1) % 100000 == 0 || i + 1 == args_.stories) PrintProgress(i + 1, start);
    }
    return true;
  }

  // Read path: updates of random earlier stories and new stories with fresh signatures.
  bool Probe() {
    std::mt19937_64 pick(7);
    uint64_t updates = 0, fresh = 0;
    const uint64_t n = args_.stories;
    const uint64_t probes = std::min<uint64_t>(n, 20000);
    const auto start = std::chrono::steady_clock::now();
    for (uint64_t k = 0; k < probes; ++k) {
      const uint64_t i = pick() % n;
      // Every other probe carries story i's guid with new content (an update); the others a
      // fresh guid and signature (new).
      copydesk::dedup::EventContext ctx{0, static_cast<int64_t>(n + k), kT0 + static_cast<int64_t>(n) * 100,
                                        ""};
      auto a = Synthetic(n + k, pick);
      if (k % 2 == 0) a.mutable_provenance()->set_guid("urn:synthetic:" + std::to_string(i));
      copydesk::v1::Decision decision{};
      if (!Decide(a, ctx, k, &decision)) return Fail("probe failed");
      updates += decision == copydesk::v1::DECISION_UPDATE;
      fresh += decision == copydesk::v1::DECISION_NEW;
    }
    const double rs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const long rss = RssKiB();
    peak_ = std::max(peak_, rss);
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    std::printf(
        "probes=%llu (updates %llu, new %llu) rate=%.0f/s rss=%.1f MiB peak_sampled=%.1f MiB maxrss=%.1f "
        "MiB\n",
        static_cast<unsigned long long>(probes), static_cast<unsigned long long>(updates),
        static_cast<unsigned long long>(fresh), static_cast<double>(probes) / rs, rss / 1024.0,
        peak_ / 1024.0, ru.ru_maxrss / 1024.0);
    return true;
  }

  // What a worker pays when it opens the partition again: the band entries rebuilt from the
  // documents on disk.
  bool Reopen() {
    if (partition_ == nullptr || !partition_->bands_in_memory()) return true;
    dedup_.reset();
    store_.reset();
    const auto t = std::chrono::steady_clock::now();
    auto reopened = copydesk::dedup::RocksDbStateStore::Open(args_.dir);
    if (!reopened.ok()) return Fail(reopened.error().reason);
    auto again = copydesk::dedup::PartitionStore::Open(std::move(reopened.value()));
    if (!again.ok()) return Fail(again.error().reason);
    std::printf("reopened: %zu band entries rebuilt in %.2f s\n", again.value()->band_entries(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
    return true;
  }

 private:
  static bool Fail(const std::string& why) {
    std::fprintf(stderr, "%s\n", why.c_str());
    return false;
  }

  // Decides and applies one article; every 500, the worker's band budget check.
  bool Decide(const copydesk::v1::Article& a, const copydesk::dedup::EventContext& ctx, uint64_t i,
              copydesk::v1::Decision* decision = nullptr) {
    auto d = dedup_->Decide(a, ctx, &batch_);
    if (!d.ok() || !dedup_->Apply(batch_).ok()) return false;
    if (decision != nullptr) *decision = d->decision;
    return (i + 1) % 500 != 0 || KeepBandsInBudget();
  }

  // As the worker at each commit: the band entries move before the next 500 stories' 10,000
  // entries could take them past the budget.
  bool KeepBandsInBudget() {
    if (partition_ == nullptr || !partition_->bands_in_memory() ||
        partition_->MemoryBytesAfterAdding(500 * copydesk::dedup::kBandsPerDocument) <=
            (args_.bands_budget_mib << 20))
      return true;
    const auto t = std::chrono::steady_clock::now();
    const long rss_before = RssKiB();
    const uint64_t bytes = partition_->memory_bytes();
    const size_t entries = partition_->band_entries();
    if (!partition_->MoveBandsToBase().ok()) return false;
    std::printf(
        "band entries moved to RocksDB: %zu entries, %.1f MiB, %.2f s; rss before %.1f MiB, after %.1f MiB\n",
        entries, bytes / 1048576.0,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count(), rss_before / 1024.0,
        RssKiB() / 1024.0);
    return true;
  }

  void PrintProgress(uint64_t stories, std::chrono::steady_clock::time_point start) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const long rss = RssKiB();
    peak_ = std::max(peak_, rss);
    std::printf("stories=%llu rss=%.1f MiB rate=%.0f/s", static_cast<unsigned long long>(stories),
                rss / 1024.0, static_cast<double>(stories) / s);
    if (rocks_ != nullptr)
      std::printf(" rocksdb_mem=%.1f MiB disk=%.0f MiB bands_in_memory=%.1f MiB",
                  rocks_->ApproximateMemoryBytes() / 1048576.0, DirBytes(args_.dir) / 1048576.0,
                  partition_->memory_bytes() / 1048576.0);
    std::printf("\n");
    std::fflush(stdout);
  }

  Args args_;
  std::unique_ptr<copydesk::dedup::StateStore> store_;
  copydesk::dedup::RocksDbStateStore* rocks_ = nullptr;
  copydesk::dedup::PartitionStore* partition_ = nullptr;
  std::unique_ptr<copydesk::dedup::Deduper> dedup_;
  copydesk::dedup::MutationBatch batch_;
  long peak_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  auto args = ParseArgs(argc, argv);
  if (!args) {
    std::fprintf(stderr,
                 "usage: dedup_state_bench [--stories N] [--dir PATH] [--memory] [--cache-mib N] "
                 "[--bands-budget-mib N]\n");
    return 2;
  }
  StateBench bench(std::move(*args));
  return bench.Open() && bench.Fill() && bench.Probe() && bench.Reopen() ? 0 : 1;
}
