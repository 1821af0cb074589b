// The `copydesk` subcommands. Each lives in its own cmd_<name>.cc and registers itself on the
// app; main.cc calls every Register function. A subcommand's callback sets the exit code
// through SetExitCode().
#pragma once

#include <CLI/CLI.hpp>

namespace copydesk::cli {

void RegisterBroker(CLI::App& app);     // cmd_broker.cc
void RegisterIngest(CLI::App& app);     // cmd_ingest.cc
void RegisterLookup(CLI::App& app);     // cmd_lookup.cc
void RegisterDev(CLI::App& app);        // cmd_dev.cc
void RegisterNormalize(CLI::App& app);  // cmd_normalize.cc
void RegisterReplay(CLI::App& app);     // cmd_replay.cc
void RegisterProduce(CLI::App& app);    // cmd_produce.cc
void RegisterGet(CLI::App& app);        // cmd_get.cc
void RegisterBench(CLI::App& app);      // cmd_bench.cc
void RegisterTopics(CLI::App& app);     // cmd_topics.cc
void RegisterSchema(CLI::App& app);     // cmd_schema.cc
void RegisterRedrive(CLI::App& app);    // cmd_redrive.cc
void RegisterProbe(CLI::App& app);      // cmd_probe.cc

// Routes gRPC's log lines through copydesk's logger (grpc_logging.cc).
void InstallGrpcLogging();

// The process exit code, set by the subcommand that ran.
void SetExitCode(int code);
int ExitCode();

}  // namespace copydesk::cli
