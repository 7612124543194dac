"""Following feeds over simulated days: corpus size and time per round with and without --keep-days, and one round of
many local feeds (time, peak RSS memory). Feeds and small generated article pages come from a local server.

Usage: .venv/bin/python bench/follow_sim.py [--feeds 300] [--items 40] [--days 30] [--keep-days 7] [--round-only]
       .venv/bin/python bench/follow_sim.py --context --feeds 300 --round-items 10   # /api/context p95 idle vs during a round
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT / "tests"))

from feed_server import FeedServer, rss  # noqa: E402
from masthead.corpus import connect  # noqa: E402
from masthead.fetch import Fetcher  # noqa: E402
from masthead.follow import Follower  # noqa: E402
from masthead.registry import load  # noqa: E402

START = dt.datetime(2026, 3, 1, 6, 0, tzinfo=dt.timezone.utc)
DAY_IN_PATH = re.compile(r"-d(\d+)-")


def sources(path: Path, server: FeedServer, feeds: int) -> Path:
    lines = ["version: 1", "owners:", "  - id: owner", "    name: Owner", "    kind: company", "    country: DE", "outlets:"]
    for n in range(feeds):
        lines += [f"  - id: o{n}", f"    name: Outlet {n}", "    country: DE", "    languages: [en]", f"    domains: [o{n}.example]",
                  "    owner: owner", "    owner_sources: [https://example.org/owner]", f'    feeds: ["{server.base}/f{n}.xml"]']
    path.write_text("\n".join(lines) + "\n")
    return path


def publish_day(server: FeedServer, feeds: int, items: int, day: int) -> None:
    """Each feed lists the day's items (newest first), as a real feed rolls over."""
    stamp = (START + dt.timedelta(days=day)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    for n in range(feeds):
        listed = [(f"{server.base}/a/f{n}-d{day}-{i}", f"Outlet {n} day {day} story {i}", stamp) for i in range(items)]
        server.routes[f"/f{n}.xml"] = {"body": rss(listed), "etag": True}


def simulate(feeds: int, items: int, days: int, keep_days: int | None, workdir: Path) -> list[dict]:
    db = workdir / f"follow-{keep_days or 'all'}.db"
    rounds = []
    with FeedServer() as server:
        server.published = lambda path: (START + dt.timedelta(days=int(DAY_IN_PATH.search(path).group(1)))).strftime("%Y-%m-%dT%H:%M:%SZ") \
            if DAY_IN_PATH.search(path) else "2026-03-01T10:00:00Z"
        registry = load(sources(workdir / "sources.yaml", server, feeds))
        clock = [START.timestamp()]
        follower = Follower(connect(str(db)), registry, Fetcher(delay=0, allow=["127.0.0.1/32"]), keep_days=keep_days,
                            workers=1, clock=lambda: clock[0])
        for day in range(days):
            clock[0] = (START + dt.timedelta(days=day, hours=1)).timestamp()
            publish_day(server, feeds, items, day)
            started = time.monotonic()
            report = follower.round()
            seconds = time.monotonic() - started
            size = sum(p.stat().st_size for p in workdir.glob(db.name + "*"))
            rounds.append({"day": day + 1, "seconds": round(seconds, 1), "added": report.summary.counts["added"],
                           "duplicate": report.summary.counts["duplicate"], "failed": report.summary.counts["failed"],
                           "pruned": report.pruned, "articles": follower.corpus.count(), "bytes": size})
            print(json.dumps(rounds[-1]), flush=True)
        follower.corpus.close()
    return rounds


def one_round(feeds: int, items: int, workdir: Path) -> dict:
    """A first round over `feeds` feeds of `items` new items each: wall time and this process's peak RSS."""
    with FeedServer() as server:
        registry = load(sources(workdir / "sources-round.yaml", server, feeds))
        publish_day(server, feeds, items, 0)
        follower = Follower(connect(str(workdir / "round.db")), registry, Fetcher(delay=0, allow=["127.0.0.1/32"]), workers=4)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.monotonic()
        report = follower.round()
        seconds = time.monotonic() - started
        again = time.monotonic()
        second = follower.round()  # nothing due: the feeds' next polls lie ahead
        return {"feeds": feeds, "items": items, "seconds": round(seconds, 1), "added": report.summary.counts["added"],
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "rss_before_mb": round(before / 1024, 1), "second_round_polled": second.polled,
                "second_round_seconds": round(time.monotonic() - again, 2)}


def context_during_round(feeds: int, items: int, workdir: Path, requests_n: int = 300) -> dict:
    """/api/context p95 on a real `masthead serve` (2 workers), idle and while `masthead follow --once` (its own
    process, as `serve --follow` runs it) stores `items` new items from each of `feeds` feeds."""
    import statistics
    import subprocess

    import requests
    from servers import RunningServer

    db = workdir / "context.db"
    with FeedServer() as server:
        path = sources(workdir / "sources-context.yaml", server, feeds)
        publish_day(server, feeds, 3, 0)
        first = Follower(connect(str(db)), load(path), Fetcher(delay=0, allow=["127.0.0.1/32"]), workers=4)
        first.round()
        stored = [f"{server.base}/a/f{n}-d0-{i}" for n in range(feeds) for i in range(3)]
        first.corpus.release_lease(first.holder)  # the follower process below takes it
        for state in first.corpus.feed_states():  # and finds every feed due, as if their intervals had passed
            first.corpus.save_feed_state(state | {"next_poll": None})
        before = first.corpus.count()
        first.corpus.close()
        publish_day(server, feeds, items, 1)
        host = RunningServer(path, db, workers=2)
        session = requests.Session()

        def sample(count: int, until=None) -> list[float]:
            times = []
            for n in range(count):
                if until is not None and until():
                    break
                started = time.perf_counter()
                session.get(host.url + "/api/context", params={"url": stored[n % len(stored)]}, timeout=30).raise_for_status()
                times.append(1000 * (time.perf_counter() - started))
            return sorted(times)

        try:
            sample(30)
            idle = sample(requests_n)
            env = {**os.environ, "PYTHONPATH": str(ROOT / "server"), "MASTHEAD_EMBED": os.environ.get("FOLLOW_EMBED", "1")}
            follow = subprocess.Popen([sys.executable, "-m", "masthead", "follow", "--once", "--db", str(db), "--sources", str(path),
                                       "--delay", "0", "--allow-network", "127.0.0.1/32"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            started = time.monotonic()
            busy = sample(100_000, until=lambda: follow.poll() is not None)
            follow.wait()
            seconds = time.monotonic() - started
            added = connect(str(db)).count() - before
        finally:
            if "follow" in locals() and follow.poll() is None:
                follow.terminate()
                follow.wait(60)
            host.stop()
    p95 = lambda times: round(times[int(0.95 * len(times)) - 1], 1)  # noqa: E731
    return {"idle_p95_ms": p95(idle), "idle_p50_ms": round(statistics.median(idle), 1), "during_p95_ms": p95(busy),
            "during_p50_ms": round(statistics.median(busy), 1), "during_requests": len(busy),
            "round_seconds": round(seconds, 1), "round_pages": feeds * items, "round_added": added}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--items", type=int, default=40, help="new items per feed per day")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--keep-days", type=int, default=7)
    parser.add_argument("--round-only", action="store_true", help="only the single round of --feeds feeds")
    parser.add_argument("--keep-only", action="store_true", help="simulate with --keep-days only")
    parser.add_argument("--round-items", type=int, default=5, help="items per feed in the single round")
    parser.add_argument("--context", action="store_true", help="only /api/context p95 idle and during a round of --feeds feeds")
    args = parser.parse_args()
    os.environ.setdefault("MASTHEAD_EMBED", "0")
    print(f"load average before: {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="follow-sim-") as tmp:
        workdir = Path(tmp)
        if args.context:
            print(json.dumps({"context": context_during_round(args.feeds, args.round_items, workdir)}), flush=True)
            return
        print(json.dumps({"round": one_round(args.feeds, args.round_items, workdir)}), flush=True)
        if args.round_only:
            return
        for keep in ((args.keep_days,) if args.keep_only else (None, args.keep_days)):
            rounds = simulate(args.feeds, args.items, args.days, keep, workdir)
            print(json.dumps({"keep_days": keep, "final_bytes": rounds[-1]["bytes"], "final_articles": rounds[-1]["articles"],
                              "mean_round_seconds": round(sum(r["seconds"] for r in rounds) / len(rounds), 1)}), flush=True)
    print(f"load average after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
