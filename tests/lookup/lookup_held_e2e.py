#!/usr/bin/python3
"""End-to-end test of the lookup's held view and `embargoed` scope, with real processes.

Runs `copydesk broker` and `copydesk lookup` (an ordinary token from COPYDESK_LOOKUP_TOKENS, an
embargoed one from --embargoed-token-file), produces ArticleEvents and copydesk.v1.HeldStory
records (and tombstones) with python3-confluent-kafka, and checks with a python3-grpcio client:
  - held stories are invisible to the ordinary token (NOT_FOUND, not listed, the published version
    of a story with public versions), a held listing without the scope is PERMISSION_DENIED and
    counted in copydesk_lookup_auth_rejected_total{reason="missing_scope"};
  - the embargoed token reads them (held = true) and lists them in story-id order;
  - a tombstone removes a held story; a release (events, then tombstone) shows the public version;
  - after a restart the held view is rebuilt from the topic before health says SERVING.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lookup_testlib as lt  # noqa: E402

HELD_TOPIC = "news.articles-held.v1"


def main():
    args = lt.parse_args(__doc__)
    with lt.workspace(args, "copydesk-lookup-held-") as (tmp, procs):
        import grpc
        from confluent_kafka import Producer
        from copydesk.v1 import events_pb2, lookup_pb2, lookup_pb2_grpc

        broker, bootstrap = lt.start_broker(args.copydesk, tmp)
        procs.append(broker)
        view = os.path.join(tmp, "view")
        token_file = os.path.join(tmp, "embargoed-tokens")
        with open(token_file, "w") as f:
            f.write("# the embargo desk\nemb-secret\n")
        env = dict(os.environ, COPYDESK_LOOKUP_TOKENS="plain-secret")

        def start_lookup(n):
            lk = lt.Proc([args.copydesk, "lookup", "--brokers", bootstrap, "--grpc", "127.0.0.1:0", "--metrics",
                          "127.0.0.1:0", "--data-dir", view, "--embargoed-token-file", token_file],
                         os.path.join(tmp, "lookup%d.log" % n), env=env)
            procs.append(lk)
            addr, metrics_url = lt.lookup_addresses(lk)
            channel = grpc.insecure_channel(addr)
            deadline = time.time() + 30
            while lt.health_status(channel) != lt.SERVING:
                assert time.time() < deadline, "health must become SERVING"
                time.sleep(0.05)
            return lk, channel, lookup_pb2_grpc.LookupStub(channel), metrics_url

        producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})

        def held(story, version, headline, provider="e2e"):
            h = events_pb2.HeldStory(story_id=story, versions=list(range(1, version + 1)),
                                     published_before=version > 1)
            h.release_time.seconds = 1_900_000_000
            h.article.CopyFrom(lt.make_event(events_pb2, story, version, provider=provider, headline=headline).article)
            return h

        def produce_held(records):
            """(story, HeldStory or None for a tombstone) pairs."""
            for story, h in records:
                producer.produce(HELD_TOPIC, key=story.encode(), value=None if h is None else h.SerializeToString())
            assert producer.flush(10) == 0

        plain = [("authorization", "Bearer plain-secret")]
        emb = [("authorization", "Bearer emb-secret")]

        def code(fn, req, md):
            try:
                fn(req, metadata=md, timeout=5)
                return grpc.StatusCode.OK
            except grpc.RpcError as e:
                return e.code()

        def get(stub, story, md):
            return stub.GetArticle(lookup_pb2.GetArticleRequest(story_id=story), metadata=md, timeout=5)

        def held_ids(stub, md, page_size=1):
            ids, token = [], ""
            while True:
                r = stub.ListArticles(lookup_pb2.ListArticlesRequest(held=True, page_size=page_size, page_token=token),
                                      metadata=md, timeout=5)
                ids += [a.uri for a in r.articles]
                token = r.next_page_token
                if not token:
                    return ids

        def wait_for(what, cond, timeout=20):
            deadline = time.time() + timeout
            while not cond():
                assert time.time() < deadline, "timed out waiting for " + what
                time.sleep(0.05)

        checks = []
        # Before the lookup starts: a public story, a story with a public v1 and a held v2, and a
        # story held before it was ever published.
        lt.produce(producer, [lt.make_event(events_pb2, "st_pub", headline="public"),
                              lt.make_event(events_pb2, "st_mixed", 1, headline="mixed one")])
        produce_held([("st_mixed", held("st_mixed", 2, "mixed two (held)")),
                      ("st_secret", held("st_secret", 1, "secret one", provider="wire"))])
        lookup, channel, stub, metrics_url = start_lookup(1)

        # Ordinary token: the public view only.
        assert code(stub.GetArticle, lookup_pb2.GetArticleRequest(story_id="st_secret"), plain) == \
            grpc.StatusCode.NOT_FOUND
        r = get(stub, "st_mixed", plain)
        assert r.article.headline == "mixed one" and not r.held, r
        listed = [a.uri for a in stub.ListArticles(lookup_pb2.ListArticlesRequest(), metadata=plain, timeout=5).articles]
        assert sorted(listed) == ["st_mixed", "st_pub"], listed
        assert code(stub.ListArticles, lookup_pb2.ListArticlesRequest(held=True), plain) == \
            grpc.StatusCode.PERMISSION_DENIED
        assert code(stub.GetArticle, lookup_pb2.GetArticleRequest(story_id="st_pub"), []) == \
            grpc.StatusCode.UNAUTHENTICATED
        assert lt.scrape(metrics_url, "copydesk_lookup_auth_rejected_total", 'reason="missing_scope"') == 1
        checks.append("ordinary token: held story NOT_FOUND, not listed, published version shown; "
                      "held listing PERMISSION_DENIED and counted (missing_scope)")

        # Embargoed token: the held versions, and the held listing in story-id order.
        r = get(stub, "st_secret", emb)
        assert r.held and r.article.headline == "secret one" and r.article.uri == "st_secret", r
        r = get(stub, "st_mixed", emb)
        assert r.held and r.article.version == 2 and r.article.headline == "mixed two (held)", r
        r = get(stub, "st_pub", emb)
        assert not r.held and r.article.headline == "public", r
        assert held_ids(stub, emb) == ["st_mixed", "st_secret"]
        r = stub.ListArticles(lookup_pb2.ListArticlesRequest(held=True, filter=lookup_pb2.ArticleFilter(provider="wire")),
                              metadata=emb, timeout=5)
        assert [a.uri for a in r.articles] == ["st_secret"], r
        wait_for("the held gauge", lambda: lt.scrape(metrics_url, "copydesk_lookup_held_stories") == 2)
        checks.append("embargoed token: held versions read (held=true) and listed by story id, paged and filtered")

        # A tombstone (a cancel dropped the story) removes it.
        produce_held([("st_secret", None)])
        wait_for("the tombstone", lambda: code(stub.GetArticle, lookup_pb2.GetArticleRequest(story_id="st_secret"), emb)
                 == grpc.StatusCode.NOT_FOUND)
        assert held_ids(stub, emb) == ["st_mixed"]
        # The release: the held version is published on the events topic, then the tombstone.
        lt.produce(producer, [lt.make_event(events_pb2, "st_mixed", 2, headline="mixed two")])
        wait_for("the release", lambda: get(stub, "st_mixed", plain).article.version == 2)
        r = get(stub, "st_mixed", emb)
        assert not r.held and r.article.headline == "mixed two", r
        produce_held([("st_mixed", None)])
        wait_for("the release tombstone", lambda: held_ids(stub, emb) == [])
        checks.append("tombstone removes a held story; a released story reads as its public version")

        # Restart: the held view is read again from the topic before the lookup serves.
        produce_held([("st_late", held("st_late", 1, "late one")), ("st_gone", held("st_gone", 1, "gone")),
                      ("st_gone", None)])
        assert lookup.stop() == 0
        channel.close()
        lookup, channel, stub, metrics_url = start_lookup(2)
        assert held_ids(stub, emb, page_size=10) == ["st_late"]
        assert get(stub, "st_late", emb).held
        assert code(stub.GetArticle, lookup_pb2.GetArticleRequest(story_id="st_late"), plain) == \
            grpc.StatusCode.NOT_FOUND
        checks.append("restart: the held view is rebuilt from the topic (tombstones honoured) before SERVING")

        for c in checks:
            print("ok:", c)
        print("lookup held e2e: all checks passed")
        return 0


if __name__ == "__main__":
    sys.exit(main())
