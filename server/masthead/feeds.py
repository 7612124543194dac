"""RSS and Atom feeds: items read with feedparser (no entities, no DTDs, a cap per feed) and feeds found on a homepage."""

from __future__ import annotations

import io
import re
from urllib.parse import urljoin, urlsplit

__all__ = ["parse_feed", "without_doctype", "looks_like_feed", "feed_links", "COMMON_PATHS", "MAX_ITEMS", "FEED_LINK_TYPES"]

# A feed lists its newest items first; a follower polling every few hours never needs more than this many.
# It bounds the work per feed (a 10,000-item archive feed costs what 500 items do to store).
MAX_ITEMS = 500
FEED_LINK_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")
# Where outlets commonly put a feed when the homepage does not advertise one (tried in order, a few only).
COMMON_PATHS = ("/feed", "/rss", "/rss.xml", "/feed.xml", "/atom.xml", "/index.xml", "/feeds/all.rss")
_TAGS = re.compile(r"<[^>]*>")
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)
_SUBSET_END = re.compile(rb"\]\s*>")
_ROOT = re.compile(rb"<(rss|feed|rdf:rdf|rdf)[\s>]", re.I)
_DECLARED = re.compile(rb"^(\s*<\?xml[^>]*?)encoding=[\"'][^\"']*[\"']")
_SPACE = re.compile(r"\s+")


def _plain(text: str | None) -> str:
    """A title or summary as plain text: feeds often put HTML (escaped or not) in them."""
    import html

    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", text or ""))).strip()


def without_doctype(body: bytes) -> bytes:
    """The feed without its DOCTYPE declaration (and internal subset): no feed needs one, and it is where entity
    bombs and external entities live. (feedparser strips some entity declarations itself but not all: a bomb
    written on one line reached expat, which stopped it only after seconds of expansion.) UTF-16 is re-encoded
    as UTF-8 first, so that the declaration is found in any encoding."""
    if b"\x00" in body[:200]:
        try:
            body = _DECLARED.sub(rb"\1encoding=\"utf-8\"", body.decode("utf-16").encode("utf-8"), count=1)
        except UnicodeDecodeError:
            pass
    found = _DOCTYPE.search(body)
    if found is None:
        return body
    root = _ROOT.search(body)
    if root is not None and root.start() < found.start():
        return body  # "<!DOCTYPE" in the text of an item is text (escaped, it cannot be markup there)
    bracket, close = body.find(b"[", found.end()), body.find(b">", found.end())
    if bracket != -1 and (close == -1 or bracket < close):
        end = _SUBSET_END.search(body, bracket)
        close = end.end() - 1 if end else -1
    return body[:found.start()] + (body[close + 1:] if close != -1 else b"")


_ITEM_END = re.compile(rb"</(?:[A-Za-z0-9_]+:)?(?:item|entry)\s*>")
_CLOSING = {b"rss": b"</channel></rss>", b"feed": b"</feed>"}


def first_items(body: bytes, limit: int) -> bytes:
    """The feed cut after its `limit`-th item and closed again: a 10,000-item archive feed is parsed as fast, and
    in as little memory, as a short one (the items kept are the first, which feeds order newest first)."""
    ends = 0
    for found in _ITEM_END.finditer(body):
        ends += 1
        if ends == limit:
            root = _ROOT.search(body)
            name = root.group(1).lower() if root else b""
            closing = _CLOSING.get(name, b"</rdf:RDF>" if name.startswith(b"rdf") else b"")
            return body[:found.end()] + closing
    return body


def parse_feed(body: bytes, url: str = "", limit: int = MAX_ITEMS) -> list[dict]:
    """RSS 0.9x/2.0, RSS 1.0 (RDF) or Atom -> [{url, title, published, summary, content}], at most `limit` items.

    The DOCTYPE is removed first (without_doctype), and feedparser keeps external entities off in its parser, so
    neither an entity bomb nor an external entity expands (tests/test_feeds.py). feedparser is given the
    bytes in a stream, never a string, which it might take for a URL or a file name to open. Links relative to the
    feed are made absolute against `url`.
    """
    import feedparser

    parsed = feedparser.parse(io.BytesIO(first_items(without_doctype(body), limit)), response_headers={"content-location": url} if url else None,
                              sanitize_html=True, resolve_relative_uris=True)
    items = []
    for entry in parsed.entries[:max(0, limit)]:
        link = _entry_link(entry, url)
        if not link:
            continue
        published = entry.get("published_parsed") or entry.get("updated_parsed")
        content = entry.get("content") or []
        items.append({
            "url": link,
            "title": _plain(entry.get("title")),
            "published": "%04d-%02d-%02dT%02d:%02d:%02dZ" % tuple(published[:6]) if published else None,
            "summary": _plain(entry.get("summary")),
            "content": _plain(content[0].get("value")) if content else "",  # content:encoded or Atom <content>
        })
    return items


def _entry_link(entry, base: str) -> str | None:
    link = entry.get("link")
    for candidate in entry.get("links") or []:
        if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
            link = candidate["href"]
            break
    if not link and entry.get("guidislink"):
        link = entry.get("id")
    if not link:
        return None
    link = urljoin(base, link.strip()) if base else link.strip()
    return link if urlsplit(link).scheme in ("http", "https") else None


def looks_like_feed(content_type: str, body: bytes) -> bool:
    """A feed by its declared type, or an XML document whose root is rss, feed or rdf:RDF."""
    from .fetch import FEED_TYPES

    if content_type in FEED_TYPES:
        return True
    head = body[:2048].lstrip().lower()
    return head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf")) and any(t in head for t in (b"<rss", b"<feed", b"<rdf:rdf"))


def feed_links(html: bytes, base: str) -> list[str]:
    """The feeds a page advertises: <link rel="alternate" type="application/rss+xml|atom+xml" href=...>, absolute."""
    from lxml import etree, html as lxml_html

    try:
        tree = lxml_html.fromstring(html[:1_000_000])
    except (etree.ParserError, ValueError):
        return []
    found = []
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        href = (link.get("href") or "").strip()
        if "alternate" in rel and kind in FEED_LINK_TYPES and href:
            absolute = urljoin(base, href)
            if urlsplit(absolute).scheme in ("http", "https") and absolute not in found:
                found.append(absolute)
    return found
