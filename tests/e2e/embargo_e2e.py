"""Embargoes with real processes: items whose embargo lies 5-30 s ahead are held (nothing on the
articles or events topics, their outcome says until when, the held topic has them), then released
exactly once within 1 s of their time, by whichever worker owns the partition then; one of them
across a SIGKILL of its owning worker 1 s before its time (the other worker takes over, or the
restarted one releases it). Updates, a later embargo and a kill during the embargo are checked too.

Usage: embargo_e2e.py COPYDESK_BIN SOURCE_DIR [--runs N] [--mode at-least-once] [--json FILE]
Prints the release lateness (p99, max) over every release of every run, and BENCH lines for
scripts/bench (tests/bench/bench_result.py); --json writes the figures.
Runs copydesk processes on a private embedded broker; produces and reads with confluent-kafka."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from confluent_kafka import Consumer, Producer, TopicPartition

BIN, SRC = sys.argv[1], sys.argv[2]
JSON_OUT = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
RUNS = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 1
MODE = sys.argv[sys.argv.index("--mode") + 1] if "--mode" in sys.argv else "transactional"
PARTITIONS = 2
WORK = tempfile.mkdtemp(prefix="copydesk-embargo-")
PYDIR = os.path.join(WORK, "py")
PROCS = []
TOPICS = ("news.article-events.v1", "news.articles.v1", "news.ingest-outcomes.v1", "news.articles-held.v1")


def log(*a):
    print(*a, flush=True)


def fail(msg):
    log("FAIL:", msg)
    for name in sorted(os.listdir(WORK)):
        if name.endswith(".log"):
            with open(os.path.join(WORK, name), errors="replace") as f:
                tail = f.readlines()[-15:]
            log("--- %s (last lines)" % name)
            for line in tail:
                log("   ", line.rstrip())
    cleanup()
    sys.exit(1)


def cleanup():
    # Everything was read and checked: no process needs a graceful stop.
    for p in PROCS:
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
    for p in PROCS:
        try:
            p.wait(12)
        except subprocess.TimeoutExpired:
            p.kill()
    PROCS.clear()
    shutil.rmtree(WORK, ignore_errors=True)


def start(args, name):
    f = open(os.path.join(WORK, name + ".log"), "a")
    p = subprocess.Popen([BIN] + args, stdout=f, stderr=subprocess.STDOUT)
    PROCS.append(p)
    return p


def wait_line(name, pattern, timeout):
    deadline = time.time() + timeout
    path = os.path.join(WORK, name + ".log")
    while time.time() < deadline:
        if os.path.exists(path):
            with open(path, errors="replace") as f:
                for line in f:
                    m = re.search(pattern, line)
                    if m:
                        return m
        time.sleep(0.05)
    return None


def worker(boot, name):
    p = start(["ingest", "--brokers", boot, "--instance-id", name, "--metrics", "127.0.0.1:0",
               "--set", "ingest.state_dir=" + os.path.join(WORK, "state-" + name),
               "--set", "ingest.session_timeout_ms=3000", "--set", "ingest.mode=" + MODE], name)
    m = wait_line(name, r"metrics (http://[0-9.:]+)/metrics", 30)
    if not m:
        fail("%s printed no metrics address" % name)
    return p, m.group(1) + "/metrics"


def metric(url, name):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(name + " ") or line.startswith(name + "{"):
                    return float(line.rsplit(" ", 1)[1])
    except OSError:
        return None
    return None


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + ".%03dZ" % (ms % 1000)


def item(guid, version, embargo_ms=None, body="Body.", canceled=False):
    doc = {"uri": guid, "version": str(version), "type": "text", "headline": "%s v%d" % (guid, version),
           "body_text": body + " " + guid}
    if embargo_ms:
        doc["embargoed"] = iso(embargo_ms)
    if canceled:
        doc["pubstatus"] = "canceled"
    return json.dumps(doc).encode()


class Reader(threading.Thread):
    """Reads the output topics live; keeps each record with the wall time it arrived."""

    def __init__(self, boot):
        super().__init__(daemon=True)
        self.events, self.articles, self.outcomes, self.held = [], [], {}, {}
        self.stop = False
        self.lock = threading.Lock()
        self.c = Consumer({"bootstrap.servers": boot, "group.id": "checker", "enable.auto.commit": False,
                           "fetch.wait.max.ms": 10, "isolation.level": "read_committed"})
        self.c.assign([TopicPartition(t, p, 0) for t in TOPICS for p in range(PARTITIONS)])

    def run(self):
        sys.path.insert(0, PYDIR)
        from copydesk.v1 import events_pb2
        while not self.stop:
            m = self.c.poll(0.05)
            if m is None or m.error():
                continue
            now = time.time() * 1000
            with self.lock:
                if m.topic() == "news.article-events.v1":
                    ev = events_pb2.ArticleEvent()
                    ev.ParseFromString(m.value())
                    self.events.append((now, ev))
                elif m.topic() == "news.articles.v1":
                    self.articles.append((now, m.key().decode()))
                elif m.topic() == "news.ingest-outcomes.v1":
                    o = events_pb2.IngestOutcome()
                    o.ParseFromString(m.value())
                    self.outcomes[m.key().decode()] = o
                else:
                    hs = None
                    if m.value() is not None:
                        hs = events_pb2.HeldStory()
                        hs.ParseFromString(m.value())
                    self.held[m.key().decode()] = hs
        self.c.close()


def scenario():
    """One run; returns the lateness (ms) of the releases with an owner, and of those that fell due
    while their partition had none."""
    start(["broker", "-n", "1", "-p", str(PARTITIONS), "--no-address-file"], "broker")
    m = wait_line("broker", r"^bootstrap: (\S+)", 20)
    if not m:
        fail("broker did not start")
    boot = m.group(1)
    reader = Reader(boot)
    reader.start()
    workers = {"w-a": worker(boot, "w-a"), "w-b": worker(boot, "w-b")}
    deadline = time.time() + 60
    while time.time() < deadline and not all(wait_line(n, r"rebalance kind=assign .*assigned_now=1", 0)
                                             for n in workers):
        time.sleep(0.1)
    prod = Producer({"bootstrap.servers": boot, "enable.idempotence": True, "linger.ms": 1})

    first_eid = {}

    def send(guid, value, part, eid):
        first_eid.setdefault(guid, eid)
        prod.produce("news.raw.v1", key=guid, value=value, partition=part,
                     headers=[("content-type", "application/ninjs+json"), ("provider", "wire"), ("event-id", eid)])
        prod.flush()

    # Embargo times in whole seconds, as agencies send them (the decoders keep seconds).
    t0 = (int(time.time()) + 1) * 1000
    # The item whose owner is killed: on partition 0, due in 12 s. Which worker holds it says which
    # worker owns partition 0.
    kill_due = t0 + 12_000
    send("urn:kill-me", item("urn:kill-me", 1, kill_due), 0, "e-kill-me")
    owner = None
    deadline = time.time() + 20
    while owner is None and time.time() < deadline:
        for name, (_, url) in workers.items():
            if (metric(url, "copydesk_ingest_embargo_held") or 0) >= 1:
                owner = name
        time.sleep(0.1)
    if owner is None:
        fail("no worker reports the held item (copydesk_ingest_embargo_held)")
    log("partition 0 is owned by %s" % owner)
    due = {"urn:kill-me": kill_due}
    part = {"urn:kill-me": 0}
    # Plain embargoes 5-30 s ahead on both partitions, and a control without one.
    for i in range(10):
        g = "urn:emb-%d" % i
        due[g] = t0 + 5_000 + (i * 5 // 2) * 1_000
        part[g] = i % 2
        send(g, item(g, 1, due[g]), i % 2, "e-%s" % g)
    send("urn:plain", item("urn:plain", 1), 1, "e-plain")
    # An update during the embargo (released as the latest, both versions); a later embargo (moved);
    # a kill during the embargo (never released).
    send("urn:upd", item("urn:upd", 1, t0 + 8_000), 1, "e-upd-1")
    send("urn:upd", item("urn:upd", 2, t0 + 8_000, body="Body, updated."), 1, "e-upd-2")
    due["urn:upd"], part["urn:upd"] = t0 + 8_000, 1
    send("urn:move", item("urn:move", 1, t0 + 6_000), 0, "e-move-1")
    send("urn:move", item("urn:move", 2, t0 + 16_000), 0, "e-move-2")
    due["urn:move"], part["urn:move"] = t0 + 16_000, 0
    send("urn:killed", item("urn:killed", 1, t0 + 9_000), 1, "e-killed-1")
    send("urn:killed", item("urn:killed", 2, canceled=True), 1, "e-killed-2")

    # SIGKILL of partition 0's owner 1 s before the item is due; restarted at once with the same
    # instance id (the other worker may take the partition over first: either releases it).
    while time.time() * 1000 < kill_due - 1_000:
        time.sleep(0.02)
    workers[owner][0].send_signal(signal.SIGKILL)
    workers[owner][0].wait()
    killed_at = time.time() * 1000
    log("SIGKILL of %s at %d ms before the release" % (owner, kill_due - int(time.time() * 1000)))
    workers[owner] = worker(boot, owner)

    last_due = max(due.values())
    while time.time() * 1000 < last_due + 4_000:
        time.sleep(0.2)
    reader.stop = True
    reader.join()

    problems = []
    with reader.lock:
        events, outcomes, held = list(reader.events), dict(reader.outcomes), dict(reader.held)
    story_of = {g: outcomes[e].story_id for g, e in first_eid.items() if e in outcomes}
    by_story = {}
    for now, ev in events:
        by_story.setdefault(ev.story_id, []).append((now, ev))
    # Partition 0 has no owner from the SIGKILL until the group gives it to a worker again (the
    # session timeout, 3 s here, then a rebalance): what falls due meanwhile is released by the next
    # owner as soon as it has the partition. Everything else must be within 1 s.
    outage = [d for g, d in due.items() if part[g] == 0 and d >= killed_at]
    lateness, outage_lateness = [], []
    for guid, d in sorted(due.items()):
        sid = story_of.get(guid)
        if not sid:
            problems.append("%s: no outcome" % guid)
            continue
        if not outcomes[first_eid[guid]].HasField("hold"):
            problems.append("%s: outcome does not say it is held" % guid)
        evs = by_story.get(sid, [])
        versions = [ev.version for _, ev in evs]
        want = [1, 2] if guid in ("urn:upd", "urn:move") else [1]
        if versions != want:
            problems.append("%s: versions published %s, want %s exactly once" % (guid, versions, want))
            continue
        for arrived, ev in evs:
            if arrived < d - 50:
                problems.append("%s v%d visible %d ms before its time" % (guid, ev.version, d - arrived))
            rel = ev.embargo.release_time.seconds * 1000 + ev.embargo.release_time.nanos // 1_000_000
            done = ev.embargo.released_time.seconds * 1000 + ev.embargo.released_time.nanos // 1_000_000
            if rel != d:
                problems.append("%s: release_time %d, want %d" % (guid, rel, d))
            in_outage = part[guid] == 0 and d >= killed_at
            (outage_lateness if in_outage else lateness).append(max(0, done - d))
            bound = 15_000 if in_outage else 1_000
            if done - d > bound:
                problems.append("%s released %d ms late (bound %d ms)" % (guid, done - d, bound))
        if held.get(sid, "absent") is not None:
            problems.append("%s: the held topic still has it (no tombstone)" % guid)
    killed = story_of.get("urn:killed")
    if killed and killed in by_story:
        problems.append("urn:killed was published: %s" % [ev.version for _, ev in by_story[killed]])
    ko = outcomes.get("e-killed-2")
    if not ko or not ko.hold.dropped:
        problems.append("the kill during the embargo does not say the story was dropped")
    plain = story_of.get("urn:plain")
    if not plain or [ev.version for _, ev in by_story.get(plain, [])] != [1]:
        problems.append("the item without an embargo was not published once")
    log("releases with an owner: %d, lateness %s ms (released_time - release_time)" % (len(lateness), sorted(lateness)))
    log("releases due while partition 0 had no owner (SIGKILL to takeover): %d, lateness %s ms"
        % (len(outage_lateness), sorted(outage_lateness)))
    if len(outage) == 0 or not outage_lateness:
        problems.append("no release fell due while the owner was dead: the SIGKILL tested nothing")
    if problems:
        fail("; ".join(problems))
    log("PASS: %d stories held and released exactly once, one across a SIGKILL of its owner" % len(due))
    return lateness, outage_lateness


def p99(values):
    values = sorted(values)
    return values[min(len(values) - 1, int(0.99 * len(values)))] if values else None


def main():
    global WORK
    os.makedirs(PYDIR)
    subprocess.check_call(["protoc", "-I", os.path.join(SRC, "proto"), "--python_out=" + PYDIR]
                          + [os.path.join(SRC, "proto", "copydesk", "v1", f) for f in ("article.proto", "events.proto")])
    root = WORK
    owned, outage = [], []
    for run in range(RUNS):
        WORK = os.path.join(root, "run-%d" % run)
        os.makedirs(WORK)
        log("--- run %d of %d" % (run + 1, RUNS))
        a, b = scenario()
        owned.extend(a)
        outage.extend(b)
        cleanup()
    WORK = root
    shutil.rmtree(root, ignore_errors=True)
    log("all %d run(s): %d releases with an owner, lateness p99 %s ms, max %s ms; %d due while the owner "
        "was dead, lateness max %s ms" % (RUNS, len(owned), p99(owned), max(owned), len(outage), max(outage)))
    sys.path.insert(0, os.path.join(SRC, "tests", "bench"))
    from bench_result import emit
    runs = "%d run(s), %d releases, %s" % (RUNS, len(owned), MODE)
    emit("embargo release lateness p99, process test (released_time - release_time)", "%d ms" % p99(owned),
         "<= 1000 ms", p99(owned) <= 1000, runs)
    emit("embargo release lateness max, process test", "%d ms" % max(owned), "<= 1000 ms", max(owned) <= 1000, runs)
    emit("embargo releases due while the owner was SIGKILLed: lateness max (session timeout 3 s)",
         "%d ms over %d releases" % (max(outage), len(outage)), "released once", True,
         "bounded by failure detection and the takeover, not by the release step")
    if JSON_OUT:
        with open(JSON_OUT, "w") as f:
            json.dump({"runs": RUNS, "lateness_ms": sorted(owned), "p99_ms": p99(owned), "max_ms": max(owned),
                       "outage_lateness_ms": sorted(outage)}, f)


if __name__ == "__main__":
    main()
