"""Shared fixtures: the corpus location once per backend, the Flask app and client in-process, and a real
`masthead serve` on a loopback port."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Sentence embeddings off unless a test asks for them (ingest(..., embedding=True), an encoder passed to rank):
# loading the encoder in every ingest and server process would make the suite slow for nothing it checks.
os.environ.setdefault("MASTHEAD_EMBED", "0")

from pg import pg_server  # noqa: F401  (the session's PostgreSQL server, a fixture)
from servers import DATA, ROOT, SMALL_SOURCES, RunningServer, free_port  # noqa: F401  (re-exported for tests)

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path) -> str:
    """Where the corpus lives, once per backend: a SQLite file, or a fresh database on the session's PostgreSQL.

    Every test that takes it runs against both; a test that needs one store's internals uses tmp_path itself.
    """
    if request.param == "sqlite":
        yield str(tmp_path / "corpus.db")
        return
    server = request.getfixturevalue("pg_server")
    url = server.database()
    yield url
    from masthead import corpus as corpus_module

    corpus_module.close_shared(url)
    server.drop(url)


@pytest.fixture(autouse=True)
def private_dirs(tmp_path_factory, monkeypatch):
    """No test reads or writes the real ~/.config/masthead or ~/.local/share/masthead (tokens, corpus)."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    for name in ("MASTHEAD_SOURCES", "MASTHEAD_DB", "MASTHEAD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def sources_copy(tmp_path) -> Path:
    path = tmp_path / "sources.yaml"
    shutil.copy(SMALL_SOURCES, path)
    return path


@pytest.fixture
def app(sources_copy, db, tmp_path):
    from masthead.web.app import create_app

    return create_app({"SOURCES": str(sources_copy), "DB": db, "SOURCES_CHECK_INTERVAL": 0, "TESTING": True,
                       "CONFIG_DIR": str(tmp_path / "config")})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner():
    from click.testing import CliRunner

    return CliRunner()


@pytest.fixture
def server(sources_copy, db):
    running = RunningServer(sources_copy, db)
    yield running
    running.stop()
