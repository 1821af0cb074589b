// Placeholder until the owner of `copydesk dev` lands it.
#include <iostream>

#include "cli/commands.h"

namespace copydesk::cli {

void RegisterDev(CLI::App& app) {
  auto* cmd = app.add_subcommand("dev", "(not built yet)");
  cmd->callback([] {
    std::cerr << "copydesk dev: not built yet\n";
    SetExitCode(2);
  });
}

}  // namespace copydesk::cli
