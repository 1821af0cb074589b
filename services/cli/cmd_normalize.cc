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
#include "normalize/normalize.h"

namespace copydesk::cli {
namespace {

struct NormalizeOptions {
  std::vector<std::string> files;
  std::string content_type;
  std::string url;
  std::string provider;
  std::string charset;
  uint32_t max_millis = 2000;
  size_t limit_bytes = 10u << 20;
  uint32_t max_depth = 512;
  int bench_repeat = 0;
  bool pretty = false;
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
      auto res = normalize::Normalize(data, MetaFor(o, path), limits);
      if (res.ok())
        ++ok;
      else
        ++failed;
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

int Run(const NormalizeOptions& o) {
  normalize::Limits limits;
  limits.max_millis = o.max_millis;
  limits.max_bytes = o.limit_bytes;
  limits.max_depth = o.max_depth;
  if (o.bench_repeat > 0) return RunBench(o, limits);
  google::protobuf::util::JsonPrintOptions jopts;
  jopts.add_whitespace = o.pretty && o.files.size() == 1;
  const bool single = o.files.size() == 1;
  int rc = 0;
  for (const auto& path : o.files) {
    std::string data;
    std::string line;
    if (!ReadAll(path, &data)) {
      Error e{v1::ERROR_CODE_INTERNAL, "cannot read file '" + path + "'"};
      line = single ? "{\"error\":" + ErrorJson(e) + "}"
                    : "{\"file\":" + JsonString(path) + ",\"error\":" + ErrorJson(e) + "}";
      std::cout << line << "\n";
      rc = 1;
      continue;
    }
    auto res = normalize::Normalize(data, MetaFor(o, path), limits);
    if (!res.ok()) {
      line = single ? "{\"error\":" + ErrorJson(res.error()) + "}"
                    : "{\"file\":" + JsonString(path) + ",\"error\":" + ErrorJson(res.error()) + "}";
      rc = 1;
    } else {
      std::string json;
      auto st = google::protobuf::util::MessageToJsonString(res.value(), &json, jopts);
      if (!st.ok()) {
        Error e{v1::ERROR_CODE_INTERNAL, "cannot print the article as JSON"};
        line = single ? "{\"error\":" + ErrorJson(e) + "}"
                      : "{\"file\":" + JsonString(path) + ",\"error\":" + ErrorJson(e) + "}";
        rc = 1;
      } else {
        line = single ? json : "{\"file\":" + JsonString(path) + ",\"article\":" + json + "}";
      }
    }
    std::cout << line << "\n";
  }
  std::cout.flush();
  return single ? rc : 0;
}

}  // namespace

void RegisterNormalize(CLI::App& app) {
  auto opts = std::make_shared<NormalizeOptions>();
  auto* cmd = app.add_subcommand(
      "normalize",
      "Normalize raw article files (HTML, text dumps, ninjs, NITF, NewsML-G2, RSS/Atom entries, RawArticle "
      "protobuf) into copydesk.v1.Article JSON.\n"
      "One FILE: prints the Article as JSON (protobuf JSON mapping, e.g. bodyText) and exits 0, or prints "
      "{\"error\":{\"code\":..,\"reason\":..}} and exits 1.\n"
      "Several FILEs: prints JSON Lines, one per file in order: {\"file\":PATH,\"article\":{...}} or "
      "{\"file\":PATH,\"error\":{...}}.\n"
      "The content type defaults from each file's extension (.html .txt .json .nitf.xml .g2.xml .rss.xml "
      ".atom.xml .pb).");
  cmd->add_option("files", opts->files, "Input files; '-' reads standard input")->required();
  cmd->add_option(
      "--content-type", opts->content_type,
      "MIME type for every file, e.g. 'text/html; charset=iso-8859-1' (default: from the extension)");
  cmd->add_option("--url", opts->url, "The URL the content was fetched from (canonical URL fallback)");
  cmd->add_option("--provider", opts->provider, "Provider name written into provenance");
  cmd->add_option("--charset", opts->charset, "Declared charset (overrides the content in the page)");
  cmd->add_option("--max-millis", opts->max_millis, "Time limit per document in ms (0 = none)")
      ->capture_default_str();
  cmd->add_option("--limit-bytes", opts->limit_bytes, "Reject inputs larger than this many bytes")
      ->capture_default_str();
  cmd->add_option("--max-depth", opts->max_depth, "Reject HTML/XML nested deeper than this")
      ->capture_default_str();
  cmd->add_flag("--pretty", opts->pretty, "Indent the JSON (single file only)");
  cmd->add_option("--bench-repeat", opts->bench_repeat,
                  "Benchmark: load all files into memory, normalize them N times on one thread, print "
                  "{pages, seconds, pages_per_s, mb_per_s} instead of articles");
  cmd->callback([opts] { SetExitCode(Run(*opts)); });
}

}  // namespace copydesk::cli
