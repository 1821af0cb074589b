// `copydesk normalize`: runs the normalizer on files and prints Articles as JSON.
#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "common/json.h"
#include "normalize/ninjs_writer.h"
#include "normalize/normalize.h"
#include "normalize/timezone.h"

namespace copydesk::cli {
namespace {

struct NormalizeOptions {
  std::vector<std::string> files;
  std::string content_type;
  std::string url;
  std::string provider;
  std::string charset;
  std::string timezone;
  uint32_t max_millis = 2000;
  size_t limit_bytes = 10u << 20;
  uint32_t max_depth = 512;
  size_t max_items = 1000;
  int bench_repeat = 0;
  bool pretty = false;
  std::string format = "json";
};

bool ReadAll(const std::string& path, std::string* out) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    *out = ss.str();
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

std::string ErrorJson(const Error& e) {
  return "{\"code\":" + JsonString(e.CodeName()) + ",\"reason\":" + JsonString(e.reason) + "}";
}

normalize::Metadata MetaFor(const NormalizeOptions& o, const std::string& path) {
  normalize::Metadata m;
  m.content_type = o.content_type.empty() ? normalize::ContentTypeFromFileName(path) : o.content_type;
  m.url = o.url;
  m.provider = o.provider;
  m.charset = o.charset;
  m.timezone = o.timezone;
  return m;
}

int RunBench(const NormalizeOptions& o, const normalize::Limits& limits) {
  std::vector<std::pair<std::string, std::string>> inputs;
  size_t total = 0;
  for (const auto& f : o.files) {
    std::string data;
    if (!ReadAll(f, &data)) {
      std::cerr << "copydesk normalize: cannot read " << f << "\n";
      return 2;
    }
    total += data.size();
    inputs.emplace_back(f, std::move(data));
  }
  size_t ok = 0, failed = 0;
  auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < o.bench_repeat; ++r) {
    for (const auto& [path, data] : inputs) {
      auto res = normalize::NormalizeItems(data, MetaFor(o, path), limits);
      if (!res.ok()) {
        ++failed;
        continue;
      }
      for (const auto& it : *res) {
        if (it.article.ok())
          ++ok;
        else
          ++failed;
      }
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double pages = static_cast<double>(inputs.size()) * o.bench_repeat;
  std::printf(
      "{\"pages\":%.0f,\"ok\":%zu,\"failed\":%zu,\"seconds\":%.4f,\"pages_per_s\":%.1f,\"mb_per_s\":%.2f}\n",
      pages, ok, failed, secs, pages / secs,
      static_cast<double>(total) * o.bench_repeat / (1024.0 * 1024.0) / secs);
  return 0;
}

// The Article as JSON: ninjs 2.2, or protobuf's JSON mapping with the proto field names.
bool ArticleJson(const v1::Article& a, bool pretty, bool ninjs, std::string* out) {
  if (ninjs) {
    *out = normalize::ToNinjs(a);
    return true;
  }
  google::protobuf::util::JsonPrintOptions jopts;
  jopts.add_whitespace = pretty;
  jopts.preserve_proto_field_names = true;
  out->clear();
  return google::protobuf::util::MessageToJsonString(a, out, jopts).ok();
}

// One output line: `prefix` (the file and item keys, "" for a lone document) and the result.
std::string Line(const std::string& prefix, const Result<v1::Article>& res, bool pretty, bool ninjs,
                 bool* failed) {
  std::string json;
  if (res.ok() && !ArticleJson(res.value(), pretty, ninjs, &json)) {
    *failed = true;
    return "{" + prefix +
           "\"error\":" + ErrorJson({v1::ERROR_CODE_INTERNAL, "cannot print the article as JSON"}) + "}";
  }
  if (!res.ok()) {
    *failed = true;
    return "{" + prefix + "\"error\":" + ErrorJson(res.error()) + "}";
  }
  return prefix.empty() ? json : "{" + prefix + "\"article\":" + json + "}";
}

int Run(const NormalizeOptions& o) {
  normalize::Limits limits;
  limits.max_millis = o.max_millis;
  limits.max_bytes = o.limit_bytes;
  limits.max_depth = o.max_depth;
  limits.max_items = o.max_items;
  if (o.bench_repeat > 0) return RunBench(o, limits);
  const bool single = o.files.size() == 1;
  const bool ninjs = o.format == "ninjs";
  bool failed = false;
  for (const auto& path : o.files) {
    const std::string file_key = single ? "" : "\"file\":" + JsonString(path) + ",";
    std::string data;
    if (!ReadAll(path, &data)) {
      Result<v1::Article> err = Error{v1::ERROR_CODE_INTERNAL, "cannot read file '" + path + "'"};
      std::cout << Line(file_key, err, false, ninjs, &failed) << "\n";
      continue;
    }
    auto items = normalize::NormalizeItems(data, MetaFor(o, path), limits);
    if (!items.ok()) {
      Result<v1::Article> err = items.error();
      std::cout << Line(file_key, err, false, ninjs, &failed) << "\n";
      continue;
    }
    const bool multi = items->size() != 1 || !items->front().bytes.empty();
    for (const auto& it : *items) {
      std::string prefix = file_key;
      if (multi) {
        prefix += "\"item\":" + std::to_string(it.index) +
                  ",\"item_count\":" + std::to_string(items->size()) + ",\"guid\":" + JsonString(it.guid) +
                  ",";
      }
      std::cout << Line(prefix, it.article, o.pretty && prefix.empty(), ninjs, &failed) << "\n";
    }
  }
  std::cout.flush();
  return single && failed ? 1 : 0;
}

}  // namespace

void RegisterNormalize(CLI::App& app) {
  auto opts = std::make_shared<NormalizeOptions>();
  auto* cmd = app.add_subcommand(
      "normalize",
      "Normalize raw article files (HTML, text dumps, ninjs, NITF, NewsML-G2, RSS/Atom entries, RawArticle "
      "protobuf) into copydesk.v1.Article JSON.\n"
      "One FILE: prints the Article as JSON (protobuf JSON mapping with the proto field names, e.g. "
      "body_text) and exits 0, or prints {\"error\":{\"code\":..,\"reason\":..}} and exits 1.\n"
      "A multi-item FILE (an RSS or Atom feed, a NewsML-G2 newsMessage): one JSON line per item, "
      "{\"item\":I,\"item_count\":N,\"guid\":..,\"article\":{...}} or {...,\"error\":{...}}; exits 1 "
      "when any item failed.\n"
      "Several FILEs: JSON Lines in order, each with \"file\":PATH first.\n"
      "The content type defaults from each file's extension (.html .txt .json .nitf.xml .g2.xml .rss.xml "
      ".atom.xml .pb).");
  cmd->add_option("files", opts->files, "Input files; '-' reads standard input")->required();
  cmd->add_option(
      "--content-type", opts->content_type,
      "MIME type for every file, e.g. 'text/html; charset=iso-8859-1' (default: from the extension)");
  cmd->add_option("--url", opts->url, "The URL the content was fetched from (canonical URL fallback)");
  cmd->add_option("--provider", opts->provider, "Provider name written into provenance");
  cmd->add_option("--charset", opts->charset, "Declared charset (overrides the content in the page)");
  cmd->add_option("--timezone", opts->timezone,
                  "IANA time zone (e.g. Europe/Berlin) in which times that state no zone or offset are read "
                  "(default: UTC)")
      ->check(CLI::Validator(
          [](std::string& zone) -> std::string {
            if (normalize::IsTimezone(zone)) return "";
            return "unknown time zone '" + zone + "': give an IANA name such as Europe/Berlin or UTC";
          },
          "ZONE"));
  cmd->add_option("--max-millis", opts->max_millis, "Time limit per document in ms (0 = none)")
      ->capture_default_str();
  cmd->add_option("--limit-bytes", opts->limit_bytes, "Reject inputs larger than this many bytes")
      ->capture_default_str();
  cmd->add_option("--max-depth", opts->max_depth, "Reject HTML/XML nested deeper than this")
      ->capture_default_str();
  cmd->add_option("--max-items", opts->max_items,
                  "Items per multi-item input; each item past it is an error TOO_MANY_ITEMS")
      ->capture_default_str();
  cmd->add_flag("--pretty", opts->pretty, "Indent the JSON (single file only; not ninjs)");
  cmd->add_option(
         "--format", opts->format,
         "json: copydesk.v1.Article in protobuf's JSON mapping (proto field names); ninjs: IPTC ninjs "
         "2.2 JSON (uri: the provider's guid or URL, provisional until dedup assigns a story id)")
      ->check(CLI::IsMember({"json", "ninjs"}))
      ->capture_default_str();
  cmd->add_option("--bench-repeat", opts->bench_repeat,
                  "Benchmark: load all files into memory, normalize them N times on one thread, print "
                  "{pages, seconds, pages_per_s, mb_per_s} instead of articles");
  cmd->callback([opts] { SetExitCode(Run(*opts)); });
}

}  // namespace copydesk::cli
