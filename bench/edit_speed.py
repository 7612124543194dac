"""How long one edit through the server takes on the bundled sources.yaml: the kept document against parsing
the file for every edit (the baseline, measured in the same run).

Usage: .venv/bin/python bench/edit_speed.py [--edits 7]

Each edit is a PATCH of one outlet's note through the Flask app (test client, in process: the same code as a
served request, without the socket). The first edit parses the file; later ones reuse the kept document unless
the baseline mode drops it before every edit. Validation of the whole new file runs on every edit in both modes.
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

from masthead.web.app import create_app  # noqa: E402

TOKEN = "bench-token-0123456789abcdef0123456789"


def run(edits: int, keep: bool) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        sources = Path(tmp) / "sources.yaml"
        shutil.copy(ROOT / "sources.yaml", sources)
        shutil.copytree(ROOT / "lists", Path(tmp) / "lists")  # the bundled lists it includes
        app = create_app({"SOURCES": str(sources), "DB": str(Path(tmp) / "c.db"), "TOKEN": TOKEN,
                          "CONFIG_DIR": str(Path(tmp) / "cfg"), "SOURCES_CHECK_INTERVAL": 3600})
        client = app.test_client()
        curator = app.extensions["masthead"].extras["curator"]
        times = []
        for n in range(edits):
            if not keep:
                curator._cached = None
            started = time.perf_counter()
            response = client.patch("/api/outlets/rt", json={"note": f"Bench edit {n}."},
                                    headers={"Authorization": f"Bearer {TOKEN}"})
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.get_json()
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=7)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}; sources.yaml {os.path.getsize(ROOT / 'sources.yaml') // 1024} KB")
    baseline = run(args.edits, keep=False)
    kept = run(args.edits, keep=True)
    base_median, kept_median = statistics.median(baseline[1:]), statistics.median(kept[1:])
    print(f"parse every edit (baseline): first {baseline[0] * 1000:.0f} ms, median of the rest {base_median * 1000:.0f} ms")
    print(f"kept document:               first {kept[0] * 1000:.0f} ms, median of the rest {kept_median * 1000:.0f} ms")
    print(f"ratio kept/baseline: {kept_median / base_median:.2f}")


if __name__ == "__main__":
    main()
