"""Helpers to run the real `masthead serve` on a loopback port (imported by conftest and by tests)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
SMALL_SOURCES = DATA / "sources-small.yaml"
SHARED = ROOT.parent / "shared"  # ../shared beside the checkout: the one place tests look for it


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningServer:
    """`masthead serve` in a subprocess: the real WSGI server, a real corpus (a SQLite file or a PostgreSQL URL),
    loopback only."""

    def __init__(self, sources: Path, db: Path | str, env: dict | None = None, workers: int = 1, config: Path | None = None,
                 wait: float = 20.0):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.sources, self.db = sources, db
        cmd = [sys.executable, "-m", "masthead", "serve", "--port", str(self.port), "--sources", str(sources),
               "--db", str(db), "--workers", str(workers)]
        # Its own config directory, so a token generated at first start stays out of the user's home.
        if config is None:
            config = Path(sources).parent / "config" if "://" in str(db) else Path(db).parent / "config"
        full_env = {**os.environ, "PYTHONPATH": str(ROOT / "server"), "XDG_CONFIG_HOME": str(config), **(env or {})}
        # A file, not a pipe: a chatty server must never block on a full pipe nobody reads.
        self.log = tempfile.NamedTemporaryFile(prefix="masthead-serve-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(cmd, env=full_env, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait(wait)

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def _wait(self, wait: float) -> None:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited:\n" + self.output())
            try:
                if requests.get(self.url + "/api/ping", timeout=1).ok:
                    return
            except (requests.ConnectionError, requests.Timeout):  # a worker still starting has not read it yet
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start in {wait:.0f} s")

    def get(self, path: str, **kwargs):
        return requests.get(self.url + path, timeout=10, **kwargs)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
