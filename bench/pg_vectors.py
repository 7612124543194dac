"""PostgreSQL's nearest vectors in a story's window (issue 27): picked by their signs in the server against every
vector of the window read over the connection (the exact search), on one throwaway server (tests/pg.py).

Articles are written straight into the table by COPY (a title, no text: the search here reads only the day and
the vector), spread over --days so that a 15-day window holds as many vectors as one at 1M articles over ~3 years
(~14,000). Two kinds of vectors: random unit vectors (no real neighbours: the hardest case for a prefilter by
signs) and "stories" (each vector near one of --stories centres, as articles on one story are). For each, the
overlap of the top 10 and top 51 (what related ranking asks for) with the exact search, and both latencies.

Usage: .venv/bin/python bench/pg_vectors.py [--articles 100000] [--days 105] [--queries 100]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT / "tests"))

from masthead import embed  # noqa: E402
from masthead.corpus import connect  # noqa: E402
from masthead.corpus.base import Corpus  # noqa: E402
from pg import PostgresServer  # noqa: E402

FIRST = dt.date(2026, 1, 1)
CLOSE = 0.5  # a cosine this high is the same story (unrelated USE headlines score 0.03-0.08)
WINDOW = 15  # days: the window related ranking reads around a story (related/rank.py)


def units(rng, n: int) -> np.ndarray:
    v = rng.standard_normal((n, embed.DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def fill(url: str, vectors: np.ndarray, days: int, prefix: str) -> None:
    """Articles with these vectors, one day each in turn, by COPY in one transaction (the signs column fills itself)."""
    import psycopg

    with psycopg.connect(url) as conn:
        with conn.cursor().copy("COPY articles (url, title, text, published, content_hash, embedding) FROM STDIN") as copy:
            for i, v in enumerate(vectors):
                copy.write_row((f"https://{prefix}.example/{i}", "t", "", (FIRST + dt.timedelta(days=i % days)).isoformat(),
                                f"{prefix}{i}", embed.pack(v)))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE articles")  # as autovacuum would: the index alone answers then


def compare(corpus, queries: np.ndarray, days: int) -> dict:
    top10, top51, close, fast, exact = [], [], [], [], []
    for n, q in enumerate(queries):
        lo = FIRST.toordinal() + (n * 7) % (days - WINDOW)
        hi = lo + WINDOW - 1
        started = time.perf_counter()
        got = corpus.nearest_in_window(lo, hi, q, 51)
        fast.append(1000 * (time.perf_counter() - started))
        started = time.perf_counter()
        truth = Corpus.nearest_in_window(corpus, lo, hi, q, 51)  # every vector of the window, exactly
        exact.append(1000 * (time.perf_counter() - started))
        ids, true_ids = [a for a, _ in got], [a for a, _ in truth]
        top10.append(len(set(ids[:10]) & set(true_ids[:10])) / 10)
        top51.append(len(set(ids) & set(true_ids)) / 51)
        near = {a for a, cos in truth if cos >= CLOSE}  # articles on the same story: what related coverage shows
        if near:
            close.append(len(near & set(ids)) / len(near))
    pct = lambda xs, p: sorted(xs)[max(0, int(p * len(xs)) - 1)]  # noqa: E731
    return {"top10": statistics.mean(top10), "top51": statistics.mean(top51), "min_top10": min(top10),
            "close": (statistics.mean(close), len(close)) if close else (float("nan"), 0),
            "signs": (statistics.median(fast), pct(fast, 0.95)), "exact": (statistics.median(exact), pct(exact, 0.95))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=105)
    parser.add_argument("--stories", type=int, default=2_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--workdir", default="/tmp")
    args = parser.parse_args()
    rng = np.random.default_rng(27)
    with PostgresServer(base=args.workdir, settings={"shared_buffers": "'512MB'"}) as server:
        for kind in ("random", "stories"):
            url = server.database(kind)
            corpus = connect(url)
            started = time.perf_counter()
            if kind == "random":
                vectors, queries = units(rng, args.articles), units(rng, args.queries)
            else:
                centres = units(rng, args.stories)
                vectors = centres[rng.integers(0, args.stories, args.articles)] + 0.08 * units(rng, args.articles)
                vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
                queries = centres[rng.integers(0, args.stories, args.queries)]
            fill(url, vectors, args.days, kind)
            per_window = args.articles * WINDOW // args.days
            print(f"{kind}: {args.articles:,} articles over {args.days} days (~{per_window:,} vectors a {WINDOW}-day window), "
                  f"written in {time.perf_counter() - started:.0f} s", flush=True)
            r = compare(corpus, queries, args.days)
            print(f"  agreement with the exact search over {args.queries} queries: top 10 {r['top10']:.1%} (lowest {r['min_top10']:.0%}), "
                  f"top 51 {r['top51']:.1%}; exact neighbours with cosine >= {CLOSE} found: {r['close'][0]:.1%} "
                  f"({r['close'][1]} queries had any)")
            print(f"  by signs in the server: p50 {r['signs'][0]:.1f} ms, p95 {r['signs'][1]:.1f} ms;  every vector over the "
                  f"connection (exact): p50 {r['exact'][0]:.1f} ms, p95 {r['exact'][1]:.1f} ms", flush=True)
            corpus.close()


if __name__ == "__main__":
    main()
