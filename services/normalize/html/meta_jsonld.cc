// The page's JSON-LD: the most article-like object (NewsArticle over Article over WebPage,
// one with a body over one without) and the first breadcrumb list, however deeply nested in
// @graph, mainEntity, hasPart or subjectOf.
#include <simdjson.h>

#include <algorithm>
#include <string>
#include <vector>

#include "normalize/html/meta_internal.h"

namespace copydesk::normalize::internal {
namespace {

std::string GetString(simdjson::dom::element e) {
  std::string_view sv;
  if (e.get_string().get(sv) == simdjson::SUCCESS) return std::string(sv);
  return "";
}

std::string Field(simdjson::dom::object o, std::string_view key) {
  simdjson::dom::element e;
  if (o.at_key(key).get(e) != simdjson::SUCCESS) return "";
  if (e.is_string()) return GetString(e);
  if (e.is_array()) {
    for (auto x : e.get_array()) {
      if (x.is_string()) return GetString(x);
    }
  }
  if (e.is_object()) {
    simdjson::dom::element v;
    if (e.get_object().at_key("@id").get(v) == simdjson::SUCCESS && v.is_string()) return GetString(v);
    if (e.get_object().at_key("name").get(v) == simdjson::SUCCESS && v.is_string()) return GetString(v);
  }
  return "";
}

void CollectAuthors(simdjson::dom::element e, std::vector<std::string>& out, bool* org_only) {
  if (out.size() >= kMaxAuthors) return;
  if (e.is_string()) {
    for (auto& a : SplitAuthors(GetString(e))) out.push_back(a);
    return;
  }
  if (e.is_array()) {
    for (auto x : e.get_array()) CollectAuthors(x, out, org_only);
    return;
  }
  if (e.is_object()) {
    auto o = e.get_object();
    std::string type = Field(o.value(), "@type");
    std::string name = Field(o.value(), "name");
    if (type != "Organization") *org_only = false;
    if (!name.empty()) {
      for (auto& a : SplitAuthors(name)) out.push_back(a);
    }
  }
}

int ArticleTypeScore(simdjson::dom::object o) {
  simdjson::dom::element t;
  if (o.at_key("@type").get(t) != simdjson::SUCCESS) return -1;
  std::vector<std::string> types;
  if (t.is_string()) types.push_back(GetString(t));
  if (t.is_array()) {
    for (auto x : t.get_array()) {
      if (x.is_string()) types.push_back(GetString(x));
    }
  }
  int best = -1;
  for (const auto& ty : types) {
    if (ty.find("NewsArticle") != std::string::npos)
      best = std::max(best, 3);
    else if (ty.find("Article") != std::string::npos || ty == "BlogPosting" || ty == "LiveBlogPosting" ||
             ty == "SocialMediaPosting" || ty == "Report")
      best = std::max(best, 2);
    else if (ty == "WebPage" || ty == "ItemPage")
      best = std::max(best, 0);
  }
  return best;
}

void WalkLd(simdjson::dom::element e, LdArticle& out, int depth, DeadlineCheck<1024>& clock) {
  if (depth > 8 || clock.Expired()) return;
  if (e.is_array()) {
    for (auto x : e.get_array()) WalkLd(x, out, depth + 1, clock);
    return;
  }
  if (!e.is_object()) return;
  auto o = e.get_object().value();
  std::string type = Field(o, "@type");
  if (type == "BreadcrumbList" && out.breadcrumbs.empty()) {
    simdjson::dom::array items;
    if (o.at_key("itemListElement").get(items) == simdjson::SUCCESS) {
      for (auto it : items) {
        if (!it.is_object()) continue;
        std::string name = Field(it.get_object().value(), "name");
        if (name.empty()) {
          simdjson::dom::element item;
          if (it.get_object().at_key("item").get(item) == simdjson::SUCCESS && item.is_object())
            name = Field(item.get_object().value(), "name");
        }
        if (!name.empty() && out.breadcrumbs.size() < kMaxBreadcrumbs)
          out.breadcrumbs.push_back(CleanValue(name));
      }
    }
  }
  int score = ArticleTypeScore(o);
  if (score >= 0) {
    std::string headline = Field(o, "headline");
    if (headline.empty()) headline = Field(o, "name");
    std::string body = Field(o, "articleBody");
    int s = score * 10 + (body.empty() ? 0 : 5) + (headline.empty() ? 0 : 1);
    if (s > out.score) {
      LdArticle a;
      a.breadcrumbs = std::move(out.breadcrumbs);
      a.score = s;
      a.headline = CleanValue(headline);
      a.description = CleanValue(Field(o, "description"));
      a.published = Field(o, "datePublished");
      if (a.published.empty()) a.published = Field(o, "dateCreated");
      a.modified = Field(o, "dateModified");
      a.body = std::move(body);
      a.section = CleanValue(Field(o, "articleSection"));
      a.language = Field(o, "inLanguage");
      a.url = Field(o, "url");
      if (a.url.empty()) a.url = Field(o, "mainEntityOfPage");
      simdjson::dom::element kw;
      if (o.at_key("keywords").get(kw) == simdjson::SUCCESS) {
        if (kw.is_string()) {
          a.keywords = GetString(kw);
        } else if (kw.is_array()) {
          for (auto x : kw.get_array()) {
            if (!x.is_string()) continue;
            if (!a.keywords.empty()) a.keywords += ",";
            a.keywords += GetString(x);
          }
        }
      }
      simdjson::dom::element au;
      if (o.at_key("author").get(au) == simdjson::SUCCESS ||
          o.at_key("creator").get(au) == simdjson::SUCCESS) {
        bool org_only = true;
        CollectAuthors(au, a.authors, &org_only);
      }
      out = std::move(a);
    }
  }
  for (auto [key, value] : o) {
    if (value.is_object() || value.is_array()) {
      if (key == "@graph" || key == "mainEntity" || key == "itemListElement" || key == "hasPart" ||
          key == "subjectOf") {
        WalkLd(value, out, depth + 1, clock);
      }
    }
  }
}

}  // namespace

LdArticle ParseJsonLd(const html::Document& doc, DeadlineCheck<1024>& clock) {
  LdArticle out;
  simdjson::dom::parser parser;
  // A block of metadata larger than this is not one (a long articleBody is a few hundred KiB):
  // it is skipped rather than parsed.
  constexpr size_t kMaxJsonLdBytes = 2 << 20;
  for (const std::string& raw : doc.json_ld) {
    if (clock.ExpiredNow()) break;
    if (raw.size() > kMaxJsonLdBytes) continue;
    // Strip CDATA / HTML comment wrappers in one pass, and turn raw line breaks and tabs (invalid
    // inside JSON strings) into spaces.
    std::string s;
    s.reserve(raw.size());
    for (size_t i = 0; i < raw.size();) {
      bool skipped = false;
      if (raw[i] == '<' || raw[i] == ']' || raw[i] == '-' || raw[i] == '/') {
        for (std::string_view junk : {"//<![CDATA[", "//]]>", "<![CDATA[", "]]>", "<!--", "-->"}) {
          if (raw.compare(i, junk.size(), junk) == 0) {
            i += junk.size();
            skipped = true;
            break;
          }
        }
      }
      if (skipped) continue;
      const char c = raw[i++];
      s.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
    }
    simdjson::dom::element root;
    if (parser.parse(s).get(root) != simdjson::SUCCESS) continue;
    WalkLd(root, out, 0, clock);
  }
  return out;
}

}  // namespace copydesk::normalize::internal
