"""The `masthead` command: a thin click layer over the library."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from . import __version__, urls
from .config import defaults

__all__ = ["cli"]


# --- shared options ----------------------------------------------------------------------------

def sources_option(help_text: str = "The curated list (default: $MASTHEAD_SOURCES, else the bundled sources.yaml)."):
    return click.option("--sources", type=click.Path(dir_okay=False, path_type=Path), default=None, help=help_text)


class CorpusLocation(click.ParamType):
    """A file path for SQLite or a postgresql:// URL. A URL stays a URL: it is never made into a path."""

    name = "PATH|URL"

    def convert(self, value, param, ctx):
        from .corpus import scheme

        text = str(value)
        if scheme(text) is None:
            return str(Path(text).expanduser().resolve())
        return text


db_option = click.option(
    "--db", type=CorpusLocation(), default=None,
    help="The corpus: a SQLite file, or postgresql://user@host/db for a shared server "
         "(default: $MASTHEAD_DB, else masthead.db in your data directory).",
)


def sources_path(sources: Path | None) -> Path:
    """--sources, else the settings (MASTHEAD_SOURCES, else the bundled file)."""
    return sources if sources is not None else Path(defaults()["SOURCES"])


def load_registry(sources: Path | None):
    """The validated registry of --sources (or the settings' list), or a ClickException that says what to do."""
    from .registry import SourcesError, load

    path = sources_path(sources)
    try:
        return load(path)
    except SourcesError as exc:
        raise click.ClickException(f"{path} does not validate: {exc}; run `masthead validate {path}`")


def open_corpus(db: str | None):
    """--db, else the settings' corpus, opened; a ClickException with the reason when it cannot be."""
    from .corpus import CorpusUnavailable, connect, describe

    location = db or defaults()["DB"]
    try:
        return connect(location)
    except (CorpusUnavailable, OSError) as exc:
        raise click.ClickException(_storage_message(exc, describe(location)))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="masthead")
def cli():
    """Masthead tells a reader who stands behind a news page.

    It answers, for a page URL, which outlet publishes it, who owns that outlet
    up to the ultimate owner, which attributed labels apply (state media, foreign
    agent, sanctions, bans, platform labels) and how other outlets covered the story.
    """


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; also a host name the server answers for (see MASTHEAD_ALLOWED_HOSTS). Anything but loopback exposes the server to your network.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@sources_option()
@db_option
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64), help="Threads per worker.")
@click.option("--git-commit", is_flag=True, default=False, help="Commit each change made through the server when the source list is in a git repository.")
def serve(host, port, sources, db, workers, threads, git_commit):
    """Run the HTTP server (gunicorn) for the extension and the API.

    \b
    Example:
        masthead serve --port 8765
    """
    from .corpus import describe
    from .web.server import run

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
    if host not in ("127.0.0.1", "localhost", "::1"):
        settings["REQUIRE_READ_TOKEN"] = True
        click.echo(f"warning: binding to {host} exposes Masthead beyond this machine; every request except /api/ping now needs the bearer token", err=True)
    click.echo(f"Masthead {__version__} on http://{'[' + host + ']' if ':' in host else host}:{port}/  (sources: {settings['SOURCES']}; corpus: {describe(settings['DB'])})", err=True)
    run(settings, host=host, port=port, workers=workers, threads=threads)


def _storage_message(exc: Exception, where) -> str:
    text = str(exc)
    reason = getattr(exc, "reason", None)
    if reason == "full" or getattr(exc, "errno", None) in (28, 122):
        return f"the disk holding {where} is full ({text}); free some space"
    if reason == "read-only" or getattr(exc, "errno", None) in (13, 30):
        return f"cannot write {where}: the file or its folder is read-only ({text})"
    return f"cannot use the corpus {where}: {text}"


def _check_sources(path: Path) -> None:
    from .registry import SourcesError, load

    try:
        load(path)
    except SourcesError as exc:
        errors = [p for p in exc.problems if p.severity == "error"]
        for problem in errors[:20]:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"{path} has {len(errors)} error(s); fix them (see `masthead validate {path}`) before serving")


@cli.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--warnings/--no-warnings", default=True, help="Show warnings and notes (what sections inherit) too.")
@click.option("--stale", "stale_days", type=click.IntRange(0), default=None, metavar="DAYS",
              help="Also list the labels not checked within DAYS days (by `checked:`, or the day an imported list was read).")
def validate(file, warnings, stale_days):
    """Check a source list and report every problem at once, as file:line:column.

    Sections and subdomains (`paths:` entries, hosts under another outlet's domain) inherit their
    parent outlet's owner and labels; each inheritance is reported as a note. Exits with status 1
    if there is any error.

    \b
    Examples:
        masthead validate sources.yaml
        masthead validate --stale 365
    """
    from .registry import check
    from .registry.audit import stale_labels

    path = file or sources_path(None)
    registry, problems = check(path)
    errors = [p for p in problems if p.severity == "error"]
    warned = [p for p in problems if p.severity == "warning"]
    notes = [p for p in problems if p.severity == "info"]
    shown = problems if warnings else errors
    for problem in shown:
        click.echo(str(problem), err=problem.severity == "error")
    if errors:
        click.echo(f"{path}: {len(errors)} error(s), {len(warned)} warning(s)", err=True)
        sys.exit(1)
    if stale_days is not None:
        stale = stale_labels(registry, stale_days)
        for item in stale:
            click.echo(f"stale: {item}")
        click.echo(f"{len(stale)} label(s) not checked within {stale_days} days")
    counts = registry.counts()
    click.echo(f"{path}: ok — {counts['outlets']} outlets, {counts['owners']} owners, {counts['labels']} labels, "
               f"{counts['countries']} countries ({len(warned)} warning(s), {len(notes)} inheritance note(s))")


@cli.command()
@click.argument("url")
@sources_option()
@click.option("--as-of", default=None, help="Evaluate labels as of this date (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print the full JSON answer, as /api/context gives it.")
def lookup(url, sources, as_of, as_json):
    """Show who stands behind a page URL: outlet, ownership chain, labels.

    \b
    Example:
        masthead lookup https://sputnikglobe.com/20260226/some-article.html
    """
    from .context import ContextError, build_context

    registry = load_registry(sources)
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
            if label.get("inherited_from"):
                lines.append(f"      inherited from: {label['inherited_from']} (this page lies under it)")
            if label.get("checked"):
                lines.append(f"      last checked: {label['checked']}")
            for source in label["sources"]:
                lines.append(f"      source: {source}")
    for item in answer.get("related") or []:
        if item is answer["related"][0]:
            lines.append("Related coverage:")
        who = item["outlet"]["name"] if item.get("outlet") else (item.get("site_name") or item.get("registered_domain"))
        lines.append(f"  - [{item['control_model']}] {who}: {item['title']}  {item['url']}")
    return "\n".join(lines)


@cli.command()
@sources_option()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats(sources, as_json):
    """Count outlets, owners, labels by type, countries and hosts; the bundled lists' provenance and coverage.

    \b
    Example:
        masthead stats
    """
    from .registry.audit import list_reports, source_counts

    registry = load_registry(sources)
    counts = registry.counts()
    counts["countries_list"] = sorted({o.country for o in registry.outlets.values() if o.country})
    counts.update(source_counts(registry))
    counts["lists"] = list_reports(registry)
    if as_json:
        click.echo(json.dumps(counts, indent=2, ensure_ascii=False))
        return
    click.echo(f"{counts['outlets']} outlets ({counts['curated_outlets']} curated, {counts['imported_outlets']} from lists), "
               f"{counts['owners']} owners, {counts['labels']} labels, {counts['countries']} countries")
    click.echo(f"{counts['hosts']} hosts identified (and {counts['path_rules']} path rules)")
    click.echo(f"Labels citing a primary source: {counts['labels_citing_a_primary_source']}; "
               f"curated labels with `checked:`: {counts['curated_labels_checked']} of {counts['curated_labels']}")
    click.echo("Control models: " + ", ".join(f"{k} {v}" for k, v in counts["control_models"].items())
               + " (decided by: " + ", ".join(f"{k} {v}" for k, v in counts["control_model_decided_by"].items()) + ")")
    for item in counts["lists"]:
        click.echo(f"List {item['name']} ({item['file']}): {item['title']}, {item['issuer']}; {item['url']}")
        click.echo(f"  licence: {item['licence'] or 'not recorded'}")
        click.echo(f"  snapshot: {item['snapshot'] or 'not recorded'}" + (f" ({item['snapshot_basis']})" if item["snapshot_basis"] else "")
                   + f"; read {item['retrieved']}")
        share = f"{item['share_with_label']:.1%}" if item["share_with_label"] is not None else "-"
        click.echo(f"  {item['outlets']} outlets on {item['hosts']} hosts; {item['covered_by_curated']} entries taken over by curated "
                   f"outlets, {item['curated_carrying_label']} of them with the list's label; {share} of the {item['listed']} "
                   "listed outlets carry it")
    click.echo("Countries: " + " ".join(counts["countries_list"]))
    click.echo("Labels by type:")
    for label_type, n in counts["labels_by_type"].items():
        click.echo(f"  {label_type:34} {n}")


def main():  # pragma: no cover
    cli()


@cli.command()
@click.argument("inputs", nargs=-1)
@db_option
@sources_option("The curated list used to attribute articles to outlets (default: $MASTHEAD_SOURCES, else the bundled sources.yaml).")
@click.option("--from-sources", is_flag=True, help="Also fetch every feed listed in the source list.")
@click.option("--workers", default=4, show_default=True, type=click.IntRange(1, 32), help="Hosts fetched in parallel.")
@click.option("--delay", default=1.0, show_default=True, type=click.FloatRange(0, 60), help="Seconds between two requests to one host.")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(0.5, 120), help="Network timeout per request, in seconds.")
@click.option("--max-bytes", default=5 * 1024 * 1024, show_default=True, type=click.IntRange(1024), help="Largest page or feed to download.")
@click.option("--refresh", is_flag=True, help="Fetch URLs again even when they are already stored.")
@click.option("--allow-network", "allow", multiple=True, help="Let the fetcher reach this private network (CIDR), e.g. 127.0.0.1/32 for a local test server. Never needed for the public web.")
@click.option("--no-embed", "no_embed", is_flag=True, help="Store no sentence vectors (faster; related coverage then ranks by shared words, in one language). MASTHEAD_EMBED=0 is the same.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def ingest(inputs, db, sources, from_sources, workers, delay, timeout, max_bytes, refresh, allow, no_embed, as_json):
    """Add articles to the corpus used for related coverage.

    INPUTS are JSON Lines files ({url, title, text, published, outlet?, language?} per line),
    saved HTML pages (.html, .html.gz) or folders of them, WARC files, http(s) URLs of pages
    or RSS/Atom feeds, and .txt files listing URLs. Running it twice adds nothing; an
    interrupted run keeps what it committed and the next run adds the rest. `outlet` may be an id
    or a name from sources.yaml; an unknown name is kept as the site name. Each article is stored
    with a sentence vector (multilingual) unless --no-embed. Exits with 1 when every record failed.

    \b
    Examples:
        masthead ingest tests/data/articles-small.jsonl --db corpus.db
        masthead ingest news.jsonl --no-embed
        masthead ingest pages/ crawl.warc.gz https://example.org/rss.xml
        masthead ingest --from-sources
    """
    from . import ingest as ingest_module
    from .corpus import CorpusUnavailable
    from .extract import Fetcher

    if not inputs and not from_sources:
        raise click.UsageError("give at least one file, folder or URL, or --from-sources")
    registry = load_registry(sources)
    corpus = open_corpus(db)
    try:
        fetcher = Fetcher(timeout=timeout, max_bytes=max_bytes, delay=delay, allow=allow)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--allow-network")
    with click.progressbar(length=0, label="Ingesting", file=sys.stderr, show_pos=True) as bar:
        unshown = [0, time.monotonic()]  # drawing the bar for every record costs more than storing it

        def progress(done: int, more: int) -> None:
            bar.length = (bar.length or 0) + more
            unshown[0] += done
            now = time.monotonic()
            if unshown[0] and (now - unshown[1] >= 0.1 or bar.pos + unshown[0] >= bar.length):
                bar.update(unshown[0])
                unshown[:] = [0, now]
        try:
            summary = ingest_module.ingest(inputs, corpus, registry, from_sources=from_sources, fetcher=fetcher,
                                           workers=workers, refresh=refresh, progress=progress,
                                           embedding=False if no_embed else None)
        except ingest_module.IngestError as exc:
            raise click.ClickException(str(exc))
        except (CorpusUnavailable, OSError) as exc:
            raise click.ClickException(_storage_message(exc, corpus.location) + "; what was committed before is kept, run the same command again to add the rest")
        bar.update(unshown[0])
    corpus.close()
    if as_json:
        click.echo(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
    else:
        for line in summary.lines():
            click.echo(line)
    if summary.all_failed:
        raise click.exceptions.Exit(1)


@cli.command()
@click.argument("query")
@db_option
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 200), help="How many results.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def search(query, db, limit, as_json):
    """Full-text search over the article corpus (every word must match).

    \b
    Example:
        masthead search "customs union" --db corpus.db
    """
    from .corpus import CorpusUnavailable, terms

    if not terms(query):
        raise click.UsageError("the query has no words to search for")
    corpus = open_corpus(db)
    try:
        ignored = corpus.plan_search(query).ignored
        rows = corpus.search(query, limit)
    except CorpusUnavailable as exc:
        raise click.ClickException(_storage_message(exc, corpus.location))
    finally:
        corpus.close()
    if as_json:
        click.echo(json.dumps([{k: v for k, v in row.items() if k != "id"} for row in rows], ensure_ascii=False, indent=2))
        return
    if ignored:
        click.echo(f"left out (in most articles, or past the 8 rarest words): {' '.join(ignored)}", err=True)
    if not rows:
        click.echo("no articles found")
    for row in rows:
        click.echo(f"{row['published'] or '':20} {row['site_name'] or row['registered_domain']}: {row['title']}\n    {row['url']}")


@cli.command()
@click.argument("urls_", metavar="URL...", nargs=-1, required=True)
@db_option
def forget(urls_, db):
    """Delete stored articles from the corpus, each with every URL it is known under.

    Use it to forget a page a reader added (see docs/PRIVACY.md); the ranking's
    statistics are kept right. Any URL the article is known under will do.

    \b
    Example:
        masthead forget https://example.org/2026/03/some-story.html --db corpus.db
    """
    from .corpus import CorpusUnavailable

    corpus = open_corpus(db)
    missing = []
    try:
        for raw in urls_:
            try:
                url = urls.normalise(raw).url
            except urls.URLError as exc:
                raise click.BadParameter(f"{raw[:200]}: {exc}", param_hint="URL")
            forgotten = corpus.delete(url)
            if forgotten is None:
                missing.append(raw)
                click.echo(f"not in the corpus: {raw}", err=True)
                continue
            others = f" (and {len(forgotten) - 1} other URL{'s' if len(forgotten) > 2 else ''})" if len(forgotten) > 1 else ""
            click.echo(f"forgot {forgotten[0]}{others}")
    except CorpusUnavailable as exc:
        raise click.ClickException(_storage_message(exc, corpus.location))
    finally:
        corpus.close()
    if missing:
        raise click.ClickException(f"{len(missing)} of {len(urls_)} URL(s) not in the corpus")


# --- curation: tokens, imports, exports (issue 6) ---------------------------------------------


def _announce_token(settings: dict) -> None:
    from .web.auth import ensure_token

    where, created = ensure_token(settings)
    if created:
        click.echo(f"A write token named 'admin' was generated into {where} (mode 0600); `masthead token --show` prints it.", err=True)


@cli.command()
@click.argument("name", required=False)
@click.option("--show", is_flag=True, help="Print the tokens' names and values instead of creating one.")
def token(name, show):
    """Create a named write token (the change log records who made each change by this name).

    Without NAME, creates the 'admin' token if there is none. Tokens live in config.json in your
    Masthead config directory (mode 0600); MASTHEAD_TOKEN, when set, is accepted too, named 'env'.

    \b
    Examples:
        masthead token alice
        masthead token --show
    """
    from .web.auth import ENV_TOKEN_NAME, TokenStore, add_token, config_path, ensure_token

    settings = defaults()
    if show:
        tokens = TokenStore(settings).tokens()
        if not tokens:
            raise click.ClickException(f"no tokens yet; create one with `masthead token NAME` ({config_path(settings)})")
        for token_name, value in sorted(tokens.items()):
            click.echo(f"{token_name}\t{value}" + ("\t(from MASTHEAD_TOKEN)" if token_name == ENV_TOKEN_NAME else ""))
        return
    if name is None:
        where, created = ensure_token(settings)
        click.echo(f"admin\t{created}" if created else f"tokens already exist in {where}; `masthead token --show` prints them")
        return
    try:
        value = add_token(settings, name)
    except ValueError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"{name}\t{value}")
    click.echo(f"saved in {config_path(settings)}; send it as 'Authorization: Bearer {value[:4]}...'", err=True)


@cli.command(name="import")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(["state-media-matrix", "ru-foreign-agents", "opensources", "csv"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@sources_option("The curated list that includes the imported one (default: $MASTHEAD_SOURCES, else the bundled sources.yaml).")
@click.option("--into", default=None, help="The list file to write, relative to the sources file (default: lists/NAME.yaml).")
@click.option("--dry-run", is_flag=True, help="Print the counts and the diff; write nothing.")
@click.option("--map", "mapping", multiple=True, help="For csv: FIELD=COLUMN, or FIELD==TEXT for a fixed value (fields: id name domain url homepage country type issuer jurisdiction since until instrument source note).")
@click.option("--name", "list_name", default=None, help="The list's name, recorded on every label (default: the format).")
@click.option("--issuer", default=None, help="Who published the list (the formats know theirs).")
@click.option("--url", default=None, help="The list's public URL, every imported label's source (the formats know theirs).")
@click.option("--retrieved", default=None, help="When the list was read (YYYY-MM-DD; default today).")
@click.option("--licence", default=None, help="The terms the list is published under (the formats know theirs).")
@click.option("--snapshot", default=None, help="The date the list's contents are as of (default: the latest date in it, else the day it is read).")
def import_(fmt, file, sources, into, dry_run, mapping, list_name, issuer, url, retrieved, licence, snapshot):
    """Merge a published list into a separate list file that the source list includes.

    Curated entries are never changed: a domain or id they already have is reported as a
    conflict and left out. Every imported label records the list's publisher, URL, name and
    the date it was read.

    \b
    Examples:
        masthead import state-media-matrix State_Media_Matrix.csv --dry-run
        masthead import ru-foreign-agents registry.csv
        masthead import csv regulators.csv --name ofcom --issuer Ofcom --url https://www.ofcom.org.uk/list \\
            --map domain=Website --map country=Country --map type==licence-revoked --map since=Date
    """
    from .curation.importers import ImportError_, run_import

    path = sources_path(sources)
    try:
        report = run_import(path, fmt, file, into=into, dry_run=dry_run, mapping=list(mapping) or None,
                            list_name=list_name, issuer=issuer, url=url, retrieved=retrieved, licence=licence, snapshot=snapshot)
    except ImportError_ as exc:
        raise click.ClickException(str(exc))
    _print_report(report, dry_run)


def _print_report(report, dry_run: bool) -> None:
    if dry_run and report.diff:
        click.echo(report.diff, nl=False)
    click.echo(report.summary())
    for reason, count in report.skipped.most_common():
        click.echo(f"  skipped {count}: {reason}")
    for conflict in report.conflicts[:50]:
        click.echo(f"  conflict: {conflict}")
    if len(report.conflicts) > 50:
        click.echo(f"  ... and {len(report.conflicts) - 50} more conflicts")
    if dry_run:
        click.echo("dry run: nothing was written")
    else:
        click.echo(f"wrote {report.into}" + (" and added it to include:" if report.include_added else ""))


@cli.command(name="update-lists")
@sources_option("The source list with the `lists:` subscriptions (default: $MASTHEAD_SOURCES, else the bundled sources.yaml).")
@click.option("--only", multiple=True, help="Refresh only the list with this name (repeatable).")
@click.option("--dry-run", is_flag=True, help="Print the counts and the diffs; write nothing.")
@click.option("--allow-network", "allow", multiple=True, help="Let the download reach this private network (CIDR), e.g. 10.0.0.0/8 for a list on your intranet. Never needed for the public web.")
def update_lists_command(sources, only, dry_run, allow):
    """Fetch every list subscribed to under `lists:` in the source list and import it again.

    \b
    Example:
        masthead update-lists --only state-media-matrix
    """
    from .curation.importers import ImportError_, update_lists

    path = sources_path(sources)
    try:
        results = update_lists(path, only=tuple(only), dry_run=dry_run, allow=tuple(allow))
    except ImportError_ as exc:
        raise click.ClickException(str(exc))
    except ValueError as exc:  # a malformed --allow-network
        raise click.BadParameter(str(exc), param_hint="--allow-network")
    if not results:
        click.echo("no lists to update (subscribe with a `lists:` entry: name, format, url)")
    failed = 0
    for entry, outcome in results:
        if isinstance(outcome, str):
            failed += 1
            click.echo(f"failed: {outcome}", err=True)
        else:
            _print_report(outcome, dry_run)
    if failed:
        raise click.ClickException(f"{failed} list(s) could not be updated")


@cli.command()
@sources_option()
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True, help="Output format.")
@click.option("--curated", is_flag=True, help="Only curated outlets, not those from imported lists.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write to this file instead of standard output.")
def export(sources, fmt, curated, output):
    """Export the outlets (with owners, labels and provenance) to share the list, as GET /api/outlets.json and .csv do.

    \b
    Example:
        masthead export --format csv -o outlets.csv
    """
    from .curation import export_csv, export_document

    registry = load_registry(sources)
    if fmt == "json":
        text = json.dumps(export_document(registry, curated_only=curated), ensure_ascii=False, indent=1) + "\n"
    else:
        text = export_csv(registry, curated_only=curated)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)
