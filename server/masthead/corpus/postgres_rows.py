"""Rows in and out of PostgreSQL: new rows of an open write transaction sent by COPY, what a row may hold,
vectors as bytes, day numbers, result rows as dicts."""

from __future__ import annotations

import datetime as dt
import struct

from .base import Article, RecordError
from .text import SKETCH_KEYS, authors_json as _authors_json

__all__ = ["STAGE_ROWS", "check_storable", "sign_bits"]  # and the private helpers postgres.py uses

STAGE_ROWS = 1000  # new articles held in memory before one COPY writes them (inside the open transaction)


class Staged:
    """New articles of the open write transaction not yet sent: written by COPY, a few hundred at a time.

    Row by row, each INSERT waits for the server to build its search document; COPY sends them in one stream.
    Lookups (URL, content hash, sketch keys) consult these rows as well as the database, so a batch that holds
    the same story twice still stores it once.
    """

    def __init__(self):
        self.articles: list[tuple] = []
        self.url_rows: list[tuple] = []
        self.sketch_rows: list[tuple] = []
        self.key_rows: list[tuple] = []
        self.urls: dict[str, tuple] = {}  # url -> (article id, the article's primary URL, its content hash)
        self.hashes: dict[str, int] = {}  # content hash -> article id
        self.keys: dict[int, list[int]] = {}  # sketch key -> article ids
        self.sketches: dict[int, list[int]] = {}
        self.ids: list[int] = []
        self.block = 1  # how many ids to reserve next: the length of the run being added (add_many)

    def article(self, conn, a: Article, digest: str, config: str, hashes: list[int]) -> int:
        if not self.ids:  # ids come from the sequence in blocks: one round trip per run of articles
            self.ids = [r[0] for r in conn.execute(
                "SELECT nextval(pg_get_serial_sequence('articles', 'id')) FROM generate_series(1, %s)",
                (max(1, min(self.block, STAGE_ROWS)),))][::-1]
        article_id = self.ids.pop()
        self.articles.append((article_id, a.url, a.registered_domain, a.host, a.outlet_id, a.site_name, a.title, a.text,
                              a.published, a.language, _authors_json(a.authors), a.fetched_at, digest, a.source, config,
                              getattr(a, "vector", None)))
        self.url(a, article_id, primary=a.url, digest=digest)
        self.hashes.setdefault(digest, article_id)
        if hashes:
            self.sketch_rows.append((article_id, struct.pack(f"<{len(hashes)}q", *hashes)))
            self.sketches[article_id] = hashes
            for key in dict.fromkeys(hashes[:SKETCH_KEYS]):
                self.key_rows.append((key, article_id))
                self.keys.setdefault(key, []).append(article_id)
        return article_id

    def url(self, a: Article, article_id: int, primary: str | None, digest: str | None) -> None:
        self.url_rows.append((a.url, article_id, a.registered_domain, a.outlet_id, a.site_name, a.fetched_at))
        self.urls[a.url] = (article_id, primary, digest)

    def near(self, hashes: list[int]) -> list[tuple[int, list[int]]]:
        ids = dict.fromkeys(i for key in hashes[:SKETCH_KEYS] for i in self.keys.get(key, ()))
        return [(i, self.sketches[i]) for i in list(ids)[:20]]

    def write(self, conn) -> None:
        if not self.url_rows:
            return
        cursor = conn.cursor()
        for table, columns, rows in (
            ("articles", "id, url, registered_domain, host, outlet_id, site_name, title, text, published, language, "
                         "authors, fetched_at, content_hash, source, search_config, embedding", self.articles),
            ("article_urls", "url, article_id, registered_domain, outlet_id, site_name, added_at", self.url_rows),
            ("article_sketches", "article_id, sketch", self.sketch_rows),
            ("article_sketch", "hash, article_id", self.key_rows),
        ):
            if rows:
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        ids, block = self.ids, self.block
        self.__init__()
        self.ids, self.block = ids, block


def check_storable(a: Article) -> None:
    """RecordError for a record PostgreSQL cannot take, before anything of it is written (so it is refused alone):
    text columns hold no NUL character and only encodable Unicode (no lone surrogates)."""
    for name in ("url", "registered_domain", "host", "title", "text", "outlet_id", "site_name", "published",
                 "language", "fetched_at", "source"):
        value = getattr(a, name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise RecordError(f"cannot store the record: {name} is a {type(value).__name__}, not text")
        if "\x00" in value:
            raise RecordError(f"cannot store the record: {name} holds a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise RecordError(f"cannot store the record: {name} is not valid Unicode ({exc.reason})") from None
    for author in a.authors:
        if not isinstance(author, str) or "\x00" in author:
            raise RecordError("cannot store the record: an author is not text")


def _pack(vector) -> bytes:
    return struct.pack(f"<{len(vector)}f", *vector)


def _unpack(blob) -> list[float] | None:
    if blob is None:
        return None
    blob = bytes(blob)
    return list(struct.unpack(f"<{len(blob) // 4}f", blob))


def sign_bits(packed: bytes) -> str:
    """embed.pack() bytes as the bit string the `signs` column holds (masthead_signs(), migration 2): '1' where
    the int8 component is >= 0, first component first."""
    return "".join("1" if b < 128 else "0" for b in packed)


def day_of(published: str | None) -> int | None:
    """'2026-02-26' or '2026-02-26T10:00:00Z' -> date.toordinal(); None when absent or unreadable."""
    try:
        return dt.date.fromisoformat(str(published)[:10]).toordinal() if published else None
    except ValueError:
        return None


def day_bounds(first_day: int, last_day: int) -> tuple[str, str]:
    """Day numbers -> [first, day after last) as ISO strings, which `published` values sort between."""
    first_day, last_day = max(1, int(first_day)), min(dt.date.max.toordinal() - 1, int(last_day))
    return dt.date.fromordinal(first_day).isoformat(), dt.date.fromordinal(last_day + 1).isoformat()


def dicts(cursor) -> list[dict]:
    names = [d.name for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
