#include "normalize/fingerprint.h"

// The header-only form lets the compiler inline the short inputs (one call per word).
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <chrono>

namespace copydesk::normalize {
namespace {

// Byte classes: 0 = separator, else the lower-cased byte (letters, digits, any non-ASCII byte).
struct ByteTable {
  unsigned char map[256];
  constexpr ByteTable() : map{} {
    for (int c = 0; c < 256; ++c) {
      if (c >= 'A' && c <= 'Z')
        map[c] = static_cast<unsigned char>(c + 32);
      else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80)
        map[c] = static_cast<unsigned char>(c);
      else
        map[c] = 0;
    }
  }
};
constexpr ByteTable kBytes;

// For TextHash, whose whitespace is space, \t, \n, \v, \f, \r: v[c] = 1 for those, and out[c]
// = ' ' for those, else c. Tables, not conditions, keep the loops free of branches (the compiler
// turns a condition on the byte back into a branch).
struct SpaceTable {
  unsigned char v[256];
  unsigned char out[256];
  constexpr SpaceTable() : v{}, out{} {
    for (int c = 0; c < 256; ++c) out[c] = static_cast<unsigned char>(c);
    for (unsigned char c : {' ', '\t', '\n', '\v', '\f', '\r'}) {
      v[c] = 1;
      out[c] = ' ';
    }
  }
};
constexpr SpaceTable kSpaces;

// For Tokenize: word[c] = 1 for word bytes (kBytes.map[c] != 0); out[c] = the lower-cased word
// byte, or ' ' for a separator.
struct WordTable {
  unsigned char word[256];
  unsigned char out[256];
  constexpr WordTable() : word{}, out{} {
    for (int c = 0; c < 256; ++c) {
      word[c] = kBytes.map[c] != 0 ? 1 : 0;
      out[c] = kBytes.map[c] != 0 ? kBytes.map[c] : ' ';
    }
  }
};
constexpr WordTable kWords;

inline bool IsWordByte(unsigned char c) {
  return kBytes.map[c] != 0;
}

inline unsigned char Lower(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c + 32) : c;
}

// The normalized form "w1 w2 ... wn " (lower-cased words, each followed by one space) and the
// xxh3-64 of each word.
struct Tokens {
  std::string buffer;
  std::vector<uint32_t> ends;   // offset in buffer of the space after each word
  std::string_view normalized;  // in buffer
  std::vector<uint64_t> word_hashes;
};

// Fills `out` from `text`. The buffers keep their capacity between calls (callers reuse Tokens).
// Branch-free over the bytes (a branch per word boundary mispredicts once per word): every byte
// is stored (a separator as ' '), the output advances on a word byte or on the first separator
// after a word, and that separator's offset is recorded as the word's end.
// With a deadline (steady-clock ns, 0 = none) the clock is read between slices of the text and
// of the words; returns false once it has passed (the tokens are then incomplete).
bool Tokenize(std::string_view text, Tokens& out, bool want_word_hashes, int64_t deadline_ns = 0) {
  constexpr size_t kSlice = 1 << 20;  // bytes, then words, between two reads of the clock
  auto past = [&] {
    return deadline_ns > 0 && std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::steady_clock::now().time_since_epoch())
                                      .count() > deadline_ns;
  };
  if (out.buffer.size() < text.size() + 1) out.buffer.resize(text.size() + 1);
  if (out.ends.size() < text.size() / 2 + 1) out.ends.resize(text.size() / 2 + 1);
  char* const base = out.buffer.data();
  uint32_t* const ends = out.ends.data();
  size_t pos = 0, words = 0;
  unsigned prev_word = 0;
  for (size_t from = 0; from < text.size(); from += kSlice) {
    if (from > 0 && past()) return false;
    for (unsigned char c : text.substr(from, kSlice)) {
      const unsigned word = kWords.word[c];
      base[pos] = static_cast<char>(kWords.out[c]);
      ends[words] = static_cast<uint32_t>(pos);
      words += (word ^ 1u) & prev_word;
      pos += word | prev_word;
      prev_word = word;
    }
  }
  if (prev_word != 0) {
    base[pos] = ' ';
    ends[words++] = static_cast<uint32_t>(pos++);
  }
  out.normalized = std::string_view(base, pos);
  out.word_hashes.clear();
  if (!want_word_hashes) return true;
  out.word_hashes.reserve(words);
  size_t start = 0;
  for (size_t i = 0; i < words; ++i) {
    if ((i & (kSlice / 8 - 1)) == 0 && i > 0 && past()) return false;
    out.word_hashes.push_back(XXH3_64bits(base + start, ends[i] - start));
    start = ends[i] + 1;
  }
  return true;
}

// kSpread.v[x] has byte j = bit j of x.
struct SpreadTable {
  uint64_t v[256];
  constexpr SpreadTable() : v{} {
    for (int x = 0; x < 256; ++x)
      for (int j = 0; j < 8; ++j)
        if (x & (1 << j)) v[x] |= 1ull << (8 * j);
  }
};
constexpr SpreadTable kSpread;

inline uint64_t Mix64(uint64_t h) {  // murmur3 fmix64
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

// Hashes of the word 5-shingles (one shingle of all words when there are fewer than 5).
void ShingleHashes(const std::vector<uint64_t>& w, std::vector<uint64_t>& out) {
  out.clear();
  if (w.empty()) return;
  const size_t k = w.size() < static_cast<size_t>(kShingleWords) ? w.size() : kShingleWords;
  out.reserve(w.size() - k + 1);
  for (size_t i = 0; i + k <= w.size(); ++i) {
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (size_t j = 0; j < k; ++j) h = (h ^ w[i + j]) * 0x100000001B3ull + (h >> 29);
    out.push_back(Mix64(h));
  }
}

std::vector<uint32_t> MinHashFromShingles(const std::vector<uint64_t>& shingles) {
  std::vector<uint32_t> sig;
  if (shingles.empty()) return sig;
  constexpr uint32_t kEmpty = 0xFFFFFFFFu;
  std::array<uint32_t, kMinHashSize> bins;
  bins.fill(kEmpty);
  std::array<bool, kMinHashSize> filled{};
  static_assert((kMinHashSize & (kMinHashSize - 1)) == 0, "bins must be a power of two");
  constexpr int kShift = 64 - __builtin_ctz(kMinHashSize);
  for (uint64_t h : shingles) {  // branch-free: min() of kEmpty and v is v
    const auto bin = static_cast<size_t>(h >> kShift);
    bins[bin] = std::min(bins[bin], static_cast<uint32_t>(h));
    filled[bin] = true;
  }
  // Rotation densification (Shrivastava & Li 2014): an empty bin borrows the value of the next
  // filled bin to its right, offset by the distance so that borrowed values differ from real ones.
  sig.resize(kMinHashSize);
  for (int i = 0; i < kMinHashSize; ++i) {
    int j = i, dist = 0;
    while (!filled[static_cast<size_t>(j)]) {
      j = (j + 1) % kMinHashSize;
      ++dist;
    }
    sig[static_cast<size_t>(i)] =
        dist == 0 ? bins[static_cast<size_t>(j)]
                  : static_cast<uint32_t>(
                        Mix64(bins[static_cast<size_t>(j)] + 0x9E3779B9ull * static_cast<uint64_t>(dist)));
  }
  return sig;
}

}  // namespace

std::vector<std::string_view> Words(std::string_view text, std::string& storage) {
  storage.clear();
  storage.reserve(text.size());
  std::vector<std::pair<size_t, size_t>> spans;
  size_t start = std::string::npos;
  for (unsigned char c : text) {
    if (IsWordByte(c)) {
      if (start == std::string::npos) start = storage.size();
      storage.push_back(static_cast<char>(Lower(c)));
    } else if (start != std::string::npos) {
      spans.emplace_back(start, storage.size() - start);
      start = std::string::npos;
    }
  }
  if (start != std::string::npos) spans.emplace_back(start, storage.size() - start);
  std::vector<std::string_view> out;
  out.reserve(spans.size());
  for (auto [s, n] : spans) out.emplace_back(storage.data() + s, n);
  return out;
}

uint64_t TextHash(std::string_view text) {
  // Branch-free: every byte is stored (whitespace as ' '), and the output pointer advances
  // unless the byte continues a whitespace run; leading whitespace never advances it
  // (prev_space starts true) and one trailing space is dropped. Word boundaries are data-
  // dependent, so a branch per byte mispredicts once per word.
  thread_local std::string buffer;
  if (buffer.size() < text.size()) buffer.resize(text.size());
  char* const base = buffer.data();
  char* dst = base;
  unsigned prev_space = 1;
  for (unsigned char c : text) {
    const unsigned space = kSpaces.v[c];
    *dst = static_cast<char>(kSpaces.out[c]);
    dst += (space & prev_space) ^ 1u;
    prev_space = space;
  }
  auto n = static_cast<size_t>(dst - base);
  if (n > 0 && base[n - 1] == ' ') --n;
  return XXH3_64bits(base, n);
}

uint64_t WordsHash(std::string_view text) {
  Tokens t;
  Tokenize(text, t, false);
  return XXH3_64bits(t.normalized.data(), t.normalized.size());
}

std::vector<uint32_t> MinHashSignature(std::string_view text) {
  Tokens t;
  Tokenize(text, t, true);
  std::vector<uint64_t> shingles;
  ShingleHashes(t.word_hashes, shingles);
  return MinHashFromShingles(shingles);
}

void ComputeFingerprints(v1::Article& article) {
  (void)ComputeFingerprints(article, 0);
}

bool ComputeFingerprints(v1::Article& article, int64_t deadline_ns) {
  auto* fp = article.mutable_fingerprints();
  fp->set_headline_hash(TextHash(article.headline()));
  fp->set_body_hash(TextHash(article.body_text()));
  thread_local Tokens t;  // reused: no allocation per article
  if (!Tokenize(article.body_text(), t, true, deadline_ns)) return false;
  fp->set_content_hash(fp->headline_hash() ^ (fp->body_hash() * 0x9E3779B97F4A7C15ull));

  thread_local std::vector<uint64_t> shingles;
  ShingleHashes(t.word_hashes, shingles);
  // SimHash: per bit, more shingles with the bit set than not. Bit counts are kept in byte lanes
  // (byte j of lane[k] counts bit 8k+j) and flushed before a lane can overflow.
  uint32_t ones[64] = {0};
  uint64_t lane[8] = {0};
  size_t pending = 0;
  auto flush = [&]() {
    for (int k = 0; k < 8; ++k) {
      for (int j = 0; j < 8; ++j) ones[8 * k + j] += static_cast<uint32_t>((lane[k] >> (8 * j)) & 0xFF);
      lane[k] = 0;
    }
    pending = 0;
  };
  for (uint64_t h : shingles) {
    for (int k = 0; k < 8; ++k) lane[k] += kSpread.v[(h >> (8 * k)) & 0xFF];
    if (++pending == 255) flush();
  }
  flush();
  uint64_t sim = 0;
  for (int b = 0; b < 64; ++b)
    if (2 * static_cast<size_t>(ones[b]) > shingles.size()) sim |= (1ull << b);
  fp->set_simhash(sim);

  auto sig = MinHashFromShingles(shingles);
  fp->mutable_minhash()->Assign(sig.begin(), sig.end());
  return true;
}

}  // namespace copydesk::normalize
