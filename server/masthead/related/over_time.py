"""Background coverage: other outlets' reports of the same ongoing story at other times, outside its week (issue 23)."""

from __future__ import annotations

import math

from .. import embed, urls
from ..corpus.text import day_number, terms
from .rank import (LEAD_CHARS, WINDOWS, Query, fold, lexical_features, names_in, pick, query_for_page,
                   query_weights, query_words, rank, select_terms, unfolded, useful, words_language)

__all__ = ["background", "background_for_page", "background_candidates", "background_confidence",
           "BACKGROUND_THRESHOLD", "SAME_EVENT_DAYS"]

SAME_EVENT_DAYS = WINDOWS[0]  # within the story's week an article is same-event coverage (`related`), not background
SPAN_DAYS = 20 * 366  # how far back and ahead a story may run
LEXICAL_LIMIT = 100  # best matches over the span, by the idf of the words each holds (the week's own are dropped after)
MAX_TERMS, POSTINGS = 10, 4_000  # fewer words and postings than same-event ranking: the span holds every year
# (at 1M articles 4,000 postings found the same 100 candidates as 8,000 for 60 of 60 titles)
BRIDGES = 2  # same-event reports in other languages whose words are searched for too (how a story crosses languages)
HOPS, HOP_DAYS, HOP_K = 3, 2, 8  # around the likeliest earlier and later reports, the query's nearest vectors
RESCORED = 40  # candidates nearest by vector whose words are compared (a candidate's words cost ~0.1 ms)
SCAN_LIMIT = 50_000  # up to this many articles, every vector of the span is searched too, by their signs, which each
# connection keeps in memory until the file changes (corpus/sqlite_vectors.py: 5 ms of CPU at 10k articles)

# P(same ongoing story | how alike): a logistic model fitted on bench/related_threads.py's candidates (`--fit`,
# C=10, rounded; held out by thread, two folds gave 0.87 / 0.82 precision of candidates at 0.5). cos = cosine of the
# two USE vectors; cover, title as in same-event ranking; actors = share of the names in the query's headline and lead
# (capitalised words inside a sentence) found in the candidate's headline and lead; cross = 1 when the two are in
# different languages (their words cannot be compared). No date prior: a story may run for years.
# cross is large because USE gives the same content in two languages a lower cosine than in one (0.66-0.78 for the
# same statement in English and Russian; see TECH-NOTES).
WITH_VECTORS = {"bias": -14.7, "cos": 21.4, "cover": 3.65, "title": 2.25, "actors": 2.4, "cross": 3.55}
# Without vectors (articles stored with --no-embed), shared words alone: not fitted (the bench has vectors), set so that
# most of the query's word weight and its names must be shared.
LEXICAL_ONLY = {"bias": -5.0, "cover": 9.0, "title": 3.0, "actors": 3.0, "cross": 0.0}
# More likely than not. On the bench it shows 0.90 precision (0.91 at 0.6, 0.94 at 0.7, for fewer threads found:
# 0.83, 0.79, 0.75); the seed pair (issue 23) scores 0.54 and 0.77.
BACKGROUND_THRESHOLD = 0.5


def background_for_page(corpus, registry, page: urls.PageURL, outlet, title: str | None, as_of: str, limit: int = 5,
                        page_record: dict | None = None, encoder=None, related: list[dict] | None = None) -> list[dict]:
    """Up to `limit` articles from other outlets on the same ongoing story, published more than SAME_EVENT_DAYS from
    the page: the page as `related()` reads it (stored article, fetched page or title). `related` is the answer's
    same-event list, when already computed: its items are never repeated and its other-language reports lead to
    that language's coverage at other times; without it, it is computed here."""
    query = query_for_page(corpus, page, outlet, title, as_of, page_record=page_record, encoder=encoder)
    if query is None:
        return []
    if related is None:
        related = rank(corpus, registry, query, as_of)
    return background(corpus, registry, query, as_of, limit, related)


def background(corpus, registry, query: Query, as_of: str, limit: int = 5, related: list[dict] = (),
               threshold: float | None = None) -> list[dict]:
    """The same ongoing story at other times, most confident first, in the shape rank() returns; [] when nothing
    reaches the threshold (an article whose story has no other coverage gets nothing)."""
    if limit <= 0:
        return []
    threshold = BACKGROUND_THRESHOLD if threshold is None else threshold
    scored = [r for r in background_candidates(corpus, query, related) if r["confidence"] >= threshold]
    return pick([(r["confidence"], r) for r in scored], registry, query, as_of, limit, 1)


def background_candidates(corpus, query: Query, related: list[dict] = ()) -> list[dict]:
    """Articles outside the query's week that may report its story, each with `features` and `confidence`.

    Candidates come from (1) the query's distinctive words over SPAN_DAYS either side, (2) the words of its
    same-event reports in other languages over the same span, (3) the query's nearest vectors in the few days around
    the likeliest of those (other-language reports of the same occurrence), and (4) in a corpus of up to SCAN_LIMIT
    articles, its nearest vectors over the whole span. Each path reads a bounded number of rows.
    """
    qday = day_number(query.published)
    if qday is None:
        return []
    lo, hi = qday - SPAN_DAYS, qday + SPAN_DAYS
    weights, _idf, df, total = query_weights(query, corpus)
    found: dict[int, dict] = {}
    _lexical_paths(corpus, query, weights, df, total, related, lo, hi, found)
    if query.vector is not None and 0 < total <= SCAN_LIMIT:
        for article_id, cos in corpus.nearest_in_window(lo, hi, query.vector, LEXICAL_LIMIT):
            found.setdefault(article_id, {})["cos"] = cos
    shown = {item["url"] for item in related}
    if query.vector is not None:
        rows = _nearest_rows(corpus, query, found, qday, shown)
    else:
        rows = _outside_week(corpus, query, found, qday, shown)
    # The principal actors are those of the headline and lead (what is embedded), not every name further down.
    names = Actors({fold(w) for w in names_in(query.title, " ".join(query.text.split()[:embed.LEAD_WORDS]))})
    query_title = {fold(w) for w in terms(query.title) if useful(w)}
    words_of_query = query_words(query, corpus)
    min_shared = 2 if query.text else 1
    for row in rows:
        cover, title = lexical_features(words_of_query, query_title, row, min_shared)
        words = set(terms(f"{row['title'] or ''} {(row['text'] or '')[:LEAD_CHARS]}"))
        row["features"] = {
            "cos": found[row["id"]].get("cos"), "cover": cover, "title": title,
            "actors": names.share_in(words),
            "cross": 1.0 if row.get("language") and query.language not in (None, row["language"]) else 0.0,
            "days": abs(row["day"] - qday)}
        row["confidence"] = background_confidence(row["features"])
    rows.sort(key=lambda r: -r["confidence"])
    return rows


def background_confidence(features: dict) -> float:
    """P(same ongoing story): how alike two articles are, whatever the time between them."""
    model = WITH_VECTORS if features.get("cos") is not None else LEXICAL_ONLY
    z = model["bias"] + sum(model[name] * features[name] for name in ("cover", "title", "actors", "cross"))
    if features.get("cos") is not None:
        z += model["cos"] * features["cos"]
    return 1.0 / (1.0 + math.exp(-z))


class Actors:
    """The query's principal actors (folded names), each with every form that folds like it: a candidate's words are
    matched as they are, without folding each of its ~250 lead words (fold is idempotent, so this is the same set)."""

    def __init__(self, names: set[str]):
        self.forms = [frozenset(unfolded(name)) for name in names]

    def share_in(self, words: set[str]) -> float:
        """The share of the actors named among `words`."""
        if not self.forms:
            return 0.0
        return sum(1 for forms in self.forms if not forms.isdisjoint(words)) / len(self.forms)


def _lexical_paths(corpus, query, weights, df, total, related, lo, hi, found) -> None:
    chosen = select_terms(weights, df, total, MAX_TERMS, POSTINGS) if weights else []
    for article_id, score in corpus.lexical_candidates(chosen, lo, hi, LEXICAL_LIMIT, words_language(query)):
        found.setdefault(article_id, {})["bm25"] = score
    bridged = [item for item in related if item.get("language") and item["language"] != query.language][:BRIDGES]
    for item in bridged:
        other = Query(item.get("title") or "", item.get("snippet") or "", query.published)
        other_weights, _, other_df, _ = query_weights(other, corpus)
        words = select_terms(other_weights, other_df, total, MAX_TERMS, POSTINGS) if other_weights else []
        for article_id, score in corpus.lexical_candidates(words, lo, hi, LEXICAL_LIMIT // 2, item["language"]):
            found.setdefault(article_id, {})["bm25"] = score


def _outside_week(corpus, query, found, qday, shown, ids=None) -> list[dict]:
    """The candidates' rows with the start of their text, without the query, its week and what same-event coverage
    already lists."""
    ids = [a for a in (found if ids is None else ids) if a != query.article_id]
    return [r for r in corpus.rows(ids, LEAD_CHARS) if r.get("day") is not None
            and abs(r["day"] - qday) > SAME_EVENT_DAYS and r["url"] not in shown]


def _nearest_rows(corpus, query, found, qday, shown) -> list[dict]:
    """The RESCORED candidates nearest by vector, with the start of their text: below them a candidate's cosine is
    too low for its words to lift it over the threshold. Rows are read nearest first, a few dozen at a time, until
    RESCORED of them are outside the week and enough days are seen for the hops: a row costs a read of its text's
    pages, and most of the ~200 candidates are never needed."""
    _cosines(corpus, query, found, found)

    def farther(article_id: int) -> float:  # nearest first; a candidate without a vector last
        return -(found[article_id].get("cos") or -1.0)

    order = sorted(sorted(a for a in found if a != query.article_id), key=farther)
    rows: list[dict] = []
    for start in range(0, len(order), RESCORED):
        rows += _outside_week(corpus, query, found, qday, shown, order[start:start + RESCORED])
        if len(rows) >= RESCORED and len({r["day"] for r in rows if found[r["id"]].get("cos") is not None}) >= HOPS:
            break
    rows.sort(key=lambda r: (farther(r["id"]), r["id"]))
    rows += _hops(corpus, query, found, rows, qday, shown)
    return sorted(rows, key=lambda r: farther(r["id"]))[:RESCORED]


def _cosines(corpus, query, found, ids) -> None:
    missing = [a for a in ids if "cos" not in found[a]]
    stored = corpus.vectors(missing)
    if stored:
        for article_id, sim in zip(stored, embed.cosines(b"".join(stored.values()), query.vector)):
            found[article_id]["cos"] = float(sim)


def _hops(corpus, query, found, rows, qday, shown) -> list[dict]:
    """Reports in other languages of the likeliest earlier and later occurrences: the query's nearest vectors in the
    few days around each (a story told in one language at one time and in another later shares no words)."""
    likely = sorted((r for r in rows if found[r["id"]].get("cos") is not None), key=lambda r: -found[r["id"]]["cos"])
    days = list(dict.fromkeys(r["day"] for r in likely))[:HOPS]
    new: dict[int, float] = {}
    for day in days:
        for article_id, cos in corpus.nearest_in_window(day - HOP_DAYS, day + HOP_DAYS, query.vector, HOP_K):
            if article_id not in found:
                new[article_id] = cos
    for article_id, cos in new.items():
        found[article_id] = {"cos": cos}
    return _outside_week(corpus, query, found, qday, shown, list(new)) if new else []
