"""A real, throwaway PostgreSQL server for tests and benches: initdb into a temp dir, pg_ctl on a loopback port.

PostgreSQL refuses to run as root, so when this process is root the server runs as an unprivileged user
(`postgres` if Debian's package created it, else `masthead-test`, created with useradd). It listens on
127.0.0.1 only, on a free port, with its Unix socket inside the temp dir, and is stopped (fast shutdown) and
deleted at the end. `python tests/pg.py` starts one and prints its URL until Ctrl-C, for trying things by hand.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = ["PostgresServer", "find_bindir", "available", "pg_server"]

BINDIRS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")
USERS = ("postgres", "masthead-test")


def find_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl (Debian keeps them off PATH), or None."""
    for candidate in [os.environ.get("MASTHEAD_PG_BINDIR"), *BINDIRS]:
        if candidate and (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def available() -> bool:
    return find_bindir() is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_user() -> str | None:
    """None when we are not root (the server runs as us); else an unprivileged user to run it as."""
    if os.geteuid() != 0:
        return None
    for name in USERS:
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USERS[-1]], check=True)
    return USERS[-1]


class PostgresServer:
    """One PostgreSQL cluster for the life of this object: `url` reaches its `masthead` database."""

    def __init__(self, base: str | os.PathLike | None = None, settings: dict | None = None):
        bindir = find_bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL server binaries not found: apt-get install postgresql-15")
        self.bindir = bindir
        self.tmp = Path(tempfile.mkdtemp(prefix="masthead-pg-", dir=base))
        self.data, self.sockets, self.logfile = self.tmp / "data", self.tmp / "sockets", self.tmp / "server.log"
        self.sockets.mkdir()
        self.user = _server_user()
        if self.user is not None:
            account = pwd.getpwnam(self.user)
            for path in (self.tmp, self.sockets):
                os.chown(path, account.pw_uid, account.pw_gid)
            self.tmp.chmod(0o755)  # the server user must reach its data dir, we must read its log
        self.port = _free_port()
        self.role = "masthead"
        self.url = f"postgresql://{self.role}@127.0.0.1:{self.port}/masthead"
        self._run([str(bindir / "initdb"), "-D", str(self.data), "-U", self.role, "--auth=trust", "-E", "UTF8",
                   "--locale=C.UTF-8", "--no-sync"])
        options = {
            "listen_addresses": "'127.0.0.1'", "port": str(self.port), "unix_socket_directories": f"'{self.sockets}'",
            "fsync": "on", "shared_buffers": "'128MB'", "max_connections": "100", "log_min_messages": "warning",
            **(settings or {}),
        }
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("\n# masthead tests\n" + "".join(f"{k} = {v}\n" for k, v in options.items()))
        self._run([str(bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.logfile), "-w", "-t", "60", "start"])
        self._run([str(bindir / "createdb") if (bindir / "createdb").exists() else "createdb", "-h", str(self.sockets),
                   "-p", str(self.port), "-U", self.role, "masthead"])

    def _run(self, cmd: list[str]) -> None:
        if self.user is not None:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, cwd=self.tmp)
        if result.returncode != 0:
            log = self.logfile.read_text(errors="replace")[-2000:] if self.logfile.exists() else ""
            raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}{result.stderr}{log}")

    def database(self, name: str | None = None, template: str | None = None) -> str:
        """A fresh database on this server (a copy of `template` when given); its URL."""
        import psycopg

        if name is None:
            self._made = getattr(self, "_made", 0) + 1
            name = f"test_{self._made}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return f"postgresql://{self.role}@127.0.0.1:{self.port}/{name}"

    def drop(self, url: str) -> None:
        """Drop a database made by database() (its connections are closed first)."""
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def size(self, name: str = "masthead") -> int:
        """Bytes on disk of one database (tables, indexes, TOAST)."""
        import psycopg

        with psycopg.connect(self.url) as conn:
            return conn.execute("SELECT pg_database_size(%s)", (name,)).fetchone()[0]

    def pause(self) -> None:
        """Stop the server and keep its data: the database is down until resume()."""
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def resume(self) -> None:
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.logfile), "-w", "-t", "60", "start"])

    def stop(self) -> None:
        if self.data.exists():
            try:
                self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])
            except RuntimeError:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# --- pytest -------------------------------------------------------------------------------------

try:
    import pytest
except ImportError:  # used from a bench without pytest
    pytest = None

if pytest is not None:
    @pytest.fixture(scope="session")
    def pg_server():
        """One PostgreSQL server for the test session; skipped (failed on CI) when PostgreSQL is not installed."""
        if not available():
            message = "PostgreSQL 15 is not installed (scripts/test installs it: apt-get install postgresql-15)"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        # The tests kill clients, never the server: its own durability settings can be relaxed for speed.
        server = PostgresServer(settings={"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"})
        yield server
        server.stop()


if __name__ == "__main__":
    with PostgresServer() as server:
        print(server.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
