"""PostgreSQL: the articles of a window of days holding any of a query's words, best first (lexical_candidates)."""

from __future__ import annotations

from collections import Counter

__all__ = ["window_candidates", "wide_candidates", "word_hits"]

# Past text.WIDE_DAYS a window's matches are ranked by the idf of the words they hold, not by ts_rank_cd: that reads
# every match's document (a TOASTed tsvector), ~1 s for the ~5,000 matches of a background search's span of years at
# 270k articles; the GIN index alone says which words an article holds.


def window_candidates(conn, configs: list[str], words: list[str], first, last, limit: int) -> list[tuple[int, float]]:
    """Ranked by ts_rank_cd (title 3x text), PostgreSQL's stand-in for SQLite's bm25.

    Any of the words, as each configuration in use stems them: one OR over the distinct lexemes. (An OR of every
    configuration's tsquery repeats most lexemes once per configuration: with 20 languages in use, 240 operands for
    12 words, and each article of the window tested against all: 165 ms at 10k.) The GIN index and the date index
    are combined (BitmapAnd): only the window's matches are ranked."""
    return [(r[0], float(r[1])) for r in conn.execute(
        "WITH q AS (SELECT string_agg(DISTINCT quote_literal(l), ' | ')::tsquery AS q "
        "FROM unnest(%s::regconfig[]) AS c, unnest(tsvector_to_array(to_tsvector(c, %s))) AS l) "
        "SELECT a.id, ts_rank_cd('{0.1, 0.1, 0.333, 1.0}', a.document, q.q, 1) AS score FROM articles a, q "
        "WHERE a.document @@ q.q AND a.published >= %s AND a.published < %s ORDER BY score DESC, a.id LIMIT %s",
        [configs, " ".join(words), first, last, int(limit)])]


def wide_candidates(conn, configs: list[str], words: list[str], weights: list[float], first, last,
                     limit: int) -> list[tuple[int, float]]:
    """The articles of a wide window holding the rarest of the words: each scores the idf of every word it holds
    (as bm25 weighs words, without their counts), from each word's own index lookup, so no document is read.

    A common word's matches are thousands of rows fetched from all over the table for a small weight, so the
    rarer words are looked up first: once `limit` articles score more than all the commoner words together could
    give an article holding none of the rarer ones, the commoner words are only checked on those articles (the
    same top `limit` as scoring every match, as in MaxScore). Otherwise every match is scored."""
    order = sorted(range(len(words)), key=lambda i: (-weights[i], words[i]))
    scores: Counter = Counter()
    for done, i in enumerate(order, start=1):
        for article_id, weight in word_hits(conn, configs, [words[i]], [weights[i]], first, last):
            scores[article_id] += weight
        rest = order[done:]
        if len(scores) < limit or not rest:
            continue
        full = scores.copy()
        for article_id, weight in word_hits(conn, configs, [words[j] for j in rest], [weights[j] for j in rest],
                                            first, last, list(scores)):
            full[article_id] += weight
        best = sorted(full.items(), key=lambda item: (-item[1], item[0]))[:limit]
        if best[-1][1] > sum(weights[j] for j in rest):  # no article holding only commoner words can reach it
            return best
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]


def word_hits(conn, configs, words, weights, first, last, among: list[int] | None = None) -> list[tuple[int, float]]:
    """(id, the sum of the weights of the words it holds) of the window's articles holding any (of `among`)."""
    within = " AND id = ANY(%s)" if among is not None else ""
    return [(r[0], float(r[1])) for r in conn.execute(
        "WITH w AS (SELECT word, weight FROM unnest(%s::text[], %s::float8[]) AS t(word, weight)), "
        "q AS (SELECT w.weight, string_agg(DISTINCT quote_literal(l), ' | ')::tsquery AS q FROM w, "
        "unnest(%s::regconfig[]) AS c, unnest(tsvector_to_array(to_tsvector(c, w.word))) AS l GROUP BY w.word, w.weight) "
        "SELECT a.id, sum(q.weight) FROM q CROSS JOIN LATERAL (SELECT id FROM articles "
        f"WHERE document @@ q.q AND published >= %s AND published < %s{within}) AS a GROUP BY a.id",
        [words, weights, configs, first, last] + ([among] if among is not None else []))]
