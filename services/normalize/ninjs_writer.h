// copydesk.v1.Article -> IPTC ninjs 2.x JSON (valid against the ninjs 2.2 JSON Schema). Pure and
// thread-safe; used by `copydesk normalize --format ninjs`, `copydesk get --format ninjs` and the
// optional ninjs output topic.
#pragma once

#include <string>
#include <string_view>

#include "copydesk/v1/article.pb.h"

namespace copydesk::normalize {

struct NinjsOptions {
  // Makes a story id that is not a URI (dedup's "st_...") one: ninjs `uri` must be a URI.
  std::string story_uri_prefix = "urn:copydesk:story:";
};

// One ninjs 2.2 document, compact, valid UTF-8 with every string JSON-escaped.
//
// `uri`: the story id (Article.uri, prefixed when it is not already a URI). An Article without a
// story id yet (the output of `copydesk normalize`) gets a provisional uri: the provider's guid
// when it is an absolute URI, else the canonical URL, else
// "urn:copydesk:guid:<provider>:<guid>" (percent-encoded), else
// "urn:copydesk:content:<content hash>". `version` is copydesk's version when there is one, else
// the provider's.
//
// Mapping: headline and alternates -> headlines; body_text and body_html -> bodies (text/plain
// with word and character counts, text/html); standfirst and descriptions -> descriptions;
// byline -> by; authors -> people with rel "author" (or their role); subjects, section path
// (rel "section") and keywords (rel "keyword") -> subjects; genres, places, organisations,
// people, infosources (plus the provider, role "provider"), altids, renditions (plus the
// canonical URL of a text item as rendition "web"); media and related links -> associations
// (name, uri, type, headline, caption, credit, rights, renditions). Concept uris that are not
// URIs become `literal`; IRIs are written as URIs (RFC 3987 section 3.1). Fields ninjs 2.2 has
// no place for (priority, signals, pull quotes, captions, fingerprints, provenance) are not
// written.
std::string ToNinjs(const v1::Article& article, const NinjsOptions& options = {});

// `s` as a URI: non-URI characters of an IRI percent-encoded (RFC 3987 section 3.1); "" when `s`
// does not start with a URI scheme ("name:").
std::string AsUri(std::string_view s);

}  // namespace copydesk::normalize
