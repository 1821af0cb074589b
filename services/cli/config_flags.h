// Flags every long-running subcommand shares: --config FILE, --set KEY=VALUE, --help-config,
// and the layering defaults < file < COPYDESK_* environment < flags.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "common/config.h"

namespace copydesk::cli {

struct ConfigFlags {
  std::string file;
  std::vector<std::string> sets;
  bool help_config = false;
  // Values of dedicated flags (e.g. --brokers), applied last as "key=value".
  std::vector<std::pair<std::string, std::string>> flag_values;
};

// Adds --config, --set and --help-config to `cmd`.
void AddConfigFlags(CLI::App* cmd, ConfigFlags& flags);
// Adds a dedicated flag that sets a config key (e.g. --brokers -> kafka.brokers).
void AddKeyFlag(CLI::App* cmd, ConfigFlags& flags, const std::string& flag, const std::string& key,
                const std::string& help);

// Loads file, environment, --set and dedicated flags into `schema`. Returns false after
// printing the error (or the --help-config text); `exit_code` says what to exit with.
bool LoadConfig(ConfigSchema& schema, const ConfigFlags& flags, const char* command, int* exit_code);

}  // namespace copydesk::cli
