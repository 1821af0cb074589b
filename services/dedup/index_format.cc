#include "dedup/index_format.h"

#include <cstring>

#include "common/bytes.h"
#include "dedup/records.h"

namespace copydesk::dedup {

IndexRecordKind IndexRecordKindOf(std::string_view key) {
  if (IsSharedIndexKey(key)) return IndexRecordKind::kDocument;
  if (key.size() == kProgressKeySize && key.starts_with(kProgressKeyPrefix))
    return IndexRecordKind::kProgress;
  return IndexRecordKind::kOther;
}

bool IsSharedIndexKey(std::string_view key) {
  return key.starts_with("d/");
}

std::optional<int32_t> DocumentPartition(std::string_view value) {
  return internal::DecodeDocPartition(value);
}

std::string ProgressKey(int32_t partition) {
  std::string key(kProgressKeyPrefix);
  bytes::PutBe32(key, static_cast<uint32_t>(partition));
  return key;
}

std::string EncodeProgressValue(int64_t progress_ms, std::string_view tag) {
  std::string value;
  value.reserve(kProgressValueMinSize + tag.size());
  bytes::PutBe64(value, static_cast<uint64_t>(progress_ms));
  value.append(tag.data(), tag.size());
  return value;
}

std::optional<ProgressMarker> DecodeProgressMarker(std::string_view key, std::string_view value) {
  if (IndexRecordKindOf(key) != IndexRecordKind::kProgress || value.size() < kProgressValueMinSize)
    return std::nullopt;
  ProgressMarker m;
  m.partition = static_cast<int32_t>(bytes::GetBe32(key, kProgressKeyPrefix.size()));
  m.progress_ms = static_cast<int64_t>(bytes::GetBe64(value, 0));
  m.tag = std::string(value.substr(kProgressValueMinSize));
  return m;
}

void WriteBandEntryKey(char* out, int band, uint64_t band_hash, int64_t time_ms, uint64_t doc) {
  out[0] = 'b';
  out[1] = '/';
  out[2] = static_cast<char>(band);
  const uint64_t be[3] = {__builtin_bswap64(band_hash), __builtin_bswap64(~bytes::SignedToOrdered(time_ms)),
                          __builtin_bswap64(doc)};
  std::memcpy(out + 3, be, sizeof be);
}

std::string DecisionLogKey(int32_t partition, int64_t offset, uint32_t item) {
  std::string k = "o/";
  bytes::PutBe32(k, static_cast<uint32_t>(partition));
  bytes::PutBe64(k, static_cast<uint64_t>(offset));
  if (item != 0) bytes::PutBe32(k, item);
  return k;
}

}  // namespace copydesk::dedup
