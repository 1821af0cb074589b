#include "common/log.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/sinks/base_sink.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "common/config.h"
#include "common/text.h"

namespace copydesk {
namespace log {
namespace {

std::atomic<Format> g_format{Format::kText};
std::atomic<spdlog::level::level_enum> g_level{spdlog::level::info};
// Set by Configure; until then the first logger takes the level and format from the environment.
std::atomic<bool> g_configured{false};

// Writes every record of every logger to stderr, one line each, in the current format.
class LineSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const int64_t ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    const auto level = spdlog::level::to_string_view(msg.level);
    const std::string line = FormatLine(g_format.load(), ms, std::string_view(level.data(), level.size()),
                                        std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                                        std::string_view(msg.payload.data(), msg.payload.size()));
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

std::shared_ptr<LineSink> Sink() {
  static auto sink = std::make_shared<LineSink>();
  return sink;
}

bool KeyChar(char c, bool first) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalpha(u) || c == '_' || (!first && (std::isdigit(u) || c == '.' || c == '-'));
}

// Length of "key=" at `s` (a field key followed by '='), 0 if there is none.
size_t KeyAt(std::string_view s) {
  if (s.empty() || !KeyChar(s[0], true)) return 0;
  size_t i = 1;
  while (i < s.size() && KeyChar(s[i], false)) ++i;
  return i < s.size() && s[i] == '=' ? i + 1 : 0;
}

// Position of the next " key=" boundary at or after `from`, npos if none.
size_t NextBoundary(std::string_view s, size_t from) {
  for (size_t i = s.find(' ', from); i != std::string_view::npos; i = s.find(' ', i + 1)) {
    if (KeyAt(s.substr(i + 1)) > 0) return i;
  }
  return std::string_view::npos;
}

void AppendTime(std::string& out, int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  out += buf;
}

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  text::AppendEscaped(out, s, text::EscapeStyle::kJson);
  out += '"';
}

Result<spdlog::level::level_enum> ParseLevel(const std::string& value) {
  std::string v = value;
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  if (v == "trace") return spdlog::level::trace;
  if (v == "debug") return spdlog::level::debug;
  if (v == "info") return spdlog::level::info;
  if (v == "warn" || v == "warning") return spdlog::level::warn;
  if (v == "error") return spdlog::level::err;
  if (v == "off") return spdlog::level::off;
  return Error{v1::ERROR_CODE_INTERNAL, "config: key 'log.level': '" +
                                            text::Escaped(value, text::EscapeStyle::kText) +
                                            "' is not one of: trace, debug, info, warn, warning, error, off"};
}

}  // namespace

void Options::Describe(ConfigSchema& schema) {
  schema.Enum("log.level", &level, "log level, any case",
              {"trace", "debug", "info", "warn", "warning", "error", "off"},
              /*ignore_case=*/true);
  schema.Enum("log.format", &format,
              "log line format: text (time level module message key=value...) or json "
              "(one object per line: time, level, module, message, fields)",
              {"text", "json"}, /*ignore_case=*/true);
}

Status Configure(const Options& options) {
  auto level = ParseLevel(options.level);
  if (!level.ok()) return level.error();
  std::string f = options.format;
  std::transform(f.begin(), f.end(), f.begin(), [](unsigned char c) { return std::tolower(c); });
  if (f != "text" && f != "json") {
    return Error{v1::ERROR_CODE_INTERNAL, "config: key 'log.format': '" +
                                              text::Escaped(options.format, text::EscapeStyle::kText) +
                                              "' is not one of: text, json"};
  }
  g_format.store(f == "json" ? Format::kJson : Format::kText);
  g_level.store(*level);
  g_configured.store(true);
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) { l->set_level(*level); });
  return OkStatus();
}

Status ConfigureFromEnv() {
  Options o;
  if (const char* l = std::getenv("COPYDESK_LOG_LEVEL")) o.level = l;
  if (const char* f = std::getenv("COPYDESK_LOG_FORMAT")) o.format = f;
  Status st = Configure(o);
  if (!st.ok()) {
    std::string reason = st.error().reason;
    // Name where the value came from, as the config schema does.
    const std::string env =
        reason.find("log.level") != std::string::npos ? "COPYDESK_LOG_LEVEL" : "COPYDESK_LOG_FORMAT";
    reason.replace(0, std::string("config").size(), "config " + env);
    return Error{v1::ERROR_CODE_INTERNAL, reason};
  }
  return st;
}

Format CurrentFormat() {
  return g_format.load();
}

Parts SplitFields(std::string_view s) {
  Parts p;
  size_t first = KeyAt(s) > 0 ? 0 : NextBoundary(s, 0);
  p.message = std::string(s.substr(0, first));
  size_t i = first == std::string_view::npos ? s.size() : (first == 0 ? 0 : first + 1);
  while (i < s.size()) {
    const size_t klen = KeyAt(s.substr(i));
    std::string key(s.substr(i, klen - 1));
    size_t v = i + klen;
    size_t next;
    std::string value;
    if (v < s.size() && s[v] == '"') {
      // Quoted: up to the quote that ends the text or precedes the next field.
      size_t close = std::string_view::npos;
      for (size_t q = s.find('"', v + 1); q != std::string_view::npos; q = s.find('"', q + 1)) {
        if (q + 1 == s.size() || (s[q + 1] == ' ' && KeyAt(s.substr(q + 2)) > 0)) {
          close = q;
          break;
        }
      }
      if (close == std::string_view::npos) {
        next = NextBoundary(s, v);
        value = std::string(s.substr(v, next == std::string_view::npos ? std::string_view::npos : next - v));
      } else {
        value = std::string(s.substr(v + 1, close - v - 1));
        next = close + 1 < s.size() ? close + 1 : std::string_view::npos;
      }
    } else {
      next = NextBoundary(s, v);
      value = std::string(s.substr(v, next == std::string_view::npos ? std::string_view::npos : next - v));
    }
    p.fields.emplace_back(std::move(key), std::move(value));
    if (next == std::string_view::npos) break;
    i = next + 1;
  }
  return p;
}

std::string FormatLine(Format format, int64_t time_ms, std::string_view level, std::string_view module,
                       std::string_view text) {
  std::string out;
  out.reserve(text.size() + 96);
  if (format == Format::kText) {
    AppendTime(out, time_ms);
    out += ' ';
    out += level;
    out += ' ';
    text::AppendEscaped(out, module, text::EscapeStyle::kText);
    out += ' ';
    text::AppendEscaped(out, text, text::EscapeStyle::kText);
    out += '\n';
    return out;
  }
  const Parts parts = SplitFields(text);
  out += "{\"time\":\"";
  AppendTime(out, time_ms);
  out += "\",\"level\":";
  AppendJsonString(out, level);
  out += ",\"module\":";
  AppendJsonString(out, module);
  out += ",\"message\":";
  AppendJsonString(out, parts.message);
  out += ",\"fields\":{";
  bool first = true;
  for (const auto& [k, v] : parts.fields) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, k);
    out += ':';
    AppendJsonString(out, v);
  }
  out += "}}\n";
  return out;
}

void KafkaLogCallback(const rd_kafka_s* rk, int level, const char* facility, const char* message) {
  spdlog::level::level_enum l = spdlog::level::debug;
  if (level <= 3) {
    l = spdlog::level::err;
  } else if (level == 4) {
    l = spdlog::level::warn;
  } else if (level <= 6) {
    l = spdlog::level::info;
  }
  auto logger = Logger("kafka");
  if (!logger->should_log(l)) return;
  const char* name = rk != nullptr ? rd_kafka_name(rk) : "";
  logger->log(l, "{} facility={} client={}", message != nullptr ? message : "",
              facility != nullptr ? facility : "", name != nullptr ? name : "");
}

}  // namespace log

std::shared_ptr<spdlog::logger> Logger(const std::string& module) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  if (auto existing = spdlog::get(module)) return existing;
  if (!log::g_configured.load()) (void)log::ConfigureFromEnv();  // a bad value keeps the defaults
  auto logger = std::make_shared<spdlog::logger>(module, log::Sink());
  logger->set_level(log::g_level.load());
  logger->flush_on(spdlog::level::trace);
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace copydesk
