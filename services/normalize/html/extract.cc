#include "normalize/html/extract.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "normalize/deadline.h"
#include "normalize/url.h"

namespace copydesk::normalize::html {
namespace {

using v1::BlockType;

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

bool IsBlockTag(Tag t) {
  switch (t) {
    case Tag::kP:
    case Tag::kDiv:
    case Tag::kSection:
    case Tag::kArticle:
    case Tag::kMain:
    case Tag::kHeader:
    case Tag::kFooter:
    case Tag::kAside:
    case Tag::kNav:
    case Tag::kH1:
    case Tag::kH2:
    case Tag::kH3:
    case Tag::kH4:
    case Tag::kH5:
    case Tag::kH6:
    case Tag::kUl:
    case Tag::kOl:
    case Tag::kLi:
    case Tag::kDl:
    case Tag::kDt:
    case Tag::kDd:
    case Tag::kBlockquote:
    case Tag::kPre:
    case Tag::kTable:
    case Tag::kThead:
    case Tag::kTbody:
    case Tag::kTfoot:
    case Tag::kTr:
    case Tag::kTd:
    case Tag::kTh:
    case Tag::kCaption:
    case Tag::kFigure:
    case Tag::kFigcaption:
    case Tag::kHr:
    case Tag::kAddress:
    case Tag::kCenter:
    case Tag::kForm:
    case Tag::kFieldset:
    case Tag::kDetails:
    case Tag::kSummary:
    case Tag::kDialog:
    case Tag::kMenu:
    case Tag::kBody:
    case Tag::kHtml:
    case Tag::kRoot: return true;
    default: return false;
  }
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

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Per-node analysis, indexed like Document::nodes.
struct Stats {
  uint32_t text = 0;       // characters of visible text
  uint32_t link_text = 0;  // characters inside <a>
  uint32_t commas = 0;
  uint16_t p = 0, img = 0, li = 0, input = 0, embed = 0, headings = 0;
};

enum Flag : uint8_t {
  kJunk = 1,       // boilerplate: removed with its subtree
  kCaption = 2,    // a caption container
  kPullQuote = 4,  // a pull quote container
  kRelated = 8,    // a related-links container
};

class Extractor {
 public:
  Extractor(const Document& doc, const ExtractOptions& opts, v1::Article& out)
      : doc_(doc), opts_(opts), out_(out), n_(doc.nodes.size()), clock_(opts.deadline_ns) {}

  Status Run();

 private:
  std::string_view ClassId(uint32_t n);
  void MarkFlags();
  void ComputeStats();
  int ClassWeight(uint32_t n);
  // What the class and id attributes say about an element (cached per distinct value).
  struct ClassInfo {
    bool empty = true, pullquote = false, caption = false, comment = false, strong = false, unlikely = false,
         maybe = false, related = false;
    int weight = 0;
  };
  const ClassInfo& Classify(uint32_t n);
  uint32_t PickTopCandidate();
  std::vector<uint32_t> PickNodes(uint32_t top);
  bool CleanConditionally(uint32_t n);
  void AddChunks(uint32_t top, std::vector<uint32_t>& nodes);
  void Emit(uint32_t n, BlockType type, bool ordered, int depth);
  void Flush(BlockType type, bool ordered);
  void AppendText(std::string_view t, bool in_link);
  void HandleFigure(uint32_t n);
  void HandlePullQuote(uint32_t n);
  void HandleRelated(uint32_t n);
  void AddMedia(uint32_t img, std::string_view caption);

  const Document& doc_;
  const ExtractOptions& opts_;
  v1::Article& out_;
  size_t n_;
  // Read in every loop over nodes: each stage is linear, but a page has up to millions of them.
  DeadlineCheck<256> clock_;
  std::vector<uint8_t> flags_;
  std::vector<Stats> stats_;
  std::vector<float> score_;
  std::vector<uint8_t> scored_;
  std::vector<uint8_t> kept_;
  std::vector<uint8_t>
      handled_;  // figures and pull quotes already taken  // 1 = keep, 2 = removed by conditional cleaning
  std::string lower_;
  std::string key_;
  std::unordered_map<std::string, ClassInfo> class_cache_;
  std::string buf_;
  size_t buf_link_ = 0;
  bool timed_out_ = false;
  std::unordered_set<std::string> seen_media_;
  std::string headline_norm_;
  uint32_t body_node_ = 0;
};

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
  const uint32_t total_ptext = ptext[0];
  for (uint32_t i = 1; i < n_ && !clock_.Expired(); ++i) {
    const Node& nd = doc_.nodes[i];
    if (nd.tag == Tag::kText) continue;
    if (nd.parent != kNone && (flags_[nd.parent] & kJunk)) {
      flags_[i] = kJunk;
      continue;
    }
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
    if (nd.attr_count > 0) {
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
          role == "alertdialog" || role == "menu" || role == "menubar" || role == "search" ||
          role == "banner" || role == "toolbar" || role == "tablist") {
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
    }
    flags_[i] = f;
  }
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

float LinkDensity(const Stats& s) {
  return s.text == 0 ? 0.f : static_cast<float>(s.link_text) / s.text;
}

uint32_t Extractor::PickTopCandidate() {
  score_.assign(n_, 0.f);
  scored_.assign(n_, 0);
  auto init = [&](uint32_t c) {
    if (scored_[c]) return;
    scored_[c] = 1;
    float s = 0;
    switch (doc_.nodes[c].tag) {
      case Tag::kDiv:
      case Tag::kArticle:
      case Tag::kSection:
      case Tag::kMain: s = 5; break;
      case Tag::kPre:
      case Tag::kTd:
      case Tag::kBlockquote: s = 3; break;
      case Tag::kAddress:
      case Tag::kOl:
      case Tag::kUl:
      case Tag::kDl:
      case Tag::kDd:
      case Tag::kDt:
      case Tag::kLi:
      case Tag::kForm: s = -3; break;
      case Tag::kH1:
      case Tag::kH2:
      case Tag::kH3:
      case Tag::kH4:
      case Tag::kH5:
      case Tag::kH6:
      case Tag::kTh: s = -5; break;
      default: break;
    }
    s += static_cast<float>(ClassWeight(c));
    score_[c] = s;
  };
  auto add = [&](uint32_t para, size_t len, size_t commas) {
    float content =
        1.f + static_cast<float>(commas) + std::min(3.f, std::floor(static_cast<float>(len) / 100.f));
    uint32_t anc = doc_.nodes[para].parent;
    for (int level = 0; level < 5 && anc != kNone && anc != 0; ++level) {
      if (doc_.nodes[anc].tag == Tag::kBody || doc_.nodes[anc].tag == Tag::kHtml) break;
      init(anc);
      float div = level == 0 ? 1.f : level == 1 ? 2.f : static_cast<float>(level * 3);
      score_[anc] += content / div;
      anc = doc_.nodes[anc].parent;
    }
  };
  for (uint32_t i = 1; i < n_ && !clock_.Expired(); ++i) {
    if (flags_[i] & kJunk) continue;
    const Node& nd = doc_.nodes[i];
    Tag t = nd.tag;
    if (t == Tag::kP || t == Tag::kPre || t == Tag::kTd) {
      const Stats& s = stats_[i];
      if (s.text < 25) continue;
      if (t == Tag::kTd && s.p > 0) continue;  // layout cell: its paragraphs score themselves
      add(i, s.text, s.commas);
    } else if (t == Tag::kDiv || t == Tag::kSection || t == Tag::kArticle || t == Tag::kTd ||
               t == Tag::kBlockquote || t == Tag::kMain || t == Tag::kLi) {
      // Runs of direct inline content act like a paragraph (Readability wraps them in <p>).
      size_t run_len = 0, run_commas = 0;
      auto end_run = [&]() {
        if (run_len >= 25) {
          // The element itself is the paragraph's container.
          init(i);
          float content = 1.f + static_cast<float>(run_commas) +
                          std::min(3.f, std::floor(static_cast<float>(run_len) / 100.f));
          score_[i] += content;
          uint32_t anc = nd.parent;
          for (int level = 1; level < 5 && anc != kNone && anc != 0; ++level) {
            if (doc_.nodes[anc].tag == Tag::kBody || doc_.nodes[anc].tag == Tag::kHtml) break;
            init(anc);
            float div = level == 1 ? 2.f : static_cast<float>(level * 3);
            score_[anc] += content / div;
            anc = doc_.nodes[anc].parent;
          }
        }
        run_len = run_commas = 0;
      };
      for (uint32_t c = nd.first_child; c != kNone; c = doc_.nodes[c].next) {
        if (flags_[c] & kJunk) continue;
        Tag ct = doc_.nodes[c].tag;
        if (ct == Tag::kText || (!IsBlockTag(ct) && ct != Tag::kBr)) {
          run_len += stats_[c].text;
          run_commas += stats_[c].commas;
        } else if (ct == Tag::kBr) {
          if (c != nd.first_child && doc_.nodes[c].next != kNone &&
              doc_.nodes[doc_.nodes[c].next].tag == Tag::kBr)
            end_run();
        } else {
          end_run();
        }
      }
      end_run();
    }
  }
  uint32_t top = kNone;
  float best = -1e9f;
  std::vector<std::pair<float, uint32_t>> cands;
  for (uint32_t i = 1; i < n_; ++i) {
    if (!scored_[i]) continue;
    score_[i] *= (1.f - LinkDensity(stats_[i]));
    cands.emplace_back(score_[i], i);
    if (score_[i] > best) {
      best = score_[i];
      top = i;
    }
  }
  if (top == kNone) return kNone;
  if (std::getenv("COPYDESK_HTML_DEBUG")) {
    auto sorted = cands;
    std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.first > b.first; });
    for (size_t k = 0; k < sorted.size() && k < 8; ++k) {
      uint32_t c = sorted[k].second;
      std::fprintf(stderr, "cand %.1f <%s class='%s' id='%s'> text=%u ld=%.2f\n", sorted[k].first,
                   std::string(doc_.Name(c)).c_str(), std::string(doc_.Attribute(c, AttrKey::kClass)).c_str(),
                   std::string(doc_.Attribute(c, AttrKey::kId)).c_str(), stats_[c].text,
                   LinkDensity(stats_[c]));
    }
  }
  // Several strong candidates under one ancestor: take the ancestor (Readability).
  std::sort(cands.begin(), cands.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::vector<uint32_t> alts;
  for (size_t k = 1; k < cands.size() && k < 5; ++k) {
    if (cands[k].first / best >= 0.75f) alts.push_back(cands[k].second);
  }
  if (alts.size() >= 3) {
    uint32_t parent = doc_.nodes[top].parent;
    while (parent != kNone && parent != 0 && doc_.nodes[parent].tag != Tag::kBody) {
      int containing = 0;
      for (uint32_t a : alts) {
        uint32_t x = a;
        while (x != kNone && x != parent) x = doc_.nodes[x].parent;
        if (x == parent) ++containing;
      }
      if (containing >= 3) {
        top = parent;
        break;
      }
      parent = doc_.nodes[parent].parent;
    }
  }
  // Climb while the parent scores better.
  {
    float last = score_[top];
    float threshold = last / 3.f;
    uint32_t parent = doc_.nodes[top].parent;
    while (parent != kNone && parent != 0 && doc_.nodes[parent].tag != Tag::kBody) {
      if (!scored_[parent]) {
        parent = doc_.nodes[parent].parent;
        continue;
      }
      float ps = score_[parent];
      if (ps < threshold) break;
      if (ps > last) {
        top = parent;
        break;
      }
      last = ps;
      parent = doc_.nodes[parent].parent;
    }
  }
  // An only child: its parent is the container.
  while (true) {
    uint32_t parent = doc_.nodes[top].parent;
    if (parent == kNone || parent == 0 || doc_.nodes[parent].tag == Tag::kBody) break;
    int children = 0;
    for (uint32_t c = doc_.nodes[parent].first_child; c != kNone; c = doc_.nodes[c].next) {
      if (doc_.nodes[c].tag == Tag::kText && stats_[c].text == 0) continue;
      if (flags_[c] & kJunk) continue;
      ++children;
    }
    if (children != 1) break;
    top = parent;
  }
  return top;
}

std::vector<uint32_t> Extractor::PickNodes(uint32_t top) {
  std::vector<uint32_t> picked;
  uint32_t parent = doc_.nodes[top].parent;
  if (parent == kNone) return {top};
  const float top_score = scored_[top] ? score_[top] : 0.f;
  const float threshold = std::max(10.f, top_score * 0.2f);
  std::string_view top_class = doc_.Attribute(top, AttrKey::kClass);
  for (uint32_t c = doc_.nodes[parent].first_child; c != kNone; c = doc_.nodes[c].next) {
    if (c == top) {
      picked.push_back(c);
      continue;
    }
    if (flags_[c] & kJunk) continue;
    if (doc_.nodes[c].tag == Tag::kText) continue;
    float bonus = 0;
    if (!top_class.empty() && doc_.Attribute(c, AttrKey::kClass) == top_class) bonus += top_score * 0.2f;
    if (scored_[c] && score_[c] + bonus >= threshold) {
      picked.push_back(c);
      continue;
    }
    if (doc_.nodes[c].tag == Tag::kP) {
      const Stats& s = stats_[c];
      float ld = LinkDensity(s);
      if (s.text > 80 && ld < 0.25f) {
        picked.push_back(c);
      } else if (s.text > 0 && s.text <= 80 && ld == 0.f) {
        std::string t = doc_.InnerText(c);
        if (t.find(". ") != std::string::npos || (!t.empty() && t.back() == '.')) picked.push_back(c);
      }
    }
  }
  return picked;
}

// Articles split into several same-template chunks (body, ad rail, body, ...): take the other
// chunks with the top candidate's class when they sit close to it in the tree.
void Extractor::AddChunks(uint32_t top, std::vector<uint32_t>& nodes) {
  if (!scored_[top]) return;
  std::string_view cls = doc_.Attribute(top, AttrKey::kClass);
  if (cls.empty()) return;
  uint32_t root = top;
  for (int k = 0; k < 3 && doc_.nodes[root].parent != kNone && doc_.nodes[root].parent != 0; ++k) {
    root = doc_.nodes[root].parent;
    if (doc_.nodes[root].tag == Tag::kBody) break;
  }
  const float min_score = score_[top] * 0.2f;
  const uint16_t depth = doc_.nodes[root].depth;
  // covered[i]: i or one of its ancestors up to `root` is already taken; computed in document
  // order (a parent precedes its children), so the pass is linear.
  std::vector<uint8_t> covered(n_, 0), top_ancestor(n_, 0);
  for (uint32_t n : nodes) covered[n] = 1;
  for (uint32_t p = doc_.nodes[top].parent; p != kNone; p = doc_.nodes[p].parent) top_ancestor[p] = 1;
  bool added = false;
  for (uint32_t i = root + 1; i < n_ && doc_.nodes[i].depth > depth; ++i) {
    if (clock_.Expired()) {
      timed_out_ = true;
      return;
    }
    const uint32_t parent = doc_.nodes[i].parent;
    if (parent != kNone && parent != root && covered[parent]) covered[i] = 1;
    if (!scored_[i] || i == top || score_[i] < min_score || (flags_[i] & kJunk)) continue;
    if (doc_.Attribute(i, AttrKey::kClass) != cls) continue;
    if (covered[i] || top_ancestor[i]) continue;
    nodes.push_back(i);
    covered[i] = 1;
    added = true;
  }
  if (added) std::sort(nodes.begin(), nodes.end());
}

bool Extractor::CleanConditionally(uint32_t n) {
  Tag t = doc_.nodes[n].tag;
  if (!(t == Tag::kDiv || t == Tag::kSection || t == Tag::kUl || t == Tag::kOl || t == Tag::kTable ||
        t == Tag::kForm || t == Tag::kFieldset || t == Tag::kDl)) {
    return false;
  }
  const Stats& s = stats_[n];
  if (s.commas >= 10) return false;
  int weight = ClassWeight(n);
  if (weight < 0 && s.text < 200) return true;
  bool is_list = t == Tag::kUl || t == Tag::kOl;
  if (!is_list && s.li > 0 && s.p == 0) {
    // a div made of a list
    is_list = true;
  }
  if (t == Tag::kTable) {
    // Data tables stay.
    for (uint32_t c = doc_.nodes[n].first_child; c != kNone; c = doc_.nodes[c].next) {
      if (doc_.nodes[c].tag == Tag::kThead || doc_.nodes[c].tag == Tag::kCaption) return false;
    }
  }
  const float ld = LinkDensity(s);
  const size_t content = s.text;
  const int p = s.p;
  const int img = s.img;
  const int li = static_cast<int>(s.li) - 100;
  if (img > 1 && static_cast<float>(p) / img < 0.5f && content < 200) return true;
  if (!is_list && li > p) return true;
  if (s.input > p / 3 + 0 && s.input > 0) return true;
  if (!is_list && content < 25 && (img == 0 || img > 2) && s.headings == 0) return true;
  if (!is_list && weight < 25 && ld > 0.2f && content < 1000) return true;
  if (weight >= 25 && ld > 0.5f) return true;
  if ((s.embed == 1 && content < 75) || s.embed > 1) return content < 500;
  if (is_list && ld > 0.5f) return true;
  return false;
}

void Extractor::AppendText(std::string_view t, bool in_link) {
  if (t.empty()) return;
  if (t == " " && (buf_.empty() || buf_.back() == ' ' || buf_.back() == '\n')) return;
  if (!buf_.empty() && (buf_.back() == ' ' || buf_.back() == '\n') && t.front() == ' ') t.remove_prefix(1);
  buf_.append(t);
  if (in_link) buf_link_ += t.size();
}

std::string NormHeadline(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) || (static_cast<unsigned char>(c) & 0x80)) {
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  return out;
}

void Extractor::Flush(BlockType type, bool ordered) {
  std::string_view t = TrimView(buf_);
  if (!t.empty()) {
    std::string text;
    text.reserve(t.size());
    // collapse spaces around newlines
    for (size_t i = 0; i < t.size(); ++i) {
      char c = t[i];
      if (c == ' ' && i + 1 < t.size() && t[i + 1] == '\n') continue;
      if (c == ' ' && !text.empty() && text.back() == '\n') continue;
      text.push_back(c);
    }
    const float ld = text.empty() ? 0.f : static_cast<float>(buf_link_) / static_cast<float>(text.size());
    bool drop = false;
    if (ld > 0.6f && type != v1::BLOCK_TYPE_LIST_ITEM && text.size() < 400) drop = true;
    if (!headline_norm_.empty() && text.size() <= headline_norm_.size() * 2 + 16 &&
        NormHeadline(text) == headline_norm_)
      drop = true;
    if (!drop) {
      auto* b = out_.add_body();
      b->set_type(type);
      b->set_text(std::move(text));
      if (type == v1::BLOCK_TYPE_LIST_ITEM) b->set_ordered(ordered);
    }
  }
  buf_.clear();
  buf_link_ = 0;
}

void Extractor::AddMedia(uint32_t img, std::string_view caption) {
  std::string_view src = doc_.Attribute(img, AttrKey::kDataSrc);
  if (src.empty()) src = doc_.Attribute(img, AttrKey::kDataOriginal);
  if (src.empty()) src = doc_.Attribute(img, AttrKey::kSrc);
  if (src.empty()) {
    std::string_view srcset = doc_.Attribute(img, AttrKey::kSrcset);
    if (srcset.empty()) srcset = doc_.Attribute(img, AttrKey::kDataSrcset);
    src = srcset.substr(0, srcset.find(' '));
  }
  if (src.empty() || src.rfind("data:", 0) == 0) return;
  if (out_.media_size() >= 100) return;
  std::string url = ResolveUrl(opts_.base_url, src);
  if (url.empty() || !seen_media_.insert(url).second) return;
  auto* m = out_.add_media();
  Tag t = doc_.nodes[img].tag;
  m->set_type(t == Tag::kVideo || t == Tag::kSource ? "video" : t == Tag::kAudio ? "audio" : "picture");
  m->set_url(url);
  std::string_view alt = doc_.Attribute(img, AttrKey::kAlt);
  if (!alt.empty()) m->set_title(std::string(TrimView(alt)));
  if (!caption.empty()) m->set_description(std::string(caption));
}

void Extractor::HandleFigure(uint32_t n) {
  if (handled_[n]) return;
  handled_[n] = 1;
  // Caption text: figcaption (or the caption-classed element itself), media: every img/video.
  std::string caption;
  std::string credit;
  std::vector<uint32_t> media;
  // iterative subtree walk
  std::vector<uint32_t> stack{n};
  while (!stack.empty()) {
    uint32_t x = stack.back();
    stack.pop_back();
    const Node& nd = doc_.nodes[x];
    if (nd.tag == Tag::kImg || nd.tag == Tag::kVideo ||
        (nd.tag == Tag::kSource && doc_.HasAttribute(x, AttrKey::kSrc))) {
      media.push_back(x);
    }
    if (nd.tag == Tag::kFigcaption || (x != n && (flags_[x] & kCaption) && nd.tag != Tag::kPicture &&
                                       nd.tag != Tag::kVideo && nd.tag != Tag::kFigure)) {
      std::string t = doc_.InnerText(x);
      if (!t.empty()) {
        if (!caption.empty()) caption += ' ';
        caption += t;
      }
      continue;
    }
    // Children pushed in reverse so that they pop in document order.
    const size_t first = stack.size();
    for (uint32_t c = nd.first_child; c != kNone; c = doc_.nodes[c].next) stack.push_back(c);
    std::reverse(stack.begin() + static_cast<std::ptrdiff_t>(first), stack.end());
    if (clock_.Expired()) {
      timed_out_ = true;
      return;
    }
  }
  if (caption.empty() && doc_.nodes[n].tag != Tag::kFigure && doc_.nodes[n].tag != Tag::kPicture &&
      doc_.nodes[n].tag != Tag::kVideo) {
    caption = doc_.InnerText(n);
  }
  std::string first_url;
  for (uint32_t m : media) {
    int before = out_.media_size();
    AddMedia(m, caption);
    if (out_.media_size() > before && first_url.empty()) first_url = out_.media(before).url();
  }
  if (!caption.empty() && out_.captions_size() < 100) {
    auto* c = out_.add_captions();
    c->set_text(caption);
    c->set_media_url(first_url);
  }
}

void Extractor::HandlePullQuote(uint32_t n) {
  if (handled_[n]) return;
  handled_[n] = 1;
  std::string attribution;
  std::string text;
  std::vector<uint32_t> stack{n};
  std::vector<uint32_t> cites;
  // find <cite>/<footer> children for attribution
  for (uint32_t i = n + 1; i < n_ && doc_.nodes[i].depth > doc_.nodes[n].depth; ++i) {
    if (clock_.Expired()) {
      timed_out_ = true;
      return;
    }
    Tag t = doc_.nodes[i].tag;
    std::string_view cls = doc_.Attribute(i, AttrKey::kClass);
    if (t == Tag::kCite || t == Tag::kFooter || cls.find("attribution") != std::string_view::npos ||
        cls.find("author") != std::string_view::npos || cls.find("cite") != std::string_view::npos) {
      attribution = doc_.InnerText(i);
      break;
    }
  }
  text = doc_.InnerText(n);
  if (!attribution.empty()) {
    auto pos = text.rfind(attribution);
    if (pos != std::string::npos) text = std::string(TrimView(std::string_view(text).substr(0, pos)));
  }
  while (!attribution.empty() &&
         (attribution[0] == '-' || attribution[0] == ' ' || attribution.rfind("\xE2\x80\x94", 0) == 0 ||
          attribution.rfind("\xE2\x80\x93", 0) == 0)) {
    attribution.erase(0, attribution[0] == '-' || attribution[0] == ' ' ? 1 : 3);
  }
  if (!text.empty() && out_.pull_quotes_size() < 50) {
    auto* q = out_.add_pull_quotes();
    q->set_text(text);
    q->set_attribution(attribution);
  }
}

void Extractor::HandleRelated(uint32_t n) {
  if (handled_[n]) return;
  handled_[n] = 1;
  for (uint32_t i = n + 1; i < n_ && doc_.nodes[i].depth > doc_.nodes[n].depth; ++i) {
    if (clock_.Expired()) {
      timed_out_ = true;
      return;
    }
    if (doc_.nodes[i].tag != Tag::kA) continue;
    std::string_view href = doc_.Attribute(i, AttrKey::kHref);
    if (href.empty() || href[0] == '#' || href.rfind("javascript:", 0) == 0) continue;
    std::string title = doc_.InnerText(i);
    if (title.size() < 12) continue;
    if (out_.related_size() >= 30) return;
    std::string url = ResolveUrl(opts_.base_url, href);
    if (url.empty()) continue;
    auto* r = out_.add_related();
    r->set_title(title);
    r->set_url(std::move(url));
  }
}

void Extractor::Emit(uint32_t n, BlockType type, bool ordered, int depth) {
  if (timed_out_) return;
  if (clock_.Expired()) {
    timed_out_ = true;
    return;
  }
  const Node& nd = doc_.nodes[n];
  if (nd.tag == Tag::kText) {
    bool in_link = false;
    for (uint32_t p = nd.parent, k = 0; p != kNone && k < 4; p = doc_.nodes[p].parent, ++k) {
      if (doc_.nodes[p].tag == Tag::kA) {
        in_link = true;
        break;
      }
    }
    AppendText(doc_.Text(n), in_link);
    return;
  }
  const uint8_t f = flags_[n];
  if (f & kPullQuote) {
    HandlePullQuote(n);
    return;
  }
  if (f & kJunk) {
    if (f & kRelated) HandleRelated(n);
    return;
  }
  if (f & kCaption) {
    Flush(type, ordered);
    HandleFigure(n);
    return;
  }
  Tag t = nd.tag;
  if (t == Tag::kImg) {
    AddMedia(n, "");
    return;
  }
  if (t == Tag::kBr) {
    if (!buf_.empty() && buf_.back() == '\n') {
      buf_.pop_back();
      Flush(type, ordered);
    } else if (!buf_.empty()) {
      buf_.push_back('\n');
    }
    return;
  }
  if (t == Tag::kHr) {
    Flush(type, ordered);
    return;
  }
  if (depth > 1000) {
    AppendText(doc_.InnerText(n), false);
    return;
  }
  const bool block = IsBlockTag(t);
  if (!block) {
    for (uint32_t c = nd.first_child; c != kNone; c = doc_.nodes[c].next) Emit(c, type, ordered, depth + 1);
    return;
  }
  if (kept_[n] == 2) return;
  if (n != body_node_ && !opts_.fragment && kept_[n] == 0) {
    kept_[n] = CleanConditionally(n) ? 2 : 1;
    if (kept_[n] == 2) return;
  }
  if (IsHeading(t)) {
    const Stats& s = stats_[n];
    if (LinkDensity(s) > 0.33f || ClassWeight(n) < 0) return;
  }
  Flush(type, ordered);
  BlockType inner = type;
  bool inner_ordered = ordered;
  switch (t) {
    case Tag::kH1:
    case Tag::kH2:
    case Tag::kH3:
    case Tag::kH4:
    case Tag::kH5:
    case Tag::kH6: inner = v1::BLOCK_TYPE_SUBHEADING; break;
    case Tag::kLi:
    case Tag::kDd:
    case Tag::kDt:
      if (type != v1::BLOCK_TYPE_BLOCK_QUOTE) inner = v1::BLOCK_TYPE_LIST_ITEM;
      break;
    case Tag::kOl: inner_ordered = true; break;
    case Tag::kUl:
    case Tag::kDl: inner_ordered = false; break;
    case Tag::kBlockquote: inner = v1::BLOCK_TYPE_BLOCK_QUOTE; break;
    case Tag::kP:
    case Tag::kPre:
      if (type == v1::BLOCK_TYPE_SUBHEADING) inner = v1::BLOCK_TYPE_PARAGRAPH;
      break;
    default: break;
  }
  if (t == Tag::kLi && doc_.nodes[n].parent != kNone && doc_.nodes[doc_.nodes[n].parent].tag == Tag::kOl)
    inner_ordered = true;
  for (uint32_t c = nd.first_child; c != kNone; c = doc_.nodes[c].next)
    Emit(c, inner, inner_ordered, depth + 1);
  Flush(inner, inner_ordered);
}

Status Extractor::Run() {
  const Error timeout{v1::ERROR_CODE_TIMEOUT, "HTML extraction exceeded the time limit"};
  MarkFlags();
  if (clock_.ExpiredNow()) return timeout;
  ComputeStats();
  if (clock_.ExpiredNow()) return timeout;
  kept_.assign(n_, 0);
  handled_.assign(n_, 0);
  if (const char* needle = std::getenv("COPYDESK_HTML_FIND")) {
    for (uint32_t i = 1; i < n_; ++i) {
      if (doc_.nodes[i].tag != Tag::kText || doc_.Text(i).find(needle) == std::string_view::npos) continue;
      for (uint32_t p = i; p != kNone; p = doc_.nodes[p].parent) {
        std::fprintf(stderr, "  <%s class='%s' id='%s'> flags=%d text=%u\n",
                     std::string(doc_.Name(p)).c_str(),
                     std::string(doc_.Attribute(p, AttrKey::kClass)).c_str(),
                     std::string(doc_.Attribute(p, AttrKey::kId)).c_str(), flags_[p], stats_[p].text);
      }
      break;
    }
  }
  headline_norm_ = NormHeadline(opts_.headline);
  for (uint32_t i = 1; i < n_; ++i) {
    if (doc_.nodes[i].tag == Tag::kBody) {
      body_node_ = i;
      break;
    }
  }
  if (opts_.fragment) {
    body_node_ = 0;
    for (uint32_t c = doc_.nodes[0].first_child; c != kNone; c = doc_.nodes[c].next)
      Emit(c, v1::BLOCK_TYPE_PARAGRAPH, false, 1);
    Flush(v1::BLOCK_TYPE_PARAGRAPH, false);
  } else {
    uint32_t top = PickTopCandidate();
    if (clock_.ExpiredNow()) return timeout;
    if (top == kNone) top = body_node_;
    std::vector<uint32_t> nodes = PickNodes(top);
    AddChunks(top, nodes);
    for (uint32_t n : nodes) {
      kept_[n] = 1;  // picked containers are never cleaned away
      Emit(n, v1::BLOCK_TYPE_PARAGRAPH, false, 1);
      Flush(v1::BLOCK_TYPE_PARAGRAPH, false);
    }
    // Captions and pull quotes elsewhere in the article (e.g. a lead picture above the body).
    uint32_t scope = top;
    for (uint32_t p = top, k = 0; p != kNone && p != 0 && k < 5; p = doc_.nodes[p].parent, ++k) {
      Tag t = doc_.nodes[p].tag;
      if (t == Tag::kArticle || t == Tag::kMain) {
        scope = p;
        break;
      }
    }
    if (scope != body_node_ && scope != 0) {
      const uint16_t depth = doc_.nodes[scope].depth;
      for (uint32_t i = scope + 1; i < n_ && doc_.nodes[i].depth > depth && !timed_out_; ++i) {
        if (clock_.Expired()) timed_out_ = true;
        if (flags_[i] & kPullQuote) {
          HandlePullQuote(i);
        } else if (flags_[i] & kRelated) {
          HandleRelated(i);
        } else if ((flags_[i] & kCaption) && !(flags_[i] & kJunk) &&
                   (doc_.nodes[i].tag == Tag::kFigure || doc_.nodes[i].tag == Tag::kFigcaption)) {
          bool inside_handled = false;
          for (uint32_t p = doc_.nodes[i].parent; p != kNone && p != scope; p = doc_.nodes[p].parent) {
            if (handled_[p]) inside_handled = true;
          }
          if (!inside_handled) HandleFigure(i);
        }
      }
    }
  }
  if (timed_out_) return timeout;
  return OkStatus();
}

}  // namespace

std::string ResolveUrl(std::string_view base, std::string_view ref) {
  return normalize::ResolveUrl(base, ref);
}

Status ExtractBody(const Document& doc, const ExtractOptions& opts, v1::Article& out) {
  Extractor e(doc, opts, out);
  return e.Run();
}

}  // namespace copydesk::normalize::html
