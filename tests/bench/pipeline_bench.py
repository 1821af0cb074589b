"""Pipeline benchmark: throughput of the whole ingest pipeline against a kcat
pass-through ceiling, and end-to-end latency at a paced rate in both commit modes.

Throughput: N ingest workers (transactional, dedup on) start and join the group; once every
partition is assigned, the Reuters stream as text/plain events is produced to news.raw.v1 in one
burst (within the embedded broker's ~5 MiB per partition). The pipeline rate is taken from the
receive times of the outcomes on news.ingest-outcomes.v1 (sustained: from the 10th to the 100th
percentile of the outcomes), and also from the first event produced to the last outcome. Then
kcat consumes the same news.raw.v1 and re-produces the records, keys and values, to the topic
`passthrough` (no processing: the broker's ceiling), three times (topics passthrough1..3); the
fastest pass is the ceiling. kcat runs with the workers' own client settings (`fetch.wait.max.ms`
and `linger.ms`): the embedded broker holds an empty fetch for the whole `fetch.wait.max.ms`, so
with kcat's default (500 ms) the end of the log alone costs about half a second and the ceiling
reads several times too low.

The ratio compares like with like. The pipeline's sustained rate leaves out its start (the first
10 % of the outcomes), so the ceiling does too: a pass's sustained rate is taken the same way from
the CreateTime of its records on `passthroughK` (set by kcat's producer as it re-produces each
one). kcat's whole-process rate (start, connect, metadata and all) is reported beside it and
compared with the pipeline's rate from the first event produced to the last outcome; measured
against it, a pass of a few thousand events is mostly kcat's start-up, and the ratio reads high.

Comparing two builds (--vs-bin OTHER): this host's speed drifts by a third within minutes, more
than most code changes move the CPU per event, so runs made one after the other do not compare.
With --vs-bin half the workers of each throughput run run OTHER, in the same run, on the same
broker and input, and the two swap roles from one run to the next (worker 1 is not worker 2: its
partitions differ). Each run prints the CPU per consumed event of each binary's workers and their
ratio; the median and range of the ratio over the runs close the throughput part.

Latency: a paced producer (RATE events/s for SECONDS) with N workers already running.
The committed latency comes from the workers' own histogram
copydesk_ingest_stage_duration_seconds{stage="end_to_end"} (observed after the commit); the
consumer-side figure is printed as well but on the embedded broker it sees outputs before their
commit (read_committed is not enforced there).
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "chaos"))

import gen_events  # noqa: E402
from bench_result import emit  # noqa: E402
from procs import Procs, control, scrape, start_broker, wait_for_line  # noqa: E402


KCAT_PASSES = 3
# The ingest workers' consumer and producer settings (services/ingest): the ceiling is measured with
# the same ones.
WORKER_FETCH_WAIT_MS = 10
WORKER_LINGER_MS = 5


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def reuters_events(src, n):
    """n text/plain Reuters events (looped with fresh guids and rotated text when needed)."""
    events, fallback = gen_events.generate(n, os.path.join(src, "..", "shared", "data"), src, poison_rate=0.0,
                                           redelivery_rate=0.0, html_rate=0.0, only_reuters=True)
    return events, fallback


class OutcomeWatcher(threading.Thread):
    """Reads news.ingest-outcomes.v1 live from the start; records receive times by event id (the
    record key). Uses confluent-kafka (librdkafka, C): on 2 cores the reader shares the machine with
    the pipeline it measures, and python3-kafka's pure-Python decoding plus a protobuf parse per
    outcome made the bench take 25-28 % of a core at 1,000 outcomes/s (11-12 % now). `sample`: read only the first N partitions."""

    def __init__(self, boot, sample=0):
        super().__init__(daemon=True)
        from confluent_kafka import Consumer, TopicPartition
        self.c = Consumer({"bootstrap.servers": boot, "group.id": "pipeline-bench-watcher",
                           "enable.auto.commit": False, "fetch.wait.max.ms": 20})
        md = self.c.list_topics("news.ingest-outcomes.v1", timeout=10)
        parts = sorted(md.topics["news.ingest-outcomes.v1"].partitions)
        self.sampled = 0 < sample < len(parts)
        self.c.assign([TopicPartition("news.ingest-outcomes.v1", p, 0)
                       for p in (parts[:sample] if self.sampled else parts)])
        self.recv = {}  # event id -> (receive ms, input CreateTime ms)
        self.stop = False

    def run(self):
        while not self.stop:
            msgs = self.c.consume(num_messages=5000, timeout=0.05)
            now = time.time() * 1000.0
            for m in msgs:
                if m.error():
                    continue
                k = m.key()
                if k not in self.recv:
                    self.recv[k] = (now, m.timestamp()[1])
        self.c.close()


def produce(boot, events, rate=None):
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": boot, "enable.idempotence": True, "linger.ms": 5 if rate else 20,
                  "batch.num.messages": 10000, "queue.buffering.max.messages": 500000,
                  "queue.buffering.max.kbytes": 2097152})
    failed = []
    # Topic metadata first: librdkafka otherwise holds the first messages while it looks the topic
    # up, and their CreateTime (set at produce()) would count that wait as pipeline latency.
    p.list_topics("news.raw.v1", timeout=10)
    t0 = time.monotonic()
    for i, ev in enumerate(events):
        if rate:
            target = t0 + i / rate
            d = target - time.monotonic()
            if d > 0:
                time.sleep(d)
        while True:
            try:
                p.produce("news.raw.v1", value=ev["value"], key=ev["key"], headers=ev["headers"],
                          on_delivery=lambda err, msg: err and failed.append(str(err)))
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    p.flush(120)
    return time.monotonic() - t0, failed


def sustained_rate(times_ms):
    """Records per second from the 10th percentile of their times to the last (the start left out);
    None when the times span less than 1 ms."""
    times = sorted(times_ms)
    if len(times) < 20:
        return None
    i10 = int(0.1 * len(times))
    span = times[-1] - times[i10]
    return (len(times) - i10) / (span / 1000.0) if span >= 1 else None


def created_times(boot, topic, timeout=120):
    """The CreateTime (ms) of every record of `topic`, read back with kcat."""
    out = subprocess.run(["kcat", "-C", "-b", boot, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%T\\n",
                          "-X", "fetch.wait.max.ms=%d" % WORKER_FETCH_WAIT_MS], stdout=subprocess.PIPE,
                         timeout=timeout, check=False).stdout
    return [int(t) for t in out.split() if t.lstrip(b"-").isdigit()]


def host_speed():
    """A fixed single-threaded loop, best of 5: this host's speed drifts by a third within an hour,
    and figures from different windows compare only with this beside them."""
    best = min(_timed_loop() for _ in range(5))
    return "host speed probe %.0f ms (a fixed loop; lower is faster)" % (1000 * best)


def _timed_loop():
    t = time.perf_counter()
    sum(range(3_000_000))
    return time.perf_counter() - t


def cpu_seconds(pid):
    """utime + stime of a process so far, in seconds (0 if it is gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class CpuMeter:
    """CPU seconds used by named processes between start() and report(); optionally perf-records
    the workers meanwhile (--perf DIR: perf.data per phase, `perf report -i FILE` to read it)."""

    def __init__(self, procs, names, args, tag):
        self.procs, self.names, self.args, self.tag = procs, names, args, tag
        self.perf = None

    def start(self):
        self.t0 = time.time()
        self.c0 = {n: cpu_seconds(self.procs.procs[n].pid) for n in self.names}
        self.self0 = cpu_seconds(os.getpid())  # the bench itself: producer and outcome reader
        if self.args.perf:
            os.makedirs(self.args.perf, exist_ok=True)
            pids = ",".join(str(self.procs.procs[n].pid) for n in self.names if "broker" not in n)
            self.perf = subprocess.Popen(["perf", "record", "-F", "499", "--call-graph", os.environ.get("PERF_CALLGRAPH", "fp"), "-o",
                                          os.path.join(self.args.perf, self.tag + ".perf.data"), "-p", pids],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def report(self):
        if self.perf:
            self.perf.send_signal(2)
            self.perf.wait()
        wall = time.time() - self.t0
        used = ", ".join("%s %.1f s (%.0f%% of a core)" % (n, cpu_seconds(self.procs.procs[n].pid) - self.c0[n],
                                                          100 * (cpu_seconds(self.procs.procs[n].pid) - self.c0[n])
                                                          / wall) for n in self.names)
        own = cpu_seconds(os.getpid()) - self.self0
        log("CPU over %.1f s: %s, bench %.1f s (%.0f%% of a core)" % (wall, used, own, 100 * own / wall))
        return wall, {n: cpu_seconds(self.procs.procs[n].pid) - self.c0[n] for n in self.names}


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def hist_quantiles(text, stage="end_to_end"):
    """p50/p99 of copydesk_ingest_stage_duration_seconds{stage=...} summed over the scraped texts,
    interpolated linearly inside the bucket like PromQL's histogram_quantile()."""
    buckets = {}
    for line in text.splitlines():
        if line.startswith("copydesk_ingest_stage_duration_seconds_bucket") and 'stage="%s"' % stage in line:
            le = line.split('le="')[1].split('"')[0]
            buckets[le] = buckets.get(le, 0) + float(line.rsplit(" ", 1)[1])
    if not buckets:
        return None
    items = sorted(((float("inf") if k == "+Inf" else float(k)), v) for k, v in buckets.items())
    total = items[-1][1]
    out = {"count": int(total)}
    for q in (0.5, 0.99):
        rank = q * total
        lo_le, lo_c = 0.0, 0.0
        for le, c in items:
            if c >= rank:
                if le == float("inf"):
                    out["p%d" % int(q * 100)] = float("inf")  # beyond the largest bucket (10 s)
                else:
                    frac = (rank - lo_c) / (c - lo_c) if c > lo_c else 1.0
                    out["p%d" % int(q * 100)] = lo_le + (le - lo_le) * frac
                break
            lo_le, lo_c = le, c
    return out


def stage_means(text):
    """stage -> mean seconds, from the _sum/_count of copydesk_ingest_stage_duration_seconds."""
    sums, counts = {}, {}
    for line in text.splitlines():
        for suffix, acc in (("_sum", sums), ("_count", counts)):
            if line.startswith("copydesk_ingest_stage_duration_seconds" + suffix + "{"):
                stage = line.split('stage="')[1].split('"')[0]
                acc[stage] = acc.get(stage, 0.0) + float(line.rsplit(" ", 1)[1])
    return {k: sums[k] / counts[k] for k in sums if counts.get(k)}


def commit_count(text):
    """Commits observed by the workers (the commit stage's _count)."""
    return sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines()
               if l.startswith('copydesk_ingest_stage_duration_seconds_count{') and 'stage="commit"' in l)


def where_time_goes(n, workers, wall, cpu, means, commits):
    """Splits each worker's wall time per event into the worker's own stages (decode, normalize,
    decide: per-event means), the transaction commits (commit mean x commits, spread over the
    events) and the rest (waiting on fetches and produce acknowledgements, polling, batching), and
    gives the CPU per event of the workers and of the broker."""
    per_event_us = 1e6 * wall * len(workers) / n
    own = 1e6 * sum(means.get(s, 0.0) for s in ("decode", "normalize", "decide"))
    commit = 1e6 * means.get("commit", 0.0) * commits / n
    rest = per_event_us - own - commit
    worker_cpu = 1e6 * sum(cpu[w] for w in workers) / n
    broker_cpu = 1e6 * sum(v for k, v in cpu.items() if k not in workers) / n
    parts = ("per event and worker %.0f us of wall time: decode+normalize+decide %.0f us (%.0f %%), "
             "transaction commits %.0f us (%.0f %%; %d commits, %.1f ms each), Kafka fetch/produce waits and "
             "batching %.0f us (%.0f %%); CPU per event: workers %.0f us, broker %.0f us"
             % (per_event_us, own, 100 * own / per_event_us, commit, 100 * commit / per_event_us, commits,
                1000 * means.get("commit", 0.0), rest, 100 * rest / per_event_us, worker_cpu, broker_cpu))
    log("where the time goes: " + parts)
    return worker_cpu + broker_cpu, parts


def cpu_bound(cpu_per_event_us, sustained, ceiling, cores):
    """What the machine's cores allow at the measured CPU per event (workers and broker; the
    collector and kcat are left out), and what CPU per event 25 % of the ceiling would need."""
    most = cores * 1e6 / cpu_per_event_us
    need = cores * 1e6 / (0.25 * ceiling)
    text = ("workers and broker use %.0f us of CPU per event (over the whole run): %d cores allow about %.0f "
            "events/s at that (sustained %.0f events/s, %.0f %% of that); 25 %% of the ceiling (%.0f events/s) "
            "needs at most %.0f us per event"
            % (cpu_per_event_us, cores, most, sustained, 100 * sustained / most, 0.25 * ceiling, need))
    log("CPU bound: " + text)
    return text


def await_outcomes(watcher, n, timeout, urls):
    """Waits (up to timeout s) for n outcomes, stops the watcher, returns each worker's metrics text
    ("" when its scrape failed), in the order of `urls`."""
    deadline = time.time() + timeout
    while len(watcher.recv) < n and time.time() < deadline:
        time.sleep(0.2)
    watcher.stop = True
    watcher.join()
    texts = []
    for u in urls:
        try:
            texts.append(scrape(u))
        except Exception as e:  # noqa: BLE001
            log("scrape %s: %s" % (u, e))
            texts.append("")
    return texts


def worker_bin(args, i, run):
    """The binary of worker i in throughput run `run`: with --vs-bin, half the workers run each
    binary and they swap roles from one run to the next."""
    if args.vs_bin and (i + run) % 2 == 1:
        return args.vs_bin
    return args.bin


def start_workers(procs, args, boot, n, mode, tag, run=0):
    names = []
    for i in range(n):
        name = "%s-w%d" % (tag, i + 1)
        procs.start(name, [worker_bin(args, i, run), "ingest", "--brokers", boot, "--instance-id", "%s%d" % (tag, i + 1),
                           "--metrics", "127.0.0.1:0", "--mode", mode,
                           "--set", "ingest.state_dir=" + os.path.join(args.workdir, name + "-state")] + args.worker_arg)
        names.append(name)
    urls = []
    for name in names:
        p = procs.procs[name]
        url = wait_for_line(p.log, r"metrics (http://\S+/metrics)", timeout=30, proc=p)
        if not url:
            raise RuntimeError("worker did not start: " + p.log)
        urls.append(url)
    return names, urls


def wait_assigned(procs, names, timeout=60):
    """True once every worker owns partitions, all 12 are owned, and that held for 2 s (the group's
    first assignment is often followed by a cooperative rebalance when the next worker joins)."""
    deadline = time.time() + timeout
    stable_since, last = None, None
    while time.time() < deadline:
        counts = []
        for n in names:
            with open(procs.procs[n].log, errors="replace") as f:
                lines = [l for l in f if "assigned_now=" in l]
            counts.append(int(lines[-1].rsplit("assigned_now=", 1)[1].split()[0]) if lines else 0)
        ok = sum(counts) >= 12 and all(c > 0 for c in counts)
        if ok and counts == last:
            if stable_since is None:
                stable_since = time.time()
            if time.time() - stable_since >= 2.0:
                return True
        else:
            stable_since = None
        last = counts
        time.sleep(0.1)
    return False


def consumed(text):
    """Events a worker consumed (copydesk_ingest_events_consumed_total, every format)."""
    return sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines()
               if l.startswith("copydesk_ingest_events_consumed_total{"))


def paired_cpu(args, names, texts, cpu, run):
    """--vs-bin: CPU per consumed event of the workers of each binary in this run, and their ratio
    (`texts`: each worker's metrics, as await_outcomes returns them)."""
    per = {args.bin: [0.0, 0.0], args.vs_bin: [0.0, 0.0]}
    for i, (name, text) in enumerate(zip(names, texts)):
        if not text:
            return None
        acc = per[worker_bin(args, i, run)]
        acc[0] += cpu[name]
        acc[1] += consumed(text)
    if not all(events for _, events in per.values()):
        return None
    a, b = (1e6 * per[k][0] / per[k][1] for k in (args.bin, args.vs_bin))
    log("paired: %s %.0f us of CPU per event, %s %.0f us; ratio %.3f" % (args.bin, a, args.vs_bin, b, a / b))
    return a / b


def throughput(args, procs, tag="tp", run=0):
    log("throughput: %d Reuters text/plain events, %d workers (transactional, dedup on)" % (args.events, args.workers))
    events, fallback = reuters_events(args.src, args.events)
    if fallback:
        log("NOTE: ../shared/data absent; generated events")
    boot, ctl = start_broker(procs, args.bin, brokers=args.brokers, name=tag + "-broker")
    for k in range(1, KCAT_PASSES + 1):
        r = control(ctl, "create-topic passthrough%d 12" % k)
        if not r.startswith("ok"):
            raise RuntimeError("create-topic: " + r)
    # 1. The pipeline: workers join first (group join and rebalances are not throughput), then the
    # whole input arrives as one burst.
    watcher = OutcomeWatcher(boot)
    watcher.start()
    names, urls = start_workers(procs, args, boot, args.workers, "transactional", tag, run)
    if not wait_assigned(procs, names):
        log("workers not assigned after 60 s")
    meter = CpuMeter(procs, names + [tag + "-broker"], args, tag)
    meter.start()
    t0 = time.time() * 1000.0
    secs, failed = produce(boot, events)
    mb = sum(len(e["value"]) for e in events) / 1e6
    log("produced %d events (%.1f MB, %.0f ev/s producer), %d failed" % (len(events), mb, len(events) / secs,
                                                                          len(failed)))
    texts = await_outcomes(watcher, len(events), args.timeout, urls)
    text = "\n".join(texts)
    wall, cpu = meter.report()
    recv = sorted(v[0] for v in watcher.recv.values())
    means = stage_means(text)
    cpu_per_event, where = None, None
    if means:
        log("worker stage means: " + ", ".join("%s %.2f ms" % (k, 1000 * v) for k, v in sorted(means.items()))
            + "; %d commits" % commit_count(text))
        cpu_per_event, where = where_time_goes(len(events), names, wall, cpu, means, commit_count(text))
    paired = paired_cpu(args, names, texts, cpu, run) if args.vs_bin else None
    for n in names:
        procs.stop(n)
    # 2. kcat pass-through of the same records: consume everything and re-produce it with its key, no
    # processing. (Keyed, the records spread over the partitions as the input does; kcat's unkeyed
    # records would go in sticky batches to a few partitions, past the embedded broker's ~5 MiB per
    # partition, which then drops the oldest and the pass cannot be read back whole.)
    # The fastest of KCAT_PASSES passes is the ceiling, sustained (as the pipeline's rate) and whole.
    sustained_rates, whole_rates = [], []
    for k in range(1, KCAT_PASSES + 1):
        k0 = time.time()
        cons = subprocess.Popen(["kcat", "-C", "-b", boot, "-t", "news.raw.v1", "-o", "beginning", "-e", "-q",
                                 "-X", "fetch.wait.max.ms=%d" % WORKER_FETCH_WAIT_MS, "-K", "\\x1f", "-D", "\\x1e"],
                                stdout=subprocess.PIPE)
        prod = subprocess.run(["kcat", "-P", "-b", boot, "-t", "passthrough%d" % k, "-K", "\\x1f", "-D", "\\x1e",
                               "-X", "linger.ms=%d" % WORKER_LINGER_MS], stdin=cons.stdout)
        cons.wait()
        kcat_s = time.time() - k0
        # A pass counts only when every record is read back from its topic.
        created = created_times(boot, "passthrough%d" % k)
        complete = len(created) == len(events)
        rate = sustained_rate(created) if complete else None
        if rate:
            sustained_rates.append(rate)
        if complete:
            whole_rates.append(len(events) / kcat_s)
        log("kcat pass-through %d: %d events in %.2fs = %.0f events/s whole; %s; %d records read back%s "
            "(rc %d/%d)" % (k, len(events), kcat_s, len(events) / kcat_s,
                            "sustained %.0f events/s" % rate if rate else "no sustained rate", len(created),
                            "" if complete else ": the pass is left out", cons.returncode, prod.returncode))
    procs.stop(tag + "-broker")
    if len(recv) < len(events):
        log("throughput: only %d of %d outcomes within %ds" % (len(recv), len(events), args.timeout))
    if len(recv) < 20 or not sustained_rates or not whole_rates:
        return None
    ceiling, ceiling_whole = max(sustained_rates), max(whole_rates)
    sustained = sustained_rate(recv)
    whole = len(recv) / ((recv[-1] - t0) / 1000.0)
    res = {"events": len(events), "outcomes": len(recv), "ceiling": ceiling, "sustained": sustained,
           "ceiling_whole": ceiling_whole, "from_first_produce": whole, "ratio": sustained / ceiling,
           "ratio_whole": whole / ceiling_whole}
    print("THROUGHPUT pipeline sustained %.0f events/s (%d workers, transactional, dedup on) against a sustained "
          "kcat pass-through ceiling of %.0f events/s: ratio %.1f%% (target >= 25%%); whole runs (from the first "
          "event produced to the last outcome, against kcat's whole process): %.0f of %.0f events/s, %.1f%%"
          % (sustained, args.workers, ceiling, 100 * res["ratio"], whole, ceiling_whole, 100 * res["ratio_whole"]),
          flush=True)
    res["where"] = where
    if paired:
        res["paired"] = paired
    if cpu_per_event:
        res["bound"] = cpu_bound(cpu_per_event, sustained, ceiling, os.cpu_count() or 1)
    return res


def throughput_runs(args, procs):
    """Runs the throughput measurement args.throughput_runs times (this host's speed drifts by a
    third within minutes): the figures are the median run's, with the range over all runs."""
    runs = []
    for k in range(args.throughput_runs):
        log("throughput run %d of %d" % (k + 1, args.throughput_runs))
        r = throughput(args, procs, "tp%d" % (k + 1), k)
        if r:
            runs.append(r)
    if not runs:
        return None
    ratios = sorted(r["paired"] for r in runs if r.get("paired"))
    if ratios:
        log("paired CPU per event, %s / %s (--vs-bin): median %.3f, range %.3f to %.3f over %d runs"
            % (args.bin, args.vs_bin, ratios[len(ratios) // 2], ratios[0], ratios[-1], len(ratios)))
    runs.sort(key=lambda r: r["ratio"])
    mid = runs[len(runs) // 2]

    def spread(key, fmt):
        lo, hi = min(r[key] for r in runs), max(r[key] for r in runs)
        return "%s (range %s to %s, %d runs)" % (fmt(mid[key]), fmt(lo), fmt(hi), len(runs))

    emit("throughput: %d workers (transactional, dedup on) / kcat pass-through, both sustained, %d Reuters "
         "text/plain events" % (args.workers, mid["events"]), spread("ratio", lambda v: "%.1f %%" % (100 * v)),
         ">= 25 %", mid["ratio"] >= 0.25,
         "median run: pipeline %.0f events/s, ceiling %.0f events/s" % (mid["sustained"], mid["ceiling"]))
    emit("throughput: pipeline, sustained", spread("sustained", lambda v: "%.0f events/s" % v))
    emit("throughput: kcat pass-through ceiling, sustained (fetch.wait.max.ms=%d, best of %d)"
         % (WORKER_FETCH_WAIT_MS, KCAT_PASSES), spread("ceiling", lambda v: "%.0f events/s" % v))
    emit("throughput: whole runs, pipeline from the first event produced to the last outcome / kcat's whole "
         "process", spread("ratio_whole", lambda v: "%.1f %%" % (100 * v)), "",
         None, "median run: pipeline %.0f events/s, kcat %.0f events/s (start-up included)"
         % (mid["from_first_produce"], mid["ceiling_whole"]))
    if mid.get("where"):
        emit("throughput: where the time goes", "median run: " + mid["where"])
    if mid.get("bound"):
        emit("throughput: CPU bound", "median run: " + mid["bound"])
    return {"runs": runs, "median": mid}


def latency(args, procs, mode):
    tag = "lat" + ("t" if mode == "transactional" else "a")
    n = int(args.rate * args.seconds)
    log("latency (%s): %d events at %.0f/s, %d workers" % (mode, n, args.rate, args.workers))
    events, _ = reuters_events(args.src, n)
    boot, _ = start_broker(procs, args.bin, brokers=args.brokers, name=tag + "-broker")
    names, urls = start_workers(procs, args, boot, args.workers, mode, tag)
    if not wait_assigned(procs, names):
        log("workers not assigned after 60 s")
    # The live reader samples a few outcome partitions (--watch-partitions): the embedded broker
    # walks a partition's message sets from the oldest on every fetch (a real broker indexes
    # offsets), so reading all 12 live loads its one thread like a second consumer group would.
    # Every outcome is counted after the run.
    watcher = OutcomeWatcher(boot, sample=args.watch_partitions)
    watcher.start()
    meter = CpuMeter(procs, names + [tag + "-broker"], args, tag)
    meter.start()
    secs, failed = produce(boot, events, args.rate)
    if watcher.sampled:
        meter.report()
        counter = OutcomeWatcher(boot)
        counter.start()
        text = "\n".join(await_outcomes(counter, n, args.timeout, urls))
        watcher.stop = True
        watcher.join()
        log("live reader sampled %d outcome partitions: %d outcomes; %d of %d outcomes after the run"
            % (args.watch_partitions, len(watcher.recv), len(counter.recv), n))
        outcomes = len(counter.recv)
    else:
        text = "\n".join(await_outcomes(watcher, n, args.timeout, urls))
        meter.report()
        outcomes = len(watcher.recv)
    for nm in names:
        procs.stop(nm)
    procs.stop(tag + "-broker")
    lat = [v[0] - v[1] for v in watcher.recv.values()]
    # Where the tail comes from: consumer-side p99 per second of input time.
    by_sec = {}
    if watcher.recv:
        t_first = min(v[1] for v in watcher.recv.values())
        for recv_ms, ts in watcher.recv.values():
            by_sec.setdefault(int((ts - t_first) / 1000), []).append(recv_ms - ts)
        log("consumer-side p99 by second of input: " + " ".join(
            "%d:%.0f" % (k, pct(v, 0.99)) for k, v in sorted(by_sec.items())))
    h = hist_quantiles(text)
    means = stage_means(text)
    if means:
        log("worker stage means: " + ", ".join("%s %.1f ms" % (k, 1000 * v) for k, v in sorted(means.items())))
        p99s = {k: hist_quantiles(text, k) for k in means}
        log("worker stage p99: " + ", ".join("%s %.1f ms" % (k, 1000 * v["p99"]) for k, v in sorted(p99s.items()) if v))
    res = {"mode": mode, "events": n, "outcomes": outcomes, "p50": pct(lat, 0.5), "p99": pct(lat, 0.99),
           "max": max(lat) if lat else float("nan"), "produce_rate": n / secs, "hist": h}
    target = "p99 <= 100 ms" if mode == "at-least-once" else "p99 <= commit interval (100 ms) + 100 ms"
    print("LATENCY %s at %.0f events/s (%d workers): committed (workers' histogram end_to_end, Kafka "
          "timestamp -> transaction/offset commit, interpolated): %s; target %s" % (
              mode, res["produce_rate"], args.workers,
              "p50 %.0f ms, p99 %.0f ms over %d events" % (1000 * h["p50"], 1000 * h["p99"], h["count"])
              if h else "not exported", target), flush=True)
    if h:
        limit = 0.100 if mode == "at-least-once" else 0.200
        emit("latency p99, %s, %.0f events/s, %.0f s, %d workers" % (mode, args.rate, args.seconds, args.workers),
             "%.0f ms (p50 %.0f ms)" % (1000 * h["p99"], 1000 * h["p50"]), "<= %d ms" % (1000 * limit),
             h["p99"] <= limit)
    print("LATENCY %s at %.0f events/s: visible to a consumer (outcome receive time - input CreateTime; the "
          "mock shows uncommitted data): p50 %.0f ms, p99 %.0f ms, max %.0f ms over %d outcomes read live; "
          "%d/%d outcomes in all" % (mode, res["produce_rate"], res["p50"], res["p99"], res["max"], len(lat),
                                     outcomes, n), flush=True)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--events", type=int, default=12000, help="throughput: events preloaded")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--throughput-runs", type=int, default=3, help="throughput: runs (median and range reported)")
    ap.add_argument("--watch-partitions", type=int, default=2,
                    help="latency: outcome partitions read live for the visible latency (0 = all)")
    ap.add_argument("--brokers", type=int, default=3, help="brokers of the embedded cluster (one thread serves all)")
    ap.add_argument("--rate", type=float, default=1000.0, help="latency: events per second")
    ap.add_argument("--seconds", type=float, default=15.0, help="latency: seconds of events per mode")
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--only", choices=["throughput", "latency"])
    ap.add_argument("--perf", help="perf-record the workers of each phase into this directory")
    ap.add_argument("--modes", default="at-least-once,transactional",
                    help="latency: commit modes to measure, comma-separated")
    ap.add_argument("--worker-arg", action="append", default=[])
    ap.add_argument("--vs-bin", help="throughput: half the workers run this binary instead (roles swapped every "
                    "run); prints the CPU per event of each binary's workers and the paired ratio")
    args = ap.parse_args()
    procs = Procs(args.workdir, os.path.join(args.workdir, "pids"))
    import atexit
    atexit.register(procs.stop_all)
    try:
        load = open("/proc/loadavg").read().split()[:3]
    except OSError:
        load = []
    log("machine: %d cores, load average %s; %s" % (os.cpu_count(), " ".join(load), host_speed()))
    results = {}
    if args.only in (None, "throughput"):
        results["throughput"] = throughput_runs(args, procs)
    if args.only in (None, "latency"):
        for mode in args.modes.split(","):
            results["latency_" + mode.replace("-", "_")] = latency(args, procs, mode)
    with open(os.path.join(args.workdir, "results.json"), "w") as f:
        json.dump(results, f, indent=1, default=str)
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
