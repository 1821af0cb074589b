// Settings of glibc's allocator for copydesk's processes (header-only: the benchmark binaries of
// the pure folders use it too, to measure memory as the services use it).
#pragma once

#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace copydesk {

inline constexpr int kTrimThresholdBytes = 32 << 20;
inline constexpr int kMmapThresholdBytes = 4 << 20;

// Keeps freed memory at the top of a heap for reuse instead of handing it back at once.
//
// By default glibc returns the top of a heap to the system as soon as more than 128 KiB of it is
// free. Normalizing one item allocates and frees about 170 KiB (CLD2's scoring buffers), and a
// commit frees its batch's output records; with the default every such cycle is a brk or madvise
// call and fresh pages faulted in. Here up to kTrimThresholdBytes stay free at a heap's top;
// allocations of kMmapThresholdBytes or more are still mapped on their own and given back when
// freed. glibc's own tunables win: with any `glibc.malloc.` setting in GLIBC_TUNABLES this does
// nothing. Call once, first thing in main().
inline void TuneAllocator() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.") != nullptr) return;
  // Setting either turns off glibc's dynamic thresholds, so both are set.
  mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
  mallopt(M_TRIM_THRESHOLD, kTrimThresholdBytes);
}

}  // namespace copydesk
