"""Prototype: same-story ranking with time windows, multilingual vectors and a calibrated confidence (issue 16)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from . import embed
from .corpus import terms
from .corpus_story import day_number
from .related import _select, _useful, _weights, _fold

__all__ = ["StoryQuery", "Scored", "candidates", "confidence", "THRESHOLD"]

STORY_DAYS = 7  # first window: the week either side of the article
WIDE_DAYS = 30  # the window widens to this only when the first yields no candidate at all
HALF_LIFE_DAYS = 7.0
LEXICAL_CANDIDATES = 100
VECTOR_CANDIDATES = 50
THRESHOLD = 0.5


@dataclass
class StoryQuery:
    title: str
    text: str
    published: str | None  # stored, extracted, or the request's as_of
    article_id: int | None = None
    registered_domain: str | None = None
    outlet_id: str | None = None
    vector: object = None  # unit vector (numpy) or None


@dataclass
class Scored:
    row: dict
    features: dict = field(default_factory=dict)
    confidence: float = 0.0


def _lex_features(query_weights: dict[str, float], query_title: set[str], row: dict) -> tuple[float, float]:
    words = {_fold(w) for w in terms(row["title"] or "")} | {_fold(w) for w in terms((row["text"] or "")[:2500])}
    total = sum(query_weights.values()) or 1.0
    cover = sum(v for w, v in query_weights.items() if _fold(w) in words) / total
    cand_title = {_fold(w) for w in terms(row["title"] or "") if _useful(w)}
    title_overlap = len(cand_title & query_title) / len(cand_title) if cand_title else 0.0
    return cover, title_overlap


def candidates(corpus, query: StoryQuery, window: int | None = None) -> list[Scored]:
    """Every candidate from the story window with its features; the window widens once if it holds none."""
    qday = day_number(query.published)
    weights, idf, df, total = _weights(query, corpus)  # duck-typed: title, text, article_id
    chosen = _select(weights, df, total) if weights else []
    windows = [window] if window else [STORY_DAYS, WIDE_DAYS]
    found: dict[int, dict] = {}
    for days in windows:
        lo, hi = (qday - days, qday + days) if qday is not None else (-10**9, 10**9)
        for article_id, score in corpus.lexical_candidates(chosen, lo, hi, LEXICAL_CANDIDATES):
            found.setdefault(article_id, {})["bm25"] = score
        if query.vector is not None:
            blobs = corpus.window_vectors(lo, hi)
            if blobs:
                ids = [a for a, _ in blobs]
                sims = embed.as_matrix([b for _, b in blobs]) @ query.vector
                order = sims.argsort()[::-1][:VECTOR_CANDIDATES + 1]
                for index in order:
                    found.setdefault(ids[index], {})["cos"] = float(sims[index])
        found.pop(query.article_id, None)
        if found:
            break
    if not found:
        return []
    rows = corpus.rows(list(found))
    if query.vector is not None:
        missing = [r["id"] for r in rows if "cos" not in found[r["id"]]]
        for article_id, blob in corpus.vectors(missing).items():
            found[article_id]["cos"] = float(embed.unpack(blob) @ query.vector / max(1e-9, float((embed.unpack(blob) ** 2).sum()) ** 0.5))
    query_weights = {w: weights[w] for w in weights}
    query_title = {_fold(w) for w in terms(query.title) if _useful(w)}
    out = []
    for row in rows:
        f = found[row["id"]]
        cover, title_overlap = _lex_features(query_weights, query_title, row)
        days = abs(row["day"] - qday) if (row.get("day") is not None and qday is not None) else 3.0
        features = {"cos": f.get("cos"), "cover": cover, "title": title_overlap, "days": days}
        out.append(Scored(row, features, confidence(features)))
    out.sort(key=lambda s: -s.confidence)
    return out


# Logistic model of P(same story | features), fitted on the dev benchmark (bench/related_dev.py --fit).
WITH_VECTORS = {"bias": -6.0, "cos": 9.0, "cover": 2.0, "title": 2.0, "log_days": -1.0}
LEXICAL_ONLY = {"bias": -3.5, "cover": 3.5, "title": 3.0, "log_days": -1.0}


def confidence(features: dict) -> float:
    log_days = math.log1p(features["days"])
    if features.get("cos") is not None:
        w = WITH_VECTORS
        z = w["bias"] + w["cos"] * features["cos"] + w["cover"] * features["cover"] + w["title"] * features["title"] + w["log_days"] * log_days
    else:
        w = LEXICAL_ONLY
        z = w["bias"] + w["cover"] * features["cover"] + w["title"] * features["title"] + w["log_days"] * log_days
    return 1 / (1 + math.exp(-z))
