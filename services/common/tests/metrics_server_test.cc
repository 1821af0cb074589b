// The operational HTTP endpoint against hostile clients and hostile label values, over real
// sockets on loopback.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/http_server.h"
#include "common/metrics.h"
#include "common/text.h"

namespace copydesk {
namespace {

using namespace std::chrono_literals;

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

struct HttpResult {
  int status = 0;
  std::string body;
  std::chrono::milliseconds took{0};
};

// One request on a new connection; reads until the server closes it (at most 20 s).
HttpResult Request(int port, const std::string& request) {
  const auto t0 = std::chrono::steady_clock::now();
  HttpResult r;
  int fd = Connect(port);
  if (fd < 0) return r;
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) {
    ::close(fd);
    return r;
  }
  std::string resp;
  char buf[65536];
  pollfd p{fd, POLLIN, 0};
  while (::poll(&p, 1, 20000) > 0) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    resp.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  r.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  if (resp.rfind("HTTP/1.1 ", 0) == 0) r.status = std::stoi(resp.substr(9, 3));
  auto body = resp.find("\r\n\r\n");
  if (body != std::string::npos) r.body = resp.substr(body + 4);
  return r;
}

HttpResult Get(int port, const std::string& path) {
  return Request(port, "GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n");
}

// Clients that never finish a request: `idle` connect and send nothing, `slow` send a request
// head one byte at a time, never ending it.
class HostileClients {
 public:
  HostileClients(int port, int idle, int slow) {
    for (int i = 0; i < idle; ++i) fds_.push_back(Connect(port));
    for (int i = 0; i < slow; ++i) {
      int fd = Connect(port);
      const std::string start = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
      if (::send(fd, start.data(), start.size(), MSG_NOSIGNAL) < 0) {
        // Counted as an idle connection then.
      }
      slow_.push_back(fd);
    }
    dripper_ = std::thread([this] {
      while (!stop_.load()) {
        for (int fd : slow_) {
          if (::send(fd, "X", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
            // The server closed it: the hostile client does not care.
          }
        }
        std::this_thread::sleep_for(100ms);
      }
    });
  }
  ~HostileClients() {
    stop_.store(true);
    dripper_.join();
    for (int fd : fds_) ::close(fd);
    for (int fd : slow_) ::close(fd);
  }
  [[nodiscard]] int opened() const {
    int n = 0;
    for (int fd : fds_) n += fd >= 0;
    for (int fd : slow_) n += fd >= 0;
    return n;
  }

 private:
  std::vector<int> fds_;
  std::vector<int> slow_;
  std::atomic<bool> stop_{false};
  std::thread dripper_;
};

TEST(MetricsServer, ScrapeAnswersWithin1sWith50IdleAnd50SlowConnections) {
  metrics::Server server("127.0.0.1:0");
  metrics::IngestMetrics m(server.registry());
  m.consumed.Get("html").Increment();
  HostileClients hostile(server.port(), 50, 50);
  ASSERT_EQ(hostile.opened(), 100);
  std::this_thread::sleep_for(300ms);  // the slow ones are mid-request
  int64_t slowest = 0;
  for (int i = 0; i < 5; ++i) {
    HttpResult r = Get(server.port(), "/metrics");
    slowest = std::max<int64_t>(slowest, r.took.count());
    EXPECT_EQ(r.status, 200);
    EXPECT_LT(r.took.count(), 1000) << "scrape " << i << " took " << r.took.count() << " ms";
    EXPECT_NE(r.body.find("copydesk_ingest_events_consumed_total{format=\"html\"} 1"), std::string::npos);
  }
  HttpResult live = Get(server.port(), "/livez");
  EXPECT_EQ(live.status, 200);
  EXPECT_LT(live.took.count(), 1000);
  std::cout << "slowest of 5 scrapes with 50 idle and 50 slow-loris connections: " << slowest << " ms\n";
}

TEST(MetricsServer, MoreConnectionsThanTheLimitDoNotBlockAScrape) {
  metrics::Server server("127.0.0.1:0");
  HostileClients hostile(server.port(), 400, 0);  // the server keeps 256 at most
  ASSERT_EQ(hostile.opened(), 400);
  HttpResult r = Get(server.port(), "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_LT(r.took.count(), 1000);
  EXPECT_NE(r.body.find("copydesk_build_info"), std::string::npos);
}

TEST(MetricsServer, StopsPromptlyWithClientsConnected) {
  auto server = std::make_unique<metrics::Server>("127.0.0.1:0");
  HostileClients hostile(server->port(), 20, 20);
  ASSERT_EQ(Get(server->port(), "/metrics").status, 200);
  const auto t0 = std::chrono::steady_clock::now();
  server.reset();  // a process's shutdown: the thread wakes on its eventfd, closes everything
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  std::cout << "metrics server stopped in " << took.count() << " ms with 40 clients connected\n";
  EXPECT_LT(took.count(), 1000);
}

TEST(HttpServer, SlowRequestIsClosedAtItsDeadline) {
  http::ServerOptions o;
  o.request_timeout = 300ms;
  auto s = http::Server::Start("127.0.0.1:0",
                               {{"/x",
                                 [] {
                                   return http::Response{200, "text/plain", "x"};
                                 }}},
                               o);
  ASSERT_TRUE(s.ok()) << s.error().reason;
  int fd = Connect(s.value()->port());
  ASSERT_GE(fd, 0);
  ASSERT_GT(::send(fd, "GET /x HTTP/1.1\r\n", 17, MSG_NOSIGNAL), 0);
  const auto t0 = std::chrono::steady_clock::now();
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  char buf[16];
  EXPECT_EQ(::recv(fd, buf, sizeof buf, 0), 0) << "closed without an answer";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  ::close(fd);
}

TEST(HttpServer, RoutesMethodsAndQueries) {
  auto s = http::Server::Start("127.0.0.1:0", {{"/x", [] {
                                                  return http::Response{200, "text/plain", "body"};
                                                }}});
  ASSERT_TRUE(s.ok()) << s.error().reason;
  const int port = s.value()->port();
  EXPECT_EQ(Get(port, "/x").body, "body");
  EXPECT_EQ(Get(port, "/x?verbose=1").status, 200);
  EXPECT_EQ(Get(port, "/nope").status, 404);
  HttpResult head = Request(port, "HEAD /x HTTP/1.1\r\n\r\n");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(Request(port, "POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n").status, 405);
  EXPECT_EQ(Request(port, "garbage\r\n\r\n").status, 400);
  EXPECT_EQ(Request(port, "GET /x HTTP/1.0\n\n").status, 200) << "bare newlines";
  EXPECT_EQ(Request(port, "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n").status, 431);
}

TEST(HttpServer, BindFailureIsAnError) {
  auto a = http::Server::Start("127.0.0.1:0", {});
  ASSERT_TRUE(a.ok());
  auto b = http::Server::Start("127.0.0.1:" + std::to_string(a.value()->port()), {});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().reason.find("cannot listen"), std::string::npos);
  EXPECT_FALSE(http::Server::Start("no-port", {}).ok());
}

TEST(MetricsServer, ProbesFollowTheHealthRegistry) {
  FakeClock clock(0);
  metrics::Server server("127.0.0.1:0", clock);
  EXPECT_EQ(Get(server.port(), "/livez").status, 200);
  EXPECT_EQ(Get(server.port(), "/healthz").status, 200);
  EXPECT_EQ(Get(server.port(), "/readyz").status, 200);
  auto hb = server.health().AddHeartbeat("ingest poll loop", 30s);
  auto ready = server.health().AddReadiness("partitions", "no partitions assigned yet");
  HttpResult r = Get(server.port(), "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "partitions: no partitions assigned yet\n");
  ready->SetReady();
  EXPECT_EQ(Get(server.port(), "/readyz").status, 200);
  clock.Advance(31000);  // the loop wedged
  r = Get(server.port(), "/livez");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("ingest poll loop"), std::string::npos);
  EXPECT_EQ(Get(server.port(), "/healthz").status, 503);
  EXPECT_EQ(Get(server.port(), "/readyz").status, 503);
  EXPECT_EQ(Get(server.port(), "/metrics").status, 200) << "metrics stay available";
  hb->Beat();
  EXPECT_EQ(Get(server.port(), "/livez").status, 200);
}

// Every label value of a scrape: valid UTF-8, bounded.
void ExpectCleanLabels(const std::string& scrape) {
  size_t pos = 0;
  int values = 0;
  while ((pos = scrape.find("=\"", pos)) != std::string::npos) {
    size_t end = pos + 2;
    std::string value;
    while (end < scrape.size() && scrape[end] != '"') {
      if (scrape[end] == '\\') ++end;  // an escaped character
      value += scrape[end++];
    }
    EXPECT_TRUE(text::IsValidUtf8(value)) << value;
    EXPECT_LE(value.size(), metrics::kMaxLabelValueBytes) << value;
    ++values;
    pos = end;
  }
  EXPECT_GT(values, 0);
  EXPECT_TRUE(text::IsValidUtf8(scrape));
}

TEST(Labels, SanitizeLabelValue) {
  EXPECT_EQ(metrics::SanitizeLabelValue("reuters"), "reuters");
  EXPECT_EQ(metrics::SanitizeLabelValue("p\xFF"), "p\xEF\xBF\xBD");
  EXPECT_EQ(metrics::SanitizeLabelValue("a\nb"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(metrics::SanitizeLabelValue("caf\xC3\xA9"), "caf\xC3\xA9");
  const std::string big(1 << 20, 'x');
  const std::string cut = metrics::SanitizeLabelValue(big);
  EXPECT_EQ(cut.size(), metrics::kMaxLabelValueBytes);
  EXPECT_EQ(cut.substr(cut.size() - 3), "...");
  std::string euros;
  for (int i = 0; i < 100; ++i) euros += "\xE2\x82\xAC";
  EXPECT_TRUE(text::IsValidUtf8(metrics::SanitizeLabelValue(euros)));
  EXPECT_LE(metrics::SanitizeLabelValue(euros).size(), metrics::kMaxLabelValueBytes);
}

TEST(Labels, CardinalityIsCappedWithOther) {
  metrics::Server server("127.0.0.1:0");
  metrics::IngestMetrics m(server.registry());
  for (int i = 0; i < 2000; ++i) m.provider_last_article.Get("provider-" + std::to_string(i)).Set(i);
  EXPECT_EQ(m.provider_last_article.size(), metrics::kDefaultMaxLabelValues + 1);
  EXPECT_EQ(&m.provider_last_article.Get("provider-1999"), &m.provider_last_article.Get("provider-5000"));
  EXPECT_NE(&m.provider_last_article.Get("provider-0"), &m.provider_last_article.Get("provider-5000"));
  const std::string scrape = server.Scrape();
  size_t series = 0;
  for (size_t pos = 0; (pos = scrape.find("copydesk_ingest_provider_last_article_timestamp_seconds{", pos)) !=
                       std::string::npos;
       ++pos) {
    ++series;
  }
  EXPECT_EQ(series, metrics::kDefaultMaxLabelValues + 1);
  EXPECT_NE(scrape.find("provider=\"other\""), std::string::npos);
}

TEST(Labels, HostileValuesNeverReachAScrape) {
  metrics::Server server("127.0.0.1:0");
  metrics::IngestMetrics m(server.registry());
  m.provider_last_article.Get("p\xFF").Set(1);
  m.provider_last_article.Get(std::string(1 << 20, 'c')).Set(2);
  m.dead_letters.Get("line\nbreak\"quote\\").Increment();
  // A family used without Labelled is sanitized when served.
  auto& raw = prometheus::BuildCounter().Name("test_raw_total").Help("raw").Register(server.registry());
  raw.Add({{"v", "bad\xC0\xAF"}}).Increment();
  HttpResult r = Get(server.port(), "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_LT(r.body.size(), 64u * 1024) << "no 1 MiB label";
  ExpectCleanLabels(r.body);
  EXPECT_NE(r.body.find("provider=\"p\xEF\xBF\xBD\""), std::string::npos);
  EXPECT_NE(r.body.find("test_raw_total{v=\"bad\xEF\xBF\xBD\xEF\xBF\xBD\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace copydesk
