"""Costly searches against `masthead serve`: eight at once per query shape, and how long /api/ping waits meanwhile.

    python bench/search_load.py --db /tmp/masthead-bench/corpus.db               # this checkout
    python bench/search_load.py --db /tmp/masthead-bench/corpus.db --code ../main/server   # a baseline to compare

Query shapes use the corpus's own most common words (from term_stats), so any corpus will do (issue 13 B8).
Not a test: it prints numbers for docs/RELIABILITY.md.
"""

from __future__ import annotations

import argparse
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import common
import requests

ROOT = Path(__file__).resolve().parent.parent


def serve(db: Path, code: Path, workers: int, threads: int) -> tuple[subprocess.Popen, str]:
    return common.serve(db, ROOT / "sources.yaml", workers, threads, code=code, wait=30)


def shapes(db: Path) -> dict[str, str]:
    conn = sqlite3.connect(db)
    top = [t for (t,) in conn.execute("SELECT term FROM term_stats ORDER BY df DESC LIMIT 32")]
    rare = conn.execute("SELECT term FROM term_stats WHERE df BETWEEN 20 AND 200 LIMIT 1").fetchone()[0]
    conn.close()
    return {
        "one common word x32": " ".join([top[0]] * 32),
        "8 distinct common words": " ".join(top[:8]),
        "32 distinct common words": " ".join(top[:32]),
        "31 common words + 1 rare": " ".join(top[:31] + [rare]),
    }


def burst(base: str, q: str, n: int = 8) -> tuple[float, float, int]:
    """(slowest search s, slowest ping s, errors) for n concurrent searches with pings every 0.2 s meanwhile."""
    times, errors, done = [], [0], threading.Event()

    def search() -> None:
        started = time.monotonic()
        try:
            if not requests.get(base + "/api/search", params={"q": q}, timeout=120).ok:
                errors[0] += 1
        except requests.RequestException:
            errors[0] += 1
        times.append(time.monotonic() - started)

    threads = [threading.Thread(target=search) for _ in range(n)]
    for t in threads:
        t.start()
    pings = []
    while any(t.is_alive() for t in threads):
        started = time.monotonic()
        try:
            requests.get(base + "/api/ping", timeout=60)
        except requests.RequestException:
            errors[0] += 1
        pings.append(time.monotonic() - started)
        time.sleep(0.2)
    for t in threads:
        t.join()
    return max(times), max(pings or [0.0]), errors[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--code", type=Path, default=ROOT / "server", help="the masthead package's parent folder to serve")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    queries = shapes(args.db)
    proc, base = serve(args.db, args.code.resolve(), args.workers, args.threads)
    try:
        articles = sqlite3.connect(args.db).execute("SELECT count(*) FROM articles").fetchone()[0]
        print(f"{articles} articles; gunicorn {args.workers} x {args.threads}; code {args.code}; 8 searches at once")
        burst(base, "warm every thread's connection")
        for name, q in queries.items():
            requests.get(base + "/api/search", params={"q": q}, timeout=120)  # warm the page cache
            slowest, ping, errors = burst(base, q)
            print(f"{name:28s} slowest search {slowest:6.2f} s, slowest ping {ping:6.2f} s, errors {errors}", flush=True)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)


if __name__ == "__main__":
    main()
