"""Benchmark: /api/context (outlet, chain, labels) through `masthead serve` on loopback, next to /api/ping.

Runs wrk (Debian package `wrk`) at 10 connections for each endpoint and prints requests/s,
p50 and p99. The ping endpoint is the ceiling: the same server, the same WSGI stack, no work.
Related coverage is switched off here (limit=0); bench/context_latency.py measures it.

    python bench/context_core.py [--seconds 15] [--connections 10] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LUA = r"""
local urls = {}
for line in io.lines(os.getenv("MASTHEAD_BENCH_URLS")) do table.insert(urls, line) end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", urls[(i % #urls) + 1])
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sample_paths(limit_related: int) -> list[str]:
    sys.path.insert(0, str(ROOT / "server"))
    from urllib.parse import quote

    from masthead.registry import load

    registry = load(ROOT / "sources.yaml")
    paths = []
    for n, outlet in enumerate(registry.outlets.values()):
        host = outlet.domains[0] if outlet.domains else outlet.paths[0]
        url = f"https://www.{host}/world/2024/01/{n}/a-story-about-something.html?utm_source=bench"
        paths.append(f"/api/context?limit={limit_related}&url={quote(url, safe='')}")
    paths.append("/api/context?limit=0&url=" + quote("https://unknown-site.example/story", safe=""))
    return paths


def run_wrk(url: str, seconds: int, connections: int, script: str | None = None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"\s50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50_ms": _ms(p50), "p99_ms": _ms(p99), "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else None}


def _ms(match) -> float:
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    tmp = Path(tempfile.mkdtemp(prefix="masthead-bench-"))
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "server")}
    server = subprocess.Popen([sys.executable, "-m", "masthead", "serve", "--port", str(port), "--workers", str(args.workers),
                               "--sources", str(ROOT / "sources.yaml"), "--db", str(tmp / "bench.db")], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/api/ping", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        urls_file = tmp / "urls.txt"
        urls_file.write_text("\n".join(sample_paths(0)) + "\n")
        script = tmp / "rotate.lua"
        script.write_text(LUA)
        os.environ["MASTHEAD_BENCH_URLS"] = str(urls_file)
        answer = json.load(urllib.request.urlopen(base + sample_paths(0)[0]))
        assert answer["outlet"], "the benchmark URL did not match an outlet"
        ceiling = run_wrk(base + "/api/ping", args.seconds, args.connections)
        context = run_wrk(base + "/api/context", args.seconds, args.connections, str(script))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"gunicorn {args.workers} workers x 4 threads, wrk 2 threads, {args.connections} connections, {args.seconds} s")
    for name, r in (("/api/ping (ceiling)", ceiling), ("/api/context", context)):
        print(f"{name:22} {r['rps']:8.0f} req/s   p50 {r['p50_ms']:6.2f} ms   p99 {r['p99_ms']:6.2f} ms   non-2xx {r['non_2xx']}")
    print(f"context / ceiling: {context['rps'] / ceiling['rps']:.0%} (target >= 70%); p99 target < 10 ms")


if __name__ == "__main__":
    main()
