// `copydesk bench lookup`: loads N synthetic stories through Kafka into a fresh view (timing the
// rebuild from the topic), then drives GetArticle with an asynchronous gRPC client
// (CompletionQueue, a fixed number of calls in flight) and prints calls/s and latency quantiles.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "broker/broker.h"
#include "cli/commands.h"
#include "cli/config_flags.h"
#include "cli/signals.h"
#include "common/kafka.h"
#include "copydesk/v1/lookup.grpc.pb.h"
#include "lookup/service.h"

namespace copydesk::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchFlags {
  int stories = 100000;
  int partitions = 64;  // the embedded broker keeps at most ~5 MiB and 100k records per partition
  double duration_s = 10;
  int inflight = 40;
  int client_threads = 2;
  int body_words = 80;
  std::string brokers;  // empty: an embedded broker in this process
  ConfigFlags config;   // kafka.property.* for --brokers
  std::string topic = "copydesk.bench.article-events";
  std::string grpc;  // empty: serve the view in this process
  std::string data_dir;
  bool keep = false;
  bool parse = false;  // parse every response in the client (GetArticleResponse)
  bool warm = true;    // fill the hot cache before serving
  bool reuse = false;  // serve the view already in --data-dir when it holds --stories stories
  std::string listen;  // serve only, on this address, until SIGINT/SIGTERM (no load)
  int server_pid = 0;  // with --grpc: a server process whose CPU time is reported per call
};

// CPU seconds (user + system) a process has used so far, from /proc/PID/stat; -1 if unknown.
double ProcessCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto rparen = stat.rfind(')');
  if (rparen == std::string::npos) return -1;
  std::istringstream rest(stat.substr(rparen + 2));
  std::string field;
  double utime = 0, stime = 0;
  // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double RssBytes() {
  std::ifstream in("/proc/self/statm");
  long pages = 0, rss = 0;
  in >> pages >> rss;
  return static_cast<double>(rss) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

// CPU seconds (user + system) this process has used so far.
double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// The 1-minute load average: how busy the machine was (other processes share the cores).
std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one;
}

std::string Mib(double bytes) {
  std::ostringstream ss;
  ss << std::fixed << std::setprecision(1) << bytes / (1024.0 * 1024.0) << " MiB";
  return ss.str();
}

std::string StoryId(int i) {
  return "bench-" + std::to_string(i);
}

v1::ArticleEvent SyntheticEvent(int i, int body_words, std::mt19937_64& rng) {
  static const char* kWords[] = {"government", "market", "city",  "council", "report", "police", "election",
                                 "minister",   "storm",  "court", "budget",  "school", "health", "energy"};
  v1::ArticleEvent ev;
  ev.set_kind(v1::EVENT_KIND_CREATED);
  ev.set_story_id(StoryId(i));
  ev.set_version(1);
  ev.mutable_event_time()->set_seconds(1'700'000'000 + i);
  v1::Article& a = *ev.mutable_article();
  a.set_uri(StoryId(i));
  a.set_version(1);
  a.set_headline("Synthetic story number " + std::to_string(i) + " about the " + kWords[i % 14]);
  a.mutable_versioncreated()->set_seconds(1'700'000'000 + i);
  a.set_language("en");
  a.add_section_path(i % 2 ? "World" : "Business");
  a.mutable_provenance()->set_provider(i % 3 ? "reuters" : "ap");
  a.set_canonical_url("https://bench.example/story/" + std::to_string(i));
  a.add_urls(a.canonical_url());
  std::string body;
  for (int w = 0; w < body_words; ++w) {
    body += kWords[rng() % 14];
    body += ' ';
  }
  auto* block = a.add_body();
  block->set_type(v1::BLOCK_TYPE_PARAGRAPH);
  block->set_text(body);
  a.set_body_text(body);
  a.set_word_count(static_cast<uint32_t>(body_words));
  for (int k = 0; k < 128; ++k) a.mutable_fingerprints()->add_minhash(static_cast<uint32_t>(rng()));
  a.mutable_fingerprints()->set_simhash(rng());
  return ev;
}

// Drives GetArticle with `inflight` calls outstanding on one CompletionQueue per thread. The
// requests are serialized up front and the calls go through the generic (ByteBuffer) stub, so
// the client does not parse the ~2 KiB responses unless --parse is given: the figure is the
// server's, not the load generator's protobuf decoding.
struct LoadResult {
  uint64_t ok = 0;
  uint64_t failed = 0;
  uint64_t response_bytes = 0;
  std::vector<double> latencies_us;
};

// One client thread of RunLoad: keeps calls in flight on its own channel and CompletionQueue
// until `end`, recording into `r`.
void DriveCalls(const std::string& target, const BenchFlags& f, int t,
                const std::vector<grpc::Slice>& requests, Clock::time_point end, LoadResult& r) {
  const std::string method = "/copydesk.v1.Lookup/GetArticle";
  // Each thread has its own channel (its own connection) so the client can use both cores.
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetInt("copydesk.bench.channel", t);
  auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  std::mt19937_64 rng(static_cast<uint64_t>(t) + 1);
  struct Call {
    grpc::ClientContext ctx;
    grpc::ByteBuffer resp;
    grpc::Status status;
    Clock::time_point start;
    std::unique_ptr<grpc::GenericClientAsyncResponseReader> rpc;
  };
  auto issue = [&] {
    auto* c = new Call();
    const grpc::ByteBuffer req(&requests[rng() % requests.size()], 1);
    c->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    c->start = Clock::now();
    c->rpc = stub.PrepareUnaryCall(&c->ctx, method, req, &cq);
    c->rpc->StartCall();
    c->rpc->Finish(&c->resp, &c->status, c);
  };
  const int per_thread = std::max(1, f.inflight / f.client_threads);
  for (int i = 0; i < per_thread; ++i) issue();
  int outstanding = per_thread;
  r.latencies_us.reserve(1 << 20);
  void* tag = nullptr;
  bool ok = false;
  v1::GetArticleResponse parsed;
  while (outstanding > 0 && cq.Next(&tag, &ok)) {
    auto* c = static_cast<Call*>(tag);
    const auto now = Clock::now();
    bool good = ok && c->status.ok() && c->resp.Length() > 0;
    if (good && f.parse) {
      grpc::Slice slice;
      good = c->resp.DumpToSingleSlice(&slice).ok() &&
             parsed.ParseFromArray(slice.begin(), static_cast<int>(slice.size())) &&
             !parsed.article().uri().empty();
    }
    if (good) {
      ++r.ok;
      r.response_bytes += c->resp.Length();
      r.latencies_us.push_back(std::chrono::duration<double, std::micro>(now - c->start).count());
    } else {
      ++r.failed;
    }
    delete c;
    --outstanding;
    if (now < end) {
      issue();
      ++outstanding;
    }
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

LoadResult RunLoad(const std::string& target, const BenchFlags& f) {
  // One serialized GetArticleRequest per story, shared by every thread (slices are refcounted).
  std::vector<grpc::Slice> requests;
  requests.reserve(static_cast<size_t>(f.stories));
  for (int i = 0; i < f.stories; ++i) {
    v1::GetArticleRequest req;
    req.set_story_id(StoryId(i));
    requests.emplace_back(req.SerializeAsString());
  }
  std::vector<std::thread> threads;
  std::vector<LoadResult> results(static_cast<size_t>(f.client_threads));
  const auto end = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(f.duration_s * 1000));
  threads.reserve(static_cast<size_t>(f.client_threads));
  for (int t = 0; t < f.client_threads; ++t) {
    threads.emplace_back(
        [&, t] { DriveCalls(target, f, t, requests, end, results[static_cast<size_t>(t)]); });
  }
  for (auto& th : threads) th.join();
  LoadResult all;
  for (auto& r : results) {
    all.ok += r.ok;
    all.failed += r.failed;
    all.response_bytes += r.response_bytes;
    all.latencies_us.insert(all.latencies_us.end(), r.latencies_us.begin(), r.latencies_us.end());
  }
  return all;
}

double Quantile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

// One `bench lookup` run. RunBenchLookup calls the steps in the order below (each when it
// applies); they share the broker, view, feed, server and metrics set up on the way. A step that
// can fail returns 0 to go on, else the exit code.
struct LookupBench {
  LookupBench(BenchFlags& flags, kafka::Properties extra_props) : f(flags), extra(std::move(extra_props)) {}

  // --reuse: opens the view already in --data-dir when it holds at least --stories stories.
  bool ReuseView() {
    bool reused = false;
    if (target.empty() && f.reuse && !own_dir && std::filesystem::exists(dir)) {
      lookup::ViewStore::Options so;
      so.dir = dir;
      auto s = lookup::ViewStore::Open(so);
      if (s.ok() && (*s)->story_count() >= static_cast<uint64_t>(f.stories)) {
        store = std::move(*s);
        reused = true;
        std::cout << "reusing the view in " << dir << ": " << store->story_count() << " stories, disk "
                  << Mib(static_cast<double>(store->DiskBytes())) << "\n";
      }
    }
    return reused;
  }

  // 1. Loads --stories synthetic stories into the topic (an embedded broker unless --brokers).
  int LoadTopic() {
    brokers = f.brokers;
    if (brokers.empty()) {
      broker::BrokerOptions bo;
      bo.brokers = 1;
      bo.partitions = f.partitions;
      bo.topics = {{f.topic, f.partitions}};
      auto b = broker::EmbeddedBroker::Start(bo);
      if (!b.ok()) {
        std::cerr << "copydesk bench lookup: " << b.error().reason << "\n";
        return 1;
      }
      embedded = std::move(*b);
      brokers = embedded->bootstrap();
    }
    // 1. Load N synthetic stories into the topic.
    kafka::Properties pprops{
        {"linger.ms", "20"}, {"batch.num.messages", "2000"}, {"queue.buffering.max.messages", "200000"}};
    for (const auto& [k, v] : extra) pprops[k] = v;
    pprops["bootstrap.servers"] = brokers;
    auto producer = kafka::Producer::Create(pprops);
    if (!producer.ok()) {
      std::cerr << "copydesk bench lookup: " << producer.error().reason << "\n";
      return 1;
    }
    std::mt19937_64 rng(42);
    const auto t_load = Clock::now();
    uint64_t bytes = 0;
    for (int i = 0; i < f.stories; ++i) {
      kafka::Record r;
      r.topic = f.topic;
      r.key = StoryId(i);
      r.value = SyntheticEvent(i, f.body_words, rng).SerializeAsString();
      bytes += r.value->size();
      if (!(*producer)->Send(r).ok()) {
        std::cerr << "copydesk bench lookup: produce failed\n";
        return 1;
      }
      if (i % 5000 == 4999) (void)(*producer)->Flush(std::chrono::seconds(60));
    }
    Status st = (*producer)->Flush(std::chrono::seconds(120));
    if (!st.ok()) {
      std::cerr << "copydesk bench lookup: " << st.error().reason << "\n";
      return 1;
    }
    const double load_s = std::chrono::duration<double>(Clock::now() - t_load).count();
    std::cout << "loaded " << f.stories << " ArticleEvents (" << Mib(static_cast<double>(bytes)) << ") into "
              << f.topic << " (" << f.partitions << " partitions) in " << std::fixed << std::setprecision(2)
              << load_s << " s\n";
    for (int p = 0; p < f.partitions; ++p) {
      auto m = kafka::Watermarks((*producer)->raw(), f.topic, p);
      if (m.ok()) {
        target_wm[p] = m->second;
        total_hi += m->second;
      }
    }
    producer->reset();
    return 0;
  }

  // 2. Rebuilds a fresh view from the topic, timed, then compacts it.
  int RebuildView() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    lookup::ViewStore::Options so;
    so.dir = dir;
    auto s = lookup::ViewStore::Open(so);
    if (!s.ok()) {
      std::cerr << "copydesk bench lookup: " << s.error().reason << "\n";
      return 1;
    }
    store = std::move(*s);
    lookup::ViewSyncOptions vo;
    vo.brokers = brokers;
    vo.kafka = extra;
    vo.topic = f.topic;
    const double rss_before = RssBytes();
    const double cpu_rebuild = CpuSeconds();
    const auto t_rebuild = Clock::now();
    sync = std::make_unique<lookup::ViewSync>(vo, *store, *metrics);
    sync->Start();
    if (!store->WaitFor(target_wm, Clock::now() + std::chrono::minutes(10), {})) {
      std::cerr << "copydesk bench lookup: the view did not catch up within 10 minutes\n";
      return 1;
    }
    const double rebuild_s = std::chrono::duration<double>(Clock::now() - t_rebuild).count();
    std::cout << "rebuilt the view from the topic: " << total_hi << " records, " << store->story_count()
              << " stories in " << std::setprecision(2) << rebuild_s << " s ("
              << static_cast<int64_t>(static_cast<double>(total_hi) / rebuild_s) << " records/s; "
              << std::setprecision(1) << CpuSeconds() - cpu_rebuild << " CPU s, "
              << static_cast<int64_t>(static_cast<double>(total_hi) / (CpuSeconds() - cpu_rebuild))
              << " records per CPU second)\n";
    std::cout << "view: disk " << Mib(static_cast<double>(store->DiskBytes())) << " (" << dir
              << "), RocksDB memory (memtables + table readers + block cache) "
              << Mib(static_cast<double>(store->MemoryBytes())) << ", process RSS " << Mib(RssBytes())
              << " (+" << Mib(RssBytes() - rss_before) << " during the rebuild)\n";
    if (store->story_count() != static_cast<uint64_t>(f.stories)) {
      std::cerr << "warning: the view holds " << store->story_count() << " stories, expected " << f.stories
                << " (the embedded broker keeps about 5 MiB per partition; raise --partitions)\n";
    }
    // Serve only: stop the feed and the embedded broker (they would otherwise poll in this
    // process during the load), and compact so background compactions do not run during it.
    sync->Stop();
    embedded.reset();
    const auto t_compact = Clock::now();
    store->CompactAll();
    std::cout << "compacted the view in " << std::setprecision(2)
              << std::chrono::duration<double>(Clock::now() - t_compact).count() << " s: disk "
              << Mib(static_cast<double>(store->DiskBytes())) << "\n";
    return 0;
  }

  // Fills the server's hot cache before the load (--warm).
  void WarmHotCache() {
    // Fill the server's hot cache of latest articles (as a long-running server's would be).
    const auto t_warm = Clock::now();
    for (int i = 0; i < f.stories; ++i) (void)store->Latest(StoryId(i));
    const auto hc = store->hot_cache_stats();
    std::cout << "warmed the hot cache in " << std::setprecision(2)
              << std::chrono::duration<double>(Clock::now() - t_warm).count() << " s: " << hc.entries
              << " stories, " << Mib(static_cast<double>(hc.bytes)) << "\n";
  }

  // Serves the view in this process (on --listen, else any free port) and targets it.
  int StartServer() {
    lookup::ServerOptions o;
    o.address = f.listen.empty() ? "127.0.0.1:0" : f.listen;
    auto srv = lookup::LookupServer::Start(o, *store, *metrics);
    if (!srv.ok()) {
      std::cerr << "copydesk bench lookup: " << srv.error().reason << "\n";
      return 1;
    }
    server = std::move(*srv);
    target = "127.0.0.1:" + std::to_string(server->port());
    return 0;
  }

  // --listen: serves the view until SIGINT/SIGTERM. Returns the exit code.
  int ServeOnly() {
    // Serve only (the client runs in another process: `bench lookup --grpc ADDR --server-pid PID`).
    auto& stop = InstallStopSignals();
    std::cout << "serving the view on port " << server->port() << " (pid " << getpid()
              << "); SIGINT/SIGTERM stops" << std::endl;
    const double cpu0 = CpuSeconds();
    while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::cout << "server CPU while serving: " << std::setprecision(2) << CpuSeconds() - cpu0 << " s\n";
    server->Stop();
    store.reset();
    return 0;
  }

  // 3. Drives the load against `target` and prints the figures. Returns the exit code.
  int MeasureLoad() {
    // 3. Load: warm up for a second, then measure.
    BenchFlags warm = f;
    warm.duration_s = 1;
    (void)RunLoad(target, warm);
    const std::string load_before = LoadAverage();
    const double cpu_load = CpuSeconds();
    const double server_cpu0 = f.server_pid > 0 ? ProcessCpuSeconds(f.server_pid) : -1;
    auto r = RunLoad(target, f);
    const double cpu_used = CpuSeconds() - cpu_load;
    const double server_cpu = f.server_pid > 0 ? ProcessCpuSeconds(f.server_pid) - server_cpu0 : -1;
    const double rate = static_cast<double>(r.ok) / f.duration_s;
    std::cout << "GetArticle against " << target << ": " << f.inflight << " in flight, " << f.client_threads
              << " client thread(s), " << f.duration_s << " s\n"
              << "  calls/s " << static_cast<int64_t>(rate) << " (ok " << r.ok << ", failed " << r.failed
              << "; " << (r.ok ? r.response_bytes / r.ok : 0) << " response bytes per call"
              << (f.parse ? ", parsed by the client" : ", not parsed by the client") << ")\n"
              << std::setprecision(3) << "  latency ms p50 " << Quantile(r.latencies_us, 0.50) / 1000
              << "  p99 " << Quantile(r.latencies_us, 0.99) / 1000 << "  p999 "
              << Quantile(r.latencies_us, 0.999) / 1000 << "\n"
              << std::setprecision(1) << "  CPU: " << cpu_used << " s for " << r.ok
              << " calls = " << (cpu_used > 0 ? static_cast<double>(r.ok) / cpu_used : 0.0)
              << " calls per CPU second"
              << (server ? " (client and server in this process)" : " (client only)")
              << "; load average before the run " << load_before << " on "
              << std::thread::hardware_concurrency() << " cores\n"
              << (server_cpu >= 0 ? "  server (pid " + std::to_string(f.server_pid) +
                                        ") CPU: " + std::to_string(server_cpu) + " s = " +
                                        std::to_string(static_cast<int64_t>(static_cast<double>(r.ok) /
                                                                            std::max(server_cpu, 1e-9))) +
                                        " calls per server CPU second\n"
                                  : std::string())
              << "  target: >= 20000 calls/s and p99 <= 5 ms: "
              << (rate >= 20000 && Quantile(r.latencies_us, 0.99) <= 5000 ? "met" : "NOT met") << "\n";
    if (store) {
      const auto hc = store->hot_cache_stats();
      std::cout << "  hot cache: " << hc.entries << " stories, " << Mib(static_cast<double>(hc.bytes))
                << ", hits " << hc.hits << ", misses " << hc.misses << "\n";
    }
    if (server) server->Stop();
    if (sync) sync->Stop();
    store.reset();
    if (own_dir && !f.keep) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
    return r.ok > 0 ? 0 : 1;
  }

  BenchFlags& f;
  const kafka::Properties extra;  // kafka.property.* for --brokers
  std::string brokers;            // bootstrap of the loaded topic
  lookup::Offsets target_wm;      // its high watermarks after the load
  int64_t total_hi = 0;           // their sum: the records the rebuild applies
  std::string target;
  std::unique_ptr<broker::EmbeddedBroker> embedded;
  std::unique_ptr<lookup::ViewStore> store;
  std::unique_ptr<lookup::ViewSync> sync;
  std::unique_ptr<lookup::LookupServer> server;
  prometheus::Registry registry;
  std::unique_ptr<lookup::LookupMetrics> metrics;
  std::string dir;
  bool own_dir = false;
};

int RunBenchLookup(BenchFlags& f) {
  // kafka.property.* (security, ...) apply to a cluster given with --brokers.
  KafkaConfig kafka_config;
  ConfigSchema schema;
  kafka_config.Describe(schema);
  int code = 0;
  if (!LoadConfig(schema, f.config, "bench lookup", &code)) return code;
  if (f.brokers.empty()) f.brokers = kafka_config.brokers;
  const kafka::Properties extra = f.brokers.empty() ? kafka::Properties{} : kafka_config.properties;
  if (f.stories <= 0 || f.inflight <= 0 || f.client_threads <= 0) {
    std::cerr << "copydesk bench lookup: --stories, --inflight and --client-threads must be positive\n";
    return 2;
  }
  if (!f.listen.empty() && !f.grpc.empty()) {
    std::cerr << "copydesk bench lookup: --listen serves a view; --grpc drives another server: pick one\n";
    return 2;
  }
  std::cout << std::fixed << std::setprecision(2);
  LookupBench b(f, extra);
  b.target = f.grpc;
  b.dir = f.data_dir;
  b.own_dir = b.dir.empty();
  if (b.own_dir)
    b.dir = (std::filesystem::temp_directory_path() / ("copydesk-bench-lookup-" + std::to_string(getpid())))
                .string();

  b.metrics = std::make_unique<lookup::LookupMetrics>(b.registry);
  const bool reused = b.ReuseView();
  if (b.target.empty() && !reused) {
    if (int rc = b.LoadTopic(); rc != 0) return rc;
    if (int rc = b.RebuildView(); rc != 0) return rc;
  }
  if (b.target.empty() && f.warm) b.WarmHotCache();
  if (b.target.empty()) {
    if (int rc = b.StartServer(); rc != 0) return rc;
  }
  if (!f.listen.empty()) return b.ServeOnly();
  return b.MeasureLoad();
}

}  // namespace

void RegisterBench(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Benchmarks that print figures (see tests/bench/).");
  bench->require_subcommand(1);
  auto f = std::make_shared<BenchFlags>();
  auto* lk = bench->add_subcommand(
      "lookup",
      "Load N synthetic stories into the events topic (an embedded broker unless --brokers), rebuild a\n"
      "fresh view from it (timed), warm the hot cache, serve it in-process and drive GetArticle with an\n"
      "asynchronous gRPC client (CompletionQueue, generic stub, pre-serialized requests). Prints calls/s,\n"
      "latency p50/p99/p999, CPU per call, the view's disk and memory and the rebuild time.\n"
      "Separate processes: `--data-dir D --reuse --listen ADDR` serves a view until SIGTERM;\n"
      "`--grpc ADDR --server-pid PID` only drives it (ids bench-0..N-1) and reports the server's CPU.\n"
      "tests/bench/lookup_bench.sh runs both.");
  lk->add_option("--stories", f->stories, "stories to load and query")->capture_default_str();
  lk->add_option("--partitions", f->partitions, "partitions of the embedded topic")->capture_default_str();
  lk->add_option("--duration", f->duration_s, "seconds of measured load")->capture_default_str();
  lk->add_option("--inflight", f->inflight, "calls in flight")->capture_default_str();
  lk->add_option("--client-threads", f->client_threads, "client threads (one CompletionQueue each)")
      ->capture_default_str();
  lk->add_option("--body-words", f->body_words, "words per synthetic body")->capture_default_str();
  lk->add_option("--brokers", f->brokers, "use this Kafka instead of an embedded broker");
  AddConfigFlags(lk, f->config);  // kafka.property.* for --brokers
  lk->add_option("--topic", f->topic, "topic to load")->capture_default_str();
  lk->add_option("--grpc", f->grpc, "drive an existing lookup server instead (skips loading)");
  lk->add_option("--data-dir", f->data_dir, "view directory (default: a temporary one, removed)");
  lk->add_flag("--keep", f->keep, "keep the temporary view directory");
  lk->add_flag("--parse", f->parse, "parse every response into a GetArticleResponse in the client");
  lk->add_flag("--warm,!--no-warm", f->warm,
               "fill the server's hot cache of latest articles before the load (default; --no-warm: start\n"
               "cold)");
  lk->add_flag("--reuse", f->reuse,
               "with --data-dir: serve the view already there when it holds at least --stories stories\n"
               "(skips loading and rebuilding)");
  lk->add_option("--listen", f->listen,
                 "serve the view on this address until SIGINT/SIGTERM and drive no load (run the client\n"
                 "in another process with --grpc ADDR --server-pid PID)");
  lk->add_option("--server-pid", f->server_pid,
                 "with --grpc: report this server process's CPU time per call during the measured load");
  lk->callback([f] { SetExitCode(RunBenchLookup(*f)); });
}

}  // namespace copydesk::cli
