// Key and page-token encoding of the lookup view (see store_keys.h).
#include "lookup/store_keys.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/time_util.h>
#include <xxhash.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "common/bytes.h"
#include "lookup/store.h"
#include "normalize/url.h"

namespace copydesk::lookup::store_keys {
namespace {

using internal::StoryRecord;
using TimeUtil = google::protobuf::util::TimeUtil;

constexpr int kMinHashRowsPerBand = 4;
constexpr uint16_t kSimHashBandBase = 1000;

using bytes::PutBe32;
using bytes::PutBe64;

}  // namespace

uint64_t OrderedOffset(int64_t o) {
  return static_cast<uint64_t>(o) ^ (1ull << 63);
}

std::string Key(char kind, std::string_view rest) {
  std::string k(1, kind);
  k.append(rest);
  return k;
}
std::string VersionKey(std::string_view story, uint32_t version) {
  std::string k = Key(kVersion, story);
  k.push_back('\0');
  PutBe32(k, version);
  return k;
}
std::string OffsetKey(int32_t partition) {
  std::string k(1, kOffset);
  PutBe32(k, static_cast<uint32_t>(partition));
  return k;
}
std::string EventKey(int32_t partition, int64_t offset) {
  std::string k(1, kEvent);
  PutBe32(k, static_cast<uint32_t>(partition));
  PutBe64(k, OrderedOffset(offset));
  return k;
}
std::string SeqKey(char kind, std::string_view value, uint64_t seq) {
  std::string k(1, kind);
  if (kind != kArrival) {
    k.append(value);
    k.push_back('\0');
  }
  PutBe64(k, seq);
  return k;
}
std::string MetaKey(std::string_view name) {
  return Key(kMeta, name);
}

int64_t ToMillis(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMilliseconds(t);
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The URL keys of one URL: the canonical form, and the URL as given when different.
std::vector<std::string> UrlKeys(std::string_view url) {
  std::vector<std::string> out;
  std::string canon = normalize::CanonicalUrl(url);
  if (!canon.empty()) out.push_back(canon);
  std::string raw(url);
  if (!raw.empty() && raw != canon) out.push_back(raw);
  return out;
}

// LSH band keys of a signature (without the story suffix).
std::vector<std::string> BandKeys(const StoryRecord& rec) {
  std::vector<std::string> out;
  if (!rec.minhash().empty()) {
    const int n = rec.minhash_size();
    for (int b = 0; b * kMinHashRowsPerBand < n; ++b) {
      const int start = b * kMinHashRowsPerBand;
      const int len = std::min(kMinHashRowsPerBand, n - start);
      std::string k(1, kBand);
      k.push_back(static_cast<char>((b >> 8) & 0xff));
      k.push_back(static_cast<char>(b & 0xff));
      PutBe64(k, XXH3_64bits(rec.minhash().data() + start, sizeof(uint32_t) * static_cast<size_t>(len)));
      out.push_back(std::move(k));
    }
  } else if (rec.simhash() != 0) {
    for (int b = 0; b < 4; ++b) {
      const int band = kSimHashBandBase + b;
      std::string k(1, kBand);
      k.push_back(static_cast<char>((band >> 8) & 0xff));
      k.push_back(static_cast<char>(band & 0xff));
      PutBe64(k, (rec.simhash() >> (16 * b)) & 0xffff);
      out.push_back(std::move(k));
    }
  }
  return out;
}

uint64_t FilterHash(const v1::ArticleFilter& f) {
  std::string bytes;
  google::protobuf::io::StringOutputStream os(&bytes);
  {
    google::protobuf::io::CodedOutputStream cos(&os);
    cos.SetSerializationDeterministic(true);
    f.SerializeToCodedStream(&cos);
  }
  return XXH3_64bits(bytes.data(), bytes.size());
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Base64Url(std::string_view in) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kB64[(v >> s) & 63]);
  }
  if (i < in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    if (i + 1 < in.size()) out.push_back(kB64[(v >> 6) & 63]);
  }
  return out;
}

std::optional<std::string> UnBase64Url(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const char* p = std::strchr(kB64, c);
    if (c == '\0' || p == nullptr) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

std::string EncodePageToken(internal::PageToken position, uint64_t generation, uint64_t filter_hash,
                            int64_t now_ms) {
  position.set_generation(generation);
  position.set_filter_hash(filter_hash);
  position.set_issued_ms(now_ms);
  return Base64Url(position.SerializeAsString());
}

Result<internal::PageToken> DecodePageToken(std::string_view page_token, uint64_t filter_hash,
                                            std::optional<uint64_t> generation, int64_t now_ms,
                                            int64_t ttl_ms) {
  auto raw = UnBase64Url(page_token);
  internal::PageToken tok;
  if (!raw || !tok.ParseFromString(*raw) || tok.generation() == 0) {
    return Error{v1::ERROR_CODE_INTERNAL,
                 std::string(kBadTokenPrefix) + ": not a page token of this service"};
  }
  if (tok.filter_hash() != filter_hash) {
    return Error{v1::ERROR_CODE_INTERNAL, std::string(kBadTokenPrefix) + ": issued for another filter"};
  }
  if (generation && tok.generation() != *generation) {
    return Error{v1::ERROR_CODE_INTERNAL, std::string(kStaleTokenPrefix) +
                                              ": the view was rebuilt since; start again without a token"};
  }
  if (now_ms - tok.issued_ms() > ttl_ms) {
    return Error{v1::ERROR_CODE_INTERNAL,
                 std::string(kStaleTokenPrefix) + ": expired; start again without a token"};
  }
  return tok;
}

}  // namespace copydesk::lookup::store_keys
