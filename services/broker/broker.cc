#include "broker/broker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace copydesk::broker {
namespace {

const std::map<std::string, int16_t>& ApiKeys() {
  static const std::map<std::string, int16_t> keys = {{"Produce", 0},          {"Fetch", 1},
                                                      {"ListOffsets", 2},      {"Metadata", 3},
                                                      {"OffsetCommit", 8},     {"OffsetFetch", 9},
                                                      {"FindCoordinator", 10}, {"JoinGroup", 11},
                                                      {"Heartbeat", 12},       {"LeaveGroup", 13},
                                                      {"SyncGroup", 14},       {"ApiVersions", 18},
                                                      {"InitProducerId", 22},  {"AddPartitionsToTxn", 24},
                                                      {"AddOffsetsToTxn", 25}, {"EndTxn", 26},
                                                      {"TxnOffsetCommit", 28}};
  return keys;
}

Result<int16_t> ParseApi(const std::string& api) {
  auto it = ApiKeys().find(api);
  if (it != ApiKeys().end()) return it->second;
  char* end = nullptr;
  long v = std::strtol(api.c_str(), &end, 10);
  if (end && *end == '\0' && !api.empty() && v >= 0 && v < 100) return static_cast<int16_t>(v);
  std::string names;
  for (const auto& [k, _] : ApiKeys()) names += (names.empty() ? "" : ", ") + k;
  return Error{v1::ERROR_CODE_INTERNAL, "unknown API '" + api + "' (one of: " + names + ", or a number)"};
}

Result<rd_kafka_resp_err_t> ParseErr(const std::string& name) {
  char* end = nullptr;
  long v = std::strtol(name.c_str(), &end, 10);
  if (end && *end == '\0' && !name.empty()) return static_cast<rd_kafka_resp_err_t>(v);
  const rd_kafka_err_desc* descs = nullptr;
  size_t n = 0;
  rd_kafka_get_err_descs(&descs, &n);
  for (size_t i = 0; i < n; ++i) {
    if (descs[i].name && name == descs[i].name) return descs[i].code;
  }
  return Error{v1::ERROR_CODE_INTERNAL, "unknown Kafka error '" + name + "' (e.g. NOT_LEADER_FOR_PARTITION)"};
}

Status FromErr(rd_kafka_resp_err_t err, const std::string& what) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return OkStatus();
  return Error{v1::ERROR_CODE_INTERNAL, what + ": " + rd_kafka_err2str(err)};
}

}  // namespace

std::vector<TopicSpec> DefaultTopics() {
  return {{"news.raw.v1", 0},         {"news.articles.v1", 0},        {"news.article-events.v1", 0},
          {"news.raw.dlq.v1", 0},     {"news.ingest-outcomes.v1", 0}, {"news.dedup-changelog.v1", 0},
          {"news.dedup-index.v1", 0}, {"news.articles-held.v1", 0}};
}

Result<std::unique_ptr<EmbeddedBroker>> EmbeddedBroker::Start(const BrokerOptions& options) {
  if (options.brokers < 1 || options.brokers > 16) {
    return Error{v1::ERROR_CODE_INTERNAL, "brokers must be between 1 and 16"};
  }
  if (options.partitions < 1 || options.partitions > 1000) {
    return Error{v1::ERROR_CODE_INTERNAL, "partitions must be between 1 and 1000"};
  }
  std::unique_ptr<EmbeddedBroker> b(new EmbeddedBroker());
  // The mock brokers' sockets take this handle's settings: without TCP_NODELAY a response
  // written in two parts meets the client's delayed ACK and every multi-partition flush waits
  // ~40 ms (measured: 45 ms -> 1 ms per flush of 300 messages over 12 partitions).
  auto conf = kafka::MakeConf({{"log_level", "3"}, {"socket.nagle.disable", "true"}});
  if (!conf.ok()) return conf.error();
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf->release(), errstr, sizeof errstr);
  if (!rk) return Error{v1::ERROR_CODE_INTERNAL, std::string("mock host: ") + errstr};
  b->host_.reset(rk);
  b->cluster_.reset(rd_kafka_mock_cluster_new(rk, options.brokers));
  if (!b->cluster_) return Error{v1::ERROR_CODE_INTERNAL, "could not create the mock cluster"};
  b->bootstrap_ = rd_kafka_mock_cluster_bootstraps(b->cluster_.get());
  b->brokers_ = options.brokers;
  b->default_partitions_ = options.partitions;
  for (const auto& t : options.topics.empty() ? DefaultTopics() : options.topics) {
    Status st = b->CreateTopic(t.name, t.partitions > 0 ? t.partitions : options.partitions);
    if (!st.ok()) return st.error();
  }
  return b;
}

EmbeddedBroker::~EmbeddedBroker() {
  cluster_.reset();
  host_.reset();
}

Status EmbeddedBroker::CreateTopic(const std::string& name, int partitions) {
  return FromErr(
      rd_kafka_mock_topic_create(cluster_.get(), name.c_str(), partitions, brokers_ >= 3 ? 3 : brokers_),
      "create topic " + name);
}

Status EmbeddedBroker::SetBrokerDown(int32_t id) {
  if (id < 1 || id > brokers_) return Error{v1::ERROR_CODE_INTERNAL, "no broker " + std::to_string(id)};
  return FromErr(rd_kafka_mock_broker_set_down(cluster_.get(), id), "broker-down");
}
Status EmbeddedBroker::SetBrokerUp(int32_t id) {
  if (id < 1 || id > brokers_) return Error{v1::ERROR_CODE_INTERNAL, "no broker " + std::to_string(id)};
  return FromErr(rd_kafka_mock_broker_set_up(cluster_.get(), id), "broker-up");
}
Status EmbeddedBroker::SetRtt(int32_t id, int rtt_ms) {
  if (id < 1 || id > brokers_) return Error{v1::ERROR_CODE_INTERNAL, "no broker " + std::to_string(id)};
  return FromErr(rd_kafka_mock_broker_set_rtt(cluster_.get(), id, rtt_ms), "rtt");
}
Status EmbeddedBroker::SetPartitionLeader(const std::string& topic, int32_t partition, int32_t id) {
  if (id < 1 || id > brokers_) return Error{v1::ERROR_CODE_INTERNAL, "no broker " + std::to_string(id)};
  return FromErr(rd_kafka_mock_partition_set_leader(cluster_.get(), topic.c_str(), partition, id), "leader");
}
Status EmbeddedBroker::SetCoordinator(const std::string& type, const std::string& key, int32_t id) {
  if (id < 1 || id > brokers_) return Error{v1::ERROR_CODE_INTERNAL, "no broker " + std::to_string(id)};
  if (type != "group" && type != "transaction") {
    return Error{v1::ERROR_CODE_INTERNAL,
                 "coordinator type must be group or transaction, not '" + type + "'"};
  }
  return FromErr(rd_kafka_mock_coordinator_set(cluster_.get(), type.c_str(), key.c_str(), id), "coordinator");
}
Status EmbeddedBroker::PushRequestErrors(const std::string& api, int count, const std::string& error) {
  auto key = ParseApi(api);
  if (!key.ok()) return key.error();
  auto err = ParseErr(error);
  if (!err.ok()) return err.error();
  if (count < 1 || count > 100000) return Error{v1::ERROR_CODE_INTERNAL, "count must be 1..100000"};
  std::vector<rd_kafka_resp_err_t> errs(static_cast<size_t>(count), err.value());
  rd_kafka_mock_push_request_errors_array(cluster_.get(), key.value(), errs.size(), errs.data());
  return OkStatus();
}
Status EmbeddedBroker::ClearRequestErrors(const std::string& api) {
  auto key = ParseApi(api);
  if (!key.ok()) return key.error();
  rd_kafka_mock_clear_request_errors(cluster_.get(), key.value());
  return OkStatus();
}

std::string ControlHelp() {
  return "commands (one per line; reply 'ok ...' or 'error: ...'):\n"
         "  bootstrap                         print the bootstrap servers\n"
         "  broker-down ID                    take broker ID (1..N) down\n"
         "  broker-up ID                      bring broker ID back\n"
         "  rtt ID MS                         add MS of round-trip time to broker ID (0 clears)\n"
         "  request-errors API COUNT ERROR    fail the next COUNT requests of API (Produce, Fetch,\n"
         "                                    Metadata, OffsetCommit, JoinGroup, ... or a number)\n"
         "                                    with ERROR (e.g. NOT_LEADER_FOR_PARTITION)\n"
         "  clear-errors API                  drop pending injected errors for API\n"
         "  leader TOPIC PARTITION ID         move the partition's leadership to broker ID\n"
         "  coordinator group|transaction KEY ID\n"
         "                                    make broker ID the coordinator of group / txn id KEY\n"
         "  create-topic NAME PARTITIONS      create a topic\n"
         "  help                              this text\n";
}

std::string EmbeddedBroker::Control(const std::string& line) {
  std::istringstream in(line);
  std::string cmd;
  in >> cmd;
  auto reply = [](const Status& st, const std::string& ok) {
    return st.ok() ? "ok " + ok : "error: " + st.error().reason;
  };
  if (cmd == "bootstrap") return "ok " + bootstrap_;
  if (cmd == "help" || cmd.empty()) return "ok " + ControlHelp();
  if (cmd == "broker-down" || cmd == "broker-up") {
    int id = 0;
    if (!(in >> id)) return "error: usage: " + cmd + " ID";
    return reply(cmd == "broker-down" ? SetBrokerDown(id) : SetBrokerUp(id), cmd + " " + std::to_string(id));
  }
  if (cmd == "rtt") {
    int id = 0, ms = 0;
    if (!(in >> id >> ms)) return "error: usage: rtt ID MS";
    return reply(SetRtt(id, ms), "rtt " + std::to_string(id) + " " + std::to_string(ms));
  }
  if (cmd == "request-errors") {
    std::string api, err;
    int count = 0;
    if (!(in >> api >> count >> err)) return "error: usage: request-errors API COUNT ERROR";
    return reply(PushRequestErrors(api, count, err), "request-errors " + api);
  }
  if (cmd == "clear-errors") {
    std::string api;
    if (!(in >> api)) return "error: usage: clear-errors API";
    return reply(ClearRequestErrors(api), "clear-errors " + api);
  }
  if (cmd == "leader") {
    std::string topic;
    int partition = 0, id = 0;
    if (!(in >> topic >> partition >> id)) return "error: usage: leader TOPIC PARTITION ID";
    return reply(SetPartitionLeader(topic, partition, id),
                 "leader " + topic + " " + std::to_string(partition) + " " + std::to_string(id));
  }
  if (cmd == "coordinator") {
    std::string type, key;
    int id = 0;
    if (!(in >> type >> key >> id)) return "error: usage: coordinator group|transaction KEY ID";
    return reply(SetCoordinator(type, key, id), "coordinator " + type + " " + key + " " + std::to_string(id));
  }
  if (cmd == "create-topic") {
    std::string name;
    int parts = 0;
    if (!(in >> name >> parts)) return "error: usage: create-topic NAME PARTITIONS";
    return reply(CreateTopic(name, parts), "create-topic " + name);
  }
  return "error: unknown command '" + cmd + "' (try: help)";
}

// ---------------------------------------------------------------------------------------------

Result<std::unique_ptr<ControlServer>> ControlServer::Start(EmbeddedBroker& broker,
                                                            const std::string& address) {
  std::unique_ptr<ControlServer> s(new ControlServer(broker));
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return Error{v1::ERROR_CODE_INTERNAL, "control address must be HOST:PORT"};
  s->host_ = address.substr(0, colon);
  int port = std::atoi(address.c_str() + colon + 1);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, s->host_.c_str(), &addr.sin_addr) != 1) {
    return Error{v1::ERROR_CODE_INTERNAL, "control host must be an IPv4 address (loopback): " + s->host_};
  }
  s->listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(s->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(s->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(s->listen_fd_, 16) != 0) {
    std::string why = std::strerror(errno);
    close(s->listen_fd_);
    s->listen_fd_ = -1;
    return Error{v1::ERROR_CODE_INTERNAL, "control interface cannot listen on " + address + ": " + why};
  }
  socklen_t len = sizeof addr;
  getsockname(s->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  s->port_ = ntohs(addr.sin_port);
  s->thread_ = std::thread([raw = s.get()] { raw->Run(); });
  return s;
}

ControlServer::~ControlServer() {
  Stop();
}

void ControlServer::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
}

std::string ControlServer::address() const {
  return host_ + ":" + std::to_string(port_);
}

void ControlServer::Run() {
  while (!stop_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (poll(&pfd, 1, 100) <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    // One client at a time; commands are tiny.
    std::string buf;
    char chunk[1024];
    while (!stop_) {
      pollfd cfd{fd, POLLIN, 0};
      int pr = poll(&cfd, 1, 100);
      if (pr == 0) continue;
      ssize_t n = read(fd, chunk, sizeof chunk);
      if (n <= 0) break;
      buf.append(chunk, static_cast<size_t>(n));
      size_t nl;
      while ((nl = buf.find('\n')) != std::string::npos) {
        std::string line = buf.substr(0, nl);
        buf.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::string out = broker_.Control(line) + "\n";
        if (write(fd, out.data(), out.size()) < 0) break;
      }
    }
    close(fd);
  }
}

// ---------------------------------------------------------------------------------------------

}  // namespace copydesk::broker
