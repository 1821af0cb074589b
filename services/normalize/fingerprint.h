// Content fingerprints for dedup: exact hashes plus the near-duplicate signature.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "copydesk/v1/article.pb.h"

namespace copydesk::normalize {

// Lower-cased words of a text (letters and digits), the unit shingles are built from.
std::vector<std::string_view> Words(std::string_view text, std::string& storage);

// Fills article.fingerprints from headline and body_text.
void ComputeFingerprints(v1::Article& article);

}  // namespace copydesk::normalize
