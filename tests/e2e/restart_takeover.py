"""Restart and takeover determinism: the same stream decided by an uninterrupted worker,
by a worker killed with SIGKILL part way and replaced, and by two workers of which one is killed
so the other takes over its partitions. Decisions (per input event id) must be identical, with
the shared cross-partition index off and on (the default).

Each run gets the same input log: the same records in the same order with the same Kafka
timestamps (set by the producer, 20 ms apart), produced before the workers start. That is what
"the decisions the previous owner would have made" refers to: decisions across partitions are a
function of the input log, not of when the workers read it (services/ingest/README.md,
"Progress and the visibility wait").

Usage: restart_takeover.py COPYDESK_BIN SOURCE_DIR [--events N] [--dump FILE]
--dump writes every run's decisions (per event id) as JSON, to compare two binaries' runs.
Runs copydesk processes on private embedded brokers; produces with confluent-kafka and reads
news.ingest-outcomes.v1 live (the mock broker keeps only ~5 MiB per partition)."""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition

BIN, SRC = sys.argv[1], sys.argv[2]
N = int(sys.argv[sys.argv.index("--events") + 1]) if "--events" in sys.argv else 1200
DUMP = sys.argv[sys.argv.index("--dump") + 1] if "--dump" in sys.argv else None
DATA = os.path.join(SRC, "..", "shared", "data", "reuters-story-versions",
                    "stream_2008-09_to_2008-11.articles.jsonl")
PARTITIONS = 4
SPACING_MS = 20
# One timeline for every run: an hour ago, 20 ms per event.
BASE_MS = int(time.time() * 1000) - 3600 * 1000
WORK = tempfile.mkdtemp(prefix="copydesk-restart-")
PROCS = []


def log(*a):
    print(*a, flush=True)


def events():
    out = []
    if os.path.exists(DATA):
        with open(DATA, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                out.append({"key": r["story_id"], "value": (r["title"] + "\n\n" + r["body"]).encode(),
                            "headers": {"content-type": "text/plain", "provider": "Reuters",
                                        "guid": r["story_id"], "version": str(r["version"]),
                                        "event-id": "ev-%d" % len(out)}})
                if len(out) >= N:
                    break
        log("stream: %d Reuters records from %s" % (len(out), DATA))
    else:
        log("../shared/data absent: using a generated stream")
        rnd = random.Random(7)
        words = ["market", "bank", "rate", "oil", "vote", "court", "storm", "team", "price", "deal",
                 "minister", "police", "school", "river", "bridge", "company", "share", "plan"]
        for i in range(N):
            story = rnd.randrange(N // 3)
            body = " ".join(rnd.choice(words) for _ in range(120))
            out.append({"key": "s%d" % story, "value": ("Story %d\n\n%s" % (story, body)).encode(),
                        "headers": {"content-type": "text/plain", "provider": "Gen", "guid": "s%d" % story,
                                    "event-id": "ev-%d" % i}})
    # Another outlet's copy of every 30th story, 10, 50, 150 or 300 events (0.2, 1, 3 or 6 s)
    # later: a syndicated copy when it lands on the same partition, or on another one more than
    # dedup.visibility_delay_ms (2 s) later; a new story otherwise. Copies a second or two apart
    # are where an arrival-time rule decides differently from run to run.
    copies = {}
    for i in range(0, len(out), 30):
        c = dict(out[i])
        c["key"] = "copy-%d" % i
        c["headers"] = dict(out[i]["headers"], **{"provider": "Outlet", "guid": "copy-%d" % i,
                                                  "event-id": "ev-copy-%d" % i})
        c["headers"].pop("version", None)
        copies.setdefault(i + (10, 50, 150, 300)[(i // 30) % 4], []).append(c)
    merged = []
    for j, e in enumerate(out):
        merged.append(e)
        merged.extend(copies.pop(j, []))
    for j in sorted(copies):
        merged.extend(copies[j])
    out = merged
    # Re-deliveries: every 25th event again, later, with a new event id.
    extra = []
    for i, e in enumerate(out):
        if i % 25 == 0:
            d = dict(e)
            d["headers"] = dict(e["headers"], **{"event-id": e["headers"]["event-id"] + "-again"})
            extra.append(d)
    evs = out + extra
    for i, e in enumerate(evs):
        e["ts"] = BASE_MS + i * SPACING_MS
    return evs


def start(args, name):
    f = open(os.path.join(WORK, name + ".log"), "w")
    p = subprocess.Popen([BIN] + args, stdout=f, stderr=subprocess.STDOUT)
    PROCS.append(p)
    return p


def broker(name):
    p = start(["broker", "-n", "1", "-p", str(PARTITIONS), "--no-address-file"], name)
    path = os.path.join(WORK, name + ".log")
    for _ in range(200):
        with open(path) as f:
            for line in f:
                if line.startswith("bootstrap: "):
                    return p, line.split(" ", 1)[1].strip()
        time.sleep(0.05)
    raise SystemExit("broker did not start")


SHARED = {"on": "true"}
DUPLICATE, SYNDICATED = 5, 6  # copydesk.v1.Decision values


def worker(boot, name, state, extra=()):
    return start(["ingest", "--brokers", boot, "--instance-id", name, "--metrics", "127.0.0.1:0",
                  "--set", "ingest.state_dir=" + os.path.join(WORK, state),
                  "--set", "dedup.shared_index=" + SHARED["on"],
                  "--set", "ingest.session_timeout_ms=3000"] + list(extra), name)


class Outcomes(threading.Thread):
    """Reads news.ingest-outcomes.v1 live; keeps every outcome per event id."""

    def __init__(self, boot):
        super().__init__(daemon=True)
        self.seen = {}
        self.records = 0
        self.stop = False
        self.c = Consumer({"bootstrap.servers": boot, "group.id": "checker-" + boot,
                           "enable.auto.commit": False, "fetch.wait.max.ms": 10})
        self.c.assign([TopicPartition("news.ingest-outcomes.v1", p, 0) for p in range(PARTITIONS)])

    def run(self):
        sys.path.insert(0, os.path.join(WORK, "py"))
        from copydesk.v1 import events_pb2
        while not self.stop:
            m = self.c.poll(0.1)
            if m is None or m.error():
                continue
            o = events_pb2.IngestOutcome()
            o.ParseFromString(m.value())
            self.records += 1
            self.seen.setdefault(o.event_id, set()).add((o.decision, o.story_id, o.version, o.of_story))
        self.c.close()


def produce(boot, evs):
    p = Producer({"bootstrap.servers": boot, "enable.idempotence": True, "linger.ms": 5})
    for i, e in enumerate(evs):
        p.produce("news.raw.v1", key=e["key"], value=e["value"], headers=list(e["headers"].items()),
                  timestamp=e["ts"])
        if i % 200 == 199:
            p.flush()
            time.sleep(0.05)  # paced: the mock keeps ~5 MiB per partition
    p.flush()


def wait_for(out, want, timeout, what):
    deadline = time.time() + timeout
    while len(out.seen) < want and time.time() < deadline:
        time.sleep(0.2)
    if len(out.seen) < want:
        raise SystemExit("%s: only %d of %d outcomes" % (what, len(out.seen), want))


def owns_partitions(name):
    """True once the worker's log shows an assignment that gave it partitions."""
    try:
        with open(os.path.join(WORK, name + ".log")) as f:
            return any("rebalance kind=assign" in l and "partitions=0 " not in l for l in f)
    except FileNotFoundError:
        return False


def run(evs, scenario):
    b, boot = broker("broker-" + scenario)
    out = Outcomes(boot)
    out.start()
    total = len(evs)
    # The whole input first: every run reads the same log.
    produce(boot, evs)
    if scenario == "uninterrupted":
        worker(boot, "w-uninterrupted", "state-u")
        wait_for(out, total, 240, scenario)
    elif scenario == "restart":
        w = worker(boot, "w-first", "state-r1")
        deadline = time.time() + 120
        while len(out.seen) < total // 3 and time.time() < deadline:
            time.sleep(0.05)
        w.send_signal(signal.SIGKILL)
        w.wait()
        log("restart: SIGKILL after %d outcomes" % len(out.seen))
        # A new worker with an empty local state dir: it must restore from the changelog.
        worker(boot, "w-second", "state-r2")
        wait_for(out, total, 240, scenario)
    else:  # takeover
        # The input is all there when they start: the worker to be killed commits after every event
        # (same decisions, much slower), so that it still has input left when it is killed and the
        # survivor really decides some of the moved partitions' events.
        w1 = worker(boot, "w-a", "state-ta", ["--set", "ingest.commit_max_events=1"])
        worker(boot, "w-b", "state-tb")
        # Both in the group with partitions of their own before the kill (a fixed sleep was not
        # enough on a loaded machine: the killed worker could still own nothing).
        deadline = time.time() + 120
        while time.time() < deadline and not (owns_partitions("w-a") and owns_partitions("w-b")
                                              and len(out.seen) >= total // 3):
            time.sleep(0.05)
        w1.send_signal(signal.SIGKILL)
        w1.wait()
        log("takeover: SIGKILL of one of two workers after %d outcomes" % len(out.seen))
        wait_for(out, total, 240, scenario)
        # The killed worker must have owned partitions, and the survivor must have taken them over.
        with open(os.path.join(WORK, "w-a.log")) as f:
            a_assigned = [l for l in f if "rebalance kind=assign" in l and "partitions=0 " not in l]
        with open(os.path.join(WORK, "w-b.log")) as f:
            b_assigned = [l for l in f if "rebalance kind=assign" in l and "partitions=0 " not in l]
        log("takeover: killed worker had %d assignment(s), survivor %d" % (len(a_assigned), len(b_assigned)))
        if not a_assigned or len(b_assigned) < 2 and "assigned_now=%d" % PARTITIONS not in "".join(b_assigned):
            raise SystemExit("takeover did not happen: the scenario did not test anything")
    time.sleep(1)
    out.stop = True
    out.join()
    for p in list(PROCS):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in list(PROCS):
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
    PROCS.clear()
    return out


def compare(ref, got, name):
    bad = []
    for eid, outcomes in got.seen.items():
        if len(outcomes) != 1:
            bad.append((eid, "several different outcomes", sorted(outcomes)))
            continue
        if outcomes != ref.seen.get(eid):
            bad.append((eid, "differs", sorted(outcomes), sorted(ref.seen.get(eid, []))))
    dup = got.records - len(got.seen)
    missing = set(ref.seen) - set(got.seen)
    log("%s: %d events, %d outcome records (%d broker-level repeats of identical outcomes), "
        "%d different decisions, %d missing" % (name, len(got.seen), got.records, dup, len(bad), len(missing)))
    for b in bad[:10]:
        log("  ", b)
    return not bad and not missing


def main():
    try:
        os.makedirs(os.path.join(WORK, "py"))
        subprocess.check_call(["protoc", "-I", os.path.join(SRC, "proto"), "--python_out=" + os.path.join(WORK, "py")]
                              + [os.path.join(SRC, "proto", "copydesk", "v1", f)
                                 for f in ("article.proto", "events.proto")])
        evs = events()
        ok = True
        # Partition-local dedup, then the shared cross-partition index (the default): decisions
        # must equal the uninterrupted run's exactly in both.
        linked = {}
        dump = {}
        for shared in ("false", "true"):
            SHARED["on"] = shared
            log("--- dedup.shared_index=%s (decisions must be identical)" % shared)
            ref = run(evs, "uninterrupted")
            decisions = {}
            for o in ref.seen.values():
                for d in o:
                    decisions[d[0]] = decisions.get(d[0], 0) + 1
            log("uninterrupted: %d events, decisions by enum value %s" % (len(ref.seen), sorted(decisions.items())))
            linked[shared] = sum(n for d, n in decisions.items() if d in (DUPLICATE, SYNDICATED))
            restart = run(evs, "restart")
            takeover = run(evs, "takeover")
            ok = compare(ref, restart, "restart after SIGKILL") and ok
            ok = compare(ref, takeover, "takeover after SIGKILL") and ok
            dump[shared] = {name: {eid: sorted(map(list, o)) for eid, o in r.seen.items()}
                            for name, r in (("uninterrupted", ref), ("restart", restart), ("takeover", takeover))}
        if DUMP:
            with open(DUMP, "w") as f:
                json.dump(dump, f, sort_keys=True)
        # The shared index must have linked copies across partitions, or the exact comparison
        # above tested only partition-local decisions.
        log("duplicate/syndicated decisions: %d partition-local, %d with the shared index"
            % (linked["false"], linked["true"]))
        if os.path.exists(DATA) and linked["true"] <= linked["false"]:
            log("the shared index linked no copy across partitions: the stream tests nothing there")
            ok = False
        log("restart/takeover: " + ("ok" if ok else "FAILED"))
        return 0 if ok else 1
    finally:
        for p in PROCS:
            if p.poll() is None:
                p.kill()
        if os.environ.get("KEEP") != "1":
            shutil.rmtree(WORK, ignore_errors=True)
        else:
            log("kept " + WORK)


if __name__ == "__main__":
    sys.exit(main())
