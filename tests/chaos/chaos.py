"""Chaos test of the ingest pipeline: a mixed, paced stream through 3 brokers x 12
partitions, 3 ingest workers and the lookup service while workers are SIGKILLed and SIGTERMed, a
broker goes down and Produce/Fetch requests fail; then the same stream once more on a fresh
broker with one worker and no faults (the reference). An independent python3-kafka consumer
(collect.py) reads every topic live; check.py compares. Exit status 0 only when every check holds.

About 1.5 % of the events (at most 300) are embargoed ninjs items whose `embargoed` time is 5-30 s
after they are produced (gen_events.plan_embargoes), with updates, moved or lifted embargoes and
kills during the embargo. A run waits, after the last outcome, until every held story is released
(or dropped) and has its tombstone on news.articles-held.v1 (at most --embargo-timeout past the last
due time). Held or not depends on when an item is decided, so the comparison with the reference
leaves the embargo itself out; check.py checks each run's releases (exactly once, never early, a
kill's versions never published) and reports the release lateness (also in --json and BENCH).

Run through tests/chaos/chaos.sh (ctest: chaos.short) or scripts/chaos (100,000 events).
"""
import argparse
import atexit
import json
import os
import signal
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import check  # noqa: E402
import gen_events  # noqa: E402
from procs import Procs, control, free_port, start_broker, wait_for_line  # noqa: E402

PY = "/usr/bin/python3"


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def _quiet_logger():
    """Drops the producer's librdkafka log lines: 'connection refused' while a broker is down is
    expected here, and delivery failures are counted from the delivery reports instead."""
    import logging
    lg = logging.getLogger("chaos.producer")
    lg.addHandler(logging.NullHandler())
    lg.propagate = False
    return lg


class Producer(threading.Thread):
    """Paced producer (confluent-kafka, idempotent) of the generated events to news.raw.v1."""

    def __init__(self, boot, events, rate, max_lag, max_partition_bytes):
        super().__init__(daemon=True)
        from confluent_kafka import Producer as CkProducer
        self.p = CkProducer({"bootstrap.servers": boot, "enable.idempotence": True, "acks": "all",
                             "linger.ms": 5, "message.timeout.ms": 300000,
                             "queue.buffering.max.messages": 500000, "queue.buffering.max.kbytes": 2097152,
                             "log_level": 3}, logger=_quiet_logger())
        self.events, self.rate, self.max_lag = events, rate, max_lag
        self.max_partition_bytes = max_partition_bytes
        self.outcomes_seen = 0  # updated by the main loop
        # Bytes delivered to each partition, and (main loop) bytes of those events with an outcome.
        self.bytes_out, self.bytes_done, self.sizes = {}, {}, {}
        self.throttled = 0.0  # seconds spent waiting for the pipeline to catch up
        self.sent = 0
        self.delivered = {}
        self.failed = {}
        self.done = False
        self.t0 = self.t1 = None
        # Embargo events: their stories' embargo times (set when a story's first version is produced),
        # and each event's embargo (ms since the epoch; None for a lift or a kill).
        self.embargo_story_ms, self.embargo_ms = {}, {}

    def _cb(self, eid, err, msg):
        if err is not None:
            self.failed[eid] = str(err)
        else:
            self.delivered[eid] = (msg.partition(), msg.offset(), msg.timestamp()[1])
            n = len(msg.value() or b"") + len(msg.key() or b"")
            self.sizes[eid] = (msg.partition(), n)
            self.bytes_out[msg.partition()] = self.bytes_out.get(msg.partition(), 0) + n

    def outcome_seen(self, eid):
        """Main loop: an outcome for `eid` arrived."""
        p, n = self.sizes.get(eid, (None, 0))
        if p is not None:
            self.bytes_done[p] = self.bytes_done.get(p, 0) + n

    def _behind(self, i, slack):
        """True while the workers are too far behind: in events overall, or in bytes on one partition."""
        if self.max_lag and i - self.outcomes_seen > self.max_lag * slack:
            return True
        if self.max_partition_bytes:
            for p, n in list(self.bytes_out.items()):
                if n - self.bytes_done.get(p, 0) > self.max_partition_bytes * slack:
                    return True
        return False

    def run(self):
        self.t0 = time.monotonic()
        for i, ev in enumerate(self.events):
            if self._behind(i, 1.0):
                # The embedded broker keeps ~5 MiB per partition: never run further ahead of the
                # workers than that, or unprocessed input would be dropped by the broker (a worker
                # down for 15 s leaves its partitions ~1,500 events behind: about 5 MiB of articles).
                w0 = time.monotonic()
                while self._behind(i, 0.8):
                    self.p.poll(0.05)
                self.throttled += time.monotonic() - w0
                self.t0 += time.monotonic() - w0
            target = self.t0 + i / self.rate
            now = time.monotonic()
            if target > now:
                time.sleep(target - now)
            value = ev["value"]
            if ev.get("embargo"):
                # Embargoed relative to now: built when it is produced.
                value, self.embargo_ms[ev["id"]] = gen_events.embargo_value(ev, self.embargo_story_ms)
            while True:
                try:
                    self.p.produce("news.raw.v1", value=value, key=ev["key"], headers=ev["headers"],
                                   on_delivery=lambda err, msg, eid=ev["id"]: self._cb(eid, err, msg))
                    break
                except BufferError:
                    self.p.poll(0.05)
            self.sent = i + 1
            self.p.poll(0)
        self.t1 = time.monotonic()
        self.p.flush(300)
        del self.p  # closes the connections before the broker goes away
        self.done = True


def _tail(path, state):
    """New complete JSON lines of a collector file since the last call (position in `state`)."""
    out = []
    try:
        with open(path) as f:
            f.seek(state.get("pos", 0))
            while True:
                line = f.readline()
                if not line or not line.endswith("\n"):
                    break
                state["pos"] = f.tell()
                out.append(json.loads(line))
    except FileNotFoundError:
        pass
    return out


def outcome_ids(path, state):
    """Event ids on a topic so far, read incrementally from the collector's file."""
    ids = state.setdefault("ids", set())
    for rec in _tail(path, state):
        if rec["eid"] not in ids:
            ids.add(rec["eid"])
            state.setdefault("new", []).append(rec["eid"])
    return ids


class EmbargoWatch:
    """Follows the collector's files once every outcome is in: which held versions are not yet
    published and which held stories have no tombstone on the held topic yet (see check.py's
    embargo checks, which assert the same at the end)."""

    def __init__(self, coll_dir):
        self.dir = coll_dir
        self.st = {t: {} for t in ("news.ingest-outcomes.v1", "news.article-events.v1", check.HELD_TOPIC)}
        self.held, self.dropped, self.stories = set(), set(), set()
        self.published, self.tomb = set(), {}
        self.last_due_ms = 0

    def poll(self):
        """(unpublished held versions, held stories without their tombstone, the last due time in ms)."""
        for r in _tail(os.path.join(self.dir, "news.ingest-outcomes.v1.jsonl"), self.st["news.ingest-outcomes.v1"]):
            if "hu" in r:
                self.stories.add(r["s"])
                if r["hd"]:
                    self.dropped.add(r["s"])
                else:
                    self.held.add((r["s"], r["v"]))
                    self.last_due_ms = max(self.last_due_ms, r["hu"])
        for r in _tail(os.path.join(self.dir, "news.article-events.v1.jsonl"), self.st["news.article-events.v1"]):
            self.published.add((r["s"], r["v"]))
        for r in _tail(os.path.join(self.dir, check.HELD_TOPIC + ".jsonl"), self.st[check.HELD_TOPIC]):
            self.tomb[r["key"]] = r["tomb"]
        versions = {sv for sv in self.held - self.published if sv[0] not in self.dropped}
        stories = {s for s in self.stories if not self.tomb.get(s)}
        return versions, stories, self.last_due_ms


def run_once(name, args, events, faults, workers, procs, stubs):
    """One run on a fresh broker; returns a dict with everything check.py needs."""
    rdir = os.path.join(args.workdir, name)
    os.makedirs(rdir, exist_ok=True)
    env = {"COPYDESK_RUN_DIR": os.path.join(rdir, "run"), "PYTHONPATH": stubs}
    os.environ["COPYDESK_RUN_DIR"] = env["COPYDESK_RUN_DIR"]
    procs.workdir = rdir
    boot, ctl = start_broker(procs, args.bin, name=name + "-broker")
    log("%s: broker %s control %s" % (name, boot, ctl))
    coll_dir = os.path.join(rdir, "topics")
    collector = procs.start(name + "-collector", [PY, os.path.join(HERE, "collect.py"), boot, coll_dir], env=env)
    if not wait_for_line(os.path.join(coll_dir, "ready"), r"^(ready)", timeout=30, proc=collector):
        raise RuntimeError("collector did not start; see " + collector.log)
    grpc_port = free_port()
    procs.start(name + "-lookup", [args.bin, "lookup", "--brokers", boot, "--grpc", "127.0.0.1:%d" % grpc_port,
                                   "--metrics", "127.0.0.1:0", "--data-dir", os.path.join(rdir, "lookup")],
                env=env)
    # Each worker keeps its local state in its own directory (like a pod's volume), kept across restarts.
    wargv = lambda w: [args.bin, "ingest", "--brokers", boot, "--instance-id", w, "--metrics", "127.0.0.1:0",
                       "--set", "ingest.state_dir=" + os.path.join(rdir, "state-" + w)] + args.worker_arg
    wnames = ["w%d" % (i + 1) for i in range(workers)]
    for w in wnames:
        procs.start("%s-%s" % (name, w), wargv(w), env=env)
    for w in wnames:
        p = procs.procs["%s-%s" % (name, w)]
        if not wait_for_line(p.log, r"(worker started)", timeout=30, proc=p):
            raise RuntimeError("worker %s did not start; see %s" % (w, p.log))
    # Let the group settle before the stream starts (the first assignment takes a few seconds).
    wait_for_line(procs.procs["%s-%s" % (name, wnames[-1])].log, r"(rebalance kind=assign)", timeout=30)
    prod = Producer(boot, events, args.rate, args.max_lag, int(args.max_partition_mib * 1024 * 1024))
    t_start = time.time()
    prod.start()
    fault_log, problems = [], []
    n = len(events)
    pending = []
    if faults:
        k1, k2, t3 = wnames[0], wnames[1 % workers], wnames[2 % workers]
        pending = [(0.12, "kill", k1), (0.25, "errors", None), (0.35, "down", None), (0.55, "kill", k2),
                   (0.75, "term", t3)]
    timers = []  # (when, action, arg)
    restarts = {}
    term_wait = None
    state, raw_state = {}, {}
    deadline = None
    watch, t_outcomes, t_watch, next_watch = None, None, None, 0.0
    while True:
        now = time.time()
        frac = prod.sent / float(n)
        while pending and (frac >= pending[0][0] or prod.done):
            _, what, arg = pending.pop(0)
            if what == "kill":
                procs.stop("%s-%s" % (name, arg), signal.SIGKILL)
                fault_log.append("%.1fs SIGKILL %s (sent %d)" % (now - t_start, arg, prod.sent))
                timers.append((now + 1.0, "restart", arg))
            elif what == "term":
                p = procs.procs["%s-%s" % (name, arg)]
                p.send_signal(signal.SIGTERM)
                term_wait = (arg, now)
                fault_log.append("%.1fs SIGTERM %s (sent %d)" % (now - t_start, arg, prod.sent))
            elif what == "errors":
                for api in ("Produce", "Fetch"):
                    r = control(ctl, "request-errors %s 10 NOT_LEADER_FOR_PARTITION" % api)
                    fault_log.append("%.1fs request-errors %s 10 NOT_LEADER_FOR_PARTITION -> %s"
                                     % (now - t_start, api, r))
                    if not r.startswith("ok"):
                        problems.append("control command failed: " + r)
            elif what == "down":
                r = control(ctl, "broker-down 2")
                fault_log.append("%.1fs broker-down 2 -> %s" % (now - t_start, r))
                if not r.startswith("ok"):
                    problems.append("control command failed: " + r)
                timers.append((now + 5.0, "up", 2))
        for t in sorted(timers):
            if t[0] <= now:
                timers.remove(t)
                if t[1] == "restart":
                    procs.start("%s-%s" % (name, t[2]), wargv(t[2]), env=env)
                    restarts[t[2]] = restarts.get(t[2], 0) + 1
                    fault_log.append("%.1fs restarted %s" % (now - t_start, t[2]))
                elif t[1] == "up":
                    r = control(ctl, "broker-up 2")
                    fault_log.append("%.1fs broker-up 2 -> %s" % (now - t_start, r))
                    if not r.startswith("ok"):
                        problems.append("control command failed: " + r)
        if term_wait:
            w, since = term_wait
            p = procs.procs["%s-%s" % (name, w)]
            rc = p.poll()
            if rc is not None or now - since > 10:
                if rc is None:
                    problems.append("worker %s still running 10 s after SIGTERM (killed)" % w)
                    procs.stop("%s-%s" % (name, w), signal.SIGKILL)
                elif rc != 0:
                    problems.append("worker %s exited %d after SIGTERM (want 0)" % (w, rc))
                fault_log.append("%.1fs %s exited rc=%s %.1fs after SIGTERM; restarted"
                                 % (now - t_start, w, rc, now - since))
                term_wait = None
                procs.start("%s-%s" % (name, w), wargv(w), env=env)
        # A worker that ends by itself is restarted (what an orchestrator does) and reported.
        for w in wnames:
            p = procs.procs["%s-%s" % (name, w)]
            if p.poll() is not None and not (term_wait and term_wait[0] == w) and \
                    not any(t[1] == "restart" and t[2] == w for t in timers) and p.returncode not in (-9,):
                msg = "worker %s exited by itself with code %s at %.1fs (see %s); restarted" % (
                    w, p.returncode, now - t_start, p.log)
                # Exit code 3 is the documented "fatal Kafka error, restart me"; anything else is a crash.
                (fault_log if p.returncode == 3 else problems).append(msg)
                procs.start("%s-%s" % (name, w), wargv(w), env=env)
        have = outcome_ids(os.path.join(coll_dir, "news.ingest-outcomes.v1.jsonl"), state)
        for eid in state.pop("new", []):
            prod.outcome_seen(eid)
        prod.outcomes_seen = len(have)
        if prod.done and not pending and not timers and not term_wait:
            # Expected: every event acknowledged with an offset, and those acknowledged without one
            # (see check.analyze) that the broker did store.
            on_raw = outcome_ids(os.path.join(coll_dir, "news.raw.v1.jsonl"), raw_state)
            want = {e for e, d in list(prod.delivered.items()) if d[1] is not None or e in on_raw}
            if deadline is None:
                deadline = now + args.drain_timeout
                log("%s: produced %d (delivered %d, failed %d) in %.1fs; waiting for outcomes"
                    % (name, prod.sent, len(prod.delivered), len(prod.failed), prod.t1 - prod.t0))
            if want <= have:
                # Then the held stories: every embargo released (or dropped) and its tombstone on the
                # held topic, waiting at most --embargo-timeout past the last due time.
                if watch is None:
                    t_outcomes = now - t_start
                    log("%s: all outcomes after %.1fs" % (name, t_outcomes))
                    watch, t_watch = EmbargoWatch(coll_dir), now
                if now >= next_watch:
                    next_watch = now + 0.25
                    versions, stories, last_due_ms = watch.poll()
                    if not versions and not stories:
                        break
                    if now > max(t_watch, last_due_ms / 1000.0) + args.embargo_timeout:
                        problems.append("timed out %ds after the last embargo's due time: %d held versions "
                                        "unpublished %s, %d held stories without a tombstone %s"
                                        % (args.embargo_timeout, len(versions), sorted(versions)[:3],
                                           len(stories), sorted(stories)[:3]))
                        break
            elif now > deadline:
                problems.append("timed out after %ds waiting for outcomes: %d of %d event ids have none"
                                % (args.drain_timeout, len(want - have), len(want)))
                break
        time.sleep(0.05)
    if t_outcomes is None:
        t_outcomes = time.time() - t_start
        log("%s: outcomes missing after %.1fs" % (name, t_outcomes))
    embargo_wait = time.time() - t_start - t_outcomes
    if watch is not None and watch.stories:
        log("%s: %d embargoed stories held (%d versions, %d dropped by a kill), last due %.1fs after the start; "
            "every release and tombstone %.1fs after the outcomes"
            % (name, len(watch.stories), len(watch.held), len(watch.dropped), watch.last_due_ms / 1000.0 - t_start,
               embargo_wait))
    # Drain the collector, then read the view at (at least) the events topic's end offsets.
    with open(os.path.join(coll_dir, "stop"), "w"):
        pass
    try:
        collector.wait(60)
    except Exception:  # noqa: BLE001
        problems.append("collector did not finish its drain")
    data = check.load_topics(coll_dir)
    watermark = check.end_offsets(data["news.article-events.v1"])
    view, view_err = check.dump_lookup(grpc_port, data, watermark, stubs)
    if view_err:
        problems.append("lookup: " + view_err)
    # Graceful stop of the workers: exit 0 within 10 s.
    for w in wnames:
        t = time.time()
        rc = procs.stop("%s-%s" % (name, w), signal.SIGTERM, timeout=12)
        if rc != 0 or time.time() - t > 10:
            problems.append("final SIGTERM: worker %s rc=%s after %.1fs" % (w, rc, time.time() - t))
    # A worker that reached input the broker no longer had says so (copydesk_ingest_input_lost_total);
    # here that means the producer ran further ahead than the embedded broker keeps.
    for w in wnames:
        with open(procs.procs["%s-%s" % (name, w)].log, errors="replace") as f:
            lost = [l.strip() for l in f if "input lost" in l]
        if lost:
            problems.append("worker %s reached input the broker no longer had (%d times), first: %s"
                            % (w, len(lost), lost[0]))
    procs.stop(name + "-lookup")
    procs.stop(name + "-broker")
    result = {"name": name, "events": events, "delivered": prod.delivered, "failed": prod.failed,
            "topics": data, "view": view, "faults": fault_log, "problems": problems,
            "seconds": t_outcomes, "produce_seconds": prod.t1 - prod.t0 + prod.throttled, "dir": rdir,
            "throttled": prod.throttled, "embargo_ms": prod.embargo_ms, "embargo_wait_seconds": embargo_wait,
            "lost": json.load(open(os.path.join(coll_dir, "lost.json"))) if os.path.exists(
                os.path.join(coll_dir, "lost.json")) else {"collector": "no lost.json"}}
    keep = {k: v for k, v in result.items() if k not in ("events", "topics")}
    keep["view"] = {s: {str(v): x for v, x in vs.items()} for s, vs in (view or {}).items()} if view is not None else None
    with open(os.path.join(rdir, "result.json"), "w") as f:
        json.dump(keep, f)
    return result


def load_result(rdir, events):
    """A finished run's result from its directory (for --recheck)."""
    with open(os.path.join(rdir, "result.json")) as f:
        r = json.load(f)
    if r["view"] is not None:
        r["view"] = {s: {int(v): tuple(x) for v, x in vs.items()} for s, vs in r["view"].items()}
    r["events"] = events
    r["topics"] = check.load_topics(os.path.join(rdir, "topics"))
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="copydesk binary")
    ap.add_argument("--src", required=True, help="source tree (data: SRC/../shared/data)")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--stubs", required=True, help="directory with protoc-generated python classes")
    ap.add_argument("--events", type=int, default=15000)
    ap.add_argument("--rate", type=float, default=1000.0, help="events per second")
    ap.add_argument("--max-lag", type=int, default=6000,
                    help="pause the producer while more events than this await an outcome (0: never)")
    ap.add_argument("--max-partition-mib", type=float, default=2.5,
                    help="pause the producer while one input partition holds more MiB than this without "
                         "outcomes (the embedded broker keeps ~5 MiB per partition; 0: never)")
    ap.add_argument("--drain-timeout", type=int, default=90)
    ap.add_argument("--embargo-share", type=float, default=0.015,
                    help="share of embargoed ninjs events (at most --embargo-cap; 0: none)")
    ap.add_argument("--embargo-cap", type=int, default=300)
    ap.add_argument("--embargo-timeout", type=int, default=60,
                    help="after every outcome, wait at most this long past the last embargo's due time for "
                         "its release (a release later than this fails the run)")
    ap.add_argument("--json", help="write the verdict and the figures (e.g. embargo release lateness) here")
    ap.add_argument("--no-reference", action="store_true", help="skip the uninterrupted reference run")
    ap.add_argument("--worker-arg", action="append", default=[], help="extra argument for every worker")
    ap.add_argument("--recheck", action="store_true", help="only re-run the checks on WORKDIR's results")
    args = ap.parse_args()
    data_dir = os.path.join(args.src, "..", "shared", "data")
    events, fallback = gen_events.generate(args.events, data_dir, args.src, embargo_rate=args.embargo_share,
                                           embargo_cap=args.embargo_cap, rate=args.rate)
    if fallback:
        log("NOTE: %s absent; using generated events and the project's fixtures" % data_dir)
    if args.recheck:
        chaos = load_result(os.path.join(args.workdir, "chaos"), events)
        ref = None if args.no_reference else load_result(os.path.join(args.workdir, "reference"), events)
        sys.exit(0 if check.report(chaos, ref, args.json) else 1)
    procs = Procs(args.workdir, os.path.join(args.workdir, "pids"))
    atexit.register(procs.stop_all)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    t0 = time.time()
    chaos = run_once("chaos", args, events, True, 3, procs, args.stubs)
    ref = None
    if not args.no_reference:
        ref = run_once("reference", args, events, False, 1, procs, args.stubs)
    ok = check.report(chaos, ref, args.json)
    log("total %.1fs" % (time.time() - t0))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
