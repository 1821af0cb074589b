// Placeholder until the owner of `copydesk get` lands it.
#include <iostream>

#include "cli/commands.h"

namespace copydesk::cli {

void RegisterGet(CLI::App& app) {
  auto* cmd = app.add_subcommand("get", "(not built yet)");
  cmd->callback([] {
    std::cerr << "copydesk get: not built yet\n";
    SetExitCode(2);
  });
}

}  // namespace copydesk::cli
