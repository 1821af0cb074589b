"""The fault run: an operator's test of copydesk under faults, checked from the outside.

3 brokers x 12 partitions (the embedded broker), 3 ingest workers (instance ids w1..w3, each with
its own state directory, as pods with volumes) and the lookup service. Pass 1 sends 1,581 events
evenly over 70 s (1,371 Reuters story versions as `text/plain`, key and `guid` = the story id,
`provider` = reuters, `version` = the version; 150 re-deliveries of earlier events under new event
ids; 60 poison events) while:
  - 10 s: w1 is SIGKILLed and restarted 1 s later on an empty state directory (a pod rescheduled
    to another node), so it restores its partitions from the changelog;
  - 30 Produce and 30 Fetch requests fail, injected as soon as a worker logs `restore started`
    (at the latest at 66 s), so that the failing fetches hit the restore;
  - 25 s: broker 2 goes down for 8 s;
  - 52 s: w3 is SIGTERMed (it must exit 0) and restarted on its state directory.
(Times scale with --seconds.) A worker that exits by itself is restarted 1 s later, as an
orchestrator would, and reported. Pass 2, once every event of pass 1 has an outcome: the same
1,581 events again in the same order under new event ids, over 25 s, without faults.
A confluent-kafka reader (read_committed) reads every topic from the start while the run goes on
(ck_collect.py). Then the lookup view is read over gRPC, the workers are stopped with SIGTERM and
fault_checks.py checks the run; see there for the list.

Exit status: 0 every check holds; 1 a correctness check failed; 2 only a time bound failed (the
workers were still deciding when the drain bound ran out, or a SIGTERMed worker took longer than
15 s to exit 0: a loaded machine, not a wrong result); 3 only the harness failed (e.g. the broker
did not acknowledge an event). The last line is `RESULT: PASS|FAIL <category> in Ns — checks`.
The work directory keeps the logs (one per worker process: w1.1.log, w1.2.log, ...), the topics
as read (topics/*.jsonl, with the dedup changelog for diagnosis), run.json and result.json;
--recheck runs the checks again over it.
Run it through tests/faults/fault_run.sh (ctest e2e.fault_run) or scripts/faultrun --runs N.
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
CHAOS = os.path.join(os.path.dirname(HERE), "chaos")
sys.path.insert(0, HERE)
sys.path.insert(0, CHAOS)

import check  # noqa: E402  (tests/chaos: lookup dump)
import fault_checks  # noqa: E402
import fault_events  # noqa: E402
from ck_collect import Collector  # noqa: E402
from procs import Procs, control, free_port, start_broker, wait_for_line  # noqa: E402

WORKERS = ["w1", "w2", "w3"]
HANG_SECONDS = 45  # a worker still running this long after SIGTERM is killed and reported as hung


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


class Producer(threading.Thread):
    """Sends events to news.raw.v1 at an even pace (confluent-kafka, idempotent, acks=all) and
    records each delivery report: {event id: (partition, offset, timestamp)} or the error."""

    def __init__(self, boot, events, seconds):
        super().__init__(daemon=True)
        from confluent_kafka import Producer as CkProducer
        import logging
        quiet = logging.getLogger("fault-run.producer")
        quiet.addHandler(logging.NullHandler())
        quiet.propagate = False  # 'connection refused' while a broker is down is expected
        self.p = CkProducer({"bootstrap.servers": boot, "enable.idempotence": True, "acks": "all",
                             "linger.ms": 5, "message.timeout.ms": 300000, "log_level": 3}, logger=quiet)
        self.events, self.seconds = events, seconds
        self.sent, self.delivered, self.failed = 0, {}, {}
        self.done = False
        self.t0 = self.t1 = None

    def _cb(self, eid, err, msg):
        if err is not None:
            self.failed[eid] = str(err)
        else:
            self.delivered[eid] = (msg.partition(), msg.offset(), msg.timestamp()[1])

    def run(self):
        self.t0 = time.monotonic()
        step = self.seconds / max(1, len(self.events))
        for i, ev in enumerate(self.events):
            delay = self.t0 + i * step - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            while True:
                try:
                    self.p.produce("news.raw.v1", value=ev["value"], key=ev["key"], headers=ev["headers"],
                                   on_delivery=lambda err, msg, eid=ev["id"]: self._cb(eid, err, msg))
                    break
                except BufferError:
                    self.p.poll(0.05)
            self.sent = i + 1
            self.p.poll(0)
        self.t1 = time.monotonic()
        self.p.flush(300)
        self.done = True


class Run:
    def __init__(self, args):
        self.args = args
        self.workdir = args.workdir
        self.procs = Procs(self.workdir, os.path.join(self.workdir, "pids"))
        atexit.register(self.procs.stop_all)
        self.workers = []  # one dict per worker process (incarnation)
        self.current = {}  # name -> its running incarnation's dict
        self.faults, self.problems, self.notes = [], [], []
        self.timers = []  # (when, action, arg)
        self.env = {"COPYDESK_RUN_DIR": os.path.join(self.workdir, "run")}
        self.expect_exit = {}  # name -> ("sigterm" | "final" | "sigkill", when)
        self.timing = {}
        self.events, self.delivered, self.failed = {}, {}, {}
        self.state_dirs = {}

    # Workers -------------------------------------------------------------------------------
    def start_worker(self, name, fresh_state=False):
        """Starts worker `name` (its instance id); with `fresh_state`, on an empty state directory
        (a pod rescheduled to another node), so it restores its partitions from the changelog."""
        inc = sum(1 for w in self.workers if w["name"] == name) + 1
        if fresh_state or name not in self.state_dirs:
            self.state_dirs[name] = os.path.join(self.workdir, "state-%s.%d" % (name, inc))
        argv = [self.args.bin, "ingest", "--brokers", self.boot, "--instance-id", name, "--metrics", "127.0.0.1:0",
                "--set", "ingest.state_dir=" + self.state_dirs[name]] + self.args.worker_arg
        p = self.procs.start(name, argv, env=self.env, log=os.path.join(self.workdir, "%s.%d.log" % (name, inc)))
        w = {"name": name, "incarnation": inc, "pid": p.pid, "proc": p, "log": p.log, "ended": None, "rc": None,
             "started": time.time()}
        self.workers.append(w)
        self.current[name] = w
        return w

    def signal_worker(self, name, sig, how):
        w = self.current[name]
        self.expect_exit[name] = (how, time.time())
        try:
            w["proc"].send_signal(sig)
        except ProcessLookupError:
            pass
        return w

    def poll_workers(self, now):
        """Notes every worker process that ended, and restarts the ones an orchestrator would."""
        for name, w in list(self.current.items()):
            if w["rc"] is not None or w["proc"].poll() is None:
                exp = self.expect_exit.get(name)
                if exp and exp[0] in ("sigterm", "final") and w["rc"] is None and not w.get("hung") \
                        and now - exp[1] > HANG_SECONDS:
                    w["hung"] = True  # fault_checks reports it
                    w["proc"].kill()
                continue
            w["rc"] = w["proc"].returncode
            w["ended_at"] = now
            exp = self.expect_exit.pop(name, None)
            w["ended"] = exp[0] if exp else "self"
            if exp:
                w["term_seconds"] = now - exp[1]
            w["sanitizer"] = self._sanitizer(w["log"])
            t = now - self.t_start
            if w["ended"] == "sigkill":
                self.timers.append((now + 1.0, "restart-fresh" if not self.args.kill_keeps_state else "restart", name))
            elif w["ended"] == "sigterm":
                self.faults.append("%.1fs %s exited rc=%s %.1fs after SIGTERM; restarted"
                                   % (t, name, w["rc"], w["term_seconds"]))
                self.start_worker(name)
            elif w["ended"] == "self":
                self.faults.append("%.1fs %s exited by itself rc=%s (see %s); restarted" % (t, name, w["rc"], w["log"]))
                self.timers.append((now + 1.0, "restart", name))

    @staticmethod
    def _sanitizer(path):
        with open(path, errors="replace") as f:
            text = f.read()
        return any(s in text for s in ("ERROR: AddressSanitizer", "runtime error:", "double free", "free(): "))

    # Faults ----------------------------------------------------------------------------------
    def ctl(self, cmd):
        r = control(self.ctl_addr, cmd)
        self.faults.append("%.1fs %s -> %s" % (time.time() - self.t_start, cmd, r))
        if not r.startswith("ok"):
            self.problems.append(("setup", "control command %r failed: %s" % (cmd, r)))

    def fault_step(self, now, state):
        t = now - self.t_start
        scale = self.args.seconds / 70.0
        if "kill" not in state and t >= 10 * scale:
            state["kill"] = now
            self.signal_worker("w1", signal.SIGKILL, "sigkill")
            self.faults.append("%.1fs SIGKILL w1 (sent %d)" % (t, self.prod.sent))
            state["restores_before"] = self._restore_count()
        if "kill" in state and "errors" not in state:
            # As soon as a worker restores a partition from the changelog (a rebalance after the
            # kill, the outage or the SIGTERM), so that the failing fetches hit the restore.
            restoring = self._restore_count() > state["restores_before"]
            if restoring or t >= 66 * scale:
                state["errors"] = now
                self.faults.append("%.1fs injecting request errors (%s)" % (
                    t, "a worker started a restore" if restoring else "no restore started before 66 s"))
                self.ctl("request-errors Produce %d %s" % (self.args.errors, self.args.produce_error))
                self.ctl("request-errors Fetch %d %s" % (self.args.errors, self.args.fetch_error))
        if "down" not in state and t >= 25 * scale:
            state["down"] = now
            self.ctl("broker-down 2")
        if "down" in state and "up" not in state and now - state["down"] >= 8.0:
            state["up"] = now
            self.ctl("broker-up 2")
        if "term" not in state and t >= 52 * scale:
            state["term"] = now
            self.signal_worker("w3", signal.SIGTERM, "sigterm")
            self.faults.append("%.1fs SIGTERM w3 (sent %d)" % (t, self.prod.sent))
        return all(k in state for k in ("kill", "errors", "down", "up", "term")) and "w3" not in self.expect_exit

    def _restore_count(self):
        if time.time() < getattr(self, "_next_scan", 0):
            return self._restores
        self._next_scan = time.time() + 0.5
        n = 0
        for w in self.workers:
            try:
                with open(w["log"], errors="replace") as f:
                    n += f.read().count("restore started")
            except FileNotFoundError:
                pass
        self._restores = n
        return n

    def run_timers(self, now):
        for item in sorted(self.timers):
            if item[0] <= now:
                self.timers.remove(item)
                if item[1] in ("restart", "restart-fresh"):
                    self.start_worker(item[2], fresh_state=item[1] == "restart-fresh")
                    self.faults.append("%.1fs restarted %s%s" % (now - self.t_start, item[2], " on an empty state directory"
                                                                  if item[1] == "restart-fresh" else ""))

    # Passes ----------------------------------------------------------------------------------
    def record_deliveries(self):
        self.delivered.update(self.prod.delivered)
        self.failed.update(self.prod.failed)

    def drive(self, events, seconds, faults, label):
        """Produces `events` over `seconds` (with the faults when asked) and waits until each has an
        outcome, or the drain bound. Returns False when the bound ran out."""
        self.prod = Producer(self.boot, events, seconds)
        self.events.update((e["id"], e) for e in events)
        self.t_start = time.time()
        self.prod.start()
        state, faults_done = {}, not faults
        deadline, t_produced = None, None
        while True:
            now = time.time()
            if not faults_done:
                faults_done = self.fault_step(now, state)
            self.run_timers(now)
            self.poll_workers(now)
            if self.prod.done and faults_done and not self.timers:
                if t_produced is None:
                    t_produced = now
                    deadline = now + self.args.drain_timeout
                    log("%s: produced %d events in %.1fs (%d acknowledged, %d failed); waiting for outcomes"
                        % (label, len(events), self.prod.t1 - self.prod.t0, len(self.prod.delivered),
                           len(self.prod.failed)))
                # Every event acknowledged with an offset, and those acknowledged without one that
                # the broker stored (see fault_checks: the mock broker can drop a retried Produce).
                on_raw = self.collector.on_raw()
                want = {e for e, d in list(self.prod.delivered.items()) if d[1] is not None or e in on_raw}
                have, last = self.collector.outcomes_seen()
                if want <= have:
                    break
                if now > deadline:
                    progressing = now - last < 30
                    self.timing.update(drain_timed_out=True, progressing=progressing)
                    self.problems.append(("timing" if progressing else "correctness",
                                          "%s: %d of %d events without an outcome %ds after the last was produced "
                                          "(%s)" % (label, len(want - have), len(want), self.args.drain_timeout,
                                                    "outcomes were still arriving" if progressing else
                                                    "no outcome in the last %.0f s: stalled" % (now - last))))
                    self.record_deliveries()
                    return False
            if self.collector.finished.is_set():
                self.problems.append(("setup", "the reader stopped: %s" % self.collector.errors))
                self.record_deliveries()
                return False
            time.sleep(0.05)
        self.record_deliveries()
        self.timing[label] = {"produce_s": round(self.prod.t1 - self.prod.t0, 1),
                              "drain_s": round(time.time() - t_produced, 1),
                              "total_s": round(time.time() - self.t_start, 1)}
        log("%s: every event has an outcome %.1fs after the last was produced" % (label, time.time() - t_produced))
        return True

    def main(self):
        a = self.args
        t0 = time.time()
        data_dir = os.path.join(a.src, "..", "shared", "data")
        first, second, fallback = fault_events.build(data_dir, a.src, a.records, a.redeliveries, a.poison)
        if fallback:
            note = ("NOTE: %s is absent: generated stories (tests/chaos/gen_events.py) stand in for the Reuters "
                    "records" % os.path.normpath(data_dir))
            log(note)
            self.notes.append(note)
        os.environ.update(self.env)
        self.boot, self.ctl_addr = start_broker(self.procs, a.bin, partitions=12, brokers=3)
        log("broker %s control %s" % (self.boot, self.ctl_addr))
        for name in WORKERS:
            self.start_worker(name)
        for name in WORKERS:
            w = self.current[name]
            if not wait_for_line(w["log"], r"(worker started)", timeout=60, proc=w["proc"]):
                raise RuntimeError("worker %s did not start; see %s" % (name, w["log"]))
        os.makedirs(os.path.join(self.workdir, "topics"), exist_ok=True)
        self.collector = Collector(self.boot, os.path.join(self.workdir, "topics"))
        self.collector.start()
        if not self.collector.ready.wait(90):
            raise RuntimeError("the reader did not start: %s" % self.collector.errors)
        grpc_port = None
        if not a.no_lookup:
            grpc_port = free_port()
            self.procs.start("lookup", [a.bin, "lookup", "--brokers", self.boot, "--grpc", "127.0.0.1:%d" % grpc_port,
                                        "--metrics", "127.0.0.1:0", "--data-dir", os.path.join(self.workdir, "lookup")],
                             env=self.env)
        wait_for_line(self.current[WORKERS[-1]]["log"], r"(rebalance kind=assign)", timeout=60)
        log("pass 1: %d events over %ds with faults" % (len(first), a.seconds))
        ok = self.drive(first, a.seconds, True, "pass 1")
        if ok:
            log("pass 2: the same %d events under new event ids over %ds, no faults" % (len(second), a.seconds2))
            self.drive(second, a.seconds2, False, "pass 2")
        self.collector.stop()
        self.collector.finished.wait(90)
        view, view_err = None, None
        if not a.no_lookup:
            data = {"news.article-events.v1": self.collector.records["news.article-events.v1"]}
            view, view_err = check.dump_lookup(grpc_port, data, check.end_offsets(data["news.article-events.v1"]),
                                               a.stubs)
        for name in WORKERS:
            self.signal_worker(name, signal.SIGTERM, "final")
        deadline = time.time() + HANG_SECONDS + 5
        while any(w["rc"] is None for w in self.current.values()) and time.time() < deadline:
            self.poll_workers(time.time())
            time.sleep(0.05)
        for w in self.current.values():
            if w["rc"] is None:
                w["proc"].kill()
                w["proc"].wait()
                w.update(rc=w["proc"].returncode, ended="final", term_seconds=HANG_SECONDS + 5, hung=True)
        lrc = self.procs.stop("lookup") if not a.no_lookup else None
        self.procs.stop("broker")
        for w in self.workers:
            with open(w["log"], errors="replace") as f:
                text = f.read()
            for marker in ("restore failed", "fatal error", "input lost"):
                if marker in text:
                    self.notes.append("%s#%d logged %r %d times" % (w["name"], w["incarnation"], marker,
                                                                     text.count(marker)))
        self.timing["seconds"] = round(time.time() - t0, 1)
        run = {"events": self.events, "delivered": self.delivered, "failed": self.failed, "topics": self.collector.records,
               "workers": self.workers, "view": view, "view_error": view_err, "view_skipped": a.no_lookup,
               "problems": self.problems, "faults": self.faults, "notes": self.notes, "timing": self.timing,
               "lost": self.collector.lost, "collector_errors": self.collector.errors}
        self.save(run)
        return run, lrc

    def save(self, run):
        """Everything but the topics (in topics/*.jsonl) and the events (rebuilt), for --recheck."""
        keep = {k: v for k, v in run.items() if k not in ("events", "topics", "workers")}
        keep["workers"] = [{k: v for k, v in w.items() if k != "proc"} for w in run["workers"]]
        keep["view"] = None if run["view"] is None else {s: {str(v): x for v, x in vs.items()}
                                                         for s, vs in run["view"].items()}
        with open(os.path.join(self.workdir, "run.json"), "w") as f:
            json.dump(keep, f)


def load(args):
    """A finished run from its work directory (--recheck)."""
    with open(os.path.join(args.workdir, "run.json")) as f:
        run = json.load(f)
    if run["view"] is not None:
        run["view"] = {s: {int(v): tuple(x) for v, x in vs.items()} for s, vs in run["view"].items()}
    run["delivered"] = {e: tuple(d) for e, d in run["delivered"].items()}
    run["problems"] = [tuple(p) for p in run["problems"]]
    first, second, _ = fault_events.build(os.path.join(args.src, "..", "shared", "data"), args.src, args.records,
                                          args.redeliveries, args.poison)
    sent = set(run["delivered"]) | set(run["failed"])
    run["events"] = {e["id"]: e for e in first + (second if any(e["id"] in sent for e in second) else [])}
    run["topics"] = check.load_topics(os.path.join(args.workdir, "topics"))
    for r in run["topics"]["news.raw.v1"] + run["topics"]["news.raw.dlq.v1"]:
        r.setdefault("vh", None)
    return run, None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="copydesk binary")
    ap.add_argument("--src", required=True, help="source tree (data: SRC/../shared/data)")
    ap.add_argument("--workdir", required=True, help="logs, collected topics, state directories")
    ap.add_argument("--stubs", required=True, help="directory with the protoc-generated python classes")
    ap.add_argument("--records", type=int, default=1371, help="Reuters records per pass")
    ap.add_argument("--redeliveries", type=int, default=150)
    ap.add_argument("--poison", type=int, default=60)
    ap.add_argument("--seconds", type=float, default=70.0, help="pass 1 production time (faults scale with it)")
    ap.add_argument("--seconds2", type=float, default=25.0, help="pass 2 production time")
    ap.add_argument("--errors", type=int, default=30, help="failing Produce and Fetch requests (each)")
    ap.add_argument("--produce-error", default="NOT_LEADER_FOR_PARTITION")
    ap.add_argument("--fetch-error", default="REQUEST_TIMED_OUT")
    ap.add_argument("--drain-timeout", type=int,
                    default=int(180 * float(os.environ.get("COPYDESK_TEST_SLOWDOWN", "1"))),
                    help="seconds to wait for the last outcomes of a pass (a timing failure past it)")
    ap.add_argument("--no-lookup", action="store_true", help="do not run and check the lookup service")
    ap.add_argument("--kill-keeps-state", action="store_true",
                    help="restart the SIGKILLed worker on its state directory (default: an empty one, so it "
                         "restores its partitions from the changelog)")
    ap.add_argument("--worker-arg", action="append", default=[], help="extra argument for every worker")
    ap.add_argument("--strict-redelivery", action="store_true",
                    help="a re-delivery of a known guid decided DUPLICATE (of the right story) fails the run "
                         "instead of a warning")
    ap.add_argument("--recheck", action="store_true", help="only check the finished run in WORKDIR again")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.recheck:
        run, lookup_rc = load(args)
    else:
        run, lookup_rc = Run(args).main()
    rep = fault_checks.analyze(run, args.strict_redelivery)
    print("\n==== fault run: 3 brokers x 12 partitions, 3 workers ====")
    print(rep.render())
    t = run["timing"]
    print("  timing: %s" % json.dumps(t))
    if lookup_rc not in (None, 0):
        print("  note: lookup exited %s on SIGTERM" % lookup_rc)
    corr, timing, setup = rep.failed("correctness"), rep.failed("timing"), rep.failed("setup")
    failing = [x[2] for x in corr + timing + setup]
    warned = [x[2] for x in rep.warnings()]
    if corr:
        verdict, rc = "FAIL correctness", 1
    elif timing:
        verdict, rc = "FAIL timing", 2
    elif setup:
        verdict, rc = "FAIL setup", 3
    else:
        verdict, rc = "PASS", 0
    with open(os.path.join(args.workdir, "result.json"), "w") as f:
        json.dump({"verdict": verdict, "seconds": t.get("seconds"), "failing": failing, "warnings": warned,
                   "timing": t}, f)
    if warned:
        print("\nWARNINGS: " + " | ".join(warned))
    print("\nRESULT: %s in %.0fs%s" % (verdict, t.get("seconds", 0), (" — " + " | ".join(failing)) if failing else ""))
    sys.exit(rc)


if __name__ == "__main__":
    main()
