// Placeholder until the owner of `copydesk replay` lands it.
#include <iostream>

#include "cli/commands.h"

namespace copydesk::cli {

void RegisterReplay(CLI::App& app) {
  auto* cmd = app.add_subcommand("replay", "(not built yet)");
  cmd->callback([] {
    std::cerr << "copydesk replay: not built yet\n";
    SetExitCode(2);
  });
}

}  // namespace copydesk::cli
