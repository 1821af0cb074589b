"""The fault run's input: Reuters story versions as `text/plain`, re-deliveries and poison events.

One pass is a deterministic list of events {id, key, headers, value, kind, of}:
- `reuters` (`generated` without the data): a record of ../shared/data/reuters-story-versions
  (stream_2008-09_to_2008-11.articles.jsonl) in stream order: value = title,
  blank line, body; key = headers `guid` = the story id; `provider` = reuters; `version` = its
  version in the stream (so that a re-sent older version can be told from a change);
- `redelivery`: the bytes, key and headers of an earlier `reuters` event under a new event id
  (`of` = that event's id), placed at a random later position;
- `poison-*`: undecodable input (the chaos harness's four kinds: bad UTF-8, unknown content
  type, truncated protobuf, empty body).

The second pass is the same events again, in the same order, under new event ids (`of` = the
first pass's event id). When the data is absent, the chaos harness's generated stories are used
instead (gen_events.fallback_sources), and the caller says so.
"""
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CHAOS = os.path.join(os.path.dirname(HERE), "chaos")
if CHAOS not in sys.path:
    sys.path.insert(0, CHAOS)

import gen_events  # noqa: E402

PROVIDER = "reuters"


def build(data_dir, src_dir, n_records=1371, n_redeliveries=150, n_poison=60, seed=28):
    """Returns (first pass, second pass, fallback?)."""
    reuters, _, _ = gen_events.load_sources(data_dir, src_dir, html_pages=0)
    fallback = not reuters
    if fallback:
        reuters, _, _ = gen_events.fallback_sources(src_dir)
    records = reuters[:n_records]
    rng = random.Random(seed)
    total = len(records) + n_redeliveries + n_poison
    # Re-deliveries and poison go to random slots, none in the first 20 (a re-delivery needs
    # something before it to repeat).
    special = rng.sample(range(20, total), n_redeliveries + n_poison)
    poison_slots = set(special[:n_poison])
    redelivery_slots = set(special[n_poison:])
    first, sent_ok = [], []
    ri = pi = 0
    for slot in range(total):
        eid = "f1-%05d" % slot
        if slot in poison_slots:
            kind = gen_events.POISON_KINDS[pi % len(gen_events.POISON_KINDS)]
            key, headers, value = gen_events._poison(kind, pi)  # noqa: SLF001 (shared harness helper)
            pi += 1
            ev = {"kind": kind}
        elif slot in redelivery_slots:
            src = first[rng.choice(sent_ok)]
            key, value = src["key"], src["value"]
            headers = [h for h in src["headers"] if h[0] != "event-id"]
            ev = {"kind": "redelivery", "of": src["id"]}
        else:
            r = records[ri]
            ri += 1
            key, headers, value = gen_events._text_event(PROVIDER, r["guid"], r["title"], r["body"],  # noqa: SLF001
                                                         r["version"])
            ev = {"kind": "generated" if fallback else "reuters", "guid": r["guid"], "version": r["version"]}
            sent_ok.append(len(first))
        ev.update(id=eid, key=key, headers=headers + [("event-id", eid.encode())], value=value)
        first.append(ev)
    second = []
    for i, ev in enumerate(first):
        eid = "f2-%05d" % i
        headers = [h for h in ev["headers"] if h[0] != "event-id"] + [("event-id", eid.encode())]
        second.append({"id": eid, "key": ev["key"], "headers": headers, "value": ev["value"],
                       "kind": ev["kind"], "of": ev["id"], "pass2": True})
    return first, second, fallback


if __name__ == "__main__":
    import collections
    src = os.path.dirname(os.path.dirname(HERE))
    a, b, fb = build(os.path.join(src, "..", "shared", "data"), src)
    print("fallback" if fb else "data", len(a), collections.Counter(e["kind"] for e in a), len(b))
