"""The change log of edits made through the server (JSON Lines), and the optional git commit per change.

The log lives next to the source list as `.<name>.changes.jsonl` (e.g. `.sources.yaml.changes.jsonl`):
it travels with the file, and two lists in one directory keep separate histories. Records are only
ever appended, under the curator's lock; a line torn by a crash is skipped when reading.

An edit is logged *before* its file is renamed into place, as `pending`, and confirmed after: a process
killed in between leaves a pending record, which the curator settles under its lock (confirmed when the
file holds the change, `void` when it does not). So no edit is ever on disk without its record, and the
before/after chain of the records that count stays whole.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import subprocess
from pathlib import Path

from .files import open_no_follow

__all__ = ["ChangeLog", "git_commit"]

log = logging.getLogger("masthead")


class ChangeLog:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    @classmethod
    def for_sources(cls, sources: str | Path) -> "ChangeLog":
        sources = Path(sources)
        return cls(sources.parent / f".{sources.name}.changes.jsonl")

    def _records(self) -> list[dict]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        records: dict[int, dict] = {}
        for line in text.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line torn by a crash
            if isinstance(record, dict) and isinstance(record.get("id"), int):
                # A later line with the same id annotates the record (e.g. its git commit).
                records[record["id"]] = {**records.get(record["id"], {}), **record}
        return [records[k] for k in sorted(records)]

    def _write(self, record: dict) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        fd = open_no_follow(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT)
        try:
            # A torn previous line (crash mid-append) must not swallow this one.
            if os.fstat(fd).st_size:
                if os.pread(fd, 1, os.fstat(fd).st_size - 1) != b"\n":
                    line = "\n" + line
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def append(self, *, who: str, summary: str, diff: str, before: str, after: str, file: str,
               undoes: int | None = None, entry: dict | None = None, pending: bool = False) -> dict:
        """Record one change; call it under the curator's lock so ids stay unique.

        `entry` names what the change changed ({section, id, change: create/update/delete}) for undo;
        `pending` records a change about to be written (see confirm() and void()).
        """
        records = self._records()
        record = {
            "id": (records[-1]["id"] + 1) if records else 1,
            "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "who": who,
            "summary": summary,
            "file": Path(file).name,
            "before": before,
            "after": after,
            "undoes": undoes,
            "diff": diff,
        }
        if entry is not None:
            record["entry"] = entry
        if pending:
            record["pending"] = True
        self._write(record)
        return record

    def annotate(self, change_id: int, **fields) -> dict:
        self._write({"id": change_id, **fields})
        return self.get(change_id) or {}

    def confirm(self, change_id: int) -> None:
        """The pending change is on disk."""
        self._write({"id": change_id, "pending": False})

    def void(self, change_id: int) -> None:
        """The pending change never reached the file: it no longer counts."""
        self._write({"id": change_id, "pending": False, "void": True})

    def pending(self) -> list[dict]:
        return [r for r in self._records() if r.get("pending") and not r.get("void")]

    def _changes(self) -> list[dict]:
        return [r for r in self._records() if not r.get("void")]

    def entries(self, limit: int = 50, before: int | None = None) -> list[dict]:
        """Newest first."""
        records = [r for r in self._changes() if before is None or r["id"] < before]
        return list(reversed(records))[:limit]

    def get(self, change_id: int) -> dict | None:
        for record in self._changes():
            if record["id"] == change_id:
                return record
        return None

    def undone_by(self, change_id: int) -> int | None:
        for record in self._changes():
            if record.get("undoes") == change_id:
                return record["id"]
        return None


def git_commit(path: Path, message: str, who: str) -> str | None:
    """Commit `path` alone when it lives in a git work tree; returns the commit id, None otherwise.

    Only this file is committed (`git commit --only`), whatever else is staged. Failures are logged,
    never raised: the edit itself is already safely on disk and in the change log.
    """
    git = shutil.which("git")
    if git is None:
        return None
    cwd = str(Path(path).parent)
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    env.setdefault("GIT_AUTHOR_NAME", f"{who} (via Masthead)")
    env.setdefault("GIT_AUTHOR_EMAIL", "masthead@localhost")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([git, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=30)

    try:
        if run("rev-parse", "--is-inside-work-tree").stdout.strip() != "true":
            return None
        if not run("config", "user.email").stdout.strip():
            env.setdefault("GIT_COMMITTER_NAME", "Masthead")
            env.setdefault("GIT_COMMITTER_EMAIL", "masthead@localhost")
        name = Path(path).name
        added = run("add", "--", name)
        if added.returncode != 0:
            log.warning("git add %s failed: %s", name, added.stderr.strip())
            return None
        committed = run("commit", "--only", "-m", message, "--", name)
        if committed.returncode != 0:
            log.warning("git commit of %s failed: %s", name, (committed.stderr or committed.stdout).strip())
            return None
        return run("rev-parse", "HEAD").stdout.strip() or None
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("git commit of %s failed: %s", path, exc)
        return None
