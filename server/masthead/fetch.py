"""The guarded fetcher, Masthead's only network code: public addresses only, size, type and time caps, robots.txt, a delay per host."""

from __future__ import annotations

import concurrent.futures
import http.client
import ipaddress
import logging
import os
import socket
import ssl
import threading
import time
import zlib
from dataclasses import dataclass, field
from urllib import robotparser
from urllib.parse import urljoin, urlsplit

from . import __version__

__all__ = [
    "Fetcher", "Response", "FetchError", "HTTPStatusError", "Refused", "check_address",
    "USER_AGENT", "PAGE_TYPES", "FEED_TYPES", "MAX_PAGE_BYTES",
]

log = logging.getLogger("masthead.fetch")

USER_AGENT = f"Masthead/{__version__} (self-hosted news-context server; related-coverage indexer)"
PAGE_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml", "application/rdf+xml")
ROBOTS_TYPES = ("text/plain",)
CONDITIONAL = ("if-none-match", "if-modified-since")  # the request headers a caller may add
# One page or record, decompressed: the fetcher's cap, and ingest's for every record it reads from a file.
MAX_PAGE_BYTES = 5 * 1024 * 1024
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
RESOLVER_THREADS = 4
_resolver_pool: tuple[int, concurrent.futures.ThreadPoolExecutor] | None = None
_resolver_lock = threading.Lock()


def _resolvers() -> concurrent.futures.ThreadPoolExecutor:
    """The threads that run name lookups, per process: a forked worker inherits its parent's pool object but
    not its threads, so it makes its own."""
    global _resolver_pool
    with _resolver_lock:
        if _resolver_pool is None or _resolver_pool[0] != os.getpid():
            _resolver_pool = (os.getpid(), concurrent.futures.ThreadPoolExecutor(RESOLVER_THREADS, thread_name_prefix="masthead-dns"))
        return _resolver_pool[1]


class FetchError(Exception):
    """A fetch that failed; the message is the reason shown in the ingest summary."""


class HTTPStatusError(FetchError):
    """The server answered with a status other than 200 (or 304 to a conditional request): `status`, and
    `retry_after`, the Retry-After header as sent (seconds or an HTTP date), for a follower's backoff."""

    def __init__(self, status: int, retry_after: str | None = None):
        super().__init__(f"HTTP {status}")
        self.status, self.retry_after = status, retry_after


class Refused(FetchError):
    """A fetch the guard refused: scheme, address, robots.txt, type or size."""


def check_address(address: str, allow: tuple = ()) -> None:
    """Raise Refused unless `address` is a public unicast address (or inside an explicitly allowed network)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:a.b.c.d reaches a.b.c.d: judge that address
    if any(ip in network for network in allow):
        return
    embedded = []
    if ip.version == 6:
        embedded = [ip.sixtofour, ip.teredo[1] if ip.teredo else None]
        if ip in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    for candidate in [ip, *[e for e in embedded if e is not None]]:
        if (candidate.is_loopback or candidate.is_private or candidate.is_link_local or candidate.is_multicast
                or candidate.is_reserved or candidate.is_unspecified or not candidate.is_global):
            raise Refused(f"refused address {address}: not a public address")


@dataclass
class Response:
    url: str  # after redirects
    status: int
    content_type: str
    body: bytes
    headers: dict = field(default_factory=dict)


class _Watchdog:
    """Shuts a connection's socket when the fetch's deadline passes, whatever it is waiting for.

    Socket timeouts bound each read, not their sum: a server that sends a byte every few seconds (headers
    included) never trips them. Shutting the socket down wakes the blocked read at once; `expired` then
    says why it ended, so a body cut short is never taken for a whole one.
    """

    def __init__(self, seconds: float):
        self.expired = threading.Event()
        self._sock = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, seconds), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock) -> None:
        with self._lock:
            self._sock = sock
            if self.expired.is_set():
                self._shut()

    def _expire(self) -> None:
        with self._lock:
            self.expired.set()
            self._shut()

    def _shut(self) -> None:
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # closed already

    def cancel(self) -> None:
        self._timer.cancel()


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the address the guard checked, not to whatever the name resolves to next."""

    def __init__(self, host, port, address, timeout, watchdog: _Watchdog):
        super().__init__(host, port, timeout=timeout)
        self._address, self._watchdog = address, watchdog

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self._watchdog.watch(self.sock)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout, context, watchdog: _Watchdog):
        super().__init__(host, port, timeout=timeout, context=context)
        self._address, self._watchdog = address, watchdog

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self._watchdog.watch(sock)  # the TLS handshake is under the deadline too
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # certificate checked for the name
        self._watchdog.watch(self.sock)


class Fetcher:
    """Polite, guarded HTTP GET: http/https only, public addresses only, robots.txt, a per-host delay, caps.

    `timeout` bounds each network operation; `deadline` (default 3 x timeout) is one wall-clock limit on a whole
    fetch(): robots.txt, every redirect hop, waiting for the host's turn, connecting, the headers and the body.
    `allow` lists networks (CIDR strings) exempt from the address guard — for tests against a local server only.
    """

    def __init__(self, user_agent: str = USER_AGENT, timeout: float = 10.0, max_bytes: int = MAX_PAGE_BYTES,
                 delay: float = 1.0, max_redirects: int = 5, robots: bool = True, allow: tuple | list = (),
                 deadline: float | None = None):
        self.user_agent, self.timeout, self.max_bytes = user_agent, timeout, max_bytes
        self.deadline = deadline if deadline is not None else timeout * 3
        self.delay, self.max_redirects, self.robots = delay, max_redirects, robots
        self.allow = tuple(ipaddress.ip_network(n) for n in allow)
        self._robots: dict[str, robotparser.RobotFileParser | None] = {}
        self._last: dict[str, float] = {}
        self._host_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._tls = ssl.create_default_context()

    def fetch(self, url: str, accept: tuple[str, ...] = PAGE_TYPES, headers: dict | None = None) -> Response:
        """GET `url`, following at most max_redirects redirects, each hop checked again, all within the deadline.

        `headers` adds request headers: only the conditional ones (If-None-Match, If-Modified-Since) are sent, and
        with them a 304 answer is returned as a Response with status 304 and no body.
        """
        deadline = time.monotonic() + self.deadline
        extra = {k: v for k, v in (headers or {}).items() if k.lower() in CONDITIONAL and v}
        for _ in range(self.max_redirects + 1):
            if self.robots and not self._robots_allow(url, deadline):
                raise Refused(f"robots.txt disallows {url}")
            response = self._get(url, accept, deadline, extra)
            if response.status == 304 and extra:
                return response
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("location")
                if not location:
                    raise FetchError(f"HTTP {response.status} without Location")
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise HTTPStatusError(response.status, response.headers.get("retry-after"))
            return response
        raise FetchError(f"more than {self.max_redirects} redirects")

    def _robots_allow(self, url: str, deadline: float) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            known = origin in self._robots
            parser = self._robots.get(origin)
        if not known:
            parser = robotparser.RobotFileParser()
            try:
                robots_url = origin + "/robots.txt"
                for _ in range(self.max_redirects + 1):  # e.g. http -> https; every hop is guarded again
                    response = self._get(robots_url, ROBOTS_TYPES + PAGE_TYPES, deadline)
                    if response.status not in (301, 302, 303, 307, 308) or not response.headers.get("location"):
                        break
                    robots_url = urljoin(robots_url, response.headers["location"])
                if response.status == 200:
                    parser.parse(response.body.decode("utf-8", "replace").splitlines())
                elif 400 <= response.status < 500:
                    parser.allow_all = True  # RFC 9309: no robots.txt means no rules
                else:
                    parser.disallow_all = True  # 5xx: the site may be down; try again another time
            except Refused:
                raise
            except FetchError as exc:
                log.info("robots.txt for %s: %s; treating as allowed", origin, exc)
                parser.allow_all = True
            with self._lock:
                self._robots[origin] = parser
        return parser.can_fetch(self.user_agent, url)

    def _resolve(self, host: str, port: int, deadline: float) -> str:
        # getaddrinfo() takes no timeout, and a resolver that never answers would hold this request (and a server
        # thread) for as long as the system's resolver retries: the lookup runs on one of a few resolver threads
        # and is given up at the deadline (the thread finishes on its own; the pool bounds how many can hang).
        lookup = _resolvers().submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        try:
            infos = lookup.result(timeout=max(0.001, min(self.timeout, deadline - time.monotonic())))
        except concurrent.futures.TimeoutError:
            lookup.cancel()
            raise FetchError(f"timed out resolving {host}") from None
        except socket.gaierror as exc:
            raise FetchError(f"cannot resolve {host}: {exc.strerror}") from None
        addresses = [info[4][0] for info in infos]
        for address in addresses:  # every address the name has must be public, not just the first
            check_address(address, self.allow)
        return addresses[0]

    def _left(self, deadline: float) -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchError(f"timed out: the fetch took more than {self.deadline:g} s")
        return left

    def _wait_turn(self, host: str, deadline: float) -> threading.Lock:
        with self._lock:
            lock = self._host_locks.setdefault(host, threading.Lock())
        if not lock.acquire(timeout=self._left(deadline)):  # another fetch of this host may be the slow one
            raise FetchError(f"timed out waiting for another request to {host}")
        pause = self._last.get(host, 0.0) + self.delay - time.monotonic()
        if pause > 0:
            if pause >= deadline - time.monotonic():
                lock.release()
                raise FetchError(f"timed out waiting for the delay between two requests to {host}")
            time.sleep(pause)
        return lock

    def _get(self, url: str, accept: tuple[str, ...], deadline: float, extra: dict | None = None) -> Response:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise Refused(f"refused scheme {parts.scheme or '(none)'}: only http and https")
        if parts.username or parts.password:
            raise Refused("refused URL with credentials")
        host = parts.hostname
        if not host:
            raise Refused("no host in URL")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise Refused("bad port") from None
        address = self._resolve(host, port, deadline)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lock = self._wait_turn(host, deadline)
        watchdog = None
        try:
            watchdog = _Watchdog(self._left(deadline))
            timeout = max(0.001, min(self.timeout, deadline - time.monotonic()))
            if parts.scheme == "https":
                conn = _PinnedHTTPS(host, port, address, timeout, self._tls, watchdog)
            else:
                conn = _PinnedHTTP(host, port, address, timeout, watchdog)
            try:
                conn.request("GET", path, headers={
                    "User-Agent": self.user_agent, "Accept": ", ".join(accept) + ", */*;q=0.1",
                    "Accept-Encoding": "gzip, deflate", "Connection": "close", **(extra or {}),
                })
                raw = conn.getresponse()
                headers = {k.lower(): v for k, v in raw.getheaders()}
                status = raw.status
                if status in (301, 302, 303, 307, 308) or status != 200:
                    return Response(url, status, headers.get("content-type", ""), b"", headers)
                content_type = headers.get("content-type", "").split(";")[0].strip().lower()
                if content_type and content_type not in accept:
                    raise Refused(f"refused content type {content_type}")
                declared = headers.get("content-length")
                if declared and declared.isascii() and declared.isdigit() and int(declared) > self.max_bytes:
                    raise Refused(f"too large: {declared} bytes (cap {self.max_bytes})")
                body = self._read(raw, headers.get("content-encoding", ""))
                if watchdog.expired.is_set():  # the socket was shut mid-body: what was read is not the page
                    raise FetchError(f"timed out: the fetch took more than {self.deadline:g} s")
                return Response(url, status, content_type, body, headers)
            except (OSError, http.client.HTTPException, zlib.error) as exc:
                if watchdog.expired.is_set():
                    raise FetchError(f"timed out: the fetch took more than {self.deadline:g} s") from None
                raise FetchError(f"{type(exc).__name__}: {exc}") from None
            finally:
                conn.close()
        finally:
            if watchdog is not None:
                watchdog.cancel()
            self._last[host] = time.monotonic()
            lock.release()

    def _read(self, raw, encoding: str) -> bytes:
        encoding = encoding.strip().lower()
        decoder = zlib.decompressobj(31 if encoding == "gzip" else 15) if encoding in ("gzip", "deflate") else None
        chunks, size = [], 0
        while True:
            chunk = raw.read(65536)
            if not chunk:
                break
            if decoder is not None:
                chunk = decoder.decompress(chunk, self.max_bytes + 1 - size)
            size += len(chunk)
            if size > self.max_bytes:
                raise Refused(f"too large: more than {self.max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
