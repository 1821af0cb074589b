// One validated configuration: defaults < YAML file < COPYDESK_* environment < flags.
// Components describe their keys on a ConfigSchema; unknown keys and bad values fail at
// start-up with a message that names the key and the allowed values (STYLE.md item 7).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace copydesk {

// The keys a command accepts, each bound to a field of a config struct.
class ConfigSchema {
 public:
  ConfigSchema& String(std::string key, std::string* target, std::string help);
  ConfigSchema& Int(std::string key, int64_t* target, std::string help, int64_t min, int64_t max);
  ConfigSchema& Bool(std::string key, bool* target, std::string help);
  // One of `allowed`; with `ignore_case`, any spelling of one ("INFO", "Warning"), stored
  // lower-cased.
  ConfigSchema& Enum(std::string key, std::string* target, std::string help, std::vector<std::string> allowed,
                     bool ignore_case = false);
  // Every key under `prefix.` goes verbatim into `target` (librdkafka properties).
  ConfigSchema& Passthrough(std::string prefix, std::map<std::string, std::string>* target, std::string help);

  // Sets one key; `source` names where the value came from, for the error message.
  Status Set(std::string_view key, std::string_view value, std::string_view source);
  // A YAML file of nested maps; nested keys join with '.'.
  Status LoadFile(const std::string& path);
  // COPYDESK_<KEY> with '.' -> '_' upper-cased (COPYDESK_KAFKA_BROKERS -> kafka.brokers).
  // Passthrough keys: COPYDESK_KAFKA_PROPERTY_SECURITY_PROTOCOL -> kafka.property.security.protocol.
  // Unknown COPYDESK_* variables are returned in *unknown (callers log them).
  Status LoadEnv(std::vector<std::string>* unknown = nullptr);
  // "key=value" pairs from --set flags.
  Status LoadOverrides(const std::vector<std::string>& pairs);

  // Every key with its default and help, for --help-config.
  [[nodiscard]] std::string Describe() const;

 private:
  struct Entry {
    std::string key;
    std::string help;
    std::string default_value;
    std::function<Status(std::string_view)> set;
  };
  const Entry* Find(std::string_view key) const;

  std::vector<Entry> entries_;
  std::vector<std::pair<std::string, std::map<std::string, std::string>*>> passthrough_;
};

// Kafka connection settings shared by every command that talks to Kafka.
struct KafkaConfig {
  // bootstrap.servers. Empty: COPYDESK_BROKERS, else the local `copydesk broker`'s address file.
  std::string brokers;
  // Extra librdkafka properties (security.protocol, sasl.*, ssl.*, ...), passed through.
  std::map<std::string, std::string> properties;

  void Describe(ConfigSchema& schema);
  // Resolves `brokers` (flag/env/file/address file) or explains how to set it.
  Status Resolve();
  // Properties for a librdkafka client: bootstrap.servers plus the passthrough ones.
  [[nodiscard]] std::map<std::string, std::string> ClientProperties() const;
};

// Topic names (defaults from DESIGN.md). Their settings: common/topics.h.
struct TopicsConfig {
  std::string raw = "news.raw.v1";
  std::string articles = "news.articles.v1";
  std::string events = "news.article-events.v1";
  std::string dlq = "news.raw.dlq.v1";
  std::string outcomes = "news.ingest-outcomes.v1";
  std::string changelog = "news.dedup-changelog.v1";
  std::string index = "news.dedup-index.v1";
  // Embargoed stories while they are held (copydesk.v1.HeldStory; tombstone on release).
  std::string held = "news.articles-held.v1";
  // The optional ninjs rendering of the articles (off by default).
  std::string ninjs = "news.articles-ninjs.v1";
  bool ninjs_enabled = false;

  void Describe(ConfigSchema& schema);
};

// Where `copydesk broker` writes its addresses so that other local commands find it:
// $COPYDESK_RUN_DIR/broker (default /tmp/copydesk/broker), lines "bootstrap=...",
// "control=...", "pid=...".
std::string DefaultAddressFile();
Status WriteAddressFile(const std::string& path, const std::string& bootstrap, const std::string& control);
// Reads one key of the address file; fails when it is absent or its process is gone.
Result<std::string> ReadAddressFile(const std::string& path, const std::string& key);

// Finds the brokers when none were configured: COPYDESK_BROKERS, else the address file of a
// local `copydesk broker`.
Result<std::string> DiscoverBrokers();

}  // namespace copydesk
