"""The article corpus: the only SQL — schema and migrations, upsert with duplicate merging, full-text search."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import os
import re
import sqlite3
import struct
import threading
import unicodedata
import zlib
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import sqlite_utils

from . import urls

__all__ = [
    "Corpus", "Article", "RecordError", "AddResult", "connect", "local", "prepare", "terms", "fold",
    "parse_published", "content_hash", "sketch", "SCHEMA_VERSION",
]

MAX_TEXT = 200_000  # characters kept of one article's text
MAX_TITLE = 1_000
SKETCH_SIZE = 16  # bottom-k MinHash sketch of 4-word shingles
SKETCH_MIN_WORDS = 30  # shorter texts are deduplicated exactly, not approximately
SKETCH_KEYS = 4  # the smallest hashes are indexed: two texts with Jaccard 0.6 share one with p ~ 0.97
NEAR_DUPLICATE = 0.6  # estimated Jaccard similarity of shingles at which two texts are one article
FTS_TOKENIZE = "unicode61 remove_diacritics 2"
FTS_HASH_SIZE = 64 << 20  # bytes of pending index data before FTS5 writes a segment
_WORD = re.compile(r"[^\W_]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")


class RecordError(ValueError):
    """A record that cannot be stored; the message is the reason shown in the ingest summary."""


@dataclass
class Article:
    url: str
    registered_domain: str | None
    host: str
    title: str
    text: str
    outlet_id: str | None = None
    site_name: str | None = None
    published: str | None = None
    language: str | None = None
    authors: list[str] = field(default_factory=list)
    fetched_at: str | None = None
    source: str | None = None
    digest: str = ""  # content_hash(); computed by prepare() so that a second thread can do it
    hashes: list[int] = field(default_factory=list)  # sketch()


@dataclass(frozen=True)
class AddResult:
    status: str  # added / updated / duplicate / unchanged
    article_id: int


def fold(text: str) -> str:
    """Lowercase without diacritics, as the FTS5 tokenizer (remove_diacritics 2) sees text."""
    text = text.casefold()
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text


def terms(text: str) -> list[str]:
    """Lowercase words without diacritics, split the way the FTS5 unicode61 tokenizer splits them."""
    if text.isascii():  # the same split, a third faster than the Unicode class
        return _ASCII_WORD.findall(text.lower())
    return _WORD.findall(fold(text))


def parse_published(value) -> str | None:
    """ISO date or UTC date-time from ISO 8601, RFC 2822 (feeds) or epoch seconds/milliseconds."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            return None
    moment = None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def content_hash(title: str, text: str, words: list[str] | None = None) -> str:
    """Identical texts share a hash whatever their URL, headline tweaks or whitespace."""
    words = terms(text) if words is None else words
    if len(words) < SKETCH_MIN_WORDS:
        words = terms(title) + words
    return hashlib.sha1(" ".join(words).encode()).hexdigest()


_MASK = (1 << 63) - 1


def sketch(text: str, words: list[str] | None = None) -> list[int]:
    """The SKETCH_SIZE smallest hashes of the text's 4-word shingles (bottom-k MinHash); [] for short texts."""
    words = terms(text) if words is None else words
    if len(words) < SKETCH_MIN_WORDS:
        return []
    # CRC32 per word, combined per shingle: stable across processes, unlike hash(). Only shingles whose first
    # word hashes to 0 mod 4 are kept: a choice made by content, so two copies sample the same shingles.
    wh = list(map(zlib.crc32, map(str.encode, words)))
    starts = [i for i in range(len(wh) - 3) if not wh[i] & 3]
    shingles = {((((wh[i] * 1000003) ^ wh[i + 1]) * 1000003 ^ wh[i + 2]) * 1000003 ^ wh[i + 3]) & _MASK for i in starts}
    return sorted(shingles)[:SKETCH_SIZE]


def _similarity(a: list[int], b: list[int]) -> float:
    union = sorted(set(a) | set(b))[:SKETCH_SIZE]
    sa, sb = set(a), set(b)
    return sum(1 for h in union if h in sa and h in sb) / max(1, len(union))


def prepare(record: dict, registry=None, source: str | None = None) -> Article:
    """A raw record ({url, title, text, published, outlet?, language?, ...}) -> an Article, or RecordError."""
    if not isinstance(record, dict):
        raise RecordError("record is not a JSON object")
    raw_url = record.get("url")
    if not isinstance(raw_url, str) or not raw_url.strip():
        raise RecordError("no url")
    try:
        page = urls.normalise(raw_url)
    except urls.URLError as exc:
        raise RecordError(f"bad url: {exc}") from None
    if page.scheme not in ("http", "https"):
        raise RecordError(f"bad url: scheme {page.scheme!r}")
    title = _clean(record.get("title"))[:MAX_TITLE]
    text = _clean(record.get("text"))[:MAX_TEXT]
    if not title and not text:
        raise RecordError("no title and no text")
    outlet_id = record.get("outlet") or None
    if registry is not None:
        if outlet_id and outlet_id not in registry.outlets:
            raise RecordError(f"unknown outlet id {str(outlet_id)[:60]!r}")
        if not outlet_id:
            match = registry.match(page)
            outlet_id = match.outlet.id if match else None
    site_name = _clean(record.get("site_name") or record.get("sitename")) or None
    if site_name is None and registry is not None and outlet_id:
        site_name = registry.outlets[outlet_id].name
    words = terms(text)
    authors = record.get("authors") or record.get("author") or []
    if isinstance(authors, str):
        authors = [a.strip() for a in re.split(r";|\band\b", authors) if a.strip()]
    return Article(
        url=page.url, registered_domain=page.registered_domain or page.host, host=page.host,
        title=title, text=text, outlet_id=outlet_id, site_name=site_name,
        published=parse_published(record.get("published") or record.get("date")),
        language=(record.get("language") or None), authors=[str(a)[:200] for a in authors][:20],
        fetched_at=record.get("fetched_at") or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        source=source, digest=content_hash(title, text, words), hashes=sketch(text, words),
    )


def _authors_json(authors: list[str]) -> str:
    return json.dumps(authors, ensure_ascii=False) if authors else "[]"  # most records name nobody


def _vocabulary(title: str, text: str) -> set[str]:
    """The distinct terms an article adds to the document frequencies."""
    return set(terms(title)).union(terms(text))


def _clean(value) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split()) if "\n" not in str(value) else re.sub(r"[ \t\r\f\v]+", " ", str(value)).strip()


# --- schema and migrations -------------------------------------------------------------------------

def _migration_1(db: sqlite_utils.Database) -> None:
    db["articles"].create({
        "id": int, "url": str, "registered_domain": str, "host": str, "outlet_id": str, "site_name": str,
        "title": str, "text": str, "published": str, "language": str, "authors": str, "fetched_at": str,
        "content_hash": str, "source": str,
    }, pk="id", not_null={"url", "title", "text"})
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["content_hash"])
    db["article_urls"].create({
        "url": str, "article_id": int, "registered_domain": str, "outlet_id": str, "site_name": str, "added_at": str,
    }, pk="url", foreign_keys=[("article_id", "articles", "id")])
    db["article_urls"].create_index(["article_id"])
    db.execute("CREATE TABLE article_sketch (hash INTEGER NOT NULL, article_id INTEGER NOT NULL, "
               "PRIMARY KEY (hash, article_id)) WITHOUT ROWID")  # SKETCH_KEYS lookup keys per article
    db.execute("CREATE INDEX article_sketch_article ON article_sketch (article_id)")
    db["article_sketches"].create({"article_id": int, "sketch": bytes}, pk="article_id")  # the whole sketch
    db["articles"].enable_fts(["title", "text"], fts_version="FTS5", create_triggers=True, tokenize=FTS_TOKENIZE)
    db.execute("CREATE VIRTUAL TABLE articles_fts_vocab USING fts5vocab(articles_fts, row)")
    # Headlines say what a story is about: a title match weighs three times a body match.
    db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('rank', 'bm25(3.0, 1.0)')")


def _migration_2(db: sqlite_utils.Database) -> None:
    # fts5vocab counts a term's documents by reading its whole posting list: ~ms for common terms at 1M articles.
    # This table answers in microseconds; every write keeps it up to date (refresh_term_stats() rebuilds it).
    db.execute("CREATE TABLE term_stats (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID")
    db.execute("CREATE TABLE corpus_meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID")


def _migration_3(db: sqlite_utils.Database) -> None:
    # FTS5 writes a new index segment whenever 1 MB of tokens is pending; a 2,000-article batch made ~40 small
    # segments to merge again. With 64 MB it writes one per batch: ~30% less indexing time. The buffer only
    # lives inside a write transaction, so readers (the server) do not pay for it in memory.
    db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('hashsize', ?)", (FTS_HASH_SIZE,))


MIGRATIONS = [_migration_1, _migration_2, _migration_3]
SCHEMA_VERSION = len(MIGRATIONS)


def _migrate(conn: sqlite3.Connection) -> None:
    if conn.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait, then see the new version
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        db = sqlite_utils.Database(conn)
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            migration(db)
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


# --- the corpus ------------------------------------------------------------------------------------

class Corpus:
    """One connection to the corpus file. Not shared across threads: use local() in servers."""

    def __init__(self, path: str | os.PathLike):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self.conn.execute("PRAGMA busy_timeout = 30000")
        if self.path != ":memory:":
            self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")  # WAL: a crash of the process loses nothing committed
        self.conn.execute("PRAGMA foreign_keys = ON")
        _migrate(self.conn)
        self.db = sqlite_utils.Database(self.conn)
        self._in_transaction = False
        self._deferred: str | None = None  # the insert trigger's SQL while a bulk batch defers indexing
        self._indexed_up_to = 0
        self._df_delta: Counter = Counter()  # term -> change in document frequency in the open transaction
        self._df_added = 0
        self.track_term_stats = True  # keep term_stats up to date write by write (see defer_term_stats)

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._in_transaction:
            yield
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._in_transaction = True
        self._df_delta.clear()
        self._df_added = 0
        try:
            yield
            self._flush_df()
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self._in_transaction = False
            self._df_delta.clear()
            self._df_added = 0

    # writing

    def add(self, article: Article) -> AddResult:
        """Insert or update one article; merge exact and near duplicates, keeping every URL."""
        if self._in_transaction:
            return self._add(article)
        with self.transaction():
            return self._add(article)

    def defer_term_stats(self) -> None:
        """Stop keeping term_stats up to date write by write; refresh_term_stats() rebuilds it afterwards.

        Counting every new article's terms costs ~0.2 ms an article; the rebuild reads the full-text index
        once, ~0.02 ms per stored article. So a load that adds more than about a tenth of the corpus is
        cheaper to count at the end. Meanwhile doc_freqs() scales the stale snapshot, as it does after a kill.
        """
        self.track_term_stats = False

    def bulk(self) -> None:
        """Settings for loading many articles: a larger page cache, and checkpoints every ~80 MB of WAL
        rather than 4 MB, so that index pages rewritten by consecutive batches are copied back once."""
        self.conn.execute("PRAGMA cache_size = -65536")
        self.conn.execute("PRAGMA wal_autocheckpoint = 20000")

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file and empty it: after a bulk load (whose WAL may hold
        ~80 MB, see bulk()) the file on disk is then the whole corpus, and readers stop consulting a large log."""
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def begin(self, defer_index: bool = False) -> None:
        """Open a write transaction that add() calls join until commit(): fast bulk loading.

        With defer_index, new rows enter the full-text index in one statement at commit, ~30% faster than
        row by row. The insert trigger is dropped and re-created inside the transaction, so every committed
        state (all another connection can see) has it, and a crash rolls back both.
        """
        if self._in_transaction:
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._in_transaction = True
        self._deferred = None
        self._df_delta.clear()
        self._df_added = 0
        if defer_index:
            trigger = self.conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'articles_ai'").fetchone()
            if trigger:
                self.conn.execute("DROP TRIGGER articles_ai")
                self._deferred = trigger[0]
                self._indexed_up_to = self.count()

    def _index_pending(self) -> None:
        self.conn.execute("INSERT INTO articles_fts (rowid, title, text) SELECT id, title, text FROM articles WHERE id > ?",
                          (self._indexed_up_to,))
        self._indexed_up_to = self.count()

    def commit(self) -> None:
        if not self._in_transaction:
            return
        if self._deferred:
            self._index_pending()
            self.conn.execute(self._deferred)
            self._deferred = None
        self._flush_df()
        self.conn.execute("COMMIT")
        self._in_transaction = False

    def rollback(self) -> None:
        if self._in_transaction:
            if self.conn.in_transaction:  # SQLite may have rolled back already (disk full, I/O error)
                self.conn.execute("ROLLBACK")
            self._in_transaction = False
            self._deferred = None
            self._df_delta.clear()
            self._df_added = 0

    def _flush_df(self) -> None:
        """Apply this transaction's document-frequency changes to term_stats, if term_stats was complete."""
        if not self._df_delta and not self._df_added:
            return
        stats_size = self._stats_size()
        added = self._df_added
        self._df_added = 0
        delta, self._df_delta = self._df_delta, Counter()
        if stats_size != self.count() - added:
            return  # no complete snapshot to keep up to date: refresh_term_stats() rebuilds it
        self.conn.executemany(
            "INSERT INTO term_stats (term, df) VALUES (?, ?) ON CONFLICT (term) DO UPDATE SET df = df + excluded.df",
            [item for item in delta.items() if item[1]],
        )
        self.conn.execute("INSERT OR REPLACE INTO corpus_meta (key, value) VALUES ('term_stats_articles', ?)", (self.count(),))

    def _add(self, a: Article) -> AddResult:
        c = self.conn
        digest = a.digest or content_hash(a.title, a.text)
        known = c.execute(
            "SELECT u.article_id, a.url, a.content_hash FROM article_urls u JOIN articles a ON a.id = u.article_id WHERE u.url = ?",
            (a.url,),
        ).fetchone()
        if known:
            article_id, primary_url, stored_hash = known
            if stored_hash == digest or primary_url != a.url:
                return AddResult("unchanged", article_id)
            if self._deferred and article_id > self._indexed_up_to:
                self._index_pending()  # the update trigger must find the old row in the index
            if self.track_term_stats:
                old_title, old_text = c.execute("SELECT title, text FROM articles WHERE id = ?", (article_id,)).fetchone()
                self._df_delta.subtract(_vocabulary(old_title, old_text))
                self._df_delta.update(_vocabulary(a.title, a.text))
            else:  # the snapshot no longer matches the texts, though the count of articles does
                c.execute("DELETE FROM corpus_meta WHERE key = 'term_stats_articles'")
            c.execute(
                "UPDATE articles SET title=?, text=?, published=coalesce(?, published), language=coalesce(?, language), "
                "authors=?, site_name=coalesce(?, site_name), outlet_id=coalesce(?, outlet_id), fetched_at=?, content_hash=?, source=? "
                "WHERE id=?",
                (a.title, a.text, a.published, a.language, _authors_json(a.authors), a.site_name,
                 a.outlet_id, a.fetched_at, digest, a.source, article_id),
            )
            c.execute("DELETE FROM article_sketch WHERE article_id = ?", (article_id,))
            c.execute("DELETE FROM article_sketches WHERE article_id = ?", (article_id,))
            self._store_sketch(article_id, a.hashes or sketch(a.text))
            return AddResult("updated", article_id)
        row = c.execute("SELECT id FROM articles WHERE content_hash = ? LIMIT 1", (digest,)).fetchone()
        hashes = a.hashes or sketch(a.text)
        if row is None and hashes:
            near = self._near_duplicate(hashes)
            row = (near,) if near is not None else None
        if row is not None:
            self._add_url(a, row[0])
            return AddResult("duplicate", row[0])
        cursor = c.execute(
            "INSERT INTO articles (url, registered_domain, host, outlet_id, site_name, title, text, published, language, "
            "authors, fetched_at, content_hash, source) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (a.url, a.registered_domain, a.host, a.outlet_id, a.site_name, a.title, a.text, a.published, a.language,
             _authors_json(a.authors), a.fetched_at, digest, a.source),
        )
        article_id = cursor.lastrowid
        if self.track_term_stats:
            self._df_delta.update(_vocabulary(a.title, a.text))
            self._df_added += 1
        self._add_url(a, article_id)
        if hashes:
            self._store_sketch(article_id, hashes)
        return AddResult("added", article_id)

    def _add_url(self, a: Article, article_id: int) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO article_urls (url, article_id, registered_domain, outlet_id, site_name, added_at) VALUES (?,?,?,?,?,?)",
            (a.url, article_id, a.registered_domain, a.outlet_id, a.site_name, a.fetched_at),
        )

    def _store_sketch(self, article_id: int, hashes: list[int]) -> None:
        if not hashes:
            return
        self.conn.execute("INSERT INTO article_sketches VALUES (?, ?)", (article_id, struct.pack(f"<{len(hashes)}q", *hashes)))
        keys = hashes[:SKETCH_KEYS]
        self.conn.execute(f"INSERT OR IGNORE INTO article_sketch VALUES {','.join(['(?, ?)'] * len(keys))}",
                          [value for h in keys for value in (h, article_id)])

    def _near_duplicate(self, hashes: list[int]) -> int | None:
        keys = hashes[:SKETCH_KEYS]
        # Most new articles share no key with any stored one: a plain index probe answers that cheaply (a
        # DISTINCT subquery made SQLite build a temporary B-tree on every call).
        candidates = self.conn.execute(
            f"SELECT article_id FROM article_sketch WHERE hash IN ({','.join('?' * len(keys))}) LIMIT 80", keys,
        ).fetchall()
        if not candidates:
            return None
        ids = list(dict.fromkeys(row[0] for row in candidates))[:20]
        found = self.conn.execute(
            f"SELECT article_id, sketch FROM article_sketches WHERE article_id IN ({','.join('?' * len(ids))})", ids,
        ).fetchall()
        for article_id, blob in sorted(found, key=lambda row: ids.index(row[0])):
            other = list(struct.unpack(f"<{len(blob) // 8}q", blob))
            if _similarity(hashes, other) >= NEAR_DUPLICATE:
                return article_id
        return None

    # reading

    def has_url(self, url: str) -> bool:
        return self.conn.execute("SELECT 1 FROM article_urls WHERE url = ?", (url,)).fetchone() is not None

    def article(self, url: str) -> dict | None:
        """The stored article a canonical URL belongs to, with every URL it is known under."""
        row = self.conn.execute("SELECT article_id FROM article_urls WHERE url = ?", (url,)).fetchone()
        if row is None:
            return None
        return self.article_by_id(row[0])

    def article_by_id(self, article_id: int) -> dict | None:
        cursor = self.conn.execute("SELECT * FROM articles WHERE id = ?", (article_id,))
        row = cursor.fetchone()
        if row is None:
            return None
        article = dict(zip([d[0] for d in cursor.description], row))
        article["authors"] = json.loads(article["authors"] or "[]")
        article["urls"] = [
            dict(zip(("url", "registered_domain", "outlet_id", "site_name"), r))
            for r in self.conn.execute(
                "SELECT url, registered_domain, outlet_id, site_name FROM article_urls WHERE article_id = ? ORDER BY rowid",
                (article_id,),
            )
        ]
        return article

    def doc_freqs(self, words: Iterable[str]) -> dict[str, int]:
        """How many articles contain each word (title or text); words in no article are left out.

        From the term_stats snapshot, scaled to the corpus' current size; words the snapshot does not know
        (new since it was taken) are counted in the FTS5 vocabulary, which is quick for rare words.
        """
        words = list(dict.fromkeys(words))
        found: dict[str, int] = {}
        for start in range(0, len(words), 500):
            chunk = words[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(self.conn.execute(f"SELECT term, df FROM term_stats WHERE term IN ({marks})", chunk).fetchall())
        snapshot, size = self._stats_size(), self.count()
        if snapshot == size:
            return found  # the snapshot is complete: a word it lacks is in no article
        if snapshot and found:
            scale = max(1.0, size / snapshot)
            found = {w: max(1, round(n * scale)) for w, n in found.items()}
        for word in words:
            if word not in found:
                row = self.conn.execute("SELECT doc FROM articles_fts_vocab WHERE term = ?", (word,)).fetchone()
                if row:
                    found[word] = row[0]
        return found

    def _stats_size(self) -> int:
        row = self.conn.execute("SELECT value FROM corpus_meta WHERE key = 'term_stats_articles'").fetchone()
        return int(row[0]) if row else 0

    def refresh_term_stats(self) -> bool:
        """Rebuild the term_stats snapshot unless it already covers every article (writes keep it up to date)."""
        size = self.count()
        if self._stats_size() == size:
            return False
        with self.transaction():
            self.conn.execute("DELETE FROM term_stats")
            self.conn.execute("INSERT INTO term_stats (term, df) SELECT term, doc FROM articles_fts_vocab")
            self.conn.execute("INSERT OR REPLACE INTO corpus_meta (key, value) VALUES ('term_stats_articles', ?)", (size,))
        return True

    def count(self) -> int:
        """Number of stored articles (max rowid: O(1); rows are never deleted)."""
        return self.conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]

    def postings(self, word: str) -> list[int]:
        """Ids of the articles that contain `word` (title or text)."""
        return [r[0] for r in self.conn.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", (f'"{word}"',))]

    def rows(self, ids: list[int], text_chars: int = 3000) -> list[dict]:
        """Articles by id (metadata and the start of the text), in no particular order."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return self._rows(
            f"SELECT id, url, title, published, registered_domain, outlet_id, site_name, substr(text, 1, {int(text_chars)}) AS text "
            f"FROM articles WHERE id IN ({marks})",
            tuple(ids),
        )

    def search(self, fts_query: str, limit: int, offset: int = 0) -> list[dict]:
        """Full-text search for people: like match(), with a snippet around the matching words."""
        return self._rows(
            "SELECT a.id, a.url, a.title, a.published, a.registered_domain, a.outlet_id, a.site_name, "
            "articles_fts.rank AS bm25, snippet(articles_fts, 1, '', '', ' … ', 24) AS snippet "
            "FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
            "WHERE articles_fts MATCH ? ORDER BY rank LIMIT ? OFFSET ?",
            (fts_query, limit, offset),
        )

    def _rows(self, sql: str, params: tuple) -> list[dict]:
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def stats(self) -> dict:
        articles = self.count()
        urls_known = self.conn.execute("SELECT coalesce(max(rowid), 0) FROM article_urls").fetchone()[0]
        latest = self.conn.execute("SELECT fetched_at FROM articles ORDER BY id DESC LIMIT 1").fetchone()
        return {"articles": articles, "urls": urls_known, "schema_version": SCHEMA_VERSION, "last_added": latest[0] if latest else None}

    def integrity_check(self) -> list[str]:
        """[] when the database and its full-text index are consistent, else the problems found."""
        problems = [r[0] for r in self.conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        try:
            self.conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")
        except sqlite3.DatabaseError as exc:
            problems.append(f"full-text index: {exc}")
        return problems


def connect(path: str | os.PathLike) -> Corpus:
    return Corpus(path)


_local = threading.local()


def local(path: str | os.PathLike) -> Corpus:
    """This thread's connection to `path`, opened on first use and reopened after a fork."""
    key = (os.getpid(), str(path))
    cache = getattr(_local, "corpora", None)
    if cache is None or getattr(_local, "pid", None) != os.getpid():
        cache = _local.corpora = {}
        _local.pid = os.getpid()
    corpus = cache.get(key)
    if corpus is None:
        corpus = cache[key] = Corpus(path)
    return corpus
