"""The `masthead` command: a thin click layer over the library."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import __version__, urls
from .config import default_sources_path

__all__ = ["cli"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="masthead")
def cli():
    """Masthead tells a reader who stands behind a news page.

    It answers, for a page URL, which outlet publishes it, who owns that outlet
    up to the ultimate owner, which attributed labels apply (state media, foreign
    agent, sanctions, bans, platform labels) and how other outlets covered the story.
    """


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind. Anything but loopback exposes the server to your network.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@click.option("--sources", type=click.Path(dir_okay=False, path_type=Path), default=None, help="The curated list (default: the bundled sources.yaml).")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None, help="The SQLite corpus file (default: masthead.db in your data directory).")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64), help="Threads per worker.")
def serve(host, port, sources, db, workers, threads):
    """Run the HTTP server (gunicorn) for the extension and the API.

    \b
    Example:
        masthead serve --port 8765
    """
    from .config import defaults
    from .server import run

    settings = defaults()
    if sources:
        settings["SOURCES"] = str(sources.resolve())
    if db:
        settings["DB"] = str(db.resolve())
    _check_sources(Path(settings["SOURCES"]))
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: binding to {host} exposes Masthead beyond this machine", err=True)
    click.echo(f"Masthead {__version__} on http://{'[' + host + ']' if ':' in host else host}:{port}/  (sources: {settings['SOURCES']}; corpus: {settings['DB']})", err=True)
    run(settings, host=host, port=port, workers=workers, threads=threads)


def _check_sources(path: Path) -> None:
    from .sources import SourcesError, load

    try:
        load(path)
    except SourcesError as exc:
        errors = [p for p in exc.problems if p.severity == "error"]
        for problem in errors[:20]:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"{path} has {len(errors)} error(s); fix them (see `masthead validate {path}`) before serving")


@cli.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--warnings/--no-warnings", default=True, help="Show warnings too.")
def validate(file, warnings):
    """Check a source list and report every problem at once, as file:line:column.

    Exits with status 1 if there is any error.

    \b
    Example:
        masthead validate sources.yaml
    """
    from .sources import validate as validate_file

    path = file or default_sources_path()
    problems = validate_file(path)
    errors = [p for p in problems if p.severity == "error"]
    shown = problems if warnings else errors
    for problem in shown:
        click.echo(str(problem), err=problem.severity == "error")
    if errors:
        click.echo(f"{path}: {len(errors)} error(s), {len(problems) - len(errors)} warning(s)", err=True)
        sys.exit(1)
    from .sources import load

    counts = load(path).counts()
    click.echo(f"{path}: ok — {counts['outlets']} outlets, {counts['owners']} owners, {counts['labels']} labels, "
               f"{counts['countries']} countries ({len(problems)} warning(s))")


@cli.command()
@click.argument("url")
@click.option("--sources", type=click.Path(dir_okay=False, path_type=Path), default=None, help="The curated list (default: the bundled sources.yaml).")
@click.option("--as-of", default=None, help="Evaluate labels as of this date (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print the full JSON answer, as /api/context gives it.")
def lookup(url, sources, as_of, as_json):
    """Show who stands behind a page URL: outlet, ownership chain, labels.

    \b
    Example:
        masthead lookup https://sputnikglobe.com/20260226/some-article.html
    """
    from .context import ContextError, build_context
    from .sources import SourcesError, load

    path = sources or default_sources_path()
    try:
        registry = load(path)
    except SourcesError as exc:
        raise click.ClickException(f"{path} does not validate: {exc}; run `masthead validate {path}`")
    try:
        answer = build_context(registry, url, as_of=as_of)
    except (urls.URLError, ContextError) as exc:
        raise click.ClickException(str(exc))
    if as_json:
        click.echo(json.dumps(answer, ensure_ascii=False, indent=2))
        return
    click.echo(render_answer(answer))


def render_answer(answer: dict) -> str:
    lines = [answer["url"]]
    outlet = answer["outlet"]
    if outlet is None:
        lines.append(f"Unknown outlet: {answer['registered_domain'] or answer['host']} is not in the source list.")
        lines.append("Add it with the edit page or in sources.yaml (see docs/CURATION.md).")
        return "\n".join(lines)
    lines.append(f"Outlet:    {outlet['name']} ({outlet['country']})  {outlet['homepage'] or ''}".rstrip())
    chain = " -> ".join(
        f"{node['name']}" + (f" [{node['share']:g}%]" if node.get("share") else "") + ("" if node["kind"] == "outlet" else f" ({node['kind']}, {node['country'] or '?'})")
        for node in answer["ownership"]
    )
    lines.append(f"Ownership: {chain}")
    if outlet.get("funding"):
        lines.append(f"Funding:   {outlet['funding']}")
    lines.append(f"Model:     {answer['control_model']}")
    if not answer["labels"]:
        lines.append("Labels:    none recorded")
    for heading, status in (("Labels (in force)", "active"), ("Labels (history)", "historical"), ("Labels (not yet in force)", "future")):
        group = [label for label in answer["labels"] if label["status"] == status]
        if not group:
            continue
        lines.append(f"{heading}:")
        for label in group:
            dates = label["since"] + (f" to {label['until']}" if label["until"] else "")
            lines.append(f"  - {label['title']} — {label['issuer']} ({label['jurisdiction']}), {dates}")
            if label.get("instrument"):
                lines.append(f"      instrument: {label['instrument']}")
            if label.get("in_response_to"):
                lines.append(f"      in response to: {label['in_response_to']}")
            for source in label["sources"]:
                lines.append(f"      source: {source}")
    for item in answer.get("related") or []:
        if item is answer["related"][0]:
            lines.append("Related coverage:")
        who = item["outlet"]["name"] if item.get("outlet") else (item.get("site_name") or item.get("registered_domain"))
        lines.append(f"  - [{item['control_model']}] {who}: {item['title']}  {item['url']}")
    return "\n".join(lines)


@cli.command()
@click.option("--sources", type=click.Path(dir_okay=False, path_type=Path), default=None, help="The curated list (default: the bundled sources.yaml).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats(sources, as_json):
    """Count outlets, owners, labels by type and countries in a source list.

    \b
    Example:
        masthead stats
    """
    from .sources import SourcesError, load

    path = sources or default_sources_path()
    try:
        registry = load(path)
    except SourcesError as exc:
        raise click.ClickException(str(exc))
    counts = registry.counts()
    counts["countries_list"] = sorted({o.country for o in registry.outlets.values() if o.country})
    if as_json:
        click.echo(json.dumps(counts, indent=2))
        return
    click.echo(f"{counts['outlets']} outlets, {counts['owners']} owners, {counts['labels']} labels, {counts['domains']} domains, {counts['countries']} countries")
    click.echo("Countries: " + " ".join(counts["countries_list"]))
    click.echo("Labels by type:")
    for label_type, n in counts["labels_by_type"].items():
        click.echo(f"  {label_type:34} {n}")


def main():  # pragma: no cover
    cli()
