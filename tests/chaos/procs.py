"""Process helpers shared by the chaos test and the pipeline benchmark: start copydesk processes,
read their announced addresses, talk to the broker's control interface, stop everything."""
import os
import re
import signal
import socket
import subprocess
import time


class Procs:
    """Owns every child process it starts; stop_all() (also called from atexit/signal handlers)
    ends them. Their pids are also listed in PIDFILE so the shell wrapper's trap can kill them."""

    def __init__(self, workdir, pidfile):
        self.workdir = workdir
        self.pidfile = pidfile
        self.procs = {}

    def _note(self, p):
        with open(self.pidfile, "a") as f:
            f.write("%d\n" % p.pid)

    def start(self, name, argv, env=None, log=None):
        log = log or os.path.join(self.workdir, name + ".log")
        out = open(log, "ab")
        full_env = dict(os.environ)
        full_env.update(env or {})
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=full_env, stdin=subprocess.DEVNULL)
        out.close()
        p.log = log
        p.started = time.time()
        self.procs[name] = p
        self._note(p)
        return p

    def stop(self, name, sig=signal.SIGTERM, timeout=15.0):
        p = self.procs.get(name)
        if p is None:
            return None
        if p.poll() is None:
            try:
                p.send_signal(sig)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return p.returncode

    def stop_all(self):
        for name in list(self.procs):
            p = self.procs[name]
            if p.poll() is None:
                try:
                    p.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.time() + 10
        for p in self.procs.values():
            try:
                p.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def wait_for_line(path, pattern, timeout=20.0, proc=None):
    """First match of regex `pattern` (group 1) in the file at `path`, waiting up to `timeout`."""
    rx = re.compile(pattern, re.M)
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open(path, errors="replace") as f:
                m = rx.search(f.read())
            if m:
                return m.group(1)
        except FileNotFoundError:
            pass
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.05)
    return None


def control(addr, command, timeout=10.0):
    """Sends one line to the broker's control interface and returns its one-line reply."""
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(command.encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
    return buf.decode(errors="replace").strip()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_broker(procs, binary, partitions=12, brokers=3, name="broker"):
    p = procs.start(name, [binary, "broker", "-n", str(brokers), "-p", str(partitions), "--no-address-file"])
    boot = wait_for_line(p.log, r"^bootstrap: (\S+)", proc=p)
    ctl = wait_for_line(p.log, r"^control: (\S+)", proc=p)
    if not boot or not ctl or not wait_for_line(p.log, r"^(ready)", proc=p):
        raise RuntimeError("broker did not start; see " + p.log)
    return boot, ctl


def scrape(url, timeout=5.0):
    import urllib.request
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()
