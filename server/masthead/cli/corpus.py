"""Commands on the article corpus: ingest, search, forget."""

from __future__ import annotations

import json
import sys
import time

import click

from .. import urls
from .base import cli, db_option, load_registry, open_corpus, sources_option, storage_message


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
    from .. import ingest as ingest_module
    from ..corpus import CorpusUnavailable
    from ..fetch import Fetcher

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
            raise click.ClickException(storage_message(exc, corpus.location) + "; what was committed before is kept, run the same command again to add the rest")
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
    from ..corpus import CorpusUnavailable, terms

    if not terms(query):
        raise click.UsageError("the query has no words to search for")
    corpus = open_corpus(db)
    try:
        ignored = corpus.plan_search(query).ignored
        rows = corpus.search(query, limit)
    except CorpusUnavailable as exc:
        raise click.ClickException(storage_message(exc, corpus.location))
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
    from ..corpus import CorpusUnavailable

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
        raise click.ClickException(storage_message(exc, corpus.location))
    finally:
        corpus.close()
    if missing:
        raise click.ClickException(f"{len(missing)} of {len(urls_)} URL(s) not in the corpus")
