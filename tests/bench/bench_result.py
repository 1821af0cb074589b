"""The one way a benchmark reports a figure to scripts/bench.

Each benchmark prints, besides its human-readable output, one line per figure:

    BENCH {"figure": "...", "value": "...", "target": "...", "met": true|false|null}

scripts/bench (tests/bench/run_all.py) collects these lines and rewrites docs/BENCHMARKS.md. A
figure's name is stable: it is the row that a later run replaces.
"""
import json
import time


def emit(figure, value, target="", met=None, detail=""):
    """Prints one BENCH line. `value` is the figure as it should read in the table (a string with
    its unit, e.g. "0.978" or "412 pages/s"); `met` is True/False when the figure has a target it can
    be checked against, None when it is reported only."""
    rec = {"figure": figure, "value": str(value), "target": target, "met": met}
    if detail:
        rec["detail"] = detail
    print("BENCH " + json.dumps(rec, ensure_ascii=False), flush=True)


def host_speed_ms():
    """A fixed single-threaded loop, best of 5, in ms (lower is faster). This host's speed drifts by
    a third within an hour; a figure compares with another only with this beside it."""
    best = None
    for _ in range(5):
        t = time.perf_counter()
        sum(range(3_000_000))
        d = time.perf_counter() - t
        best = d if best is None or d < best else best
    return 1000.0 * best
