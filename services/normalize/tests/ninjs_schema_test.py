#!/usr/bin/python3
"""Every ninjs document copydesk writes validates against the IPTC ninjs 2.2 JSON Schema.

Runs `copydesk normalize --format ninjs` over every fixture in tests/fixtures (each item of a
multi-item input is a document) and over the 124 pages of ../shared/data/article-extraction-
benchmark (skipped with a message when ../shared is absent), validates each document with
python3-jsonschema (draft 2020-12, formats checked: uri with python3-rfc3987, date-time as
RFC 3339), and round-trips the IPTC's 12 ninjs 2.1 examples: decode -> Article -> ninjs keeps
their fields. Exits 1 on any invalid document or lost field, 77 when jsonschema is missing.
"""
import argparse
import datetime
import glob
import json
import os
import re
import subprocess
import sys
import urllib.parse

try:
    import jsonschema
    from jsonschema import Draft202012Validator, FormatChecker, RefResolver
except ImportError:
    print("SKIP: python3-jsonschema is not installed (scripts/setup installs it)")
    sys.exit(77)

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def validator(schema_path):
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def is_datetime(value):
        if not isinstance(value, str):
            return True
        if not RFC3339.match(value):
            raise ValueError("not RFC 3339: %r" % value)
        datetime.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        return True

    try:
        import rfc3987  # noqa: F401  (enables the "uri" format check)
    except ImportError:
        print("SKIP: python3-rfc3987 is not installed: uri formats would go unchecked")
        sys.exit(77)
    # The schema $refs GeoJSON's schema by URL for place geometry: a local stand-in, no network.
    resolver = RefResolver.from_schema(schema, store={"https://geojson.org/schema/GeoJSON.json": {}})
    return Draft202012Validator(schema, format_checker=checker, resolver=resolver)


def content_type_for(path):
    headers = path + ".headers"
    if os.path.exists(headers):
        with open(headers, encoding="utf-8") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k.strip().lower() == "content-type":
                    return v.strip()
    return None


def normalize(binary, files, content_type=None):
    """{(file, item): ninjs document} for every item that normalized; errors are counted."""
    cmd = [binary, "normalize", "--format", "ninjs"]
    if content_type:
        cmd += ["--content-type", content_type]
    out = subprocess.run(cmd + files + (files[:1] if len(files) == 1 else []), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, check=False)
    docs, errors = {}, 0
    for line in out.stdout.decode("utf-8").splitlines():
        rec = json.loads(line)
        if "article" in rec:
            docs[(rec["file"], rec.get("item", 0))] = rec["article"]
        else:
            errors += 1
    return docs, errors


def fixture_files(src):
    files = []
    for path in sorted(glob.glob(os.path.join(src, "tests/fixtures/**/*"), recursive=True)):
        if os.path.isdir(path) or path.endswith((".headers", ".md", ".jsonl", "LICENSE")):
            continue
        if "/ninjs-schema/" in path:
            continue
        files.append(path)
    return files


def same_instant(a, b):
    parse = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    return parse(a) == parse(b)


def round_trip_losses(orig, out):
    """What of the original ninjs item the written one lost."""
    lost = []

    def eq(key, cmp=lambda a, b: a == b):
        if key in orig and orig[key] not in ("", None) and not (key in out and cmp(orig[key], out[key])):
            lost.append("%s: %r -> %r" % (key, orig[key], out.get(key)))

    for k in ("uri", "version", "type", "pubstatus", "urgency", "copyrightholder", "copyrightnotice",
              "usageterms", "ednote", "language", "slugline", "located"):
        eq(k)
    for k in ("firstcreated", "versioncreated", "contentcreated", "embargoed", "expires"):
        eq(k, same_instant)
    main = [h["value"] for h in orig.get("headlines", []) if h.get("role", "main") == "main"]
    if main and main[0].strip() not in [h["value"] for h in out.get("headlines", [])]:
        lost.append("headline %r" % main[0])
    out_desc = {" ".join(d["value"].split()) for d in out.get("descriptions", [])}
    for d in orig.get("descriptions", []):
        if d.get("value", "").strip() and " ".join(d["value"].split()) not in out_desc:
            lost.append("description %r" % d["value"][:60])
    for key in ("subjects", "places", "organisations", "genres", "infosources"):
        got = out.get(key, [])
        for c in orig.get(key, []):
            if not any(g.get("name") == c.get("name") and
                       all(g.get(f) == c.get(f) for f in ("uri", "literal") if c.get(f)) for g in got):
                lost.append("%s %r" % (key, {f: c.get(f) for f in ("name", "uri", "literal")}))
    people = [p.get("name") for p in out.get("people", [])]
    for p in orig.get("people", []):
        if p.get("name") not in people:
            lost.append("people %r" % p.get("name"))
    for a in orig.get("altids", []):
        if a not in out.get("altids", []):
            lost.append("altid %r" % a)

    def same_url(a, b):
        # A host is case-insensitive; copydesk writes it in lower case (WHATWG URL parsing).
        if not isinstance(a, str) or not isinstance(b, str):
            return a == b
        pa, pb = urllib.parse.urlsplit(a), urllib.parse.urlsplit(b)
        return pa._replace(netloc=pa.netloc.lower()) == pb._replace(netloc=pb.netloc.lower())

    def rendition_lost(orig_r, got_rs, where):
        keys = ("name", "href", "contenttype", "width", "height", "sizeinbytes", "duration", "title", "format")
        want = {k: orig_r[k] for k in keys if k in orig_r}
        same = lambda k, g, v: same_url(g.get(k), v) if k == "href" else g.get(k) == v
        if not any(all(same(k, g, v) for k, v in want.items()) for g in got_rs):
            lost.append("%s rendition %r" % (where, want))

    for r in orig.get("renditions", []):
        rendition_lost(r, out.get("renditions", []), "item")
    got_assoc = {a["name"]: a for a in out.get("associations", [])}
    for a in orig.get("associations", []):
        g = got_assoc.get(a["name"])
        if not g or g.get("uri") != a.get("uri") or g.get("type") != a.get("type"):
            lost.append("association %r" % a.get("name"))
            continue
        for r in a.get("renditions", []):
            rendition_lost(r, g.get("renditions", []), "association " + a["name"])
        if a.get("by") and g.get("by") != a["by"]:
            lost.append("association by %r" % a["by"])
    types = {b.get("contenttype") for b in out.get("bodies", [])}
    for b in orig.get("bodies", []):
        ct = b.get("contenttype", "")
        if "html" in ct and "text/html" not in types:
            lost.append("html body")
        if ct == "text/plain" and "text/plain" not in types:
            lost.append("text body")
    if orig.get("by") and not out.get("by"):
        lost.append("by")
    return lost


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--shared", default=None, help="default: SRC/../shared/data")
    args = ap.parse_args()
    v = validator(os.path.join(args.src, "tests/fixtures/ninjs-schema/ninjs-schema_2.2.json"))
    failures = []

    # The validator itself: the IPTC's examples pass, broken documents fail.
    examples = sorted(glob.glob(os.path.join(args.src, "tests/fixtures/formats/iptc-ninjs-2.1/*.json")))
    for path in examples:
        with open(path, encoding="utf-8") as f:
            for e in v.iter_errors(json.load(f)):
                failures.append("validator rejects the IPTC example %s: %s" % (os.path.basename(path), e.message))
    for bad in ({"type": "text"}, {"uri": "not a uri"}, {"uri": "urn:x:1", "versioncreated": "yesterday"},
                {"uri": "urn:x:1", "bodies": [{"role": "main"}]}, {"uri": "urn:x:1", "pubstatus": "gone"},
                {"uri": "urn:x:1", "renditions": [{"href": "https://x.example/a.jpg"}]},
                {"uri": "urn:x:1", "headlines": [{"value": "x", "colour": "red"}]},
                {"uri": "urn:x:1", "subjects": [{"name": "x", "uri": "has space:x y"}]}):
        if v.is_valid(bad):
            failures.append("validator accepts an invalid document: %r" % bad)

    counts = {}
    # Every fixture, each with its content type from its extension or its .headers file.
    by_type = {}
    for path in fixture_files(args.src):
        by_type.setdefault(content_type_for(path), []).append(path)
    docs = {}
    errors = 0
    for ct, files in sorted(by_type.items(), key=lambda kv: kv[0] or ""):
        d, e = normalize(args.bin, files, ct)
        docs.update(d)
        errors += e
    counts["fixtures"] = len(docs)
    counts["fixture inputs without an article"] = errors

    shared = args.shared or os.path.join(args.src, "..", "shared", "data")
    pages = sorted(glob.glob(os.path.join(shared, "article-extraction-benchmark", "html", "*.html")))
    if pages:
        d, e = normalize(args.bin, pages)
        docs.update(d)
        counts["benchmark pages"] = len(d)
        if e:
            failures.append("%d benchmark pages did not normalize" % e)
    else:
        print("SKIP part: %s/article-extraction-benchmark is absent; fixtures only" % shared)

    for (path, item), doc in sorted(docs.items()):
        for e in v.iter_errors(doc):
            failures.append("%s item %s: %s at %s" % (os.path.relpath(path, args.src), item, e.message,
                                                        "/".join(map(str, e.absolute_path))))

    # Round trip of the IPTC examples.
    rt = 0
    for path in examples:
        with open(path, encoding="utf-8") as f:
            orig = json.load(f)
        out = docs.get((path, 0))
        if out is None:
            failures.append("IPTC example %s did not normalize" % os.path.basename(path))
            continue
        for loss in round_trip_losses(orig, out):
            failures.append("round trip %s lost %s" % (os.path.basename(path), loss))
        rt += 1
    counts["IPTC examples round-tripped"] = rt

    print("ninjs 2.2 documents validated: %d (%s)" % (len(docs), ", ".join("%s %d" % kv for kv in counts.items())))
    for f in failures[:200]:
        print("FAIL", f)
    if failures:
        print("%d failures" % len(failures))
        return 1
    print("all valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
