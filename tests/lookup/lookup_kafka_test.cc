// The lookup service against an in-process embedded broker: events produced with a real Kafka
// client come out of gRPC GetArticle; a restart resumes; a fresh broker triggers a rebuild.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <thread>

#include "broker/broker.h"
#include "common/kafka.h"
#include "copydesk/v1/lookup.grpc.pb.h"
#include "lookup/service.h"
#include "lookup/tests/fixtures.h"

namespace copydesk::lookup {
namespace {

using testing::MakeEvent;
using testing::TempDir;

constexpr const char* kTopic = "news.article-events.v1";

std::unique_ptr<broker::EmbeddedBroker> NewBroker() {
  broker::BrokerOptions o;
  o.brokers = 1;
  o.partitions = 3;
  o.topics = {{kTopic, 3}};
  auto b = broker::EmbeddedBroker::Start(o);
  EXPECT_TRUE(b.ok()) << (b.ok() ? "" : b.error().reason);
  return std::move(*b);
}

// Produces events keyed by story id; returns the watermark after them.
v1::Watermark Produce(const std::string& bootstrap, const std::vector<v1::ArticleEvent>& events) {
  auto p = kafka::Producer::Create({{"bootstrap.servers", bootstrap}, {"linger.ms", "5"}});
  EXPECT_TRUE(p.ok());
  for (const auto& ev : events) {
    kafka::Record r;
    r.topic = kTopic;
    r.key = ev.story_id();
    r.value = ev.SerializeAsString();
    EXPECT_TRUE((*p)->Send(r).ok());
  }
  EXPECT_TRUE((*p)->Flush(std::chrono::seconds(10)).ok());
  v1::Watermark wm;
  for (int part = 0; part < 3; ++part) {
    auto marks = kafka::Watermarks((*p)->raw(), kTopic, part);
    EXPECT_TRUE(marks.ok());
    (*wm.mutable_offsets())[part] = marks->second;
  }
  return wm;
}

grpc::Status Get(int port, const std::string& id, const v1::Watermark& wm, v1::GetArticleResponse* resp) {
  auto stub = v1::Lookup::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::GetArticleRequest req;
  req.set_story_id(id);
  *req.mutable_read()->mutable_min_watermark() = wm;
  return stub->GetArticle(&ctx, req, resp);
}

// Waits up to 10 s for the view to catch up with the topic (health SERVING).
bool CaughtUp(const LookupService& svc) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!svc.sync().caught_up() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return svc.sync().caught_up();
}

std::unique_ptr<LookupService> StartLookup(const std::string& bootstrap, const std::string& dir,
                                           prometheus::Registry& reg) {
  LookupOptions o;
  o.brokers = bootstrap;
  o.data_dir = dir;
  o.server.address = "127.0.0.1:0";
  auto s = LookupService::Start(o, reg);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().reason);
  return std::move(*s);
}

TEST(LookupKafka, ServesProducedEventsResumesAndRebuilds) {
  TempDir dir;
  prometheus::Registry reg;
  auto broker = NewBroker();
  // Declared before `svc` so that the service (its consumer) always stops before the broker it
  // reads goes away, also when an assertion returns early: a consumer whose broker vanished
  // blocks in librdkafka's watermark queries for up to socket.timeout.ms.
  std::unique_ptr<broker::EmbeddedBroker> fresh;
  std::vector<v1::ArticleEvent> events;
  events.reserve(31);
  for (int i = 0; i < 30; ++i) events.push_back(MakeEvent({.story = "story-" + std::to_string(i)}));
  events.push_back(
      MakeEvent({.story = "story-1", .version = 2, .kind = v1::EVENT_KIND_UPDATED, .headline = "v2"}));
  events.push_back(events[3]);  // a re-delivery
  auto wm = Produce(broker->bootstrap(), events);

  auto svc = StartLookup(broker->bootstrap(), dir.path(), reg);
  v1::GetArticleResponse resp;
  auto st = Get(svc->grpc_port(), "story-1", wm, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.article().headline(), "v2");
  EXPECT_EQ(svc->store().story_count(), 30u);
  EXPECT_EQ(svc->store().version_count(), 31u);
  svc->Stop();
  svc.reset();

  // Restart on the same broker: resumes from the stored offsets, no rebuild.
  auto wm2 = Produce(broker->bootstrap(), {MakeEvent({.story = "after-restart"})});
  svc = StartLookup(broker->bootstrap(), dir.path(), reg);
  st = Get(svc->grpc_port(), "after-restart", wm2, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(svc->sync().rebuilds(), 0);
  EXPECT_EQ(svc->store().story_count(), 31u);
  svc->Stop();
  svc.reset();

  // A fresh broker (another cluster): the stored offsets mean nothing there -> rebuild.
  broker.reset();
  fresh = NewBroker();
  auto wm3 = Produce(fresh->bootstrap(), {MakeEvent({.story = "fresh-only"})});
  svc = StartLookup(fresh->bootstrap(), dir.path(), reg);
  st = Get(svc->grpc_port(), "fresh-only", wm3, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(svc->sync().rebuilds(), 1);
  ASSERT_TRUE(CaughtUp(*svc));
  EXPECT_EQ(svc->sync().behind(), 0);
  EXPECT_EQ(Get(svc->grpc_port(), "story-1", wm3, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(svc->store().story_count(), 1u);
  svc->Stop();
  svc.reset();
}

}  // namespace
}  // namespace copydesk::lookup

namespace copydesk::lookup {
namespace {

// The broker goes away under a running service: Stop() still returns (the feed thread must not
// stay blocked in librdkafka's metadata/watermark queries).
TEST(LookupKafka, StopsWhenTheBrokerIsGone) {
  TempDir dir;
  prometheus::Registry reg;
  auto broker = NewBroker();
  auto wm = Produce(broker->bootstrap(), {MakeEvent({.story = "a"})});
  auto svc = StartLookup(broker->bootstrap(), dir.path(), reg);
  v1::GetArticleResponse resp;
  ASSERT_TRUE(Get(svc->grpc_port(), "a", wm, &resp).ok());
  ASSERT_TRUE(CaughtUp(*svc));
  broker.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the feed notices and re-attaches
  // Losing the broker keeps the view (stale, not wrong): still serving.
  EXPECT_TRUE(svc->sync().caught_up());
  const auto t0 = std::chrono::steady_clock::now();
  svc->Stop();
  std::cout << "Stop() after the broker went away took "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n";
  svc.reset();
}

// The broker goes away while the feed is attaching (its metadata/watermark queries block for up
// to their 5 s timeouts): Stop() returns after that call instead of retrying (this hung the
// rebuild test for minutes when the broker was destroyed before the service).
TEST(LookupKafka, StopsWhenTheBrokerIsGoneDuringAttach) {
  TempDir dir;
  prometheus::Registry reg;
  auto broker = NewBroker();
  (void)Produce(broker->bootstrap(), {MakeEvent({.story = "a"})});
  for (int delay_ms : {0, 20}) {
    auto svc = StartLookup(broker->bootstrap(), dir.path(), reg);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    auto b2 = NewBroker();
    std::swap(broker, b2);
    b2.reset();  // the old one goes away while the feed attaches to it
    const auto t0 = std::chrono::steady_clock::now();
    svc->Stop();
    std::cout << "delay " << delay_ms << " ms: Stop() took "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n";
  }
}

}  // namespace
}  // namespace copydesk::lookup
