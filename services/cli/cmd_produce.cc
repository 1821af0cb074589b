// Placeholder until the owner of `copydesk produce` lands it.
#include <iostream>

#include "cli/commands.h"

namespace copydesk::cli {

void RegisterProduce(CLI::App& app) {
  auto* cmd = app.add_subcommand("produce", "(not built yet)");
  cmd->callback([] {
    std::cerr << "copydesk produce: not built yet\n";
    SetExitCode(2);
  });
}

}  // namespace copydesk::cli
