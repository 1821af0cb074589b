#!/usr/bin/python3
"""`copydesk normalize --timezone ZONE`: a time without a zone is read in ZONE; a bad name is a
usage error (exit 2) that names it.

Runs the real binary on a ninjs document written to a temporary directory; exits 1 on any
mismatch.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

DOC = {
    "uri": "urn:x:zone-test",
    "type": "text",
    "headline": "Tram line approved",
    "firstcreated": "2024-07-15T14:30:00",
    "versioncreated": "2024-01-15T14:30:00Z",
    "body_text": "The city council voted on Monday to build a new tram line through the eastern districts.",
}


def run(binary, path, *flags):
    return subprocess.run([binary, "normalize", *flags, path], capture_output=True, text=True, timeout=60)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    args = ap.parse_args()
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "item.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(DOC, f)
        expected = {
            (): "2024-07-15T14:30:00Z",
            ("--timezone", "Europe/Berlin"): "2024-07-15T12:30:00Z",
            ("--timezone", "America/New_York"): "2024-07-15T18:30:00Z",
        }
        for flags, first in expected.items():
            r = run(args.bin, path, *flags)
            if r.returncode != 0:
                failures.append("%s: exit %d: %s" % (flags, r.returncode, r.stderr.strip()))
                continue
            a = json.loads(r.stdout)
            if a.get("firstcreated") != first:
                failures.append("%s: firstcreated %r, expected %r" % (flags, a.get("firstcreated"), first))
            if a.get("versioncreated") != "2024-01-15T14:30:00Z":
                failures.append("%s: a stated Z changed: %r" % (flags, a.get("versioncreated")))
        for bad in ("Mars/Olympus", "Europe/Berln", "+25:00"):
            r = run(args.bin, path, "--timezone", bad)
            if r.returncode != 2:
                failures.append("--timezone %s: exit %d, expected 2" % (bad, r.returncode))
            if bad not in r.stderr or "time zone" not in r.stderr:
                failures.append("--timezone %s: stderr does not name the problem: %r" % (bad, r.stderr))
            if r.stdout.strip():
                failures.append("--timezone %s: printed output: %r" % (bad, r.stdout[:200]))
    for f in failures:
        print("FAIL:", f)
    print("cli_timezone: %d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
