// `copydesk broker`: the embedded Kafka-protocol broker for local runs and tests.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include "broker/broker.h"
#include "cli/commands.h"
#include "cli/signals.h"
#include "common/config.h"

namespace copydesk::cli {
namespace {

struct BrokerFlags {
  int brokers = 3;
  int partitions = 12;
  std::string control = "127.0.0.1:0";
  std::string address_file;
  bool no_address_file = false;
};

struct CtlFlags {
  std::string control;
  std::vector<std::string> words;
};

int RunCtl(const CtlFlags& f) {
  std::string addr = f.control;
  if (addr.empty()) {
    auto a = ReadAddressFile(DefaultAddressFile(), "control");
    if (!a.ok()) {
      std::cerr << "copydesk broker ctl: " << a.error().reason << "; pass --control HOST:PORT\n";
      return 2;
    }
    addr = a.value();
  }
  std::string line;
  for (const auto& w : f.words) line += (line.empty() ? "" : " ") + w;
  // A tiny client: connect, send one line, print the reply.
  int fd = -1;
  {
    auto host = addr.substr(0, addr.rfind(':'));
    auto port = std::stoi(addr.substr(addr.rfind(':') + 1));
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, host.c_str(), &sa.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      std::cerr << "copydesk broker ctl: cannot connect to " << addr << "\n";
      ::close(fd);
      return 2;
    }
  }
  line += "\n";
  if (::write(fd, line.data(), line.size()) < 0) return 2;
  ::shutdown(fd, SHUT_WR);
  std::string reply;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) reply.append(buf, static_cast<size_t>(n));
  ::close(fd);
  std::cout << reply;
  return reply.rfind("ok", 0) == 0 ? 0 : 1;
}

int RunBroker(const BrokerFlags& f) {
  auto& stop = InstallStopSignals();
  auto b = broker::EmbeddedBroker::Start({.brokers = f.brokers, .partitions = f.partitions, .topics = {}});
  if (!b.ok()) {
    std::cerr << "copydesk broker: " << b.error().reason << "\n";
    return 1;
  }
  auto ctl = broker::ControlServer::Start(*b.value(), f.control);
  if (!ctl.ok()) {
    std::cerr << "copydesk broker: " << ctl.error().reason << "\n";
    return 1;
  }
  std::cout << "bootstrap: " << b.value()->bootstrap() << "\n";
  std::cout << "control: " << ctl.value()->address() << "\n";
  std::string file = f.address_file.empty() ? DefaultAddressFile() : f.address_file;
  if (!f.no_address_file) {
    Status st = WriteAddressFile(file, b.value()->bootstrap(), ctl.value()->address());
    if (!st.ok()) {
      std::cerr << "copydesk broker: " << st.error().reason << "\n";
      return 1;
    }
    std::cout << "address file: " << file << "\n";
  }
  std::cout << "brokers: " << f.brokers << ", partitions per topic: " << f.partitions << "; topics:";
  for (const auto& t : broker::DefaultTopics()) std::cout << " " << t.name;
  std::cout << "\nready (Ctrl-C or SIGTERM to stop)" << std::endl;
  while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ctl.value()->Stop();
  if (!f.no_address_file) {
    auto current = ReadAddressFile(file, "control");
    if (current.ok() && current.value() == ctl.value()->address()) std::remove(file.c_str());
  }
  std::cout << "stopped" << std::endl;
  return 0;
}

}  // namespace

void RegisterBroker(CLI::App& app) {
  auto flags = std::make_shared<BrokerFlags>();
  auto* cmd = app.add_subcommand(
      "broker",
      "Run the embedded Kafka-protocol broker (librdkafka's mock cluster) with the copydesk topics.\n"
      "Prints 'bootstrap: HOST:PORT' first. Memory only: no persistence, no compaction, transactions\n"
      "not enforced. Other local commands find it through its address file when run without --brokers.");
  cmd->add_option("--brokers-count,-n", flags->brokers, "number of brokers")->capture_default_str();
  cmd->add_option("--partitions,-p", flags->partitions, "partitions per topic")->capture_default_str();
  cmd->add_option("--control", flags->control, "loopback control interface address (port 0 = any)")
      ->capture_default_str();
  cmd->add_option(
      "--address-file", flags->address_file,
      "where to write bootstrap/control addresses (default $COPYDESK_RUN_DIR/broker, /tmp/copydesk/broker)");
  cmd->add_flag("--no-address-file", flags->no_address_file, "do not write the address file");

  auto ctl = std::make_shared<CtlFlags>();
  auto* sub = cmd->add_subcommand(
      "ctl", "Send one fault-injection command to a running broker.\n" + broker::ControlHelp());
  sub->add_option("--control", ctl->control, "control address (default: from the address file)");
  sub->add_option("command", ctl->words, "the command and its arguments")->required();
  sub->callback([ctl] { SetExitCode(RunCtl(*ctl)); });
  cmd->callback([flags, cmd] {
    if (cmd->get_subcommands().empty()) SetExitCode(RunBroker(*flags));
  });
}

}  // namespace copydesk::cli
