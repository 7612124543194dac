"""Commands that keep the corpus current: follow (poll the listed feeds), feeds (their health; accept a discovered one), prune."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import signal
import sys

import click

from .base import cli, db_option, load_registry, open_corpus, sources_option, sources_path


def _fetcher(delay, timeout, allow):
    from ..fetch import Fetcher

    try:
        return Fetcher(timeout=timeout, delay=delay, allow=allow)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--allow-network")


@cli.command()
@db_option
@sources_option()
@click.option("--once", is_flag=True, help="Run one round and exit (for cron, systemd timers and tests).")
@click.option("--outlets", default="", help="Only these outlets (ids, comma-separated).")
@click.option("--country", default="", help="Only outlets of these countries (ISO codes, comma-separated).")
@click.option("--language", default="", help="Only outlets publishing in these languages (ISO 639-1, comma-separated).")
@click.option("--keep-days", type=click.IntRange(1), default=None, help="After each round, prune articles older than this many days (not those a reader stored).")
@click.option("--discover", is_flag=True, help="Look for the feeds of followed outlets that list none (homepage <link rel=alternate>, then common paths).")
@click.option("--workers", default=4, show_default=True, type=click.IntRange(1, 32), help="Hosts fetched in parallel.")
@click.option("--delay", default=1.0, show_default=True, type=click.FloatRange(0, 60), help="Seconds between two requests to one host.")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(0.5, 120), help="Network timeout per request, in seconds.")
@click.option("--pause", default=60.0, show_default=True, type=click.FloatRange(0.1), help="Seconds between rounds.")
@click.option("--allow-network", "allow", multiple=True, help="Let the fetcher reach this private network (CIDR), e.g. 127.0.0.1/32 for a local test server.")
@click.option("--no-embed", "no_embed", is_flag=True, help="Store no sentence vectors.")
@click.option("--parent-pid", type=int, default=None, hidden=True, help="Stop when this process ends (serve --follow).")
def follow(db, sources, once, outlets, country, language, keep_days, discover, workers, delay, timeout, pause, allow, no_embed, parent_pid):
    """Keep the corpus current from the feeds in the source list, until stopped.

    Each round polls the feeds that are due (conditional requests; each feed's interval adapts between 10 min and
    6 h; 429/503 and failures back off; a feed failing for days is polled once a day) and stores every new item
    as `ingest` does. SIGTERM or Ctrl-C finishes the current fetch, commits and exits. A `follow:` section in the
    source list may set outlets, country, language and keep_days.

    \b
    Examples:
        masthead follow
        masthead follow --once --country DE,AT --keep-days 90
    """
    from .. import config
    from ..follow import Follower

    registry = load_registry(sources)
    defaults = _follow_defaults(sources_path(sources))
    split = lambda text, key: tuple(filter(None, re.split(r"[,\s]+", text))) or tuple(defaults.get(key) or ())  # noqa: E731
    corpus = open_corpus(db)
    embedding = not no_embed and config.defaults()["EMBED"]
    if embedding:
        from .. import embed

        embedding = embed.available()
    follower = Follower(corpus, registry, _fetcher(delay, timeout, allow), outlets=split(outlets, "outlets"),
                        countries=split(country, "country"), languages=split(language, "language"),
                        keep_days=keep_days or defaults.get("keep_days"), embedding=embedding, discover=discover,
                        workers=workers)
    if not follower.outlets:
        raise click.UsageError("no curated outlet matches --outlets/--country/--language")
    try:
        os.nice(10)  # the web workers keep priority over fetching, extracting and embedding
    except OSError:
        pass
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: follower.stop.set())
    if parent_pid:
        _stop_with(parent_pid, follower.stop)
    click.echo(f"following {len(follower.feeds())} feeds of {len(follower.outlets)} outlets into {corpus.location}", err=True)
    try:
        follower.run(once=once, pause=pause)
    finally:
        corpus.close()


def _stop_with(parent_pid: int, stop) -> None:
    """Set `stop` when the parent process (a `masthead serve`) is gone, even if it was killed without a word."""
    import threading

    def watch():
        while not stop.wait(5):
            if os.getppid() != parent_pid:
                stop.set()

    threading.Thread(target=watch, daemon=True, name="masthead-parent").start()


def _follow_defaults(path) -> dict:
    """The `follow:` section of the source list, if any (outlets, country, language, keep_days)."""
    from ..registry.yamlfile import parse_yaml

    try:
        data = parse_yaml(path.read_bytes())
    except Exception:  # the list loaded already; a section we cannot read is no section
        return {}
    section = data.get("follow") if hasattr(data, "get") else None
    return dict(section) if hasattr(section, "get") else {}


@cli.command()
@db_option
@sources_option()
@click.option("--accept", nargs=2, metavar="OUTLET URL", default=None, help="Write a discovered feed into the source list for OUTLET (through the curator: validated, logged).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def feeds(db, sources, accept, as_json):
    """List each followed feed's health: last success, last error, articles in the last 24 h and 7 days, next poll.

    \b
    Examples:
        masthead feeds
        masthead feeds --accept nordwire https://nordwire.example/feed.xml
    """
    import json
    import time

    from ..follow import follow_health

    if accept:
        return _accept(sources, *accept)
    corpus = open_corpus(db)
    try:
        now = time.time()
        stamp = lambda seconds: dt.datetime.fromtimestamp(now - seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
        day, week = corpus.added_since(stamp(86400)), corpus.added_since(stamp(7 * 86400))
        rows = [state | {"articles_24h": day.get(state["outlet_id"], 0), "articles_7d": week.get(state["outlet_id"], 0)}
                for state in corpus.feed_states()]
        health = follow_health(corpus, now)
    finally:
        corpus.close()
    if as_json:
        click.echo(json.dumps({"health": health, "feeds": rows}, indent=2))
        return
    for row in rows:
        status = "dead" if row["dead_since"] else "failing" if row["failures"] else "ok"
        click.echo(f"{status:7} {row['outlet_id'] or '-':24} {row['url']}")
        click.echo(f"        last success {row['last_success'] or 'never'}; {row['articles_24h']} articles in 24 h, "
                   f"{row['articles_7d']} in 7 days; next poll {row['next_poll'] or 'now'}"
                   + (" (discovered)" if row["discovered"] else ""))
        if row["last_error"] and row["failures"]:
            click.echo(f"        last error {row['last_error']}")
    counts = health["feeds"]
    click.echo(f"{counts['ok']} ok, {counts['failing']} failing, {counts['dead']} dead; {health['articles_24h']} articles "
               f"added in 24 h; last round {health['last_round'] or 'never'}")


def _accept(sources, outlet_id: str, url: str) -> None:
    from ..curation.curator import Curator
    from ..curation.errors import EditError

    path = sources_path(sources)
    registry = load_registry(sources)
    outlet = registry.outlets.get(outlet_id)
    if outlet is None:
        raise click.UsageError(f"no outlet '{outlet_id}' in {path}")
    if url in outlet.feeds:
        click.echo(f"{url} is listed for {outlet_id} already")
        return
    entry = {"url": url, "checked": dt.date.today().isoformat()}
    if outlet.homepage:
        entry["sources"] = [outlet.homepage]
    try:
        Curator(path).update("outlets", outlet_id, {"feeds": [*outlet.feed_entries, entry]}, who="masthead feeds --accept",
                             replace=False)
    except EditError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"added {url} to the feeds of {outlet_id} in {path}")


@cli.command()
@db_option
@click.option("--older-than", "older", required=True, help="Age, e.g. 90d (days) or 12w (weeks).")
def prune(db, older):
    """Forget articles older than an age, with their URLs, vectors and term statistics (not those a reader stored).

    \b
    Example:
        masthead prune --older-than 90d
    """
    found = re.fullmatch(r"(\d+)\s*([dw]?)", older.strip())
    if not found or int(found.group(1)) < 1:
        raise click.BadParameter("give a number of days (90d) or weeks (12w)", param_hint="--older-than")
    days = int(found.group(1)) * (7 if found.group(2) == "w" else 1)
    before = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)).date().isoformat()
    corpus = open_corpus(db)
    try:
        pruned = corpus.prune(before)
        corpus.refresh_term_stats()
        corpus.compact()
    finally:
        corpus.close()
    click.echo(f"pruned {pruned} articles published before {before}")
