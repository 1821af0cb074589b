// `copydesk produce FILE...`: send files to the raw topic, so nobody needs kcat to try copydesk.
#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/config_flags.h"
#include "common/config.h"
#include "common/kafka.h"
#include "normalize/normalize.h"

namespace copydesk::cli {
namespace {

struct ProduceFlags {
  ConfigFlags config;
  std::string topic;  // default: topics.raw
  std::string content_type;
  std::string provider;
  std::string url;
  std::string guid;
  std::string version;
  std::string key;
  std::vector<std::string> headers;
  std::vector<std::string> files;
};

int RunProduce(ProduceFlags& f) {
  KafkaConfig kafka;
  TopicsConfig topics;
  ConfigSchema schema;
  kafka.Describe(schema);
  topics.Describe(schema);
  int code = 0;
  if (!LoadConfig(schema, f.config, "produce", &code)) return code;
  Status st = kafka.Resolve();
  if (!st.ok()) {
    std::cerr << "copydesk produce: " << st.error().reason << "\n";
    return 2;
  }
  const std::string topic = f.topic.empty() ? topics.raw : f.topic;
  // Defaults first: kafka.property.* (security, sizes, ...) override them.
  kafka::Properties props{{"enable.idempotence", "true"}, {"message.max.bytes", "16777216"}};
  for (const auto& [k, v] : kafka.ClientProperties()) props[k] = v;
  auto producer = kafka::Producer::Create(props);
  if (!producer.ok()) {
    std::cerr << "copydesk produce: " << producer.error().reason << "\n";
    return 2;
  }
  int sent = 0;
  for (const auto& path : f.files) {
    std::string data;
    if (path == "-") {
      data.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        std::cerr << "copydesk produce: cannot read " << path << "\n";
        return 2;
      }
      data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    std::string ct = f.content_type.empty() ? normalize::ContentTypeFromFileName(path) : f.content_type;
    if (ct.empty()) {
      std::cerr << "copydesk produce: cannot tell the content type of " << path
                << " from its extension; pass --content-type\n";
      return 2;
    }
    Record r;
    r.topic = topic;
    if (!f.key.empty())
      r.key = f.key;
    else if (!f.guid.empty())
      r.key = f.guid;
    else if (!f.url.empty())
      r.key = f.url;
    r.value = std::move(data);
    r.timestamp_ms = 0;  // CreateTime = now, set by the client
    r.headers.push_back({"content-type", ct});
    if (!f.provider.empty()) r.headers.push_back({"provider", f.provider});
    if (!f.url.empty()) r.headers.push_back({"url", f.url});
    if (!f.guid.empty()) r.headers.push_back({"guid", f.guid});
    if (!f.version.empty()) r.headers.push_back({"version", f.version});
    for (const auto& h : f.headers) {
      auto eq = h.find('=');
      if (eq == std::string::npos) {
        std::cerr << "copydesk produce: --header expects NAME=VALUE, got '" << h << "'\n";
        return 2;
      }
      r.headers.push_back({h.substr(0, eq), h.substr(eq + 1)});
    }
    st = producer.value()->Send(r);
    if (!st.ok()) {
      std::cerr << "copydesk produce: " << path << ": " << st.error().reason << "\n";
      return 1;
    }
    ++sent;
  }
  st = producer.value()->Flush(std::chrono::seconds(30));
  if (!st.ok()) {
    std::cerr << "copydesk produce: " << st.error().reason << "\n";
    return 1;
  }
  std::cout << "produced " << sent << " event(s) to " << topic << " at " << kafka.brokers << "\n";
  return 0;
}

}  // namespace

void RegisterProduce(CLI::App& app) {
  auto f = std::make_shared<ProduceFlags>();
  auto* cmd = app.add_subcommand(
      "produce",
      "Send files as raw events to news.raw.v1 (one event per file; '-' reads stdin). The content-type\n"
      "header comes from the extension (.html .txt .json .nitf.xml .g2.xml .rss.xml .atom.xml .pb) or\n"
      "--content-type. Kafka settings as for every command: --brokers, kafka.property.* (--set, --config,\n"
      "COPYDESK_KAFKA_PROPERTY_*), e.g. for SASL/TLS.");
  AddConfigFlags(cmd, f->config);
  AddKeyFlag(cmd, f->config, "--brokers", "kafka.brokers",
             "Kafka bootstrap servers (default: COPYDESK_BROKERS or the local broker)");
  cmd->add_option("--topic", f->topic, "topic (default: topics.raw, news.raw.v1)");
  cmd->add_option("--content-type", f->content_type, "content-type header for every file");
  cmd->add_option("--provider", f->provider, "provider header");
  cmd->add_option("--url", f->url, "url header");
  cmd->add_option("--guid", f->guid, "guid header (also the key)");
  cmd->add_option("--version", f->version, "provider version header");
  cmd->add_option("--key", f->key, "record key (default: guid, else url, else none)");
  cmd->add_option("--header", f->headers, "extra header NAME=VALUE (repeatable)");
  cmd->add_option("files", f->files, "files to send")->required();
  cmd->callback([f] { SetExitCode(RunProduce(*f)); });
}

}  // namespace copydesk::cli
