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

__all__ = ["ROOT", "SHARED", "RunningServer", "free_port", "machine", "percentiles", "ms"]


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
