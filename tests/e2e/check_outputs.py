"""Independent consumer for the e2e test: reads copydesk's output topics with kafka-python
(Debian python3-kafka) and decodes them with protoc-generated classes. Prints the seed's story id."""
import sys
import time

from kafka import KafkaConsumer, TopicPartition

from copydesk.v1 import article_pb2, events_pb2

BOOT = sys.argv[1].split(",")


def read(topic, want, timeout=60):
    consumer = KafkaConsumer(bootstrap_servers=BOOT, enable_auto_commit=False, group_id=None,
                             consumer_timeout_ms=1000, api_version=(2, 5, 0))
    parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    out = []
    deadline = time.time() + timeout
    while len(out) < want and time.time() < deadline:
        for msg in consumer:
            out.append(msg)
    consumer.close()
    return out


def check(cond, what):
    if not cond:
        print("check failed: " + what, file=sys.stderr)
        sys.exit(1)


articles = read("news.articles.v1", 1)
check(len(articles) == 1, "one Article on news.articles.v1, got %d" % len(articles))
a = article_pb2.Article()
a.ParseFromString(articles[0].value)
check(a.headline == "No Bush-Putin missile agreement", "headline: %r" % a.headline)
check(list(a.section_path) == ["World", "Americas"], "section path: %r" % list(a.section_path))
check(a.provenance.provider == "BBC News", "provider: %r" % a.provenance.provider)
check(a.firstcreated.seconds == 1005849480, "published: %r" % a.firstcreated.seconds)
check(articles[0].key.decode() == a.uri, "key is the story id")
check(a.body_text.startswith("Russia and the United States have failed to reach agreement"), "body start")

events = read("news.article-events.v1", 1)
check(len(events) == 1, "one ArticleEvent")
ev = events_pb2.ArticleEvent()
ev.ParseFromString(events[0].value)
check(ev.kind == events_pb2.EVENT_KIND_CREATED and ev.story_id == a.uri and ev.version == 1, "event: %s" % ev)

dlq = read("news.raw.dlq.v1", 2)
check(len(dlq) == 2, "two dead letters, got %d" % len(dlq))
codes = {}
for m in dlq:
    h = {k: v.decode() for k, v in m.headers}
    check(h.get("x-copydesk-error-reason"), "reason header")
    check(h.get("x-copydesk-source-topic") == "news.raw.v1", "source topic header")
    codes[h["event-id"]] = h["x-copydesk-error-code"]
check(codes == {"e2e-bad-type": "UNKNOWN_CONTENT_TYPE", "e2e-bad-utf8": "INVALID_UTF8"}, "codes: %r" % codes)

outcomes = read("news.ingest-outcomes.v1", 3)
decided = {}
for m in outcomes:
    o = events_pb2.IngestOutcome()
    o.ParseFromString(m.value)
    decided[o.event_id] = events_pb2.Decision.Name(o.decision)
check(decided == {"e2e-seed": "DECISION_NEW", "e2e-bad-type": "DECISION_DEAD_LETTER",
                  "e2e-bad-utf8": "DECISION_DEAD_LETTER"}, "outcomes: %r" % decided)
print(a.uri)
