"""Faults the operator causes: a full or read-only disk gives a clear error, never a traceback, and loses nothing."""

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from servers import ROOT, SMALL_SOURCES

TOKEN = "fault-test-token-0123456789abcdef"


@contextlib.contextmanager
def small_disk(tmp_path, size="400k"):
    """A tmpfs of a few hundred KB we can fill or make read-only; needs root (the project's machines run as root)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a test file system here: {result.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(mount: Path) -> None:
    with open(mount / "filler", "wb", buffering=0) as out:
        with contextlib.suppress(OSError):
            while True:
                out.write(b"\0" * 4096)
                out.flush()


def make_app(sources: Path, tmp_path):
    from masthead.web.app import create_app

    return create_app({"SOURCES": str(sources), "DB": str(tmp_path / "c.db"), "TOKEN": TOKEN, "CONFIG_DIR": str(tmp_path / "cfg")})


def test_edit_on_a_full_disk_is_507_and_keeps_the_file(tmp_path):
    with small_disk(tmp_path) as disk:
        sources = disk / "sources.yaml"
        shutil.copy(SMALL_SOURCES, sources)
        client = make_app(sources, tmp_path).test_client()
        fill(disk)
        response = client.patch("/api/outlets/statenews", json={"name": "Renamed"}, headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 507
        assert "disk is full" in response.get_json()["error"] and "nothing was changed" in response.get_json()["error"]
        assert sources.read_bytes() == SMALL_SOURCES.read_bytes()
        assert not [p for p in disk.iterdir() if p.name.endswith(".tmp")]
        # still serving the last good state
        assert client.get("/api/context?url=https://statenews.example/a").get_json()["outlet"]["name"] == "State News"


def test_edit_on_a_read_only_disk_is_503_and_keeps_the_file(tmp_path):
    with small_disk(tmp_path) as disk:
        sources = disk / "sources.yaml"
        shutil.copy(SMALL_SOURCES, sources)
        client = make_app(sources, tmp_path).test_client()
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        response = client.patch("/api/outlets/statenews", json={"name": "Renamed"}, headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 503
        assert "nothing was changed" in response.get_json()["error"]
        assert sources.read_bytes() == SMALL_SOURCES.read_bytes()


def _ingest(db: Path, source: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "server")}
    return subprocess.run([sys.executable, "-m", "masthead", "ingest", str(source), "--db", str(db), "--sources", str(SMALL_SOURCES)],
                          capture_output=True, text=True, env=env, timeout=120)


def _articles(path: Path, n: int) -> Path:
    import json

    with open(path, "w") as out:
        for i in range(n):
            words = " ".join(f"w{i}x{j}" for j in range(250))
            out.write(json.dumps({"url": f"https://site{i % 40}.example/story/{i}", "title": f"Story {i} on the harbour vote",
                                  "text": words, "published": "2025-03-01"}) + "\n")
    return path


def test_ingest_on_a_full_disk_says_so_and_keeps_a_consistent_database(tmp_path):
    import sqlite3

    with small_disk(tmp_path, size="600k") as disk:
        db = disk / "corpus.db"
        result = _ingest(db, _articles(tmp_path / "many.jsonl", 3000))
        assert result.returncode != 0
        assert "Traceback" not in result.stderr, result.stderr[-2000:]
        assert "full" in result.stderr.lower()
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        assert stored < 3000


def test_ingest_into_a_read_only_disk_says_so(tmp_path):
    with small_disk(tmp_path) as disk:
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        result = _ingest(disk / "corpus.db", _articles(tmp_path / "few.jsonl", 3))
        assert result.returncode != 0
        assert "Traceback" not in result.stderr, result.stderr[-2000:]
        assert "read-only" in result.stderr.lower() or "cannot" in result.stderr.lower()
