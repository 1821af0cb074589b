#include "normalize/html/meta.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "normalize/ascii.h"
#include "normalize/deadline.h"
#include "normalize/html/extract.h"
#include "normalize/html/meta_internal.h"
#include "normalize/internal.h"

namespace copydesk::normalize::html {
namespace {

using internal::Clean;
using internal::CleanValue;
using internal::kMaxAuthors;
using internal::kMaxKeywords;
using internal::kMaxTitleBytes;
using internal::LdArticle;
using internal::Norm;
using internal::ParseJsonLd;
using internal::SplitAuthors;
using internal::Trim;

void SetTime(google::protobuf::Timestamp* ts, int64_t secs) {
  ts->set_seconds(secs);
  ts->set_nanos(0);
}

// ---------------------------------------------------------------------------------------------

struct MetaTags {
  std::map<std::string, std::string> values;  // first value per key (lower-case key)
  std::vector<std::string> article_tags;
  std::vector<std::string> authors;  // every article:author / author meta
  void Add(const std::string& key, std::string_view value) {
    if (value.empty()) return;
    if (key == "article:tag" && article_tags.size() < kMaxKeywords) article_tags.push_back(CleanValue(value));
    if ((key == "article:author" || key == "author" || key == "parsely-author" || key == "sailthru.author" ||
         key == "dc.creator" || key == "byl" || key == "dcterms.creator" || key == "citation_author") &&
        authors.size() < kMaxAuthors)
      authors.push_back(CleanValue(value));
    values.emplace(key, std::string(value));
  }
  [[nodiscard]] bool Has(const std::string& key) const { return values.count(key) > 0; }
  [[nodiscard]] std::string Get(std::initializer_list<const char*> keys) const {
    for (const char* k : keys) {
      auto it = values.find(k);
      if (it != values.end() && !Trim(it->second).empty()) return it->second;
    }
    return "";
  }
};

// Splits "Title | Site" into the title part when the site part is short.
std::string StripSiteName(const std::string& title) {
  for (std::string_view sep : {" | ", " - ", " – ", " — ", " :: ", " » ", " · "}) {
    auto p = title.rfind(sep);
    if (p != std::string::npos && p > 0) {
      std::string head = title.substr(0, p);
      std::string tail = title.substr(p + sep.size());
      if (std::count(head.begin(), head.end(), ' ') >= 2 && tail.size() < head.size()) return Trim(head);
    }
  }
  return title;
}

// Fraction of the shorter string's characters covered by a common prefix-insensitive overlap.
double Similarity(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return 0;
  if (a == b) return 1;
  const std::string& shorter = a.size() < b.size() ? a : b;
  const std::string& longer = a.size() < b.size() ? b : a;
  if (longer.find(shorter) != std::string::npos) return static_cast<double>(shorter.size()) / longer.size();
  return 0;
}

// What a node's ancestors say about it: inside junk (navigation, footers, related links,
// comments) and inside a page header or logo. Each answer is memoized per ancestor, so asking
// for every node of a deep page stays linear instead of walking every chain to the root.
class Ancestry {
 public:
  explicit Ancestry(const Document& doc) : doc_(doc), junk_(doc.nodes.size(), kUnknown), header_(junk_) {}

  // An ancestor below the body/article/main is navigation, a footer, an aside, or has a related,
  // comment, sidebar, promo or recommendation class.
  bool InJunk(uint32_t n) { return Junk(doc_.nodes[n].parent) == kYes; }
  // In a page header, navigation or logo: an <h1> there is the site name, not the headline.
  bool InHeaderish(uint32_t n) {
    const uint8_t h = Header(doc_.nodes[n].parent);
    return h == kOpen ? InJunk(n) : h == kYes;
  }

 private:
  static constexpr uint8_t kUnknown = 0, kNo = 1, kYes = 2, kOpen = 3;  // kOpen: up to the root

  // The answer for the chain that starts at `p` (inclusive); `own` decides one node or says
  // kUnknown to defer to its parent.
  template <typename Own>
  uint8_t Chain(std::vector<uint8_t>& memo, uint32_t p, uint8_t at_root, Own own) {
    path_.clear();
    uint8_t answer = at_root;
    for (; p != kNone && p != 0; p = doc_.nodes[p].parent) {
      if (memo[p] != kUnknown) {
        answer = memo[p];
        break;
      }
      const uint8_t mine = own(p);
      if (mine != kUnknown) {
        answer = mine;
        memo[p] = mine;
        break;
      }
      path_.push_back(p);
    }
    for (uint32_t q : path_) memo[q] = answer;
    return answer;
  }

  uint8_t Junk(uint32_t p) {
    return Chain(junk_, p, kNo, [&](uint32_t q) -> uint8_t {
      const Tag t = doc_.nodes[q].tag;
      if (t == Tag::kNav || t == Tag::kFooter || t == Tag::kAside) return kYes;
      if (t == Tag::kBody || t == Tag::kHtml || t == Tag::kArticle || t == Tag::kMain) return kNo;
      const std::string cls = AsciiLower(doc_.Attribute(q, AttrKey::kClass));
      if (cls.find("related") != std::string::npos ||
          (cls.find("comment") != std::string::npos && cls.find("open") == std::string::npos) ||
          cls.find("sidebar") != std::string::npos || cls.find("promo") != std::string::npos ||
          cls.find("recommend") != std::string::npos)
        return kYes;
      return kUnknown;
    });
  }

  uint8_t Header(uint32_t p) {
    return Chain(header_, p, kOpen, [&](uint32_t q) -> uint8_t {
      const Tag t = doc_.nodes[q].tag;
      if (t == Tag::kArticle || t == Tag::kMain) return kNo;
      if (t == Tag::kNav || t == Tag::kFooter || t == Tag::kAside || t == Tag::kHeader) return kYes;
      std::string cls = AsciiLower(doc_.Attribute(q, AttrKey::kClass));
      cls += AsciiLower(doc_.Attribute(q, AttrKey::kId));
      if (cls.find("logo") != std::string::npos || cls.find("header") != std::string::npos ||
          cls.find("masthead") != std::string::npos || cls.find("brand") != std::string::npos ||
          cls.find("site-title") != std::string::npos || cls.find("sidebar") != std::string::npos ||
          cls.find("widget") != std::string::npos || cls.find("modal") != std::string::npos)
        return kYes;
      return kUnknown;
    });
  }

  const Document& doc_;
  std::vector<uint8_t> junk_, header_;
  std::vector<uint32_t> path_;
};

// Whether a date-time string states its time zone (Z, an offset, GMT/UTC).
bool HasZone(std::string_view s) {
  if (s.empty()) return false;
  if (s.back() == 'Z' || s.find("GMT") != std::string_view::npos || s.find("UTC") != std::string_view::npos)
    return true;
  auto t = s.find_first_of("T ", 8);
  if (t == std::string_view::npos) return false;
  return s.find_first_of("+-", t) != std::string_view::npos;
}

std::string PrimaryLanguage(std::string_view tag) {
  std::string l = AsciiLower(Trim(tag));
  auto cut = l.find_first_of("-_");
  l = l.substr(0, cut);
  if (l.size() < 2 || l.size() > 3 ||
      !std::all_of(l.begin(), l.end(), [](char c) { return c >= 'a' && c <= 'z'; }))
    return "";
  return l;
}

// One page's metadata extraction, one method per field group. The members are what the first
// pass over the nodes collects (meta tags, candidate nodes) and the JSON-LD article.
struct MetaPass {
  // At most this many of each kind of candidate node are looked at: a page has a handful, a
  // hostile one millions.
  static constexpr size_t kMaxCandidates = 64;

  MetaPass(const Document& d, const Metadata& m, v1::Article& o, int64_t deadline_ns)
      : doc(d), meta(m), out(o), ancestry(d), clock(deadline_ns), n(d.nodes.size()) {}

  void ScanNodes();
  void ScanAttributes(uint32_t i, const Node& nd);
  void SetCanonicalUrl();
  void SetHeadline();
  void SetStandfirst();
  void SetAuthors();
  void AuthorsFromBylines(std::vector<std::string>& authors);
  void AuthorsFromAuthorClasses(std::vector<std::string>& authors);
  void AuthorsFromMetaTags(std::vector<std::string>& authors);
  void SetTimes();
  void SetLanguage();
  void SetSectionPath();
  void SetKeywords();

  const Document& doc;
  const Metadata& meta;
  v1::Article& out;
  PageMeta page;
  MetaTags tags;
  Ancestry ancestry;
  DeadlineCheck<1024> clock;
  const size_t n;
  std::string canonical_link, html_lang;
  std::vector<uint32_t> h1s;
  std::vector<uint32_t> times;
  std::vector<uint32_t> byline_nodes;
  std::vector<uint32_t> author_class_nodes;  // weaker: class contains "author"
  LdArticle ld;
};

void MetaPass::ScanNodes() {
  for (uint32_t i = 1; i < n && !clock.Expired(); ++i) {
    const Node& nd = doc.nodes[i];
    if (nd.tag == Tag::kText) continue;
    switch (nd.tag) {
      case Tag::kMeta: {
        std::string_view content = doc.Attribute(i, AttrKey::kContent);
        for (AttrKey attr : {AttrKey::kName, AttrKey::kProperty, AttrKey::kItemprop, AttrKey::kHttpEquiv}) {
          std::string_view key = doc.Attribute(i, attr);
          if (!key.empty()) tags.Add(AsciiLower(Trim(key)), content);
        }
        break;
      }
      case Tag::kLink: {
        std::string rel = AsciiLower(doc.Attribute(i, AttrKey::kRel));
        if (rel == "canonical" && canonical_link.empty())
          canonical_link = Trim(doc.Attribute(i, AttrKey::kHref));
        break;
      }
      case Tag::kHtml:
        if (html_lang.empty()) html_lang = std::string(doc.Attribute(i, AttrKey::kLang));
        if (html_lang.empty()) html_lang = std::string(doc.Attribute(i, AttrKey::kXmlLang));
        break;
      case Tag::kH1:
        if (h1s.size() < kMaxCandidates / 4) h1s.push_back(i);
        break;
      case Tag::kTime:
        if (times.size() < kMaxCandidates) times.push_back(i);
        break;
      default: break;
    }
    if (nd.attr_count > 0) ScanAttributes(i, nd);
  }
}

void MetaPass::ScanAttributes(uint32_t i, const Node& nd) {
  std::string_view itemprop = doc.Attribute(i, AttrKey::kItemprop);
  std::string_view rel = doc.Attribute(i, AttrKey::kRel);
  if ((itemprop == "author" || rel == "author") && byline_nodes.size() < kMaxCandidates)
    byline_nodes.push_back(i);
  // Only the first value of a key is kept: the text of later ones is never read.
  const char* date_key = itemprop == "datePublished"  ? "itemprop:datepublished"
                         : itemprop == "dateModified" ? "itemprop:datemodified"
                                                      : nullptr;
  if (date_key && nd.tag != Tag::kMeta && !tags.Has(date_key) && !ancestry.InJunk(i)) {
    std::string_view v = doc.Attribute(i, AttrKey::kDatetime);
    if (v.empty()) v = doc.Attribute(i, AttrKey::kContent);
    std::string val = v.empty() ? doc.InnerText(i, 201) : std::string(v);
    tags.Add(date_key, val);
  }
  if (itemprop == "headline" && nd.tag != Tag::kMeta && !tags.Has("itemprop:headline"))
    tags.Add("itemprop:headline", doc.InnerText(i, kMaxTitleBytes));
  std::string_view cls = doc.Attribute(i, AttrKey::kClass);
  if ((cls.find("byline") != std::string_view::npos || cls.find("Byline") != std::string_view::npos) &&
      nd.tag != Tag::kBody && nd.tag != Tag::kArticle) {
    if (byline_nodes.size() < kMaxCandidates) byline_nodes.push_back(i);
  } else if (cls.find("author") != std::string_view::npos && cls.find("bio") == std::string_view::npos &&
             cls.find("about") == std::string_view::npos && cls.find("avatar") == std::string_view::npos &&
             nd.tag != Tag::kBody && nd.tag != Tag::kArticle && nd.tag != Tag::kImg) {
    if (author_class_nodes.size() < kMaxCandidates) author_class_nodes.push_back(i);
  }
}

void MetaPass::SetCanonicalUrl() {
  page.base_url = meta.url;
  std::string og_url = Trim(tags.Get({"og:url"}));
  std::string canon;
  if (!canonical_link.empty())
    canon = internal::CanonicalizeUrl(ResolveUrl(meta.url.empty() ? og_url : meta.url, canonical_link));
  if (canon.empty() && !og_url.empty()) canon = internal::CanonicalizeUrl(og_url);
  if (canon.empty() && !ld.url.empty()) canon = internal::CanonicalizeUrl(ld.url);
  if (!canon.empty()) out.set_canonical_url(canon);
  if (page.base_url.empty()) page.base_url = canon;
}

// The visible <h1> that matches one of the page's declared titles; else an <h1> in the content
// (not in a header/logo); else the declared title; else <title>.
void MetaPass::SetHeadline() {
  std::vector<std::string> declared_titles;
  for (const std::string& t :
       {ld.headline, CleanValue(tags.Get({"og:title"})), CleanValue(tags.Get({"twitter:title"})),
        CleanValue(tags.Get({"itemprop:headline", "headline"}))}) {
    if (!t.empty() && t.size() <= kMaxTitleBytes) {
      declared_titles.push_back(t);
      declared_titles.push_back(StripSiteName(t));
    }
  }
  std::string declared = declared_titles.empty() ? "" : StripSiteName(declared_titles[0]);
  std::string title = StripSiteName(doc.title.empty() ? "" : CleanValue(doc.title));
  if (!title.empty()) declared_titles.push_back(title);
  std::string best_h1, content_h1;
  double best_sim = 0;
  for (uint32_t h : h1s) {
    std::string t = doc.InnerText(h, 401);
    if (t.empty() || t.size() > 400) continue;
    std::string nt = Norm(t);
    double sim = 0;
    for (const auto& d : declared_titles) sim = std::max(sim, Similarity(nt, Norm(d)));
    if (sim > best_sim) {
      best_sim = sim;
      best_h1 = t;
    }
    if (content_h1.empty() && !ancestry.InHeaderish(h)) content_h1 = t;
  }
  std::string headline;
  if (!best_h1.empty() && best_sim >= 0.5)
    headline = best_h1;
  else if (!content_h1.empty())
    headline = content_h1;
  else if (!declared.empty())
    headline = declared;
  else
    headline = title;
  out.set_headline(Clean(headline));
}

void MetaPass::SetStandfirst() {
  std::string standfirst = ld.description;
  if (standfirst.empty())
    standfirst = CleanValue(tags.Get({"og:description", "description", "twitter:description"}));
  if (standfirst.size() > 1000) standfirst.clear();
  out.set_standfirst(standfirst);
}

// Authors: JSON-LD, then visible byline markup, then meta.
void MetaPass::SetAuthors() {
  std::vector<std::string> authors = ld.authors;
  if (authors.empty()) AuthorsFromBylines(authors);
  if (authors.empty()) AuthorsFromAuthorClasses(authors);
  if (authors.empty()) AuthorsFromMetaTags(authors);
  std::string byline;
  for (const auto& a : authors) {
    auto* p = out.add_authors();
    p->set_name(a);
    p->set_role("author");
    if (!byline.empty()) byline += ", ";
    byline += a;
  }
  out.set_byline(byline);
}

void MetaPass::AuthorsFromBylines(std::vector<std::string>& authors) {
  for (uint32_t b : byline_nodes) {
    if (ancestry.InJunk(b)) continue;
    std::string_view name_attr = doc.Attribute(b, AttrKey::kContent);
    std::string text;
    // itemprop=author with an itemprop=name child
    // (among the first nodes of the byline: a name sits at its start)
    const uint32_t scan_end = static_cast<uint32_t>(std::min<size_t>(n, b + 1 + 4096));
    for (uint32_t k = b + 1; k < scan_end && doc.nodes[k].depth > doc.nodes[b].depth; ++k) {
      if (doc.Attribute(k, AttrKey::kItemprop) == "name") {
        text = doc.Attribute(k, AttrKey::kContent).empty() ? doc.InnerText(k, 201)
                                                           : std::string(doc.Attribute(k, AttrKey::kContent));
        break;
      }
    }
    if (text.empty()) text = name_attr.empty() ? doc.InnerText(b, 201) : std::string(name_attr);
    if (text.size() > 200) continue;
    for (auto& a : SplitAuthors(text)) {
      if (authors.size() < kMaxAuthors && std::find(authors.begin(), authors.end(), a) == authors.end())
        authors.push_back(a);
    }
    if (!authors.empty() && doc.Attribute(b, AttrKey::kRel) != "author" &&
        doc.Attribute(b, AttrKey::kItemprop) != "author")
      break;
  }
}

void MetaPass::AuthorsFromAuthorClasses(std::vector<std::string>& authors) {
  for (uint32_t b : author_class_nodes) {
    if (ancestry.InJunk(b)) continue;
    std::string text = doc.InnerText(b, 121);
    if (text.empty() || text.size() > 120) continue;
    auto names = SplitAuthors(text);
    if (names.empty()) continue;
    authors = names;
    break;
  }
}

void MetaPass::AuthorsFromMetaTags(std::vector<std::string>& authors) {
  for (const auto& a : tags.authors) {
    if (a.find("://") != std::string::npos) continue;
    for (auto& x : SplitAuthors(a)) {
      if (authors.size() < kMaxAuthors && std::find(authors.begin(), authors.end(), x) == authors.end())
        authors.push_back(x);
    }
  }
}

void MetaPass::SetTimes() {
  int64_t secs = 0;
  // article:published_time first: JSON-LD times are more often mislabelled local times.
  std::string published = tags.Get({"article:published_time", "og:published_time"});
  if (published.empty() || (!HasZone(published) && HasZone(ld.published))) published = ld.published;
  if (published.empty())
    published = tags.Get({"datepublished", "itemprop:datepublished", "article.published", "pubdate",
                          "publishdate", "publish-date", "publish_date", "dc.date.issued", "dcterms.issued",
                          "dc.date", "dcterms.created", "date", "sailthru.date", "parsely-pub-date",
                          "og:pubdate", "article:published", "publication_date", "original-publish-date",
                          "citation_publication_date"});
  if (published.empty()) {
    for (uint32_t t : times) {
      if (ancestry.InJunk(t)) continue;
      std::string_view dt = doc.Attribute(t, AttrKey::kDatetime);
      if (!dt.empty()) {
        published = std::string(dt);
        break;
      }
    }
  }
  if (!published.empty() && ParseDateTime(published, meta.timezone, &secs))
    SetTime(out.mutable_firstcreated(), secs);
  std::string modified = ld.modified;
  if (modified.empty())
    modified = tags.Get({"article:modified_time", "og:updated_time", "itemprop:datemodified", "datemodified",
                         "article.updated", "last-modified", "dcterms.modified", "lastmod"});
  if (!modified.empty() && ParseDateTime(modified, meta.timezone, &secs))
    SetTime(out.mutable_versioncreated(), secs);
  if (!out.has_firstcreated()) {
    // A visible date line: a short text node with a month name or a numeric date near the top.
    int checked = 0;
    for (uint32_t i = 1; i < n && checked < 4000 && !clock.Expired(); ++i) {
      if (doc.nodes[i].tag != Tag::kText) continue;
      ++checked;
      std::string_view t = doc.Text(i);
      if (t.size() < 8 || t.size() > 120) continue;
      bool date_only = true;
      if (ParseDateTime(t, meta.timezone, &secs, &date_only)) {
        if (ancestry.InJunk(i)) continue;
        SetTime(out.mutable_firstcreated(), secs);
        break;
      }
    }
  }
}

void MetaPass::SetLanguage() {
  std::string lang = PrimaryLanguage(html_lang);
  if (lang.empty())
    lang = PrimaryLanguage(tags.Get({"content-language", "language", "dc.language", "og:locale"}));
  if (lang.empty()) lang = PrimaryLanguage(ld.language);
  if (!lang.empty()) out.set_language(lang);
}

// Breadcrumbs, then article:section / articleSection.
void MetaPass::SetSectionPath() {
  std::vector<std::string> path;
  for (const auto& b : ld.breadcrumbs) {
    std::string lb = AsciiLower(b);
    if (lb == "home" || lb == "homepage" || lb == "start" || lb == "inicio" || lb == "início") continue;
    if (Norm(b) == Norm(out.headline())) continue;
    path.push_back(b);
  }
  if (path.empty()) {
    std::string section = CleanValue(tags.Get({"article:section", "section", "parsely-section", "category"}));
    if (section.empty()) section = ld.section;
    if (!section.empty() && section.size() < 80) path.push_back(section);
  }
  for (auto& p : path) out.add_section_path(p);
}

void MetaPass::SetKeywords() {
  std::string kw = tags.Get({"news_keywords", "keywords"});
  if (kw.empty()) kw = ld.keywords;
  std::vector<std::string> words;
  if (!kw.empty()) {
    size_t i = 0;
    while (i <= kw.size()) {
      size_t c = kw.find(',', i);
      std::string w =
          CleanValue(std::string_view(kw).substr(i, c == std::string::npos ? std::string::npos : c - i));
      if (!w.empty() && w.size() < 80) words.push_back(w);
      if (c == std::string::npos) break;
      i = c + 1;
    }
  }
  for (const auto& t : tags.article_tags) words.push_back(t);
  for (const auto& w : words) {
    if (out.keywords_size() >= 50) break;
    if (std::find(out.keywords().begin(), out.keywords().end(), w) == out.keywords().end())
      out.add_keywords(w);
  }
}

}  // namespace

PageMeta ExtractMetadata(const Document& doc, const Metadata& meta, v1::Article& out, int64_t deadline_ns) {
  MetaPass pass(doc, meta, out, deadline_ns);
  pass.ScanNodes();
  if (pass.clock.ExpiredNow()) return std::move(pass.page);
  pass.ld = ParseJsonLd(doc, pass.clock);
  pass.page.hint_body = pass.ld.body;
  pass.SetCanonicalUrl();
  pass.SetHeadline();
  pass.SetStandfirst();
  pass.SetAuthors();
  pass.SetTimes();
  pass.SetLanguage();
  pass.SetSectionPath();
  pass.SetKeywords();
  return std::move(pass.page);
}

void ExtractDateline(v1::Article& out) {
  if (out.body_size() == 0) return;
  const std::string& first = out.body(0).text();
  // "WASHINGTON (Reuters) - ", "LOS ANGELES, Calif. — ", "PARIS (AFP) – "
  size_t i = 0;
  while (i < first.size() && i < 60) {
    char c = first[i];
    if ((c >= 'A' && c <= 'Z') || c == ' ' || c == '.' || c == '\'') {
      ++i;
      continue;
    }
    break;
  }
  std::string place = Trim(std::string_view(first).substr(0, i));
  if (place.size() < 3 ||
      std::count_if(place.begin(), place.end(), [](char c) { return c >= 'A' && c <= 'Z'; }) < 3)
    return;
  size_t j = i;
  // optional ", State." and "(Agency)"
  if (j < first.size() && first[j] == ',') {
    size_t k = first.find_first_of("(-\xE2", j);
    if (k == std::string::npos || k - j > 25) return;
    j = k;
  }
  while (j < first.size() && first[j] == ' ') ++j;
  if (j < first.size() && first[j] == '(') {
    size_t k = first.find(')', j);
    if (k == std::string::npos || k - j > 30) return;
    j = k + 1;
  }
  while (j < first.size() && first[j] == ' ') ++j;
  size_t dash = 0;
  if (first.compare(j, 1, "-") == 0)
    dash = 1;
  else if (first.compare(j, 3, "\xE2\x80\x94") == 0 || first.compare(j, 3, "\xE2\x80\x93") == 0)
    dash = 3;
  if (dash == 0) return;
  auto* loc = out.mutable_located();
  if (!loc->name().empty()) return;
  std::string name;
  bool up = true;
  for (char c : place) {
    name.push_back(up ? c : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    up = c == ' ' || c == '.' || c == '-';
  }
  loc->set_name(name);
  loc->set_city(name);
  loc->set_dateline(Trim(std::string_view(first).substr(0, j + dash)));
}

}  // namespace copydesk::normalize::html
