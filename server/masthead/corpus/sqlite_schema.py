"""The SQLite corpus's schema: migrations in order (the version is the list's length, in PRAGMA user_version)."""

from __future__ import annotations

import sqlite3

import sqlite_utils

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "FTS_TOKENIZE", "FTS_HASH_SIZE", "migrate"]

FTS_TOKENIZE = "unicode61 remove_diacritics 2"
FTS_HASH_SIZE = 64 << 20  # bytes of pending index data before FTS5 writes a segment


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


def _migration_4(db: sqlite_utils.Database) -> None:
    # Related coverage looks for a story in a window of days first (issue 16). `day` (date.toordinal() of the
    # published date, else the fetch date) with its index gives a window's articles without reading their rows.
    db.execute("ALTER TABLE articles ADD COLUMN day INTEGER")
    db.execute("UPDATE articles SET day = CAST(julianday(substr(coalesce(published, fetched_at), 1, 10)) - 1721424.5 AS INTEGER)")
    db.execute("CREATE INDEX articles_day ON articles (day)")
    # Sentence vectors (embed.py, 512 int8 bytes), clustered by day: a window's vectors are one range scan.
    db.execute("CREATE TABLE article_vectors (day INTEGER NOT NULL, article_id INTEGER NOT NULL, vector BLOB NOT NULL, "
               "PRIMARY KEY (day, article_id)) WITHOUT ROWID")
    db.execute("CREATE UNIQUE INDEX article_vectors_article ON article_vectors (article_id)")


MIGRATIONS = [_migration_1, _migration_2, _migration_3, _migration_4]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> None:
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
