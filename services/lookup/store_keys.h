// The key and page-token encoding of the lookup view (see the key layout in store.h), shared by
// the write path (store_apply.cc), the read path (store_read.cc) and the store itself (store.cc).
// Internal to copydesk_lookup.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "copydesk/v1/lookup.pb.h"
#include "lookup/view_record.pb.h"

namespace copydesk::lookup::store_keys {

inline constexpr char kMeta = 'M';
inline constexpr char kOffset = 'O';
inline constexpr char kVersion = 'V';
inline constexpr char kCancel = 'X';
inline constexpr char kStory = 'S';
inline constexpr char kArrival = 'A';
inline constexpr char kProvider = 'P';
inline constexpr char kLanguage = 'L';
inline constexpr char kUrl = 'U';
inline constexpr char kBand = 'H';
inline constexpr char kEvent = 'E';

// Offsets are >= 0 here; the sign bit flip keeps the order for any int64 anyway.
uint64_t OrderedOffset(int64_t o);

std::string Key(char kind, std::string_view rest = {});
std::string VersionKey(std::string_view story, uint32_t version);
std::string OffsetKey(int32_t partition);
std::string EventKey(int32_t partition, int64_t offset);
std::string SeqKey(char kind, std::string_view value, uint64_t seq);
std::string MetaKey(std::string_view name);

int64_t ToMillis(const google::protobuf::Timestamp& t);
std::string Lower(std::string s);

// The URL keys of one URL: the canonical form, and the URL as given when different.
std::vector<std::string> UrlKeys(std::string_view url);
// LSH band keys of a signature (without the story suffix).
std::vector<std::string> BandKeys(const internal::StoryRecord& rec);

// Page tokens: a hash of the filter they were issued for, and URL-safe base64 without padding.
uint64_t FilterHash(const v1::ArticleFilter& f);
std::string Base64Url(std::string_view in);
std::optional<std::string> UnBase64Url(std::string_view in);

// A page token for a listing to resume at `position` (after_seq or after_story set): with the view
// `generation` (held listings: 1), the `filter_hash` of the listing and the issue time, base64url.
std::string EncodePageToken(internal::PageToken position, uint64_t generation, uint64_t filter_hash,
                            int64_t now_ms);
// The position in `page_token` when it is a token of this service, issued for a listing with
// `filter_hash`, of view `generation` when that is given (else any), and at most `ttl_ms` old at
// `now_ms`. Otherwise an Error whose reason starts with kBadTokenPrefix (not a token, another
// filter) or kStaleTokenPrefix (another generation, expired).
Result<internal::PageToken> DecodePageToken(std::string_view page_token, uint64_t filter_hash,
                                            std::optional<uint64_t> generation, int64_t now_ms,
                                            int64_t ttl_ms);

}  // namespace copydesk::lookup::store_keys
