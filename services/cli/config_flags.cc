#include "cli/config_flags.h"

#include <chrono>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "common/log.h"
#include "common/text.h"

namespace copydesk::cli {

void AddConfigFlags(CLI::App* cmd, ConfigFlags& flags) {
  cmd->add_option("--config", flags.file, "YAML config file (keys: see --help-config)")
      ->envname("COPYDESK_CONFIG");
  cmd->add_option("--set", flags.sets, "override one config key: --set KEY=VALUE (repeatable)");
  cmd->add_flag("--help-config", flags.help_config, "list every config key with its env name and default");
}

void AddKeyFlag(CLI::App* cmd, ConfigFlags& flags, const std::string& flag, const std::string& key,
                const std::string& help) {
  auto value = std::make_shared<std::string>();
  cmd->add_option_function<std::string>(
      flag, [&flags, key](const std::string& v) { flags.flag_values.emplace_back(key, v); },
      help + " (config key " + key + ")");
}

bool LoadConfig(ConfigSchema& schema, const ConfigFlags& flags, const char* command, int* exit_code) {
  static log::Options log_options;  // the process has one log configuration
  log_options.Describe(schema);
  if (flags.help_config) {
    std::cout << "config keys of copydesk " << command
              << " (precedence: defaults < --config file < COPYDESK_* environment < flags):\n"
              << schema.Describe();
    *exit_code = 0;
    return false;
  }
  auto fail = [&](const Status& st) {
    PrintError(command, st.error().reason);
    *exit_code = 2;
    return false;
  };
  Status st = schema.LoadFile(flags.file);
  if (!st.ok()) return fail(st);
  std::vector<std::string> unknown_env;
  st = schema.LoadEnv(&unknown_env);
  if (!st.ok()) return fail(st);
  for (const auto& e : unknown_env) {
    if (e == "COPYDESK_CONFIG" || e == "COPYDESK_RUN_DIR" || e == "COPYDESK_BROKERS") continue;
    Logger("config")->warn("unknown environment variable ignored name={} (see --help-config)", e);
  }
  st = schema.LoadOverrides(flags.sets);
  if (!st.ok()) return fail(st);
  for (const auto& [k, v] : flags.flag_values) {
    st = schema.Set(k, v, "flag");
    if (!st.ok()) return fail(st);
  }
  st = log::Configure(log_options);
  if (!st.ok()) return fail(st);
  InstallGrpcLogging();  // gRPC's verbosity follows the configured level
  return true;
}

namespace {
int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

void PrintStatus(const char* module, const std::string& text) {
  if (log::CurrentFormat() == log::Format::kJson) {
    std::cout << log::FormatLine(log::Format::kJson, NowMs(), "info", module, text) << std::flush;
  } else {
    std::cout << text << std::endl;
  }
}

void PrintError(const char* command, const std::string& text) {
  if (log::CurrentFormat() == log::Format::kJson) {
    std::cerr << log::FormatLine(log::Format::kJson, NowMs(), "error", command, text) << std::flush;
  } else {
    std::cerr << "copydesk " << command << ": " << text::Escaped(text, text::EscapeStyle::kText) << std::endl;
  }
}

}  // namespace copydesk::cli
