"""The command group and what its commands share: options, loading the list, opening the corpus."""

from __future__ import annotations

from pathlib import Path

import click

from .. import __version__
from ..config import defaults

__all__ = ["cli", "open_masthead", "db_option", "load_registry", "open_corpus", "sources_option", "sources_path", "storage_message"]


# --- shared options ----------------------------------------------------------------------------

def sources_option(help_text: str = "The curated list (default: $MASTHEAD_SOURCES, else the bundled sources.yaml)."):
    return click.option("--sources", type=click.Path(dir_okay=False, path_type=Path), default=None, help=help_text)


class CorpusLocation(click.ParamType):
    """A file path for SQLite or a postgresql:// URL. A URL stays a URL: it is never made into a path."""

    name = "PATH|URL"

    def convert(self, value, param, ctx):
        from ..corpus import scheme

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
    from ..registry import SourcesError, load

    path = sources_path(sources)
    try:
        return load(path)
    except SourcesError as exc:
        raise click.ClickException(f"{path} does not validate: {exc}; run `masthead validate {path}`")


def open_masthead(sources: Path | None, db: str | None = None):
    """The application object a command works with (as `masthead serve` builds it), on --sources and --db."""
    from ..registry import SourcesError
    from ..service import Masthead

    settings = defaults()
    settings["SOURCES"] = str(sources_path(sources))
    if db:
        settings["DB"] = db
    try:
        return Masthead(settings)
    except SourcesError as exc:
        raise click.ClickException(f"{settings['SOURCES']} does not validate: {exc}; run `masthead validate {settings['SOURCES']}`")


def open_corpus(db: str | None):
    """--db, else the settings' corpus, opened; a ClickException with the reason when it cannot be."""
    from ..corpus import CorpusUnavailable, connect, describe

    location = db or defaults()["DB"]
    try:
        return connect(location)
    except (CorpusUnavailable, OSError) as exc:
        raise click.ClickException(storage_message(exc, describe(location)))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="masthead")
def cli():
    """Masthead tells a reader who stands behind a news page.

    It answers, for a page URL, which outlet publishes it, who owns that outlet
    up to the ultimate owner, which attributed labels apply (state media, foreign
    agent, sanctions, bans, platform labels) and how other outlets covered the story.
    """


def storage_message(exc: Exception, where) -> str:
    text = str(exc)
    reason = getattr(exc, "reason", None)
    if reason == "full" or getattr(exc, "errno", None) in (28, 122):
        return f"the disk holding {where} is full ({text}); free some space"
    if reason == "read-only" or getattr(exc, "errno", None) in (13, 30):
        return f"cannot write {where}: the file or its folder is read-only ({text})"
    return f"cannot use the corpus {where}: {text}"
