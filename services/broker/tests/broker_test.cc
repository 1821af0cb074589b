#include "broker/broker.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "common/kafka.h"

namespace copydesk::broker {
namespace {

using namespace std::chrono_literals;

TEST(EmbeddedBroker, ProducesAndConsumesThroughTheKafkaProtocol) {
  auto b = EmbeddedBroker::Start({.brokers = 1, .partitions = 2, .topics = {{"t", 0}}});
  ASSERT_TRUE(b.ok()) << b.error().reason;
  auto& broker = *b.value();
  EXPECT_NE(broker.bootstrap().find("127.0.0.1:"), std::string::npos);

  auto p = kafka::Producer::Create({{"bootstrap.servers", broker.bootstrap()}});
  ASSERT_TRUE(p.ok()) << p.error().reason;
  kafka::Record r;
  r.topic = "t";
  r.partition = 1;
  r.key = "k";
  r.value = "hello";
  r.headers = {{"content-type", "text/plain"}};
  ASSERT_TRUE(p.value()->Send(r).ok());
  ASSERT_TRUE(p.value()->Flush(10s).ok());

  auto c = kafka::Consumer::Create({{"bootstrap.servers", broker.bootstrap()},
                                    {"group.id", "g"},
                                    {"enable.auto.commit", "false"},
                                    {"fetch.wait.max.ms", "10"}});
  ASSERT_TRUE(c.ok()) << c.error().reason;
  ASSERT_TRUE(c.value()->Assign({{"t", 1, 0}}).ok());
  std::optional<kafka::Record> got;
  for (int i = 0; i < 100 && !got; ++i) {
    auto polled = c.value()->Poll(100ms);
    ASSERT_TRUE(polled.ok()) << polled.error().reason;
    got = polled.value();
  }
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->value, "hello");
  EXPECT_EQ(got->key, "k");
  EXPECT_EQ(got->HeaderValue("content-type"), "text/plain");
  EXPECT_EQ(got->partition, 1);
  EXPECT_EQ(got->offset, 0);

  // With enable.partition.eof, reaching the end is reported with the end offset (what a state
  // restore waits for: the last offsets may be transaction markers, never delivered).
  auto e = kafka::Consumer::Create({{"bootstrap.servers", broker.bootstrap()},
                                    {"fetch.wait.max.ms", "10"},
                                    {"enable.partition.eof", "true"}});
  ASSERT_TRUE(e.ok()) << e.error().reason;
  ASSERT_TRUE(e.value()->Assign({{"t", 1, 0}}).ok());
  std::optional<kafka::TopicPartitionOffset> end;
  int records = 0;
  for (int i = 0; i < 100 && !end; ++i) {
    auto polled = e.value()->Poll(100ms);
    ASSERT_TRUE(polled.ok()) << polled.error().reason;
    if (polled.value()) {
      ++records;
      EXPECT_FALSE(e.value()->TakeEndOfPartition().has_value()) << "a record is not the end";
    } else {
      end = e.value()->TakeEndOfPartition();
    }
  }
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(records, 1);
  EXPECT_EQ(end->topic, "t");
  EXPECT_EQ(end->partition, 1);
  EXPECT_EQ(end->offset, 1);
  EXPECT_FALSE(e.value()->TakeEndOfPartition().has_value()) << "taken once";
}

TEST(EmbeddedBroker, CreatesTheCopydeskTopicsWithTheConfiguredPartitions) {
  auto b = EmbeddedBroker::Start({.brokers = 3, .partitions = 5, .topics = {}});
  ASSERT_TRUE(b.ok()) << b.error().reason;
  auto p = kafka::Producer::Create({{"bootstrap.servers", b.value()->bootstrap()}});
  ASSERT_TRUE(p.ok());
  for (const auto& t : DefaultTopics()) {
    auto n = kafka::PartitionCount(p.value()->raw(), t.name);
    ASSERT_TRUE(n.ok()) << n.error().reason;
    EXPECT_EQ(n.value(), 5) << t.name;
  }
}

TEST(EmbeddedBroker, ControlCommandsValidateTheirArguments) {
  auto b = EmbeddedBroker::Start({.brokers = 3, .partitions = 1, .topics = {{"t", 0}}});
  ASSERT_TRUE(b.ok());
  auto& broker = *b.value();
  EXPECT_EQ(broker.Control("broker-down 2"), "ok broker-down 2");
  EXPECT_EQ(broker.Control("broker-up 2"), "ok broker-up 2");
  EXPECT_EQ(broker.Control("broker-down 9").rfind("error: no broker 9", 0), 0u);
  EXPECT_EQ(broker.Control("request-errors Produce 3 NOT_LEADER_FOR_PARTITION"), "ok request-errors Produce");
  EXPECT_EQ(broker.Control("request-errors Nope 3 NOT_LEADER_FOR_PARTITION").rfind("error: unknown API", 0),
            0u);
  EXPECT_EQ(broker.Control("request-errors Fetch 3 NO_SUCH_ERROR").rfind("error: unknown Kafka error", 0),
            0u);
  EXPECT_EQ(broker.Control("clear-errors Produce"), "ok clear-errors Produce");
  EXPECT_EQ(broker.Control("rtt 1 50"), "ok rtt 1 50");
  EXPECT_EQ(broker.Control("coordinator group g 3"), "ok coordinator group g 3");
  EXPECT_EQ(broker.Control("coordinator queue g 3").rfind("error: coordinator type", 0), 0u);
  EXPECT_EQ(broker.Control("leader t 0").rfind("error: usage", 0), 0u);
  // A leader change is what clients see in the metadata.
  for (int32_t id : {2, 3}) {
    EXPECT_EQ(broker.Control("leader t 0 " + std::to_string(id)), "ok leader t 0 " + std::to_string(id));
    auto p = kafka::Producer::Create({{"bootstrap.servers", broker.bootstrap()}});
    ASSERT_TRUE(p.ok());
    const rd_kafka_metadata_t* md = nullptr;
    ASSERT_EQ(rd_kafka_metadata(p.value()->raw(), 1, nullptr, &md, 5000), RD_KAFKA_RESP_ERR_NO_ERROR);
    int32_t leader = -1;
    for (int i = 0; i < md->topic_cnt; ++i) {
      if (std::string(md->topics[i].topic) == "t" && md->topics[i].partition_cnt > 0) {
        leader = md->topics[i].partitions[0].leader;
      }
    }
    rd_kafka_metadata_destroy(md);
    EXPECT_EQ(leader, id);
  }
  EXPECT_EQ(broker.Control("frobnicate").rfind("error: unknown command", 0), 0u);
}

TEST(ControlServer, AnswersOverLoopbackTcp) {
  auto b = EmbeddedBroker::Start({.brokers = 1, .partitions = 1, .topics = {{"t", 0}}});
  ASSERT_TRUE(b.ok());
  auto s = ControlServer::Start(*b.value(), "127.0.0.1:0");
  ASSERT_TRUE(s.ok()) << s.error().reason;
  std::string addr = s.value()->address();
  int port = std::stoi(addr.substr(addr.rfind(':') + 1));
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  std::string cmd = "bootstrap\n";
  ASSERT_EQ(write(fd, cmd.data(), cmd.size()), static_cast<ssize_t>(cmd.size()));
  char buf[256];
  std::string reply;
  while (reply.find('\n') == std::string::npos) {
    ssize_t n = read(fd, buf, sizeof buf);
    ASSERT_GT(n, 0);
    reply.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  EXPECT_EQ(reply, "ok " + b.value()->bootstrap() + "\n");
}

}  // namespace
}  // namespace copydesk::broker
