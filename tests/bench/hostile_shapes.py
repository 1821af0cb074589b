#!/usr/bin/python3
"""Time `copydesk normalize` on adversarial input shapes near the 10 MiB size limit, per decoder.

Every shape is built in memory (no data files): many attributes on one tag, one huge token,
many siblings, long text runs, entity-dense text, deep and flat trees, huge JSON arrays, XML
with many elements or attributes, embedded HTML in ninjs / NITF / NewsML-G2 / RSS / Atom, and
the same wrapped in a RawArticle protobuf. Each shape is normalized once by
`copydesk normalize --max-millis M` and its wall time and outcome are printed; the worst shape
per decoder is summarised at the end. A shape passes when it finishes (an Article or an error
code) within M * 1.1 ms.

Usage: /usr/bin/python3 tests/bench/hostile_shapes.py [--bin build/bin/copydesk]
           [--max-millis 2000] [--size-mib 9.5] [--only REGEX] [--keep DIR]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fill(unit, size, head=b"", tail=b""):
    """head + unit repeated to about `size` bytes + tail."""
    if isinstance(unit, str):
        unit = unit.encode()
    n = max(1, (size - len(head) - len(tail)) // max(1, len(unit)))
    return head + unit * n + tail


def numbered(fmt, size, head=b"", tail=b""):
    """head + fmt % i for i = 0.. until about `size` bytes + tail."""
    parts = [head]
    total = len(head) + len(tail)
    i = 0
    while total < size:
        s = (fmt % i).encode()
        parts.append(s)
        total += len(s)
        i += 1
    parts.append(tail)
    return b"".join(parts)


def html_shapes(size):
    H, T = b"<html><head><title>t</title></head><body>", b"<p>x</p></body></html>"
    s = {}
    s["attrs-distinct"] = numbered(" a%d=1", size, H + b"<div", b">" + T)
    s["attrs-duplicate"] = fill(" a=1", size, H + b"<div", b">" + T)
    s["attrs-entity-values"] = numbered(" a%d='&amp;&lt;&#x41;'", size, H + b"<div", b">" + T)
    s["attr-value-huge"] = fill("x", size, H + b'<div title="', b'">' + T)
    s["attr-value-unterminated"] = fill("x", size, H + b'<div title="')
    s["attr-value-entities"] = fill("&amp;", size, H + b'<div title="', b'">' + T)
    s["tag-name-huge"] = fill("a", size, H + b"<", b">" + T)
    s["tag-unterminated-attrs"] = numbered(" b%d", size, H + b"<div")
    s["siblings-p"] = fill("<p>x</p>", size, H, T)
    s["siblings-p-words"] = fill("<p>Some words here, and more of them, for a paragraph.</p>", size, H, T)
    s["siblings-div-class"] = numbered('<div class="c%d content story">Words, words and words.</div>', size, H, T)
    s["siblings-text-br"] = fill("word<br>", size, H + b"<div>", b"</div>" + T)
    s["siblings-img"] = numbered('<img src="http://example.com/%d.jpg" alt="a">', size, H + b"<div>", b"</div>" + T)
    s["siblings-a"] = numbered('<a href="http://example.com/%d">link</a> ', size, H + b"<div>", b"</div>" + T)
    s["siblings-figure"] = numbered('<figure><img src="/i%d.jpg"><figcaption>c</figcaption></figure>', size, H, T)
    s["siblings-meta"] = fill('<meta property="og:title" content="A title">', size, b"<html><head>",
                              b"</head><body><p>x</p></body></html>")
    s["siblings-time"] = fill('<time datetime="2024-01-02T03:04:05Z">2 Jan 2024</time>', size, H, T)
    s["siblings-h2"] = fill("<h2>Sub</h2>", size, H, T)
    s["siblings-li"] = fill("<li>item", size, H + b"<ul>", b"</ul>" + T)
    s["siblings-td"] = fill("<td>cell", size, H + b"<table><tr>", b"</table>" + T)
    s["siblings-tr"] = fill("<tr><td>c", size, H + b"<table>", b"</table>" + T)
    s["siblings-option"] = fill("<option>o", size, H + b"<select>", b"</select>" + T)
    s["siblings-a-unclosed"] = fill("<a href=x>l", size, H, T)
    s["siblings-dd"] = fill("<dt>t<dd>d", size, H + b"<dl>", b"</dl>" + T)
    s["siblings-body"] = fill("<body>", size, H + b"<div>" * 500, T)
    s["siblings-hr-in-table"] = fill("<hr>", size, H + b"<p><table>" + b"<span>" * 500, T)
    s["end-tags-unopened"] = fill("</div>", size, H, T)
    s["end-tags-other"] = fill("</x>", size, H + b"<x>" * 500, T)
    s["end-tags-other-open"] = fill("<y></x>", size, H + b"<x>" * 500, T)
    s["nested-inline"] = fill("<b>", size, H, T)
    s["nested-div-500"] = fill("<div>x</div>", size, H + b"<div>" * 500, T)
    s["nested-svg"] = fill("<svg>", size, H, T)
    s["text-run-words"] = fill("word ", size, H + b"<p>", b"</p>" + T)
    s["text-run-one-token"] = fill("a", size, H + b"<p>", b"</p>" + T)
    s["text-run-nbsp"] = fill("\u00a0", size, H + b"<p>", b"</p>" + T)
    s["text-run-comma"] = fill("a, ", size, H + b"<p>", b"</p>" + T)
    s["text-no-markup"] = fill("word ", size)
    s["entities-named"] = fill("&amp;", size, H + b"<p>", b"</p>" + T)
    s["entities-named-nosemi"] = fill("&notit", size, H + b"<p>", b"</p>" + T)
    s["entities-numeric"] = fill("&#x1F600;", size, H + b"<p>", b"</p>" + T)
    s["entities-unknown"] = fill("&zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz;", size, H + b"<p>", b"</p>" + T)
    s["entities-bare-amp"] = fill("&", size, H + b"<p>", b"</p>" + T)
    s["lt-run"] = fill("<", size, H + b"<p>", b"</p>" + T)
    s["lt-slash-run"] = fill("</ ", size, H + b"<p>", b"</p>" + T)
    s["comments"] = fill("<!--x-->", size, H, T)
    s["comment-unterminated"] = fill("x", size, H + b"<!--")
    s["comment-dashes"] = fill("-", size, H + b"<!--")
    s["cdata-many"] = fill("<![CDATA[x]]>", size, H + b"<p>", b"</p>" + T)
    s["cdata-unterminated"] = fill("x", size, H + b"<![CDATA[")
    s["doctype-many"] = fill("<!x>", size, H, T)
    s["pi-many"] = fill("<?x?>", size, H, T)
    s["script-near-miss"] = fill("</scrip", size, H + b"<script>", b"</script>" + T)
    s["script-unterminated"] = fill("x", size, H + b"<script>")
    s["script-many"] = fill("<script>x</script>", size, H, T)
    s["jsonld-array"] = fill('{"@type":"NewsArticle","headline":"h"},', size,
                             H + b'<script type="application/ld+json">[', b'{}]</script>' + T)
    s["jsonld-deep"] = fill("[", size, H + b'<script type="application/ld+json">', b"</script>" + T)
    s["jsonld-many"] = fill('<script type="application/ld+json">{"@type":"NewsArticle","headline":"h"}</script>',
                            size, H, T)
    s["class-huge"] = fill("x", size, H + b'<div class="', b'">text, text.</div>' + T)
    s["class-many-words"] = fill("content ", size, H + b'<div class="', b'">text, text.</div>' + T)
    s["headline-huge"] = fill("word ", size, H + b"<h1>", b"</h1>" + T)
    s["title-huge"] = fill("word ", size, b"<html><head><title>", b"</title></head><body><p>x</p></body></html>")
    s["nul-bytes"] = fill("\x00", size, H + b"<h1>a\x00b</h1><p>", b"</p>" + T)
    s["control-chars"] = fill("a\x01\x02\x1b\x7f", size, H + b"<p>", b"</p>" + T)
    s["invalid-utf8"] = fill(b"\xff\xfe\xc3", size, H + b'<meta charset="utf-8"><p>', b"</p>" + T)
    return s


def text_shapes(size):
    s = {}
    s["one-line"] = fill("word ", size)
    s["one-token"] = fill("a", size)
    s["many-lines"] = fill("A line of text, with some words.\n", size, b"Title\n\n")
    s["blank-lines"] = fill("\n", size, b"Title\n\nx")
    s["short-lines"] = fill("x\n", size, b"Title\n\n")
    s["date-lines"] = fill("Thursday, 15 November, 2001, 18:38 GMT\n", size, b"Title\n\n")
    s["byline-lines"] = fill("By John Smith and Jane Doe\n", size, b"Title\n\n")
    s["paragraphs"] = fill("A paragraph of text, with commas, and words in it.\n\n", size, b"Title\n\n")
    s["nul-bytes"] = fill("\x00", size, b"Title\x00\n\nbody\x00")
    s["urls"] = numbered("http://example.com/%d ", size, b"Title\n\n")
    s["spaces"] = fill(" ", size, b"Title\n\nx")
    s["tabs-crlf"] = fill("\t\r\n", size, b"Title\n\nx")
    return s


def j(v):
    return json.dumps(v).encode()


def ninjs_shapes(size, html):
    s = {}
    s["headline-huge"] = fill("word ", size, b'{"headline":"', b'","body_text":"x"}')
    s["headline-nul"] = fill("\\u0000", size, b'{"headline":"', b'","body_text":"x"}')
    s["body-text-huge"] = fill("word ", size, b'{"headline":"h","body_text":"', b'"}')
    s["subjects-array"] = numbered('{"name":"s%d","uri":"http://x/y"},', size, b'{"headline":"h","body_text":"x","subjects":[', b'{}]}')
    s["keywords-array"] = fill('"kw",', size, b'{"headline":"h","body_text":"x","keywords":[', b'"k"]}')
    s["people-array"] = fill('{"name":"A B","rel":"author"},', size, b'{"headline":"h","body_text":"x","people":[',
                             b'{}]}')
    s["headlines-array"] = fill('{"role":"main","value":"h"},', size, b'{"headlines":[', b'{}],"body_text":"x"}')
    s["associations-many"] = numbered('"p%d":{"type":"picture","renditions":{"o":{"href":"http://x/y.jpg"}}},',
                                      size, b'{"headline":"h","body_text":"x","associations":{', b'"z":{}}}')
    s["renditions-many"] = numbered('"r%d":{"href":"http://x/y.jpg","width":1},', size,
                                    b'{"headline":"h","body_text":"x","renditions":{', b'"z":{}}}')
    s["deep-arrays"] = fill("[", size, b'{"headline":"h","x":')
    s["deep-objects"] = fill('{"a":', size, b'{"headline":"h","x":')
    s["many-keys"] = numbered('"k%d":1,', size, b'{"headline":"h","body_text":"x",', b'"z":1}')
    s["unicode-escapes"] = fill("\\u00e9", size, b'{"headline":"h","body_text":"', b'"}')
    s["descriptions-array"] = fill('{"role":"summary","contenttype":"text/html","value":"<p>x</p>"},', size,
                                   b'{"headline":"h","body_text":"x","descriptions":[', b'{}]}')
    for name in ("attrs-distinct", "siblings-p-words", "entities-named", "cdata-many", "siblings-img",
                 "siblings-a", "text-run-words", "nul-bytes"):
        body = html[name]
        s["body-html-" + name] = b'{"headline":"h","body_html":' + j(body[:size // 2].decode("utf-8", "replace")) + b"}"
    return s


def xml_escape(b):
    return b.replace(b"&", b"&amp;").replace(b"<", b"&lt;").replace(b">", b"&gt;")


def nitf_shapes(size, html):
    H = b'<?xml version="1.0" encoding="UTF-8"?><nitf><head><title>t</title></head><body><body.head><hedline><hl1>h</hl1></hedline></body.head><body.content>'
    T = b"</body.content></body></nitf>"
    s = {}
    s["paragraphs"] = fill("<p>A paragraph of text, with words.</p>", size, H, T)
    s["attrs-distinct"] = numbered(" a%d='1'", size, H + b"<p", b">x</p>" + T)
    s["attr-value-huge"] = fill("x", size, H + b'<p class="', b'">x</p>' + T)
    s["text-huge"] = fill("word ", size, H + b"<p>", b"</p>" + T)
    s["entities"] = fill("&amp;", size, H + b"<p>", b"</p>" + T)
    s["char-refs"] = fill("&#x41;", size, H + b"<p>", b"</p>" + T)
    s["deep"] = fill("<block>", size, H, T)
    s["flat-elements"] = fill("<x/>", size, H + b"<p>", b"</p>" + T)
    s["keywords"] = fill('<keyword key="k"/>', size,
                         b'<?xml version="1.0"?><nitf><head><docdata><key-list>',
                         b"</key-list></docdata></head><body><body.content><p>x</p></body.content></body></nitf>")
    s["media"] = numbered('<media media-type="image"><media-reference source="http://x/%d.jpg"/></media>', size, H, T)
    s["headline-huge"] = fill("word ", size, b'<?xml version="1.0"?><nitf><body><body.head><hedline><hl1>',
                              b"</hl1></hedline></body.head><body.content><p>x</p></body.content></body></nitf>")
    s["comments"] = fill("<!--x-->", size, H + b"<p>", b"</p>" + T)
    s["cdata"] = fill("<![CDATA[x]]>", size, H + b"<p>", b"</p>" + T)
    s["namespaces"] = numbered(' xmlns:n%d="u"', size, H + b"<p", b">x</p>" + T)
    s["internal-entities"] = fill("&e;", size, b'<?xml version="1.0"?><!DOCTYPE nitf [<!ENTITY e "word ">]>'
                                  + H[H.index(b"<nitf>"):] + b"<p>", b"</p>" + T)
    return s


def g2_shapes(size, html):
    H = (b'<?xml version="1.0" encoding="UTF-8"?><newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" '
         b'guid="g" version="1"><itemMeta><itemClass qcode="ninat:text"/></itemMeta>')
    CM = b"<contentMeta><headline>h</headline>"
    BODY = b'<contentSet><inlineXML contenttype="application/xhtml+xml"><html xmlns="http://www.w3.org/1999/xhtml"><body>'
    T = b"</body></html></inlineXML></contentSet></newsItem>"
    s = {}
    s["subjects"] = numbered('<subject qcode="medtop:%d"><name>n</name></subject>', size, H + CM,
                             b"</contentMeta>" + BODY + b"<p>x</p>" + T)
    s["keywords"] = fill("<keyword>k</keyword>", size, H + CM, b"</contentMeta>" + BODY + b"<p>x</p>" + T)
    s["links"] = numbered('<link rel="irel:seeAlso" href="http://x/%d"/>', size,
                          H[:-len(b"</itemMeta>")], b"</itemMeta>" + CM + b"</contentMeta>" + BODY + b"<p>x</p>" + T)
    s["paragraphs"] = fill("<p>A paragraph of text, with words.</p>", size, H + CM + b"</contentMeta>" + BODY, T)
    s["attrs-distinct"] = numbered(" a%d='1'", size, H + CM + b"</contentMeta>" + BODY + b"<p", b">x</p>" + T)
    s["text-huge"] = fill("word ", size, H + CM + b"</contentMeta>" + BODY + b"<p>", b"</p>" + T)
    s["headline-huge"] = fill("word ", size, H + b"<contentMeta><headline>",
                              b"</headline></contentMeta>" + BODY + b"<p>x</p>" + T)
    s["inline-text"] = fill("word ", size, H + CM + b'</contentMeta><contentSet><inlineData contenttype="text/plain">',
                            b"</inlineData></contentSet></newsItem>")
    s["deep"] = fill("<div>", size, H + CM + b"</contentMeta>" + BODY, T)
    s["remote-content"] = numbered('<remoteContent href="http://x/%d.jpg" width="1" height="1"/>', size,
                                   H + CM + b"</contentMeta><contentSet>", b"</contentSet></newsItem>")
    return s


def rss_shapes(size, html):
    H = b'<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>c</title><item><title>t</title>'
    T = b"</item></channel></rss>"
    s = {}
    s["categories"] = fill("<category>c</category>", size, H, T)
    s["enclosures"] = numbered('<enclosure url="http://x/%d.jpg" type="image/jpeg"/>', size, H, T)
    s["description-huge"] = fill("word ", size, H + b"<description>", b"</description>" + T)
    s["title-huge"] = fill("word ", size, H[:-len(b"<title>t</title>")] + b"<title>", b"</title>" + T)
    for name in ("attrs-distinct", "siblings-p-words", "entities-named", "cdata-many", "siblings-a", "nul-bytes",
                 "attrs-entity-values"):
        body = html[name].replace(b"]]>", b"]]]]><![CDATA[>")
        s["content-cdata-" + name] = H + b"<content:encoded><![CDATA[" + body[:size] + b"]]></content:encoded>" + T
    s["content-escaped-attrs"] = H + b"<description>" + xml_escape(html["attrs-distinct"][:size // 2]) + b"</description>" + T
    return s


def atom_shapes(size, html):
    H = b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><id>i</id><title>t</title>'
    T = b"</entry></feed>"
    s = {}
    s["links"] = numbered('<link rel="related" href="http://x/%d"/>', size, H, T)
    s["categories"] = fill('<category term="c"/>', size, H, T)
    s["authors"] = fill("<author><name>A B</name></author>", size, H, T)
    s["xhtml-paragraphs"] = fill("<p>A paragraph of text, with words.</p>", size,
                                 H + b'<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">', b"</div></content>" + T)
    s["xhtml-attrs"] = numbered(" a%d='1'", size,
                                H + b'<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p',
                                b">x</p></div></content>" + T)
    s["html-escaped-attrs"] = H + b'<content type="html">' + xml_escape(html["attrs-distinct"][:size // 2]) + b"</content>" + T
    s["html-escaped-entities"] = H + b'<content type="html">' + xml_escape(html["entities-named"][:size // 2]) + b"</content>" + T
    return s


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def raw_article(content_type, body):
    ct = content_type.encode()
    return b"\x0a" + varint(len(ct)) + ct + b"\x12" + varint(len(body)) + body


def raw_shapes(size, html, ninjs):
    # The envelope adds a few bytes: the wrapped shapes are built a little smaller.
    html = html_shapes(size - 64)
    ninjs = ninjs_shapes(size - 64, html)
    s = {}
    for name in ("attrs-distinct", "siblings-p-words", "entities-named", "text-run-words"):
        s["html-" + name] = raw_article("text/html", html[name])
    s["ninjs-subjects-array"] = raw_article("application/ninjs+json", ninjs["subjects-array"])
    return s


FORMATS = {"html": ".html", "text": ".txt", "ninjs": ".json", "nitf": ".nitf.xml", "g2": ".g2.xml",
           "rss": ".rss.xml", "atom": ".atom.xml", "raw": ".pb"}


def all_shapes(size):
    html = html_shapes(size)
    ninjs = ninjs_shapes(size, html)
    return {
        "html": html,
        "text": text_shapes(size),
        "ninjs": ninjs,
        "nitf": nitf_shapes(size, html),
        "g2": g2_shapes(size, html),
        "rss": rss_shapes(size, html),
        "atom": atom_shapes(size, html),
        "raw": raw_shapes(size, html, ninjs),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("COPYDESK_BIN", os.path.join(REPO, "build/bin/copydesk")))
    ap.add_argument("--max-millis", type=int, default=2000)
    ap.add_argument("--size-mib", type=float, default=9.5)
    ap.add_argument("--only", default="", help="regex over FORMAT/SHAPE")
    ap.add_argument("--keep", default="", help="write the shapes into this directory and keep them")
    args = ap.parse_args()
    if not os.path.exists(args.bin):
        sys.exit("copydesk binary not found at %s (build it or pass --bin / COPYDESK_BIN)" % args.bin)
    size = int(args.size_mib * 1024 * 1024)
    shapes = all_shapes(size)
    limit_s = args.max_millis * 1.1 / 1000.0
    # A run past this is killed and reported as a hang.
    hang_s = max(10.0, 5 * limit_s)
    outdir = args.keep or tempfile.mkdtemp(prefix="hostile-shapes-")
    os.makedirs(outdir, exist_ok=True)
    worst = {}
    failures = 0
    print("%-7s %-32s %9s %8s  %s" % ("format", "shape", "bytes", "ms", "outcome"))
    for fmt, group in shapes.items():
        for name, data in group.items():
            key = fmt + "/" + name
            if args.only and not re.search(args.only, key):
                continue
            path = os.path.join(outdir, fmt + "-" + name + FORMATS[fmt])
            with open(path, "wb") as f:
                f.write(data)
            # Normalize time alone (`--bench-repeat 1` times the Normalize() call, not reading the
            # file or printing the Article), then the outcome from an ordinary run.
            cmd = [args.bin, "normalize", "--max-millis", str(args.max_millis)]
            try:
                p = subprocess.run(cmd + ["--bench-repeat", "1", path], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, timeout=hang_s)
                elapsed = json.loads(p.stdout.decode().strip().splitlines()[-1])["seconds"]
                p = subprocess.run(cmd + [path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=hang_s)
            except subprocess.TimeoutExpired as e:
                p = subprocess.CompletedProcess(e.cmd, -9, b"", b"")
                elapsed = hang_s
            if not args.keep:
                os.unlink(path)
            out = p.stdout.decode("utf-8", "replace")
            try:
                doc = json.loads(out)
                outcome = ("error " + doc["error"]["code"]) if "error" in doc else "ok"
                if "headline" in doc:
                    outcome += " headline=%dB" % len(doc["headline"].encode())
            except ValueError:
                outcome = "killed after %.0f s" % hang_s if p.returncode == -9 else \
                    "exit %d, unparsable output" % p.returncode
            slow = elapsed > limit_s
            failures += slow or p.returncode not in (0, 1)
            print("%-7s %-32s %9d %8.0f  %s%s" % (fmt, name, len(data), elapsed * 1000, outcome,
                                                  "  SLOW" if slow else ""), flush=True)
            if fmt not in worst or elapsed > worst[fmt][1]:
                worst[fmt] = (name, elapsed)
    print("\nworst shape per decoder (max-millis %d, bound %.0f ms):" % (args.max_millis, limit_s * 1000))
    for fmt, (name, elapsed) in worst.items():
        print("  %-7s %-32s %8.0f ms" % (fmt, name, elapsed * 1000))
    if not args.keep:
        os.rmdir(outdir)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
