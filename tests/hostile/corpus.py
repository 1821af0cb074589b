"""The hostile corpus: records an attacker (or a broken producer) can put on news.raw.v1.

Each entry is a dict: name, key (bytes or None), headers [(name, bytes)], value (bytes or None),
and `expect`, what must hold besides the checks every record gets (exactly one outcome, valid
UTF-8 everywhere, the worker alive, time within the limit):
  "any"            accepted or dead-lettered, whichever: only the common checks
  "dead:CODE"      dead-lettered with that error code
  "ok"             accepted (an Article is published)
  "items:N"        a multi-item input: one outcome listing N items, each accepted or dead-lettered;
                   each item that publishes is its own Article on news.articles.v1
Some entries add `check`, the name of an extra check in hostile_e2e.py.
"""
import random


def _html(body):
    return b"<!doctype html><html><head><title>t</title></head><body>" + body + b"</body></html>"


def _ninjs(**fields):
    import json
    doc = {"uri": "urn:hostile:" + fields.pop("_id", "x"), "type": "text", "headline": "A headline",
           "body_html": "<p>" + "Some body text that is long enough to be an article. " * 8 + "</p>"}
    doc.update(fields)
    return json.dumps(doc).encode()


def _words(seed, n):
    """n made-up words, deterministic per seed: entries built from them share no shingles, so
    story identity keeps each entry a story of its own."""
    rng = random.Random(seed)
    return " ".join("".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(rng.randint(2, 4)))
                    for _ in range(n))


def _rss(n, bad=(), feed=0):
    """An RSS feed of n entries (distinct stories, also between feeds); the entries at `bad` are
    empty."""
    items = []
    for i in range(n):
        if i in bad:
            # Well-formed, so the feed still parses, but with nothing to publish: this item alone fails.
            items.append(b"<item><guid>https://example.com/feed%d/broken-%d</guid><title> </title>"
                         b"<description><![CDATA[ ]]></description></item>" % (feed, i))
            continue
        k = 10000 * feed + i
        items.append(("<item><title>Entry %d: %s</title><link>https://example.com/feed%d/%d</link>"
                      "<guid>https://example.com/feed%d/%d</guid><pubDate>Mon, 07 Dec 2026 09:%02d:00 +0000</pubDate>"
                      "<description>%s. %s.</description></item>"
                      % (i, _words(k, 5), feed, i, feed, i, i % 60, _words(1000000 + k, 30),
                         _words(2000000 + k, 30))).encode())
    return (b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Hostile feed</title>'
            b"<link>https://example.com/</link><description>d</description>" + b"".join(items) +
            b"</channel></rss>")


def build(max_value_bytes):
    """The corpus. `max_value_bytes`: the worker's ingest.max_value_bytes."""
    ct = lambda v: ("content-type", v)  # noqa: E731
    big = max_value_bytes - 4096
    c = []

    def add(name, value, headers=(("content-type", b"text/html"),), key=None, expect="any", check=None):
        c.append({"name": name, "key": key if key is not None else name.encode(), "headers": list(headers),
                  "value": value, "expect": expect, "check": check})

    # Shapes that stalled or blew up a decoder: every one must finish or time out within the limit.
    attrs = b" ".join(b"a%d=1" % i for i in range(50000))
    add("html-50k-attributes", _html(b"<div " + attrs + b"><p>x</p></div>"))
    n = big // 12
    add("html-attributes-near-limit", _html(b"<div " + b" ".join(b"b%07d=1" % i for i in range(n)) + b"><p>x</p></div>"))
    add("html-duplicate-attributes", _html(b"<div " + b"a=1 " * (big // 4) + b"><p>x</p></div>"))
    add("html-one-long-attribute", _html(b'<div title="' + b"a" * big + b'"><p>x</p></div>'))
    add("html-one-long-tag-name", _html(b"<" + b"d" * big + b">x"))
    add("html-long-comment", _html(b"<!--" + b"-" * big))
    add("html-deep-nesting", _html(b"<div>" * 200000), expect="dead:NESTING_TOO_DEEP")
    add("html-flat-siblings", _html(b"<p>a</p>" * (big // 8)))
    add("html-entity-dense", _html(b"<p>" + b"&amp;&lt;&#x41;&notin" * (big // 20) + b"</p>"))
    add("html-cdata-script", _html(b"<p>Lead paragraph with enough words to be the article body of this page.</p>"
                                   b"<p>a <![CDATA[ alert(1) ]]> b <script>alert(2)</script>and more words "
                                   b"follow here.</p>"),
        check="no_script_text")
    add("ninjs-body-html-attributes", _ninjs(_id="attrs", body_html="<div " + " ".join("a%d=1" % i for i in range(50000))
                                             + "><p>x</p></div>"), headers=[ct(b"application/ninjs+json")])
    add("text-one-long-line", b"x" * big, headers=[ct(b"text/plain")], check="bounded_headline")
    add("text-many-lines", b"line of text\n" * (big // 13), headers=[ct(b"text/plain")])
    add("text-nul-bytes", b"Head\x00line with a NUL\n\nBody\x00 text with a NUL byte in the middle of it and more "
        b"words to make a paragraph.\n", headers=[ct(b"text/plain")], check="no_nul")
    add("ninjs-giant-headline", _ninjs(_id="giant", headline="H" * (2 << 20)), headers=[ct(b"application/ninjs+json")],
        check="bounded_headline")
    add("json-deep-nesting", b"[" * 500000 + b"]" * 500000, headers=[ct(b"application/ninjs+json")])
    add("xml-entity-bomb", b'<?xml version="1.0"?><!DOCTYPE n [<!ENTITY a "aaaaaaaaaa">' +
        b"".join(b'<!ENTITY %c "&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;">' % ((98 + i,) + (97 + i,) * 10)
                 for i in range(9)) + b"]><nitf><body><body.content><p>&j;</p></body.content></body></nitf>",
        headers=[ct(b"application/nitf+xml")], expect="dead:ENTITY_EXPANSION")
    add("xml-external-entity", b'<?xml version="1.0"?><!DOCTYPE n [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<nitf><body><body.content><p>&x;</p></body.content></body></nitf>",
        headers=[ct(b"application/nitf+xml")], expect="dead:EXTERNAL_ENTITY")

    # Headers: invalid UTF-8, control characters, giant values.
    body = b"A title for the header tests\n\nA body paragraph with enough words in it to be a real article body."
    add("header-provider-invalid-utf8", body, headers=[ct(b"text/plain"), ("provider", b"p\xff\xfe")])
    add("header-url-invalid-utf8", body, headers=[ct(b"text/plain"), ("url", b"https://example.com/\xff")])
    add("header-guid-invalid-utf8", body, headers=[ct(b"text/plain"), ("guid", b"g\xff")])
    add("header-version-invalid-utf8", body, headers=[ct(b"text/plain"), ("version", b"1\xff")])
    add("header-event-id-invalid-utf8", body, headers=[ct(b"text/plain"), ("event-id", b"e\xff")])
    add("header-traceparent-garbage", body, headers=[ct(b"text/plain"), ("traceparent", b"\xff\n\x00" * 100)])
    add("header-content-type-newline", body, headers=[ct(b"text/plain\nFORGED log line level=error")],
        check="no_forged_log_line")
    add("header-provider-1mib", body, headers=[ct(b"text/plain"), ("provider", b"p" * (1 << 20))])
    add("ninjs-copyrightholder-1mib", _ninjs(_id="cr", copyrightholder="c" * (1 << 20)),
        headers=[ct(b"application/ninjs+json")])

    # URLs with dangerous schemes in every field that carries a URL.
    js = ["JavaScript:alert(1)", "DATA:text/html,<script>alert(1)</script>", "vbscript:msgbox", " javascript:x"]
    add("ninjs-dangerous-urls", _ninjs(_id="urls", associations={
        "featureimage": {"uri": "urn:x", "type": "picture", "renditions": {
            "original": {"href": js[0], "mimetype": "image/jpeg"}, "thumb": {"href": js[1]}}}},
        links=[{"href": js[2]}], body_html='<p><a href="%s">x</a> body words and more words to be a body.</p>'
        '<p><img src="%s"> more text in a second paragraph of the body.</p>' % (js[3], js[1])),
        headers=[ct(b"application/ninjs+json"), ("url", js[0].encode())], check="no_dangerous_url")
    add("rss-dangerous-links", b'<?xml version="1.0"?><rss version="2.0"><channel><title>f</title><item>'
        b"<title>An item with a bad link</title><link>JavaScript:alert(1)</link>"
        b'<enclosure url="DATA:image/png;base64,AAAA" type="image/png" length="4"/>'
        b"<description>&lt;p&gt;Body of the item with &lt;a href='vbscript:x'&gt;a link&lt;/a&gt; and words.&lt;/p&gt;"
        b"</description></item></channel></rss>", headers=[ct(b"application/rss+xml")], check="no_dangerous_url")
    add("html-dangerous-links", _html(b"<article><h1>Title of the page</h1><p>Body text of the page with words "
                                      b'<a href="JAVASCRIPT:alert(1)">link</a> and more words to be a body.</p>'
                                      b'<figure><img src="data:image/png;base64,AAAA"><figcaption>cap</figcaption>'
                                      b'</figure><link rel="canonical" href="javascript:void(0)"></article>'),
        check="no_dangerous_url")

    # Values: null, empty, too large, broken envelopes.
    add("null-value", None, headers=[ct(b"text/plain")], expect="dead:NULL_VALUE")
    add("empty-value", b"", headers=[ct(b"text/plain")], expect="dead:EMPTY_VALUE")
    add("value-too-large", b"x" * (max_value_bytes + 1), headers=[ct(b"text/plain")], expect="dead:VALUE_TOO_LARGE")
    add("protobuf-truncated", b"\x0a\xff\x01partial", headers=[ct(b"application/x-protobuf")],
        expect="dead:MALFORMED_PROTOBUF")
    add("no-content-type", body, headers=[], expect="dead:UNKNOWN_CONTENT_TYPE")
    # Outputs larger than the output topics accept: the Article is about twice the input.
    add("output-too-large", b"A title\n\n" + (b"A long paragraph of words that repeats. " * 20 + b"\n\n") * 900,
        headers=[ct(b"text/plain")], expect="dead:OUTPUT_TOO_LARGE")

    # Multi-item input: 50 entries, one of them broken.
    add("rss-50-entries", _rss(50), headers=[ct(b"application/rss+xml")], expect="items:50")
    add("rss-50-entries-2-broken", _rss(50, bad=(7, 31), feed=1), headers=[ct(b"application/rss+xml")], expect="items:50")
    return c


def providers(n):
    """n small valid events, each with its own provider: the provider label must stay bounded."""
    out = []
    for i in range(n):
        out.append({"name": "provider-%d" % i, "key": b"prov-%d" % i,
                    "headers": [("content-type", b"text/plain"), ("provider", b"provider-%05d" % i)],
                    "value": b"Headline number %d\n\nBody of event %d with words enough to be an article body." % (i, i),
                    "expect": "any", "check": None})
    return out
