#!/usr/bin/python3
"""Dedup quality and speed evaluation over the development data, against the dedup targets.

Runs `copydesk replay` over the data in ../shared/data and prints the figures.

  /usr/bin/python3 tests/bench/dedup_eval.py [--copydesk build/bin/copydesk] [--data ../shared/data] \
      [reuters-guid|reuters-noguid|ecb|bbc|partitions|speed|quality|all]

(quality: every evaluation but speed.) Prints a BENCH line per target for scripts/bench
(tests/bench/bench_result.py).

Definitions used throughout:
- A record's *decision* is the replay's JSON line for it.
- Two records are *linked* when they end up in the same cluster, where clusters are the connected
  components of the graph with an edge record -> its `story` and an edge `story` -> `of` (for
  duplicate and syndicated decisions). So records of one story, duplicates (aliases) of a story
  and syndicated copies of a story (transitively) are all linked.
- Jaccard = word 5-shingle Jaccard of the bodies, words = maximal runs of letters/digits,
  lower-cased (the same words the fingerprint uses).
Exit status 1 when a target is missed.
"""
import argparse
import itertools
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from bench_result import emit  # noqa: E402
WORD = re.compile(r"[0-9A-Za-z\x80-\U0010ffff]+")


def words(text):
    return [w.lower() for w in WORD.findall(text or "")]


def shingles(text, k=5):
    w = words(text)
    if not w:
        return frozenset()
    if len(w) < k:
        return frozenset([" ".join(w)])
    return frozenset(" ".join(w[i:i + k]) for i in range(len(w) - k + 1))


def jaccard(a, b):
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


EXTRA_ARGS = []


def replay(copydesk, path, args):
    cmd = [copydesk, "replay", "--input", path] + args + EXTRA_ARGS
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        raise SystemExit(f"replay failed: {' '.join(cmd)}")
    out = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    speed = re.search(r"([0-9.]+) records/s", p.stderr)
    cpu = re.search(r"([0-9.]+) records per CPU-second", p.stderr)
    replay.last_cpu_rate = float(cpu.group(1)) if cpu else None
    return out, (float(speed.group(1)) if speed else None), p.stderr.strip()


class Clusters:
    """Union-find over record ids and story ids."""

    def __init__(self):
        self.parent = {}

    def find(self, x):
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb


def clusters_of(decisions):
    c = Clusters()
    for d in decisions:
        c.union("r:" + d["id"], "s:" + d["story"])
        if d.get("of"):
            c.union("s:" + d["story"], "s:" + d["of"])
    return {d["id"]: c.find("r:" + d["id"]) for d in decisions}


def linked_pairs(decisions):
    comp = clusters_of(decisions)
    groups = defaultdict(list)
    for rid, root in comp.items():
        groups[root].append(rid)
    pairs = []
    for members in groups.values():
        pairs.extend(itertools.combinations(sorted(members), 2))
    return comp, pairs


class Report:
    def __init__(self):
        self.failed = []
        self.section = ""

    def target(self, name, value, op, bound):
        ok = value >= bound if op == ">=" else value <= bound if op == "<=" else value < bound
        print(f"  {name}: {value:.4f} (target {op} {bound}) {'OK' if ok else 'MISSED'}")
        shown = f"{value:.0f}" if isinstance(value, int) or bound >= 100 else f"{value:.4f}"
        emit(f"dedup {self.section}: {name}", shown, f"{op} {bound}", ok)
        if not ok:
            self.failed.append(name)


def reuters_files(data):
    d = os.path.join(data, "reuters-story-versions")
    return [(os.path.join(d, f"{n}.articles.jsonl"), os.path.join(d, f"{n}.pairs.jsonl"))
            for n in ("stream_2008-09_to_2008-11", "extra_chains_2006-2013")]


def eval_reuters_guid(copydesk, data, rep):
    for arts_path, pairs_path in reuters_files(data):
        print(f"Reuters with --guid-field story_id: {os.path.basename(arts_path)}")
        rep.section = "reuters-guid " + os.path.basename(arts_path).split(".")[0]
        arts = load(arts_path)
        pairs = load(pairs_path)
        out, speed, _ = replay(copydesk, arts_path, ["--guid-field", "story_id"])
        dec = {d["id"]: d for d in out}
        print("  decisions:", dict(Counter(d["decision"] for d in out)))
        # Redeliveries: exactly the b side of exact_redelivery pairs.
        truth = {p["b"] for p in pairs if p["label"] == "exact_redelivery"}
        got = {i for i, d in dec.items() if d["decision"] == "redelivery"}
        tp = len(truth & got)
        print(f"  exact_redelivery pairs: {len(truth)}, redelivery decisions: {len(got)}")
        rep.target("redelivery precision", tp / len(got) if got else 1.0, ">=", 1.0)
        rep.target("redelivery recall", tp / len(truth) if truth else 1.0, ">=", 1.0)
        # Updates with the version incremented.
        for label in ("changed_version", "same_body_title_changed"):
            ps = [p for p in pairs if p["label"] == label]
            # "Version incremented": an update of a's story to a higher version. Exactly a's
            # version + 1 unless another identity aliased to the story (a duplicate) updated it
            # in between; both counts are printed.
            good = exact = 0
            bad = []
            for p in ps:
                a, b = dec[p["a"]], dec[p["b"]]
                if b["decision"] == "update" and b["story"] == a["story"] and b["version"] > a["version"]:
                    good += 1
                    exact += b["version"] == a["version"] + 1
                else:
                    bad.append((p["a"], p["b"], b["decision"]))
            print(f"  {label} pairs: {len(ps)}, update with version incremented: {good} "
                  f"(exactly +1: {exact})" + (f", e.g. {bad[:3]}" if bad else ""))
            rep.target(f"{label} -> update, version incremented", good / len(ps) if ps else 1.0, ">=", 1.0)
        # Bodies identical to an earlier record under another story id, where the later record
        # is the first of its story (no identity match): duplicate or syndicated.
        first_of_story = {}
        for a in arts:
            first_of_story.setdefault(a["story_id"], a["id"])
        ident = [p for p in pairs if p["label"] == "computed_identical_body"]
        scoped = [p for p in ident if first_of_story[dec_story_id(arts, p["b"])] == p["b"]]
        good = [p for p in scoped if dec[p["b"]]["decision"] in ("duplicate", "syndicated")]
        bad = [(p["a"], p["b"], dec[p["b"]]["decision"]) for p in scoped if p not in good]
        print(f"  identical-body pairs under another story id: {len(ident)}, "
              f"of which the later record starts its story: {len(scoped)}, duplicate/syndicated: {len(good)}"
              + (f", e.g. {bad[:3]}" if bad else ""))
        rep.target("identical body, other story -> duplicate/syndicated", len(good) / len(scoped) if scoped else 1.0,
                   ">=", 1.0)
        near = [p for p in pairs if p["label"] == "computed_near_duplicate"]
        nd = sum(1 for p in near if first_of_story[dec_story_id(arts, p["b"])] == p["b"]
                 and dec[p["b"]]["decision"] in ("duplicate", "syndicated"))
        print(f"  (info) computed_near_duplicate pairs (Jaccard >= 0.5, candidates): {len(near)}, "
              f"flagged duplicate: {nd}")
        print(f"  replay speed: {speed:.0f} records/s")


_story_cache = {}


def dec_story_id(arts, rid):
    key = id(arts)
    if key not in _story_cache:
        _story_cache[key] = {a["id"]: a["story_id"] for a in arts}
    return _story_cache[key][rid]


def eval_reuters_noguid(copydesk, data, rep):
    for arts_path, pairs_path in reuters_files(data):
        print(f"Reuters without guid (identity from content): {os.path.basename(arts_path)}")
        rep.section = "reuters-noguid " + os.path.basename(arts_path).split(".")[0]
        arts = load(arts_path)
        pairs = load(pairs_path)
        sh = {a["id"]: shingles(a["body"]) for a in arts}
        out, speed, _ = replay(copydesk, arts_path, [])
        print("  decisions:", dict(Counter(d["decision"] for d in out)))
        comp, links = linked_pairs(out)
        # Candidate positives: every pair inside a ground-truth story, plus the computed
        # cross-story pairs; positives are those with Jaccard >= 0.8.
        by_story = defaultdict(list)
        for a in arts:
            by_story[a["story_id"]].append(a["id"])
        cand = set()
        for members in by_story.values():
            cand.update(itertools.combinations(sorted(members), 2))
        cand.update(tuple(sorted((p["a"], p["b"]))) for p in pairs)
        pos = [(a, b) for a, b in cand if jaccard(sh[a], sh[b]) >= 0.8]
        hit = sum(1 for a, b in pos if comp[a] == comp[b])
        print(f"  pairs with Jaccard >= 0.8: {len(pos)}, linked: {hit}")
        rep.target("recall (Jaccard >= 0.8 linked)", hit / len(pos) if pos else 1.0, ">=", 0.95)
        low = [(a, b) for a, b in links if jaccard(sh[a], sh[b]) < 0.5]
        print(f"  links: {len(links)}, links with Jaccard < 0.5: {len(low)}" + (f", e.g. {low[:3]}" if low else ""))
        rep.target("share of links with Jaccard < 0.5", len(low) / len(links) if links else 0.0, "<", 0.01)
        print(f"  replay speed: {speed:.0f} records/s")


def eval_ecb(copydesk, data, rep):
    path = os.path.join(data, "ecb-plus-same-event", "articles.jsonl")
    print("ECB+ (provider = source domain; records without a source share the empty provider)")
    arts = load(path)
    pairs = load(os.path.join(data, "ecb-plus-same-event", "near_duplicate_pairs.jsonl"))
    story = {a["id"]: a["story_id"] for a in arts}
    sh = {a["id"]: shingles(a["body"]) for a in arts}
    out, _, _ = replay(copydesk, path, [])
    dec = {d["id"]: d for d in out}
    order = {a["id"]: i for i, a in enumerate(arts)}
    print("  decisions:", dict(Counter(d["decision"] for d in out)))
    comp, links = linked_pairs(out)
    wire = [p for p in pairs if p["source_a"] and p["source_b"] and p["source_a"] != p["source_b"]
            and jaccard(sh[p["a"]], sh[p["b"]]) >= 0.5]
    good = []
    for p in wire:
        later = p["a"] if order[p["a"]] > order[p["b"]] else p["b"]
        if comp[p["a"]] == comp[p["b"]] and dec[later]["decision"] == "syndicated":
            good.append(p)
    missed = [(p["a"], p["b"], round(jaccard(sh[p["a"]], sh[p["b"]]), 3)) for p in wire if p not in good]
    print(f"  wire copies on different sites (Jaccard >= 0.5): {len(wire)}, linked as syndicated: {len(good)}"
          + (f", missed {missed}" if missed else ""))
    rep.target("syndicated recall", len(good) / len(wire) if wire else 1.0, ">=", 0.9)
    wrong = [(a, b) for a, b in links if story[a] != story[b]]
    print(f"  links: {len(links)}, across different events: {len(wrong)}" + (f", e.g. {wrong[:3]}" if wrong else ""))
    rep.target("link precision (same event)", 1 - len(wrong) / len(links) if links else 1.0, ">=", 0.99)


def eval_bbc(copydesk, data, rep):
    path = os.path.join(data, "bbc-news-2225", "articles.jsonl")
    print("BBC News (info: no target)")
    pairs = load(os.path.join(data, "bbc-news-2225", "duplicate_pairs.jsonl"))
    out, speed, _ = replay(copydesk, path, [])
    dec = {d["id"]: d for d in out}
    print("  decisions:", dict(Counter(d["decision"] for d in out)))
    comp, links = linked_pairs(out)
    for label in ("exact_duplicate", "computed_near_duplicate"):
        ps = [p for p in pairs if p["label"] == label]
        hit = sum(1 for p in ps if comp[p["a"]] == comp[p["b"]])
        hi = [p for p in ps if p["jaccard5"] >= 0.8]
        hit_hi = sum(1 for p in hi if comp[p["a"]] == comp[p["b"]])
        print(f"  {label}: {len(ps)} pairs, linked {hit}; with Jaccard >= 0.8: {len(hi)}, linked {hit_hi}")
    red = sum(1 for p in pairs if p["label"] == "exact_duplicate" and
              "redelivery" in (dec[p["a"]]["decision"], dec[p["b"]]["decision"]))
    print(f"  exact duplicates decided as redelivery: {red}")
    print(f"  replay speed: {speed:.0f} records/s")


ZONES = {"": 0, "Z": 0, "UTC": 0, "GMT": 0, "EDT": -4, "EST": -5, "CDT": -5, "CST": -6, "MDT": -6,
         "MST": -7, "PDT": -7, "PST": -8}
PUBLISHED = re.compile(r"(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?)?\s*(.*)$")


def published_ms(s):
    """The replay's event time of a record (`published`, as services/dedup/replay.cc reads it)."""
    m = PUBLISHED.match(s or "")
    if not m:
        return 0
    y, mo, d, h, mi, sec, zone = m.groups()
    if zone in ZONES:
        off = ZONES[zone] * 60
    elif re.match(r"[+-]\d\d:?\d\d$", zone):
        off = (int(zone[1:3]) * 60 + int(zone[-2:])) * (-1 if zone[0] == "-" else 1)
    else:
        return 0
    import calendar
    t = calendar.timegm((int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0)))
    return (t - off * 60) * 1000


def later_attachments(arts, out):
    """Decisions that link a record (duplicate, syndicated, or any `of`) to a story whose first
    record was produced (event time) after the record."""
    t = {a["id"]: published_ms(a.get("published")) for a in arts}
    created = {}
    for d in out:
        created.setdefault(d["story"], t[d["id"]])
    bad = []
    for d in out:
        of = d.get("of")
        if not of or d["decision"] in ("redelivery", "stale") or of == d["story"]:
            continue
        if t[d["id"]] and created.get(of, 0) > t[d["id"]]:
            bad.append((d["id"], d["decision"], of))
    return bad


def eval_partitions(copydesk, data, rep, partitions=12):
    """The Reuters stream with guids over several partitions and the shared index, as a worker
    group decides it: a guid's records share a partition (the key), near-duplicates cross them."""
    arts_path, pairs_path = reuters_files(data)[0]
    print(f"Reuters with --guid-field story_id over {partitions} partitions: {os.path.basename(arts_path)}")
    arts = load(arts_path)
    pairs = load(pairs_path)
    out, _, _ = replay(copydesk, arts_path, ["--guid-field", "story_id", "--partitions", str(partitions)])
    dec = {d["id"]: d for d in out}
    print("  decisions:", dict(Counter(d["decision"] for d in out)))
    home = {}
    for d in out:
        if d["decision"] in ("new", "syndicated", "cancel"):
            home.setdefault(d["story"], d["partition"])
    cross = Counter(d["decision"] for d in out if d.get("of") and home.get(d["of"], d["partition"]) != d["partition"])
    print(f"  decisions linked to another partition's story: {dict(cross)}")
    red = [p for p in pairs if p["label"] == "exact_redelivery"]
    bad = [(p["a"], p["b"], dec[p["b"]]["decision"]) for p in red
           if dec[p["b"]]["decision"] not in ("redelivery", "duplicate") or dec[p["b"]]["story"] != dec[p["a"]]["story"]]
    print(f"  exact re-deliveries: {len(red)}, not a re-delivery or duplicate of the original's story: {len(bad)}"
          + (f", e.g. {bad[:3]}" if bad else ""))
    rep.target("re-delivery on the original's story", 1 - len(bad) / len(red) if red else 1.0, ">=", 1.0)
    ps = [p for p in pairs if p["label"] == "changed_version"]
    lost = [(p["a"], p["b"], dec[p["b"]]["decision"]) for p in ps
            if dec[p["b"]]["decision"] not in ("update", "new", "syndicated", "cancel")]
    print(f"  changed_version pairs: {len(ps)}, not published (an update lost): {len(lost)}"
          + (f", e.g. {lost[:3]}" if lost else ""))
    rep.target("changed version published", 1 - len(lost) / len(ps) if ps else 1.0, ">=", 1.0)
    late = later_attachments(arts, out)
    print(f"  links to a story whose first record was produced later: {len(late)}" + (f", e.g. {late[:3]}" if late else ""))
    rep.target("links to a later story", len(late), "<=", 0)


def eval_speed(copydesk, data, rep):
    path, _ = reuters_files(data)[0]
    for label, args in (("--guid-field story_id", ["--guid-field", "story_id"]),
                        ("no guid (identity from content)", [])):
        best = best_cpu = 0.0
        for _ in range(5):
            _, speed, _ = replay(copydesk, path, args + ["--quiet"])
            best = max(best, speed)
            best_cpu = max(best_cpu, replay.last_cpu_rate or 0.0)
        print(f"Replay speed, Reuters stream, {label}, single thread, best of 5 "
              f"(wall clock; load average now {os.getloadavg()[0]:.1f})")
        print(f"  records per CPU-second: {best_cpu:.0f} (the figure without CPU contention)")
        emit(f"dedup speed, {label}: records per CPU-second", f"{best_cpu:.0f}")
        rep.section = f"speed, {label}"
        rep.target("records/s (wall clock)", best, ">=", 20000)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", nargs="?", default="all",
                    choices=["all", "quality", "reuters-guid", "reuters-noguid", "ecb", "bbc", "partitions", "speed"])
    ap.add_argument("--copydesk", default=os.environ.get("COPYDESK_BIN", os.path.join(ROOT, "build", "bin", "copydesk")))
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--replay-arg", action="append", default=[],
                    help="extra argument for every `copydesk replay` run (repeat), e.g. --replay-arg=--duplicate-threshold=0.6")
    args = ap.parse_args()
    EXTRA_ARGS.extend(args.replay_arg)
    if not os.path.isdir(args.data):
        print(f"SKIP: data directory {args.data} not found")
        return 0
    rep = Report()
    steps = {"reuters-guid": eval_reuters_guid, "reuters-noguid": eval_reuters_noguid, "ecb": eval_ecb,
             "bbc": eval_bbc, "partitions": eval_partitions, "speed": eval_speed}
    for name, fn in steps.items():
        if args.what in ("all", name) or (args.what == "quality" and name != "speed"):
            rep.section = name
            fn(args.copydesk, args.data, rep)
    print("MISSED: " + ", ".join(rep.failed) if rep.failed else "all targets met")
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
