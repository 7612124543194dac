"""The SQLite corpus: one WAL file, FTS5 full-text index, schema migrations, upsert with duplicate merging."""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import struct
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

import sqlite_utils

from .sqlite_schema import ID_BITS, MIGRATIONS, SCHEMA_VERSION, migrate as _migrate
from .base import AddResult, Article, Corpus, CorpusUnavailable, RecordError
from .dedup import decide
from .feedstate import FeedStateStore
from .text import SKETCH_KEYS, WIDE_DAYS, authors_json as _authors_json, content_hash, day_number, idf_weight, sketch
from .text import terms, vocabulary as _vocabulary
from .sqlite_lexical import ID_MASK, wide_candidates, window_candidates
from .sqlite_vectors import VectorStore

__all__ = ["SQLiteCorpus", "quote_fts", "SCHEMA_VERSION", "MIGRATIONS"]

RANK_LIMIT = 5_000  # matches one search() ranks at most (~60 ms on the 2-core VM)


# --- the corpus ------------------------------------------------------------------------------------

def _unavailable(exc: sqlite3.Error) -> CorpusUnavailable:
    """The driver's error as the interface's, with the reason an operator acts on."""
    message = str(exc)
    if "full" in message:
        return CorpusUnavailable(f"the disk holding the corpus is full: {message}", "full")
    if "readonly" in message or "read-only" in message:
        return CorpusUnavailable(f"the corpus is read-only: {message}", "read-only")
    if "locked" in message or "busy" in message:
        return CorpusUnavailable(f"the corpus is locked by another process: {message}", "locked")
    if isinstance(exc, sqlite3.DatabaseError) and ("malformed" in message or "not a database" in message):
        return CorpusUnavailable(f"the corpus file is damaged: {message}", "corrupt")
    return CorpusUnavailable(f"the corpus is unavailable: {message}")


def _guarded(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise _unavailable(exc) from exc
    return wrapper


class SQLiteCorpus(FeedStateStore, Corpus):
    """One connection to the corpus file. Not shared across threads: use local() in servers."""

    def __init__(self, path: str | os.PathLike):
        try:
            self._open(str(path))
        except sqlite3.Error as exc:
            raise _unavailable(exc) from exc

    def _open(self, path: str) -> None:
        self.path = self.location = path
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
        self._vectors = VectorStore(self.conn)
        self._in_transaction = False
        self._deferred: str | None = None  # the insert trigger's SQL while a bulk batch defers indexing
        self._indexed_up_to = 0
        self._df_delta: Counter = Counter()  # term -> change in document frequency in the open transaction
        self._df_added = 0
        self.track_term_stats = True  # keep term_stats up to date write by write (see defer_term_stats)
        self._counted: tuple | None = None  # ((data_version, total_changes), (articles, urls)); see _counts()

    @_guarded
    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._in_transaction:
            yield
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _unavailable(exc) from exc
        self._in_transaction = True
        self._df_delta.clear()
        self._df_added = 0
        try:
            yield
            self._vectors.flush()
            self._flush_df()
        except BaseException as exc:
            self._vectors.discard()
            if self.conn.in_transaction:  # SQLite may have rolled back already (disk full, I/O error)
                self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise _unavailable(exc) from exc
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise _unavailable(exc) from exc
        finally:
            self._in_transaction = False
            self._df_delta.clear()
            self._df_added = 0

    # writing

    @_guarded
    def add(self, article: Article) -> AddResult:
        """Insert or update one article; merge exact and near duplicates, keeping every URL.

        A record SQLite cannot take (a value of the wrong type, text that is not Unicode) raises RecordError and
        is undone alone: the open batch and the records before it stay (issue 13 B9).
        """
        if not self._in_transaction:
            with self.transaction():
                return self._add_one(article)
        return self._add_one(article)

    def _add_one(self, article: Article) -> AddResult:
        indexed_up_to, vectors_mark = self._indexed_up_to, self._vectors.mark()
        self.conn.execute("SAVEPOINT article")
        try:
            result = self._add(article)
        except (sqlite3.InterfaceError, sqlite3.ProgrammingError, UnicodeError, OverflowError, TypeError) as exc:
            self.conn.execute("ROLLBACK TO article")
            self.conn.execute("RELEASE article")
            self._indexed_up_to = indexed_up_to
            self._vectors.undo_to(vectors_mark)
            raise RecordError(f"cannot store the record: {exc}") from None
        self.conn.execute("RELEASE article")
        return result

    def defer_term_stats(self) -> None:
        """Stop keeping term_stats up to date write by write; refresh_term_stats() rebuilds it afterwards.

        Counting every new article's terms costs ~0.2 ms an article; the rebuild reads the full-text index
        once, ~0.02 ms per stored article. So a load that adds more than about a tenth of the corpus is
        cheaper to count at the end. Meanwhile doc_freqs() scales the stale snapshot, as it does after a kill.
        """
        self.track_term_stats = False

    @_guarded
    def bulk(self) -> None:
        """Settings for loading many articles: a larger page cache, and checkpoints every ~80 MB of WAL
        rather than 4 MB, so that index pages rewritten by consecutive batches are copied back once."""
        self.conn.execute("PRAGMA cache_size = -65536")
        self.conn.execute("PRAGMA wal_autocheckpoint = 20000")

    @_guarded
    def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file and empty it: after a bulk load (whose WAL may hold
        ~80 MB, see bulk()) the file on disk is then the whole corpus, and readers stop consulting a large log."""
        if self.path == ":memory:":
            return
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    @_guarded
    def compact(self) -> None:
        """After a prune: merge the full-text index's segments, a bounded amount of work (deleted articles stay in
        them as tombstones until merged: in a 70-day simulation the index grew to 2.6x its merged size), then
        VACUUM when more than a quarter of the file is free pages (a large prune; otherwise the next articles
        reuse them), and copy the log back."""
        if not self._in_transaction:
            self.conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('merge', -2000)")
        free, pages = (self.conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("freelist_count", "page_count"))
        if self.path != ":memory:" and not self._in_transaction and free * 4 > pages:
            self.conn.execute("VACUUM")
        self.checkpoint()

    @_guarded
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
                self._indexed_up_to = self._max_id()

    def _max_id(self) -> int:
        """The largest article id: with deletions, not the number of articles."""
        return self.conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]

    def _index_pending(self) -> None:
        # In key order: FTS5 writes out what it holds whenever a rowid is lower than the last one.
        self.conn.execute("INSERT INTO articles_fts (rowid, title, text) SELECT fts_key, title, text FROM articles_fts_content "
                          "WHERE id > ? ORDER BY fts_key", (self._indexed_up_to,))
        self._indexed_up_to = self._max_id()

    @_guarded
    def commit(self) -> None:
        if not self._in_transaction:
            return
        if self._deferred:
            self._index_pending()
            self.conn.execute(self._deferred)
            self._deferred = None
        self._vectors.flush()
        self._flush_df()
        self.conn.execute("COMMIT")
        self._in_transaction = False

    @_guarded
    def rollback(self) -> None:
        if self._in_transaction:
            if self.conn.in_transaction:  # SQLite may have rolled back already (disk full, I/O error)
                self.conn.execute("ROLLBACK")
            self._in_transaction = False
            self._deferred = None
            self._vectors.discard()
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
        # A term no article holds any more (an update or a deletion took its last one) is left out, as doc_freqs says.
        self.conn.executemany("DELETE FROM term_stats WHERE term = ? AND df <= 0", [(t,) for t, n in delta.items() if n < 0])
        self.conn.execute("INSERT OR REPLACE INTO corpus_meta (key, value) VALUES ('term_stats_articles', ?)", (self.count(),))

    def _add(self, a: Article) -> AddResult:
        c = self.conn
        digest = a.digest or content_hash(a.title, a.text)
        known = c.execute(
            "SELECT u.article_id, a.url, a.content_hash FROM article_urls u JOIN articles a ON a.id = u.article_id WHERE u.url = ?",
            (a.url,),
        ).fetchone()
        hashes = a.hashes or sketch(a.text)
        exact = None if known else c.execute("SELECT id FROM articles WHERE content_hash = ? LIMIT 1", (digest,)).fetchone()
        decision = decide(a.url, digest, hashes, known, exact[0] if exact else None, self._near_candidates(hashes))
        if decision.status == "unchanged":
            return AddResult("unchanged", decision.article_id)
        if decision.status == "duplicate":
            self._add_url(a, decision.article_id)
            return AddResult("duplicate", decision.article_id)
        if decision.status == "updated":
            return self._update(a, decision.article_id, digest, hashes)
        day = day_number(a.published) or day_number(a.fetched_at)
        cursor = c.execute(
            "INSERT INTO articles (url, registered_domain, host, outlet_id, site_name, title, text, published, language, "
            "authors, fetched_at, content_hash, source, day) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (a.url, a.registered_domain, a.host, a.outlet_id, a.site_name, a.title, a.text, a.published, a.language,
             _authors_json(a.authors), a.fetched_at, digest, a.source, day),
        )
        article_id = cursor.lastrowid
        if a.vector:
            self._vectors.put(article_id, day, a.vector)
        self._add_url(a, article_id)
        if hashes:
            self._store_sketch(article_id, hashes)
        if self.track_term_stats:
            self._df_delta.update(_vocabulary(a.title, a.text))
            self._df_added += 1
        return AddResult("added", article_id)

    def _update(self, a: Article, article_id: int, digest: str, hashes: list[int]) -> AddResult:
        """The article at this URL has a new text: rewrite it, its vector, its sketch and its term counts."""
        c = self.conn
        if self._deferred and article_id > self._indexed_up_to:
            self._index_pending()  # the update trigger must find the old row in the index
        old_vocabulary = None
        if self.track_term_stats:
            old_title, old_text = c.execute("SELECT title, text FROM articles WHERE id = ?", (article_id,)).fetchone()
            old_vocabulary = _vocabulary(old_title, old_text)
        else:  # the snapshot no longer matches the texts, though the count of articles does
            c.execute("DELETE FROM corpus_meta WHERE key = 'term_stats_articles'")
        c.execute(
            "UPDATE articles SET title=?, text=?, published=coalesce(?, published), language=coalesce(?, language), "
            "authors=?, site_name=coalesce(?, site_name), outlet_id=coalesce(?, outlet_id), fetched_at=?, content_hash=?, source=?, "
            "day=coalesce(?, day) WHERE id=?",
            (a.title, a.text, a.published, a.language, _authors_json(a.authors), a.site_name,
             a.outlet_id, a.fetched_at, digest, a.source, day_number(a.published), article_id),
        )
        if a.vector:
            day = day_number(a.published)
            if day is None:
                day = c.execute("SELECT day FROM articles WHERE id = ?", (article_id,)).fetchone()[0]
            self._vectors.put(article_id, day, a.vector)
        else:
            self._vectors.drop(article_id)  # the old vector was of the old text
        c.execute("DELETE FROM article_sketch WHERE article_id = ?", (article_id,))
        c.execute("DELETE FROM article_sketches WHERE article_id = ?", (article_id,))
        self._store_sketch(article_id, hashes)
        if old_vocabulary is not None:  # counted once every statement has succeeded (see add())
            self._df_delta.subtract(old_vocabulary)
            self._df_delta.update(_vocabulary(a.title, a.text))
        return AddResult("updated", article_id)

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

    def _near_candidates(self, hashes: list[int]):
        """(article id, sketch) of stored articles sharing sketch keys with `hashes`, queried only when asked for."""
        keys = hashes[:SKETCH_KEYS]
        if not keys:
            return
        # Most new articles share no key with any stored one: a plain index probe answers that cheaply (a
        # DISTINCT subquery made SQLite build a temporary B-tree on every call).
        candidates = self.conn.execute(
            f"SELECT article_id FROM article_sketch WHERE hash IN ({','.join('?' * len(keys))}) LIMIT 80", keys,
        ).fetchall()
        if not candidates:
            return
        ids = list(dict.fromkeys(row[0] for row in candidates))[:20]
        found = self.conn.execute(
            f"SELECT article_id, sketch FROM article_sketches WHERE article_id IN ({','.join('?' * len(ids))})", ids,
        ).fetchall()
        for article_id, blob in sorted(found, key=lambda row: ids.index(row[0])):
            yield article_id, list(struct.unpack(f"<{len(blob) // 8}q", blob))

    @_guarded
    def delete(self, url: str) -> list[str] | None:
        """Forget the article `url` belongs to, with all its URLs, sketches and index entries; see Corpus.delete."""
        with self.transaction():
            row = self.conn.execute("SELECT article_id FROM article_urls WHERE url = ?", (url,)).fetchone()
            if row is None:
                return None
            article_id = row[0]
            if self._deferred and article_id > self._indexed_up_to:
                self._index_pending()  # the delete trigger must find the row in the full-text index
            title, text, primary = self.conn.execute("SELECT title, text, url FROM articles WHERE id = ?", (article_id,)).fetchone()
            urls = [r[0] for r in self.conn.execute("SELECT url FROM article_urls WHERE article_id = ? ORDER BY rowid", (article_id,))]
            for table in ("article_urls", "article_sketch", "article_sketches"):
                self.conn.execute(f"DELETE FROM {table} WHERE article_id = ?", (article_id,))
            self._vectors.drop(article_id)
            self.conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))  # its trigger updates articles_fts
            # Counted even when a bulk load defers the statistics: _flush_df() applies it at the end of the
            # transaction if the snapshot was complete, and leaves a stale one for refresh_term_stats() to rebuild.
            self._df_delta.subtract(_vocabulary(title, text))
            self._df_added -= 1
        return [primary] + [u for u in urls if u != primary]

    @_guarded
    def _feed_sql(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self.conn.execute(sql, params).fetchall()

    # reading

    @_guarded
    def has_url(self, url: str) -> bool:
        return self.conn.execute("SELECT 1 FROM article_urls WHERE url = ?", (url,)).fetchone() is not None

    @_guarded
    def article(self, url: str) -> dict | None:
        """The stored article a canonical URL belongs to, with every URL it is known under."""
        row = self.conn.execute("SELECT article_id FROM article_urls WHERE url = ?", (url,)).fetchone()
        if row is None:
            return None
        return self.article_by_id(row[0])

    @_guarded
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

    @_guarded
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

    @_guarded
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

    @_guarded
    def count(self) -> int:
        """Number of stored articles: counted, since rows can be deleted (max(id) would overcount)."""
        return self._counts()[0]

    def _counts(self) -> tuple[int, int]:
        """(articles, URLs), counted again only when the file has changed: count(*) reads a whole index (~10 ms
        per 100k rows), and the ranking asks for count() on every query. `data_version` moves when another
        connection commits; `total_changes` when this one writes."""
        version = (self.conn.execute("PRAGMA data_version").fetchone()[0], self.conn.total_changes)
        if self._counted is None or self._counted[0] != version:
            articles = self.conn.execute("SELECT count(*) FROM articles").fetchone()[0]
            urls_known = self.conn.execute("SELECT count(*) FROM article_urls").fetchone()[0]
            self._counted = (version, (articles, urls_known))
        return self._counted[1]

    @_guarded
    def rows(self, ids: list[int], text_chars: int = 3000) -> list[dict]:
        """Articles by id (metadata and the start of the text), in no particular order."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return self._rows(
            f"SELECT id, url, title, published, day, language, registered_domain, outlet_id, site_name, "
            f"substr(text, 1, {int(text_chars)}) AS text FROM articles WHERE id IN ({marks})",
            tuple(ids),
        )

    @_guarded
    def lexical_candidates(self, words: list[str], first_day: int, last_day: int, limit: int,
                           language: str | None = None) -> list[tuple[int, float]]:
        words = list(dict.fromkeys(words))
        if not words:
            return []
        quoted = [quote_fts(w, 1) for w in words]
        if last_day - first_day > WIDE_DAYS:
            total, df = self.count(), self.doc_freqs(words)
            weights = [idf_weight(df.get(w, 0), total) for w in words]
            return wide_candidates(self.conn, quoted, weights, first_day, last_day, limit)
        return window_candidates(self.conn, " OR ".join(quoted), first_day, last_day, limit)

    @_guarded
    def window_vectors(self, first_day: int, last_day: int) -> tuple[list[int], bytes]:
        return self._vectors.window(first_day, last_day)

    @_guarded
    def nearest_in_window(self, first_day: int, last_day: int, vector, k: int) -> list[tuple[int, float]]:
        return self._vectors.nearest(first_day, last_day, vector, k)

    @_guarded
    def vectors(self, ids: list[int]) -> dict[int, bytes]:
        return self._vectors.get(list(ids)) if ids else {}

    @_guarded
    def set_vectors(self, items: list[tuple[int, bytes]]) -> None:
        with self.transaction():
            for start in range(0, len(items), 500):
                part = items[start:start + 500]
                days = dict(self.conn.execute(f"SELECT id, day FROM articles WHERE id IN ({','.join('?' * len(part))})",
                                              [article_id for article_id, _ in part]))
                for article_id, vector in part:
                    if article_id in days:  # an article deleted meanwhile has no vector to keep
                        self._vectors.put(article_id, days[article_id], vector)

    @_guarded
    def missing_vectors(self, limit: int, after_id: int = 0) -> list[dict]:
        self._vectors.flush()
        return self._rows(
            "SELECT id, title, substr(text, 1, 2000) AS text FROM articles a WHERE id > ? "
            "AND NOT EXISTS (SELECT 1 FROM article_vectors v WHERE v.article_id = a.id) ORDER BY id LIMIT ?",
            (after_id, limit))

    @_guarded
    def search(self, query: str, limit: int, offset: int = 0) -> list[dict]:
        """Full-text search for people: every planned word must match; a snippet around the matching words.

        Ranking costs ~10 µs per matching article: a query matching more than RANK_LIMIT ranks the newest
        RANK_LIMIT or so of them (by day, then id: a range of the index's rowids, which FTS5 reads directly), not
        all 100,000 (issue 13 B8).
        """
        plan = self.plan_search(query)
        if not plan.words:
            return []
        where, params = "", [" ".join(f'"{w}"' for w in plan.words)]
        if plan.matches > RANK_LIMIT:
            newer = self.count() * RANK_LIMIT // plan.matches  # the newest articles to rank, if matches are spread evenly
            row = self.conn.execute("SELECT coalesce(day, 0), id FROM articles ORDER BY day DESC, id DESC LIMIT 1 OFFSET ?",
                                    (newer,)).fetchone()  # from the index on day, whose entries end with the id
            if row is not None:
                where, params = " AND articles_fts.rowid > ?", params + [(row[0] << ID_BITS) + row[1]]
        return self._rows(
            "SELECT a.id, a.url, a.title, a.published, a.registered_domain, a.outlet_id, a.site_name, "
            "-articles_fts.rank AS score, snippet(articles_fts, 1, '', '', ' … ', 24) AS snippet "
            f"FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid & {ID_MASK} WHERE articles_fts MATCH ?{where} "
            "ORDER BY rank LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )

    def _rows(self, sql: str, params: tuple) -> list[dict]:
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    @_guarded
    def stats(self) -> dict:
        articles, urls_known = self._counts()
        latest = self.conn.execute("SELECT fetched_at FROM articles ORDER BY id DESC LIMIT 1").fetchone()
        return {"articles": articles, "urls": urls_known, "schema_version": SCHEMA_VERSION, "last_added": latest[0] if latest else None}

    def integrity_check(self) -> list[str]:
        """[] when the database and its full-text index are consistent, else the problems found."""
        problems = [r[0] for r in self.conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        try:
            self.conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")
        except sqlite3.DatabaseError as exc:
            problems.append(f"full-text index: {exc}")
        return problems + self._vectors.problems()


def quote_fts(query: str, max_words: int = 32) -> str:
    """A person's words as an FTS5 query in which every word must match: each word quoted, none repeated.

    Quoting makes FTS5 syntax (AND, NEAR, *, column filters) plain text; repeated words are dropped because
    each costs a full read of its posting list.
    """
    words = list(dict.fromkeys(terms(query)))[:max_words]
    return " ".join(f'"{w}"' for w in words)
