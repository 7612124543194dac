"""`masthead follow`: poll the listed feeds politely (conditional GET, adaptive intervals, backoff) and store new items as ingest does."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import os
import queue
import socket
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Iterator
from urllib.parse import urlsplit

from . import urls
from .corpus import Corpus, RecordError
from .feeds import COMMON_PATHS, feed_links, looks_like_feed, parse_feed
from .fetch import FEED_TYPES, PAGE_TYPES, FetchError, Fetcher, HTTPStatusError
from .ingest import Summary, Writer, fetch_record

__all__ = ["Follower", "follow_health", "followed_outlets", "MIN_INTERVAL", "MAX_INTERVAL", "LEASE_SECONDS"]

log = logging.getLogger("masthead.follow")

MIN_INTERVAL, MAX_INTERVAL = 600, 6 * 3600  # seconds between two polls of one feed
FIRST_INTERVAL = 1800
DEAD_AFTER = 3 * 86400  # failing this long (and at least DEAD_FAILURES times): dead, polled once a day
DEAD_FAILURES = 8
DEAD_RETRY = 86400
MAX_RETRY_AFTER = 86400  # a Retry-After further away than this is taken as this
# A follower that stops renewing is replaced within a minute (tests set a shorter lease in the environment).
LEASE_SECONDS = float(os.environ.get("MASTHEAD_FOLLOW_LEASE", "45"))
ROUND_PAUSE = 60  # seconds between rounds when nothing is due sooner
COMMIT_EVERY, COMMIT_SECONDS = 50, 2.0  # pages per commit, or seconds since the batch opened


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(iso: str | None) -> float:
    if not iso:
        return 0.0
    return dt.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc).timestamp()


def _retry_after(value: str | None, now: float) -> float | None:
    """Retry-After as seconds from now, whether sent as seconds or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return min(max(0.0, when - now), MAX_RETRY_AFTER)


def followed_outlets(registry, outlets=(), countries=(), languages=()) -> list:
    """The curated outlets to follow: all, or those named / in the countries / publishing in the languages given."""
    chosen = []
    for outlet in registry.outlets.values():
        if not outlet.curated or outlet.parent:
            continue
        if outlets and outlet.id not in outlets:
            continue
        if countries and (outlet.country or "").upper() not in {c.upper() for c in countries}:
            continue
        if languages and not set(outlet.languages) & set(languages):
            continue
        chosen.append(outlet)
    return chosen


@dataclass
class Round:
    """What one round did: feeds polled, how they answered, and the ingest summary of the pages stored."""

    polled: int = 0
    not_modified: int = 0
    failed: int = 0
    new_items: int = 0
    discovered: int = 0
    pruned: int = 0
    seconds: float = 0.0
    leader: bool = True
    summary: Summary = field(default_factory=Summary)

    def lines(self) -> list[str]:
        if not self.leader:
            return ["another host is following (its lease is current); waiting"]
        head = (f"round: {self.polled} feeds polled, {self.not_modified} not modified, {self.failed} failed, "
                f"{self.new_items} new items" + (f", {self.discovered} feeds discovered" if self.discovered else "")
                + (f", {self.pruned} old articles pruned" if self.pruned else "") + f" in {self.seconds:.1f} s")
        return [head, *self.summary.lines()]


class Follower:
    """One follower over one corpus. round() polls the feeds that are due; run() repeats until `stop` is set."""

    def __init__(self, corpus: Corpus, registry, fetcher: Fetcher | None = None, *, outlets=(), countries=(),
                 languages=(), keep_days: int | None = None, embedding: bool = False, discover: bool = False,
                 workers: int = 4, clock=time.time, holder: str | None = None):
        self.corpus, self.registry, self.fetcher = corpus, registry, fetcher or Fetcher()
        self.outlets = followed_outlets(registry, outlets, countries, languages)
        self.keep_days, self.embedding, self.discover, self.workers = keep_days, embedding, discover, workers
        self.clock = clock
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stop = threading.Event()
        self.lost = threading.Event()  # the lease went to another host mid-round: fetch nothing more
        self._renewed = 0.0

    # --- which feeds, and when ---

    def feeds(self) -> list[tuple[str, str]]:
        """(feed URL, outlet id) of every followed feed: the listed ones, and those discovered for outlets without."""
        chosen, listed = [], set()
        ids = {outlet.id for outlet in self.outlets}
        for outlet in self.outlets:
            for url in outlet.feeds:
                chosen.append((url, outlet.id))
                listed.add(outlet.id)
        for state in self.corpus.feed_states():
            if state["discovered"] and state["outlet_id"] in ids and state["outlet_id"] not in listed:
                chosen.append((state["url"], state["outlet_id"]))
        return chosen

    def _due(self, states: dict[str, dict], now: float) -> list[tuple[str, str]]:
        due = []
        for url, outlet_id in self.feeds():
            state = states.get(url)
            if state is None or max(_epoch(state["next_poll"]), _epoch(state["retry_after"])) <= now:
                due.append((url, outlet_id))
        return due

    # --- a round ---

    def _lease(self) -> bool:
        """Take or renew the follow lease. A holder on this machine whose process is gone (killed) is replaced at
        once rather than after the lease expires."""
        holder = self.corpus.take_lease(self.holder, LEASE_SECONDS)
        if holder != self.holder and _dead_here(holder):
            holder = self.corpus.take_lease(self.holder, LEASE_SECONDS, replacing=holder)
        return holder == self.holder

    def round(self) -> Round:
        started = time.monotonic()
        report = Round()
        if not self._lease():
            report.leader = False
            return report
        self.lost.clear()
        self._renewed = time.monotonic()
        now = self.clock()
        states = {s["url"]: s for s in self.corpus.feed_states()}
        if self.discover:
            report.discovered = self._discover(states, now)
            states = {s["url"]: s for s in self.corpus.feed_states()}
        due = self._due(states, now)
        fetched = self._fetch_all([(url, "feed", dict(states.get(url) or {"url": url, "interval": FIRST_INTERVAL}) | {"outlet_id": outlet_id})
                                   for url, outlet_id in due])
        pending_states, pages, seen = [], [], set()
        cutoff = _iso(now - self.keep_days * 86400)[:10] if self.keep_days else None
        for url, state, outcome in fetched:
            report.polled += 1
            outlet_id = state["outlet_id"]
            new = self._new_items(outcome, cutoff, seen) if isinstance(outcome, tuple) else []
            self._update(state, outcome, bool(new), now, report)
            pages.extend((item, outlet_id) for item in new)
            report.new_items += len(new)
            # A changed feed's validators wait until its items are committed: a kill before that asks for the
            # whole feed again next time (stored pages are still skipped); anything else is saved now.
            if new:
                pending_states.append(state)
            else:
                self.corpus.save_feed_state(state)
        self._store(pages, report.summary)
        if self.stop.is_set() or self.lost.is_set():
            return report  # some items were left unfetched: their feeds are read whole again next time
        for state in pending_states:
            self.corpus.save_feed_state(state)
        if cutoff:
            report.pruned = self.corpus.prune(cutoff)
            if report.pruned:
                self.corpus.compact()
        self.corpus.note_round(_iso(self.clock()))
        report.seconds = time.monotonic() - started
        return report

    def _fetch_all(self, jobs: list[tuple[str, str, object]]) -> Iterator[tuple[str, object, object]]:
        """Fetch in threads, one host at a time each (the fetcher waits its delay between two requests to a host);
        results come back to this thread, the only one that touches the corpus, as they arrive. Stops early when
        asked to."""
        by_host: dict[str, list] = defaultdict(list)
        for job in jobs:
            by_host[urlsplit(job[0]).hostname or ""].append(job)
        # Bounded: fetching never runs far ahead of storing (and embedding), so memory stays small and a stop
        # leaves little fetched-but-unstored work to finish.
        results: queue.Queue = queue.Queue(maxsize=4 * max(1, self.workers))

        def work(host_jobs):
            for url, role, payload in host_jobs:
                if self.stop.is_set() or self.lost.is_set():
                    results.put(None)
                    continue
                results.put((url, payload, self._fetch(url, role, payload)))

        with ThreadPoolExecutor(max_workers=max(1, self.workers)) as pool:
            for host_jobs in by_host.values():
                pool.submit(work, host_jobs)
            for _ in range(len(jobs)):
                item = results.get()
                if item is not None:
                    yield item
                if time.monotonic() - self._renewed > LEASE_SECONDS / 3:
                    self._renewed = time.monotonic()
                    if not self._lease():
                        log.warning("the follow lease went to another host; this round stops here")
                        self.lost.set()

    def _fetch(self, url: str, role: str, payload):
        if role == "page":
            return fetch_record(self.fetcher, url)
        state = payload if isinstance(payload, dict) else {}
        try:
            response = self.fetcher.fetch(url, accept=FEED_TYPES + PAGE_TYPES, headers={
                "If-None-Match": state.get("etag"), "If-Modified-Since": state.get("last_modified")})
        except FetchError as exc:
            return exc
        if response.status == 304:
            return "not modified"
        if not looks_like_feed(response.content_type, response.body):
            return FetchError(f"not a feed: {response.content_type or 'no content type'}")
        try:
            return parse_feed(response.body, response.url), response.headers
        except Exception as exc:  # a broken feed is that feed's failure, never the round's
            return FetchError(f"unreadable feed: {type(exc).__name__}: {exc}")

    def _new_items(self, outcome: tuple, cutoff: str | None, seen: set) -> list[dict]:
        items, _ = outcome
        new = []
        for item in items:
            try:
                canonical = urls.normalise(item["url"]).url
            except urls.URLError:
                continue
            if canonical in seen or (cutoff and item["published"] and item["published"][:10] < cutoff):
                continue  # an item older than --keep-days would be pruned as soon as stored
            seen.add(canonical)
            if not self.corpus.has_url(canonical):  # a page already stored is never fetched again
                new.append(item | {"url": canonical})
        return new

    def _update(self, state: dict, outcome, changed: bool, now: float, report: Round) -> None:
        state["last_poll"] = _iso(now)
        interval = int(state.get("interval") or FIRST_INTERVAL)
        if isinstance(outcome, Exception):
            report.failed += 1
            state["failures"] = int(state.get("failures") or 0) + 1
            state["last_error"] = f"{_iso(now)} {outcome}"[:500]
            wait = min(MAX_INTERVAL, MIN_INTERVAL * 2 ** min(state["failures"] - 1, 10))
            told = _retry_after(outcome.retry_after, now) if isinstance(outcome, HTTPStatusError) else None
            if told is not None:
                wait = max(wait, told)
                state["retry_after"] = _iso(now + told)
            state["failing_since"] = state.get("failing_since") or _iso(now)
            failing_since = _epoch(state["failing_since"])
            if not state.get("dead_since") and state["failures"] >= DEAD_FAILURES and now - failing_since >= DEAD_AFTER:
                state["dead_since"] = _iso(now)
                if state.get("discovered"):
                    state["last_found_dead"] = _iso(now)
            if state.get("dead_since"):
                wait = max(wait, DEAD_RETRY)
            state["next_poll"] = _iso(now + wait)
            return
        state.update(failures=0, failing_since=None, dead_since=None, retry_after=None, last_success=_iso(now))
        if outcome == "not modified":
            report.not_modified += 1
        else:
            _, headers = outcome
            state["etag"], state["last_modified"] = headers.get("etag"), headers.get("last-modified")
        if changed:
            state["last_changed"] = _iso(now)
            interval = max(MIN_INTERVAL, interval // 2)
        else:
            interval = min(MAX_INTERVAL, int(interval * 1.5))
        state["interval"] = interval
        state["next_poll"] = _iso(now + interval)

    def _store(self, pages: list[tuple[dict, str]], summary: Summary) -> None:
        """Fetch, extract (and embed) each new item's page and store it through ingest's writer, which commits as it goes."""
        started = time.monotonic()
        items = {item["url"]: (item, outlet_id) for item, outlet_id in pages}
        # Small batches: pages arrive at the pace of the network, and a kill loses at most a few seconds of them.
        with Writer(self.corpus, self.registry, summary, lambda done, total: None, self.embedding,
                    batch=COMMIT_EVERY, batch_seconds=COMMIT_SECONDS) as writer:
            for url, (item, outlet_id), outcome in self._fetch_all([(u, "page", v) for u, v in items.items()]):
                if isinstance(outcome, dict):
                    outcome["published"] = outcome.get("published") or item["published"]  # the page's date first
                    if self.registry is not None and self.registry.match_url(url) is None:
                        outcome.setdefault("outlet", outlet_id)
                elif isinstance(outcome, (RecordError, FetchError)) and len(item.get("content") or "") >= 200:
                    # no readable page, but the feed carries the article (content:encoded): store that
                    outcome = {"url": url, "title": item["title"], "text": item["content"],
                               "published": item["published"], "outlet": outlet_id}
                writer.put(url, outcome, "follow")
        summary.seconds += time.monotonic() - started

    # --- discovery ---

    def _discover(self, states: dict[str, dict], now: float) -> int:
        """For each followed outlet without a listed or discovered feed: its homepage's advertised feeds, else a few
        common paths. Found feeds are remembered in the database; an outlet whose discovered feed died is tried again
        after a week."""
        have = {s["outlet_id"] for s in states.values() if s["discovered"] and not s["dead_since"]}
        found = 0
        for outlet in self.outlets:
            if outlet.feeds or outlet.id in have or self.stop.is_set():
                continue
            home = outlet.homepage or (f"https://{outlet.domains[0]}/" if outlet.domains else None)
            if not home:
                continue
            dead = [s for s in states.values() if s["outlet_id"] == outlet.id and s["last_found_dead"]]
            if dead and now - max(_epoch(s["last_found_dead"]) for s in dead) < 7 * 86400:
                continue
            for url in self.discover_feeds(home):
                self.corpus.save_feed_state({"url": url, "outlet_id": outlet.id, "discovered": True,
                                             "found_at": _iso(now), "interval": FIRST_INTERVAL})
                found += 1
                break
        return found

    def discover_feeds(self, homepage: str) -> list[str]:
        """Feeds for a site: those its homepage advertises (<link rel=alternate>), else the first common path that
        answers with a feed holding items."""
        try:
            response = self.fetcher.fetch(homepage, accept=PAGE_TYPES)
            advertised = feed_links(response.body, response.url)
        except FetchError as exc:
            log.info("discovery: %s: %s", homepage, exc)
            advertised = []
        if advertised:
            return advertised
        for path in COMMON_PATHS:
            candidate = urls_join(homepage, path)
            try:
                response = self.fetcher.fetch(candidate, accept=FEED_TYPES)
            except FetchError:
                continue
            if looks_like_feed(response.content_type, response.body) and parse_feed(response.body, response.url, limit=1):
                return [candidate]
        return []

    # --- running ---

    def run(self, once: bool = False, pause: float = ROUND_PAUSE) -> None:
        """Rounds until stop is set (or one, with once). Between rounds the lease is renewed (or sought) every few
        seconds, so a host that dies is replaced within a minute."""
        leading = True
        try:
            while not self.stop.wait(0):
                report = self.round()
                if report.leader or leading:  # a host that waits says so once, not every round
                    for line in report.lines():
                        log.info("%s", line)
                leading = report.leader
                if once:
                    return
                waited, step = 0.0, LEASE_SECONDS / 3
                while waited < pause and not self.stop.wait(min(step, pause - waited)):
                    waited += step
                    if report.leader and not self._lease():
                        break  # another host took over while this one waited: ask again next round
        finally:
            try:
                self.corpus.release_lease(self.holder)
            except Exception:  # the database may be what stopped us; the lease then expires by itself
                pass


def _dead_here(holder: str | None) -> bool:
    """A holder ("host:pid:nonce") that ran on this machine in a process that no longer exists."""
    host, _, rest = (holder or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def urls_join(base: str, path: str) -> str:
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}{path}"


def follow_health(corpus: Corpus, now: float | None = None) -> dict:
    """The feeds' health for /api/health: how many are ok / failing / dead, articles added in the last 24 h, the last round."""
    now = time.time() if now is None else now
    counts = {"ok": 0, "failing": 0, "dead": 0}
    for state in corpus.feed_states():
        counts["dead" if state["dead_since"] else "failing" if state["failures"] else "ok"] += 1
    added = sum(corpus.added_since(_iso(now - 86400)).values())
    return {"feeds": counts, "articles_24h": added, "last_round": corpus.last_round()}
