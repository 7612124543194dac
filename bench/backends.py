"""Both corpus backends in one run (issue 11): ingest throughput, /api/context latency with related coverage and
size on disk at growing sizes, and at each size two app hosts on one PostgreSQL database under wrk.

The Zipf corpus (bench/zipf_corpus.py) grows in place in both stores: a SQLite file and a database on a throwaway
PostgreSQL server (tests/pg.py: loopback only, fsync on, stopped at the end). At each size, each backend is served
by a real `masthead serve` (gunicorn, 2 workers x 4 threads), one at a time; 300 sequential requests per kind
after 30 warm-up requests. Then two servers on the one PostgreSQL database, each under its own wrk (bounded:
2 threads, --connections each, --seconds), requests rotating over stored and unknown pages; errors are counted.

Usage: .venv/bin/python bench/backends.py [--sizes 100000,1000000] [--workdir /tmp/masthead-backends] [--random-vectors]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

import common  # noqa: E402
import requests  # noqa: E402

from context_latency import _random_vectors, children, rss_mb  # noqa: E402
from load import LUA, wrk  # noqa: E402
from masthead.corpus import connect  # noqa: E402
from masthead.ingest import ingest  # noqa: E402
from masthead.registry import load  # noqa: E402
from pg import PostgresServer  # noqa: E402
from zipf_corpus import articles  # noqa: E402

PICKS = 2000  # (url, title) pairs kept from the generated articles, for requests


def serve(db: str, sources: Path, workers: int, threads: int, wait: float = 120.0,
          server: Path = ROOT / "server") -> tuple[subprocess.Popen, str]:
    return common.serve(db, sources, workers, threads, code=server, wait=wait)


def grow(backends: dict, workdir: Path, have: int, size: int, registry, picks: list, random_vectors: bool = False) -> dict:
    """Generate articles have..size once, ingest them into every backend; records/s per backend.

    With random_vectors, ingest is lexical (--no-embed) and every article then gets a random unit vector (as in
    context_latency.py): embedding 1M texts would take hours on 2 cores, and the cost of the window's vector search
    does not depend on the vectors' values. The records/s are then those of lexical ingest."""
    part = workdir / f"part-{have}-{size}.jsonl"
    rng = random.Random(size)
    with open(part, "w") as out:
        for n, record in enumerate(itertools.islice(articles(size), have, size), start=have):
            out.write(json.dumps(record) + "\n")
            if len(picks) < PICKS:
                picks.append((record["url"], record["title"]))
            elif rng.random() < PICKS / (n + 1):
                picks[rng.randrange(PICKS)] = (record["url"], record["title"])
    speeds = {}
    for name, db in backends.items():
        corpus = connect(db)
        if corpus.count() >= size:  # a corpus given already grown (--sqlite)
            print(f"  {name:10} already holds {corpus.count():,} articles: not grown", flush=True)
            speeds[name] = None
            corpus.close()
            continue
        started = time.perf_counter()
        summary = ingest([str(part)], corpus, registry, embedding=not random_vectors)
        seconds = time.perf_counter() - started
        speeds[name] = (size - have) / seconds
        print(f"  {name:10} grew {have:,} -> {corpus.count():,} articles in {seconds:.0f} s: {speeds[name]:,.0f} records/s "
              f"({dict(summary.counts)})", flush=True)
        if random_vectors:
            started = time.perf_counter()
            print(f"  {name:10} {_random_vectors(corpus):,} random vectors stored in {time.perf_counter() - started:.0f} s", flush=True)
        corpus.close()
    part.unlink()
    return speeds


def size_on_disk(name: str, db: str, server: PostgresServer) -> float:
    if name == "postgresql":
        return server.size("bench") / 1e9
    return sum(p.stat().st_size for p in Path(db).parent.glob(Path(db).name + "*")) / 1e9


def latency(db: str, sources: Path, picks: list, n: int) -> dict:
    proc, base = serve(db, sources, 2, 4)
    session = requests.Session()
    rng = random.Random(5)
    sample = [picks[rng.randrange(len(picks))] for _ in range(n)]
    out = {}
    try:
        for label, params in (("stored", [{"url": url} for url, _ in sample]),
                              ("title", [{"url": f"https://unknown-{i}.example/a", "title": t} for i, (_, t) in enumerate(sample)])):
            times, related = common.timed_contexts(session, base, params, timeout=60)
            out[label] = (statistics.median(times), times[int(0.95 * len(times)) - 1], statistics.mean(related))
        out["rss"] = [round(rss_mb(p)) for p in [proc.pid] + children(proc.pid)]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    return out


def two_hosts(db: str, sources: Path, picks: list, seconds: int, connections: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="masthead-hosts-"))
    paths_file, script = tmp / "paths.txt", tmp / "rotate.lua"
    paths = []
    for i, (url, title) in enumerate(picks):
        paths.append("/api/context?url=" + quote(url, safe="") if i % 2 else
                     f"/api/context?url={quote(f'https://unknown-{i}.example/story', safe='')}&title={quote(title, safe='')}")
    paths_file.write_text("\n".join(paths) + "\n")
    script.write_text(LUA)
    hosts = [serve(db, sources, 2, 4) for _ in range(2)]
    try:
        results: list = [None, None]

        def run(i, base):
            results[i] = wrk(base, seconds, connections, paths_file, script)

        import threading

        threads = [threading.Thread(target=run, args=(i, base)) for i, (_, base) in enumerate(hosts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        total = sum(r["requests"] for r in results)
        errors = sum(r["non_2xx"] + r["socket_errors"] for r in results)
        for i, r in enumerate(results):
            print(f"  host {i + 1}: {r['requests']:,} requests, {r['rps']:.0f} req/s, p50 {r['p50_ms']:.1f} ms, "
                  f"p99 {r['p99_ms']:.1f} ms, non-2xx {r['non_2xx']}, socket errors {r['socket_errors']}")
        print(f"  two hosts, one database: {total:,} requests in {seconds} s, {errors} errors", flush=True)
    finally:
        for proc, _ in hosts:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--workdir", default="/tmp/masthead-backends")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=20, help="wrk duration for the two-host run")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections per host")
    parser.add_argument("--sqlite", help="an SQLite corpus already grown to the largest size by the same generator "
                        "(context_latency.py's zipf.db): used as it is, not grown (saves ~20 min at 1M)")
    parser.add_argument("--random-vectors", action="store_true",
                        help="lexical ingest, then random vectors for every article (for 1M articles: no hours of embedding)")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    sources = ROOT / "sources.yaml"
    registry = load(sources)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load average {os.getloadavg()[0]:.1f} at start", flush=True)
    with PostgresServer(base=workdir, settings={"shared_buffers": "'512MB'", "max_wal_size": "'4GB'"}) as server:
        backends = {"sqlite": args.sqlite or str(workdir / "zipf.db"), "postgresql": server.database("bench")}
        picks: list = []
        have = 0
        for size in (int(s) for s in args.sizes.split(",")):
            print(f"\n{size:,} articles", flush=True)
            speeds = grow(backends, workdir, have, size, registry, picks, args.random_vectors)
            have = size
            for name, db in backends.items():
                r = latency(db, sources, picks, args.requests)
                speed = f"{speeds[name]:,.0f} records/s" if speeds[name] else "(not grown here)"
                print(f"  {name:10} {size:>9,}: ingest {speed}; size {size_on_disk(name, db, server):.2f} GB; "
                      f"stored p50 {r['stored'][0]:.1f} / p95 {r['stored'][1]:.1f} ms; title p50 {r['title'][0]:.1f} / "
                      f"p95 {r['title'][1]:.1f} ms; related/answer {r['stored'][2]:.1f}, {r['title'][2]:.1f}; RSS MB {r['rss']}; "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)
            print(f"  two app hosts on one PostgreSQL database ({have:,} articles), wrk 2 threads x {args.connections} "
                  f"connections each", flush=True)
            two_hosts(backends["postgresql"], sources, picks, args.seconds, args.connections)


if __name__ == "__main__":
    main()
