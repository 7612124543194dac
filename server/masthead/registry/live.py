"""The last good Registry for a file, reloaded when the file or an included list changes on disk."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from pathlib import Path
from typing import Iterable

from .kept import Kept
from .loader import load_with_problems
from .model import Registry, SourcesError

__all__ = ["LiveSources"]

class LiveSources:
    """The last good Registry for a file, reloaded when the file (or an included list) changes on disk.

    A broken edit never replaces the registry: the error is kept for /api/health and the log.
    """

    def __init__(self, path: str | Path, check_interval: float = 1.0):
        self.path = Path(path)
        self.check_interval = check_interval
        self.kept = Kept()  # what its loads keep between them; an editor of the same file shares it (Curator)
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self._stamps: tuple = ()
        self.registry: Registry | None = None
        self.loaded_at: str | None = None
        self.last_error: dict | None = None
        self.reload(force=True)
        if self.registry is None:
            raise SourcesError(self.last_error_problems)

    def current(self) -> Registry:
        now = time.monotonic()
        if now - self._checked_at >= self.check_interval:
            with self._lock:
                if now - self._checked_at >= self.check_interval:
                    self._checked_at = now
                    self.reload()
        assert self.registry is not None
        return self.registry

    def install(self, registry: Registry) -> None:
        """Serve `registry`, just loaded from the bytes now on disk (an edit made by this process, under its lock):
        the file need not be read and validated a second time."""
        with self._lock:
            self.registry = registry
            self.loaded_at = _now()
            self.last_error = None
            self._stamps = _stamps(registry.files)

    def reload(self, force: bool = False) -> bool:
        """Reload if any file changed; returns True when a new registry was installed."""
        files = self.registry.files if self.registry else (str(self.path),)
        stamps = _stamps(files)
        if not force and stamps == self._stamps:
            return False
        self._stamps = stamps
        registry, problems = load_with_problems(self.path, kept=self.kept)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            self.last_error_problems = problems
            self.last_error = {
                "at": _now(),
                "message": f"{len(errors)} error(s); still serving the version loaded at {self.loaded_at}" if self.registry else f"{len(errors)} error(s)",
                "problems": [p.to_dict() for p in errors[:50]],
            }
            logging.getLogger("masthead").error("sources not reloaded: %s", errors[0])
            return False
        self.registry = registry
        self.loaded_at = _now()
        self.last_error = None
        self._stamps = _stamps(registry.files)
        return True


def _stamps(files: Iterable[str]) -> tuple:
    result = []
    for name in files:
        try:
            st = os.stat(name)
            result.append((name, st.st_mtime_ns, st.st_size, st.st_ino))
        except OSError:
            result.append((name, None))
    return tuple(result)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
