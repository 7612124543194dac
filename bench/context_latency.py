"""/api/context latency with related coverage, on a real `masthead serve`, at growing corpus sizes (Zipf corpus).

Every article has a vector (random unit vectors: see _random_vectors), so each answer pays for the nearest-vector
scan of its window as well as the lexical candidates; unknown pages with a title are embedded by the server.

The corpus grows in place: the first 10k articles, then up to 100k, then up to 1M (the generator is deterministic,
so each size holds the smaller ones). At each size: p50/p95/p99 of sequential requests for stored articles and for
unknown pages with a title, and the server's memory (RSS of the master and each worker).

Usage: .venv/bin/python bench/context_latency.py [--sizes 10000,100000,1000000] [--workdir /tmp/masthead-bench]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import common
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT / "bench"))

from masthead.corpus import connect  # noqa: E402
from masthead.ingest import ingest  # noqa: E402
from masthead.registry import load  # noqa: E402
from zipf_corpus import articles  # noqa: E402


def grow(db: Path, workdir: Path, size: int, registry) -> None:
    corpus = connect(db)
    have = corpus.count()
    if have >= size:
        corpus.close()
        return
    part = workdir / f"part-{have}-{size}.jsonl"
    started = time.perf_counter()
    with open(part, "w") as out:
        for record in itertools.islice(articles(size), have, size):
            out.write(json.dumps(record) + "\n")
    generated = time.perf_counter() - started
    started = time.perf_counter()
    summary = ingest([str(part)], corpus, registry, embedding=False)
    seconds = time.perf_counter() - started
    part.unlink()
    started = time.perf_counter()
    stored = _random_vectors(corpus)
    print(f"stored {stored:,} vectors in {time.perf_counter() - started:.0f} s", flush=True)
    print(f"grew the corpus {have} -> {corpus.count()} articles: generated in {generated:.0f} s, ingested "
          f"{dict(summary.counts)} in {seconds:.0f} s ({(size - have) / seconds:.0f} records/s); "
          f"file {db.stat().st_size / 1e9:.2f} GB", flush=True)
    corpus.close()


def _random_vectors(corpus, seed: int = 11) -> int:
    """Give every article without one a random unit vector. Embedding 1M texts takes hours on 2 cores; the cost of
    the nearest-vector scan does not depend on the vectors' values, and random ones are never near (so the answers
    come from the lexical path, as for these Zipf texts they should)."""
    import numpy as np
    from masthead import embed

    rng = np.random.default_rng(seed)
    done, after = 0, 0
    while True:
        rows = corpus.missing_vectors(20_000, after)
        if not rows:
            return done
        v = rng.standard_normal((len(rows), embed.DIM)).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        corpus.set_vectors([(r["id"], embed.pack(x)) for r, x in zip(rows, v)])
        done += len(rows)
        after = rows[-1]["id"]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def serve(db: Path, sources: Path, workers: int, threads: int) -> tuple[subprocess.Popen, str]:
    return common.serve(db, sources, workers, threads, wait=20)


def measure(db: Path, sources: Path, requests_n: int, workers: int, threads: int) -> dict:
    conn = sqlite3.connect(db)
    total = conn.execute("SELECT max(id) FROM articles").fetchone()[0]
    rng = random.Random(5)
    picks = [conn.execute("SELECT url, title FROM articles WHERE id = ?", (rng.randint(1, total),)).fetchone() for _ in range(requests_n)]
    conn.close()
    proc, base = serve(db, sources, workers, threads)
    session = requests.Session()
    try:
        results = {}
        for label, params in (
            ("stored article", [{"url": url} for url, _ in picks]),
            ("unknown page + title", [{"url": f"https://unknown-{i}.example/a", "title": title} for i, (_, title) in enumerate(picks)]),
        ):
            times, related = common.timed_contexts(session, base, params, timeout=30)
            results[label] = {
                "p50": statistics.median(times), "p95": times[int(0.95 * len(times)) - 1], "p99": times[int(0.99 * len(times)) - 1],
                "mean_related": statistics.mean(related),
            }
        pids = [proc.pid] + children(proc.pid)
        results["rss_mb"] = {"master": rss_mb(proc.pid), "workers": [round(rss_mb(p)) for p in pids[1:]]}
        return results
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--workdir", default="/tmp/masthead-bench")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--build-only", action="store_true", help="grow the corpus to the largest size and stop")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    sources = ROOT / "sources.yaml"
    registry = load(sources)
    db = workdir / "zipf.db"
    print(f"corpus {db}; server: gunicorn, {args.workers} workers x {args.threads} threads; {args.requests} sequential requests per kind")
    for size in (int(s) for s in args.sizes.split(",")):
        grow(db, workdir, size, registry)
        if args.build_only:
            continue
        r = measure(db, sources, args.requests, args.workers, args.threads)
        for label in ("stored article", "unknown page + title"):
            m = r[label]
            print(f"{size:>9,} articles  {label:22} p50 {m['p50']:6.1f} ms  p95 {m['p95']:6.1f} ms  p99 {m['p99']:6.1f} ms  "
                  f"related/answer {m['mean_related']:.1f}", flush=True)
        print(f"{size:>9,} articles  RSS: master {r['rss_mb']['master']:.0f} MB, workers {r['rss_mb']['workers']} MB", flush=True)


if __name__ == "__main__":
    main()
