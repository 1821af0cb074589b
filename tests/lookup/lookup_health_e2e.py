#!/usr/bin/python3
"""`copydesk lookup` health as a process, polled by a real python3-grpcio client.

1. Broker unreachable at start, empty view: health ("" and copydesk.v1.Lookup) stays NOT_SERVING
   for 3 s while "liveness" is SERVING, and reads answer UNAVAILABLE, never NOT_FOUND.
2. 10,000 ArticleEvents produced to news.article-events.v1 on `copydesk broker` with
   python3-confluent-kafka, then a lookup started on an empty view: while it rebuilds, health is
   NOT_SERVING (seen at least once with between 1 and 9,999 events applied, from its /metrics)
   and reads of a story answer UNAVAILABLE, never NOT_FOUND; once health says SERVING every one
   of the 10,000 stories is there (BatchGetArticles, nothing missing) and an unknown story is
   NOT_FOUND.
3. A restart on the same view catches up again before it says SERVING, without a rebuild.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lookup_testlib as lt  # noqa: E402

EVENTS = 10_000



def main():
    args = lt.parse_args(__doc__)
    with lt.workspace(args, "copydesk-lookup-health-") as (tmp, procs):
        import grpc
        from confluent_kafka import Producer
        from copydesk.v1 import events_pb2, lookup_pb2, lookup_pb2_grpc

        checks = []

        def start_lookup(n, brokers, view):
            lk = lt.Proc([args.copydesk, "lookup", "--brokers", brokers, "--grpc", "127.0.0.1:0", "--metrics",
                          "127.0.0.1:0", "--data-dir", view], os.path.join(tmp, "lookup%d.log" % n))
            procs.append(lk)
            addr, metrics_url = lt.lookup_addresses(lk)
            return lk, grpc.insecure_channel(addr), metrics_url

        def read_code(stub, story):
            try:
                stub.GetArticle(lookup_pb2.GetArticleRequest(story_id=story), timeout=5)
                return grpc.StatusCode.OK
            except grpc.RpcError as e:
                return e.code()

        # 1. No broker, empty view.
        lookup, channel, _ = start_lookup(1, "127.0.0.1:%d" % lt.free_port(), os.path.join(tmp, "view-nobroker"))
        stub = lookup_pb2_grpc.LookupStub(channel)
        deadline = time.time() + 3
        polls = 0
        while time.time() < deadline:
            assert lt.health_status(channel) == lt.NOT_SERVING
            assert lt.health_status(channel, lt.LOOKUP) == lt.NOT_SERVING
            assert lt.health_status(channel, lt.LIVENESS) == lt.SERVING
            assert read_code(stub, "any-story") == grpc.StatusCode.UNAVAILABLE
            polls += 1
            time.sleep(0.05)
        try:
            stub.ListArticles(lookup_pb2.ListArticlesRequest(), timeout=5)
            raise AssertionError("ListArticles must be UNAVAILABLE without a broker")
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.UNAVAILABLE, e
        assert lookup.stop() == 0
        channel.close()
        checks.append("broker unreachable, empty view: NOT_SERVING for 3 s (%d polls), liveness SERVING, reads "
                      "UNAVAILABLE" % polls)

        # 2. Rebuild of 10,000 events.
        broker, bootstrap = lt.start_broker(args.copydesk, tmp, partitions=8)
        procs.append(broker)
        producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "queue.buffering.max.messages": 100000})
        body = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 8
        stories = ["story-%05d" % i for i in range(EVENTS)]
        t0 = time.time()
        lt.produce(producer, [lt.make_event(events_pb2, s, body=body) for s in stories])
        checks.append("produced %d ArticleEvents in %.1f s" % (EVENTS, time.time() - t0))

        view = os.path.join(tmp, "view")
        lookup, channel, metrics_url = start_lookup(2, bootstrap, view)
        stub = lookup_pb2_grpc.LookupStub(channel)
        t0 = time.time()
        not_serving = 0
        mid_rebuild = 0
        read_codes = {}
        sequence = []  # read codes in order, repeats collapsed
        while True:
            status = lt.health_status(channel)
            if status == lt.SERVING:
                break
            assert status == lt.NOT_SERVING, status
            assert time.time() - t0 < 120, "not SERVING after 120 s"
            not_serving += 1
            code = read_code(stub, stories[-1])
            read_codes[code] = read_codes.get(code, 0) + 1
            if not sequence or sequence[-1] != code:
                sequence.append(code)
            applied = lt.scrape(metrics_url, "copydesk_lookup_events_applied_total")
            # Still NOT_SERVING after the applied count was read: the poll was inside the rebuild.
            if 0 < applied < EVENTS and lt.health_status(channel) == lt.NOT_SERVING:
                mid_rebuild += 1
        serving_after = time.time() - t0
        # Reads are UNAVAILABLE (never NOT_FOUND) until the view has caught up; health follows the
        # view within a few milliseconds, so the last polls before SERVING may already read OK.
        assert sequence[0] == grpc.StatusCode.UNAVAILABLE and sequence in (
            [grpc.StatusCode.UNAVAILABLE], [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.OK]), read_codes
        assert mid_rebuild > 0, "health never seen NOT_SERVING mid-rebuild (%d NOT_SERVING polls)" % not_serving
        # SERVING means complete: every story is there right away.
        missing = []
        for i in range(0, EVENTS, 1000):
            r = stub.BatchGetArticles(lookup_pb2.BatchGetArticlesRequest(story_ids=stories[i:i + 1000]), timeout=30)
            missing += list(r.missing)
        assert not missing, "%d stories missing once SERVING, e.g. %s" % (len(missing), missing[:3])
        assert lt.health_status(channel, lt.LOOKUP) == lt.SERVING
        assert read_code(stub, "no-such-story") == grpc.StatusCode.NOT_FOUND
        assert lt.scrape(metrics_url, "copydesk_lookup_serving") == 1
        checks.append("rebuild of %d events: NOT_SERVING for %.2f s (%d polls, %d mid-rebuild), reads %s; then "
                      "SERVING with all %d stories, unknown story NOT_FOUND" %
                      (EVENTS, serving_after, not_serving, mid_rebuild,
                       {c.name: n for c, n in read_codes.items()}, EVENTS))
        assert lookup.stop() == 0
        channel.close()

        # 3. Restart on the same view, more events meanwhile: caught up before SERVING, no rebuild.
        lt.produce(producer, [lt.make_event(events_pb2, "late-%d" % i) for i in range(100)])
        lookup, channel, metrics_url = start_lookup(3, bootstrap, view)
        stub = lookup_pb2_grpc.LookupStub(channel)
        t0 = time.time()
        sequence = []
        while lt.health_status(channel) != lt.SERVING:
            assert time.time() - t0 < 60, "not SERVING after a restart"
            code = read_code(stub, "late-99")
            if not sequence or sequence[-1] != code:
                sequence.append(code)
            time.sleep(0.01)
        # As above: UNAVAILABLE until caught up (possibly OK in the last milliseconds), never NOT_FOUND.
        assert sequence in ([], [grpc.StatusCode.UNAVAILABLE], [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.OK],
                            [grpc.StatusCode.OK]), sequence
        assert read_code(stub, "late-99") == grpc.StatusCode.OK
        assert lt.scrape(metrics_url, "copydesk_lookup_rebuilds_total", 'reason="cluster_changed"') == 0
        checks.append("restart on the same view: SERVING after %.2f s with the 100 newer events, no rebuild" %
                      (time.time() - t0))
        assert lookup.stop() == 0
        channel.close()

        for c in checks:
            print("ok:", c)
        print("lookup health e2e: all checks passed")
        return 0


if __name__ == "__main__":
    sys.exit(main())
