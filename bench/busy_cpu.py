"""/api/context latency for unknown pages with a title (the server embeds the title) on an idle and on a busy CPU.

A reader's machine is never idle, and a follow round embeds articles beside the web workers: this runs a real
`masthead serve` (its default workers and threads) on a corpus grown by bench/context_latency.py, and measures
p50/p95/p99 of title requests four ways: sequential and with --clients concurrent clients, each with the machine
idle and with --burners CPU-bound processes running beside the server (plain Python loops, each stopping by
itself after its time). Stored-article requests are measured the same way as a reference. The baseline in the
same run is a plain Python process encoding the same titles one at a time (embed.Encoder), idle and busy.

With --answers FILE the related ids of every title request are written (first run) or compared (later runs):
a change to how the server encodes must not change what it answers.

Usage: .venv/bin/python bench/busy_cpu.py [--db /tmp/masthead-bench/zipf.db] [--requests 300] [--burners 2]
       [--baseline /tmp/main/server]   (git -C REPO archive main server | tar -x -C /tmp/main)
"""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT / "bench"))

from backends import serve  # noqa: E402
from context_latency import children, rss_mb  # noqa: E402

BURN = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"


def percentiles(times: list[float]) -> dict:
    times = sorted(times)
    return {"p50": statistics.median(times), "p95": times[max(0, int(0.95 * len(times)) - 1)],
            "p99": times[max(0, int(0.99 * len(times)) - 1)], "n": len(times)}


def burners(n: int, seconds: float) -> list[subprocess.Popen]:
    """n CPU-bound processes, each ending by itself after `seconds` (also killed by the caller when done)."""
    return [subprocess.Popen([sys.executable, "-c", BURN.format(seconds=seconds)]) for _ in range(n)]


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.kill()
        p.wait()


SKIPPED: list[str] = []  # answers whose coverage the server skipped (all its ranking slots busy): fast but incomplete


def timed(session: requests.Session, base: str, params: dict) -> tuple[float, list]:
    started = time.perf_counter()
    response = session.get(base + "/api/context", params=params, timeout=60)
    ms = 1000 * (time.perf_counter() - started)
    response.raise_for_status()
    answer = response.json()
    if answer.get("coverage_skipped"):
        SKIPPED.append(answer["coverage_skipped"])
    return ms, [r["url"] for r in answer["related"]]


def sequential(base: str, params: list[dict]) -> tuple[list[float], list]:
    session = requests.Session()
    out = [timed(session, base, p) for p in params]
    return [t for t, _ in out], [a for _, a in out]


def parallel(base: str, params: list[dict], clients: int) -> list[float]:
    sessions = [requests.Session() for _ in range(clients)]

    def client(i: int) -> list[float]:
        return [timed(sessions[i], base, p)[0] for p in params[i::clients]]

    with ThreadPoolExecutor(clients) as pool:
        return [t for part in pool.map(client, range(clients)) for t in part]


def plain_encode(titles: list[str]) -> list[float]:
    """Encode each title alone in a fresh plain process (the encoder as ingest or a script runs it)."""
    out = subprocess.run([sys.executable, __file__, "--plain-encode"], input="\n".join(titles), capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "server")}, check=True)
    return json.loads(out.stdout)


def _plain_encode_main() -> None:
    from masthead import embed

    titles = sys.stdin.read().splitlines()
    encoder = embed.Encoder()
    encoder.encode(titles[:20])  # loaded and warm
    times = []
    for title in titles:
        started = time.perf_counter()
        encoder.encode([title])
        times.append(1000 * (time.perf_counter() - started))
    print(json.dumps(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="/tmp/masthead-bench/zipf.db", help="a corpus grown by bench/context_latency.py")
    parser.add_argument("--serve", help="serve this corpus instead (a PostgreSQL URL grown by the same generator, e.g. "
                        "by bench/backends.py); the requests' URLs and titles are still picked from --db")
    parser.add_argument("--requests", type=int, default=300, help="requests per kind and phase")
    parser.add_argument("--burners", type=int, default=2, help="CPU-bound processes beside the server when busy")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients in the concurrent phases")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--baseline", help="also serve the masthead package under this directory (e.g. an export of "
                        "main's server/), interleaved with this tree's in the same minutes")
    parser.add_argument("--phases", default="idle,busy", help="which phases to run, in order")
    parser.add_argument("--answers", help="write (if missing) or compare the related URLs answered for each title")
    parser.add_argument("--plain-encode", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain_encode:
        return _plain_encode_main()
    conn = sqlite3.connect(args.db)
    total = conn.execute("SELECT max(id) FROM articles").fetchone()[0]
    rng = random.Random(5)
    picks = [conn.execute("SELECT url, title FROM articles WHERE id = ?", (rng.randint(1, total),)).fetchone()
             for _ in range(args.requests)]
    conn.close()
    titles = [{"url": f"https://unknown-{i}.example/a", "title": title} for i, (_, title) in enumerate(picks)]
    stored = [{"url": url} for url, _ in picks]
    load = os.getloadavg()
    served = args.serve or args.db
    print(f"corpus {served.split('@')[-1]} ({total:,} articles); server: {args.workers} workers x {args.threads} threads; "
          f"{args.requests} requests per kind and phase; busy = {args.burners} CPU-bound processes; "
          f"load average before {load[0]:.1f}", flush=True)
    servers = [("this tree", ROOT / "server")] + ([("baseline", Path(args.baseline))] if args.baseline else [])
    rows = []
    for phase in args.phases.split(","):
        hogs = burners(args.burners, 900) if phase == "busy" else []
        try:
            time.sleep(1 if hogs else 0)
            rows.append((phase, "-", "plain encode, one title", percentiles(plain_encode([p["title"] for p in titles]))))
            for name, server in servers:
                # A fresh server for each phase: its first requests count, as a reader's first page after a restart.
                proc, base = serve(served, ROOT / "sources.yaml", args.workers, args.threads, wait=180, server=server)
                try:
                    times, answers = sequential(base, titles)
                    rows.append((phase, name, "title, sequential", percentiles(times)))
                    rows.append((phase, name, "title, first 10 requests", percentiles(times[:10])))
                    SKIPPED.clear()
                    rows.append((phase, name, f"title, {args.clients} clients", percentiles(parallel(base, titles, args.clients))))
                    print(f"{phase}, {name}: {len(SKIPPED)} of {len(titles)} answers to {args.clients} clients skipped "
                          f"coverage (all ranking slots busy)", flush=True)
                    rows.append((phase, name, "stored page, sequential", percentiles(sequential(base, stored)[0])))
                    rss = [round(rss_mb(p)) for p in [proc.pid] + children(proc.pid)]
                finally:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        proc.wait(60)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
                print(f"{phase}, {name}: server RSS master and workers {rss} MB; load average {os.getloadavg()[0]:.1f}", flush=True)
                if args.answers:
                    path = Path(args.answers)
                    if not path.exists():
                        path.write_text(json.dumps(answers))
                        print(f"{phase}, {name}: answers written to {path}")
                    else:
                        kept = json.loads(path.read_text())
                        same = sum(a == b for a, b in zip(kept, answers))
                        print(f"{phase}, {name}: {same}/{len(kept)} title answers the same as in {path}", flush=True)
        finally:
            stop(hogs)
    print(f"{'phase':6} {'server':10} {'measure':28} {'p50':>8} {'p95':>8} {'p99':>8}")
    for phase, name, label, m in rows:
        print(f"{phase:6} {name:10} {label:28} {m['p50']:6.1f}ms {m['p95']:6.1f}ms {m['p99']:6.1f}ms")


if __name__ == "__main__":
    main()
