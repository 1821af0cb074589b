// Placeholder until the owner of `copydesk normalize` lands it.
#include <iostream>

#include "cli/commands.h"

namespace copydesk::cli {

void RegisterNormalize(CLI::App& app) {
  auto* cmd = app.add_subcommand("normalize", "(not built yet)");
  cmd->callback([] {
    std::cerr << "copydesk normalize: not built yet\n";
    SetExitCode(2);
  });
}

}  // namespace copydesk::cli
