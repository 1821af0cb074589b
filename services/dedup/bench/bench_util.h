// Helpers shared by the dedup benchmarks.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace copydesk::dedup::bench {

// The process's resident set size in KiB (VmRSS), -1 when unreadable.
inline long RssKiB() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  long kib = -1;
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, "VmRSS:", 6) == 0) kib = std::strtol(line + 6, nullptr, 10);
  std::fclose(f);
  return kib;
}

}  // namespace copydesk::dedup::bench
