"""Deterministic mixed input stream for the chaos test and the pipeline benchmark.

Events are dicts {id, key, headers: [(name, bytes)], value: bytes, kind}. kind is one of
reuters, bbc, html, fixture, redelivery, poison-utf8, poison-type, poison-proto, poison-empty,
and with `embargo_rate` > 0 the embargo kinds (EMBARGO_KINDS): ninjs items whose `embargoed`
time is relative to the wall clock when they are produced, so their value is None until the
producer calls embargo_value() (their "embargo" dict says how to build it).
The same (n, seed, data dir) always gives the same stream, so two runs (chaos and reference)
can be compared event by event. When the data runs out the articles are looped with fresh
guids and letter-rotated text (so a later cycle is neither a re-delivery nor a near-duplicate
of an earlier one).
"""
import json
import math
import os
import random
import time

POISON_KINDS = ["poison-utf8", "poison-type", "poison-proto", "poison-empty"]
# Embargoed stories (ninjs, provider EMBARGO_PROVIDER): `embargo` is a story's first version, held
# until its time; then, sent while it is held (if the run keeps up), `embargo-update` (a new version
# with the same embargo), `embargo-move` (a new version with a later embargo), `embargo-lift` (a new
# version without an embargo: the story is released at once) or `embargo-kill` (pubstatus canceled:
# the held versions are dropped, never published).
EMBARGO_KINDS = ["embargo", "embargo-update", "embargo-move", "embargo-lift", "embargo-kill"]
EMBARGO_PROVIDER = "Chaos Wire"
EMBARGO_TAIL_S = 15.0


def _rot(text, n):
    if n == 0:
        return text
    out = []
    for ch in text:
        o = ord(ch)
        if 97 <= o <= 122:
            out.append(chr(97 + (o - 97 + n) % 26))
        elif 65 <= o <= 90:
            out.append(chr(65 + (o - 65 + n) % 26))
        else:
            out.append(ch)
    return "".join(out)


def _jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_sources(data_dir, src_dir, html_pages=30):
    """Returns (reuters, bbc, html) lists; empty lists where the data is absent."""
    reuters, bbc, html = [], [], []
    rpath = os.path.join(data_dir, "reuters-story-versions", "stream_2008-09_to_2008-11.articles.jsonl")
    bpath = os.path.join(data_dir, "bbc-news-2225", "articles.jsonl")
    hdir = os.path.join(data_dir, "article-extraction-benchmark", "html")
    if os.path.exists(rpath):
        for r in _jsonl(rpath):
            reuters.append({"guid": r["story_id"], "version": int(r["version"]), "title": r["title"],
                            "body": r["body"]})
    if os.path.exists(bpath):
        for r in _jsonl(bpath):
            bbc.append({"guid": r["id"], "title": r["title"], "body": r["body"]})
    if os.path.isdir(hdir):
        for name in sorted(os.listdir(hdir))[:html_pages]:
            with open(os.path.join(hdir, name), "rb") as f:
                html.append({"guid": name.split(".")[0], "bytes": f.read()})
    return reuters, bbc, html


def fallback_sources(src_dir):
    """Generated articles when ../shared/data is absent: stories with 1..4 versions."""
    rng = random.Random(7)
    words = ("market bank minister election storm court police company profit shares oil talks "
             "government report city council team season trial research hospital school river "
             "border rally union strike vote budget energy climate").split()
    reuters = []
    for s in range(400):
        base = [" ".join(rng.choice(words) for _ in range(40)) + "." for _ in range(6)]
        for v in range(1, rng.randint(1, 4) + 1):
            paras = base + [" ".join(rng.choice(words) for _ in range(30)) + "." for _ in range(v - 1)]
            reuters.append({"guid": "gen:%04d" % s, "version": v,
                            "title": "Generated story %d %s %s" % (s, rng.choice(words), rng.choice(words)),
                            "body": "\n\n".join(paras), "_order": (v, s)})
    reuters.sort(key=lambda r: r.pop("_order"))
    html = []
    for sub in ("seed", "demo"):
        d = os.path.join(src_dir, "tests", "fixtures", sub)
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if name.endswith(".html"):
                with open(os.path.join(d, name), "rb") as f:
                    html.append({"guid": name.rsplit(".", 1)[0], "bytes": f.read()})
    return reuters, [], html


def _text_event(provider, guid, title, body, version=None):
    headers = [("content-type", b"text/plain"), ("provider", provider.encode()), ("guid", guid.encode())]
    if version is not None:
        headers.append(("version", str(version).encode()))
    return guid.encode(), headers, ("%s\n\n%s" % (title, body)).encode("utf-8")


def _poison(kind, i):
    key = ("poison-%d" % i).encode()
    if kind == "poison-utf8":
        return key, [("content-type", b"text/plain")], b"Bad \xff\xfe bytes %d\n\nbody \xc3\x28 more\n" % i
    if kind == "poison-type":
        return key, [("content-type", b"application/x-unknown-%d" % (i % 3))], b"some bytes %d" % i
    if kind == "poison-proto":
        # A RawArticle whose length-delimited field claims more bytes than follow.
        return key, [("content-type", b"application/x-protobuf")], b"\x0a\xff\x01partial-%d" % i
    return key, [("content-type", b"text/plain")], b""


def _words(rng, k):
    """k random lower-case words: text no other story of the stream shares (no near-duplicates)."""
    return " ".join("".join(rng.choice("abcdefghijklmnoprstuvwy") for _ in range(rng.randint(3, 9)))
                    for _ in range(k))


def plan_embargoes(n, rate, seed, share, cap):
    """{stream position: [embargo event dict without id]} for about min(share * n, cap) events.

    A story's first version lies between 3 % and 85 % of the stream, its later versions 50..1,500
    (at most n/20) events after it (well within its embargo at `rate` events/s). The embargo is
    5..30 s after the first version is produced, but never more than EMBARGO_TAIL_S past the
    stream's nominal end (`rate` events/s), so that a short run does not wait long for its last
    release. (In the chaos run the faults delay decisions by 10-30 s: many items are decided after
    their embargo time, never held; the reference run holds them all.)"""
    want = min(int(round(share * n)), cap)
    if want <= 0 or n < 200:
        return {}
    rng = random.Random(seed * 7919 + 1)
    plan, count, story = {}, 0, 0
    lo, hi = int(0.03 * n), int(0.85 * n)
    while count < want:
        at = rng.randint(lo, hi)
        offset = min(rng.uniform(5.0, 30.0), EMBARGO_TAIL_S + (n - at) / rate)
        guid = "urn:chaos:embargo:%05d" % story
        head = "Embargoed %d: %s" % (story, _words(rng, 6))
        paras = [_words(rng, rng.randint(25, 45)) + "." for _ in range(rng.randint(3, 6))]
        x = rng.random()
        follow = []  # (kind, extra seconds of embargo)
        if x < 0.15:
            follow = [("embargo-update", 0)]
        elif x < 0.23:
            more = rng.randint(2, 6)
            follow = [("embargo-move", more)]
            offset = max(5.0, offset - more)
        elif x < 0.28:
            follow = [("embargo-lift", 0)]
        elif x < 0.34:
            follow = [("embargo-kill", 0)]
        elif x < 0.40:
            follow = [("embargo-update", 0), ("embargo-kill", 0)]
        pos = at
        for version, (kind, more) in enumerate([("embargo", 0)] + follow, start=1):
            if version > 1:
                pos += rng.randint(50, max(100, min(1500, n // 20)))
                paras = paras + [_words(rng, rng.randint(15, 30)) + "."]
            doc = {"uri": guid, "version": str(version), "type": "text",
                   "headline": head + ("" if version == 1 else " (v%d)" % version),
                   "body_text": "\n\n".join(paras)}
            if kind == "embargo-kill":
                doc["pubstatus"] = "canceled"
            plan.setdefault(pos, []).append({
                "kind": kind, "key": guid.encode(),
                "embargo": {"story": story, "doc": doc, "offset_s": offset, "more_s": more,
                            "timed": kind in ("embargo", "embargo-update", "embargo-move")}})
            count += 1
        story += 1
    return plan


def _rfc3339(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))


def embargo_value(ev, story_ms, now=None):
    """The ninjs bytes of an embargo event, built when it is produced: returns (value, embargo ms or
    None). The story's embargo is fixed when its first version is produced (`now` + offset, rounded
    up to a whole second: the ninjs decoder keeps seconds) and kept in `story_ms` {story: ms}; an
    update keeps it, a move adds its seconds, a lift or a kill sends none."""
    e = ev["embargo"]
    now = time.time() if now is None else now
    if e["story"] not in story_ms:
        story_ms[e["story"]] = int(math.ceil(now + e["offset_s"])) * 1000
    doc = dict(e["doc"])
    ms = None
    if e["timed"]:
        ms = story_ms[e["story"]] + int(e["more_s"]) * 1000
        doc["embargoed"] = _rfc3339(ms)
    return json.dumps(doc).encode(), ms


def generate(n, data_dir, src_dir, seed=42, poison_rate=0.01, redelivery_rate=0.03, html_rate=0.01,
             only_reuters=False, embargo_rate=0.0, embargo_cap=300, rate=1000.0):
    """`embargo_rate`: the share of embargo events (at most `embargo_cap`; see plan_embargoes, which
    assumes `rate` events/s)."""
    reuters, bbc, html = load_sources(data_dir, src_dir)
    fallback = not reuters
    if fallback:
        reuters, bbc, html = fallback_sources(src_dir)
    if only_reuters:
        bbc, html = [], []
    rng = random.Random(seed)
    events = []
    sent_ok = []  # indices of article events that can be re-delivered
    ri = bi = hi = 0
    cycle_r = cycle_b = cycle_h = 0
    bbc_share = len(bbc) / float(len(bbc) + len(reuters)) if bbc else 0.0
    poison_i = 0
    embargoes = plan_embargoes(n, rate, seed, embargo_rate, embargo_cap)
    pos = 0  # stream positions drawn (an embargo event takes its planned position's place)
    while len(events) < n:
        planned = embargoes.pop(pos, None) if embargoes else None
        pos += 1
        if planned:
            for e in planned:
                if len(events) < n:
                    eid = "ev%07d" % len(events)
                    headers = [("content-type", b"application/ninjs+json"),
                               ("provider", EMBARGO_PROVIDER.encode()), ("event-id", eid.encode())]
                    events.append(dict(e, id=eid, headers=headers, value=None))
            continue
        x = rng.random()
        kind, of = None, None
        if x < poison_rate:
            kind = POISON_KINDS[poison_i % len(POISON_KINDS)]
            key, headers, value = _poison(kind, poison_i)
            poison_i += 1
        elif x < poison_rate + redelivery_rate and len(sent_ok) > 10:
            src = events[rng.choice(sent_ok[-2000:])]
            kind, of = "redelivery", src["id"]
            key, headers, value = src["key"], list(src["headers"]), src["value"]
            headers = [h for h in headers if h[0] != "event-id"]
        elif x < poison_rate + redelivery_rate + html_rate and html:
            page = html[hi]
            hi += 1
            if hi == len(html):
                hi, cycle_h = 0, cycle_h + 1
            guid = page["guid"] if cycle_h == 0 else "%s~c%d" % (page["guid"], cycle_h)
            value = page["bytes"]
            if cycle_h:
                value = value.replace(b"<title>", b"<title>[c%d] " % cycle_h, 1)
            kind = "html"
            key = guid.encode()
            headers = [("content-type", b"text/html"), ("provider", b"Web"), ("guid", guid.encode())]
        elif bbc and rng.random() < bbc_share:
            a = bbc[bi]
            bi += 1
            if bi == len(bbc):
                bi, cycle_b = 0, cycle_b + 1
            guid = a["guid"] if cycle_b == 0 else "%s~c%d" % (a["guid"], cycle_b)
            kind = "bbc"
            key, headers, value = _text_event("BBC News", guid, _rot(a["title"], cycle_b), _rot(a["body"], cycle_b))
        else:
            a = reuters[ri]
            ri += 1
            if ri == len(reuters):
                ri, cycle_r = 0, cycle_r + 1
            guid = a["guid"] if cycle_r == 0 else "%s~c%d" % (a["guid"], cycle_r)
            kind = "fixture" if fallback else "reuters"
            key, headers, value = _text_event("Reuters", guid, _rot(a["title"], cycle_r), _rot(a["body"], cycle_r),
                                              a["version"])
        eid = "ev%07d" % len(events)
        headers = headers + [("event-id", eid.encode())]
        if kind in ("reuters", "bbc", "html", "fixture"):
            sent_ok.append(len(events))
        events.append({"id": eid, "key": key, "headers": headers, "value": value, "kind": kind})
        if of:
            events[-1]["of"] = of  # the event a re-delivery repeats
    return events, fallback


if __name__ == "__main__":
    import collections
    import sys
    here = os.path.dirname(os.path.abspath(__file__))
    src = os.path.dirname(os.path.dirname(here))
    evs, fb = generate(int(sys.argv[1]) if len(sys.argv) > 1 else 20000, os.path.join(src, "..", "shared", "data"), src)
    print("fallback" if fb else "data", collections.Counter(e["kind"] for e in evs),
          sum(len(e["value"] or b"") for e in evs) / len(evs))
