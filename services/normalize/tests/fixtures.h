// Shared helper for the normalizer's fixture-based tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace copydesk::normalize::testing {

// The bytes of tests/fixtures/formats/<name> ("" when missing).
inline std::string ReadFormatFixture(const std::string& name) {
  std::ifstream in(std::filesystem::path(COPYDESK_SOURCE_DIR) / "tests/fixtures/formats" / name,
                   std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace copydesk::normalize::testing
