"""Load and soak: wrk against `masthead serve` with a large corpus; errors, throughput, p99, memory over time.

    python bench/load.py --db /tmp/masthead-bench/corpus.db              # 30 s at 64 connections (wrk)
    python bench/load.py --db /tmp/masthead-bench/corpus.db --soak 600   # 10-minute soak: RSS every 30 s

The corpus is grown to --size articles first if it is smaller (bench/zipf_corpus.py generates them).
Requests rotate over stored article URLs (related coverage from stored text) and unknown pages with
a title (related coverage from the title). Not a test: it prints numbers for docs/RELIABILITY.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "server"))

from context_latency import children, grow, rss_mb, serve  # noqa: E402

from masthead.registry import load  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LUA = r"""
local paths = {}
for line in io.lines(os.getenv("MASTHEAD_BENCH_PATHS")) do table.insert(paths, line) end
local i = math.random(#paths)
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
"""


def request_paths(db: Path, n: int = 2000) -> list[str]:
    conn = sqlite3.connect(db)
    total = conn.execute("SELECT max(id) FROM articles").fetchone()[0]
    rng = random.Random(11)
    rows = [conn.execute("SELECT url, title FROM articles WHERE id = ?", (rng.randint(1, total),)).fetchone() for _ in range(n)]
    conn.close()
    paths = []
    for i, row in enumerate(r for r in rows if r):
        url, title = row
        if i % 2:
            paths.append("/api/context?url=" + quote(url, safe=""))
        else:
            paths.append(f"/api/context?url={quote(f'https://unknown-{i}.example/story', safe='')}&title={quote(title or '', safe='')}")
    return paths


def wrk(base: str, seconds: int, connections: int, paths_file: Path, script: Path) -> dict:
    env = {**os.environ, "MASTHEAD_BENCH_PATHS": str(paths_file)}
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency", "-s", str(script), base],
                         capture_output=True, text=True, env=env, check=True).stdout
    def ms(pattern):
        m = re.search(pattern + r"\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    total = re.search(r"(\d+) requests in", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"requests": int(total.group(1)), "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50_ms": ms(r"\s50%"), "p99_ms": ms(r"\s99%"), "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": sum(map(int, sock.groups())) if sock else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=Path("/tmp/masthead-bench/corpus.db"))
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--soak", type=int, default=0, help="run this many seconds in 30-second rounds, printing RSS after each")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    args.db.parent.mkdir(parents=True, exist_ok=True)
    sources = ROOT / "sources.yaml"
    grow(args.db, args.db.parent, args.size, load(sources))
    tmp = Path(tempfile.mkdtemp(prefix="masthead-load-"))
    paths_file, script = tmp / "paths.txt", tmp / "rotate.lua"
    paths_file.write_text("\n".join(request_paths(args.db)) + "\n")
    script.write_text(LUA)
    proc, base = serve(args.db, sources, args.workers, args.threads)
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"corpus {sqlite3.connect(args.db).execute('SELECT count(*) FROM articles').fetchone()[0]} articles; "
          f"gunicorn {args.workers} workers x {args.threads} threads; wrk 2 threads, {args.connections} connections", flush=True)
    try:
        rounds = max(1, args.soak // 30) if args.soak else 1
        seconds = 30 if args.soak else args.seconds
        totals = {"requests": 0, "errors": 0}
        for n in range(rounds):
            r = wrk(base, seconds, args.connections, paths_file, script)
            totals["requests"] += r["requests"]
            totals["errors"] += r["non_2xx"] + r["socket_errors"]
            rss = [round(rss_mb(p)) for p in [proc.pid] + children(proc.pid)]
            print(f"round {n + 1}/{rounds}: {r['requests']} requests, {r['rps']:.0f} req/s, p50 {r['p50_ms']:.1f} ms, "
                  f"p99 {r['p99_ms']:.1f} ms, non-2xx {r['non_2xx']}, socket errors {r['socket_errors']}; RSS MB master+workers {rss}", flush=True)
        print(f"total: {totals['requests']} requests, {totals['errors']} errors")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
