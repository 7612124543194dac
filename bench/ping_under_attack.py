"""/api/ping while the server is under the attacks of issue 26 (items 4, 6, 7): its latency, beside its latency idle.

- item 4: MASTHEAD_FETCH_PAGES=1, two /api/context requests at a time for a page whose one element carries 40,000
  attributes (served from loopback, allowed with MASTHEAD_FETCH_ALLOW);
- item 6: the corpus on PostgreSQL, stopped; twelve clients searching at once;
- item 7: 32 clients (each from its own loopback address) asking with distinct 2,000-character titles.

Not a test: it prints numbers for docs/RELIABILITY.md. Usage: .venv/bin/python bench/ping_under_attack.py [--seconds 15]
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "server"), str(ROOT / "tests")]

from servers import SMALL_SOURCES, RunningServer  # noqa: E402

ATTRIBUTE_PAGE = ("<html><head><title>Dorvik treaty signed</title></head><body><article><h1>Dorvik treaty signed</h1>"
                  + "<p>The Dorvik treaty was signed by the ministers of both countries today.</p>" * 10
                  + "<div " + " ".join(f"a{i}=x" for i in range(40_000)) + ">x</div></article></body></html>").encode()


def request(port: int, path: str, source: str = "127.0.0.1", timeout: float = 120.0) -> tuple[int, float]:
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    try:
        conn.request("GET", path)
        status = conn.getresponse().status
    except OSError:
        status = 0
    finally:
        conn.close()
    return status, time.monotonic() - started


def pings(port: int, seconds: float) -> list[float]:
    found, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        found.append(request(port, "/api/ping", timeout=60)[1] * 1000)
        time.sleep(0.05)
    return found


def under(port: int, seconds: float, clients: int, path_for, own_addresses: bool = False) -> tuple[list[float], list[int]]:
    """Ping for `seconds` while `clients` threads request path_for(client, n) in a loop, from 127.0.0.1 (as the
    red team did) or, with own_addresses, each from 127.0.0.<client+2>."""
    stop, codes = threading.Event(), []

    def attack(client: int) -> None:
        n = 0
        while not stop.is_set():
            codes.append(request(port, path_for(client, n), source=f"127.0.0.{client + 2}" if own_addresses else "127.0.0.1")[0])
            n += 1

    threads = [threading.Thread(target=attack, args=(c,), daemon=True) for c in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    found = pings(port, seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=150)
    return found, codes


def summary(name: str, latencies: list[float], codes: list[int] | None = None) -> None:
    ordered = sorted(latencies)
    p95 = ordered[int(len(ordered) * 0.95) - 1] if len(ordered) > 1 else ordered[0]
    answered = f"; attack requests: {len(codes)}, statuses {dict(sorted(Counter(codes).items()))}" if codes is not None else ""
    print(f"{name}: /api/ping p50 {statistics.median(ordered):.0f} ms, p95 {p95:.0f} ms, max {ordered[-1]:.0f} ms "
          f"({len(ordered)} pings){answered}")



def serve_page() -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = ATTRIBUTE_PAGE if self.path.startswith("/attrs") else b"User-agent: *\nAllow: /\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/html" if self.path.startswith("/attrs") else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--only", choices=["4", "6", "7"], action="append")
    args = parser.parse_args()
    only = set(args.only or ["4", "6", "7"])
    work = Path(tempfile.mkdtemp(prefix="masthead-ping-"))
    if "7" in only or "4" in only:
        page = serve_page()
        port = page.server_address[1]
        server = RunningServer(SMALL_SOURCES, work / "corpus.db", workers=2,
                               env={"MASTHEAD_FETCH_PAGES": "1", "MASTHEAD_FETCH_ALLOW": "127.0.0.0/8"})
        try:
            summary("idle", pings(server.port, 5))
            if "7" in only:
                title = "Dorvik treaty vote delayed as ministers argue " * 44
                for own, name in ((False, "one address"), (True, "32 addresses")):
                    found, codes = under(server.port, args.seconds, 32,
                                         lambda c, n: f"/api/context?url=https://unknown-{c}-{n}.example/a&title={c}-{n}+{title[:1990]}".replace(" ", "+"),
                                         own_addresses=own)
                    summary(f"item 7, 32 clients ({name}) with distinct 2,000-character titles", found, codes)
            if "4" in only:
                found, codes = under(server.port, args.seconds, 2,
                                     lambda c, n: f"/api/context?url=http://127.0.0.1:{port}/attrs-{c}-{n}.html")
                summary("item 4, two clients asking for 40,000-attribute pages", found, codes)
        finally:
            server.stop()
            page.shutdown()
    if "6" in only:
        import pg

        database = pg.PostgresServer(settings={"fsync": "off"})
        server = RunningServer(SMALL_SOURCES, database.url, workers=2, config=work / "config")
        try:
            assert server.get("/api/search", params={"q": "treaty"}).status_code == 200
            database.pause()
            found, codes = under(server.port, args.seconds, 12, lambda c, n: "/api/search?q=treaty")
            summary("item 6, PostgreSQL stopped, 12 clients searching", found, codes)
            context = [request(server.port, "/api/context?url=https://freepress.example/a&limit=0")[1] * 1000 for _ in range(20)]
            summary("item 6, /api/context?limit=0 (measured as a ping)", context)
        finally:
            server.stop()
            database.stop()


if __name__ == "__main__":
    main()
