"""The SQLite corpus's schema: migrations in order (the version is the list's length, in PRAGMA user_version)."""

from __future__ import annotations

import logging
import sqlite3

import sqlite_utils

from .feedstate import SQLITE_TABLES as FEED_TABLES
from .sqlite_vectors import VectorStore, create_tables

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "FTS_TOKENIZE", "FTS_HASH_SIZE", "FTS_KEY", "ID_BITS", "migrate"]

FTS_TOKENIZE = "unicode61 remove_diacritics 2"
FTS_HASH_SIZE = 64 << 20  # bytes of pending index data before FTS5 writes a segment
# The full-text index's rowid for an article (schema 6): its day in the high bits, its id in the low ID_BITS. A
# story's window of days is then one range of rowids, which FTS5 reads directly, whatever order articles came in.
ID_BITS = 32
FTS_KEY = f"((coalesce({{row}}day, 0) << {ID_BITS}) + {{row}}id)"


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


def _migration_5(db: sqlite_utils.Database) -> None:
    # A story's window is searched by the vectors' signs, kept in chunks of one day (sqlite_vectors.py), and the
    # few nearest are read in full by id: at 1M articles, 60 rows of signs instead of 14,000 vectors (7 MB).
    # Vectors stored by schema 4 move over, day by day.
    conn = db.conn
    conn.execute("ALTER TABLE article_vectors RENAME TO article_vectors_4")
    conn.execute("DROP INDEX IF EXISTS article_vectors_article")
    create_tables(conn)
    store = VectorStore(conn)
    for day, article_id, vector in conn.execute("SELECT day, article_id, vector FROM article_vectors_4 ORDER BY day, article_id"):
        store.pending.append((article_id, day, vector))
        if len(store.pending) >= 20_000:
            store.flush()
    store.flush()
    conn.execute("DROP TABLE article_vectors_4")


def _migration_6(db: sqlite_utils.Database) -> None:
    # Related coverage's window filter read every full-text match of the whole corpus and tested it against the
    # window's ~14,000 ids (17 ms at 1M articles). Keyed by FTS_KEY (day first), the window is a rowid range that
    # FTS5 seeks to. The index is external-content over a view that computes the key, with an index on the same
    # expression for FTS5's lookups (snippets): no column is added, so no article row is rewritten.
    conn = db.conn
    for trigger in ("articles_ai", "articles_ad", "articles_au"):
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    conn.execute("DROP TABLE IF EXISTS articles_fts_vocab")
    conn.execute("DROP TABLE IF EXISTS articles_fts")
    key = FTS_KEY.format(row="")
    conn.execute(f"CREATE VIEW articles_fts_content AS SELECT id, {key} AS fts_key, title, text FROM articles")
    conn.execute(f"CREATE INDEX articles_fts_key ON articles ({key})")
    conn.execute("CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles_fts_content', "
                 f"content_rowid='fts_key', tokenize='{FTS_TOKENIZE}')")
    conn.execute("CREATE VIRTUAL TABLE articles_fts_vocab USING fts5vocab(articles_fts, row)")
    conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('rank', 'bm25(3.0, 1.0)')")
    conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('hashsize', ?)", (FTS_HASH_SIZE,))
    new, old = FTS_KEY.format(row="new."), FTS_KEY.format(row="old.")
    conn.execute(f"CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN INSERT INTO articles_fts (rowid, title, text) "
                 f"VALUES ({new}, new.title, new.text); END")
    conn.execute(f"CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN INSERT INTO articles_fts (articles_fts, rowid, "
                 f"title, text) VALUES ('delete', {old}, old.title, old.text); END")
    conn.execute(f"CREATE TRIGGER articles_au AFTER UPDATE ON articles BEGIN INSERT INTO articles_fts (articles_fts, rowid, "
                 f"title, text) VALUES ('delete', {old}, old.title, old.text); INSERT INTO articles_fts (rowid, title, text) "
                 f"VALUES ({new}, new.title, new.text); END")
    # In key order: FTS5 writes out what it holds whenever a rowid is lower than the last one.
    conn.execute("INSERT INTO articles_fts (rowid, title, text) SELECT fts_key, title, text FROM articles_fts_content ORDER BY fts_key")


def _migration_7(db: sqlite_utils.Database) -> None:
    # `masthead follow` (issue 22): each feed's polling state and the follower's lease (feedstate.py).
    for statement in FEED_TABLES:
        db.conn.execute(statement)


MIGRATIONS = [_migration_1, _migration_2, _migration_3, _migration_4, _migration_5, _migration_6, _migration_7]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> None:
    if conn.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait, then see the new version
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version:  # a corpus with articles: the upgrade may rebuild indexes (minutes at 1M articles)
            logging.getLogger("masthead").warning(
                "upgrading the corpus from schema %d to %d (%s articles); large corpora take minutes, once",
                version, SCHEMA_VERSION, f"{conn.execute('SELECT count(*) FROM articles').fetchone()[0]:,}")
        db = sqlite_utils.Database(conn)
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            migration(db)
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
