"""Live, independent consumer of copydesk's topics (Debian python3-kafka).

Started before the producer; reads every partition of the input and output topics from the
beginning while the run goes on (the embedded broker keeps only ~5 MiB per partition, so a
late reader would silently miss data) and appends one compact JSON line per record to
OUTDIR/<topic>.jsonl. On SIGTERM (or when OUTDIR/stop exists) it drains up to the current end
offsets and exits. A partition whose data rolled away before it was read is reported in
OUTDIR/lost.json (the check treats it as a failure).

Usage: collect.py BOOTSTRAP OUTDIR
"""
import hashlib
import json
import os
import signal
import sys
import time

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import OffsetOutOfRangeError

from copydesk.v1 import article_pb2, events_pb2

TOPICS = ["news.raw.v1", "news.ingest-outcomes.v1", "news.article-events.v1", "news.raw.dlq.v1",
          "news.articles.v1"]
# Embargoed stories while they are held (copydesk.v1.HeldStory; a tombstone at the release or drop).
# Read by this collector besides TOPICS (tests/faults/ck_collect.py reads TOPICS only).
HELD_TOPIC = "news.articles-held.v1"


# Fields the worker sets from the input's Kafka timestamp when the item has no time of its own:
# they differ between two runs that produce the same events at different times.
KAFKA_TIME_FIELDS = ("versioncreated", "firstcreated")


def version_hash(article, change, leave_out=()):
    """What must be the same wherever a (story, version) is seen (each publication of its event,
    the lookup's copy): headline, body, change summary (fields changed, paragraph edits) and
    field lineage. `leave_out` names fields to leave out of the summary and the lineage (and
    the lineage's sources no other field refers to)."""
    change = type(change).FromString(change.SerializeToString())
    lineage = type(article.lineage).FromString(article.lineage.SerializeToString())
    if leave_out:
        kept = [f for f in change.fields_changed if f not in leave_out]
        del change.fields_changed[:]
        change.fields_changed.extend(kept)
        fields = [f for f in lineage.fields if f.field not in leave_out]
        del lineage.fields[:]
        lineage.fields.extend(fields)
        used = {f.version for f in fields}
        sources = [src for src in lineage.sources if src.version in used]
        del lineage.sources[:]
        lineage.sources.extend(sources)
    h = hashlib.sha1()
    for part in (article.headline.encode(), article.body_text.encode(),
                 change.SerializeToString(deterministic=True), lineage.SerializeToString(deterministic=True)):
        h.update(part)
        h.update(b"\0")
    return h.hexdigest()[:16]


def _ms(ts):
    return ts.seconds * 1000 + ts.nanos // 1000000


def decode(topic, m):
    hdr = {k: (v.decode("utf-8", "replace") if v is not None else None) for k, v in (m.headers or [])}
    rec = {"p": m.partition, "o": m.offset, "ts": m.timestamp, "rt": int(time.time() * 1000)}
    if topic == "news.raw.v1":
        rec.update(eid=hdr.get("event-id"), n=len(m.value or b""))
    elif topic == "news.ingest-outcomes.v1":
        o = events_pb2.IngestOutcome()
        o.ParseFromString(m.value or b"")
        rec.update(eid=o.event_id, key=(m.key or b"").decode("utf-8", "replace"),
                   d=events_pb2.Decision.Name(o.decision), s=o.story_id, v=o.version, of=o.of_story,
                   err=o.error_code, sim=round(o.similarity, 4))
        if o.HasField("hold"):  # held until `hu` (ms), or `hd`: a cancel dropped the held story
            rec.update(hu=_ms(o.hold.until), hd=o.hold.dropped)
    elif topic == "news.article-events.v1":
        e = events_pb2.ArticleEvent()
        e.ParseFromString(m.value or b"")
        rec.update(eid=e.event_id, s=e.story_id, v=e.version, pv=e.previous_version,
                   k=events_pb2.EventKind.Name(e.kind), of=e.of_story, h=version_hash(e.article, e.change),
                   hl=e.article.headline[:80], key=(m.key or b"").decode("utf-8", "replace"))
        if e.HasField("embargo"):  # released from an embargo: due `er`, released `ed` (ms)
            rec.update(er=_ms(e.embargo.release_time), ed=_ms(e.embargo.released_time))
    elif topic == "news.raw.dlq.v1":
        rec.update(eid=hdr.get("event-id"), code=hdr.get("x-copydesk-error-code"),
                   reason=hdr.get("x-copydesk-error-reason"), n=len(m.value or b""))
    elif topic == "news.articles.v1":
        a = None
        if m.value:
            a = article_pb2.Article()
            a.ParseFromString(m.value)
        rec.update(key=(m.key or b"").decode("utf-8", "replace"), v=a.version if a else None,
                   tomb=m.value is None)
    elif topic == HELD_TOPIC:
        rec.update(key=(m.key or b"").decode("utf-8", "replace"), tomb=m.value is None)
        if m.value is not None:
            h = events_pb2.HeldStory()
            h.ParseFromString(m.value)
            rec.update(s=h.story_id, rel=_ms(h.release_time), vs=list(h.versions), pb=h.published_before)
    return rec


def main():
    boot, outdir = sys.argv[1].split(","), sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    consumer = KafkaConsumer(bootstrap_servers=boot, enable_auto_commit=False, group_id=None,
                             api_version=(2, 5, 0), auto_offset_reset="none", fetch_max_wait_ms=100,
                             max_poll_records=2000, max_partition_fetch_bytes=4 * 1024 * 1024,
                             request_timeout_ms=30000, retry_backoff_ms=100)
    topics = TOPICS + [HELD_TOPIC]
    parts = []
    for t in topics:
        ps = None
        for _ in range(100):
            ps = consumer.partitions_for_topic(t)
            if ps:
                break
            time.sleep(0.1)
        parts += [TopicPartition(t, p) for p in sorted(ps or [])]
    consumer.assign(parts)
    for tp in parts:
        consumer.seek(tp, 0)
    files = {t: open(os.path.join(outdir, t + ".jsonl"), "a") for t in topics}
    written = {tp: 0 for tp in parts}  # the next offset to write, per partition
    lost = {}
    counts = {t: 0 for t in topics}
    last_flush = time.time()
    with open(os.path.join(outdir, "ready"), "w") as f:
        f.write("ready\n")
    draining_until = None
    end_offsets = None
    while True:
        if not stop["now"] and os.path.exists(os.path.join(outdir, "stop")):
            stop["now"] = True
        if stop["now"] and draining_until is None:
            draining_until = time.time() + 30
            end_offsets = consumer.end_offsets(parts)
        try:
            batch = consumer.poll(timeout_ms=200)
        except OffsetOutOfRangeError as e:
            # Data rolled away before we read it: count what was skipped, go on from the start.
            bad = e.args[0] if e.args and isinstance(e.args[0], dict) else {}
            bo = consumer.beginning_offsets(list(bad)) if bad else {}
            for tp, off in bad.items():
                lost[str(tp)] = lost.get(str(tp), 0) + max(1, bo.get(tp, off) - off)
                consumer.seek(tp, bo.get(tp, off))
            # python3-kafka 2.0.2 raises this from the middle of a poll: the records the poll had
            # already taken from other partitions (their positions moved past them) are never
            # returned. Read every other partition again from what was written.
            for tp in parts:
                if tp not in bad:
                    consumer.seek(tp, written[tp])
            continue
        for tp, msgs in batch.items():
            f = files[tp.topic]
            for m in msgs:
                f.write(json.dumps(decode(tp.topic, m), separators=(",", ":")) + "\n")
                written[tp] = m.offset + 1
            counts[tp.topic] += len(msgs)
        if time.time() - last_flush > 0.3:
            for f in files.values():
                f.flush()
            with open(os.path.join(outdir, "counts.json.tmp"), "w") as f:
                json.dump(counts, f)
            os.replace(os.path.join(outdir, "counts.json.tmp"), os.path.join(outdir, "counts.json"))
            last_flush = time.time()
        if draining_until is not None:
            done = all(consumer.position(tp) >= end_offsets[tp] for tp in parts)
            if done or time.time() > draining_until:
                break
    for f in files.values():
        f.close()
    with open(os.path.join(outdir, "lost.json"), "w") as f:
        json.dump(lost, f)
    with open(os.path.join(outdir, "done"), "w") as f:
        json.dump(counts, f)
    consumer.close()


if __name__ == "__main__":
    main()
