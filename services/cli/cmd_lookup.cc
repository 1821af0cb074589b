// Placeholder until the owner of `copydesk lookup` lands it.
#include <iostream>

#include "cli/commands.h"

namespace copydesk::cli {

void RegisterLookup(CLI::App& app) {
  auto* cmd = app.add_subcommand("lookup", "(not built yet)");
  cmd->callback([] {
    std::cerr << "copydesk lookup: not built yet\n";
    SetExitCode(2);
  });
}

}  // namespace copydesk::cli
