"""Live reader of copydesk's topics with confluent-kafka (`isolation.level=read_committed`, what
the README asks of downstream consumers).

Started before the producer, it reads every partition of the input and output topics from the
beginning while the run goes on and decodes each record with the chaos harness's
collect.decode (same fields as the chaos checks), adding the SHA-1 of the value and the key for
news.raw.v1 and news.raw.dlq.v1 (to check that a dead letter carries the original bytes).
A partition whose data rolled away before it was read is counted in `lost`.

The dedup changelog is read as well, for diagnosis only (no check reads it): each record's key,
input-offset header and, for identity (`i/`) and decision-log (`o/`) records, value, in hex, go to
OUTDIR/news.dedup-changelog.v1.jsonl.
"""
import hashlib
import json
import os
import sys
import threading
import time
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
CHAOS = os.path.join(os.path.dirname(HERE), "chaos")
if CHAOS not in sys.path:
    sys.path.insert(0, CHAOS)

import collect  # noqa: E402  (needs the copydesk.v1 stubs on PYTHONPATH)
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition  # noqa: E402

TOPICS = collect.TOPICS
CHANGELOG = "news.dedup-changelog.v1"


class Collector(threading.Thread):
    def __init__(self, boot, outdir):
        super().__init__(daemon=True)
        self.boot, self.outdir = boot, outdir
        self.records = {t: [] for t in TOPICS}
        self.outcome_ids = set()
        self.raw_ids = set()
        self.last_outcome_at = time.time()
        self.lost = {}
        self.errors = []
        self.ready = threading.Event()
        self.finished = threading.Event()
        self._stop_at = None
        self.lock = threading.Lock()

    def stop(self):
        """Asks for a drain: read to the end of every partition, then finish."""
        self._stop_at = time.time()

    def _partitions(self, c):
        parts = []
        deadline = time.time() + 60
        for t in TOPICS + [CHANGELOG]:
            while True:
                md = c.list_topics(t, timeout=10).topics.get(t)
                if md is not None and md.error is None and md.partitions:
                    parts += [TopicPartition(t, p, OFFSET_BEGINNING) for p in sorted(md.partitions)]
                    break
                if time.time() > deadline:
                    raise RuntimeError("topic %s has no partitions after 60 s" % t)
                time.sleep(0.2)
        return parts

    def run(self):
        try:
            self._run()
        except Exception as e:  # noqa: BLE001  (reported by the checks)
            self.errors.append("collector: %r" % e)
        finally:
            self.finished.set()

    def _run(self):
        import logging
        quiet = logging.getLogger("fault-run.reader")
        quiet.addHandler(logging.NullHandler())
        quiet.propagate = False  # 'connection refused' while a broker is down is expected
        c = Consumer({"bootstrap.servers": self.boot, "group.id": "fault-run-checker",
                      "enable.auto.commit": False, "isolation.level": "read_committed",
                      "auto.offset.reset": "error", "enable.partition.eof": True,
                      "fetch.wait.max.ms": 100, "max.partition.fetch.bytes": 4 * 1024 * 1024,
                      "log_level": 3}, logger=quiet)
        parts = self._partitions(c)
        c.assign(parts)
        at_eof = {(tp.topic, tp.partition): False for tp in parts}
        files = {t: open(os.path.join(self.outdir, t + ".jsonl"), "w") for t in TOPICS + [CHANGELOG]}
        self.ready.set()
        last_check = 0.0
        try:
            while True:
                msgs = c.consume(500, 0.2)
                for m in msgs:
                    err = m.error()
                    tp = (m.topic(), m.partition())
                    if err is not None:
                        if err.code() == KafkaError._PARTITION_EOF:  # noqa: SLF001
                            at_eof[tp] = True
                        elif err.code() == KafkaError._AUTO_OFFSET_RESET:  # noqa: SLF001
                            self.lost["%s/%s" % tp] = str(err)
                            c.seek(TopicPartition(m.topic(), m.partition(), OFFSET_BEGINNING))
                        elif not err.retriable() and err.fatal():
                            raise RuntimeError(str(err))
                        continue
                    at_eof[tp] = False
                    if m.topic() == CHANGELOG:
                        files[CHANGELOG].write(json.dumps(self._changelog(m), separators=(",", ":")) + "\n")
                        continue
                    rec = self._decode(m)
                    files[m.topic()].write(json.dumps(rec, separators=(",", ":")) + "\n")
                    with self.lock:
                        self.records[m.topic()].append(rec)
                        if m.topic() == "news.raw.v1":
                            self.raw_ids.add(rec["eid"])
                        if m.topic() == "news.ingest-outcomes.v1" and rec["eid"] not in self.outcome_ids:
                            self.outcome_ids.add(rec["eid"])
                            self.last_outcome_at = time.time()
                if self._stop_at is not None:
                    # Done once every partition has been read to its end after the stop (the
                    # writers are idle by then), or after 60 s. librdkafka reports an end once
                    # per end reached, and a fetch interrupted by a broker outage can leave a
                    # partition without that report although it was read to the end: from 10 s
                    # after the stop, such a partition counts when its position has reached its
                    # high watermark.
                    if time.time() - self._stop_at > 10 and time.time() - last_check > 5:
                        last_check = time.time()
                        for tp in [k for k, v in at_eof.items() if not v]:
                            at_eof[tp] = self._read_to_end(c, tp)
                    settled = time.time() - self._stop_at > 2.0
                    if (settled and all(at_eof.values())) or time.time() - self._stop_at > 60:
                        if not all(at_eof.values()):
                            self.errors.append("collector: not at the end of %s after 60 s"
                                               % sorted(k for k, v in at_eof.items() if not v)[:5])
                        break
        finally:
            for f in files.values():
                f.close()
            c.close()

    @staticmethod
    def _read_to_end(c, tp):
        """True when the consumer's position in `tp` is at its high watermark."""
        try:
            low, high = c.get_watermark_offsets(TopicPartition(*tp), timeout=5, cached=False)
            pos = c.position([TopicPartition(*tp)])[0].offset
        except Exception:  # noqa: BLE001  (not known yet: try again at the next check)
            return False
        return pos >= high if pos >= 0 else high == low

    @staticmethod
    def _changelog(m):
        key, value = m.key() or b"", m.value()
        hdr = dict(m.headers() or [])
        rec = {"p": m.partition(), "o": m.offset(), "k": key.hex(), "in": (hdr.get("x-copydesk-input-offset") or b"").decode(),
               "n": None if value is None else len(value)}
        if value is not None and key[:2] in (b"i/", b"o/"):
            rec["v"] = value.hex()
        return rec

    @staticmethod
    def _decode(m):
        ns = SimpleNamespace(partition=m.partition(), offset=m.offset(), timestamp=m.timestamp()[1],
                             headers=m.headers() or [], key=m.key(), value=m.value())
        rec = collect.decode(m.topic(), ns)
        if m.topic() in ("news.raw.v1", "news.raw.dlq.v1"):
            rec["vh"] = hashlib.sha1(m.value() or b"").hexdigest()[:16]
            rec["k"] = (m.key() or b"").decode("utf-8", "replace")
            ct = next((v for k, v in ns.headers if k == "content-type"), None)
            rec["ct"] = ct.decode("utf-8", "replace") if ct is not None else None
        return rec

    def outcomes_seen(self):
        with self.lock:
            return set(self.outcome_ids), self.last_outcome_at

    def on_raw(self):
        with self.lock:
            return set(self.raw_ids)
