// Metadata of an HTML page: headline, standfirst, authors, times, dateline place, language,
// section path, canonical URL. Sources in order of trust: JSON-LD (NewsArticle & co.),
// OpenGraph / article: / Dublin Core / itemprop meta, <time datetime>, visible bylines and
// datelines. Never a date inside a <script> other than JSON-LD (scripts are dropped by the parser).
#pragma once

#include <string>

#include "copydesk/v1/article.pb.h"
#include "normalize/html/dom.h"
#include "normalize/normalize.h"

namespace copydesk::normalize::html {

struct PageMeta {
  // JSON-LD articleBody, when the page has one (a hint for body extraction).
  std::string hint_body;
  // Base URL for resolving relative links.
  std::string base_url;
};

// Fills headline, standfirst, byline, authors, firstcreated, versioncreated, located, language,
// section_path, canonical_url, keywords of `out` from `doc`. Stops early, with what it has, once
// `deadline_ns` (steady clock, 0 = none) has passed; the caller then reports the timeout.
PageMeta ExtractMetadata(const Document& doc, const Metadata& meta, v1::Article& out,
                         int64_t deadline_ns = 0);

// Fills located/firstcreated from a visible dateline in the first body blocks when still empty.
void ExtractDateline(v1::Article& out);

// Parses a date-time as found in pages (ISO 8601, RFC 2822, "Thursday, 15 November, 2001,
// 18:38 GMT", "Nov. 20, 2019 5:22 p.m. ET", "3. März 2024", "12 de marzo de 2024", ...) into
// seconds since the epoch (UTC). A time without a zone, offset or known abbreviation is wall-clock
// time in `zone` (Metadata::timezone, "" = UTC); a date alone is midnight UTC of that date.
// Returns false when it cannot. `*date_only` is set when no time of day was given.
bool ParseDateTime(std::string_view s, std::string_view zone, int64_t* epoch_seconds,
                   bool* date_only = nullptr);

}  // namespace copydesk::normalize::html
