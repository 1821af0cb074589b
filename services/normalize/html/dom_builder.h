// Internal to the HTML parser (html/dom*.cc): the tree Builder, whose tokenizer is in
// dom_tokenizer.cc and whose tree construction (implied ends, scopes, text) is in dom_tree.cc.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "normalize/html/dom.h"
#include "normalize/normalize.h"

namespace copydesk::normalize::internal {

using html::Attr;
using html::AttrKey;
using html::Document;
using html::IsHeading;
using html::kNone;
using html::Node;
using html::Tag;

inline bool IsSpace(char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f';
}
inline bool IsAlpha(char c) {
  return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}
inline char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
}

// Appends `in` with runs of white space (and no-break spaces) collapsed to one space.
// `*last_space` carries the state across calls.
inline void AppendCollapsed(std::string_view in, std::string& out, bool* last_space) {
  const size_t n = in.size();
  for (size_t i = 0; i < n; ++i) {
    char c = in[i];
    bool sp = IsSpace(c);
    if (!sp && c == '\xC2' && i + 1 < n && in[i + 1] == '\xA0') {
      sp = true;
      ++i;
    }
    if (sp) {
      if (!*last_space) out.push_back(' ');
      *last_space = true;
    } else {
      out.push_back(c);
      *last_space = false;
    }
  }
}

class Builder {
 public:
  Builder(std::string_view in, const Limits& limits, int64_t deadline_ns)
      : in_(in), limits_(limits), deadline_ns_(deadline_ns) {
    doc_.nodes.reserve(in.size() / 40 + 16);
    doc_.strings.reserve(in.size() / 2 + 64);
    Node root;
    root.tag = Tag::kRoot;
    doc_.nodes.push_back(root);
    stack_.push_back(0);
  }

  Result<Document> Run();

 private:
  [[nodiscard]] uint32_t Current() const { return stack_.back(); }
  Tag CurrentTag() const { return doc_.nodes[stack_.back()].tag; }

  uint32_t Append(Node node) {
    uint32_t parent = Current();
    node.parent = parent;
    node.depth = static_cast<uint16_t>(std::min<size_t>(stack_.size(), 0xFFFF));
    auto id = static_cast<uint32_t>(doc_.nodes.size());
    doc_.nodes.push_back(node);
    Node& p = doc_.nodes[parent];
    if (p.last_child == kNone) {
      p.first_child = id;
    } else {
      doc_.nodes[p.last_child].next = id;
    }
    p.last_child = id;
    return id;
  }

  void AddText(std::string_view raw);
  // Closes every element from stack_[stack_index] up.
  void PopTo(size_t stack_index) {
    for (size_t j = stack_index; j < stack_.size(); ++j) {
      Tag t = doc_.nodes[stack_[j]].tag;
      if (t == Tag::kPre) --pre_depth_;
      if (t == Tag::kSvg || t == Tag::kMath) --foreign_depth_;
      --open_count_[static_cast<size_t>(t)];
    }
    stack_.resize(stack_index);
  }
  // Index in stack_ of the nearest open `t` before a scope boundary; 0 when none.
  size_t FindInScope(Tag t, bool list_scope) const;
  bool StartTag(size_t* pos);
  // Reads one attribute of a start tag from in_[i] (advanced past it) into doc_.attrs unless it
  // is a duplicate or not needed. Returns false when the input ends inside it.
  bool ReadAttribute(size_t& i, uint32_t attr_begin, bool& many_attrs);
  // Removes the later repetitions of an attribute name among attrs[attr_begin..] in
  // O(k log k): a tag with many attributes must not cost k^2 comparisons.
  void DropDuplicateAttrs(uint32_t attr_begin);
  // Text between tags, in slices with the deadline checked between them.
  void AddTextRun(std::string_view raw);
  // Index just past the end of the comment that starts at `i` ("<!--").
  size_t CommentEnd(size_t i) const;
  void EndTag(size_t* pos);
  void HandleStart(Tag tag, uint32_t name_off, uint32_t name_len, uint32_t attr_begin, uint32_t attr_count,
                   bool self_closing, size_t* pos);
  // Raw-text elements (script, style, title, ...): their content never becomes nodes. Returns
  // whether `tag` is one (its content then skipped, JSON-LD and the title kept).
  bool StartRawText(Tag tag, uint32_t attr_begin, uint32_t attr_count, size_t* pos);
  // Closes the elements a start tag `tag` implies the end of (<p>, <li>, table cells, ...).
  void CloseImpliedEnds(Tag tag);
  void SkipRawText(std::string_view name, size_t* pos, std::string* keep);

  std::string_view in_;
  const Limits& limits_;
  int64_t deadline_ns_;
  Document doc_;
  std::vector<uint32_t> stack_;
  int pre_depth_ = 0;
  // Open elements per tag: lets the searches below skip tags that are not open at all (keeps
  // deep nesting linear).
  std::array<uint32_t, static_cast<size_t>(Tag::kCount)> open_count_{};
  [[nodiscard]] bool IsOpen(Tag t) const { return open_count_[static_cast<size_t>(t)] > 0; }
  int foreign_depth_ = 0;
  bool too_deep_ = false;
  // Set when the deadline passed inside a token; Run() then returns ERROR_CODE_TIMEOUT.
  bool timed_out_ = false;
  std::string scratch_;
  std::vector<uint32_t> dedup_order_;  // scratch for DropDuplicateAttrs
};

}  // namespace copydesk::normalize::internal
