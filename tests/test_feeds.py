"""Feed parsing (feedparser): the dialects, relative links, HTML in titles, no entity expansion, a cap on items."""

import time
import tracemalloc

from feed_server import atom, rdf, rss
from masthead.feeds import MAX_ITEMS, feed_links, looks_like_feed, parse_feed

ITEMS = [("https://a.example/1", "First &lt;b&gt;bold&lt;/b&gt; story", "Sun, 01 Mar 2026 10:00:00 GMT"),
         ("/2", "Second story", None)]


def test_rss_atom_and_rdf_give_the_same_items():
    for body in (rss(ITEMS), atom([(u, t, "2026-03-01T10:00:00Z" if d else None) for u, t, d in ITEMS]),
                 rdf([(u, t, "2026-03-01T10:00:00Z" if d else None) for u, t, d in ITEMS])):
        items = parse_feed(body, "https://a.example/feed.xml")
        assert [i["url"] for i in items] == ["https://a.example/1", "https://a.example/2"]  # the relative link made absolute
        assert items[0]["title"] == "First bold story"  # HTML in the title becomes plain text
        assert items[0]["published"] == "2026-03-01T10:00:00Z" and items[1]["published"] is None


def test_content_encoded_is_read():
    body = (b'<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            b'<item><title>T</title><link>https://a.example/1</link><description>short</description>'
            b'<content:encoded><![CDATA[<p>The whole <em>article</em> text.</p>]]></content:encoded></item></channel></rss>')
    [item] = parse_feed(body, "https://a.example/rss")
    assert item["summary"] == "short" and item["content"] == "The whole article text."


def test_an_entity_bomb_does_not_expand(tmp_path):
    levels = "".join(f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10 if i else "lol"}">' for i in range(10))
    body = (f'<?xml version="1.0"?><!DOCTYPE rss [{levels}]><rss version="2.0"><channel><item><title>&l9;</title>'
            f'<link>https://a.example/1</link></item></channel></rss>').encode()
    tracemalloc.start()
    started = time.monotonic()
    items = parse_feed(body)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert time.monotonic() - started < 2 and peak < 20_000_000
    assert all("lollol" not in i["title"] for i in items)


def test_an_external_entity_reads_no_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT")
    for doctype in (f'<!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>', f'<!DOCTYPE rss SYSTEM "file://{secret}">',
                    f'<!DOCTYPE rss [<!ENTITY % p SYSTEM "file://{secret}"> %p;]>'):
        body = (f'<?xml version="1.0"?>{doctype}<rss version="2.0"><channel><item><title>a &x; b</title>'
                f'<link>https://a.example/1</link><description>&x;</description></item></channel></rss>').encode()
        for item in parse_feed(body):
            assert "SECRET" not in item["title"] + item["summary"]


def test_a_10000_item_feed_is_capped_with_bounded_memory():
    body = rss([(f"https://a.example/{i}", f"Story {i}", None) for i in range(10_000)])
    tracemalloc.start()
    items = parse_feed(body)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(items) == MAX_ITEMS and items[0]["url"] == "https://a.example/0"
    assert peak < 200_000_000, peak


def test_a_homepage_advertises_its_feeds():
    html = (b'<html><head><link rel="alternate" type="application/rss+xml" href="/news/feed.xml">'
            b'<link rel="alternate" type="text/html" hreflang="de" href="/de/">'
            b'<link rel="alternate" type="application/atom+xml" href="javascript:alert(1)"></head><body></body></html>')
    assert feed_links(html, "https://a.example/") == ["https://a.example/news/feed.xml"]
    assert looks_like_feed("text/xml", b"") and looks_like_feed("", b'<?xml version="1.0"?><rss>') and not looks_like_feed("text/html", b"<html>")


def test_validate_checks_feed_entries(tmp_path):
    from masthead.registry import validate

    path = tmp_path / "sources.yaml"
    path.write_text("""version: 1
owners:
  - {id: o1, name: Owner, kind: company, country: DE}
outlets:
  - id: a
    name: A
    homepage: https://a.example/
    country: DE
    domains: [a.example]
    owner: o1
    owner_sources: [https://example.org/a]
    feeds:
      - https://a.example/rss.xml
      - {url: "https://rss.a.example/all", sources: [https://a.example/rss], checked: 2026-01-05, language: de}
      - {url: "https://elsewhere.example/a.xml", note: hosted elsewhere}
      - "https://user:pw@a.example/feed"
      - "https://a.example\\\\feed"
      - "ftp://a.example/feed"
      - {url: "https://a.example/x", checked: 2026-13-01, colour: red}
  - id: b
    name: B
    country: DE
    domains: [b.example]
    owner: o1
    owner_sources: [https://example.org/a]
    feeds: [https://a.example/rss.xml, "https://feeds.bbci.co.uk/news/rss.xml"]
follow:
  keep_days: 30
""")
    problems = validate(path)
    errors = [p.message for p in problems if p.severity == "error"]
    notes = [p.message for p in problems if p.severity == "info"]
    assert sum("is not an http(s) URL" in e for e in errors) == 3  # userinfo, backslash, ftp
    assert any("`checked`" in e for e in errors) and any("colour" in e for e in errors)
    assert any("listed for several outlets: a, b" in e for e in errors)
    assert notes == ["feed host elsewhere.example is neither a domain of 'a' nor a known feed host"]
