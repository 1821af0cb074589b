// Placeholder until the owner of `copydesk ingest` lands it.
#include <iostream>

#include "cli/commands.h"

namespace copydesk::cli {

void RegisterIngest(CLI::App& app) {
  auto* cmd = app.add_subcommand("ingest", "(not built yet)");
  cmd->callback([] {
    std::cerr << "copydesk ingest: not built yet\n";
    SetExitCode(2);
  });
}

}  // namespace copydesk::cli
