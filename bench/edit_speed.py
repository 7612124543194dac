"""How long one edit through the server takes on the bundled sources.yaml, with what is kept between edits
against keeping nothing (the baseline, measured in the same run).

Usage: .venv/bin/python bench/edit_speed.py [--rounds 3] [--baseline-edits 5]

Each edit is a PATCH of one outlet's note through the Flask app (test client, in process: the same code as a
served request, without the socket). The outlets are spread over the file (every 30th entry, so sizes and
positions vary), and the largest entry is measured on its own. Between edits the server keeps the curator's
document and the loader's tree and build of the file; the baseline drops them before every edit, so each edit
parses the whole file twice (to edit it, to validate it) and builds every entry. Included lists are parsed once
in both modes (their trees are kept by content hash).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))

from masthead.registry import loader  # noqa: E402
from masthead.web.app import create_app  # noqa: E402

TOKEN = "bench-token-0123456789abcdef0123456789"


class Server:
    def __init__(self, tmp: Path):
        sources = tmp / "sources.yaml"
        shutil.copy(ROOT / "sources.yaml", sources)
        shutil.copytree(ROOT / "lists", tmp / "lists")  # the bundled lists it includes
        self.app = create_app({"SOURCES": str(sources), "DB": str(tmp / "c.db"), "TOKEN": TOKEN,
                               "CONFIG_DIR": str(tmp / "cfg"), "SOURCES_CHECK_INTERVAL": 3600})
        self.client = self.app.test_client()
        self.curator = self.app.extensions["masthead"].extras["curator"]
        self.edits = 0

    def edit(self, outlet_id: str, keep: bool) -> float:
        if not keep:
            self.curator._cached = None
            loader.forget_kept()
        self.edits += 1
        started = time.perf_counter()
        response = self.client.patch(f"/api/outlets/{outlet_id}", json={"note": f"Bench edit {self.edits}."},
                                     headers={"Authorization": f"Bearer {TOKEN}"})
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.get_json()
        return elapsed


def spread(registry, step: int = 30) -> tuple[list[str], str]:
    """Curated outlets at every `step`-th position of the file, and the one with the most lines."""
    curated = [o for o in registry.outlets.values() if o.curated]
    text = (ROOT / "sources.yaml").read_text(encoding="utf-8")
    size = {o.id: len(o.note or "") + 120 * len(o.labels) + 40 * len(o.domains) for o in curated}
    order = sorted(curated, key=lambda o: text.find(f"id: {o.id}\n"))
    return [o.id for o in order[::step]], max(size, key=size.get)


def ms(values: list[float]) -> str:
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
    return f"median {statistics.median(values) * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms, max {values[-1] * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="edits of each chosen outlet with the kept state")
    parser.add_argument("--baseline-edits", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}; sources.yaml {os.path.getsize(ROOT / 'sources.yaml') // 1024} KB")
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        chosen, largest = spread(server.app.extensions["masthead"].sources.current())
        print(f"{len(chosen)} outlets spread over the file, and the largest entry ({largest})")
        baseline = [server.edit(chosen[i % len(chosen)], keep=False) for i in range(args.baseline_edits)]
        server.edit(chosen[0], keep=True)  # the first edit with nothing kept parses the file: not counted
        kept = [server.edit(outlet, keep=True) for _ in range(args.rounds) for outlet in chosen]
        big = [server.edit(largest, keep=True) for _ in range(args.rounds)]
    print(f"nothing kept (baseline):  {ms(baseline)}")
    print(f"kept between edits:       {ms(kept)}")
    print(f"largest entry, kept:      {ms(big)}")
    print(f"ratio kept/baseline (medians): {statistics.median(kept) / statistics.median(baseline):.3f}")


if __name__ == "__main__":
    main()
