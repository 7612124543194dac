"""Ingest's inputs: the kinds of file it reads (JSON Lines, saved HTML pages, WARC), each in one table with how
it is split into units of work, read under the page cap, parsed into a record and counted for progress; folders and
lists of URLs; what a command-line input is."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from .corpus import RecordError
from .extract import extract_html
from .fetch import MAX_PAGE_BYTES, PAGE_TYPES

__all__ = ["FILE_KINDS", "FileKind", "IngestError", "classify", "files_in", "read_url_list", "read_capped", "too_large",
           "read_jsonl", "read_html_file", "read_warc", "records_of"]


class IngestError(ValueError):
    """An input that cannot be read at all (missing file, unknown kind)."""


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


def _jsonl_payloads(path: Path) -> Iterator[tuple[str, bytes | RecordError]]:
    with _open(path) as handle:
        for number, line in enumerate(_lines(handle), start=1):
            if isinstance(line, RecordError) or line.strip():
                yield f"{path.name}:{number}", line


def _parse_jsonl(line: bytes) -> dict:
    try:
        return json.loads(line)
    except ValueError as exc:
        raise RecordError(f"bad JSON: {exc}") from None


def _parse_html_file(path: Path) -> dict:
    return next(read_html_file(path))[1]


def _parse_warc_capture(captured: tuple[str, str, bytes]) -> dict:
    url, date, html = captured
    record = extract_html(html, url=url)
    if record is None:
        raise RecordError("no article text found in the page")
    record["url"], record["fetched_at"] = url, date
    return record


def _count_lines(path: Path) -> int:
    if path.suffix == ".gz":
        return 0
    with open(path, "rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


@dataclass(frozen=True)
class FileKind:
    """One kind of input file. `payloads` yields (where, payload or RecordError), cheaply, in the writing process;
    `parse` turns a payload into a raw record (in a helper process; raises RecordError); `batched` payloads share a
    unit of work (lines), others get one each (a page to extract); `count` is the records known up front (0: not
    known, then guessed from the size)."""

    suffixes: tuple[str, ...]
    payloads: Callable[[Path], Iterator[tuple[str, object]]]
    parse: Callable[[object], dict]
    batched: bool
    count: Callable[[Path], int]


FILE_KINDS: dict[str, FileKind] = {
    "jsonl": FileKind((".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz"), _jsonl_payloads, _parse_jsonl, True, _count_lines),
    "warc": FileKind((".warc", ".warc.gz"), _warc_responses, _parse_warc_capture, False, lambda path: 0),
    "html": FileKind((".html", ".htm", ".xhtml", ".html.gz", ".htm.gz", ".xhtml.gz"), lambda path: iter([(path.name, path)]),
                     _parse_html_file, False, lambda path: 1),
}
URL_LIST_SUFFIXES = (".txt", ".urls", ".list")


def kind_of(path: Path) -> str | None:
    name = path.name.lower()
    return next((kind for kind, spec in FILE_KINDS.items() if name.endswith(spec.suffixes)), None)


def classify(item: str) -> str:
    """'url', 'dir', 'urls' (a text file of URLs), or a FILE_KINDS key."""
    if item.startswith(("http://", "https://")):
        return "url"
    path = Path(item)
    if path.is_dir():
        return "dir"
    if not path.exists():
        raise IngestError(f"{item}: no such file (and not an http(s) URL)")
    kind = kind_of(path)
    if kind is not None:
        return kind
    if path.name.lower().endswith(URL_LIST_SUFFIXES):
        return "urls"
    raise IngestError(f"{item}: unknown kind of file; use .jsonl, .html, .warc(.gz), a folder, or a .txt list of URLs")


def files_in(folder: Path) -> list[tuple[str, Path]]:
    """(kind, path) of every file below `folder` that ingest reads."""
    return [(kind, path) for path in sorted(folder.rglob("*")) if path.is_file() and (kind := kind_of(path))]


def read_url_list(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def records_of(kind: str, payload) -> dict:
    """The raw record of one payload of a FILE_KINDS kind (RecordError when there is none)."""
    record = FILE_KINDS[kind].parse(payload)
    if isinstance(record, Exception):
        raise record
    return record
