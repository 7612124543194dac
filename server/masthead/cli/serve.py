"""`masthead serve`: the HTTP server, after checking the list and the write token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from .. import __version__
from ..config import defaults
from .base import cli, db_option, sources_option


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; also a host name the server answers for (see MASTHEAD_ALLOWED_HOSTS). Anything but loopback exposes the server to your network.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@sources_option()
@db_option
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64), help="Threads per worker.")
@click.option("--git-commit", is_flag=True, default=False, help="Commit each change made through the server when the source list is in a git repository.")
@click.option("--follow", "follow", is_flag=True, default=False, help="Also run `masthead follow` (at lower priority) beside the server, stopped with it: the corpus fills itself from the listed feeds.")
def serve(host, port, sources, db, workers, threads, git_commit, follow):
    """Run the HTTP server (gunicorn) for the extension and the API.

    \b
    Examples:
        masthead serve --port 8765
        masthead serve --follow
    """
    from ..corpus import describe
    from ..web.server import run

    settings = defaults()
    if sources:
        settings["SOURCES"] = str(sources.resolve())
    if db:
        settings["DB"] = db
    if git_commit:
        settings["GIT_COMMIT"] = True
    _check_sources(Path(settings["SOURCES"]))
    _announce_token(settings)
    settings["ALLOWED_HOSTS"] = [*settings["ALLOWED_HOSTS"], host]  # the name it is bound to is one it answers for
    _check_token_strength(settings, host)
    if host not in ("127.0.0.1", "localhost", "::1"):
        settings["REQUIRE_READ_TOKEN"] = True
        click.echo(f"warning: binding to {host} exposes Masthead beyond this machine; every request except /api/ping now needs the bearer token", err=True)
    click.echo(f"Masthead {__version__} on http://{'[' + host + ']' if ':' in host else host}:{port}/  (sources: {settings['SOURCES']}; corpus: {describe(settings['DB'])})", err=True)
    follower = _start_follower(settings) if follow else None
    try:
        run(settings, host=host, port=port, workers=workers, threads=threads)
    finally:
        if follower is not None:
            follower.terminate()  # it finishes the current fetch, commits and exits
            try:
                follower.wait(30)
            except subprocess.TimeoutExpired:
                follower.kill()


def _start_follower(settings: dict) -> subprocess.Popen:
    """`masthead follow` as its own process (it lowers its own priority), told to exit if this one goes away."""
    command = [sys.executable, "-m", "masthead", "follow", "--sources", str(settings["SOURCES"]), "--db", str(settings["DB"]),
               "--parent-pid", str(os.getpid())]
    click.echo("following the feeds of the source list beside the server (masthead follow)", err=True)
    return subprocess.Popen(command)


def _check_sources(path: Path) -> None:
    from ..registry import SourcesError, load

    try:
        load(path)
    except SourcesError as exc:
        errors = [p for p in exc.problems if p.severity == "error"]
        for problem in errors[:20]:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"{path} has {len(errors)} error(s); fix them (see `masthead validate {path}`) before serving")


def _announce_token(settings: dict) -> None:
    from ..service import ensure_token

    where, created = ensure_token(settings)
    if created:
        click.echo(f"A write token named 'admin' was generated into {where} (mode 0600); `masthead token --show` prints it.", err=True)


def _check_token_strength(settings: dict, host: str) -> None:
    """A short MASTHEAD_TOKEN is guessed in seconds (issue 26): refused when the server is reachable from the
    network, a warning on loopback."""
    from ..service import MIN_TOKEN_LENGTH

    token = settings.get("TOKEN") or ""
    if not token or len(token) >= MIN_TOKEN_LENGTH:
        return
    advice = f"use at least {MIN_TOKEN_LENGTH} random characters, e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`"
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise click.ClickException(f"MASTHEAD_TOKEN is {len(token)} characters long: too easy to guess on a server "
                                   f"reachable from the network; {advice}")
    click.echo(f"warning: MASTHEAD_TOKEN is {len(token)} characters long; {advice}", err=True)
