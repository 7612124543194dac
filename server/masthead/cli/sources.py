"""Commands on the source list: validate, lookup, stats, export."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .. import urls
from .base import cli, db_option, load_registry, open_masthead, sources_option, sources_path


@cli.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--warnings/--no-warnings", default=True, help="Show warnings and notes (what sections inherit) too.")
@click.option("--stale", "stale_days", type=click.IntRange(0), default=None, metavar="DAYS",
              help="Also list the labels not checked within DAYS days (by `checked:`, or the day an imported list was read).")


def validate(file, warnings, stale_days):
    """Check a source list and report every problem at once, as file:line:column.

    Sections and subdomains (`paths:` entries, hosts under another outlet's domain) inherit their
    parent outlet's owner and labels; each inheritance is reported as a note. A curated label
    without `checked:` is an error here (the server saves such an edit with a warning), except those
    in the backlog of labels written before it was required. Exits with status 1 if there is any error.

    \b
    Examples:
        masthead validate sources.yaml
        masthead validate --stale 365
    """
    from ..registry import check
    from ..registry.audit import stale_labels

    path = file or sources_path(None)
    registry, problems = check(path, require_checked=True)
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
@db_option
@click.option("--title", default=None, help="The page's title, for related coverage of a page the corpus does not hold.")
@click.option("--as-of", default=None, help="Evaluate labels as of this date (YYYY-MM-DD).")
@click.option("--limit", default=8, show_default=True, type=click.IntRange(0, 50), help="Related articles at most (0: none).")
@click.option("--json", "as_json", is_flag=True, help="Print the full JSON answer, exactly as /api/context gives it.")
def lookup(url, sources, db, title, as_of, limit, as_json):
    """Show who stands behind a page URL: outlet, ownership chain, labels, related coverage.

    \b
    Examples:
        masthead lookup https://sputnikglobe.com/20260226/some-article.html
        masthead lookup --json --title "Russia, Belarus team up" https://example.org/story
    """
    from ..context import ContextError

    masthead = open_masthead(sources, db)
    try:
        answer = masthead.answer(url, title=title, as_of=as_of, limit=limit)
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
    if answer.get("former_domain"):
        former = answer["former_domain"]
        lines.append(f"Former:    a former domain of {former['outlet']} (until {former['until']}); its labels are the outlet's")
    for item in answer.get("funding") or ():  # who pays, apart from who owns (issue 24)
        lines.append(f"Funded by: {item['name']} ({item['kind']}) -> {item['of']}" + (f", until {item['until']}" if item.get("until") else ""))
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
            dates = ", ".join(filter(None, [
                (label["since"] or "") + (f" to {label['until']}" if label["until"] else ""),
                f"as of {label['as_of']}" if label.get("as_of") else ""])).strip()
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
    from ..registry.audit import list_freshness, list_reports, source_counts

    registry = load_registry(sources)
    counts = registry.counts()
    counts["countries_list"] = sorted({o.country for o in registry.outlets.values() if o.country})
    counts.update(source_counts(registry))
    counts["lists"] = list_reports(registry)
    freshness = {f["name"]: f for f in list_freshness(registry)}
    for item in counts["lists"]:
        fresh = freshness.get(item["name"] or "", {})
        item.update({k: fresh.get(k) for k in ("age_days", "cadence_days", "stale", "warning")})
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
        age = f", {item['age_days']} days old" if item["age_days"] is not None else ""
        cadence = f" (expected every {item['cadence_days']} days)" if item["cadence_days"] else ""
        click.echo(f"  snapshot: {item['snapshot'] or 'not recorded'}" + (f" ({item['snapshot_basis']})" if item["snapshot_basis"] else "")
                   + f"{age}{cadence}; read {item['retrieved']}")
        if item["warning"]:
            click.echo(f"  warning: {item['warning']}")
        share = f"{item['share_with_label']:.1%}" if item["share_with_label"] is not None else "-"
        click.echo(f"  {item['outlets']} outlets on {item['hosts']} hosts; {item['covered_by_curated']} entries taken over by curated "
                   f"outlets, {item['curated_carrying_label']} of them with the list's label"
                   + (f" and {item['curated_rerated']} re-rated by a later edition" if item["curated_rerated"] else "")
                   + f"; {share} of the {item['listed']} listed outlets carry it or its update")
        for item_ in item["ended_in_register"]:
            click.echo(f"  ended in the register, still in force in the curated list: {item_}")
    click.echo("Countries: " + " ".join(counts["countries_list"]))
    click.echo("Labels by type:")
    for label_type, n in counts["labels_by_type"].items():
        click.echo(f"  {label_type:34} {n}")


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
    from ..curation import export_csv, export_document

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
