"""Reader pages fetched for an answer: the guarded fetcher, a few fetch slots, and a cache bounded in bytes."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from urllib.parse import urlsplit

from ..corpus import RecordError
from ..extract import extract_html
from ..fetch import Fetcher

__all__ = ["ReaderPages", "Busy", "FETCH_SLOTS", "CACHE_BYTES"]

log = logging.getLogger("masthead.service")

FETCH_SLOTS = 2  # reader pages fetched at once per worker process: a slow site never holds every thread
CACHE_BYTES = 32 * 1024 * 1024  # extracted text kept per worker: a count alone let 200 large pages take 1 GB (issue 26)
CACHE_ITEMS = 256


class Busy(Exception):
    """Every fetch slot is taken: answer without the page this time (never cached)."""


class ReaderPages:
    """The page a reader is on, fetched and extracted once and kept in memory only: the popup asks again on every
    open. A failed fetch is remembered for a minute only, so that a page that was briefly down can be tried again.
    """

    def __init__(self, allow=(), ttl: float = 600.0, failure_ttl: float = 60.0, max_bytes: int = CACHE_BYTES,
                 max_items: int = CACHE_ITEMS):
        # The reader is waiting: 4 s per network operation, 12 s in all (connect, headers, body, redirects).
        self.fetcher = Fetcher(timeout=4.0, deadline=12.0, max_bytes=3 * 1024 * 1024, delay=0.5, allow=tuple(allow or ()))
        self.ttl, self.failure_ttl = ttl, failure_ttl
        self.max_bytes, self.max_items = max_bytes, max_items
        self.items: OrderedDict[str, tuple[float, object, int]] = OrderedDict()
        self.bytes = 0
        self.lock = threading.Lock()
        self.slots = threading.BoundedSemaphore(FETCH_SLOTS)

    def get(self, url: str):
        """The extracted record of `url`, or the exception that says why there is none (Busy is never cached)."""
        now = time.monotonic()
        with self.lock:
            hit = self.items.get(url)
            if hit and now - hit[0] < (self.failure_ttl if isinstance(hit[1], Exception) else self.ttl):
                self.items.move_to_end(url)
                return hit[1]
        value = self._load(url)
        if not isinstance(value, Busy):
            self._keep(url, now, value)
        return value

    def forget(self, url: str) -> None:
        with self.lock:
            self._drop(url)

    def _load(self, url: str):
        if not self.slots.acquire(blocking=False):
            return Busy("the server is fetching other pages; try again shortly")
        try:
            response = self.fetcher.fetch(url)
            record = extract_html(response.body, url=response.url)
            return record if record is not None else RecordError("no article text found on the page")
        except Exception as exc:  # a page we cannot fetch still gets an answer from its title
            # The host only: the reader's full URL never goes to the log.
            log.info("could not fetch the reader's page on %s: %s", urlsplit(url).hostname, type(exc).__name__)
            return exc
        finally:
            self.slots.release()

    def _keep(self, url: str, now: float, value) -> None:
        size = _size(value)
        if size > self.max_bytes:
            return
        with self.lock:
            self._drop(url)
            self.items[url] = (now, value, size)
            self.bytes += size
            while self.bytes > self.max_bytes or len(self.items) > self.max_items:
                self._drop(next(iter(self.items)))

    def _drop(self, url: str) -> None:
        found = self.items.pop(url, None)
        if found is not None:
            self.bytes -= found[2]


def _size(value) -> int:
    """What a cached value holds in memory, near enough: its text fields (UTF-8 bytes are a fair proxy)."""
    if isinstance(value, dict):
        return 256 + sum(len(v) for v in value.values() if isinstance(v, str))
    return 256
