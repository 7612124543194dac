"""The article corpus behind one interface: SQLite (a file, the default) or PostgreSQL (a URL), chosen by `--db`."""

from __future__ import annotations

import importlib
import os
import re
import threading
from dataclasses import dataclass

from .base import AddResult, Article, Corpus, CorpusUnavailable, RecordError, redact
from .text import MAX_TEXT, MAX_TITLE, clean, content_hash, fold, parse_published, sketch, terms

__all__ = [
    "Corpus", "Article", "AddResult", "RecordError", "CorpusUnavailable", "connect", "local", "close_shared", "describe",
    "redact", "scheme", "backend", "BACKENDS",
    "terms", "fold", "clean", "parse_published", "content_hash", "sketch", "MAX_TEXT", "MAX_TITLE",
]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


@dataclass(frozen=True)
class Backend:
    module: str  # under masthead.corpus
    store: str  # the Corpus class in it
    per_process: bool  # one instance serves every thread of a process (a connection pool), not one per thread
    extra: str | None = None  # the pip extra that installs its driver


# The stores, by the URL scheme that selects them (None: a file path). The only place a backend is named.
BACKENDS = {
    None: Backend("sqlite", "SQLiteCorpus", per_process=False),
    "postgresql": Backend("postgres", "PostgresCorpus", per_process=True, extra="postgres"),
    "postgres": Backend("postgres", "PostgresCorpus", per_process=True, extra="postgres"),
}


def scheme(db: str | os.PathLike) -> str | None:
    """'postgresql' for a database URL, None for a file path. A URL never becomes a path."""
    found = _SCHEME.match(str(db))
    return found.group(1).lower() if found else None


def backend(db: str | os.PathLike) -> Backend:
    """The store `db` selects. Raises CorpusUnavailable for a scheme no store takes."""
    kind = scheme(db)
    if kind == "sqlite":
        raise CorpusUnavailable(f"give the SQLite corpus as a file path, not a URL: {describe(db)}", "unavailable")
    if kind not in BACKENDS:
        raise CorpusUnavailable(f"unknown database scheme '{kind}://' in {describe(db)}; use a file path for SQLite "
                                "or postgresql://user@host/db", "unavailable")
    return BACKENDS[kind]


def connect(db: str | os.PathLike) -> Corpus:
    """Open the corpus `db` names: a file path (SQLite) or a postgresql:// URL. Raises CorpusUnavailable."""
    chosen = backend(db)
    try:
        module = importlib.import_module(f".{chosen.module}", __name__)
    except ImportError as exc:
        raise CorpusUnavailable(f"{chosen.module} support is not installed ({exc.name}); install it with: "
                                f"pip install 'masthead[{chosen.extra}]'", "unavailable") from None
    store = getattr(module, chosen.store)
    return store(db if chosen.module == "sqlite" else str(db))


def describe(db: str | os.PathLike) -> str:
    """The corpus location for messages and logs, without a password (in the user part or as `?password=`)."""
    return redact(re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", str(db)))



_local = threading.local()


_shared: dict[tuple[int, str], Corpus] = {}
_shared_lock = threading.Lock()


def local(db: str | os.PathLike) -> Corpus:
    """This thread's connection to `db`, opened on first use and reopened after a fork (servers).

    A PostgreSQL corpus is one per process instead: its connection pool serves every thread.
    """
    key = str(db)
    if backend(key).per_process:
        with _shared_lock:
            corpus = _shared.get((os.getpid(), key))
            if corpus is None:
                corpus = _shared[(os.getpid(), key)] = connect(db)
            return corpus
    if getattr(_local, "pid", None) != os.getpid():
        _local.corpora = {}
        _local.pid = os.getpid()
    corpus = _local.corpora.get(key)
    if corpus is None:
        corpus = _local.corpora[key] = connect(db)
    return corpus


def close_shared(db: str | os.PathLike) -> None:
    """Close this process's shared PostgreSQL corpus for `db`, if open (before its database goes away)."""
    with _shared_lock:
        corpus = _shared.pop((os.getpid(), str(db)), None)
    if corpus is not None:
        corpus.close()
