#!/usr/bin/python3
"""Checks that `promtool test rules` covers every alert both firing and not firing.

Reads the alert names from deploy/prometheus/rules/*alerts*.yml and the alert_rule_test
entries of deploy/prometheus/tests/*.yml: each alert needs at least one `exp_alerts: []`
(not firing) and one non-empty `exp_alerts:` (firing). stdlib only (regular expressions on
the YAML text, which these files keep in one shape).
Usage: check_alert_coverage.py SOURCE_DIR
"""
import glob
import os
import re
import sys


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "."
    alerts = []
    for f in sorted(glob.glob(os.path.join(src, "deploy/prometheus/rules/*.yml"))):
        alerts += re.findall(r"^\s*-\s*alert:\s*(\S+)\s*$", open(f, encoding="utf-8").read(), re.M)
    firing, quiet = set(), set()
    for f in sorted(glob.glob(os.path.join(src, "deploy/prometheus/tests/*.yml"))):
        text = open(f, encoding="utf-8").read()
        for name, rest in re.findall(r"alertname:\s*(\S+)\s*\n\s*exp_alerts:(.*)", text):
            (quiet if rest.strip() == "[]" else firing).add(name)
    failed = 0
    if not alerts:
        print("FAIL  no alerts found")
        return 1
    for a in alerts:
        ok = a in firing and a in quiet
        failed += not ok
        state = "ok   " if ok else "FAIL "
        print(f"{state} {a}: firing test {'yes' if a in firing else 'MISSING'}, "
              f"not-firing test {'yes' if a in quiet else 'MISSING'}")
    for extra in sorted((firing | quiet) - set(alerts)):
        print(f"FAIL  test refers to unknown alert {extra}")
        failed += 1
    print(f"alert coverage: {len(alerts) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
