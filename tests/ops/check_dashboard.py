#!/usr/bin/python3
"""Structural check of the Grafana dashboard deploy/grafana/copydesk.json (stdlib only).

Checks: valid JSON; uid, title, schemaVersion; unique panel ids; panels inside the 24-column
grid; every query target has an expr, a refId unique in its panel and the dashboard's
`datasource` variable; only known template variables are used; every panel has a title and a
description. Writes every expression (variables substituted) as recording rules to
--promql-rules FILE so that `promtool check rules FILE` checks their PromQL syntax.
Usage: check_dashboard.py DASHBOARD.json [--promql-rules OUT.yml]
"""
import json
import re
import sys

KNOWN_VARS = {"$__rate_interval": "1m", "${__rate_interval}": "1m", "$__interval": "1m", "${__interval}": "1m"}


def main():
    args = sys.argv[1:]
    out = None
    if "--promql-rules" in args:
        i = args.index("--promql-rules")
        out = args[i + 1]
        del args[i : i + 2]
    path = args[0]
    failed = passed = 0

    def check(ok, what):
        nonlocal failed, passed
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL  {what}")

    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    check(dash.get("uid") == "copydesk" and dash.get("title"), "dashboard has uid 'copydesk' and a title")
    check(isinstance(dash.get("schemaVersion"), int), "dashboard has a schemaVersion")
    var_names = [v["name"] for v in dash.get("templating", {}).get("list", [])]
    check("datasource" in var_names, "dashboard has a `datasource` variable")
    ids = []
    exprs = []
    panels = []

    def walk(ps):
        for p in ps:
            panels.append(p)
            walk(p.get("panels", []))

    walk(dash.get("panels", []))
    for p in panels:
        ids.append(p.get("id"))
        title = p.get("title", "")
        check(title, f"panel {p.get('id')} has a title")
        g = p.get("gridPos", {})
        check(g.get("x", 0) + g.get("w", 0) <= 24 and g.get("h", 0) > 0, f"panel '{title}' fits the 24-column grid")
        if p.get("type") == "row":
            continue
        check(p.get("description"), f"panel '{title}' has a description")
        check(p.get("datasource", {}).get("uid") == "${datasource}", f"panel '{title}' uses the datasource variable")
        refs = set()
        check(p.get("targets"), f"panel '{title}' has queries")
        for t in p.get("targets", []):
            e = t.get("expr", "")
            check(e.strip(), f"panel '{title}' {t.get('refId')} has an expression")
            check(t.get("refId") not in refs, f"panel '{title}' refId {t.get('refId')} is unique")
            refs.add(t.get("refId"))
            check(t.get("datasource", {}).get("uid") == "${datasource}", f"panel '{title}' {t.get('refId')} uses the datasource variable")
            for var in KNOWN_VARS:
                e = e.replace(var, KNOWN_VARS[var])
            check("$" not in e, f"panel '{title}' {t.get('refId')} uses only known variables: {e}")
            exprs.append((title, t.get("refId"), e))
    check(len(ids) == len(set(ids)), "panel ids are unique")
    check(len(exprs) > 0, "dashboard has expressions")
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.write("groups:\n  - name: dashboard-expressions\n    rules:\n")
            for i, (title, ref, e) in enumerate(exprs):
                f.write(f"      - record: dashboard:expr_{i}:check\n        expr: {json.dumps(e)}\n")
    print(f"dashboard: {len(panels)} panels, {len(exprs)} expressions: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
