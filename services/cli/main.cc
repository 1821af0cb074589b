// The copydesk binary: one subcommand per service; wiring lives in the cmd_*.cc files.
#include <cstdlib>
#include <iostream>

#include "cli/commands.h"

namespace copydesk::cli {
namespace {
int g_exit_code = 0;
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
  CLI::App app{
      "copydesk: normalizes raw article events from Kafka into protobuf Articles, decides new /\n"
      "update / re-delivery / syndicated copy, publishes them and serves every version over gRPC."};
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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return ExitCode();
}
