// Internal to the HTML body extractor (html/extract*.cc): per-node statistics and flags, and the
// Extractor whose stages live in extract_classify.cc (boilerplate flags, statistics),
// extract_score.cc (candidate scoring, picking the body nodes) and extract.cc (emission).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/result.h"
#include "copydesk/v1/article.pb.h"
#include "normalize/deadline.h"
#include "normalize/html/dom.h"
#include "normalize/html/extract.h"

namespace copydesk::normalize::internal {

using html::AttrKey;
using html::Document;
using html::ExtractOptions;
using html::IsHeading;
using html::kNone;
using html::Node;
using html::Tag;
using v1::BlockType;

inline bool IsBlockTag(Tag t) {
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

inline float LinkDensity(const Stats& s) {
  return s.text == 0 ? 0.f : static_cast<float>(s.link_text) / s.text;
}

class Extractor {
 public:
  Extractor(const Document& doc, const ExtractOptions& opts, v1::Article& out)
      : doc_(doc), opts_(opts), out_(out), n_(doc.nodes.size()), clock_(opts.deadline_ns) {}

  Status Run();

 private:
  std::string_view ClassId(uint32_t n);
  void MarkFlags();
  uint8_t TagFlags(const Node& nd) const;
  uint8_t AttributeFlags(uint32_t i, const Node& nd, uint8_t f, const std::vector<uint32_t>& raw,
                         const std::vector<uint32_t>& ptext);
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
  void InitScore(uint32_t c);
  void AddToAncestors(uint32_t para, size_t len, size_t commas);
  void ScoreInlineRuns(uint32_t i, const Node& nd);
  void EndInlineRun(uint32_t i, const Node& nd, size_t& run_len, size_t& run_commas);
  void ScoreParagraphs();
  void PrintCandidates(const std::vector<std::pair<float, uint32_t>>& cands) const;
  uint32_t CommonAncestor(uint32_t top, const std::vector<std::pair<float, uint32_t>>& cands,
                          float best) const;
  uint32_t ClimbToBetterParent(uint32_t top) const;
  uint32_t ClimbOnlyChildren(uint32_t top) const;
  std::vector<uint32_t> PickNodes(uint32_t top);
  bool CleanConditionally(uint32_t n);
  void AddChunks(uint32_t top, std::vector<uint32_t>& nodes);
  void Emit(uint32_t n, BlockType type, bool ordered, int depth);
  void EmitText(uint32_t n, const Node& nd);
  bool EmitSpecial(uint32_t n, const Node& nd, BlockType type, bool ordered, int depth);
  void InnerBlock(uint32_t n, Tag t, BlockType type, BlockType& inner, bool& inner_ordered) const;
  void EmitExtrasInScope(uint32_t top);
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

}  // namespace copydesk::normalize::internal
