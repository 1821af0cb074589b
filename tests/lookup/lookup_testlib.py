"""Shared pieces of the lookup process tests: message classes generated at test time, child
processes with collected stdout, ArticleEvents, raw gRPC health checks and thread counts.

Debian ships python3-grpcio but neither grpc_health nor grpc_reflection: health is called with
raw bytes (HealthCheckRequest{service} in, HealthCheckResponse{status} out).
"""
import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

TOPIC = "news.article-events.v1"

# grpc.health.v1.HealthCheckResponse.ServingStatus
SERVING = 1
NOT_SERVING = 2
# Health service names of the lookup (see services/lookup/README.md "Health").
LOOKUP = "copydesk.v1.Lookup"
LIVENESS = "liveness"


def parse_args(description):
    """The options every lookup process test takes."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--copydesk", required=True)
    p.add_argument("--proto-dir", required=True)
    p.add_argument("--grpc-python-plugin", default=shutil.which("grpc_python_plugin"))
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return p.parse_args()


@contextlib.contextmanager
def workspace(args, prefix, mode=None):
    """A temporary directory (chmod `mode` when given) with the generated message and service
    classes importable from <dir>/gen, and the list the test adds its started processes to. On
    exit the processes are stopped, last started first, and the directory is removed (kept and
    named with --keep)."""
    tmp = tempfile.mkdtemp(prefix=prefix)
    if mode is not None:
        os.chmod(tmp, mode)
    procs = []
    try:
        gen = os.path.join(tmp, "gen")
        os.makedirs(gen)
        generate(args.proto_dir, args.grpc_python_plugin, gen)
        yield tmp, procs
    finally:
        for p in reversed(procs):
            p.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept", tmp)


def generate(proto_dir, plugin, out):
    """Generates the copydesk.v1 message and service classes into `out` and imports from there."""
    protos = [os.path.join("copydesk/v1", f) for f in sorted(os.listdir(os.path.join(proto_dir, "copydesk/v1")))
              if f.endswith(".proto")]
    subprocess.run(["protoc", "-I", proto_dir, "--python_out=" + out, "--grpc_python_out=" + out,
                    "--plugin=protoc-gen-grpc_python=" + plugin] + protos, check=True)
    for d in ("copydesk", "copydesk/v1"):
        open(os.path.join(out, d, "__init__.py"), "a").close()
    sys.path.insert(0, out)


class Proc:
    """A child process whose stdout lines are collected on a thread."""

    def __init__(self, argv, log_path, **popen):
        self.log = open(log_path, "w")
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log, text=True, **popen)
        self.lines = []
        self.cv = threading.Condition()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.p.stdout:
            with self.cv:
                self.lines.append(line.rstrip("\n"))
                self.cv.notify_all()

    @property
    def pid(self):
        return self.p.pid

    def wait_line(self, prefix, timeout=30):
        deadline = time.time() + timeout
        with self.cv:
            while True:
                for line in self.lines:
                    if line.startswith(prefix):
                        return line
                left = deadline - time.time()
                if left <= 0 or self.p.poll() is not None:
                    raise AssertionError("no line starting with %r (exit %s, got %r)" % (prefix, self.p.poll(), self.lines))
                self.cv.wait(min(left, 0.2))

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                return self.p.wait(15)
            except subprocess.TimeoutExpired:
                self.p.kill()
                return self.p.wait()
        return self.p.returncode


def start_broker(copydesk, tmp, partitions=3):
    """Runs `copydesk broker`; returns (Proc, bootstrap)."""
    broker = Proc([copydesk, "broker", "--brokers-count", "1", "--partitions", str(partitions), "--no-address-file"],
                  os.path.join(tmp, "broker.log"))
    return broker, broker.wait_line("bootstrap:").split(":", 1)[1].strip()


def lookup_addresses(proc, timeout=30):
    """The gRPC address and the /metrics URL the lookup prints when it serves."""
    line = proc.wait_line("lookup: grpc ", timeout)
    return line.split()[2].rstrip(","), line.split("metrics ")[1].split(",")[0]


def health_request(service=""):
    data = service.encode()
    return (b"\x0a" + bytes([len(data)]) + data) if data else b""


def health_status(channel, service="", timeout=5):
    """The serving status of `service` ("" = the whole server), as the int of the response."""
    reply = channel.unary_unary("/grpc.health.v1.Health/Check")(health_request(service), timeout=timeout)
    # HealthCheckResponse{status = 1: enum}: b"\x08<status>"; an absent field is UNKNOWN (0).
    return reply[1] if len(reply) >= 2 and reply[0] == 0x08 else 0


def thread_count(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise AssertionError("no thread count for pid %d" % pid)


def make_event(events_pb2, story, version=1, t=1_700_000_000, provider="e2e", headline=None, body=None):
    ev = events_pb2.ArticleEvent(kind=events_pb2.EVENT_KIND_CREATED if version == 1 else events_pb2.EVENT_KIND_UPDATED,
                                 story_id=story, version=version, previous_version=version - 1)
    ev.event_time.seconds = t
    a = ev.article
    a.uri = story
    a.version = version
    a.headline = headline or "%s v%d" % (story, version)
    a.versioncreated.seconds = t
    a.language = "en"
    a.provenance.provider = provider
    if body:
        a.body_text = body
    return ev


def produce(producer, events, topic=TOPIC):
    """Produces events; returns the watermark just after them (partition -> next offset)."""
    delivered = {}
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(err)
            return
        delivered[msg.partition()] = max(delivered.get(msg.partition(), 0), msg.offset() + 1)

    for i, ev in enumerate(events):
        while True:
            try:
                producer.produce(topic, key=ev.story_id.encode(), value=ev.SerializeToString(), on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.05)
        if i % 1000 == 999:
            producer.poll(0)
    left = producer.flush(30)
    assert left == 0 and not errors, "produce failed: %d left, errors %r" % (left, errors[:3])
    return delivered


def free_port():
    """A TCP port nothing listens on (bound, then released)."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(metrics_url, name, labels=""):
    """The value of one sample of a /metrics page (0 when absent)."""
    import urllib.request
    text = urllib.request.urlopen(metrics_url, timeout=5).read().decode()
    prefix = name + ("{" + labels + "}" if labels else "")
    for line in text.splitlines():
        if line.startswith(prefix + " "):
            return float(line.split()[-1])
    return 0.0


def unused_uid():
    """A uid no running process uses, so that RLIMIT_NPROC counts only the lookup's threads."""
    used = set()
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/status" % d) as f:
                    for line in f:
                        if line.startswith("Uid:"):
                            used.update(int(x) for x in line.split()[1:])
            except OSError:
                pass
    uid = 40000 + os.getpid() % 20000
    while uid in used:
        uid += 1
    return uid


def thread_limited(argv, nproc, uid):
    """`argv` under a limit of `nproc` processes/threads that really applies.

    RLIMIT_NPROC counts every process and thread of the real uid, and root (CAP_SYS_RESOURCE /
    CAP_SYS_ADMIN) is exempt. As root the command runs as `uid` (unused elsewhere) with every
    capability dropped (setpriv), so the limit counts exactly its own threads. Otherwise it runs as
    the current user, with the limit raised by the threads that user already has.
    """
    if os.geteuid() == 0:
        return ["prlimit", "--nproc=%d" % nproc, "setpriv", "--reuid=%d" % uid, "--regid=%d" % uid,
                "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"] + argv
    mine = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.stat("/proc/" + d).st_uid == os.getuid():
                    mine += thread_count(int(d))
            except (OSError, AssertionError):
                pass
    return ["prlimit", "--nproc=%d" % (nproc + mine)] + argv
