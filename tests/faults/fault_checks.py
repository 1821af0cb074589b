"""Checks of one fault run (fault_run.py). Each prints its counts; a failing one names the
records that break it (event id, input partition/offset, decision, story) so it can be followed up.

- harness (`setup`): every event acknowledged by the broker and on news.raw.v1; the reader read
  every record of every topic (nothing rolled away unread);
- 0 lost events: every input has an outcome; no outcome for an unknown event id; outcome key =
  event id;
- 0 logical disagreements: the outcomes repeated for one event id (aborted-but-visible batches,
  reprocessing) agree on decision, story, version and `of`;
- every poison event dead-lettered once: its DLQ records all carry its bytes, key and content type
  and an error code and reason, its outcome is DEAD_LETTER; nothing else is dead-lettered;
- news.article-events.v1: one content per (story, version), versions 1..N per story without a gap,
  and exactly the accepted outcomes (new, update, cancel, syndicated);
- every re-delivery on its original's story: each of the 150 re-deliveries of pass 1, and each
  event of pass 2, is decided REDELIVERY, STALE or DUPLICATE of the story its original event was
  decided into (a re-sent poison event is dead-lettered again). A DUPLICATE there is reported as a
  warning (it means the guid's mapping was not used; services/dedup/README.md, "A guid keeps its
  story", guarantee 1), a failure with --strict-redelivery;
- nothing attached to a story produced after it: for every outcome, the story it names (unless
  it created it) and its `of` were created by an input whose Kafka CreateTime is at or before this
  input's;
- workers: none died by a signal (other than the test's SIGKILL), abort (134) or segfault (139) or
  left a sanitizer report; none exited by itself (exit 3, the documented fatal error, is not
  expected: every fault here is transient); every SIGTERM ended its worker with exit 0 (`timing`
  when it took more than 15 s);
- the lookup view (gRPC ListVersions/GetArticle) equals news.article-events.v1.

Categories: a failing check is `correctness` unless it is a time bound (`timing`: the drain bound
ran out while outcomes were still arriving, or a slow exit) or the harness (`setup`).
"""
import collections
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CHAOS = os.path.join(os.path.dirname(HERE), "chaos")
if CHAOS not in sys.path:
    sys.path.insert(0, CHAOS)

PUBLISHING = {"DECISION_NEW", "DECISION_UPDATE", "DECISION_CANCEL", "DECISION_SYNDICATED"}
CREATING = {"DECISION_NEW", "DECISION_SYNDICATED", "DECISION_CANCEL"}  # may start a story (v1)
# A re-delivery must come back as one of these, on its original's story.
REDELIVERY_OK = {"DECISION_REDELIVERY", "DECISION_STALE", "DECISION_DUPLICATE"}
TERM_SECONDS = 15  # a SIGTERMed worker commits its open batch, leaves the group and exits 0 within this


class Report:
    def __init__(self):
        self.rows = []  # (ok, category, name, detail)
        self.info_lines = []

    def check(self, ok, name, detail="", category="correctness"):
        self.rows.append((bool(ok), category, name, detail))

    def info(self, line):
        self.info_lines.append(line)

    def warn(self, ok, name, detail=""):
        """A finding that does not fail the run (the brief's checks hold), reported with its records."""
        self.rows.append((bool(ok), "warn", name, detail))

    def failed(self, category=None):
        return [r for r in self.rows if not r[0] and r[1] != "warn" and (category is None or r[1] == category)]

    def warnings(self):
        return [r for r in self.rows if not r[0] and r[1] == "warn"]

    def render(self):
        out = ["  " + line for line in self.info_lines]
        for ok, cat, name, detail in self.rows:
            tag = "ok" if ok else ("WARN" if cat == "warn" else "FAIL %s" % cat)
            out.append("  [%s] %s%s" % (tag, name, (": " + detail) if detail and not ok else ""))
        return "\n".join(out)


def few(xs, n=4):
    xs = list(xs)
    return "%s%s" % ("; ".join(str(x) for x in xs[:n]), " ..." if len(xs) > n else "")


def short(o):
    """An outcome as 'DECISION story vN [of X] @p/o'."""
    if o is None:
        return "none"
    s = "%s %s v%s" % (o["d"].replace("DECISION_", ""), o["s"] or "-", o["v"])
    if o.get("of"):
        s += " of " + o["of"]
    if o.get("sim"):
        s += " sim %.3f" % o["sim"]
    return s


def analyze(run, strict_redelivery=False):
    """run: {events: {eid: ev}, order: [eid], delivered, failed, topics, workers, view, problems, timing}."""
    rep = Report()
    ev, t = run["events"], run["topics"]
    raw_by = collections.defaultdict(list)
    for r in t["news.raw.v1"]:
        raw_by[r["eid"]].append(r)
    kinds = collections.Counter(("pass 2 " if e.get("pass2") else "") + e["kind"].split("-")[0]
                                for e in ev.values())
    rep.info("events: %d (%s)" % (len(ev), ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))
    for line in run["faults"]:
        rep.info("fault: " + line)
    for line in run.get("notes", []):
        rep.info(line)

    # The harness itself: every event reached news.raw.v1, the reader saw every record.
    not_delivered = sorted(set(ev) - set(run["delivered"]))
    rep.check(not not_delivered, "every event acknowledged by the broker (%d of %d)"
              % (len(ev) - len(not_delivered), len(ev)),
              "%d not: %s" % (len(not_delivered), few((e, run["failed"].get(e)) for e in not_delivered)), "setup")
    # librdkafka 2.0.2's mock broker can acknowledge a retried Produce request without an offset and
    # without storing it while Produce errors are injected: such an event never reached the
    # pipeline, so nothing is expected of it (and a copy of it sent later is the first one seen).
    not_on_raw = sorted(e for e in run["delivered"] if e not in raw_by)
    no_offset = [e for e in not_on_raw if run["delivered"][e][1] is None]
    missing = sorted(set(not_on_raw) - set(no_offset))
    rep.check(not missing, "every event acknowledged with an offset is on news.raw.v1 (%d records)"
              % len(t["news.raw.v1"]), "%d missing: %s" % (len(missing), few(missing)), "setup")
    if no_offset:
        rep.info("acknowledged without an offset and not stored by the (mock) broker, so never input: %d %s"
                 % (len(no_offset), few(no_offset)))
    rep.check(not run["lost"] and not run["collector_errors"],
              "the reader (confluent-kafka, read_committed) read every record of every topic",
              "%s %s" % (run["lost"], run["collector_errors"]), "setup")
    inputs = {e for e in run["delivered"] if e in raw_by}
    for p in run["problems"]:
        rep.check(False, "run: " + p[1], "", p[0])

    # Outcomes: exactly one logical outcome per input.
    by = collections.defaultdict(list)
    for r in t["news.ingest-outcomes.v1"]:
        by[r["eid"]].append(r)
    missing = sorted(inputs - set(by))
    cat = "timing" if run["timing"].get("drain_timed_out") and run["timing"].get("progressing") else "correctness"
    rep.check(not missing, "every input has an outcome: 0 lost events (%d inputs, %d with an outcome)"
              % (len(inputs), len(inputs) - len(missing)),
              "%d without (%s): %s" % (len(missing), "still being decided when the drain bound ran out"
                                       if cat == "timing" else "lost",
                                       few("%s @p%s/%s" % (e, raw_by[e][0]["p"], raw_by[e][0]["o"]) for e in missing)),
              cat)
    unknown = sorted(set(by) - set(ev))
    rep.check(not unknown, "no outcome for an unknown event id", few(unknown))
    disagree = {}
    for eid, rs in by.items():
        distinct = {(r["d"], r["s"], r["v"], r["of"]) for r in rs}
        if len(distinct) > 1:
            disagree[eid] = sorted(distinct)
    repeats = sum(len(rs) - 1 for rs in by.values())
    rep.check(not disagree, "0 logical disagreements between repeated outcomes (%d outcome records, %d repeats)"
              % (len(t["news.ingest-outcomes.v1"]), repeats),
              "%d event ids: %s" % (len(disagree), few(disagree.items(), 3)))
    keymis = [r["eid"] for r in t["news.ingest-outcomes.v1"] if r["key"] != r["eid"]]
    rep.check(not keymis, "outcome key = event id", few(keymis))
    out = {eid: rs[0] for eid, rs in by.items()}
    decisions = collections.Counter(o["d"].replace("DECISION_", "").lower() for e, o in out.items() if e in ev)
    rep.info("decisions: " + ", ".join("%s %d" % kv for kv in sorted(decisions.items())))

    # Dead letters: each poison event once, with its bytes; nothing else.
    poison = {e for e in inputs if ev[e]["kind"].startswith("poison")}
    dlq = collections.defaultdict(list)
    for r in t["news.raw.dlq.v1"]:
        dlq[r["eid"]].append(r)
    bad = []
    for e in sorted(poison):
        rs = dlq.get(e, [])
        raw = raw_by[e][0]
        if not rs:
            bad.append("%s: not on the DLQ" % e)
        elif len({(r["vh"], r["k"], r["ct"], r["code"]) for r in rs}) != 1:
            bad.append("%s: %d different dead letters" % (e, len({(r["vh"], r["code"]) for r in rs})))
        elif rs[0]["vh"] != raw["vh"] or rs[0]["k"] != raw["k"] or rs[0]["ct"] != raw["ct"]:
            bad.append("%s: bytes/key/content-type differ from the input" % e)
        elif not rs[0]["code"] or not rs[0]["reason"]:
            bad.append("%s: no error code or reason" % e)
        elif out.get(e, {}).get("d") != "DECISION_DEAD_LETTER":
            bad.append("%s: outcome %s" % (e, short(out.get(e))))
    copies = sum(len(dlq.get(e, [])) for e in poison)
    rep.check(not bad, "every poison event dead-lettered once with its bytes, key and content type (%d of %d; "
              "%d DLQ records)" % (len(poison) - len(bad), len(poison), copies), few(bad))
    others = sorted(set(dlq) - poison)
    rep.check(not others, "no other event on news.raw.dlq.v1",
              "%d: %s" % (len(others), few("%s %s (%s)" % (e, dlq[e][0]["code"], (dlq[e][0]["reason"] or "")[:60])
                                            for e in others)))
    rep.info("dead-letter codes: %s" % dict(collections.Counter(rs[0]["code"] for rs in dlq.values())))

    # Article events: one content per (story, version), versions 1..N.
    sv = collections.defaultdict(set)
    for r in t["news.article-events.v1"]:
        sv[(r["s"], r["v"])].add((r["k"], r["h"], r["eid"]))
    two = {k: v for k, v in sv.items() if len(v) > 1}
    rep.check(not two, "one content per (story, version) on news.article-events.v1 (%d pairs)" % len(sv),
              "%d: %s" % (len(two), few(two.items(), 2)))
    versions = collections.defaultdict(set)
    for s, v in sv:
        versions[s].add(v)
    gaps = {s: sorted(vs) for s, vs in versions.items() if sorted(vs) != list(range(1, max(vs) + 1))}
    rep.check(not gaps, "0 version gaps per story on news.article-events.v1 (%d stories)" % len(versions),
              "%d stories: %s" % (len(gaps), few(gaps.items(), 3)))
    published = {(o["s"], o["v"]) for o in out.values() if o["d"] in PUBLISHING}
    rep.check(published == set(sv), "article events = accepted outcomes",
              "outcome without event %s; event without outcome %s"
              % (few(sorted(published - set(sv))), few(sorted(set(sv) - published))))

    _redeliveries(rep, ev, inputs, out, raw_by, strict_redelivery)
    _produced_before(rep, ev, out, raw_by)
    _workers(rep, run["workers"])
    _lookup(rep, run, sv)
    return rep


def _redeliveries(rep, ev, inputs, out, raw_by, strict):
    """Every re-delivery (in the run: same bytes under a new event id; the second pass: every event
    again) is decided a re-delivery, a stale version or a duplicate of its original's story."""

    def root(e):
        while ev[e].get("of") and ev[e]["kind"] == "redelivery" and not ev[e].get("pass2"):
            e = ev[e]["of"]
        return e

    groups = {"in-run re-deliveries": [], "second pass (new event ids)": []}
    for e in sorted(inputs):
        x = ev[e]
        if x.get("pass2"):
            groups["second pass (new event ids)"].append(e)
        elif x["kind"] == "redelivery":
            groups["in-run re-deliveries"].append(e)
    for name, eids in groups.items():
        bad, skipped, dl, first_copy, rematched = [], [], 0, [], []
        by_decision = collections.Counter()
        for e in eids:
            orig = root(ev[e]["of"])
            if orig not in inputs:
                first_copy.append(e)  # its original never reached the pipeline
                continue
            o, r = out.get(orig), out.get(e)
            if o is None or r is None:
                skipped.append(e)  # counted as a lost event above
                continue
            if ev[e]["kind"].startswith("poison"):
                dl += 1
                continue  # checked with the dead letters
            by_decision[r["d"].replace("DECISION_", "").lower()] += 1
            if o["d"] == "DECISION_DEAD_LETTER":
                ok = r["d"] == "DECISION_DEAD_LETTER"
            else:
                ok = r["d"] in REDELIVERY_OK and r["s"] == o["s"]
            if ok and r["d"] == "DECISION_DUPLICATE" and o["d"] != "DECISION_DEAD_LETTER":
                # Its guid was known (the original was decided): the identity's mapping should have
                # decided it (services/dedup/README.md, "A guid keeps its story", guarantee 1), not a
                # new near-duplicate search that happened to find the same story.
                raw = raw_by[e][0]
                rematched.append("%s (guid %s, p%s/o%s) %s; original %s (p%s/o%s) %s"
                                 % (e, ev[e]["key"].decode("utf-8", "replace"), raw["p"], raw["o"], short(r), orig,
                                    raw_by[orig][0]["p"], raw_by[orig][0]["o"], short(o)))
            if not ok:
                raw = raw_by[e][0]
                bad.append("%s (guid %s, p%s/o%s) decided %s; its original %s (p%s/o%s) was %s"
                           % (e, ev[e]["key"].decode("utf-8", "replace"), raw["p"], raw["o"], short(r), orig,
                              raw_by[orig][0]["p"], raw_by[orig][0]["o"], short(o)))
        rep.check(not bad, "%s on their original's story: %d of %d (%s)%s"
                  % (name, len(eids) - len(bad) - len(skipped) - dl - len(first_copy),
                     len(eids) - len(skipped) - dl - len(first_copy),
                     ", ".join("%s %d" % kv for kv in sorted(by_decision.items())),
                     "; %d poison re-sent, checked as dead letters" % dl if dl else ""),
                  "%d not: %s" % (len(bad), few(bad, 3)))
        (rep.check if strict else rep.warn)(not rematched, "%s of a known guid decided by its guid (redelivery/stale), not re-matched as a "
                 "duplicate: %d of %d" % (name, len(eids) - len(skipped) - dl - len(first_copy) - len(rematched),
                                          len(eids) - len(skipped) - dl - len(first_copy)),
                 "%d re-matched: %s" % (len(rematched), few(rematched, 3)))
        if first_copy:
            rep.info("%s whose original never reached the pipeline (not checked): %s" % (name, few(first_copy)))


def _produced_before(rep, ev, out, raw_by):
    """No record is attached to a story (its own `story`, or `of`) whose first record was produced
    after it. Produced = the input's Kafka CreateTime on news.raw.v1; a story's first record is the
    event whose outcome created it (NEW, SYNDICATED or CANCEL, version 1)."""
    created = {}
    for e, o in out.items():
        if o["d"] in CREATING and o["v"] == 1 and e in raw_by:
            ts = min(r["ts"] for r in raw_by[e])
            if o["s"] not in created or ts < created[o["s"]][0]:
                created[o["s"]] = (ts, e)
    bad, unknown, n = [], [], 0
    for e, o in out.items():
        if e not in raw_by or o["d"] == "DECISION_DEAD_LETTER":
            continue
        ts = min(r["ts"] for r in raw_by[e])
        refs = [o["of"]] if o["of"] else []
        if not (o["d"] in CREATING and o["v"] == 1):
            refs.append(o["s"])
        for s in dict.fromkeys(refs):  # `of` is the story itself for a duplicate
            n += 1
            if s not in created:
                unknown.append("%s -> %s (%s)" % (e, s, short(o)))
            elif created[s][0] > ts:
                c = created[s][1]
                bad.append("%s (p%s/o%s, produced %d) %s: story %s was created by %s (p%s/o%s) produced %.3f s later"
                           % (e, raw_by[e][0]["p"], raw_by[e][0]["o"], ts, short(o), s, c, raw_by[c][0]["p"],
                              raw_by[c][0]["o"], (created[s][0] - ts) / 1000.0))
    rep.check(not bad, "nothing attached to a story whose first record was produced after it (%d references)" % n,
              "%d: %s" % (len(bad), few(bad, 3)))
    rep.check(not unknown, "every story referenced by an outcome was created by an input of the run",
              "%d: %s" % (len(unknown), few(unknown, 3)))


def _workers(rep, workers):
    """Every worker process: killed ones by our SIGKILL, SIGTERMed ones exit 0, none ends by itself
    (exit 3, the documented fatal error, is not expected here: every fault injected is transient),
    none by a signal (negative status) or an abort (134) or a segfault (139)."""
    signal_deaths, self_exits, term_bad, term_slow, alive = [], [], [], [], []
    for w in workers:
        rc, how = w["rc"], w["ended"]
        desc = "%s#%d pid %d rc=%s (%s)" % (w["name"], w["incarnation"], w["pid"], rc, how)
        if w.get("hung"):
            term_bad.append(desc + " still running %.0f s after SIGTERM: killed" % w.get("term_seconds", 0))
        elif rc is None:
            alive.append(desc)
        elif how == "sigkill":
            if rc != -9:
                signal_deaths.append(desc)
        elif (rc < 0 and rc != -9) or rc in (134, 139) or w.get("sanitizer"):
            signal_deaths.append(desc + (" sanitizer report" if w.get("sanitizer") else ""))
        elif how == "self":
            self_exits.append(desc)
        elif how in ("sigterm", "final") and rc != 0:
            term_bad.append(desc + " after %.1fs" % w.get("term_seconds", 0))
        elif how in ("sigterm", "final") and w.get("term_seconds", 0) > TERM_SECONDS:
            term_slow.append(desc + " after %.1fs" % w.get("term_seconds", 0))
    n = len(workers)
    counts = collections.Counter(w["ended"] for w in workers)
    rep.info("worker processes: %d (%s)" % (n, ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
    rep.check(not signal_deaths, "no worker died by a signal, abort or segfault (%d processes)" % n,
              few(signal_deaths))
    rep.check(not term_bad, "every SIGTERM ended its worker with exit 0 (%d)" % (counts["sigterm"] + counts["final"]),
              few(term_bad))
    rep.check(not term_slow, "every SIGTERMed worker exited within %d s" % TERM_SECONDS, few(term_slow), "timing")
    rep.check(not self_exits, "no worker exited by itself (exit 3 would be a fatal Kafka error; none is expected)",
              few(self_exits))
    rep.check(not alive, "every worker process ended", few(alive))


def _lookup(rep, run, sv):
    view = run.get("view")
    if run.get("view_skipped"):
        rep.info("lookup view: not checked (--no-lookup)")
        return
    if view is None:
        rep.check(False, "lookup view read over gRPC", run.get("view_error") or "")
        return
    topic_view = collections.defaultdict(dict)
    for (s, v), contents in sv.items():
        k, h, _ = sorted(contents)[0]
        topic_view[s][v] = (k, h)
    bad = []
    for s, vs in topic_view.items():
        got = {v: (x[0], x[2]) for v, x in (view.get(s) or {}).items()}
        if got != vs:
            bad.append(s)
    rep.check(not bad and not run.get("view_error"),
              "lookup view (gRPC ListVersions/GetArticle) = news.article-events.v1 (%d stories, %d versions)"
              % (len(topic_view), len(sv)), "%d stories differ: %s %s" % (len(bad), few(bad), run.get("view_error") or ""))
