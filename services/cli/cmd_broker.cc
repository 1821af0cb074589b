// Placeholder until the owner of `copydesk broker` lands it.
#include <iostream>

#include "cli/commands.h"

namespace copydesk::cli {

void RegisterBroker(CLI::App& app) {
  auto* cmd = app.add_subcommand("broker", "(not built yet)");
  cmd->callback([] {
    std::cerr << "copydesk broker: not built yet\n";
    SetExitCode(2);
  });
}

}  // namespace copydesk::cli
