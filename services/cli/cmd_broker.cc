// `copydesk broker`: the embedded Kafka-protocol broker for local runs and tests.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include "broker/broker.h"
#include "cli/broker_control.h"
#include "cli/commands.h"
#include "cli/signals.h"
#include "common/config.h"
#include "common/topics.h"

namespace copydesk::cli {
namespace {

struct BrokerFlags {
  int brokers = 3;
  int partitions = 12;
  std::string control = "127.0.0.1:0";
  std::string address_file;
  bool no_address_file = false;
  bool ninjs = false;
  std::vector<std::string> without;
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
  auto reply = SendBrokerControl(addr, line);
  if (!reply.ok()) {
    std::cerr << "copydesk broker ctl: " << reply.error().reason << "\n";
    return 2;
  }
  std::cout << reply.value();
  return reply.value().rfind("ok", 0) == 0 ? 0 : 1;
}

int RunBroker(const BrokerFlags& f) {
  auto& stop = InstallStopSignals();
  // The copydesk topics from the one list (common/topics.h), less --without-topic.
  TopicsConfig names;
  names.ninjs_enabled = f.ninjs;
  std::vector<broker::TopicSpec> create;
  for (const auto& t : topics::Plan(names, {})) {
    if (std::find(f.without.begin(), f.without.end(), t.name) == f.without.end())
      create.push_back({t.name, 0});
  }
  for (const auto& w : f.without) {
    const auto plan = topics::Plan(names, {});
    if (std::none_of(plan.begin(), plan.end(), [&](const topics::TopicSpec& t) { return t.name == w; })) {
      std::cerr << "copydesk broker: --without-topic " << w << ": not a copydesk topic\n";
      return 2;
    }
  }
  if (create.empty()) create.push_back({"news.raw.v1", 0});  // a mock cluster needs a topic; raw is harmless
  auto b =
      broker::EmbeddedBroker::Start({.brokers = f.brokers, .partitions = f.partitions, .topics = create});
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
  for (const auto& t : create) std::cout << " " << t.name;
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
  cmd->add_flag("--ninjs", flags->ninjs, "also create the optional ninjs topic (news.articles-ninjs.v1)");
  cmd->add_option("--without-topic", flags->without,
                  "do not create this copydesk topic (repeatable; e.g. to try `copydesk topics apply`)");

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
