"""Prototype of the Corpus methods story ranking needs (day windows, vectors); moves into corpus/ with the house."""

from __future__ import annotations

import datetime as dt

from .corpus import Corpus

__all__ = ["StoryCorpus", "day_number"]

_EPOCH = dt.date(1, 1, 1).toordinal()


def day_number(published: str | None) -> int | None:
    """'2026-02-26' or '2026-02-26T10:00:00Z' -> a day count (proleptic ordinal); None when absent or unreadable."""
    if not published:
        return None
    try:
        return dt.date.fromisoformat(str(published)[:10]).toordinal()
    except ValueError:
        return None


class StoryCorpus(Corpus):
    def ensure_story_schema(self) -> None:
        columns = {r[1] for r in self.conn.execute("PRAGMA table_info(articles)")}
        if "day" not in columns:
            self.conn.execute("ALTER TABLE articles ADD COLUMN day INTEGER")
            self.conn.execute("CREATE INDEX articles_day ON articles (day)")
            self.conn.execute("CREATE TABLE article_vectors (day INTEGER NOT NULL, article_id INTEGER NOT NULL, "
                              "vector BLOB NOT NULL, PRIMARY KEY (day, article_id)) WITHOUT ROWID")
            self.conn.execute("CREATE UNIQUE INDEX article_vectors_article ON article_vectors (article_id)")
        self.conn.execute("UPDATE articles SET day = CAST(julianday(substr(coalesce(published, fetched_at), 1, 10)) - 1721424.5 AS INTEGER) "
                          "WHERE day IS NULL")

    def put_vectors(self, items: list[tuple[int, bytes]]) -> None:
        with self.transaction():
            self.conn.executemany(
                "INSERT OR REPLACE INTO article_vectors (day, article_id, vector) SELECT day, id, ? FROM articles WHERE id = ?",
                [(blob, article_id) for article_id, blob in items])

    def lexical_candidates(self, words: list[str], first_day: int, last_day: int, limit: int) -> list[tuple[int, float]]:
        if not words:
            return []
        match = " OR ".join(f'"{w}"' for w in words)
        # Materialised first: a rowid constraint pushed into FTS5 makes it run the MATCH once per article in the window.
        return self.conn.execute(
            "WITH m AS MATERIALIZED (SELECT rowid AS id, bm25(articles_fts, 3.0, 1.0) AS s FROM articles_fts "
            "WHERE articles_fts MATCH ?) "
            "SELECT id, -s FROM m WHERE id IN (SELECT id FROM articles WHERE day BETWEEN ? AND ?) ORDER BY s LIMIT ?",
            (match, first_day, last_day, limit)).fetchall()

    def window_vectors(self, first_day: int, last_day: int) -> list[tuple[int, bytes]]:
        return self.conn.execute("SELECT article_id, vector FROM article_vectors WHERE day BETWEEN ? AND ?",
                                 (first_day, last_day)).fetchall()

    def vectors(self, ids: list[int]) -> dict[int, bytes]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        return dict(self.conn.execute(f"SELECT article_id, vector FROM article_vectors WHERE article_id IN ({marks})", ids))

    def rows(self, ids: list[int], text_chars: int = 3000) -> list[dict]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return self._rows(
            f"SELECT id, url, title, published, day, language, registered_domain, outlet_id, site_name, "
            f"substr(text, 1, {int(text_chars)}) AS text FROM articles WHERE id IN ({marks})", tuple(ids))
