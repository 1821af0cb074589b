// Shutdown signalling shared by the long-running subcommands.
#pragma once

#include <atomic>

namespace copydesk::cli {

// Installs SIGINT/SIGTERM handlers that set the returned flag (idempotent).
std::atomic<bool>& InstallStopSignals();

}  // namespace copydesk::cli
