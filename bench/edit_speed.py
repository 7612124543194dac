"""How long one edit takes through a real `masthead serve` (default workers) on the bundled sources.yaml, next to
the same edits through the app in one process (no socket, one worker: the floor for the same work), same run.

Usage: .venv/bin/python bench/edit_speed.py [--rounds 3] [--step 30]

Each edit is a PATCH of one outlet's note. The outlets are spread over the file (every `step`-th curated entry, so
sizes and positions vary) and the largest entry is measured on its own. Served edits land on either worker: each
worker keeps its document and follows the other's edits entry by entry, and parses the file once, in the
background, after it starts (the bench waits for that before it counts: `--no-wait` shows the first edits).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import requests
from common import ROOT, RunningServer, machine, ms

TOKEN = "bench-token-0123456789abcdef0123456789"


def copy_list(tmp: Path) -> Path:
    sources = tmp / "sources.yaml"
    shutil.copy(ROOT / "sources.yaml", sources)
    shutil.copytree(ROOT / "lists", tmp / "lists")  # the bundled lists it includes
    return sources


def spread(registry, step: int) -> tuple[list[str], str]:
    """Curated outlets at every `step`-th position of the file, and the one with the most lines."""
    curated = [o for o in registry.outlets.values() if o.curated]
    text = (ROOT / "sources.yaml").read_text(encoding="utf-8")
    size = {o.id: len(o.note or "") + 120 * len(o.labels) + 40 * len(o.domains) for o in curated}
    order = sorted(curated, key=lambda o: text.find(f"id: {o.id}\n"))
    return [o.id for o in order[::step]], max(size, key=size.get)


def timed(send, outlet_id: str, n: int) -> float:
    started = time.perf_counter()
    status, body = send(outlet_id, {"note": f"Bench edit {n}."})
    elapsed = time.perf_counter() - started
    assert status == 200, body
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="edits of each chosen outlet")
    parser.add_argument("--step", type=int, default=30, help="every step-th curated outlet is edited")
    parser.add_argument("--workers", type=int, default=2, help="`masthead serve --workers` (its default: 2)")
    parser.add_argument("--no-wait", action="store_true", help="count the first edits after start too")
    args = parser.parse_args()
    from masthead.registry import load
    from masthead.web.app import create_app

    print(machine() + f"; sources.yaml {os.path.getsize(ROOT / 'sources.yaml') // 1024} KB")
    chosen, largest = spread(load(ROOT / "sources.yaml"), args.step)
    print(f"{len(chosen)} outlets spread over the file, and the largest entry ({largest}); {args.rounds} rounds")
    auth = {"Authorization": f"Bearer {TOKEN}"}
    counter = iter(range(1_000_000))
    with tempfile.TemporaryDirectory() as tmp:
        server = RunningServer(copy_list(Path(tmp)), Path(tmp) / "c.db", env={"MASTHEAD_TOKEN": TOKEN}, workers=args.workers)
        try:
            def served(outlet_id, body):
                r = requests.patch(f"{server.url}/api/outlets/{outlet_id}", json=body, headers=auth, timeout=120)
                return r.status_code, r.text[:300]

            started = time.perf_counter()
            first = timed(served, chosen[0], next(counter))
            print(f"first served edit, {time.perf_counter() - started:.1f} s after the server answered: {first * 1000:.0f} ms")
            if not args.no_wait:
                time.sleep(5)
                for outlet in chosen[:args.workers * 2]:  # once per worker, near enough: not counted
                    timed(served, outlet, next(counter))
            served_times = [timed(served, o, next(counter)) for _ in range(args.rounds) for o in chosen]
            served_big = [timed(served, largest, next(counter)) for _ in range(args.rounds)]
        finally:
            server.stop()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SOURCES": str(copy_list(Path(tmp))), "DB": str(Path(tmp) / "c.db"), "TOKEN": TOKEN,
                          "CONFIG_DIR": str(Path(tmp) / "cfg"), "SOURCES_CHECK_INTERVAL": 3600})
        client = app.test_client()

        def in_process(outlet_id, body):
            r = client.patch(f"/api/outlets/{outlet_id}", json=body, headers=auth)
            return r.status_code, r.get_json()

        app.extensions["masthead"].curator.prepare()
        floor = [timed(in_process, o, next(counter)) for _ in range(args.rounds) for o in chosen]
    print(f"served, {args.workers} workers:      {ms(served_times)}")
    print(f"served, largest entry:  {ms(served_big)}")
    print(f"in process (floor):     {ms(floor)}")
    print(f"served / floor (medians): {statistics.median(served_times) / statistics.median(floor):.2f}")


if __name__ == "__main__":
    main()
