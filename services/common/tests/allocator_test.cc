#include "common/allocator.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace copydesk {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitizedHeap = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitizedHeap = true;
#else
constexpr bool kSanitizedHeap = false;
#endif
#else
constexpr bool kSanitizedHeap = false;
#endif

// A freed block below the mmap threshold stays at the top of the heap for the next allocation
// (glibc's default maps a 1 MiB block on its own and unmaps it when freed, or trims the top).
TEST(AllocatorTest, FreedMemoryStaysAtTheTopOfTheHeap) {
  if (kSanitizedHeap) GTEST_SKIP() << "the sanitizer's allocator replaces glibc's";
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.") != nullptr)
    GTEST_SKIP() << "GLIBC_TUNABLES sets glibc.malloc.*: TuneAllocator leaves the allocator alone";
  TuneAllocator();
  constexpr size_t kBlock = 1 << 20;
  static_assert(kBlock < kMmapThresholdBytes && kBlock < kTrimThresholdBytes);
  void* p = std::malloc(kBlock);
  ASSERT_NE(p, nullptr);
  std::memset(p, 1, kBlock);
  std::free(p);
  EXPECT_GE(mallinfo2().keepcost, kBlock);
}

}  // namespace
}  // namespace copydesk
