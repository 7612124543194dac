"""Published lists: `masthead import` and `masthead update-lists`."""

from __future__ import annotations

from pathlib import Path

import click

from .base import cli, sources_option, sources_path


class FormatChoice(click.Choice):
    """The formats of curation.importers.FORMATS, read when a command runs (not when the CLI is imported)."""

    def __init__(self) -> None:
        super().__init__([])

    @property
    def choices(self):
        from ..curation.importers import FORMATS

        return list(FORMATS)

    @choices.setter
    def choices(self, value) -> None:
        pass


@cli.command(name="import")
@click.argument("fmt", metavar="FORMAT", type=FormatChoice())
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
@click.option("--mapping-file", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="For registers: the curated mapping of register entries to outlets (default: lists/register-mapping.yaml next to the sources file).")
def import_(fmt, file, sources, into, dry_run, mapping, list_name, issuer, url, retrieved, licence, snapshot, mapping_file):
    """Merge a published list into a separate list file that the source list includes.

    Curated entries are never changed: a domain or id they already have is reported as a
    conflict and left out. Every imported label records the list's publisher, URL, name and
    the date it was read.

    \b
    Examples:
        masthead import state-media-matrix State_Media_Matrix.csv --dry-run
        masthead import ru-foreign-agents registry.csv
        masthead import fara FARA_All_ForeignPrincipals.csv --dry-run
        masthead import uk-sanctions UK-Sanctions-List.xml
        masthead import csv regulators.csv --name ofcom --issuer Ofcom --url https://www.ofcom.org.uk/list \\
            --map domain=Website --map country=Country --map type==licence-revoked --map since=Date
    """
    from ..curation.importers import ImportError_, run_import

    path = sources_path(sources)
    try:
        report = run_import(path, fmt, file, into=into, dry_run=dry_run, mapping=list(mapping) or None,
                            list_name=list_name, issuer=issuer, url=url, retrieved=retrieved, licence=licence, snapshot=snapshot,
                            mapping_file=mapping_file)
    except ImportError_ as exc:
        raise click.ClickException(str(exc))
    _print_report(report, dry_run)


def _print_report(report, dry_run: bool) -> None:
    if dry_run and report.diff:
        click.echo(report.diff, nl=False)
    click.echo(report.summary())
    for line in report.changes():
        click.echo(f"  {line}")
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
    from ..curation.importers import ImportError_, update_lists

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
