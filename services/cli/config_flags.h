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

// Loads file, environment, --set and dedicated flags into `schema`, plus the log keys
// (log.level, log.format), which it then applies. Returns false after printing the error (or
// the --help-config text); `exit_code` says what to exit with (2: a bad key or value).
bool LoadConfig(ConfigSchema& schema, const ConfigFlags& flags, const char* command, int* exit_code);

// A command's status line (e.g. where it listens) on stdout: the text, or under log.format
// json a log line of `module` at level info.
void PrintStatus(const char* module, const std::string& text);
// A command's failure on stderr: "copydesk COMMAND: text", or under log.format json a log line
// of module COMMAND at level error. Control characters in `text` are escaped either way.
void PrintError(const char* command, const std::string& text);

}  // namespace copydesk::cli
