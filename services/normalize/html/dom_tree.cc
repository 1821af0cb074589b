// Tree construction for the HTML parser: which start tags are void or close an open <p>, list
// item or table cell, scopes, end tags, and text nodes (white space collapsed outside <pre>).
#include <algorithm>
#include <string>

#include "normalize/html/dom_builder.h"

namespace copydesk::normalize::internal {
namespace {

bool IsVoid(Tag t) {
  switch (t) {
    case Tag::kArea:
    case Tag::kBase:
    case Tag::kBr:
    case Tag::kCol:
    case Tag::kEmbed:
    case Tag::kHr:
    case Tag::kImg:
    case Tag::kInput:
    case Tag::kLink:
    case Tag::kMeta:
    case Tag::kParam:
    case Tag::kSource:
    case Tag::kTrack:
    case Tag::kWbr: return true;
    default: return false;
  }
}

// Start tags that close an open <p>.
bool ClosesP(Tag t) {
  switch (t) {
    case Tag::kAddress:
    case Tag::kArticle:
    case Tag::kAside:
    case Tag::kBlockquote:
    case Tag::kCenter:
    case Tag::kDetails:
    case Tag::kDialog:
    case Tag::kDiv:
    case Tag::kDl:
    case Tag::kFieldset:
    case Tag::kFigcaption:
    case Tag::kFigure:
    case Tag::kFooter:
    case Tag::kForm:
    case Tag::kH1:
    case Tag::kH2:
    case Tag::kH3:
    case Tag::kH4:
    case Tag::kH5:
    case Tag::kH6:
    case Tag::kHeader:
    case Tag::kHr:
    case Tag::kMain:
    case Tag::kMenu:
    case Tag::kNav:
    case Tag::kOl:
    case Tag::kP:
    case Tag::kPre:
    case Tag::kSection:
    case Tag::kSummary:
    case Tag::kTable:
    case Tag::kUl:
    case Tag::kLi:
    case Tag::kDd:
    case Tag::kDt:
    case Tag::kXmp:
    case Tag::kPlaintext: return true;
    default: return false;
  }
}

// Elements that bound the search for an open element to close (HTML "scope").
bool IsScopeBoundary(Tag t) {
  switch (t) {
    case Tag::kTable:
    case Tag::kTd:
    case Tag::kTh:
    case Tag::kCaption:
    case Tag::kHtml:
    case Tag::kTemplate:
    case Tag::kObject:
    case Tag::kRoot:
    case Tag::kButton: return true;
    default: return false;
  }
}

// Containers that stop the implied closing of an <li>/<dd>/<dt>.
bool StopsListItemSearch(Tag t) {
  switch (t) {
    case Tag::kUl:
    case Tag::kOl:
    case Tag::kMenu:
    case Tag::kDl:
    case Tag::kTable:
    case Tag::kTd:
    case Tag::kTh:
    case Tag::kBody:
    case Tag::kHtml:
    case Tag::kRoot:
    case Tag::kArticle:
    case Tag::kSection:
    case Tag::kAside:
    case Tag::kNav:
    case Tag::kHeader:
    case Tag::kFooter:
    case Tag::kMain:
    case Tag::kBlockquote:
    case Tag::kFigure:
    case Tag::kForm:
    case Tag::kButton:
    case Tag::kTemplate:
    case Tag::kObject: return true;
    default: return false;
  }
}

}  // namespace

void Builder::AddText(std::string_view raw) {
  if (raw.empty()) return;
  std::string_view text = raw;
  if (raw.find('&') != std::string_view::npos) {
    scratch_.clear();
    html::DecodeEntities(raw, scratch_);
    text = scratch_;
  }
  uint32_t cur = Current();
  Node& p = doc_.nodes[cur];
  std::string& s = doc_.strings;
  if (p.last_child != kNone && doc_.nodes[p.last_child].tag == Tag::kText &&
      doc_.nodes[p.last_child].str_off + doc_.nodes[p.last_child].str_len == s.size()) {
    Node& t = doc_.nodes[p.last_child];
    if (pre_depth_ > 0) {
      s.append(text);
    } else {
      bool last_space = t.str_len > 0 && s.back() == ' ';
      AppendCollapsed(text, s, &last_space);
    }
    t.str_len = static_cast<uint32_t>(s.size() - t.str_off);
    return;
  }
  auto off = static_cast<uint32_t>(s.size());
  if (pre_depth_ > 0) {
    s.append(text);
  } else {
    bool last_space = false;
    AppendCollapsed(text, s, &last_space);
  }
  Node t;
  t.tag = Tag::kText;
  t.str_off = off;
  t.str_len = static_cast<uint32_t>(s.size() - off);
  if (t.str_len == 0) return;
  Append(t);
}

size_t Builder::FindInScope(Tag t, bool list_scope) const {
  for (size_t i = stack_.size() - 1; i > 0; --i) {
    Tag at = doc_.nodes[stack_[i]].tag;
    if (at == t) return i;
    if (IsScopeBoundary(at)) return 0;
    if (list_scope && (at == Tag::kUl || at == Tag::kOl)) return 0;
  }
  return 0;
}

void Builder::HandleStart(Tag tag, uint32_t name_off, uint32_t name_len, uint32_t attr_begin,
                          uint32_t attr_count, bool self_closing, size_t* pos) {
  if (StartRawText(tag, attr_begin, attr_count, pos)) return;
  if ((tag == Tag::kHtml || tag == Tag::kBody || tag == Tag::kHead) && IsOpen(tag)) {
    return;  // merged into the open one
  }
  if (foreign_depth_ == 0) CloseImpliedEnds(tag);
  Node node;
  node.tag = tag;
  node.attr_begin = attr_begin;
  node.attr_count = attr_count;
  if (tag == Tag::kOther) {
    node.str_off = name_off;
    node.str_len = name_len;
  }
  uint32_t id = Append(node);
  const bool is_void = IsVoid(tag) || (self_closing && (tag == Tag::kOther || foreign_depth_ > 0));
  if (is_void) return;
  stack_.push_back(id);
  ++open_count_[static_cast<size_t>(tag)];
  if (stack_.size() - 1 > doc_.max_depth_seen) doc_.max_depth_seen = static_cast<uint32_t>(stack_.size() - 1);
  if (stack_.size() - 1 > limits_.max_depth) too_deep_ = true;
  if (tag == Tag::kPre) ++pre_depth_;
  if (tag == Tag::kSvg || tag == Tag::kMath) ++foreign_depth_;
}

bool Builder::StartRawText(Tag tag, uint32_t attr_begin, uint32_t attr_count, size_t* pos) {
  switch (tag) {
    case Tag::kScript: {
      bool json_ld = false;
      for (uint32_t k = 0; k < attr_count; ++k) {
        const Attr& a = doc_.attrs[attr_begin + k];
        if (std::string_view(doc_.strings).substr(a.name_off, a.name_len) == "type") {
          std::string_view v = std::string_view(doc_.strings).substr(a.val_off, a.val_len);
          json_ld = v.size() >= 19 && std::equal(v.begin(), v.begin() + 19, "application/ld+json",
                                                 [](char x, char y) { return Lower(x) == y; });
        }
      }
      doc_.attrs.resize(attr_begin);
      if (json_ld) {
        std::string text;
        SkipRawText("script", pos, &text);
        doc_.json_ld.push_back(std::move(text));
      } else {
        SkipRawText("script", pos, nullptr);
      }
      return true;
    }
    case Tag::kStyle:
      doc_.attrs.resize(attr_begin);
      SkipRawText("style", pos, nullptr);
      return true;
    case Tag::kNoscript:
      doc_.attrs.resize(attr_begin);
      SkipRawText("noscript", pos, nullptr);
      return true;
    case Tag::kIframe:
      doc_.attrs.resize(attr_begin);
      SkipRawText("iframe", pos, nullptr);
      return true;
    case Tag::kNoembed: SkipRawText("noembed", pos, nullptr); return true;
    case Tag::kNoframes: SkipRawText("noframes", pos, nullptr); return true;
    case Tag::kXmp: SkipRawText("xmp", pos, nullptr); return true;
    case Tag::kTextarea: SkipRawText("textarea", pos, nullptr); return true;
    case Tag::kPlaintext: *pos = in_.size(); return true;
    case Tag::kTitle: {
      std::string raw;
      SkipRawText("title", pos, &raw);
      if (doc_.title.empty() && foreign_depth_ == 0) {
        std::string decoded;
        html::DecodeEntities(raw, decoded);
        bool last_space = true;
        AppendCollapsed(decoded, doc_.title, &last_space);
        while (!doc_.title.empty() && doc_.title.back() == ' ') doc_.title.pop_back();
      }
      return true;
    }
    default: break;
  }
  return false;
}

void Builder::CloseImpliedEnds(Tag tag) {
  if (ClosesP(tag) && IsOpen(Tag::kP)) {
    if (size_t i = FindInScope(Tag::kP, false)) PopTo(i);
  }
  if (IsHeading(tag) && IsHeading(CurrentTag())) PopTo(stack_.size() - 1);
  if ((tag == Tag::kLi && IsOpen(Tag::kLi)) ||
      ((tag == Tag::kDd || tag == Tag::kDt) && (IsOpen(Tag::kDd) || IsOpen(Tag::kDt)))) {
    for (size_t i = stack_.size() - 1; i > 0; --i) {
      Tag at = doc_.nodes[stack_[i]].tag;
      if (at == tag || (tag != Tag::kLi && (at == Tag::kDd || at == Tag::kDt))) {
        PopTo(i);
        break;
      }
      if (StopsListItemSearch(at)) break;
    }
  } else if ((tag == Tag::kTr || tag == Tag::kTd || tag == Tag::kTh || tag == Tag::kTbody ||
              tag == Tag::kThead || tag == Tag::kTfoot) &&
             IsOpen(Tag::kTable)) {
    const bool cell = tag == Tag::kTd || tag == Tag::kTh;
    const bool section = tag == Tag::kTbody || tag == Tag::kThead || tag == Tag::kTfoot;
    for (size_t i = stack_.size() - 1; i > 0; --i) {
      Tag at = doc_.nodes[stack_[i]].tag;
      if (at == Tag::kTable) break;
      bool closes = cell      ? (at == Tag::kTd || at == Tag::kTh)
                    : section ? (at == Tag::kTbody || at == Tag::kThead || at == Tag::kTfoot)
                              : at == Tag::kTr;
      if (closes) {
        PopTo(i);
        break;
      }
      if (cell && at == Tag::kTr) break;
      if (!section && (at == Tag::kTbody || at == Tag::kThead || at == Tag::kTfoot)) break;
    }
  } else if (tag == Tag::kOption && CurrentTag() == Tag::kOption) {
    PopTo(stack_.size() - 1);
  } else if (tag == Tag::kA && IsOpen(Tag::kA)) {
    for (size_t i = stack_.size() - 1, k = 0; i > 0 && k < 8; --i, ++k) {
      if (doc_.nodes[stack_[i]].tag == Tag::kA) {
        PopTo(i);
        break;
      }
    }
  }
}

void Builder::EndTag(size_t* pos) {
  const size_t n = in_.size();
  size_t i = *pos + 2;
  size_t name_start = i;
  while (i < n && !IsSpace(in_[i]) && in_[i] != '>' && in_[i] != '/') ++i;
  char name[16];
  size_t len = std::min<size_t>(i - name_start, sizeof(name));
  for (size_t k = 0; k < len; ++k) name[k] = Lower(in_[name_start + k]);
  std::string_view lname(name, len);
  Tag tag = (i - name_start) <= sizeof(name) ? html::TagFromName(lname) : Tag::kOther;
  const void* gt = std::memchr(in_.data() + i, '>', n - i);
  *pos = gt ? static_cast<size_t>(static_cast<const char*>(gt) - in_.data()) + 1 : n;

  if (tag == Tag::kBr) {
    HandleStart(Tag::kBr, 0, 0, static_cast<uint32_t>(doc_.attrs.size()), 0, false, pos);
    return;
  }
  if (tag == Tag::kBody || tag == Tag::kHtml || tag == Tag::kHead) {
    if (tag == Tag::kHead) {
      if (size_t k = FindInScope(Tag::kHead, false)) PopTo(k);
    }
    return;
  }
  if (tag != Tag::kOther && !IsOpen(tag) &&
      !(IsHeading(tag) && (IsOpen(Tag::kH1) || IsOpen(Tag::kH2) || IsOpen(Tag::kH3) || IsOpen(Tag::kH4) ||
                           IsOpen(Tag::kH5) || IsOpen(Tag::kH6)))) {
    return;  // not open: ignored
  }
  const bool table_part = tag == Tag::kTable || tag == Tag::kTd || tag == Tag::kTh || tag == Tag::kTr ||
                          tag == Tag::kCaption || tag == Tag::kTbody || tag == Tag::kThead ||
                          tag == Tag::kTfoot;
  for (size_t k = stack_.size() - 1; k > 0; --k) {
    const Node& nd = doc_.nodes[stack_[k]];
    bool match = nd.tag == tag || (IsHeading(tag) && IsHeading(nd.tag));
    if (match && tag == Tag::kOther) {
      match = std::string_view(doc_.strings).substr(nd.str_off, nd.str_len) == lname &&
              (i - name_start) <= sizeof(name);
    }
    if (match) {
      PopTo(k);
      return;
    }
    if (!table_part && IsScopeBoundary(nd.tag) && nd.tag != Tag::kButton) return;
    if (tag == Tag::kLi && (nd.tag == Tag::kUl || nd.tag == Tag::kOl)) return;
    if (foreign_depth_ > 0 && (nd.tag == Tag::kSvg || nd.tag == Tag::kMath) && tag != nd.tag) return;
  }
}

}  // namespace copydesk::normalize::internal
