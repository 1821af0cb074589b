#include "ingest/embargo.h"

#include <google/protobuf/util/time_util.h>

#include <climits>
#include <cstdio>

#include "ingest/pipeline.h"
#include "ingest/pipeline_outputs.h"

namespace copydesk::ingest::embargo {
namespace {

std::string HeldPrefix(std::string_view story_id) {
  std::string k(kHeldKeyPrefix);
  k += story_id;
  k += '/';
  return k;
}

struct HeldVersion {
  std::string key;
  std::string value;
  v1::ArticleEvent event;
};

// The held versions of a story, oldest first (the version is zero-padded in the key).
Result<std::vector<HeldVersion>> ReadHeld(const dedup::StateStore& store, std::string_view story_id) {
  std::vector<HeldVersion> out;
  Status parse = OkStatus();
  const std::string prefix = HeldPrefix(story_id);
  Status st = store.Scan(prefix, "", [&](std::string_view key, std::string_view value) {
    HeldVersion v;
    v.key = std::string(key);
    v.value = std::string(value);
    if (!v.event.ParseFromString(v.value)) {
      parse = Error{v1::ERROR_CODE_INTERNAL, "held version " + v.key + " does not parse"};
      return false;
    }
    out.push_back(std::move(v));
    return true;
  });
  if (!st.ok()) return st.error();
  if (!parse.ok()) return parse.error();
  return out;
}

// What became of a story's held versions, kept after they leave the state (key "hm/<story>"): a
// reprocessed input replays its decision, and must neither publish a version a release published
// already nor one a cancel dropped. Value "r <through> <release ms>" or "d <through>".
struct Outcome {
  bool dropped = false;
  uint32_t through = 0;  // the highest version it covers
  int64_t release_ms = 0;
};

std::string OutcomeKey(std::string_view story_id) {
  return "hm/" + std::string(story_id);
}

std::string EncodeOutcome(const Outcome& o) {
  return o.dropped ? "d " + std::to_string(o.through)
                   : "r " + std::to_string(o.through) + " " + std::to_string(o.release_ms);
}

Result<std::optional<Outcome>> ReadOutcome(const dedup::StateStore& store, std::string_view story_id) {
  auto v = store.Get(OutcomeKey(story_id));
  if (!v.ok()) return v.error();
  if (!v.value()) return std::optional<Outcome>();
  Outcome o;
  unsigned long long through = 0;
  long long ms = 0;
  const std::string& s = *v.value();
  if (s.size() > 2 && s[0] == 'd' && std::sscanf(s.c_str() + 2, "%llu", &through) == 1) {
    o.dropped = true;
  } else if (s.size() > 2 && s[0] == 'r' && std::sscanf(s.c_str() + 2, "%llu %lld", &through, &ms) == 2) {
    o.release_ms = ms;
  } else {
    return Error{v1::ERROR_CODE_INTERNAL, "held outcome " + OutcomeKey(story_id) + " does not parse"};
  }
  o.through = static_cast<uint32_t>(through);
  return std::optional<Outcome>(o);
}

// A held story is due when its latest held version is.
int64_t DueOf(const std::vector<HeldVersion>& held) {
  return held.empty() ? 0 : Millis(held.back().event.embargo().release_time());
}

// A record of the held topic: the contract headers of every output (trace context, CloudEvents),
// its CloudEvents id the story, what happened to its hold and the version that did it.
Record HeldTopicRecord(const PipelineOptions& options, const std::string& story_id, std::string_view what,
                       uint32_t version, const OutputContext& ctx) {
  Record r;
  r.topic = options.held_topic;
  r.key = story_id;
  r.timestamp_ms = ctx.timestamp_ms;
  r.headers.push_back({"content-type", "application/x-protobuf; messageType=copydesk.v1.HeldStory"});
  AddContractHeaders(r, ctx, options, "copydesk.v1.HeldStory",
                     story_id + "/" + std::string(what) + "/" + std::to_string(version));
  return r;
}

v1::Hold HoldUntil(int64_t ms) {
  v1::Hold h;
  SetMillis(h.mutable_until(), ms);
  return h;
}

}  // namespace

std::string HeldKey(std::string_view story_id, uint32_t version) {
  char v[16];
  std::snprintf(v, sizeof v, "%010u", version);
  return HeldPrefix(story_id) + v;
}

std::string_view StoryOfHeldKey(std::string_view key) {
  if (!key.starts_with(kHeldKeyPrefix)) return {};
  key.remove_prefix(kHeldKeyPrefix.size());
  const size_t slash = key.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : key.substr(0, slash);
}

int64_t Millis(const google::protobuf::Timestamp& ts) {
  return google::protobuf::util::TimeUtil::TimestampToMilliseconds(ts);
}

void SetMillis(google::protobuf::Timestamp* ts, int64_t ms) {
  *ts = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(ms);
}

Result<HoldResult> Hold(const dedup::StateStore& store, const v1::ArticleEvent& ev, const dedup::Decision& d,
                        const HoldContext& hc, const PipelineOptions& options, const OutputContext& ctx,
                        dedup::MutationBatch* batch) {
  HoldResult out;
  const bool cancel = d.decision == v1::DECISION_CANCEL;
  const int64_t embargo_ms = ev.article().has_embargoed() ? Millis(ev.article().embargoed()) : 0;
  const bool future = !cancel && embargo_ms > hc.now_ms;
  // A replay always looks: what its first run did may have left the state since.
  if (!hc.any_held && !future && !d.replayed) return out;
  auto held = ReadHeld(store, d.story_id);
  if (!held.ok()) return held.error();
  if (held->empty() && !future && !d.replayed) return out;

  if (d.replayed) {
    // The first run staged what there was to stage. Withheld while the version is still held (its
    // release publishes it) or its embargo is still ahead (it was released with a later version,
    // or dropped); otherwise published again, as any replay is. One exception: versions before
    // it are held again because an aborted batch undid their release, after which the first run
    // published this one directly. It is held behind them (below), so that the release keeps
    // the versions in order.
    for (const auto& v : *held) {
      if (v.event.version() == d.version) {
        out.withheld = true;
        out.outcome = HoldUntil(DueOf(*held) > 0 ? DueOf(*held) : hc.now_ms);
        return out;
      }
    }
    // Released or dropped since: the release published it, or it is never to be published.
    auto gone = ReadOutcome(store, d.story_id);
    if (!gone.ok()) return gone.error();
    if (gone.value() && d.version <= gone.value()->through) {
      out.withheld = true;
      if (gone.value()->dropped) {
        v1::Hold h;
        h.set_dropped(true);
        out.outcome = h;
      } else {
        out.outcome = HoldUntil(gone.value()->release_ms);
      }
      return out;
    }
    const bool behind_held = !held->empty() && held->back().event.version() < d.version;
    if (!behind_held) {
      if (future) {
        out.withheld = true;
        out.outcome = HoldUntil(embargo_ms);
      }
      return out;
    }
  }

  const bool published_before = held->empty() ? d.version > 1 : held->front().event.version() > 1;
  if (cancel) {
    // The held versions are dropped, never released.
    if (held->empty()) return out;  // a replayed cancel of a story held no more: published as replays are
    for (const auto& v : *held) batch->Delete(v.key);
    // Replays of the dropped versions (and of the cancel itself, when nothing was ever published)
    // stay unpublished.
    batch->Put(OutcomeKey(d.story_id),
               EncodeOutcome({true, published_before ? held->back().event.version() : d.version, 0}));
    out.records.push_back(HeldTopicRecord(options, d.story_id, "dropped", d.version, ctx));
    out.change = HeldChange{d.story_id, std::nullopt};
    if (!published_before) {
      // Nothing of the story was ever published: neither is its cancel.
      out.withheld = true;
      v1::Hold h;
      h.set_dropped(true);
      out.outcome = h;
    }
    return out;
  }

  // Held: the latest version sets when the story is due (0: at once, an update lifted the embargo).
  const int64_t due = future ? embargo_ms : 0;
  v1::ArticleEvent stored = ev;
  if (due > 0) {
    SetMillis(stored.mutable_embargo()->mutable_release_time(), due);
  } else {
    stored.clear_embargo();
  }
  batch->Put(HeldKey(d.story_id, d.version), stored.SerializeAsString());

  v1::HeldStory hs;
  hs.set_story_id(d.story_id);
  if (due > 0) SetMillis(hs.mutable_release_time(), due);
  *hs.mutable_article() = ev.article();
  for (const auto& v : *held) hs.add_versions(v.event.version());
  hs.add_versions(d.version);
  hs.set_published_before(published_before);
  Record r = HeldTopicRecord(options, d.story_id, "held", d.version, ctx);
  r.value = hs.SerializeAsString();
  out.records.push_back(std::move(r));

  out.withheld = true;
  out.outcome = HoldUntil(due > 0 ? due : hc.now_ms);
  out.change = HeldChange{d.story_id, due};
  return out;
}

Result<std::optional<Release>> ReleaseStory(const dedup::StateStore& store, std::string_view story_id,
                                            int64_t now_ms, const PipelineOptions& options) {
  auto held = ReadHeld(store, story_id);
  if (!held.ok()) return held.error();
  if (held->empty()) return std::optional<Release>();
  Release rel;
  rel.story_id = std::string(story_id);
  rel.due_ms = DueOf(*held);
  rel.versions = held->size();
  // Replays of the released versions stay unpublished (the release published them); an abort
  // restores what was there before.
  auto before = store.Get(OutcomeKey(story_id));
  if (!before.ok()) return before.error();
  const int64_t release_ms = rel.due_ms > 0 ? rel.due_ms : now_ms;
  rel.changes.Put(OutcomeKey(story_id), EncodeOutcome({false, held->back().event.version(), release_ms}));
  if (before.value()) {
    rel.undo.Put(OutcomeKey(story_id), *before.value());
  } else {
    rel.undo.Delete(OutcomeKey(story_id));
  }
  for (auto& v : *held) {
    v1::ArticleEvent& ev = v.event;
    const OutputContext ctx = ContextOf(ev);
    auto* e = ev.mutable_embargo();
    SetMillis(e->mutable_release_time(), rel.due_ms > 0 ? rel.due_ms : now_ms);
    SetMillis(e->mutable_released_time(), now_ms);
    for (Record& r : EventRecords(ev, ctx, options)) rel.records.push_back(std::move(r));
    rel.changes.Delete(v.key);
    rel.undo.Put(v.key, v.value);
  }
  const v1::ArticleEvent& latest = held->back().event;
  rel.records.push_back(
      HeldTopicRecord(options, rel.story_id, "released", latest.version(), ContextOf(latest)));
  return std::optional<Release>(std::move(rel));
}

Status HeldIndex::Load(const dedup::StateStore& store) {
  due_.clear();
  by_time_.clear();
  Status parse = OkStatus();
  Status st = store.Scan(kHeldKeyPrefix, "", [&](std::string_view key, std::string_view value) {
    v1::ArticleEvent ev;
    if (!ev.ParseFromString(std::string(value))) {
      parse = Error{v1::ERROR_CODE_INTERNAL, "held version " + std::string(key) + " does not parse"};
      return false;
    }
    // Versions in key order: the latest one of a story comes last and sets its due time.
    Apply(HeldChange{std::string(StoryOfHeldKey(key)), Millis(ev.embargo().release_time())});
    return true;
  });
  if (!st.ok()) return st;
  return parse;
}

void HeldIndex::Apply(const HeldChange& change) {
  auto it = due_.find(change.story_id);
  if (it != due_.end()) {
    by_time_.erase({it->second, it->first});
    if (!change.due_ms) {
      due_.erase(it);
      return;
    }
    it->second = *change.due_ms;
  } else {
    if (!change.due_ms) return;
    it = due_.emplace(change.story_id, *change.due_ms).first;
  }
  by_time_.emplace(it->second, it->first);
}

int64_t HeldIndex::next_due_ms() const {
  return by_time_.empty() ? INT64_MAX : by_time_.begin()->first;
}

std::vector<std::string> HeldIndex::Due(int64_t now_ms) const {
  std::vector<std::string> out;
  for (const auto& [due, story] : by_time_) {
    if (due > now_ms) break;
    out.push_back(story);
  }
  return out;
}

}  // namespace copydesk::ingest::embargo
