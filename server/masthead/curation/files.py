"""File primitives for the curated list and the server's config: atomic write, an advisory lock, ETags."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .errors import EditError

__all__ = ["atomic_write", "file_lock", "file_etag", "etag_matches", "open_no_follow", "LOCK_TIMEOUT"]


LOCK_TIMEOUT = 30.0


def file_etag(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


# --- files: atomic write, lock -----------------------------------------------------------------


def atomic_write(path: Path, data: bytes, mode: int | None = None, check: Callable[[Path], None] | None = None) -> None:
    """Temp file in the same directory, fsync, rename over the target, fsync the directory.

    `check(temp)` runs on the written temp file before the rename; if it raises, the target is left as it was.
    """
    path = Path(path)
    temp = path.parent / f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if check is not None:
            check(temp)
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_no_follow(path: Path, flags: int, mode: int = 0o600) -> int:
    """os.open() that refuses a symbolic link at `path` (issue 26): on a shared folder, a link planted where the
    change log or a lock file belongs would make an edit append to any file the server may write."""
    try:
        return os.open(path, flags | os.O_NOFOLLOW, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise EditError(f"{Path(path).name} is a symbolic link; Masthead does not write through links. "
                            f"Remove it ({path}) and try again", {"file": str(path)}) from None
        raise


@contextlib.contextmanager
def file_lock(path: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """An exclusive fcntl lock on a lock file next to `path`: across worker processes and threads."""
    path = Path(path)
    lock_path = path.parent / f".{path.name}.lock"
    fd = open_no_follow(lock_path, os.O_RDWR | os.O_CREAT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                    raise EditError(f"{path.name} is locked by another edit; try again", {"lock": str(lock_path)}) from None
                time.sleep(0.02)
        # Under the lock, temp files left by a writer that died are garbage.
        for stale in path.parent.glob(f".{path.name}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def etag_matches(if_match: Iterable[str] | None, current: str) -> bool:
    if if_match is None:
        return True
    tags = {tag.strip().removeprefix("W/").strip('"') for tag in if_match}
    return "*" in tags or current in tags
