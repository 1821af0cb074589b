#!/usr/bin/python3
"""End-to-end test of `copydesk lookup` as a separate process, with Debian's python3-grpcio as
the client and message classes generated at test time by protoc --python_out / grpc_python_plugin.

Runs `copydesk broker` (embedded mock cluster) and `copydesk lookup`, produces ArticleEvents with
python3-confluent-kafka, then checks: point-in-time reads, read-your-write with a watermark,
the cancel behaviour, paging across concurrent writes, and watch-resume after a lookup restart.
"""
import os
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lookup_testlib import TOPIC, Proc, health_status, parse_args, workspace, SERVING  # noqa: E402



def main():
    args = parse_args(__doc__)
    with workspace(args, "copydesk-lookup-e2e-") as (tmp, procs):
        import grpc
        from confluent_kafka import Producer
        from copydesk.v1 import events_pb2, lookup_pb2, lookup_pb2_grpc, article_pb2

        broker = Proc([args.copydesk, "broker", "--brokers-count", "1", "--partitions", "3", "--no-address-file"],
                      os.path.join(tmp, "broker.log"))
        procs.append(broker)
        bootstrap = broker.wait_line("bootstrap:").split(":", 1)[1].strip()
        view_dir = os.path.join(tmp, "view")

        def start_lookup(n):
            lk = Proc([args.copydesk, "lookup", "--brokers", bootstrap, "--grpc", "127.0.0.1:0", "--metrics",
                       "127.0.0.1:0", "--data-dir", view_dir], os.path.join(tmp, "lookup%d.log" % n))
            procs.append(lk)
            line = lk.wait_line("lookup: grpc ")
            grpc_addr = line.split()[2].rstrip(",")
            metrics_url = line.split("metrics ")[1].split(",")[0]
            return lk, grpc_addr, metrics_url

        lookup, addr, metrics_url = start_lookup(1)
        channel = grpc.insecure_channel(addr)
        stub = lookup_pb2_grpc.LookupStub(channel)

        producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})

        def produce(events):
            """Produces events; returns the watermark just after them (partition -> next offset)."""
            delivered = {}

            def on_delivery(err, msg):
                assert err is None, err
                delivered[msg.partition()] = max(delivered.get(msg.partition(), 0), msg.offset() + 1)

            for ev in events:
                producer.produce(TOPIC, key=ev.story_id.encode(), value=ev.SerializeToString(), on_delivery=on_delivery)
            producer.flush(10)
            assert sum(1 for _ in events) == 0 or delivered, "nothing delivered"
            return delivered

        def event(story, version=1, kind=events_pb2.EVENT_KIND_CREATED, headline=None, t=1_700_000_000,
                  provider="e2e", url=None, body=()):
            ev = events_pb2.ArticleEvent(kind=kind, story_id=story, version=version,
                                         previous_version=version - 1 if version > 1 else 0)
            ev.event_time.seconds = t
            a = ev.article
            a.uri = story
            a.version = version
            if kind == events_pb2.EVENT_KIND_CANCELED:
                a.pubstatus = article_pb2.PUB_STATUS_CANCELED
                return ev
            a.headline = headline or "%s v%d" % (story, version)
            a.versioncreated.seconds = t
            a.language = "en"
            a.provenance.provider = provider
            for text in body:
                a.body.add(text=text)
            if url:
                a.canonical_url = url
                a.urls.append(url)
            return ev

        def read(wm):
            return lookup_pb2.ReadOptions(min_watermark=lookup_pb2.Watermark(offsets=wm))

        checks = []

        # 0. Health and reflection (raw bytes: Debian has no python3 grpc health/reflection modules).
        # The view catches up with the (empty) topic first.
        deadline = time.time() + 30
        while health_status(channel) != SERVING:
            assert time.time() < deadline, "health must become SERVING"
            time.sleep(0.05)
        reflect = channel.stream_stream("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
        # ServerReflectionRequest{list_services: "*"} is field 7, a string.
        replies = list(reflect(iter([b"\x3a\x01*"]), timeout=5))
        assert replies and b"copydesk.v1.Lookup" in replies[0], replies
        checks.append("health SERVING once caught up; reflection lists copydesk.v1.Lookup")

        # 1. Point-in-time reads.
        v3 = event("pit", 3, events_pb2.EVENT_KIND_CORRECTED, t=3000, headline="third",
                   url="https://example.com/pit", body=("One.", "Two, edited.", "Three.", "Four."))
        v3.article.lineage.sources.add(version=1, provider="e2e", event_id="ev-1")
        v3.article.lineage.sources.add(version=3, provider="e2e", provider_version="3", event_id="ev-3")
        v3.article.lineage.fields.add(field="headline", version=3)
        v3.article.lineage.fields.add(field="body", version=3)
        v3.article.lineage.fields.add(field="language", version=1)
        wm = produce([event("pit", 1, t=1000, headline="first", body=("One.", "Two.", "Three.")),
                      event("pit", 2, events_pb2.EVENT_KIND_UPDATED, t=2000, headline="second"), v3])
        r = stub.GetArticle(lookup_pb2.GetArticleRequest(story_id="pit", read=read(wm)), timeout=20)
        assert r.article.headline == "third", r
        r = stub.GetArticle(lookup_pb2.GetArticleRequest(story_id="pit", version=2), timeout=5)
        assert r.article.headline == "second", r
        req = lookup_pb2.GetArticleRequest(story_id="pit")
        req.as_of.seconds = 2500
        assert stub.GetArticle(req, timeout=5).article.version == 2
        req.as_of.seconds = 500
        try:
            stub.GetArticle(req, timeout=5)
            raise AssertionError("as_of before the first version must be NOT_FOUND")
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.NOT_FOUND, e
        r = stub.GetArticleByUrl(lookup_pb2.GetArticleByUrlRequest(url="https://EXAMPLE.com/pit?utm_source=x"), timeout=5)
        assert r.article.uri == "pit"
        checks.append("point-in-time reads (version, as_of, url)")

        # `copydesk get` prints the article as JSON (story id, --version, --as-of, URL).
        import json

        def get(*argv):
            out = subprocess.run([args.copydesk, "get", "--grpc", addr] + list(argv), capture_output=True, text=True)
            return out.returncode, out.stdout

        rc, out = get("pit")
        assert rc == 0 and json.loads(out)["headline"] == "third", (rc, out)
        assert json.loads(get("pit", "--version", "1")[1])["headline"] == "first"
        assert json.loads(get("pit", "--as-of", "1970-01-01T00:41:40Z")[1])["version"] == 2  # t=2500 s
        assert json.loads(get("https://example.com/pit")[1])["uri"] == "pit"
        assert get("no-such-story")[0] == 1
        # --diff: fields with old and new values, paragraph edits, where each field came from.
        rc, out = get("pit", "--diff", "1", "3")
        lines = out.splitlines()
        assert rc == 0 and lines[0] == "story pit: version 1 -> 3", (rc, out)
        changed = lines[1].split(": ", 1)[1].split()
        assert changed == ["versioncreated", "headline", "canonical_url", "urls", "body"], out
        for want in ("headline", "  - first", "  + third", "  + https://example.com/pit",
                     "  ~ paragraph 2 (was paragraph 2)", "    - Two.", "    + Two, edited.",
                     "  + paragraph 4 added", "    + Four.",
                     "  version 1 (provider e2e, provider version -, event ev-1): language",
                     "  version 3 (provider e2e, provider version 3, event ev-3): headline body"):
            assert want in lines, (want, out)
        assert "One." not in out, out  # unchanged paragraphs are not listed
        assert get("pit", "--diff", "1", "9")[0] == 1
        assert get("pit", "--diff", "1")[0] == 2
        checks.append("copydesk get: latest, --version, --as-of, by URL, --diff, exit 1 when not found")

        # 2. Read-your-write with a watermark: ask right after the delivery report.
        wm = produce([event("ryw", headline="my write")])
        r = stub.GetArticle(lookup_pb2.GetArticleRequest(story_id="ryw", read=read(wm)), timeout=20)
        assert r.article.headline == "my write"
        for p, o in wm.items():
            assert r.watermark.offsets[p] >= o, (r.watermark, wm)
        far = {p: o + 1000 for p, o in wm.items()}
        try:
            stub.GetArticle(lookup_pb2.GetArticleRequest(story_id="ryw", read=read(far)), timeout=0.5)
            raise AssertionError("an unreachable watermark must give DEADLINE_EXCEEDED")
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.DEADLINE_EXCEEDED, e
        checks.append("read-your-write with min_watermark; DEADLINE_EXCEEDED when not reached")

        # 3. Cancel: every version canceled, the article still readable and marked.
        wm = produce([event("gone", 1), event("gone", 2, events_pb2.EVENT_KIND_UPDATED),
                      event("gone", 3, events_pb2.EVENT_KIND_CANCELED)])
        r = stub.GetArticle(lookup_pb2.GetArticleRequest(story_id="gone", read=read(wm)), timeout=20)
        assert r.canceled and r.article.pubstatus == article_pb2.PUB_STATUS_CANCELED, r
        assert r.article.version == 2
        r = stub.GetArticle(lookup_pb2.GetArticleRequest(story_id="gone", version=1), timeout=5)
        assert r.canceled
        lv = stub.ListVersions(lookup_pb2.ListVersionsRequest(story_id="gone"), timeout=5)
        assert [v.canceled for v in lv.versions] == [True, True, True], lv
        assert lv.versions[-1].kind == events_pb2.EVENT_KIND_CANCELED
        # A re-delivered cancel and a re-delivered version change nothing.
        wm = produce([event("gone", 3, events_pb2.EVENT_KIND_CANCELED), event("gone", 1, headline="replayed")])
        r = stub.GetArticle(lookup_pb2.GetArticleRequest(story_id="gone", version=1, read=read(wm)), timeout=20)
        assert r.article.headline != "replayed"
        checks.append("cancel marks every version; re-deliveries change nothing")

        # 4. Paging across concurrent writes.
        originals = ["page-%03d" % i for i in range(40)]
        wm = produce([event(s, provider="pager") for s in originals])
        flt = lookup_pb2.ArticleFilter(provider="pager")
        first = stub.ListArticles(lookup_pb2.ListArticlesRequest(filter=flt, page_size=7, read=read(wm)), timeout=20)
        seen = [a.uri for a in first.articles]
        token = first.next_page_token
        writes = [event("page-%03d" % i, 2, events_pb2.EVENT_KIND_UPDATED, provider="pager") for i in (1, 20, 39)]
        writes += [event("page-new-%d" % i, provider="pager") for i in range(5)]
        writer = threading.Thread(target=produce, args=(writes,))
        writer.start()
        pages = 1
        while token:
            page = stub.ListArticles(lookup_pb2.ListArticlesRequest(filter=flt, page_size=7, page_token=token),
                                     timeout=5)
            seen += [a.uri for a in page.articles]
            token = page.next_page_token
            pages += 1
        writer.join()
        for s in originals:
            assert seen.count(s) == 1, (s, seen)
        assert len(seen) == len(set(seen)), seen
        try:
            stub.ListArticles(lookup_pb2.ListArticlesRequest(filter=flt, page_token="not-a-token!"), timeout=5)
            raise AssertionError("a malformed token must be INVALID_ARGUMENT")
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
        checks.append("paging across concurrent writes: %d pages, every story once" % pages)

        # 5. Watch, restart the lookup, resume from the last watermark.
        now = stub.GetArticle(lookup_pb2.GetArticleRequest(story_id="pit"), timeout=5).watermark
        call = stub.WatchArticles(lookup_pb2.WatchArticlesRequest(
            filter=lookup_pb2.ArticleFilter(provider="watch"), **{"from": now}), timeout=30)
        produce([event("w-%d" % i, provider="watch") for i in range(3)] + [event("noise", provider="other")])
        got = []
        resume = None
        for msg in call:
            got.append(msg.event.story_id)
            resume = msg.watermark
            if len(got) == 3:
                break
        call.cancel()
        assert sorted(got) == ["w-0", "w-1", "w-2"], got
        rc = lookup.stop()
        assert rc == 0, "lookup exit code %s on SIGTERM" % rc
        channel.close()
        produce([event("w-3", provider="watch"), event("w-4", provider="watch")])
        lookup, addr, metrics_url = start_lookup(2)
        channel = grpc.insecure_channel(addr)
        stub = lookup_pb2_grpc.LookupStub(channel)
        call = stub.WatchArticles(lookup_pb2.WatchArticlesRequest(
            filter=lookup_pb2.ArticleFilter(provider="watch"), **{"from": resume}), timeout=30)
        after = []
        for msg in call:
            after.append(msg.event.story_id)
            if len(after) == 2:
                break
        call.cancel()
        assert sorted(after) == ["w-3", "w-4"], after
        checks.append("watch resumed after a lookup restart from its watermark (no replays, no gaps)")

        # Metrics are served and count the applied events; the restart did not rebuild.
        text = urllib.request.urlopen(metrics_url, timeout=5).read().decode()
        assert "copydesk_lookup_events_applied_total" in text
        assert 'grpc_server_started_total{grpc_method="WatchArticles"' in text, text
        assert "copydesk_lookup_rebuilds_total{" not in text, "restart on the same broker must not rebuild"
        for c in checks:
            print("ok:", c)
        print("lookup e2e: all checks passed")
        return 0


if __name__ == "__main__":
    sys.exit(main())
