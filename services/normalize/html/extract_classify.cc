// Extraction stages that read the markup: what class and id attributes say about an element,
// the boilerplate / caption / pull-quote / related flags, and the per-subtree text statistics.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>
#include <vector>

#include "normalize/html/extract_internal.h"

namespace copydesk::normalize::internal {
namespace {

// ---------------------------------------------------------------------------------------------
// Class / id patterns.

// Substring patterns (matched in the lower-cased "class id" string).
constexpr std::string_view kUnlikely[] = {
    "-ad-",         "ai2html",         "banner",      "breadcrumb",
    "combx",        "comment",         "community",   "cover-wrap",
    "disqus",       "extra",           "footer",      "gdpr",
    "header",       "legends",         "menu",        "related",
    "remark",       "replies",         "rss",         "shoutbox",
    "sidebar",      "skyscraper",      "social",      "sponsor",
    "supplemental", "ad-break",        "agegate",     "pagination",
    "pager",        "popup",           "yom-remote",  "newsletter",
    "subscribe",    "cookie",          "consent",     "promo",
    "share",        "sharing",         "outbrain",    "taboola",
    "recommend",    "signup",          "sign-up",     "trending",
    "most-popular", "mostpopular",     "most-read",   "mostread",
    "toolbar",      "modal",           "overlay",     "nav",
    "masthead",     "advert",          "adslot",      "ad-slot",
    "ad-container", "ad_container",    "ad-wrapper",  "adwrapper",
    "dfp",          "byline",          "author-info", "author-bio",
    "authorbio",    "about-author",    "tags",        "tag-list",
    "taglist",      "jump-link",       "skip",        "login",
    "more-stories", "further-reading", "see-also",    "visually-hidden",
    "sr-only",      "screen-reader",   "follow",      "carousel",
    "slider",       "gallery-nav",     "timestamp",   "dateline",
    "caption",      "credit",          "pullquote",   "pull-quote",
    "video-player", "contributor",
};
constexpr std::string_view kMaybe[] = {"and",    "article", "body",  "column",    "content", "main",
                                       "shadow", "story",   "entry", "post-text", "text"};
// Never rescued by kMaybe.
constexpr std::string_view kStrong[] = {
    "share",           "sharing",       "social",      "newsletter",
    "subscribe",       "cookie",        "consent",     "outbrain",
    "taboola",         "recommend",     "related",     "most-popular",
    "mostpopular",     "most-read",     "mostread",    "trending",
    "signup",          "sign-up",       "promo",       "advert",
    "ad-slot",         "adslot",        "breadcrumb",  "disqus",
    "comment-",        "comments",      "commentlist", "more-stories",
    "further-reading", "see-also",      "skip-link",   "sr-only",
    "visually-hidden", "screen-reader", "author-bio",  "authorbio",
    "about-author",    "byline",        "tag-list",    "taglist",
    "pullquote",       "pull-quote",    "caption",     "gallery-nav",
    "jump-link",       "footer",        "-nav",        "nav-",
    "navbar",          "navigation",
};
constexpr std::string_view kNegative[] = {
    "-ad-",       "hidden",  "banner",   "combx",  "comment",   "com-",      "contact",
    "foot",       "footer",  "footnote", "gdpr",   "masthead",  "media",     "meta",
    "outbrain",   "promo",   "related",  "scroll", "share",     "shoutbox",  "sidebar",
    "skyscraper", "sponsor", "shopping", "tags",   "tool",      "widget",    "byline",
    "author",     "date",    "caption",  "credit", "subscribe", "newsletter"};
constexpr std::string_view kPositive[] = {"article", "body",  "content", "entry",     "hentry",
                                          "h-entry", "main",  "page",    "post",      "text",
                                          "blog",    "story", "prose",   "rich-text", "richtext"};

enum PatternBit : uint16_t {
  kPStrong = 1,
  kPUnlikely = 2,
  kPMaybe = 4,
  kPNegative = 8,
  kPPositive = 16,
  kPPull = 32,
  kPCaption = 64,
  kPRelated = 128,
};

// All class/id patterns bucketed by first byte, each with the lists it belongs to.
class PatternTable {
 public:
  PatternTable() {
    auto add = [&](const std::string_view* pats, size_t n, uint16_t bit) {
      for (size_t i = 0; i < n; ++i) {
        auto& bucket = buckets_[static_cast<unsigned char>(pats[i][0])];
        bool found = false;
        for (auto& e : bucket) {
          if (e.first == pats[i]) {
            e.second |= bit;
            found = true;
          }
        }
        if (!found) bucket.emplace_back(pats[i], bit);
      }
    };
    add(kStrong, std::size(kStrong), kPStrong);
    add(kUnlikely, std::size(kUnlikely), kPUnlikely);
    add(kMaybe, std::size(kMaybe), kPMaybe);
    add(kNegative, std::size(kNegative), kPNegative);
    add(kPositive, std::size(kPositive), kPPositive);
    static constexpr std::string_view kPull[] = {"pullquote", "pull-quote", "pull_quote"};
    static constexpr std::string_view kCap[] = {"caption"};
    static constexpr std::string_view kRel[] = {"related", "see-also", "more-stories", "further-reading"};
    add(kPull, std::size(kPull), kPPull);
    add(kCap, std::size(kCap), kPCaption);
    add(kRel, std::size(kRel), kPRelated);
  }
  [[nodiscard]] uint16_t Match(std::string_view s) const {
    uint16_t bits = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      for (const auto& [pat, bit] : buckets_[static_cast<unsigned char>(s[i])]) {
        if ((bits & bit) == bit) continue;
        if (pat.size() <= s.size() - i && std::memcmp(s.data() + i, pat.data(), pat.size()) == 0) bits |= bit;
      }
    }
    return bits;
  }

 private:
  std::vector<std::pair<std::string_view, uint16_t>> buckets_[256];
};

const PatternTable& Patterns() {
  static const PatternTable table;
  return table;
}

// "comment" as a whole word-ish token (not "commentary").
bool HasCommentToken(std::string_view s) {
  size_t pos = 0;
  while ((pos = s.find("comment", pos)) != std::string_view::npos) {
    size_t end = pos + 7;
    bool start_ok = pos == 0 || !std::isalpha(static_cast<unsigned char>(s[pos - 1]));
    bool end_ok = end >= s.size() || !std::isalpha(static_cast<unsigned char>(s[end])) || s[end] == 's';
    if (start_ok && end_ok) return true;
    pos = end;
  }
  return false;
}

size_t Utf8Len(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

size_t CountCommas(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    // ',', U+FF0C fullwidth comma, U+3001 ideographic comma
    const bool fullwidth = s[i] == '\xEF' && i + 2 < s.size() && s[i + 1] == '\xBC' && s[i + 2] == '\x8C';
    const bool ideographic = s[i] == '\xE3' && i + 2 < s.size() && s[i + 1] == '\x80' && s[i + 2] == '\x81';
    if (s[i] == ',' || fullwidth || ideographic) ++n;
  }
  return n;
}

}  // namespace

std::string_view Extractor::ClassId(uint32_t n) {
  lower_.clear();
  std::string_view cls = doc_.Attribute(n, AttrKey::kClass);
  std::string_view id = doc_.Attribute(n, AttrKey::kId);
  if (cls.empty() && id.empty()) return {};
  lower_.reserve(cls.size() + id.size() + 1);
  for (char c : cls) lower_.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  lower_.push_back(' ');
  for (char c : id) lower_.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return lower_;
}

void Extractor::MarkFlags() {
  flags_.assign(n_, 0);
  // Text inside <p> per subtree: a class name never removes most of the page's paragraphs.
  std::vector<uint32_t> raw(n_, 0), ptext(n_, 0);
  for (uint32_t i = static_cast<uint32_t>(n_) - 1; i > 0; --i) {
    const Node& nd = doc_.nodes[i];
    if (nd.tag == Tag::kText) raw[i] = nd.str_len;
    if (nd.tag == Tag::kP) ptext[i] = raw[i];
    if (nd.parent != kNone) {
      raw[nd.parent] += raw[i];
      ptext[nd.parent] += ptext[i];
    }
  }
  for (uint32_t i = 1; i < n_ && !clock_.Expired(); ++i) {
    const Node& nd = doc_.nodes[i];
    if (nd.tag == Tag::kText) continue;
    if (nd.parent != kNone && (flags_[nd.parent] & kJunk)) {
      flags_[i] = kJunk;
      continue;
    }
    uint8_t f = TagFlags(nd);
    if (nd.attr_count > 0) f = AttributeFlags(i, nd, f, raw, ptext);
    flags_[i] = f;
  }
}

// Flags from the element's tag alone.
uint8_t Extractor::TagFlags(const Node& nd) const {
  uint8_t f = 0;
  switch (nd.tag) {
    case Tag::kNav:
    case Tag::kAside:
    case Tag::kButton:
    case Tag::kSelect:
    case Tag::kOption:
    case Tag::kInput:
    case Tag::kTemplate:
    case Tag::kSvg:
    case Tag::kMath:
    case Tag::kCanvas:
    case Tag::kDialog:
    case Tag::kHead:
    case Tag::kFooter:
    case Tag::kLabel:
    case Tag::kObject:
    case Tag::kEmbed:
    case Tag::kMap:
    case Tag::kFrameset: f = kJunk; break;
    case Tag::kHeader:
      if (!opts_.fragment) f = kJunk;
      break;
    case Tag::kFigure:
    case Tag::kFigcaption:
    case Tag::kPicture:
    case Tag::kVideo:
    case Tag::kAudio: f = kCaption; break;
    default: break;
  }
  return f;
}

// Flags from hidden, aria-hidden, style, role, itemprop and the class/id patterns, added to `f`.
// `raw` and `ptext` hold the text and the text inside <p> of each subtree.
uint8_t Extractor::AttributeFlags(uint32_t i, const Node& nd, uint8_t f, const std::vector<uint32_t>& raw,
                                  const std::vector<uint32_t>& ptext) {
  const uint32_t total_ptext = ptext[0];
  if (doc_.HasAttribute(i, AttrKey::kHidden)) f |= kJunk;
  std::string_view aria = doc_.Attribute(i, AttrKey::kAriaHidden);
  if (aria == "true" && nd.tag != Tag::kBody && nd.tag != Tag::kHtml) f |= kJunk;
  std::string_view style = doc_.Attribute(i, AttrKey::kStyle);
  if (!style.empty()) {
    std::string st;
    for (char c : style) {
      if (c != ' ') st.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    if (st.find("display:none") != std::string::npos || st.find("visibility:hidden") != std::string::npos)
      f |= kJunk;
  }
  std::string_view role = doc_.Attribute(i, AttrKey::kRole);
  if (role == "navigation" || role == "contentinfo" || role == "complementary" || role == "dialog" ||
      role == "alertdialog" || role == "menu" || role == "menubar" || role == "search" || role == "banner" ||
      role == "toolbar" || role == "tablist") {
    f |= kJunk;
  }
  std::string_view itemprop = doc_.Attribute(i, AttrKey::kItemprop);
  const bool body_prop = itemprop == "articleBody" || itemprop == "text";
  const ClassInfo& ci = Classify(i);
  if (!ci.empty && !body_prop && nd.tag != Tag::kBody && nd.tag != Tag::kHtml) {
    if (ci.pullquote) {
      f = static_cast<uint8_t>((f & ~kJunk) | kPullQuote);
    } else if (ci.caption && nd.tag != Tag::kArticle) {
      f |= kCaption;
    } else {
      const bool protect = !ci.comment && ((total_ptext > 300 && ptext[i] * 2 > total_ptext) ||
                                           (raw[0] > 1000 && raw[i] * 2 > raw[0]));
      if (!protect && (ci.strong || (ci.unlikely && !ci.maybe))) {
        if (ci.related) f |= kRelated;
        if (nd.tag != Tag::kA) f |= kJunk;
      }
    }
  }
  return f;
}
void Extractor::ComputeStats() {
  stats_.assign(n_, Stats{});
  // Bottom-up: children come after parents in the arena.
  for (uint32_t i = static_cast<uint32_t>(n_) - 1; i > 0; --i) {
    const Node& nd = doc_.nodes[i];
    if (flags_[i] & kJunk) continue;
    Stats& s = stats_[i];
    if (nd.tag == Tag::kText) {
      std::string_view t = doc_.Text(i);
      s.text = static_cast<uint32_t>(Utf8Len(t));
      if (s.text == 1 && t[0] == ' ') s.text = 0;
      s.commas = static_cast<uint32_t>(CountCommas(t));
    } else {
      switch (nd.tag) {
        case Tag::kP: s.p++; break;
        case Tag::kImg: s.img++; break;
        case Tag::kLi: s.li++; break;
        case Tag::kInput:
        case Tag::kSelect:
        case Tag::kTextarea: s.input++; break;
        case Tag::kEmbed:
        case Tag::kObject:
        case Tag::kIframe:
        case Tag::kVideo: s.embed++; break;
        default:
          if (IsHeading(nd.tag)) s.headings++;
          break;
      }
      if (nd.tag == Tag::kA) s.link_text = s.text;
    }
    if ((flags_[i] & (kCaption | kPullQuote)) && nd.tag != Tag::kFigure) {
      // captions count as images, not text
      s.text = 0;
      s.link_text = 0;
      s.commas = 0;
    }
    if (nd.parent != kNone) {
      Stats& p = stats_[nd.parent];
      p.text += s.text;
      p.link_text += (doc_.nodes[nd.parent].tag == Tag::kA) ? 0 : s.link_text;
      p.commas += s.commas;
      p.p = static_cast<uint16_t>(std::min(0xFFFF, p.p + s.p));
      p.img = static_cast<uint16_t>(std::min(0xFFFF, p.img + s.img));
      p.li = static_cast<uint16_t>(std::min(0xFFFF, p.li + s.li));
      p.input = static_cast<uint16_t>(std::min(0xFFFF, p.input + s.input));
      p.embed = static_cast<uint16_t>(std::min(0xFFFF, p.embed + s.embed));
      p.headings = static_cast<uint16_t>(std::min(0xFFFF, p.headings + s.headings));
    }
    if (nd.tag == Tag::kA) s.link_text = s.text;
  }
}

const Extractor::ClassInfo& Extractor::Classify(uint32_t n) {
  static const ClassInfo kEmpty{};
  std::string_view cls = doc_.Attribute(n, AttrKey::kClass);
  std::string_view id = doc_.Attribute(n, AttrKey::kId);
  if (cls.empty() && id.empty()) return kEmpty;
  key_.assign(cls);
  key_.push_back('\x01');
  key_.append(id);
  auto it = class_cache_.find(key_);
  if (it != class_cache_.end()) return it->second;
  std::string_view ci = ClassId(n);
  ClassInfo info;
  info.empty = false;
  const uint16_t bits = Patterns().Match(ci);
  info.pullquote = bits & kPPull;
  info.caption = bits & kPCaption;
  info.comment = HasCommentToken(ci);
  info.strong = (bits & kPStrong) || info.comment;
  info.unlikely = bits & kPUnlikely;
  info.maybe = bits & kPMaybe;
  info.related = bits & kPRelated;
  if (bits & kPNegative) info.weight -= 25;
  if (bits & kPPositive) info.weight += 25;
  return class_cache_.emplace(key_, info).first->second;
}

int Extractor::ClassWeight(uint32_t n) {
  int w = Classify(n).weight;
  if (doc_.nodes[n].attr_count > 0 && doc_.Attribute(n, AttrKey::kItemprop) == "articleBody") w += 50;
  return w;
}

}  // namespace copydesk::normalize::internal
