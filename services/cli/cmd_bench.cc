// Placeholder until the owner of `copydesk bench` lands it.
#include <iostream>

#include "cli/commands.h"

namespace copydesk::cli {

void RegisterBench(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "(not built yet)");
  cmd->callback([] {
    std::cerr << "copydesk bench: not built yet\n";
    SetExitCode(2);
  });
}

}  // namespace copydesk::cli
