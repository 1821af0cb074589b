#!/usr/bin/python3
"""`copydesk lookup` under a thread limit, with more watch streams and waiting calls than its caps.

Runs `copydesk broker` and `copydesk lookup`, the lookup under RLIMIT_NPROC = 150 that really
applies (as root: an otherwise unused uid with every capability dropped, via prlimit + setpriv;
checked first by a child that tries to start 200 threads under the same limit). With real
python3-grpcio clients it then checks:
  - 250 WatchArticles streams against lookup.max_watch_streams = 100: exactly 100 admitted (their
    response headers arrive), 150 refused with RESOURCE_EXHAUSTED;
  - 60 reads waiting for an unreachable min_watermark against lookup.max_waiting_calls = 40:
    40 wait, 20 refused with RESOURCE_EXHAUSTED;
  - the process gained at most a few threads for all of that (no thread per call);
  - health answers SERVING within 1 s, 20 times, under that load; the admitted streams still
    deliver a new event; a cancelled stream frees its slot;
  - SIGTERM ends the process with exit 0 within 10 s (the pod's grace period is 30 s), the streams
    and the waiting calls ending with UNAVAILABLE;
  - with lookup.max_connection_age_ms = 1000 (+ 1000 ms grace) an open stream ends with UNAVAILABLE
    within 8 s and the channel reconnects.
"""
import concurrent.futures
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lookup_testlib as lt  # noqa: E402

NPROC = 150
WATCH_CAP = 100
WAIT_CAP = 40
STREAMS = 250
WAITS = 60
GRACE_S = 10



def wait_until(pred, timeout, what):
    deadline = time.time() + timeout
    while not pred():
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


def check_limit_bites(uid, tmp):
    """A child under the same limit cannot start 200 threads: the limit is real."""
    code = ("import threading,time\nn=0\ntry:\n"
            "  for _ in range(200):\n    threading.Thread(target=time.sleep,args=(5,),daemon=True).start(); n+=1\n"
            "except RuntimeError:\n  pass\nprint(n)\n")
    out = subprocess.run(lt.thread_limited(["/usr/bin/python3", "-c", code], NPROC, uid), capture_output=True,
                         text=True, cwd=tmp, timeout=60)
    started = int(out.stdout.strip() or "-1")
    assert 0 < started < 200, "the thread limit does not apply (%d threads started): %s" % (started, out.stderr)
    return started


def main():
    args = lt.parse_args(__doc__)
    with lt.workspace(args, "copydesk-lookup-limits-", mode=0o755) as (tmp, procs):
        import grpc
        from confluent_kafka import Producer
        from copydesk.v1 import events_pb2, lookup_pb2, lookup_pb2_grpc

        checks = []
        uid = lt.unused_uid()
        started = check_limit_bites(uid, tmp)
        how = "uid %d, capabilities dropped (prlimit + setpriv)" % uid if os.geteuid() == 0 else "current user"
        checks.append("RLIMIT_NPROC %d really limits (%s): a child started only %d of 200 threads" % (NPROC, how, started))

        broker, bootstrap = lt.start_broker(args.copydesk, tmp)
        procs.append(broker)
        producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
        view = os.path.join(tmp, "view")
        os.makedirs(view)
        if os.geteuid() == 0:
            os.chown(view, uid, uid)

        def start_lookup(n, *sets):
            argv = [args.copydesk, "lookup", "--brokers", bootstrap, "--grpc", "127.0.0.1:0", "--metrics",
                    "127.0.0.1:0", "--data-dir", view]
            for s in sets:
                argv += ["--set", s]
            lk = lt.Proc(lt.thread_limited(argv, NPROC, uid), os.path.join(tmp, "lookup%d.log" % n), cwd=view,
                         env=dict(os.environ, COPYDESK_RUN_DIR=view))
            procs.append(lk)
            addr, metrics_url = lt.lookup_addresses(lk)
            channel = grpc.insecure_channel(addr)
            wait_until(lambda: lt.health_status(channel) == lt.SERVING, 60, "health SERVING")
            return lk, addr, metrics_url, channel

        lt.produce(producer, [lt.make_event(events_pb2, "before-%d" % i, provider="limits") for i in range(5)])
        lookup, addr, metrics_url, channel = start_lookup(
            1, "lookup.max_watch_streams=%d" % WATCH_CAP, "lookup.max_waiting_calls=%d" % WAIT_CAP,
            "lookup.shutdown_grace_ms=2000")
        threads_before = lt.thread_count(lookup.pid)

        # Streams: from now, provider "limits", over several connections.
        channels = [grpc.insecure_channel(addr) for _ in range(5)]
        stubs = [lookup_pb2_grpc.LookupStub(c) for c in channels]
        watch_req = lookup_pb2.WatchArticlesRequest(filter=lookup_pb2.ArticleFilter(provider="limits"))
        streams = [stubs[i % len(stubs)].WatchArticles(watch_req, timeout=300) for i in range(STREAMS)]
        refused = STREAMS - WATCH_CAP
        wait_until(lambda: sum(c.done() for c in streams) >= refused, 30, "%d refused streams" % refused)
        time.sleep(0.5)
        done = [c for c in streams if c.done()]
        open_streams = [c for c in streams if not c.done()]
        codes = {c.code() for c in done}
        assert len(done) == refused and codes == {grpc.StatusCode.RESOURCE_EXHAUSTED}, (len(done), codes)
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            # Admitted streams got their response headers.
            list(pool.map(lambda c: c.initial_metadata(), open_streams, timeout=20))
        checks.append("%d streams: %d admitted (headers received), %d RESOURCE_EXHAUSTED" %
                      (STREAMS, len(open_streams), len(done)))

        # Waiting calls: a watermark the view will not reach.
        far = lookup_pb2.ReadOptions(min_watermark=lookup_pb2.Watermark(offsets={0: 10 ** 12}))
        stub = lookup_pb2_grpc.LookupStub(channel)
        waits = [stubs[i % len(stubs)].GetArticle.future(lookup_pb2.GetArticleRequest(story_id="before-0", read=far),
                                                         timeout=300) for i in range(WAITS)]
        wait_until(lambda: sum(f.done() for f in waits) >= WAITS - WAIT_CAP, 30, "refused waiting calls")
        time.sleep(0.5)
        waits_done = [f for f in waits if f.done()]
        assert len(waits_done) == WAITS - WAIT_CAP, len(waits_done)
        assert {f.code() for f in waits_done} == {grpc.StatusCode.RESOURCE_EXHAUSTED}, {f.code() for f in waits_done}
        checks.append("%d min_watermark waits: %d waiting, %d RESOURCE_EXHAUSTED" %
                      (WAITS, WAITS - len(waits_done), len(waits_done)))

        threads_loaded = lt.thread_count(lookup.pid)
        assert threads_loaded - threads_before <= 8, (threads_before, threads_loaded)
        checks.append("threads: %d before, %d with %d streams and %d waits open (limit %d)" %
                      (threads_before, threads_loaded, len(open_streams), WAIT_CAP, NPROC))
        assert lt.scrape(metrics_url, "copydesk_lookup_active_calls", 'kind="watch"') == WATCH_CAP
        assert lt.scrape(metrics_url, "copydesk_lookup_active_calls", 'kind="wait"') == WAIT_CAP
        assert lt.scrape(metrics_url, "copydesk_lookup_calls_rejected_total", 'reason="watch_cap"') == refused

        # Health under that load, each time on a new connection.
        worst = 0.0
        for _ in range(20):
            t0 = time.time()
            with grpc.insecure_channel(addr) as c:
                assert lt.health_status(c, timeout=1) == lt.SERVING
                assert lt.health_status(c, lt.LIVENESS, timeout=1) == lt.SERVING
            worst = max(worst, time.time() - t0)
        checks.append("health SERVING 20 times under load, slowest answer %.3f s (bound 1 s)" % worst)

        # The admitted streams still deliver, the waiting calls still wait.
        lt.produce(producer, [lt.make_event(events_pb2, "during", provider="limits")])
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            got = list(pool.map(lambda c: next(c).event.story_id, open_streams, timeout=60))
        assert set(got) == {"during"}, set(got)
        assert not any(f.done() for f in waits if f not in waits_done)
        checks.append("all %d admitted streams delivered the new event" % len(open_streams))

        # A cancelled stream frees its slot.
        for c in open_streams[:10]:
            c.cancel()
        open_streams = open_streams[10:]
        wait_until(lambda: lt.scrape(metrics_url, "copydesk_lookup_active_calls", 'kind="watch"') == WATCH_CAP - 10,
                   10, "slots freed")
        more = [stub.WatchArticles(watch_req, timeout=300) for _ in range(10)]
        with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
            list(pool.map(lambda c: c.initial_metadata(), more, timeout=20))
        assert not any(c.done() for c in more)
        open_streams += more
        checks.append("10 cancelled streams freed 10 slots")

        # SIGTERM with everything open.
        t0 = time.time()
        lookup.p.send_signal(signal.SIGTERM)
        try:
            rc = lookup.p.wait(GRACE_S)
        except subprocess.TimeoutExpired:
            raise AssertionError("lookup did not exit within %d s of SIGTERM" % GRACE_S)
        took = time.time() - t0
        assert rc == 0, "exit code %s" % rc
        wait_until(lambda: all(c.done() for c in open_streams), 10, "streams ended")
        stream_codes = {c.code() for c in open_streams}
        wait_codes = {f.code() for f in waits if f not in waits_done}
        assert stream_codes == {grpc.StatusCode.UNAVAILABLE}, stream_codes
        assert wait_codes == {grpc.StatusCode.UNAVAILABLE}, wait_codes
        checks.append("SIGTERM with %d streams and %d waits open: exit 0 after %.2f s (bound %d s); "
                      "they ended UNAVAILABLE" % (len(open_streams), WAIT_CAP, took, GRACE_S))
        for c in channels + [channel]:
            c.close()

        # Connection age: an open stream is cut after age + grace and the channel reconnects.
        lookup, addr, metrics_url, channel = start_lookup(2, "lookup.max_connection_age_ms=1000",
                                                          "lookup.max_connection_age_grace_ms=1000")
        stub = lookup_pb2_grpc.LookupStub(channel)
        t0 = time.time()
        call = stub.WatchArticles(watch_req, timeout=60)
        call.initial_metadata()
        wait_until(call.done, 8, "the connection age to end the stream")
        assert call.code() == grpc.StatusCode.UNAVAILABLE, call.code()
        ended = time.time() - t0
        assert lt.health_status(channel) == lt.SERVING
        r = stub.GetArticle(lookup_pb2.GetArticleRequest(story_id="during"), timeout=10)
        assert r.article.uri == "during"
        checks.append("max_connection_age 1 s + 1 s grace: stream ended UNAVAILABLE after %.2f s, channel "
                      "reconnected" % ended)
        assert lookup.stop() == 0
        channel.close()

        for c in checks:
            print("ok:", c)
        print("lookup limits e2e: all checks passed")
        return 0


if __name__ == "__main__":
    sys.exit(main())
