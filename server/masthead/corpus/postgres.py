"""The article corpus on PostgreSQL (psycopg 3, a connection pool): the same interface and behaviour as SQLite's.

For a shared server (a newsroom, a research group): many app hosts on one database that the organisation
already runs, replicates and backs up. Schema: ordered plain-SQL migrations (MIGRATIONS; the version is the
list's length, kept in `schema_version`), the miniflux model: one `document` tsvector per article, the title
weighted A and the text B, built with the text-search configuration of the article's language (`simple` when
the language is unknown or PostgreSQL has no stemmer for it), in a narrow table (article_search, written by a
trigger) with a GIN index and a date index, the URL table, the near-duplicate sketch tables and a column for the
article's embedding vector, with its signs beside it (a window's nearest vectors are picked in the server by
Hamming distance; only their vectors travel).

Writes are serialised by one transaction-level advisory lock, as SQLite serialises them with BEGIN IMMEDIATE:
duplicate detection then sees every committed article, whichever host wrote it. Readers never wait for it.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import struct
import threading
import time
from collections import Counter
from contextlib import contextmanager
from typing import Iterable, Iterator

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from .base import RESCORE, AddResult, Article, Corpus, CorpusUnavailable, RecordError
from .dedup import decide
from .feedstate import FeedStateStore
from .text import SKETCH_KEYS, WIDE_DAYS, authors_json as _authors_json, content_hash, idf_weight, sketch, vocabulary as _vocabulary
from .postgres_rows import STAGE_ROWS, Staged, day_of, day_bounds, dicts, check_storable as _check_storable, sign_bits
from .postgres_lexical import wide_candidates, window_candidates
from .postgres_schema import LANGUAGE_CONFIGS, MIGRATIONS, SCHEMA_VERSION, WRITE_LOCK, configure, migrate as _migrate, search_config

__all__ = ["PostgresCorpus", "MIGRATIONS", "SCHEMA_VERSION", "LANGUAGE_CONFIGS", "search_config"]

log = logging.getLogger("masthead.corpus.postgres")

CONFIGS_TTL = 30.0  # seconds a process trusts its list of the text-search configurations in use
# A read waits READ_WAIT for a connection (was the pool's 30 s: with the database down, twelve reads held every
# thread, issue 26); after a failure to reach it, reads fail at once for BREAK_SECONDS (a circuit breaker).
READ_WAIT, BREAK_SECONDS = 3.0, 5.0
def _tsquery_word(word: str) -> str:
    """A word as a quoted tsquery operand (terms() never yields quotes, but a caller might)."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _unavailable(exc: Exception) -> CorpusUnavailable:
    """The driver's error as the interface's, with the reason an operator acts on."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    state = getattr(getattr(exc, "diag", None), "sqlstate", None) or ""
    if state in ("53100",):  # disk_full
        return CorpusUnavailable(f"the disk holding the corpus database is full: {message}", "full")
    if state in ("25006",) or "read-only" in message:
        return CorpusUnavailable(f"the corpus database is read-only: {message}", "read-only")
    if state in ("55P03", "40P01"):
        return CorpusUnavailable(f"the corpus database is locked: {message}", "locked")
    if state.startswith("XX") or state == "22P02" and "corrupt" in message:
        return CorpusUnavailable(f"the corpus database is damaged: {message}", "corrupt")
    return CorpusUnavailable(f"the corpus database is unavailable: {message}")


def _guarded(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (psycopg.Error, PoolTimeout) as exc:
            raise _unavailable(exc) from exc
    return wrapper


class PostgresCorpus(FeedStateStore, Corpus):
    """The corpus in a PostgreSQL database. Unlike SQLite's, one instance serves every thread of a process:
    reads borrow a pooled connection per call; a write transaction (begin() ... commit(), or transaction())
    keeps one connection for its thread until it ends."""

    backend = "postgresql"

    def __init__(self, url: str, min_size: int = 1, max_size: int | None = None, timeout: float = 30.0):
        from . import describe

        self.path = url  # what callers key caches by; never a file
        self.location = describe(url)
        max_size = max_size or int(os.environ.get("MASTHEAD_DB_POOL", "8"))
        self.pool = ConnectionPool(url, min_size=min_size, max_size=max(min_size, max_size), timeout=timeout,
                                   kwargs={"autocommit": True, "application_name": "masthead"}, configure=configure,
                                   open=False)
        self._local = threading.local()  # this thread's open write transaction
        self.read_wait = min(timeout, READ_WAIT)
        self._broken_until = 0.0
        self._configs: set[str] | None = None
        self._configs_read = 0.0
        try:
            # One plain connection first: it migrates, and when the server cannot be reached its error says why
            # (refused, unknown host, authentication), where the pool would only say that it timed out.
            with psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(timeout))) as conn:
                _migrate(conn)
            self.pool.open(wait=True, timeout=timeout)
        except (psycopg.Error, PoolTimeout) as exc:
            self.pool.close()
            raise _unavailable(exc) from exc

    # connections and transactions

    @_guarded
    def close(self) -> None:
        self.pool.close()

    @contextmanager
    def _conn(self):
        """The thread's transaction connection when one is open, else a pooled one for this call."""
        tx = getattr(self._local, "tx", None)
        if tx is not None:
            tx["staged"].write(tx["conn"])  # a read inside a write transaction sees its own articles
            yield tx["conn"]
            return
        if (wait := self._broken_until - time.monotonic()) > 0:
            raise CorpusUnavailable(f"the corpus database is unavailable: it could not be reached; next try in {wait:.0f} s")
        try:
            with self.pool.connection(timeout=self.read_wait) as conn:
                yield conn
        except (PoolTimeout, psycopg.OperationalError) as exc:
            if not isinstance(exc, psycopg.errors.QueryCanceled):  # a slow query is not a database that is down
                self._broken_until = time.monotonic() + BREAK_SECONDS
            raise

    @property
    def _tx(self) -> dict | None:
        return getattr(self._local, "tx", None)

    @_guarded
    def begin(self, defer_index: bool = False) -> None:
        """A write transaction add() calls join until commit() (defer_index is SQLite's: GIN batches new entries)."""
        if self._tx is not None:
            return
        conn = self.pool.getconn()
        try:
            conn.execute("BEGIN")
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        except BaseException:
            self.pool.putconn(conn)
            raise
        self._local.tx = {"conn": conn, "df": Counter(), "added": 0, "urls": 0, "configs": set(), "staged": Staged()}

    @_guarded
    def commit(self) -> None:
        tx = self._tx
        if tx is None:
            return
        conn = tx["conn"]
        try:
            self._flush(tx)
            conn.execute("COMMIT")
        except BaseException:
            self._end(rollback=True)
            raise
        if tx["configs"] and self._configs is not None:
            self._configs |= tx["configs"]
        self._end()

    def rollback(self) -> None:
        if self._tx is not None:
            self._end(rollback=True)

    def _end(self, rollback: bool = False) -> None:
        tx = self._local.tx
        self._local.tx = None
        conn = tx["conn"]
        if rollback:
            try:
                conn.execute("ROLLBACK")
            except psycopg.Error:
                pass  # a broken connection: the pool replaces it
        self.pool.putconn(conn)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._tx is not None:
            yield
            return
        self.begin()
        try:
            yield
        except BaseException:
            self.rollback()
            raise
        self.commit()

    def _flush(self, tx: dict) -> None:
        """This transaction's changes to the document frequencies and the counters, in one round trip or two."""
        conn = tx["conn"]
        tx["staged"].write(conn)
        changes = sorted((term, n) for term, n in tx["df"].items() if n)
        if changes:
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS term_delta (term text, df bigint) ON COMMIT DELETE ROWS")
            with conn.cursor().copy("COPY term_delta (term, df) FROM STDIN") as copy:
                for row in changes:
                    copy.write_row(row)
            # Sorted, so that two writers never wait for each other's rows in opposite orders (the write lock
            # already orders them; this keeps it so for anyone writing without it).
            conn.execute("INSERT INTO term_stats (term, df) SELECT term, df FROM term_delta ORDER BY term "
                         "ON CONFLICT (term) DO UPDATE SET df = term_stats.df + excluded.df")
        if tx["added"] or tx["urls"]:
            conn.execute("UPDATE corpus_meta SET value = value + CASE key WHEN 'articles' THEN %s::bigint ELSE %s::bigint END "
                         "WHERE key IN ('articles', 'urls')", (tx["added"], tx["urls"]))
        if tx["configs"]:
            conn.execute("INSERT INTO corpus_configs (config) SELECT unnest(%s::text[])::regconfig ON CONFLICT DO NOTHING",
                         (sorted(tx["configs"]),))
        tx["df"], tx["added"], tx["urls"] = Counter(), 0, 0

    # writing

    @_guarded
    def add(self, article: Article) -> AddResult:
        """Insert or update one article; merge exact and near duplicates, keeping every URL."""
        if self._tx is not None:
            return self._add(self._tx, article)
        with self.transaction():
            return self._add(self._tx, article)

    def defer_term_stats(self) -> None:
        """SQLite recounts after large loads; here term_stats is kept exact by every transaction (one COPY)."""

    def refresh_term_stats(self) -> bool:
        return False

    def bulk(self) -> None:
        """Nothing to tune per connection: commits stay synchronous, so kill -9 loses nothing committed."""

    @_guarded
    def checkpoint(self) -> None:
        """After a load, refresh the planner's statistics (the server's own checkpoints handle the WAL)."""
        with self._conn() as conn:
            conn.execute("ANALYZE articles")

    @_guarded
    def add_many(self, articles: list[Article]) -> list[AddResult]:
        """add() for a run of articles, their duplicate lookups in three queries (not a round trip each)."""
        if self._tx is None:
            with self.transaction():
                return self.add_many(articles)
        tx = self._tx
        tx["staged"].write(tx["conn"])  # the lookups read the database: what is staged goes there first
        found = self._lookup(tx["conn"], articles)
        tx["staged"].block = len(articles)
        results = []
        for index, (article, kinds) in enumerate(zip(articles, found)):
            try:
                result = self._add(tx, article, kinds)
            except RecordError as exc:  # refused before anything was written: the run goes on
                results.append(exc)
                continue
            results.append(result)
            if result.status == "updated":  # an update changes what later lookups should find: ask again
                for rest in articles[index + 1:]:
                    try:
                        results.append(self._add(tx, rest))
                    except RecordError as exc:
                        results.append(exc)
                break
        tx["staged"].block = 1
        return results

    def _lookup(self, conn, articles: list[Article]) -> list[dict[str, list]]:
        """Per article: its URL's article ('url'), one with its text ('hash'), those sharing a sketch key ('near')."""
        urls = list({a.url for a in articles})
        digests = list({a.digest or content_hash(a.title, a.text) for a in articles})
        keys = list({h for a in articles for h in (a.hashes or [])[:SKETCH_KEYS]})
        known = {r[0]: r for r in conn.execute(
            "SELECT u.url, u.article_id, a.url, a.content_hash FROM article_urls u JOIN articles a ON a.id = u.article_id "
            "WHERE u.url = ANY(%s)", (urls,))}
        stored = dict(conn.execute("SELECT DISTINCT ON (content_hash) content_hash, id FROM articles "
                                   "WHERE content_hash = ANY(%s) ORDER BY content_hash, id", (digests,)).fetchall())
        holders: dict[int, list[int]] = {}
        sketches: dict[int, list[int]] = {}
        if keys:
            for key, article_id in conn.execute("SELECT hash, article_id FROM article_sketch WHERE hash = ANY(%s)", (keys,)):
                holders.setdefault(key, []).append(article_id)
            ids = list({i for found in holders.values() for i in found})
            if ids:
                sketches = {i: list(struct.unpack(f"<{len(b) // 8}q", bytes(b))) for i, b in conn.execute(
                    "SELECT article_id, sketch FROM article_sketches WHERE article_id = ANY(%s)", (ids,))}
        out = []
        for a in articles:
            kinds: dict[str, list] = {}
            if a.url in known:
                _, article_id, primary, digest = known[a.url]
                kinds["url"] = [("url", article_id, primary, digest, None)]
            digest = a.digest or content_hash(a.title, a.text)
            if digest in stored:
                kinds["hash"] = [("hash", stored[digest], None, None, None)]
            near = sorted({i for key in (a.hashes or [])[:SKETCH_KEYS] for i in holders.get(key, ())})[:20]
            if near:
                kinds["near"] = [("near", i, None, None, sketches[i]) for i in near if i in sketches]
            out.append(kinds)
        return out

    def _add(self, tx: dict, a: Article, found: dict | None = None) -> AddResult:
        _check_storable(a)
        conn = tx["conn"]
        digest = a.digest or content_hash(a.title, a.text)
        hashes = a.hashes or sketch(a.text)
        staged = tx["staged"]
        known = staged.urls.get(a.url)
        if known is not None and decide(a.url, digest, hashes, known, None, ()).status == "updated":
            self._flush_staged(tx)  # an update of an article not yet written: write it, then update it
            known = None
        by_kind = {} if known is not None else (found if found is not None else self._lookup(conn, [a])[0])
        if known is None and "url" in by_kind:
            known = by_kind["url"][0][1:4]
        exact = by_kind["hash"][0][1] if "hash" in by_kind else staged.hashes.get(digest)
        near = [(row[1], row[4]) for row in by_kind.get("near", [])] + staged.near(hashes) if hashes else []
        decision = decide(a.url, digest, hashes, known, exact, near)
        config = search_config(a.language)
        if decision.status == "unchanged":
            return AddResult("unchanged", decision.article_id)
        if decision.status == "updated":
            article_id = decision.article_id
            old_title, old_text = conn.execute("SELECT title, text FROM articles WHERE id = %s", (article_id,)).fetchone()
            tx["df"].subtract(_vocabulary(old_title, old_text))
            tx["df"].update(_vocabulary(a.title, a.text))
            conn.execute(
                "UPDATE articles SET title=%s, text=%s, published=coalesce(%s, published), language=coalesce(%s, language), "
                "authors=%s, site_name=coalesce(%s, site_name), outlet_id=coalesce(%s, outlet_id), fetched_at=%s, "
                "content_hash=%s, source=%s, search_config=CASE WHEN %s::text IS NULL THEN search_config ELSE %s::regconfig END "
                "WHERE id=%s",
                (a.title, a.text, a.published, a.language, _authors_json(a.authors), a.site_name, a.outlet_id,
                 a.fetched_at, digest, a.source, a.language, config, article_id),
            )
            conn.execute("DELETE FROM article_sketch WHERE article_id = %s", (article_id,))
            conn.execute("DELETE FROM article_sketches WHERE article_id = %s", (article_id,))
            if hashes:
                conn.execute("INSERT INTO article_sketches (article_id, sketch) VALUES (%s, %s)",
                             (article_id, struct.pack(f"<{len(hashes)}q", *hashes)))
                conn.execute("INSERT INTO article_sketch (hash, article_id) SELECT DISTINCT unnest(%s::bigint[]), %s "
                             "ON CONFLICT DO NOTHING", (hashes[:SKETCH_KEYS], article_id))
            self._note_config(tx, config)
            return AddResult("updated", article_id)
        if decision.status == "duplicate":
            staged.url(a, decision.article_id, primary=None, digest=None)
            tx["urls"] += 1
            return AddResult("duplicate", decision.article_id)
        article_id = staged.article(conn, a, digest, config, hashes)
        tx["df"].update(_vocabulary(a.title, a.text))
        tx["added"] += 1
        tx["urls"] += 1
        self._note_config(tx, config)
        if len(staged.articles) >= STAGE_ROWS:
            self._flush_staged(tx)
        return AddResult("added", article_id)

    def _flush_staged(self, tx: dict) -> None:
        tx["staged"].write(tx["conn"])

    def _note_config(self, tx: dict, config: str) -> None:
        if self._configs is None or config not in self._configs:
            tx["configs"].add(config)

    @_guarded
    def delete(self, url: str) -> list[str] | None:
        """Forget the article `url` belongs to, with all its URLs, sketches, document frequencies; see Corpus.delete."""
        with self.transaction():
            tx = self._tx
            conn = tx["conn"]
            tx["staged"].write(conn)
            row = conn.execute("SELECT article_id FROM article_urls WHERE url = %s", (url,)).fetchone()
            if row is None:
                return None
            article_id = row[0]
            title, text, primary = conn.execute("SELECT title, text, url FROM articles WHERE id = %s", (article_id,)).fetchone()
            known = [r[0] for r in conn.execute("SELECT url FROM article_urls WHERE article_id = %s ORDER BY position", (article_id,))]
            for table in ("article_urls", "article_sketch", "article_sketches"):
                conn.execute(f"DELETE FROM {table} WHERE article_id = %s", (article_id,))
            conn.execute("DELETE FROM articles WHERE id = %s", (article_id,))
            tx["df"].subtract(_vocabulary(title, text))
            tx["added"] -= 1
            tx["urls"] -= len(known)
        return [primary] + [u for u in known if u != primary]

    @_guarded
    def _feed_sql(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._conn() as conn:
            cursor = conn.execute(sql.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []

    # reading

    @_guarded
    def has_url(self, url: str) -> bool:
        with self._conn() as conn:
            return conn.execute("SELECT 1 FROM article_urls WHERE url = %s", (url,)).fetchone() is not None

    @_guarded
    def article(self, url: str) -> dict | None:
        """The stored article a canonical URL belongs to, with every URL it is known under."""
        with self._conn() as conn:
            row = conn.execute("SELECT article_id FROM article_urls WHERE url = %s", (url,)).fetchone()
        return self.article_by_id(row[0]) if row else None

    @_guarded
    def article_by_id(self, article_id: int) -> dict | None:
        with self._conn() as conn:
            cursor = conn.execute(
                "SELECT id, url, registered_domain, host, outlet_id, site_name, title, text, published, language, "
                "authors, fetched_at, content_hash, source FROM articles WHERE id = %s", (article_id,))
            row = cursor.fetchone()
            if row is None:
                return None
            article = dict(zip([d.name for d in cursor.description], row))
            article["urls"] = [
                dict(zip(("url", "registered_domain", "outlet_id", "site_name"), r))
                for r in conn.execute("SELECT url, registered_domain, outlet_id, site_name FROM article_urls "
                                      "WHERE article_id = %s ORDER BY position", (article_id,))
            ]
        if isinstance(article["authors"], str):
            article["authors"] = json.loads(article["authors"])
        return article

    @_guarded
    def count(self) -> int:
        """Number of stored articles: a counter every write transaction keeps (ids have gaps in PostgreSQL)."""
        tx = self._tx
        with self._conn() as conn:
            stored = conn.execute("SELECT value FROM corpus_meta WHERE key = 'articles'").fetchone()[0]
        return stored + (tx["added"] if tx else 0)

    @_guarded
    def doc_freqs(self, words: Iterable[str]) -> dict[str, int]:
        """How many articles contain each word (title or text); words in no article are left out."""
        words = list(dict.fromkeys(words))
        if not words:
            return {}
        with self._conn() as conn:
            found = dict(conn.execute("SELECT term, df FROM term_stats WHERE term = ANY(%s) AND df > 0", (words,)).fetchall())
        tx = self._tx
        if tx and tx["df"]:  # this transaction's own articles, not yet flushed
            for word in words:
                n = found.get(word, 0) + tx["df"].get(word, 0)
                if n > 0:
                    found[word] = n
                else:
                    found.pop(word, None)
        return found

    def _configs_in_use(self, conn) -> list[str]:
        # Re-read now and then: another host may have stored the first article in a new language.
        if self._configs is None or time.monotonic() - self._configs_read > CONFIGS_TTL:
            self._configs = {r[0] for r in conn.execute("SELECT config::text FROM corpus_configs").fetchall()}
            self._configs_read = time.monotonic()
        return sorted(self._configs) or ["masthead_simple"]

    def _tsquery(self, conn, words: list[str], operator: str = "&") -> tuple[str, list]:
        """SQL for a tsquery matching the words in every configuration in use (an article is indexed in its own)."""
        text = f" {operator} ".join(_tsquery_word(w) for w in words)
        configs = self._configs_in_use(conn)
        sql = "(" + " || ".join(f"to_tsquery('{c}', %s)" for c in configs) + ")"
        return sql, [text] * len(configs)

    @_guarded
    def rows(self, ids: list[int], text_chars: int = 3000) -> list[dict]:
        """Articles by id (metadata and the start of the text), in no particular order."""
        if not ids:
            return []
        with self._conn() as conn:
            rows = dicts(conn.execute(
                "SELECT id, url, title, published, language, registered_domain, outlet_id, site_name, left(text, %s) AS text "
                "FROM articles WHERE id = ANY(%s)", (int(text_chars), list(ids))))
        for row in rows:
            row["day"] = day_of(row["published"])
        return rows

    # --- what time-window ranking reads (issue 16): candidates within days, embedding vectors ---

    @_guarded
    def lexical_candidates(self, words: list[str], first_day: int, last_day: int, limit: int,
                           language: str | None = None) -> list[tuple[int, float]]:
        """(id, score) of the window's articles holding any of the words (as written and as `language` stems them),
        best first: ts_rank_cd (title 3x text), a bm25 without idf (docs/SCALING.md); past WIDE_DAYS the sum of the
        idf of the words held. (Stemmed in all 23 configurations in use at 1M articles, the words of a span search
        matched 20,771 articles, not 2,519.)"""
        if not words:
            return []
        first, last, words = *day_bounds(first_day, last_day), list(dict.fromkeys(words))
        wide, total, df = last_day - first_day > WIDE_DAYS, self.count(), self.doc_freqs(words)
        weights = [idf_weight(df.get(w, 0), total) for w in words]
        own = sorted({"masthead_simple", search_config(language)})  # not all 23 in use: see the docstring
        with self._conn() as conn:
            if not wide:  # a title's words of unknown language: as every language in use stems them, as before
                configs = own if language else self._configs_in_use(conn)
                return window_candidates(conn, configs, words, weights, first, last, limit)
            return wide_candidates(conn, own, words, weights, first, last, limit)

    @_guarded
    def put_vectors(self, items: list[tuple[int, bytes]]) -> None:
        """Store embedding vectors (id, embed.pack() bytes) beside their articles."""
        if not items:
            return
        with self.transaction():
            self._tx["conn"].execute(
                "UPDATE articles a SET embedding = v.vector FROM unnest(%s::bigint[], %s::bytea[]) AS v(id, vector) "
                "WHERE a.id = v.id", ([i for i, _ in items], [bytes(b) for _, b in items]))

    set_vectors = put_vectors  # the interface's name (Corpus.set_vectors)

    @_guarded
    def missing_vectors(self, limit: int, after_id: int = 0) -> list[dict]:
        """Articles without a vector (id, title, the start of the text), by id, after `after_id`."""
        with self._conn() as conn:
            return dicts(conn.execute("SELECT id, title, left(text, 2000) AS text FROM articles WHERE id > %s "
                                       "AND embedding IS NULL ORDER BY id LIMIT %s", (after_id, int(limit))))

    @_guarded
    def window_vectors(self, first_day: int, last_day: int) -> tuple[list[int], bytes]:
        """The ids of every article with a vector published between two day numbers, and their vectors end to end."""
        first, last = day_bounds(first_day, last_day)
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT id, embedding FROM articles WHERE published >= %s AND published < %s AND embedding IS NOT NULL",
                (first, last)).fetchall()
        return [r[0] for r in rows], b"".join(bytes(r[1]) for r in rows)

    @_guarded
    def nearest_in_window(self, first_day: int, last_day: int, vector, k: int) -> list[tuple[int, float]]:
        """The window's k nearest to the unit `vector`, highest cosine first, ties to the lowest id: the server picks
        the RESCORE x k whose signs differ least (ties alike) from the day index and sends their vectors (docs/SCALING.md)."""
        from .. import embed

        query, (first, last) = embed.pack(vector), day_bounds(first_day, last_day)
        with self._conn() as conn:
            rows = conn.execute(
                "WITH near AS (SELECT id FROM articles WHERE published >= %s AND published < %s AND signs IS NOT NULL "
                "AND length(signs) = %s ORDER BY bit_count(signs # %s::bit varying), id LIMIT %s) "
                "SELECT a.id, a.embedding FROM near JOIN articles a ON a.id = near.id",
                (first, last, len(query), sign_bits(query), RESCORE * int(k))).fetchall()
        sims = embed.cosines(b"".join(bytes(r[1]) for r in rows), vector).tolist()
        return sorted(((r[0], cos) for r, cos in zip(rows, sims)), key=lambda item: (-item[1], item[0]))[:k]

    @_guarded
    def vectors(self, ids: list[int]) -> dict[int, bytes]:
        if not ids:
            return {}
        with self._conn() as conn:
            return {r[0]: bytes(r[1]) for r in conn.execute(
                "SELECT id, embedding FROM articles WHERE id = ANY(%s) AND embedding IS NOT NULL", (list(ids),))}

    @_guarded
    def search(self, query: str, limit: int, offset: int = 0) -> list[dict]:
        """Full-text search for people: every word must match; ts_rank_cd with the title weighted 3x the text.

        The store quotes the words itself: tsquery operators in `query` are plain text."""
        words = self.plan_search(query).words
        if not words:
            return []
        with self._conn() as conn:
            sql, params = self._tsquery(conn, words)
            # Weights {D, C, B, A}: a title (A) match counts 3x a text (B) match, as bm25(3.0, 1.0) does in SQLite;
            # normalisation 1 divides by 1 + log(length), so long texts do not win by repetition alone.
            return dicts(conn.execute(
                "WITH q AS (SELECT " + sql + " AS q), "
                "hits AS (SELECT a.id, ts_rank_cd('{0.1, 0.1, 0.333, 1.0}', a.document, q.q, 1) AS score FROM article_search a, q "
                "  WHERE a.document @@ q.q ORDER BY score DESC, a.id LIMIT %s OFFSET %s) "
                "SELECT a.id, a.url, a.title, a.published, a.registered_domain, a.outlet_id, a.site_name, hits.score, "
                "  ts_headline(a.search_config, left(a.text, 20000), q.q, "
                "    'StartSel=\"\", StopSel=\"\", MaxWords=24, MinWords=12, MaxFragments=1, FragmentDelimiter=\" … \"') AS snippet "
                "FROM hits JOIN articles a ON a.id = hits.id, q ORDER BY hits.score DESC, a.id",
                [*params, limit, offset]))

    @_guarded
    def stats(self) -> dict:
        with self._conn() as conn:
            counts = dict(conn.execute("SELECT key, value FROM corpus_meta").fetchall())
            latest = conn.execute("SELECT fetched_at FROM articles ORDER BY id DESC LIMIT 1").fetchone()
        return {"articles": counts.get("articles", 0), "urls": counts.get("urls", 0), "schema_version": SCHEMA_VERSION,
                "last_added": latest[0] if latest else None, "backend": "postgresql"}

    @_guarded
    def integrity_check(self) -> list[str]:
        """[] when the counters, URLs and search documents agree with the articles, else the problems found."""
        problems = []
        with self._conn() as conn:
            counts = dict(conn.execute("SELECT key, value FROM corpus_meta").fetchall())
            articles, known, searched = conn.execute("SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM "
                                                     "article_urls), (SELECT count(*) FROM article_search)").fetchone()
            if counts.get("articles") != articles:
                problems.append(f"article counter {counts.get('articles')} but {articles} articles")
            if searched != articles:
                problems.append(f"{articles} articles but {searched} search documents")
            if counts.get("urls") != known:
                problems.append(f"URL counter {counts.get('urls')} but {known} URLs")
            orphans = conn.execute("SELECT count(*) FROM articles a WHERE NOT EXISTS "
                                   "(SELECT 1 FROM article_urls u WHERE u.url = a.url AND u.article_id = a.id)").fetchone()[0]
            if orphans:
                problems.append(f"{orphans} articles without their own URL")
        return problems
