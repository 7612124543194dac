"""A local feed server on 127.0.0.1 for `follow` tests and the bench: generated feeds and article pages, and
answers on demand (304, 429/503 with Retry-After, slow, gzip, redirects, entity bombs)."""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import threading
import time
from urllib.parse import urlsplit

from local_site import LoopbackServer, QuietHandler

__all__ = ["FeedServer", "article_html", "rss", "atom", "rdf"]

WORDS = ("harbour council treaty grain minister budget river festival court election railway school hospital "
         "museum drought storm factory union strike bridge tariff border energy wind solar port fishing mining "
         "vaccine clinic archive library theatre orchestra league stadium coach farmers market bank inflation").split()


def article_text(key: str, paragraphs: int = 4) -> tuple[str, str]:
    """A headline and a few paragraphs of plain words, different for every key (and the same for the same key)."""
    seed = int(hashlib.sha256(key.encode()).hexdigest(), 16)
    words = [WORDS[(seed >> (i * 3)) % len(WORDS)] for i in range(60)]
    title = f"{' '.join(words[:6]).capitalize()} {seed % 100000}"
    body = []
    for p in range(paragraphs):
        sentence = " ".join(words[(p * 7) % 40:(p * 7) % 40 + 18])
        body.append(f"{sentence.capitalize()} in report {key} said officials on {p + 1} occasions, adding that "
                    f"the {words[p]} and the {words[p + 5]} would be discussed again at the next session of the council.")
    return title, "\n".join(body)


def article_html(key: str, title: str | None = None, published: str = "2026-03-01T10:00:00Z") -> bytes:
    headline, text = article_text(key)
    title = title or headline
    paragraphs = "".join(f"<p>{p}</p>" for p in text.split("\n"))
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta property="og:title" content="{title}"><meta property="article:published_time" content="{published}">'
            f'</head><body><article><h1>{title}</h1>{paragraphs}</article></body></html>').encode()


def rss(items: list[tuple[str, str, str | None]], extra: str = "") -> bytes:
    """RSS 2.0 from (link, title, pubDate or None)."""
    body = "".join(f"<item><title>{t}</title><link>{link}</link>" + (f"<pubDate>{d}</pubDate>" if d else "") + "</item>"
                   for link, t, d in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            f"<channel><title>Feed</title><link>http://example.invalid/</link>{extra}{body}</channel></rss>").encode()


def atom(items: list[tuple[str, str, str | None]]) -> bytes:
    body = "".join(f'<entry><title>{t}</title><link rel="alternate" href="{link}"/><id>{link}</id>'
                   + (f"<updated>{d}</updated>" if d else "") + "</entry>" for link, t, d in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Feed</title>'
            f"{body}</feed>").encode()


def rdf(items: list[tuple[str, str, str | None]]) -> bytes:
    body = "".join(f'<item rdf:about="{link}"><title>{t}</title><link>{link}</link>'
                   + (f"<dc:date>{d}</dc:date>" if d else "") + "</item>" for link, t, d in items)
    return ('<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<channel rdf:about="x"><title>Feed</title></channel>{body}</rdf:RDF>').encode()


class FeedServer(LoopbackServer):
    """`with FeedServer() as server:`; server.base is http://127.0.0.1:PORT. server.routes maps a path to a dict:
    {body, type, status, headers, gzip, delay, etag}; a path under /a/ not in routes is a generated article page.
    server.requests logs (path, request headers)."""

    def __init__(self) -> None:
        self.routes: dict[str, dict] = {}
        self.published = lambda path: "2026-03-01T10:00:00Z"  # the date a generated article page gives
        self.requests: list[tuple[str, dict]] = []
        self.lock = threading.Lock()
        server = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self):
                headers = {k.lower(): v for k, v in self.headers.items()}
                with server.lock:
                    server.requests.append((self.path, headers))
                path = urlsplit(self.path).path
                route = server.routes.get(path)
                if route is None and path == "/robots.txt":
                    return self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
                if route is None and path.startswith("/a/"):
                    route = {"body": article_html(path, published=server.published(path)), "type": "text/html; charset=utf-8"}
                if route is None:
                    return self._send(404, b"not found", "text/plain")
                if route.get("delay"):
                    time.sleep(route["delay"])
                status = route.get("status", 200)
                extra = dict(route.get("headers") or {})
                body = route.get("body", b"")
                if status == 200 and route.get("etag"):
                    etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                    extra["ETag"] = etag
                    extra["Last-Modified"] = email.utils.formatdate(route.get("modified", 1767225600), usegmt=True)
                    if headers.get("if-none-match") == etag:
                        return self._send(304, b"", route.get("type", "application/rss+xml"), extra)
                if status == 200 and route.get("gzip"):
                    body = gzip.compress(body)
                    extra["Content-Encoding"] = "gzip"
                return self._send(status, body if status == 200 else b"", route.get("type", "application/rss+xml"), extra)

        self.listen(Handler)

    def paths(self, since: int = 0) -> list[str]:
        with self.lock:
            return [path for path, _ in self.requests[since:]]
