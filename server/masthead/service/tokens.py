"""The server's tokens: named, kept in the config file (mode 0600) or set by MASTHEAD_TOKEN.

`config.json` in the config directory holds `{"tokens": {"<name>": "<token>", ...}, "read_tokens": {...}}`; the
name is what the change log records as "who". `masthead serve` generates a first token ("admin") when there is
none; `masthead token NAME` adds a write token per curator, `masthead token NAME --read` a read-only one for a
reader (issue 26: off loopback a reader's token must not edit the list). Writes always need a write token, and only
as an `Authorization: Bearer` header (never a cookie), so a page on another site cannot make a browser write on
the user's behalf; reads off loopback take either kind.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import re
import secrets
from pathlib import Path

from ..config import config_dir
from ..curation.files import atomic_write, open_no_follow

__all__ = ["TokenStore", "ensure_token", "add_token", "config_path", "ENV_TOKEN_NAME", "MIN_TOKEN_LENGTH", "READ", "WRITE"]

ENV_TOKEN_NAME = "env"  # the name the change log gives the MASTHEAD_TOKEN token
MIN_TOKEN_LENGTH = 32  # a shorter MASTHEAD_TOKEN is refused off loopback: 1,464 guesses/s found "7" at once
READ, WRITE = "read", "write"
SECTIONS = {WRITE: "tokens", READ: "read_tokens"}  # config.json key of each kind
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


def config_path(settings: dict | None = None) -> Path:
    base = (settings or {}).get("CONFIG_DIR")
    return (Path(base) if base else config_dir()) / "config.json"


def _read_config(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"cannot read {path}: {exc}") from None
    return data if isinstance(data, dict) else {}


def _write_config(path: Path, data: dict) -> None:
    """The config holds tokens: readable by its owner only, and never left half-written."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"), mode=0o600)


def add_token(settings: dict | None, name: str, token: str | None = None, kind: str = WRITE) -> str:
    """Create (or replace) the token called `name`, a write token or (kind=READ) a read-only one; returns it."""
    if not NAME_RE.match(name):
        raise ValueError(f"token name {name!r}: use letters, digits, '.', '_', '@' or '-' (at most 64)")
    path = config_path(settings)
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = open_no_follow(path.parent / ".config.json.lock", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = _read_config(path)
        for section in SECTIONS.values():  # one name, one kind
            if isinstance(data.get(section), dict):
                data[section].pop(name, None)
        tokens = data.get(SECTIONS[kind]) if isinstance(data.get(SECTIONS[kind]), dict) else {}
        tokens[name] = token or secrets.token_urlsafe(32)
        data[SECTIONS[kind]] = tokens
        _write_config(path, data)
    finally:
        os.close(lock)  # releases the lock
    return tokens[name]


def ensure_token(settings: dict) -> tuple[str, str | None]:
    """At first start: generate an 'admin' token unless MASTHEAD_TOKEN or the config file has one.

    Returns (where the tokens come from, the new token or None).
    """
    if settings.get("TOKEN"):
        return "MASTHEAD_TOKEN", None
    path = config_path(settings)
    tokens = _read_config(path).get("tokens")
    if isinstance(tokens, dict) and any(isinstance(v, str) and v for v in tokens.values()):
        return str(path), None
    return str(path), add_token(settings, "admin")


class TokenStore:
    """The tokens in force: MASTHEAD_TOKEN (named 'env', a write token) and those in config.json, re-read when it
    changes."""

    def __init__(self, settings: dict):
        self.settings = settings
        self.path = config_path(settings)
        self._stamp: tuple | None = None
        self._kinds: dict[str, dict[str, str]] = {WRITE: {}, READ: {}}

    def _load(self) -> None:
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            stamp = None
        if stamp != self._stamp:
            self._stamp = stamp
            data = {}
            with contextlib.suppress(RuntimeError):
                data = _read_config(self.path)
            for kind, section in SECTIONS.items():
                found = data.get(section) if isinstance(data.get(section), dict) else {}
                self._kinds[kind] = {str(k): v for k, v in found.items() if isinstance(v, str) and len(v) >= 16}

    def tokens(self, kind: str = WRITE) -> dict[str, str]:
        """name -> token of one kind."""
        self._load()
        tokens = dict(self._kinds[kind])
        if kind == WRITE and self.settings.get("TOKEN"):
            tokens[ENV_TOKEN_NAME] = self.settings["TOKEN"]
        return tokens

    def identify(self, presented: str | None) -> tuple[str, str] | None:
        """(name, READ or WRITE) of the token presented, or None. Compares against every token in constant time."""
        if not presented:
            return None
        found = None
        given = presented.encode("utf-8")
        for kind in (WRITE, READ):
            for name, token in self.tokens(kind).items():
                if hmac.compare_digest(given, token.encode("utf-8")):
                    found = (name, kind)
        return found

    def who(self, presented: str | None) -> str | None:
        """The name of the write token presented, or None (a read token cannot write)."""
        found = self.identify(presented)
        return found[0] if found and found[1] == WRITE else None
