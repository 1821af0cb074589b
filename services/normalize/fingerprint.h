// Content fingerprints for dedup: exact hashes plus the near-duplicate signatures.
//
// Computed once per article by the normalizer (Finalize) and by `copydesk replay`, so the worker
// and the offline replay see identical fingerprints. Pure and thread-safe.
//
// - headline_hash / body_hash: xxh3-64 of the text with whitespace runs collapsed to one space
//   and trimmed (TextHash): "identical normalized text" for redelivery detection. Case and
//   punctuation count ("FACTBOX-" vs "FACTBOX:" is a headline change).
// - content_hash: a combination of both (identical normalized headline and body).
// - minhash: a one-permutation MinHash (OPH, Li et al. 2012) of the body's word 5-shingles
//   with kMinHashSize bins and rotation densification for empty bins; the fraction of equal
//   bins estimates the 5-shingle Jaccard similarity. Empty when the body has no words.
// - simhash: 64-bit SimHash over the same shingles (kept for FindSimilar; dedup uses minhash).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "copydesk/v1/article.pb.h"

namespace copydesk::normalize {

// Number of MinHash bins (values) in Fingerprints.minhash.
inline constexpr int kMinHashSize = 128;
// Words per shingle.
inline constexpr int kShingleWords = 5;

// Lower-cased words of a text (letters and digits), the unit shingles are built from.
std::vector<std::string_view> Words(std::string_view text, std::string& storage);

// xxh3-64 of a text with whitespace runs collapsed and trimmed (the headline/body hash).
uint64_t TextHash(std::string_view text);

// xxh3-64 of the lower-cased words of a text (case, punctuation and spacing ignored).
uint64_t WordsHash(std::string_view text);

// The OPH MinHash signature (kMinHashSize values) of a text's word 5-shingles; empty when the
// text has no words. A text with fewer than 5 words is one shingle.
std::vector<uint32_t> MinHashSignature(std::string_view text);

// Fills article.fingerprints from headline and body_text.
void ComputeFingerprints(v1::Article& article);
// The same with a steady-clock deadline (ns, 0 = none), read between slices of a long body;
// false once it has passed (the fingerprints are then incomplete).
bool ComputeFingerprints(v1::Article& article, int64_t deadline_ns);

}  // namespace copydesk::normalize
