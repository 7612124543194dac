"""What every benchmark shares: where things are, a real `masthead serve` (tests/servers.py's), the machine line."""

from __future__ import annotations

import os
import platform
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"  # ../shared beside the checkout: the one place benches look for it
for path in (ROOT / "server", ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from servers import RunningServer, free_port  # noqa: E402  (the same server the tests start)

__all__ = ["ROOT", "SHARED", "RunningServer", "free_port", "machine", "percentiles", "ms", "serve", "timed_contexts"]


def machine() -> str:
    """One line that says where a figure was measured, with the load at the time."""
    return (f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average {os.getloadavg()[0]:.1f}")


def percentiles(values: list[float], points=(50, 90, 95, 99)) -> dict[int, float]:
    ordered = sorted(values)
    return {p: ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] for p in points}


def ms(values: list[float]) -> str:
    """'median 12 ms, p90 20 ms, max 31 ms' for durations in seconds."""
    p = percentiles(values)
    return f"median {statistics.median(values) * 1000:.0f} ms, p90 {p[90] * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"


def serve(db, sources, workers: int = 2, threads: int = 4, code: Path = ROOT / "server", env: dict | None = None,
          wait: float = 120.0):
    """A real `masthead serve` of the package under `code` on a free loopback port, output discarded: (process, base
    URL). Waits up to `wait` s for /api/ping (a loaded machine starts slowly). The per-client title limit is off:
    a bench is one client asking many times."""
    import subprocess
    import time

    import requests

    port = free_port()
    cmd = [sys.executable, "-m", "masthead", "serve", "--port", str(port), "--sources", str(sources), "--db", str(db),
           "--workers", str(workers), "--threads", str(threads)]
    full_env = {**os.environ, "PYTHONPATH": str(code), "MASTHEAD_LOOKUP_RATE": "0", **(env or {})}
    proc = subprocess.Popen(cmd, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/api/ping", timeout=5).ok:
                return proc, base
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server did not start in {wait:.0f} s")


def timed_contexts(session, base: str, params: list[dict], timeout: float = 60, warm: int = 30) -> tuple[list[float], list[int]]:
    """/api/context for each of `params` after `warm` unmeasured ones: (sorted times in ms, related items per answer)."""
    import time

    for p in params[:warm]:  # the page cache and the workers' connections
        session.get(base + "/api/context", params=p, timeout=timeout)
    times, related = [], []
    for p in params:
        started = time.perf_counter()
        response = session.get(base + "/api/context", params=p, timeout=timeout)
        times.append(1000 * (time.perf_counter() - started))
        response.raise_for_status()
        related.append(len(response.json()["related"]))
    return sorted(times), related
