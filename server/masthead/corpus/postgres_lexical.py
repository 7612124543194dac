"""PostgreSQL: the articles of a window of days holding any of a query's words, best first (lexical_candidates)."""

from __future__ import annotations

from .text import best_scores

__all__ = ["window_candidates", "wide_candidates", "word_hits", "POOL"]

POOL = 3  # x the candidates asked for: a week's matches with the most idf, ranked by ts_rank_cd

# Past text.WIDE_DAYS a window's matches are ranked by the idf of the words they hold, not by ts_rank_cd: that reads
# every match's document (a TOASTed tsvector), ~1 s for the ~5,000 matches of a background search's span of years at
# 270k articles; the GIN index alone says which words an article holds, and article_search's narrow rows (id, date)
# which articles those are: ~7 us a match at 1M articles.


def window_candidates(conn, configs: list[str], words: list[str], weights: list[float], first, last,
                      limit: int) -> list[tuple[int, float]]:
    """Ranked by ts_rank_cd (title 3x text), PostgreSQL's stand-in for SQLite's bm25, among the POOL x `limit` of
    the window's matches holding the most idf (wide_candidates' score).

    ts_rank_cd reads each article's document (TOASTed): a week of a 1M corpus holds thousands of matches, ~240 ms
    to rank them all. The pool is an approximation (an article holding only common words, often, can rank high by
    ts_rank_cd and miss it); with it, 1,000 UCI title queries share their top 3 with SQLite for 0.935, ranking every
    match 0.936. Any of the words, as each of `configs` stems them: one OR over the distinct lexemes."""
    pool = [i for i, _ in wide_candidates(conn, configs, words, weights, first, last, POOL * int(limit))]
    if not pool:
        return []
    return [(r[0], float(r[1])) for r in conn.execute(
        "WITH q AS (SELECT string_agg(DISTINCT quote_literal(l), ' | ')::tsquery AS q "
        "FROM unnest(%s::regconfig[]) AS c, unnest(tsvector_to_array(to_tsvector(c, %s))) AS l) "
        "SELECT a.id, ts_rank_cd('{0.1, 0.1, 0.333, 1.0}', a.document, q.q, 1) AS score FROM article_search a, q "
        "WHERE a.id = ANY(%s) ORDER BY score DESC, a.id LIMIT %s",
        [configs, " ".join(words), pool, int(limit)])]


def wide_candidates(conn, configs: list[str], words: list[str], weights: list[float], first, last,
                    limit: int) -> list[tuple[int, float]]:
    """The articles of a wide window holding any of the words, each scoring the idf of every word it holds (as bm25
    weighs words, without their counts): best first, then by id. One GIN lookup of every word's stems; the rows read
    are article_search's (an id, a date and a pointer to the document), never a document."""
    return best_scores(word_hits(conn, configs, words, weights, first, last), limit)


def word_hits(conn, configs, words, weights, first, last) -> dict[int, float]:
    """id -> the sum of the weights of the words it holds, for the window's articles holding any of the words."""
    return {r[0]: float(r[1]) for r in conn.execute(
        "WITH w AS (SELECT word, weight FROM unnest(%s::text[], %s::float8[]) AS t(word, weight)), "
        "q AS (SELECT w.weight, string_agg(DISTINCT quote_literal(l), ' | ')::tsquery AS q FROM w, "
        "unnest(%s::regconfig[]) AS c, unnest(tsvector_to_array(to_tsvector(c, w.word))) AS l GROUP BY w.word, w.weight) "
        "SELECT a.id, sum(q.weight) FROM q CROSS JOIN LATERAL (SELECT id FROM article_search "
        "WHERE document @@ q.q AND published >= %s AND published < %s) AS a GROUP BY a.id",
        [words, weights, configs, first, last])}
