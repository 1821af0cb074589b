"""Ingest workers under transient Kafka faults during a changelog restore, batch commits and a
rebalance, and the worker's fatal exit path.

1. Worker A decides the first events and stops (SIGTERM, exit 0).
2. Every broker answers 300 ms late; worker B starts with an empty state directory, so it restores
   its partitions from the changelog. As soon as it logs `restore started`, the next 30 Fetch
   requests fail with REQUEST_TIMED_OUT. B must retry, finish every restore and decide new events.
3. While B runs, commits meet failing Produce, AddOffsetsToTxn, TxnOffsetCommit and EndTxn
   requests, and worker C joins the group (a rebalance) while JoinGroup, SyncGroup and OffsetFetch
   requests fail. Every event must get an outcome, and both workers must stop with exit 0.
4. Worker D restores under a 1 s restore bound (`ingest.restore_timeout_ms`) from a changelog
   whose broker answers 3 s late: the restore gives up, and D must exit with status 3 (a fatal
   error), not by a signal (a crash in the exit path shows as a negative status, or 134 under glibc's abort).

Under AddressSanitizer (scripts/asan) a use after free or a double free ends the worker with a
report in its log and a non-zero status, which fails the checks above.

Usage: restore_faults.py COPYDESK_BIN SOURCE_DIR [--events N]"""
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from procs import Procs, control, start_broker, wait_for_line  # noqa: E402

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

BIN, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
N = int(sys.argv[sys.argv.index("--events") + 1]) if "--events" in sys.argv else 600
PARTITIONS = 12
BROKERS = 3
TOPICS = ["news.raw.v1", "news.articles.v1", "news.article-events.v1", "news.raw.dlq.v1",
          "news.ingest-outcomes.v1", "news.dedup-changelog.v1", "news.dedup-index.v1"]
DATA = os.path.join(SRC, "..", "shared", "data", "reuters-story-versions",
                    "stream_2008-09_to_2008-11.articles.jsonl")
# Generous bounds: an ASan build on 2 shared cores is several times slower.
SLOW = float(os.environ.get("COPYDESK_TEST_SLOWDOWN", "1"))


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def events(n, first_id):
    """`n` text/plain events: Reuters story versions when ../shared/data is there, else generated."""
    out = []
    if os.path.exists(DATA):
        with open(DATA, encoding="utf-8") as f:
            for i, line in enumerate(f):
                if i < first_id:
                    continue
                r = json.loads(line)
                out.append((r["story_id"], (r["title"] + "\n\n" + r["body"]).encode(),
                            [("content-type", "text/plain"), ("provider", "Reuters"), ("guid", r["story_id"]),
                             ("version", str(r["version"])), ("event-id", "ev-%d" % (first_id + len(out)))]))
                if len(out) >= n:
                    break
    rnd = random.Random(first_id)
    words = ["market", "bank", "rate", "oil", "vote", "court", "storm", "team", "price", "deal", "minister"]
    while len(out) < n:
        i = first_id + len(out)
        body = " ".join(rnd.choice(words) for _ in range(120))
        out.append(("s%d" % i, ("Story %d\n\n%s" % (i, body)).encode(),
                    [("content-type", "text/plain"), ("provider", "Gen"), ("event-id", "ev-%d" % i)]))
    return out


def produce(boot, evs):
    p = Producer({"bootstrap.servers": boot, "enable.idempotence": True, "linger.ms": 5})
    for key, value, headers in evs:
        p.produce("news.raw.v1", key=key.encode(), value=value, headers=headers)
        p.poll(0)
    left = p.flush(60)
    if left:
        raise SystemExit("FAIL: %d events not delivered to news.raw.v1" % left)


class Outcomes(threading.Thread):
    """Reads news.ingest-outcomes.v1 live: the set of event ids (the outcome's key) seen."""

    def __init__(self, boot):
        super().__init__(daemon=True)
        self.keys = set()
        self.stop = False
        self.c = Consumer({"bootstrap.servers": boot, "group.id": "restore-faults-checker",
                           "enable.auto.commit": False, "fetch.wait.max.ms": 10})
        self.c.assign([TopicPartition("news.ingest-outcomes.v1", p, 0) for p in range(PARTITIONS)])

    def run(self):
        while not self.stop:
            m = self.c.poll(0.2)
            if m is not None and not m.error() and m.key():
                self.keys.add(m.key().decode())
        self.c.close()

    def wait_for(self, ids, timeout, procs=()):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if ids <= self.keys:
                return True
            for p in procs:
                if p.poll() is not None:
                    log("worker %s exited with %s" % (p.args[3] if len(p.args) > 3 else p.pid, p.returncode))
                    return False
            time.sleep(0.2)
        return ids <= self.keys


def main():
    work = tempfile.mkdtemp(prefix="copydesk-restore-faults-")
    procs = Procs(work, os.path.join(work, "pids"))
    failures = []

    def check(ok, what):
        log(("ok    " if ok else "FAIL  ") + what)
        if not ok:
            failures.append(what)

    def worker(name, *extra):
        p = procs.start(name, [BIN, "ingest", "--brokers", boot, "--instance-id", name,
                               "--metrics", "127.0.0.1:0",
                               "--set", "ingest.state_dir=" + os.path.join(work, "state-" + name),
                               "--set", "ingest.session_timeout_ms=6000"] + list(extra))
        return p

    def ctl(cmd):
        reply = control(ctl_addr, cmd)
        if not reply.startswith("ok"):
            raise SystemExit("control %r: %s" % (cmd, reply))

    def sanitizer_report(p):
        with open(p.log, errors="replace") as f:
            text = f.read()
        return "ERROR: AddressSanitizer" in text or "runtime error:" in text or "double free" in text

    try:
        boot, ctl_addr = start_broker(procs, BIN, partitions=PARTITIONS, brokers=BROKERS)
        outcomes = Outcomes(boot)
        outcomes.start()
        first = events(N, 0)
        produce(boot, first)
        ids = {h[-1][1] for _, _, h in first}

        # 1. Worker A decides them, then stops.
        a = worker("a")
        check(outcomes.wait_for(ids, 180 * SLOW, [a]), "worker A decided all %d events" % N)
        check(procs.stop("a", timeout=20) == 0, "worker A stopped with exit 0 on SIGTERM")

        # 2. A restore under a slow broker and failing fetches.
        for b in range(1, BROKERS + 1):
            ctl("rtt %d 300" % b)
        b_proc = worker("b")
        started = wait_for_line(b_proc.log, r"(restore started)", timeout=120 * SLOW, proc=b_proc)
        check(started is not None, "worker B started a restore")
        ctl("request-errors Fetch 30 REQUEST_TIMED_OUT")
        second = events(N // 6, N)
        produce(boot, second)
        ids |= {h[-1][1] for _, _, h in second}
        check(outcomes.wait_for(ids, 300 * SLOW, [b_proc]),
              "worker B restored its partitions through the failing fetches and decided new events")
        with open(b_proc.log, errors="replace") as f:
            blog = f.read()
        check(blog.count("restore started") == blog.count("restored partition="),
              "every restore B started finished (%d started, %d finished)"
              % (blog.count("restore started"), blog.count("restored partition=")))
        check("restore failed" not in blog and "fatal error" not in blog, "worker B logged no fatal error")

        # 3. Commits and a rebalance under failing requests.
        for b in range(1, BROKERS + 1):
            ctl("rtt %d 0" % b)
        # Retried inside librdkafka (a leader change, a coordinator loading) ...
        ctl("request-errors Produce 5 NOT_LEADER_FOR_PARTITION")
        ctl("request-errors AddOffsetsToTxn 3 COORDINATOR_NOT_AVAILABLE")
        ctl("request-errors TxnOffsetCommit 3 COORDINATOR_LOAD_IN_PROGRESS")
        ctl("request-errors EndTxn 3 COORDINATOR_NOT_AVAILABLE")
        third = events(N // 6, N + N // 6)
        produce(boot, third)
        ids |= {h[-1][1] for _, _, h in third}
        check(outcomes.wait_for(ids, 180 * SLOW, [b_proc]), "worker B committed through failing commit requests")
        # ... and an error that fails the transaction (abortable): the worker aborts the batch,
        # rewinds and decides it again. (Only the transactional workers send AddPartitionsToTxn.)
        ctl("request-errors AddPartitionsToTxn 1 TOPIC_AUTHORIZATION_FAILED")
        fifth = events(N // 12, N + 3 * (N // 6))
        produce(boot, fifth)
        ids |= {h[-1][1] for _, _, h in fifth}
        check(outcomes.wait_for(ids, 180 * SLOW, [b_proc]), "worker B retried a batch that failed")
        with open(b_proc.log, errors="replace") as f:
            check("aborting batch" in f.read(), "worker B aborted the failed batch")
        ctl("request-errors JoinGroup 3 COORDINATOR_LOAD_IN_PROGRESS")
        ctl("request-errors SyncGroup 3 REBALANCE_IN_PROGRESS")
        ctl("request-errors OffsetFetch 3 COORDINATOR_LOAD_IN_PROGRESS")
        c_proc = worker("c")
        wait_for_line(c_proc.log, r"(rebalance kind=assign)", timeout=120 * SLOW, proc=c_proc)
        fourth = events(N // 6, N + 2 * (N // 6))
        produce(boot, fourth)
        ids |= {h[-1][1] for _, _, h in fourth}
        check(outcomes.wait_for(ids, 240 * SLOW, [b_proc, c_proc]),
              "workers B and C decided every event across the rebalance")
        rc_c = procs.stop("c", timeout=30)
        rc_b = procs.stop("b", timeout=30)
        check(rc_b == 0 and rc_c == 0, "workers B and C stopped with exit 0 (got %s, %s)" % (rc_b, rc_c))
        for p in (b_proc, c_proc):
            check(not sanitizer_report(p), "no sanitizer report in " + os.path.basename(p.log))

        # 4. The fatal path: a restore that gives up. Broker 3 leads every changelog partition and
        # nothing else, and answers 3 s late; the group and the other topics stay fast.
        for topic in TOPICS:
            for part in range(PARTITIONS):
                ctl("leader %s %d %d" % (topic, part, 3 if topic == "news.dedup-changelog.v1" else 1 + part % 2))
        ctl("coordinator group copydesk-ingest 1")
        ctl("coordinator transaction copydesk-ingest-d 2")
        ctl("rtt 3 3000")
        d_proc = worker("d", "--set", "ingest.restore_timeout_ms=1000")
        try:
            rc_d = d_proc.wait(180 * SLOW)
        except Exception:  # noqa: BLE001
            rc_d = None
        check(rc_d == 3, "worker D gave up its restore and exited with status 3 (got %s)" % rc_d)
        with open(d_proc.log, errors="replace") as f:
            dlog = f.read()
        check("restore failed" in dlog, "worker D logged why it gave up")
        check(not sanitizer_report(d_proc), "no sanitizer report in " + os.path.basename(d_proc.log))
        outcomes.stop = True
    finally:
        procs.stop_all()
        if failures and os.environ.get("KEEP") != "1":
            for name in ("a", "b", "c", "d"):
                path = os.path.join(work, name + ".log")
                if os.path.exists(path):
                    print("--- tail " + path)
                    with open(path, errors="replace") as f:
                        print("".join(f.readlines()[-15:]))
        if os.environ.get("KEEP") == "1":
            print("kept " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("FAILED: %d check(s)" % len(failures))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
