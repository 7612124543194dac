"""A local test web site on 127.0.0.1 serving tests/data/site, with redirects, oversize, slow and typed answers on demand."""

from __future__ import annotations

import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

__all__ = ["LocalSite"]

SITE = Path(__file__).parent / "data" / "site"


class QuietHandler(BaseHTTPRequestHandler):
    """What the test servers' handlers share: no request log, and one way to answer."""

    def log_message(self, *args):
        pass

    def _send(self, status, body, kind, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:  # the client gave up (a fetcher past its deadline or size cap)
            pass


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 for one test, started and stopped by `with` (local sites, feed servers)."""

    def listen(self, handler) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class LocalSite(LoopbackServer):
    """Start with `with LocalSite() as site:`; site.base is http://127.0.0.1:PORT; site.requests logs (path, headers)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict]] = []
        self.redirect_robots = False  # True: /robots.txt answers 301 to /robots-moved.txt
        site = self

        class Handler(QuietHandler):
            def do_GET(self):
                site.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                if parts.path == "/robots.txt" and site.redirect_robots:
                    return self._send(301, b"", "text/html", {"Location": "/robots-moved.txt"})
                if parts.path == "/robots-moved.txt":
                    return self._send(200, (SITE / "robots.txt").read_bytes(), "text/plain")
                if parts.path == "/redirect":
                    return self._send(302, b"", "text/html", {"Location": query["to"][0]})
                if parts.path == "/loop":
                    n = int(query.get("n", ["0"])[0])
                    return self._send(302, b"", "text/html", {"Location": f"/loop?n={n + 1}"})
                if parts.path == "/big.html":
                    return self._send(200, b"<html><body>" + b"x" * 300_000 + b"</body></html>", "text/html")
                if parts.path == "/image.png":
                    return self._send(200, b"\x89PNG\r\n\x1a\n", "image/png")
                if parts.path == "/drip":  # a byte every `every` s, for `for` s: the headers, or (part=body) the body
                    return self._drip(float(query.get("every", ["0.2"])[0]), float(query.get("for", ["20"])[0]),
                                      query.get("part", ["headers"])[0])
                if parts.path == "/gzip.html":
                    body = (SITE / "dorvik-vote.html").read_bytes()
                    return self._send(200, gzip.compress(body), "text/html; charset=utf-8", {"Content-Encoding": "gzip"})
                file = (SITE / parts.path.lstrip("/")).resolve()
                if not str(file).startswith(str(SITE.resolve())) or not file.is_file():
                    return self._send(404, b"not found", "text/plain")
                body = file.read_bytes().replace(b"{BASE}", site.base.encode())
                kind = {".xml": "application/rss+xml", ".txt": "text/plain", ".html": "text/html; charset=utf-8"}[file.suffix]
                if file.name == "atom.xml":
                    kind = "application/atom+xml"
                return self._send(200, body, kind)

            def _drip(self, every, seconds, part):
                page = (SITE / "dorvik-vote.html").read_bytes()
                head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                if part == "body":
                    self.wfile.write(head + b"\r\n")  # no length: the body ends when the connection does
                    data = page
                else:
                    data = head + b"X-Slow: " + b"y" * 500 + b"\r\n\r\n" + page
                ends = time.monotonic() + seconds
                try:
                    for i in range(len(data)):
                        if time.monotonic() > ends:
                            self.wfile.write(data[i:])
                            break
                        self.wfile.write(data[i:i + 1])
                        self.wfile.flush()
                        time.sleep(every)
                except OSError:  # the client gave up
                    pass
                self.close_connection = True

        self.listen(Handler)

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]
