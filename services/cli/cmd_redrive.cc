// `copydesk redrive`: send selected dead letters from the dead-letter topic back to the raw
// topic, once each (common/redrive.h says how "once" holds).
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <set>

#include "cli/commands.h"
#include "cli/config_flags.h"
#include "common/kafka.h"
#include "common/redrive.h"
#include "common/text.h"

namespace copydesk::cli {
namespace {

using std::chrono::milliseconds;

struct RedriveFlags {
  ConfigFlags config;
  std::vector<std::string> codes;
  std::string since, until;
  std::vector<std::string> offsets;
  std::vector<std::string> set_headers;
  bool dry_run = false;
  bool force = false;
  int64_t limit = 0;
  int64_t timeout_ms = 30000;
};

std::string Show(std::string_view s) {
  return text::Escaped(text::TruncateUtf8(s, 120), text::EscapeStyle::kText);
}

// Reads every partition of `topic` from `start` (per partition; absent = beginning) to its end
// as of the call, calling `fn` for each record. The end is taken first, so records written
// meanwhile (this run's markers) are not read.
Status ReadAll(const KafkaConfig& kafka, const std::string& topic, const std::map<int32_t, int64_t>& start,
               milliseconds timeout, const std::function<Status(const Record&)>& fn) {
  auto props = kafka.ClientProperties();
  props["group.id"] = "copydesk-redrive";
  props["enable.auto.commit"] = "false";
  props["isolation.level"] = "read_committed";
  props["enable.partition.eof"] = "true";
  props["fetch.message.max.bytes"] = std::to_string(64 << 20);
  auto c = kafka::Consumer::Create(props);
  if (!c.ok()) return c.error();
  auto parts = kafka::PartitionCount(c.value()->raw(), topic);
  if (!parts.ok()) return parts.error();
  std::vector<kafka::TopicPartitionOffset> assign;
  std::map<int32_t, int64_t> end;
  for (int32_t p = 0; p < *parts; ++p) {
    auto wm = kafka::Watermarks(c.value()->raw(), topic, p);
    if (!wm.ok()) return wm.error();
    auto s = start.find(p);
    const int64_t from = s == start.end() ? wm->first : std::max(s->second, wm->first);
    if (wm->second > from) {
      end[p] = wm->second;
      assign.push_back({topic, p, from});
    }
  }
  if (assign.empty()) return OkStatus();
  Status st = c.value()->Assign(assign);
  if (!st.ok()) return st;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!end.empty()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return Error{v1::ERROR_CODE_INTERNAL, "reading " + topic + " did not reach its end within " +
                                                std::to_string(timeout.count()) + " ms"};
    }
    auto r = c.value()->Poll(milliseconds(200));
    if (!r.ok()) return r.error();
    if (auto eof = c.value()->TakeEndOfPartition()) {
      if (eof->offset >= end[eof->partition]) end.erase(eof->partition);
      continue;
    }
    if (!r.value()) continue;
    const Record& rec = *r.value();
    auto e = end.find(rec.partition);
    if (e == end.end() || rec.offset >= e->second) continue;
    st = fn(rec);
    if (!st.ok()) return st;
    if (rec.offset + 1 >= e->second) end.erase(e);
  }
  c.value()->Close();
  return OkStatus();
}

Result<redrive::Selection> ParseSelection(const RedriveFlags& f) {
  redrive::Selection s;
  for (const auto& c : f.codes) s.codes.push_back(redrive::NormalizeCode(c));
  if (!f.since.empty()) {
    auto t = redrive::ParseTime(f.since);
    if (!t.ok()) return t.error();
    s.since_ms = *t;
  }
  if (!f.until.empty()) {
    auto t = redrive::ParseTime(f.until);
    if (!t.ok()) return t.error();
    s.until_ms = *t;
  }
  for (const auto& o : f.offsets) {
    auto r = redrive::ParseRange(o);
    if (!r.ok()) return r.error();
    s.offsets.push_back(*r);
  }
  return s;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseSetHeaders(const RedriveFlags& f) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& h : f.set_headers) {
    const auto eq = h.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Error{v1::ERROR_CODE_INTERNAL, "--set-header expects NAME=VALUE, got '" + Show(h) + "'"};
    }
    out.emplace_back(h.substr(0, eq), h.substr(eq + 1));
  }
  return out;
}

// The dead-letter topic as pass 1 sees it: markers, and the selected dead letters.
struct DlqScan {
  std::set<std::string> redriven;             // "P:O" of dead letters an earlier run sent
  std::map<int32_t, int64_t> first_selected;  // per partition, the first selected offset
  std::vector<std::string> selected;          // "P:O" of the selected dead letters
};

Status Scan(const KafkaConfig& kafka, const std::string& dlq, const redrive::Selection& selection,
            milliseconds timeout, DlqScan* out) {
  return ReadAll(kafka, dlq, {}, timeout, [&](const Record& r) {
    if (auto target = redrive::MarkerTarget(r)) {
      out->redriven.insert(*target);
    } else if (redrive::Selected(selection, r)) {
      out->selected.push_back(redrive::Coordinates(r));
      out->first_selected.emplace(r.partition, r.offset);
    }
    return OkStatus();
  });
}

void PrintSend(bool dry_run, const std::string& dlq, const std::string& where, const Record& dl,
               const Record& out) {
  std::cout << (dry_run ? "would send " : "send ") << dlq << " " << where << " -> " << out.topic
            << " partition " << (out.partition >= 0 ? std::to_string(out.partition) : "by key")
            << " event-id=" << Show(out.HeaderValue("event-id").value_or(""))
            << " code=" << Show(dl.HeaderValue("x-copydesk-error-code").value_or("?"))
            << " key=" << (out.key ? Show(*out.key) : "(none)")
            << " bytes=" << (out.value ? std::to_string(out.value->size()) : "null") << " headers:";
  for (const auto& h : out.headers) std::cout << " " << Show(h.key) << "=" << Show(h.value);
  std::cout << "\n";
}

// One send: the record back to the raw topic and its marker, in one transaction per batch.
class Sender {
 public:
  static Result<std::unique_ptr<Sender>> Create(const KafkaConfig& kafka, const std::string& txn_id) {
    kafka::Properties props{{"enable.idempotence", "true"}, {"message.max.bytes", std::to_string(64 << 20)}};
    for (const auto& [k, v] : kafka.ClientProperties()) props[k] = v;
    props["transactional.id"] = txn_id;
    auto p = kafka::Producer::Create(props);
    if (!p.ok()) return p.error();
    Status st = p.value()->InitTransactions(milliseconds(30000));
    if (!st.ok()) return st.error();
    std::unique_ptr<Sender> s(new Sender());
    s->producer_ = std::move(p.value());
    return s;
  }
  Status Send(const Record& out, const Record& marker) {
    if (!open_) {
      Status st = producer_->BeginTransaction();
      if (!st.ok()) return st;
      open_ = true;
    }
    Status st = producer_->Send(out);
    if (st.ok()) st = producer_->Send(marker);
    if (st.ok() && ++in_txn_ >= 100) st = Commit();
    return st;
  }
  Status Commit() {
    if (!open_) return OkStatus();
    Status st = producer_->Flush(milliseconds(60000));
    if (st.ok()) st = producer_->CommitTransaction(milliseconds(60000));
    open_ = false;
    in_txn_ = 0;
    return st;
  }

 private:
  Sender() = default;
  std::unique_ptr<kafka::Producer> producer_;
  bool open_ = false;
  int in_txn_ = 0;
};

int RunRedrive(RedriveFlags& f) {
  KafkaConfig kafka;
  TopicsConfig topics;
  std::string txn_id = "copydesk-redrive";
  ConfigSchema schema;
  kafka.Describe(schema);
  topics.Describe(schema);
  schema.String(
      "redrive.transactional_id", &txn_id,
      "transactional.id of the redrive producer (one redrive at a time per id: a second is fenced)");
  int code = 0;
  if (!LoadConfig(schema, f.config, "redrive", &code)) return code;
  auto fail = [](const std::string& why, int rc) {
    PrintError("redrive", why);
    return rc;
  };
  Status st = kafka.Resolve();
  if (!st.ok()) return fail(st.error().reason, 2);
  auto selection = ParseSelection(f);
  if (!selection.ok()) return fail(selection.error().reason, 2);
  auto set_headers = ParseSetHeaders(f);
  if (!set_headers.ok()) return fail(set_headers.error().reason, 2);

  // Pass 1: what was redriven before (markers) and what is selected.
  DlqScan scan;
  st = Scan(kafka, topics.dlq, *selection, milliseconds(f.timeout_ms), &scan);
  if (!st.ok()) return fail(st.error().reason, 1);
  const auto& redriven = scan.redriven;
  const auto& first_selected = scan.first_selected;
  const auto& selected = scan.selected;

  auto probe = kafka::Producer::Create(kafka.ClientProperties());
  if (!probe.ok()) return fail(probe.error().reason, 1);
  auto raw_parts = kafka::PartitionCount(probe.value()->raw(), topics.raw);
  if (!raw_parts.ok()) return fail(raw_parts.error().reason, 1);
  std::unique_ptr<Sender> sender;
  if (!f.dry_run && !selected.empty()) {
    auto s = Sender::Create(kafka, txn_id);
    if (!s.ok()) return fail(s.error().reason, 1);
    sender = std::move(s.value());
  }

  // Pass 2: from the first selected offset of each partition, send the selected ones.
  const std::set<std::string> wanted(selected.begin(), selected.end());
  int64_t sent = 0, skipped = 0;
  st =
      ReadAll(kafka, topics.dlq, first_selected, milliseconds(f.timeout_ms), [&](const Record& dl) -> Status {
        const std::string where = redrive::Coordinates(dl);
        if (!wanted.count(where)) return OkStatus();
        if (redriven.count(where) && !f.force) {
          ++skipped;
          std::cout << "skip " << topics.dlq << " " << where
                    << ": already redriven (--force sends it again)\n";
          return OkStatus();
        }
        if (f.limit > 0 && sent >= f.limit) return OkStatus();
        Record out = redrive::Restore(dl, topics.raw, *raw_parts, *set_headers);
        PrintSend(f.dry_run, topics.dlq, where, dl, out);
        ++sent;
        if (f.dry_run) return OkStatus();
        return sender->Send(out, redrive::Marker(dl, out, topics.dlq));
      });
  if (st.ok() && sender) st = sender->Commit();
  if (!st.ok()) return fail(st.error().reason, 1);
  std::cout << "redrive: " << selected.size() << " selected, " << sent
            << (f.dry_run ? " would be sent, " : " sent, ") << skipped << " skipped (already redriven)\n";
  return 0;
}

}  // namespace

void RegisterRedrive(CLI::App& app) {
  auto f = std::make_shared<RedriveFlags>();
  auto* cmd = app.add_subcommand(
      "redrive",
      "Send selected dead letters from news.raw.dlq.v1 back to news.raw.v1 (after the cause was fixed),\n"
      "with their original key, bytes, timestamp and headers minus the x-copydesk-* ones, to their\n"
      "original partition and with their original event id. Once per dead letter: each one sent gets a\n"
      "marker record on the dead-letter topic (same transaction), and later runs skip it (--force does\n"
      "not); a record sent twice anyway is the same event to the worker's dedup. Select with --code,\n"
      "--since/--until (the record's timestamp) and --offsets; all given filters must match.");
  AddConfigFlags(cmd, f->config);
  AddKeyFlag(cmd, f->config, "--brokers", "kafka.brokers", "Kafka bootstrap servers HOST:PORT");
  cmd->add_option("--code", f->codes, "error code to select, e.g. UNKNOWN_CONTENT_TYPE (repeatable)");
  cmd->add_option("--since", f->since, "first timestamp (RFC 3339 UTC or epoch ms), inclusive");
  cmd->add_option("--until", f->until, "last timestamp (RFC 3339 UTC or epoch ms), exclusive");
  cmd->add_option("--offsets", f->offsets,
                  "dead-letter partition and offsets: P, P:O or P:FIRST-LAST (repeatable)");
  cmd->add_option("--set-header", f->set_headers,
                  "NAME=VALUE to set on every record sent (replaces a header of that name), e.g. a fixed\n"
                  "content-type (repeatable)");
  cmd->add_flag("--dry-run", f->dry_run, "print what would be sent, send nothing");
  cmd->add_flag("--force", f->force, "send again dead letters an earlier run sent");
  cmd->add_option("--limit", f->limit, "send at most N")->check(CLI::PositiveNumber);
  cmd->add_option("--timeout-ms", f->timeout_ms, "longest time to read the dead-letter topic")
      ->capture_default_str();
  cmd->callback([f] { SetExitCode(RunRedrive(*f)); });
}

}  // namespace copydesk::cli
