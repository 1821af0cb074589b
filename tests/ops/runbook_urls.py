#!/usr/bin/python3
"""Alert runbook links are absolute URLs built from one configurable base.

The base is the one line of deploy/prometheus/runbook-base (the URL of docs/OPERATIONS.md as
your operators read it: a Git host, an internal docs site). Every alert's runbook_url must be
BASE#<alert name in lower case>, in deploy/prometheus/rules/copydesk-alerts.yml and in the
expected annotations of deploy/prometheus/tests/alerts_test.yml, and a heading for the alert
must exist in docs/OPERATIONS.md.

Usage: runbook_urls.py SOURCE_DIR                 check (exit 1 with the differences)
       runbook_urls.py SOURCE_DIR --set-base URL  write URL as the base and rewrite the links
                                                  (then run tests/ops/gen_prometheusrule.py .)
"""
import os
import re
import sys

import yaml

FILES = ["deploy/prometheus/rules/copydesk-alerts.yml", "deploy/prometheus/tests/alerts_test.yml"]
LINK = re.compile(r'(runbook_url:\s*")([^"#]*)#([a-z0-9]+)(")')


def main():
    src = sys.argv[1]
    base_file = os.path.join(src, "deploy/prometheus/runbook-base")
    if "--set-base" in sys.argv:
        base = sys.argv[sys.argv.index("--set-base") + 1].rstrip("/")
        open(base_file, "w", encoding="utf-8").write(base + "\n")
    base = open(base_file, encoding="utf-8").read().strip()
    failures = []
    if not re.match(r"^https?://[^/\s]+/\S*$", base):
        failures.append(f"deploy/prometheus/runbook-base: '{base}' is not an absolute http(s) URL")
    for rel in FILES:
        path = os.path.join(src, rel)
        text = open(path, encoding="utf-8").read()
        if "--set-base" in sys.argv:
            text = LINK.sub(lambda m: f"{m.group(1)}{base}#{m.group(3)}{m.group(4)}", text)
            open(path, "w", encoding="utf-8").write(text)
        for m in re.finditer(r'runbook_url:\s*"([^"]*)"', text):
            if not m.group(1).startswith(base + "#"):
                failures.append(f"{rel}: runbook_url {m.group(1)} does not start with the base {base}#")
    # Each alert links its own heading, which exists.
    rules = yaml.safe_load(open(os.path.join(src, FILES[0]), encoding="utf-8"))
    docs = open(os.path.join(src, "docs/OPERATIONS.md"), encoding="utf-8").read()
    anchors = {re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-")
               for h in re.findall(r"^#+\s+(.*)$", docs, re.M)}
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "alert" not in rule:
                continue
            want = f"{base}#{rule['alert'].lower()}"
            have = rule.get("annotations", {}).get("runbook_url")
            if have != want:
                failures.append(f"{FILES[0]}: {rule['alert']} runbook_url {have}, expected {want}")
            if rule["alert"].lower() not in anchors:
                failures.append(f"docs/OPERATIONS.md has no heading for {rule['alert']}")
    for f in failures:
        print("FAIL  " + f)
    if not failures:
        print(f"ok    every runbook_url is {base}#<alert>, and each heading exists")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
