// The one MinHash similarity estimate of copydesk: dedup compares its 16-bit signatures with it,
// the lookup its stories' 32-bit ones. Header-only.
#pragma once

#include <cstddef>

namespace copydesk::minhash {

// The fraction of positions at which two signatures of the same length hold the same value: an
// unbiased estimate of the Jaccard similarity of the sets they sign (standard error
// sqrt(J(1-J)/n) for n values). 0 when either is empty or their lengths differ. Works on any
// indexable container with size() (std::vector, protobuf RepeatedField).
template <typename A, typename B>
double EstimateJaccard(const A& a, const B& b) {
  const auto n = a.size();
  if (n == 0 || static_cast<size_t>(b.size()) != static_cast<size_t>(n)) return 0;
  size_t equal = 0;
  for (decltype(a.size()) i = 0; i < n; ++i) equal += a[i] == b[i] ? 1 : 0;
  return static_cast<double>(equal) / static_cast<double>(n);
}

}  // namespace copydesk::minhash
