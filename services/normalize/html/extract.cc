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
#include "normalize/html/extract_internal.h"
#include "normalize/url.h"

namespace copydesk::normalize::internal {
namespace {

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t')) s.remove_suffix(1);
  return s;
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

}  // namespace

void Extractor::AppendText(std::string_view t, bool in_link) {
  if (t.empty()) return;
  if (t == " " && (buf_.empty() || buf_.back() == ' ' || buf_.back() == '\n')) return;
  if (!buf_.empty() && (buf_.back() == ' ' || buf_.back() == '\n') && t.front() == ' ') t.remove_prefix(1);
  buf_.append(t);
  if (in_link) buf_link_ += t.size();
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
  std::string url = html::ResolveUrl(opts_.base_url, src);
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
    std::string url = html::ResolveUrl(opts_.base_url, href);
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
    EmitText(n, nd);
    return;
  }
  if (EmitSpecial(n, nd, type, ordered, depth)) return;
  const Tag t = nd.tag;
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
  InnerBlock(n, t, type, inner, inner_ordered);
  for (uint32_t c = nd.first_child; c != kNone; c = doc_.nodes[c].next)
    Emit(c, inner, inner_ordered, depth + 1);
  Flush(inner, inner_ordered);
}

// A text node: appended to the current block (counted as link text inside an <a>).
void Extractor::EmitText(uint32_t n, const Node& nd) {
  bool in_link = false;
  for (uint32_t p = nd.parent, k = 0; p != kNone && k < 4; p = doc_.nodes[p].parent, ++k) {
    if (doc_.nodes[p].tag == Tag::kA) {
      in_link = true;
      break;
    }
  }
  AppendText(doc_.Text(n), in_link);
}

// Nodes that are not emitted as text or a block of their own: pull quotes, boilerplate,
// captions, images, line breaks, rules, and nesting too deep to recurse into. Returns whether
// `n` was one of them.
bool Extractor::EmitSpecial(uint32_t n, const Node& nd, BlockType type, bool ordered, int depth) {
  const uint8_t f = flags_[n];
  if (f & kPullQuote) {
    HandlePullQuote(n);
    return true;
  }
  if (f & kJunk) {
    if (f & kRelated) HandleRelated(n);
    return true;
  }
  if (f & kCaption) {
    Flush(type, ordered);
    HandleFigure(n);
    return true;
  }
  Tag t = nd.tag;
  if (t == Tag::kImg) {
    AddMedia(n, "");
    return true;
  }
  if (t == Tag::kBr) {
    if (!buf_.empty() && buf_.back() == '\n') {
      buf_.pop_back();
      Flush(type, ordered);
    } else if (!buf_.empty()) {
      buf_.push_back('\n');
    }
    return true;
  }
  if (t == Tag::kHr) {
    Flush(type, ordered);
    return true;
  }
  if (depth > 1000) {
    AppendText(doc_.InnerText(n), false);
    return true;
  }
  return false;
}

// The block type and list ordering for the children of block element `n` (tag `t`).
void Extractor::InnerBlock(uint32_t n, Tag t, BlockType type, BlockType& inner, bool& inner_ordered) const {
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
}

// Captions and pull quotes elsewhere in the article around `top` (e.g. a lead picture above the
// body).
void Extractor::EmitExtrasInScope(uint32_t top) {
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
    EmitExtrasInScope(top);
  }
  if (timed_out_) return timeout;
  return OkStatus();
}

}  // namespace copydesk::normalize::internal

namespace copydesk::normalize::html {

std::string ResolveUrl(std::string_view base, std::string_view ref) {
  return normalize::ResolveUrl(base, ref);
}

Status ExtractBody(const Document& doc, const ExtractOptions& opts, v1::Article& out) {
  internal::Extractor e(doc, opts, out);
  return e.Run();
}

}  // namespace copydesk::normalize::html
