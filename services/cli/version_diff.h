// `copydesk get --diff`: two versions of a story as a readable diff.
#pragma once

#include <string>

#include "copydesk/v1/article.pb.h"

namespace copydesk::cli {

// The fields that changed from `before` to `after` with their values before (-) and after (+),
// the body's paragraph edits (paragraphs numbered from 1), and, from `after`'s lineage, which
// version, provider and event set each of its fields. Values are escaped so that none can end or
// forge a line.
std::string ReadableDiff(const v1::Article& before, const v1::Article& after);

}  // namespace copydesk::cli
