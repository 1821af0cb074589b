#!/usr/bin/python3
"""Queries a running Prometheus for every expression of the copydesk dashboard and rules.

Expressions are extracted programmatically:
  * the dashboard: every `targets[].expr` of every panel in deploy/grafana/copydesk.json,
    with Grafana's interval variables replaced ($__rate_interval -> --rate-interval);
  * the rules: read back from Prometheus's own /api/v1/rules (so this also proves that
    Prometheus loaded every rule file); each rule must report health "ok". A recording rule
    is checked twice: its expression, and the series it records. An alert's expression is
    evaluated whole (it must not error; it normally returns nothing because nothing is wrong)
    and then split at its top-level comparison and set operators (> < == and or unless ...)
    into operands; every operand that is not a number literal must return data. absent(X)
    is checked as X.

Every checked expression must return at least one sample, unless it is in ALLOW_EMPTY with
the reason it only has data when something goes wrong. Prints one line per expression and
exits 1 when any expression failed. stdlib only.
"""
import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

# Expressions that legitimately return no data while the system is healthy: series that exist
# only once something has gone wrong (a dead letter with some reason, a fencing), or that need
# more history than the test has. Keys are exact expressions after variable substitution.
ALLOW_EMPTY = {
    # Lag in seconds is absent while the group consumes nothing and is behind (documented);
    # with traffic flowing it must have data, so it is NOT listed here.
}
# Operands and dashboard expressions allowed to be empty, by the metric they read. Each reason
# is printed next to the expression when it is empty.
ALLOW_EMPTY_METRICS = {
    "copydesk_ingest_dead_letters_total": "dead letters exist only once an event failed; "
    "the ratio rule falls back to 0 and is checked",
    "job_reason:copydesk_ingest_dead_letters:rate5m": "recorded from dead letters, which exist only once an event failed",
    "copydesk_lookup_rebuilds_total": "a view rebuild happens only after corruption or a reset of the events topic",
    "ALERTS": "alerts exist only while one is pending or firing",
    "copydesk_lookup_auth_rejected_total": "a rejection exists only once a call came without a valid token",
    "copydesk_ingest_embargo_next_release_timestamp_seconds": "the next-release expressions keep only "
    "held stories (the gauge is 0 while none is held), so they have data only while an embargoed story is held",
}


def http_json(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read().decode())


def query(base, expr):
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        body = http_json(url)
    except urllib.error.HTTPError as e:
        try:
            body = json.loads(e.read().decode())
        except Exception:  # noqa: BLE001 - report whatever the server said
            return "error", str(e), 0
    if body.get("status") != "success":
        return "error", body.get("error", "unknown error"), 0
    data = body["data"]
    if data["resultType"] in ("scalar", "string"):
        return "ok", "", 1
    return "ok", "", len(data["result"])


def dashboard_expressions(path, rate_interval):
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    out = []

    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                e = t.get("expr", "").strip()
                if not e:
                    continue
                for var in ("$__rate_interval", "${__rate_interval}", "$__interval", "${__interval}"):
                    e = e.replace(var, rate_interval)
                if "$" in e:
                    raise SystemExit(f"unsupported template variable in dashboard expression: {e}")
                out.append((f'dashboard "{p.get("title")}" {t.get("refId")}', e))
            walk(p.get("panels", []))

    walk(dash.get("panels", []))
    return out


_OPS = re.compile(r"(>=|<=|==|!=|>|<|\band\b|\bor\b|\bunless\b)")
_MODIFIERS = re.compile(r"^\s*(bool\b|(on|ignoring|group_left|group_right)\s*(\([^)]*\))?)\s*")


def split_top_level(expr):
    """Splits at comparison/set operators outside (), [], {} and strings."""
    parts, depth, quote, start, i = [], 0, None, 0, 0
    while i < len(expr):
        c = expr[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "\"'`":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0:
            m = _OPS.match(expr, i)
            if m and not (m.group(0) in ("<", ">") and expr[i - 1 : i] in ("=", "!")):
                parts.append(expr[start:i])
                i = m.end()
                start = i
                continue
        i += 1
    parts.append(expr[start:])
    operands = []
    for p in parts:
        p = p.strip()
        while True:
            m = _MODIFIERS.match(p)
            if not m or not m.group(0).strip():
                break
            p = p[m.end():].strip()
        if not p or re.fullmatch(r"[0-9.eE+-]+", p):
            continue
        m = re.fullmatch(r"absent\((.*)\)", p, re.S)
        if m:
            p = m.group(1).strip()
        operands.append(p)
    return operands


def allowed_reason(expr):
    if expr in ALLOW_EMPTY:
        return ALLOW_EMPTY[expr]
    for metric, reason in ALLOW_EMPTY_METRICS.items():
        if re.search(r"(?<![A-Za-z0-9_:])" + re.escape(metric) + r"(?![A-Za-z0-9_:])", expr):
            return reason
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prometheus", required=True, help="base URL, e.g. http://127.0.0.1:9090")
    ap.add_argument("--dashboard", required=True)
    ap.add_argument("--rate-interval", default="30s")
    ap.add_argument("--wait", type=float, default=45, help="seconds to keep retrying empty expressions")
    ap.add_argument("--expect-rule-files", type=int, default=2)
    args = ap.parse_args()
    base = args.prometheus.rstrip("/")

    checks = []  # (where, expr, must_have_data)
    for where, e in dashboard_expressions(args.dashboard, args.rate_interval):
        checks.append((where, e, True))

    rules = http_json(base + "/api/v1/rules")["data"]["groups"]
    files = {g["file"] for g in rules}
    if len(files) < args.expect_rule_files:
        print(f"FAIL Prometheus loaded {len(files)} rule files, expected {args.expect_rule_files}: {sorted(files)}")
        return 1
    n_alerts = n_records = 0
    for g in rules:
        for r in g["rules"]:
            if r["type"] == "recording":
                n_records += 1
                checks.append((f'record {r["name"]} (expr)', r["query"], True))
                checks.append((f'record {r["name"]} (series)', r["name"], True))
            else:
                n_alerts += 1
                checks.append((f'alert {r["name"]} (whole expr)', r["query"], False))
                for k, op in enumerate(split_top_level(r["query"])):
                    checks.append((f'alert {r["name"]} operand {k + 1}', op, True))
    print(f"{len(checks)} checks: {sum(1 for c in checks if c[0].startswith('dashboard'))} dashboard expressions, "
          f"{n_records} recording rules, {n_alerts} alerts, from {len(files)} rule files")

    deadline = time.monotonic() + args.wait
    pending = list(range(len(checks)))
    results = {}
    while True:
        still = []
        for i in pending:
            where, e, must = checks[i]
            status, err, n = query(base, e)
            results[i] = (status, err, n)
            if status == "ok" and (n > 0 or not must):
                continue
            still.append(i)
        pending = still
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(2)

    # Rule health, read after the queries so that every group has been evaluated a few times.
    unhealthy = []
    for g in http_json(base + "/api/v1/rules")["data"]["groups"]:
        for r in g["rules"]:
            if r.get("health") != "ok":
                unhealthy.append(f'{r["name"]}: health={r.get("health")} {r.get("lastError", "")}')

    failed = 0
    allowed = 0
    for i, (where, e, must) in enumerate(checks):
        status, err, n = results[i]
        one_line = " ".join(e.split())
        if status != "ok":
            print(f"FAIL  {where}: error {err}\n      {one_line}")
            failed += 1
        elif n == 0 and must:
            reason = allowed_reason(e)
            if reason:
                print(f"EMPTY {where}: allowed, {reason}\n      {one_line}")
                allowed += 1
            else:
                print(f"FAIL  {where}: no data\n      {one_line}")
                failed += 1
        else:
            print(f"ok    {where}: {n} series")
    for u in unhealthy:
        print(f"FAIL  rule {u}")
        failed += 1
    # A few figures of the run, for the log (not asserted).
    for label, e in (("events consumed/s", "sum(job:copydesk_ingest_events_consumed:rate5m)"),
                     ("consumer lag (messages)", "sum(job:copydesk_ingest_consumer_lag_messages:sum)"),
                     ("end-to-end p50 (s)", 'max(job_stage:copydesk_ingest_stage_duration_seconds:p50_rate5m{stage="end_to_end"})'),
                     ("end-to-end p99 (s)", 'max(job_stage:copydesk_ingest_stage_duration_seconds:p99_rate5m{stage="end_to_end"})'),
                     ("lookup RPCs/s", "sum(job_method:copydesk_lookup_grpc_server_handled:rate1m)"),
                     ("firing or pending alerts", "count(ALERTS) or vector(0)")):
        try:
            body = http_json(base + "/api/v1/query?" + urllib.parse.urlencode({"query": e}))
            res = body["data"]["result"]
            val = res[0]["value"][1] if res else "no data"
        except Exception as ex:  # noqa: BLE001 - figures are informational
            val = f"error {ex}"
        print(f"figure {label}: {val}")
    try:
        alerts = http_json(base + "/api/v1/alerts")["data"]["alerts"]
        print("figure alerts: " + (", ".join(f'{a["labels"]["alertname"]} {a["state"]}' for a in alerts) or "none"))
    except Exception as ex:  # noqa: BLE001
        print(f"figure alerts: error {ex}")
    print(f"{len(checks) - failed - allowed} with data, {allowed} allowed empty (error-only series), {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
