// One logger per module, structured: values in fields ("key=value", quoted when they may hold
// spaces: reason="..."), never in the message text.
//
// Every line goes to stderr through one sink, in one of two formats (config key log.format,
// env COPYDESK_LOG_FORMAT):
//   text  2026-01-01T12:00:00.000Z info ingest rebalance kind=assign partitions=3
//   json  {"time":"2026-01-01T12:00:00.000Z","level":"info","module":"ingest",
//          "message":"rebalance","fields":{"kind":"assign","partitions":"3"}}
// one line per record in both. Whatever a value holds, a record stays one line: control
// characters (C0, DEL, C1, U+2028/9) and invalid UTF-8 are escaped (text: \n, \xff; JSON: string
// escapes), so a newline in a header cannot forge a log line. librdkafka's log lines
// (KafkaLogCallback, set on every client conf) and gRPC's (installed by the binary) go through
// the same sink, as modules "kafka" and "grpc".
#pragma once

#include <spdlog/spdlog.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

struct rd_kafka_s;  // rd_kafka_t, from librdkafka/rdkafka.h

namespace copydesk {

class ConfigSchema;

// The named logger of a module ("ingest", "lookup", ...), created on first use with the current
// level and format.
std::shared_ptr<spdlog::logger> Logger(const std::string& module);

namespace log {

enum class Format { kText, kJson };

// The log configuration keys.
struct Options {
  std::string level = "info";   // log.level: trace, debug, info, warn (warning), error, off; any case
  std::string format = "text";  // log.format: text or json

  // Adds log.level and log.format (env COPYDESK_LOG_LEVEL, COPYDESK_LOG_FORMAT) to `schema`;
  // the schema rejects other values, naming the key and the allowed values.
  void Describe(ConfigSchema& schema);
};

// Applies `options` to every logger, existing and future. Fails (naming the key) on a value
// Describe's schema would reject.
Status Configure(const Options& options);
// Configure from COPYDESK_LOG_LEVEL and COPYDESK_LOG_FORMAT alone (for the commands without a
// config file, and before any command's configuration is read).
Status ConfigureFromEnv();
Format CurrentFormat();

// The record text split into its message and its trailing key=value fields (quoted values
// unquoted). Text that does not parse as fields stays in the message.
struct Parts {
  std::string message;
  std::vector<std::pair<std::string, std::string>> fields;
};
Parts SplitFields(std::string_view text);

// One log line (with its newline), as the sink writes it. `level` is spdlog's level name
// ("info", "warning", ...); `time_ms` is milliseconds since the Unix epoch.
std::string FormatLine(Format format, int64_t time_ms, std::string_view level, std::string_view module,
                       std::string_view text);

// librdkafka's log callback (rd_kafka_conf_set_log_cb): the line goes to module "kafka" with
// fields facility and client, at the matching level (syslog 0-3 error, 4 warning, 5-6 info,
// 7 debug).
void KafkaLogCallback(const rd_kafka_s* rk, int level, const char* facility, const char* message);

}  // namespace log
}  // namespace copydesk
