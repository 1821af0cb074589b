#include "common/config.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/text.h"

extern char** environ;

namespace copydesk {
namespace {

Error ConfigError(std::string_view source, std::string_view key, const std::string& why) {
  return Error{v1::ERROR_CODE_INTERNAL,
               "config " + std::string(source) + ": key '" + std::string(key) + "': " + why};
}

std::string EnvName(std::string_view key) {
  std::string out = "COPYDESK_";
  for (char c : key)
    out += (c == '.' || c == '-') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

void Flatten(const YAML::Node& node, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& out) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      std::string k = prefix;
      if (!k.empty()) k += '.';
      k += kv.first.as<std::string>();
      Flatten(kv.second, k, out);
    }
  } else if (node.IsScalar()) {
    out.emplace_back(prefix, node.as<std::string>());
  } else if (node.IsNull()) {
    out.emplace_back(prefix, "");
  } else {
    out.emplace_back(prefix, "\x01sequence");
  }
}

}  // namespace

ConfigSchema& ConfigSchema::String(std::string key, std::string* target, std::string help) {
  entries_.push_back({std::move(key), std::move(help), *target, [target](std::string_view v) {
                        *target = std::string(v);
                        return OkStatus();
                      }});
  return *this;
}

ConfigSchema& ConfigSchema::Int(std::string key, int64_t* target, std::string help, int64_t min,
                                int64_t max) {
  help.append(" (").append(std::to_string(min)).append("..").append(std::to_string(max)).append(")");
  entries_.push_back({std::move(key), std::move(help), std::to_string(*target),
                      [target, min, max](std::string_view v) -> Status {
                        std::string s(v);
                        char* end = nullptr;
                        long long x = std::strtoll(s.c_str(), &end, 10);
                        if (s.empty() || *end != '\0')
                          return Error{v1::ERROR_CODE_INTERNAL, "not an integer: '" + s + "'"};
                        if (x < min || x > max) {
                          return Error{v1::ERROR_CODE_INTERNAL,
                                       s + " is outside " + std::to_string(min) + ".." + std::to_string(max)};
                        }
                        *target = x;
                        return OkStatus();
                      }});
  return *this;
}

ConfigSchema& ConfigSchema::Bool(std::string key, bool* target, std::string help) {
  entries_.push_back(
      {std::move(key), std::move(help), *target ? "true" : "false", [target](std::string_view v) -> Status {
         if (v == "true" || v == "1" || v == "yes")
           *target = true;
         else if (v == "false" || v == "0" || v == "no")
           *target = false;
         else
           return Error{v1::ERROR_CODE_INTERNAL, "expected true or false, got '" + std::string(v) + "'"};
         return OkStatus();
       }});
  return *this;
}

ConfigSchema& ConfigSchema::Enum(std::string key, std::string* target, std::string help,
                                 std::vector<std::string> allowed, bool ignore_case) {
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  help += " (one of: " + list + (ignore_case ? "; any case)" : ")");
  entries_.push_back(
      {std::move(key), std::move(help), *target,
       [target, allowed = std::move(allowed), list, ignore_case](std::string_view v) -> Status {
         std::string value(v);
         if (ignore_case) {
           std::transform(value.begin(), value.end(), value.begin(),
                          [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
         }
         if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
           return Error{v1::ERROR_CODE_INTERNAL,
                        "'" + text::Escaped(v, text::EscapeStyle::kText) + "' is not one of: " + list};
         }
         *target = std::move(value);
         return OkStatus();
       }});
  return *this;
}

ConfigSchema& ConfigSchema::Passthrough(std::string prefix, std::map<std::string, std::string>* target,
                                        std::string help) {
  entries_.push_back({prefix + ".*", std::move(help), "", nullptr});
  passthrough_.emplace_back(std::move(prefix), target);
  return *this;
}

const ConfigSchema::Entry* ConfigSchema::Find(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.key == key && e.set) return &e;
  }
  return nullptr;
}

Status ConfigSchema::Set(std::string_view key, std::string_view value, std::string_view source) {
  for (auto& [prefix, target] : passthrough_) {
    if (key.size() > prefix.size() + 1 && key.substr(0, prefix.size()) == prefix &&
        key[prefix.size()] == '.') {
      (*target)[std::string(key.substr(prefix.size() + 1))] = std::string(value);
      return OkStatus();
    }
  }
  const Entry* e = Find(key);
  if (!e) {
    std::string known;
    for (const auto& x : entries_) known += (known.empty() ? "" : ", ") + x.key;
    return ConfigError(source, key, "unknown key (known keys: " + known + ")");
  }
  Status st = e->set(value);
  if (!st.ok()) return ConfigError(source, key, st.error().reason);
  return OkStatus();
}

Status ConfigSchema::LoadFile(const std::string& path) {
  if (path.empty()) return OkStatus();
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const std::exception& e) {  // start-up only: exceptions are allowed here
    return Error{v1::ERROR_CODE_INTERNAL, "config file " + path + ": " + e.what()};
  }
  std::vector<std::pair<std::string, std::string>> kv;
  Flatten(root, "", kv);
  for (const auto& [k, v] : kv) {
    if (v == "\x01sequence") return ConfigError(path, k, "lists are not supported");
    Status st = Set(k, v, path);
    if (!st.ok()) return st;
  }
  return OkStatus();
}

Status ConfigSchema::LoadEnv(std::vector<std::string>* unknown) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view s(*e);
    auto eq = s.find('=');
    if (eq == std::string_view::npos || s.substr(0, 9) != "COPYDESK_") continue;
    env.emplace(std::string(s.substr(0, eq)), std::string(s.substr(eq + 1)));
  }
  for (const auto& e : entries_) {
    if (!e.set) continue;
    auto it = env.find(EnvName(e.key));
    if (it == env.end()) continue;
    Status st = Set(e.key, it->second, it->first);
    if (!st.ok()) return st;
    env.erase(it);
  }
  for (auto& [prefix, target] : passthrough_) {
    const std::string env_prefix = EnvName(prefix) + "_";
    for (auto it = env.begin(); it != env.end();) {
      if (it->first.rfind(env_prefix, 0) == 0) {
        std::string prop = it->first.substr(env_prefix.size());
        for (auto& c : prop)
          c = c == '_' ? '.' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        (*target)[prop] = it->second;
        it = env.erase(it);
      } else {
        ++it;
      }
    }
  }
  if (unknown) {
    for (const auto& [k, _] : env) unknown->push_back(k);
  }
  return OkStatus();
}

Status ConfigSchema::LoadOverrides(const std::vector<std::string>& pairs) {
  for (const auto& p : pairs) {
    auto eq = p.find('=');
    if (eq == std::string::npos)
      return Error{v1::ERROR_CODE_INTERNAL, "--set expects KEY=VALUE, got '" + p + "'"};
    Status st = Set(p.substr(0, eq), p.substr(eq + 1), "--set");
    if (!st.ok()) return st;
  }
  return OkStatus();
}

std::string ConfigSchema::Describe() const {
  std::ostringstream out;
  for (const auto& e : entries_) {
    out << "  " << e.key;
    if (e.set) out << " (env " << EnvName(e.key) << ", default '" << e.default_value << "')";
    out << "\n      " << e.help << "\n";
  }
  return out.str();
}

void KafkaConfig::Describe(ConfigSchema& schema) {
  schema.String("kafka.brokers", &brokers,
                "bootstrap servers; empty = COPYDESK_BROKERS, else the local `copydesk broker` address file");
  schema.Passthrough("kafka.property", &properties,
                     "librdkafka properties passed through, e.g. kafka.property.security.protocol=SASL_SSL "
                     "(env COPYDESK_KAFKA_PROPERTY_SECURITY_PROTOCOL)");
}

Status KafkaConfig::Resolve() {
  if (!brokers.empty()) return OkStatus();
  auto found = DiscoverBrokers();
  if (!found.ok()) return found.error();
  brokers = found.value();
  return OkStatus();
}

std::map<std::string, std::string> KafkaConfig::ClientProperties() const {
  std::map<std::string, std::string> p = properties;
  p["bootstrap.servers"] = brokers;
  // Small requests (commits, transaction markers, flushes) must not wait for Nagle; Kafka
  // brokers set TCP_NODELAY on their side, librdkafka clients do not by default.
  p.emplace("socket.nagle.disable", "true");
  return p;
}

void TopicsConfig::Describe(ConfigSchema& schema) {
  schema.String("topics.raw", &raw, "input topic of raw article events");
  schema.String("topics.articles", &articles, "latest Article per story (compacted; tombstone on cancel)");
  schema.String("topics.events", &events, "every accepted change as an ArticleEvent");
  schema.String("topics.dlq", &dlq, "dead letters: original bytes + headers + error code and reason");
  schema.String("topics.outcomes", &outcomes, "one IngestOutcome per input event (audit)");
  schema.String("topics.changelog", &changelog, "dedup state changelog (compacted)");
  schema.String("topics.index", &index,
                "shared near-duplicate index (compacted): every worker reads all of it, so copies "
                "on different partitions are matched");
  schema.String(
      "topics.held", &held,
      "embargoed stories while held, for readers entitled to them (compacted; tombstone on release)");
  schema.String("topics.ninjs", &ninjs, "ninjs JSON rendering of the latest Article per story (compacted)");
  schema.Bool("topics.ninjs_enabled", &ninjs_enabled, "publish the ninjs topic too (off by default)");
}

std::string DefaultAddressFile() {
  const char* dir = std::getenv("COPYDESK_RUN_DIR");
  return std::string(dir && *dir ? dir : "/tmp/copydesk") + "/broker";
}

Status WriteAddressFile(const std::string& path, const std::string& bootstrap, const std::string& control) {
  auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) mkdir(path.substr(0, slash).c_str(), 0755);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) return Error{v1::ERROR_CODE_INTERNAL, "cannot write " + tmp};
    out << "bootstrap=" << bootstrap << "\ncontrol=" << control << "\npid=" << getpid() << "\n";
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return Error{v1::ERROR_CODE_INTERNAL, "cannot rename " + tmp};
  return OkStatus();
}

Result<std::string> ReadAddressFile(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  if (!in) return Error{v1::ERROR_CODE_INTERNAL, "no local copydesk broker (" + path + " does not exist)"};
  std::map<std::string, std::string> kv;
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  int pid = std::atoi(kv["pid"].c_str());
  if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH)) {
    return Error{v1::ERROR_CODE_INTERNAL,
                 "the copydesk broker recorded in " + path + " (pid " + kv["pid"] + ") is not running"};
  }
  if (kv[key].empty()) return Error{v1::ERROR_CODE_INTERNAL, path + " has no '" + key + "'"};
  return kv[key];
}

Result<std::string> DiscoverBrokers() {
  const char* env = std::getenv("COPYDESK_BROKERS");
  if (env && *env) return std::string(env);
  auto from_file = ReadAddressFile(DefaultAddressFile(), "bootstrap");
  if (from_file.ok()) return from_file;
  return Error{
      v1::ERROR_CODE_INTERNAL,
      "no Kafka brokers configured: pass --brokers HOST:PORT, set COPYDESK_BROKERS, or start a local "
      "`copydesk broker` (" +
          from_file.error().reason + ")"};
}

}  // namespace copydesk
