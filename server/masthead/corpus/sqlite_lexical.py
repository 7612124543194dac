"""SQLite: the articles of a window of days holding any of a query's words, best first (lexical_candidates)."""

from __future__ import annotations

from .sqlite_schema import ID_BITS
from .text import best_scores

__all__ = ["ID_MASK", "window_candidates", "wide_candidates"]

# Past text.WIDE_DAYS a window's matches are ranked by the idf of the words they hold, as PostgreSQL ranks them:
# FTS5's bm25() reads every match's position lists and counts each word over the whole index first: at 1M articles
# 7 ms for a headline's words over 40 years and 19 ms for a full text's, where reading the words' postings alone
# takes ~2 and ~5 ms.
ID_MASK = (1 << ID_BITS) - 1
MAX_DAY = (1 << 30) - 1  # a day number's bound in the index's rowids (today's is ~740,000)


def _rowids(first_day: int, last_day: int) -> tuple[int, int]:
    """The index's rowids start with the day (sqlite_schema.FTS_KEY): a window is one range FTS5 seeks to."""
    first, last = max(first_day, 0), min(last_day, MAX_DAY)
    return first << ID_BITS, (last << ID_BITS) | ID_MASK


def window_candidates(conn, match: str, first_day: int, last_day: int, limit: int) -> list[tuple[int, float]]:
    """Ranked by FTS5's bm25 (title 3x text). FTS5 reads only the window's part of each word's postings and scores
    only those (at 1M articles: 2 ms; testing every match of the corpus against the window's ids took 17 ms, and
    scoring them all first 37 ms)."""
    return conn.execute(
        f"SELECT rowid & {ID_MASK}, -bm25(articles_fts, 3.0, 1.0) AS s FROM articles_fts WHERE articles_fts MATCH ? "
        "AND rowid BETWEEN ? AND ? ORDER BY s DESC LIMIT ?", (match, *_rowids(first_day, last_day), limit)).fetchall()


def wide_candidates(conn, quoted: list[str], weights: list[float], first_day: int, last_day: int,
                    limit: int) -> list[tuple[int, float]]:
    """Each article of the window holding any of the (quoted) words scores the weight (idf) of every word it holds,
    from each word's postings alone (no position list is read); best first, then by id."""
    scores: dict[int, float] = {}
    lo, hi = _rowids(first_day, last_day)
    for word, weight in zip(quoted, weights):
        if not word:
            continue  # nothing FTS5 would take for a word
        for (article_id,) in conn.execute(
                f"SELECT rowid & {ID_MASK} FROM articles_fts WHERE articles_fts MATCH ? AND rowid BETWEEN ? AND ?",
                (word, lo, hi)):
            scores[article_id] = scores.get(article_id, 0.0) + weight  # Counter's __missing__ is Python code
    return best_scores(scores, limit)
