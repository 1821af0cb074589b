// text_fit: runs the text/plain decoder over files once per parameter setting, for fitting and
// checking TextParams (tests/bench/textdump_twins.py --cross-validate).
//
//   text_fit FILE...        settings on standard input, one per line: "name=value name=value ..."
//                           (names of TextParams; what a line leaves out keeps its default)
//   text_fit --list         prints the parameter names and their defaults
//
// For every setting and file it prints one JSON line {"s":SETTING,"f":FILE,"h":HASH} with the
// 64-bit xxh3 of the body text (the Article's body_text, as `copydesk normalize` prints it), and
// adds "body":TEXT the first time that file yields that hash, so that a caller scores each
// distinct body once. A file that fails to decode gives an empty body.
#include <xxhash.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/json.h"
#include "normalize/internal.h"
#include "normalize/text_decode.h"

namespace {

using copydesk::normalize::Limits;
using copydesk::normalize::Metadata;
using copydesk::normalize::internal::TextParams;

bool ParseSetting(const std::string& line, TextParams& params, std::string& error) {
  std::istringstream in(line);
  std::string item;
  while (in >> item) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) {
      error = "expected name=value, got '" + item + "'";
      return false;
    }
    int value = 0;
    const char* first = item.data() + eq + 1;
    const char* last = item.data() + item.size();
    const auto [end, ec] = std::from_chars(first, last, value);
    if (ec != std::errc() || end != last) {
      error = "not an integer: '" + item + "'";
      return false;
    }
    if (!copydesk::normalize::internal::SetTextParam(params, item.substr(0, eq), value)) {
      error = "unknown or out-of-range parameter: '" + item + "'";
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> paths(argv + 1, argv + argc);
  if (paths.size() == 1 && paths[0] == "--list") {
    for (const auto& [name, value] : copydesk::normalize::internal::TextParamList(TextParams{})) {
      std::printf("%s=%d\n", name.c_str(), value);
    }
    return 0;
  }
  if (paths.empty()) {
    std::fprintf(stderr, "usage: text_fit FILE... < settings   |   text_fit --list\n");
    return 2;
  }
  std::vector<std::string> inputs;
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "text_fit: cannot read %s\n", p.c_str());
      return 2;
    }
    inputs.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  Metadata meta;
  meta.content_type = "text/plain";
  const Limits limits;
  std::vector<std::set<uint64_t>> seen(inputs.size());
  std::string line;
  int setting = 0;
  while (std::getline(std::cin, line)) {
    TextParams params;
    std::string error;
    if (!ParseSetting(line, params, error)) {
      std::fprintf(stderr, "text_fit: setting %d: %s\n", setting, error.c_str());
      return 2;
    }
    for (size_t f = 0; f < inputs.size(); ++f) {
      copydesk::v1::Article article;
      if (!copydesk::normalize::internal::DecodeTextWith(inputs[f], meta, limits, params, article).ok() ||
          !copydesk::normalize::internal::Finalize(meta, limits, inputs[f].size(), article, nullptr).ok()) {
        article.Clear();
      }
      const std::string& body = article.body_text();
      const uint64_t hash = XXH3_64bits(body.data(), body.size());
      std::string out = "{\"s\":" + std::to_string(setting) + ",\"f\":" + std::to_string(f) + ",\"h\":\"" +
                        std::to_string(hash) + "\"";
      if (seen[f].insert(hash).second) {
        out += ",\"body\":";
        copydesk::AppendJsonString(out, body);
      }
      out += "}\n";
      std::fwrite(out.data(), 1, out.size(), stdout);
    }
    ++setting;
  }
  return 0;
}
