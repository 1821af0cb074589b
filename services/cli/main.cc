// The copydesk binary: one subcommand per service; wiring lives in the cmd_*.cc files.
//
// Exit codes: 0 success; 1 the command failed; 2 a usage or configuration error (unknown
// command or flag, missing argument, bad config key or value), with a message naming it;
// 3 a fatal runtime error of a long-running command (see its --help).
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "common/log.h"
#include "common/text.h"

namespace copydesk::cli {
namespace {
int g_exit_code = 0;

std::string Names(const std::vector<CLI::App*>& apps) {
  std::string out;
  for (const auto* a : apps) out += (out.empty() ? "" : ", ") + a->get_name();
  return out;
}

// "unknown command 'bogus'" when a command word does not name a subcommand: the word after the
// binary, or after a command that has subcommands and takes no positional arguments.
std::optional<std::string> UnknownCommand(CLI::App& app, int argc, char** argv) {
  CLI::App* at = &app;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word.empty() || word[0] == '-') return std::nullopt;  // flags: CLI11 checks them
    auto subs = at->get_subcommands([](CLI::App*) { return true; });
    if (subs.empty()) return std::nullopt;
    CLI::App* next = nullptr;
    for (auto* s : subs) {
      if (s->check_name(word)) next = s;
    }
    if (next == nullptr) {
      const bool takes_positionals =
          !at->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty();
      if (takes_positionals) return std::nullopt;
      return "unknown command '" + path + (path.empty() ? "" : " ") +
             text::Escaped(word, text::EscapeStyle::kText) + "' (commands" +
             (path.empty() ? "" : " of '" + path + "'") + ": " + Names(subs) + ")";
    }
    path += (path.empty() ? "" : " ") + word;
    at = next;
  }
  return std::nullopt;
}

// The command path that was being parsed when CLI11 failed ("produce", "broker ctl").
std::string ParsedPath(CLI::App& app) {
  std::string path;
  CLI::App* at = &app;
  for (;;) {
    auto parsed = at->get_subcommands();
    if (parsed.empty()) return path;
    at = parsed.front();
    path += (path.empty() ? "" : " ") + at->get_name();
  }
}

}  // namespace
void SetExitCode(int code) {
  g_exit_code = code;
}
int ExitCode() {
  return g_exit_code;
}
}  // namespace copydesk::cli

int main(int argc, char** argv) {
  using namespace copydesk::cli;
  if (auto st = copydesk::log::ConfigureFromEnv(); !st.ok()) {
    std::cerr << "copydesk: " << st.error().reason << "\n";
    return 2;
  }
  InstallGrpcLogging();
  CLI::App app{
      "copydesk: normalizes raw article events from Kafka into protobuf Articles, decides new /\n"
      "update / re-delivery / syndicated copy, publishes them and serves every version over gRPC.\n"
      "Exit codes: 0 ok, 1 failed, 2 usage or configuration error, 3 fatal runtime error."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "copydesk 0.1.0");
  RegisterDev(app);
  RegisterBroker(app);
  RegisterIngest(app);
  RegisterLookup(app);
  RegisterProduce(app);
  RegisterGet(app);
  RegisterNormalize(app);
  RegisterReplay(app);
  RegisterBench(app);
  RegisterTopics(app);
  RegisterSchema(app);
  RegisterRedrive(app);
  RegisterProbe(app);
  if (auto unknown = UnknownCommand(app, argc, argv)) {
    std::cerr << "copydesk: " << *unknown << "; see copydesk --help\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    const std::string path = ParsedPath(app);
    std::string message = e.what();
    // CLI11 reports a missing argument before an unknown one; the unknown one is the mistake.
    if (auto extras = app.remaining(true); !extras.empty() && dynamic_cast<const CLI::RequiredError*>(&e)) {
      message = "unknown argument";
      for (const auto& x : extras) message += " '" + x + "'";
      message += " (and: " + std::string(e.what()) + ")";
    }
    std::cerr << "copydesk" << (path.empty() ? "" : " " + path) << ": "
              << copydesk::text::Escaped(message, copydesk::text::EscapeStyle::kText) << "\n"
              << "Run 'copydesk" << (path.empty() ? "" : " " + path) << " --help' for usage.\n";
    return 2;
  }
  return ExitCode();
}
