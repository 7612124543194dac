"""Merge a parsed list into lists/<name>.yaml, included from sources.yaml; subscriptions that re-fetch lists.

An import never touches curated entries. It writes `lists/<name>.yaml` next to sources.yaml, adds
that file to `include:`, and reports every entry it left out: a domain or id that a curated entry
(or another imported list) already has is a conflict, and the curated entry wins. Every imported
label carries its provenance: `issuer` (the list's publisher), `sources` (the list's URL),
`retrieved` (the date the list was read) and `list` (the list's name).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import io
import logging
import os
import re
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ... import registry as registry_module
from ...untrusted import shown, surrogate_at
from ..curator import Curator
from ..errors import EditError, Invalid
from ..files import atomic_write
from ..yamldoc import Style, YamlDoc, yaml_for, to_plain
from .model import Candidate, Format, ImportError_, ListInfo, MAX_DOWNLOAD
from .guess import slug
from .parsers import FORMATS
from .registers import MAPPING_FILE, entry_key, load_register_mapping

__all__ = ["ImportReport", "run_import", "subscriptions", "download", "update_lists"]

log = logging.getLogger("masthead.lists")


# --- merging into the list file ----------------------------------------------------------------


@dataclass
class ImportReport:
    format: str
    list_name: str
    into: Path
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: Counter = field(default_factory=Counter)
    conflicts: list[str] = field(default_factory=list)
    diff: str = ""
    written: bool = False
    include_added: bool = False
    new: list[str] = field(default_factory=list)  # "id (hosts)" of entries the last import did not have
    ended: list[str] = field(default_factory=list)  # entries gone from the register, kept with `until`
    hosts_changed: list[str] = field(default_factory=list)  # "id: old hosts -> new hosts"
    dropped: list[str] = field(default_factory=list)  # entries the register still lists but no longer imported
    snapshot: str = ""

    def changes(self) -> list[str]:
        """The difference against the last import, one line each (what `update-lists` prints and logs)."""
        return ([f"new: {n}" for n in self.new] + [f"ended: {e}" for e in self.ended]
                + [f"websites changed: {h}" for h in self.hosts_changed]
                + [f"no longer imported: {d} (the register still lists it: the media filter or the mapping changed)"
                   for d in self.dropped])

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def counts(self) -> dict:
        return {"rows": self.rows, "added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "removed": self.removed, "skipped": self.skipped_total, "conflicts": len(self.conflicts)}

    def summary(self) -> str:
        counts = self.counts()
        return (f"{self.format}: {counts['rows']} rows -> added {counts['added']}, updated {counts['updated']}, "
                f"unchanged {counts['unchanged']}, removed {counts['removed']}, skipped {counts['skipped']}, "
                f"conflicts {counts['conflicts']} (curated entries win)")


def _relative(path: Path, base: Path) -> str:
    return os.path.relpath(path, base).replace(os.sep, "/")


def _existing_entries(path: Path) -> tuple[dict[str, dict], str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, ""
    try:
        data = YamlDoc(text, path.name).data
    except Invalid:
        return {}, text
    entries = {}
    for node in data.get("outlets") or []:
        if isinstance(node, CommentedMap) and isinstance(node.get("id"), str):
            entries[node["id"]] = to_plain(node)
    return entries, text


def _same(a: dict, b: dict) -> bool:
    """Equal apart from the date each label was read."""

    def strip(entry: dict) -> dict:
        entry = dict(entry)
        entry["labels"] = [{k: v for k, v in label.items() if k != "retrieved"} for label in entry.get("labels", [])]
        return entry

    return strip(a) == strip(b)


def _render_list(info: ListInfo, fmt: Format, entries: list[dict], covered: list[dict] = ()) -> str:
    doc = YamlDoc("", "list")
    doc.style = Style(mapping=2, sequence=4, offset=2, flow_lists=False)
    root = CommentedMap()
    root["version"] = 1
    provenance = {"name": info.name, "title": info.title or fmt.title, "format": info.format,
                  "issuer": info.issuer, "url": info.url}
    if info.licence:
        provenance["licence"] = info.licence
    if info.snapshot:
        provenance["snapshot"] = info.snapshot
        if info.snapshot_basis:
            provenance["snapshot_basis"] = info.snapshot_basis
    provenance["retrieved"] = info.retrieved
    if fmt.cadence_days:
        provenance["cadence_days"] = fmt.cadence_days
    if covered:
        # Entries a curated outlet takes over, with the label the list gives them: `masthead stats` checks
        # that the curated outlet carries it too.
        provenance["covered_by_curated"] = list(covered)
    root["list"] = doc.node(provenance, "list")
    root["outlets"] = CommentedSeq(doc.node(entry, "outlet") for entry in entries)
    root.yaml_set_start_comment(
        f"Imported by `masthead import {info.format}` from {info.title or fmt.title} ({info.url}).\n"
        "Generated: edit the curated sources.yaml instead (a curated entry with the same id or domain wins);\n"
        "run the import again to refresh this file."
    )
    buffer = io.StringIO()
    yaml_for(doc.style, 110).dump(root, buffer)
    return buffer.getvalue()


def run_import(
    sources: str | Path, fmt: str, file: str | Path, *, into: str | Path | None = None, dry_run: bool = False,
    mapping=None, list_name: str | None = None, issuer: str | None = None, url: str | None = None,
    retrieved: str | None = None, who: str = "import", licence: str | None = None, snapshot: str | None = None,
    mapping_file: str | Path | None = None,
) -> ImportReport:
    """Merge one published list into its own list file, which sources.yaml then includes."""
    if fmt not in FORMATS:
        raise ImportError_(f"unknown format '{fmt}'; known: {', '.join(FORMATS)}")
    spec = FORMATS[fmt]
    sources = Path(sources).resolve()
    file = Path(file)
    if not file.is_file():
        raise ImportError_(f"{file}: no such file")
    name = slug(list_name or (fmt if fmt != "csv" else file.stem))
    info = ListInfo(
        name=name, format=fmt, issuer=issuer or spec.issuer, url=url or spec.url,
        retrieved=retrieved or dt.date.today().isoformat(), title=spec.title if fmt != "csv" else file.stem,
    )
    if not info.issuer:
        raise ImportError_("say who published the list: --issuer 'Name of the publisher'")
    if not re.match(r"^https?://[^\s/]+\.[^\s]*$", info.url or ""):
        raise ImportError_("give the list's public URL with --url https://... (it becomes every label's source)")
    if registry_module.parse_partial_date(info.retrieved) is None:
        raise ImportError_(f"--retrieved {info.retrieved!r} is not a date (YYYY-MM-DD)")
    into_path = (sources.parent / (into or f"lists/{name}.yaml")).resolve()
    if into_path == sources:
        raise ImportError_("an import never goes into the curated file itself; choose another --into")
    # --into and `lists: into:` (a file others may edit through the server) stay inside lists/ (issue 13).
    lists_dir = (sources.parent / "lists").resolve()
    if lists_dir not in into_path.parents or into_path.suffix not in (".yaml", ".yml"):
        raise ImportError_(f"{shown(str(into))}: an import writes only a .yaml file under lists/ next to {sources.name}; "
                           "choose another --into (e.g. lists/NAME.yaml)")
    # Which register entries are which outlets, where the register's own website field does not settle it.
    registers = load_register_mapping(Path(mapping_file) if mapping_file else sources.parent / MAPPING_FILE)
    if snapshot and registry_module.parse_partial_date(snapshot) is None:
        raise ImportError_(f"--snapshot {snapshot!r} is not a date (YYYY-MM-DD, YYYY-MM or YYYY)")
    parsed = spec.parse(file, info, mapping=mapping, registers=registers, snapshot=snapshot)
    info.licence = licence or spec.licence
    if snapshot:
        info.snapshot, info.snapshot_basis = snapshot, parsed.snapshot_basis or "given when importing"
    else:
        info.snapshot, info.snapshot_basis = parsed.snapshot or info.retrieved, parsed.snapshot_basis or "the day the list was read"
    report = ImportReport(format=fmt, list_name=name, into=into_path, rows=parsed.rows, skipped=parsed.skipped,
                          snapshot=info.snapshot)

    curator = Curator(sources)
    with curator.lock():
        registry, problems = registry_module.load_with_problems(sources)
        others = {oid: o for oid, o in registry.outlets.items() if Path(o.source_file).resolve() != into_path}
        taken_ids = set(others) | set(registry.owners)
        old_entries, old_text = _existing_entries(into_path)
        entries: list[dict] = []
        covered: list[dict] = []
        used_ids: set[str] = set()
        # A register entry keeps its outlet id when its website changes: the old entry is found by the entry's key.
        by_key = {entry_key(e): oid for oid, e in old_entries.items() if spec.register and entry_key(e)}
        for candidate in parsed.candidates:
            previous = by_key.get(candidate.key) if candidate.key else None
            if previous and candidate.id not in old_entries and previous not in used_ids:
                candidate.id = previous
            clash = _clash(registry, others, candidate)
            if clash:
                report.conflicts.append(clash)
                # The host a curated outlet has (a register may list another site first).
                for host in candidate.domains:
                    match = registry.match_url(f"https://{host}/")
                    if match is not None and match.outlet.curated and candidate.labels:
                        covered.append(_covered(host, match.outlet.id, candidate))
                        break
                continue
            if candidate.id in taken_ids or candidate.id in used_ids:
                alternative = f"{candidate.id[:70]}-{name[:9]}".strip("-")
                if alternative in taken_ids or alternative in used_ids:
                    report.conflicts.append(f"{candidate.domains[0]}: id '{candidate.id}' is taken; left out")
                    continue
                candidate.id = alternative
            entry = candidate.entry()
            if surrogate_at(entry) is not None:  # a "\\ud800" escape: no answer including it could be sent
                report.skipped["text with a lone surrogate (not a character)"] += 1
                continue
            used_ids.add(candidate.id)
            old = old_entries.get(candidate.id)
            if old is not None:
                _carry_over_dates(old, entry)
            if old is None:
                report.added += 1
                report.new.append(f"{candidate.id} ({', '.join(candidate.domains)})")
            elif _same(old, entry):
                report.unchanged += 1
                entry = old  # keep the date it was first read, so a re-import changes nothing
            else:
                report.updated += 1
            if old is not None and list(old.get("domains") or []) != list(entry.get("domains") or []):
                report.hosts_changed.append(f"{candidate.id}: {', '.join(map(str, old.get('domains') or []))} -> "
                                            f"{', '.join(entry['domains'])}")
            entries.append(entry)
        report.removed = len(set(old_entries) - used_ids)
        if spec.register:
            entries += _ended_entries(old_entries, used_ids, entries, info, report, parsed.seen, parsed.exclusions)
        new_text = _render_list(info, spec, entries, covered)
        if old_text and _same_list(old_text, new_text):
            new_text = old_text

        sources_text = sources.read_text(encoding="utf-8")
        doc = YamlDoc(sources_text, sources.name)
        includes = _includes(doc)
        rel = _relative(into_path, sources.parent)
        new_sources_text = sources_text
        if rel not in includes and str(into_path) not in {str((sources.parent / i).resolve()) for i in includes}:
            doc.set_top("include", includes + [rel])
            new_sources_text = doc.text
            report.include_added = True

        report.diff = "".join(difflib.unified_diff(
            old_text.splitlines(keepends=True), new_text.splitlines(keepends=True),
            fromfile=f"a/{rel}", tofile=f"b/{rel}",
        )) + "".join(difflib.unified_diff(
            sources_text.splitlines(keepends=True), new_sources_text.splitlines(keepends=True),
            fromfile=f"a/{sources.name}", tofile=f"b/{sources.name}",
        ))
        _check(sources, into_path, rel, new_text, new_sources_text)
        if dry_run:
            return report
        into_path.parent.mkdir(parents=True, exist_ok=True)
        if new_text != old_text:
            atomic_write(into_path, new_text.encode("utf-8"), mode=0o644)
        report.written = True
    if report.include_added:
        # sources.yaml changes like any other edit, through the curator: locked, validated, logged, undoable. The list
        # file is written first, so a kill in between leaves a list that the next import includes.
        def include(doc: YamlDoc) -> None:
            if rel not in _includes(doc):
                doc.set_top("include", _includes(doc) + [rel])

        curator.edit(include, who=who, summary=f"Include {rel} (masthead import {fmt})")
    return report


def _covered(host: str, outlet: str, candidate: Candidate) -> dict:
    """A register entry a curated outlet takes over, with the register's own dates, so the curated label can cite it."""
    item = {"host": host, "outlet": outlet, "type": candidate.labels[0]["type"], "entry": candidate.name[:120]}
    # The register's own ids for the entries (FARA registration, register row), which the curated label cites.
    keys = [k for k in [candidate.key, *candidate.more_keys] if k]
    if keys:
        item["register_entries"] = keys
    # An assessment (the matrix's typologies) has no period of its own, only the edition it is as of (issue 24).
    dates = [f"{l['since']}..{l.get('until') or ''}" for l in candidate.labels if l.get("since")]
    if dates:
        item["dates"] = dates
    return item


def _ended_entries(old_entries: dict[str, dict], used_ids: set[str], entries: list[dict], info: ListInfo,
                   report: ImportReport, seen: set, exclusions: dict | None = None) -> list[dict]:
    """Entries of the last import that the register no longer lists: kept, their open labels ended.

    A register that records exclusions (Russia's) gives `until` itself; one that drops an entry silently (a
    delisting) does not, so the end is the list's own date of the first snapshot without it, and the label says so.
    """
    taken = {str(d) for e in entries for d in e.get("domains") or []}
    kept = []
    for oid, old in old_entries.items():
        if oid in used_ids or taken & {str(d) for d in old.get("domains") or []}:
            continue
        excluded = (exclusions or {}).get(entry_key(old))
        if not excluded and (entry_key(old) in seen or seen & {str(d) for d in old.get("domains") or []}):
            report.dropped.append(oid)  # still in the register: not an end, so not kept with one
            continue
        entry = {**old, "labels": [dict(label) for label in old.get("labels") or []]}
        ended = False
        for label in entry["labels"]:
            if label.get("list") == info.name and not label.get("until"):
                # The register's own exclusion date where it gives one (an entry that now lists no website of its
                # own is no longer imported, but still ends); else the first snapshot without the entry, marked so.
                label["until"] = excluded or info.snapshot
                label["until_sources"] = [info.url]
                remark = (f"Ended: the register excludes the entry on {excluded} (its snapshot of {info.snapshot} no longer "
                          "lists a website of its own for it)." if excluded else
                          f"Ended: the entry is missing from the register's snapshot of {info.snapshot}, which gives no "
                          "exclusion date; that snapshot's date stands for the end.")
                label["note"] = f"{label['note']} {remark}" if label.get("note") else remark
                ended = True
        if ended:
            report.ended.append(f"{oid} until {excluded} (the register's exclusion)" if excluded else
                                f"{oid} until {info.snapshot} (missing from that snapshot)")
        used_ids.add(oid)
        kept.append(entry)
    return kept


def _carry_over_dates(old: dict, new: dict) -> None:
    """A list without dates (the matrix) dates a label by when it was first read; keep that date on re-import."""
    old_labels = old.get("labels") or []
    for label in new.get("labels") or []:
        if str(label.get("since")) != str(label.get("retrieved")):
            continue
        for before in old_labels:
            same = all(str(before.get(k)) == str(label.get(k)) for k in ("type", "issuer", "jurisdiction", "instrument"))
            if same and str(before.get("since")) == str(before.get("retrieved")):
                label["since"] = before["since"]
                label["retrieved"] = before["retrieved"]
                break


def _same_list(old_text: str, new_text: str) -> bool:
    """Equal but for the `retrieved:` line of the list's own provenance."""
    strip = lambda text: [l for l in text.splitlines() if not l.startswith("  retrieved:")]  # noqa: E731
    return strip(old_text) == strip(new_text)


def _includes(doc: YamlDoc) -> list[str]:
    value = doc.data.get("include")
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value if isinstance(v, str)]


def _clash(registry, others: dict, candidate: Candidate) -> str | None:
    """Why a curated entry (or another list) keeps this candidate out, or None."""
    for host in candidate.domains:
        match = registry.match_url(f"https://{host}/")
        if match is not None and match.outlet.id in others:
            owner = match.outlet
            where = "curated outlet" if owner.curated else f"outlet from {Path(owner.source_file).name}"
            return f"{host}: {where} '{owner.id}' has it ({match.rule}); the imported entry was left out"
    if candidate.id in others and others[candidate.id].curated:
        return f"{candidate.domains[0]}: id '{candidate.id}' is a curated outlet; the imported entry was left out"
    return None


def _check(sources: Path, into_path: Path, rel: str, new_text: str, new_sources_text: str) -> None:
    """Validate sources.yaml with the new list included, from temp files, before anything is written."""
    into_path.parent.mkdir(parents=True, exist_ok=True)
    stamp = f"{os.getpid()}.{time.monotonic_ns()}"
    temp_list = into_path.parent / f".{into_path.name}.{stamp}.tmp"
    temp_sources = sources.parent / f".{sources.name}.{stamp}.tmp"
    try:
        temp_list.write_text(new_text, encoding="utf-8")
        check = YamlDoc(new_sources_text, sources.name)
        includes = [(_relative(temp_list, sources.parent) if i == rel else i) for i in _includes(check)]
        check.set_top("include", includes)
        temp_sources.write_text(check.text, encoding="utf-8")
        _, problems = registry_module.load_with_problems(temp_sources)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            shown = [str(p).replace(str(temp_list), str(into_path)).replace(str(temp_sources), str(sources)) for p in errors[:20]]
            raise ImportError_(f"the import would leave {len(errors)} error(s); nothing was written:\n  " + "\n  ".join(shown))
    finally:
        for temp in (temp_list, temp_sources):
            with contextlib.suppress(OSError):
                temp.unlink()


# --- subscriptions -----------------------------------------------------------------------------


def subscriptions(sources: str | Path) -> list[dict]:
    """The `lists:` entries of sources.yaml, checked."""
    sources = Path(sources)
    doc = YamlDoc(sources.read_text(encoding="utf-8"), sources.name)
    value = doc.data.get("lists") or []
    if not isinstance(value, list):
        raise ImportError_(f"{sources.name}: `lists:` must be a list of {{name, format, url}}")
    found = []
    for i, item in enumerate(value):
        entry = to_plain(item)
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or entry.get("format") not in FORMATS:
            raise ImportError_(f"{sources.name}: lists entry {i + 1} needs `name` and a `format` among {', '.join(FORMATS)}")
        if not entry.get("url") and not entry.get("file"):
            raise ImportError_(f"{sources.name}: list '{entry['name']}' needs `url:` (or `file:` for a local copy)")
        found.append(entry)
    return found


LIST_TYPES = ("text/csv", "application/csv", "text/plain", "application/json", "text/json", "application/xml", "text/xml",
              "application/zip", "application/x-zip-compressed", "application/octet-stream",
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # the Ministry of Justice's xlsx export


def download(url: str, target: Path, fetcher) -> None:
    """Fetch a subscribed list through the guarded fetcher update_lists() sets up."""
    from ...fetch import FetchError

    if not url.startswith(("http://", "https://")):
        raise ImportError_(f"{url}: only http(s) URLs can be subscribed to")
    try:
        response = fetcher.fetch(url, accept=LIST_TYPES)
    except FetchError as exc:
        raise ImportError_(f"{url}: {exc}") from None
    target.write_bytes(response.body)


def update_lists(sources: str | Path, only: tuple[str, ...] = (), dry_run: bool = False,
                 retrieved: str | None = None, allow: tuple[str, ...] = ()) -> list[tuple[dict, ImportReport | str]]:
    """Fetch every subscribed list and import it; a list that fails is reported and the others go on.

    `allow`: private networks (CIDR) the fetcher may reach, as for `masthead ingest --allow-network`."""
    from ...fetch import Fetcher

    sources = Path(sources).resolve()
    # Public addresses only (a list URL comes from a file others may edit through the server) and a size cap.
    # robots.txt is not consulted: the operator asked for this one file, and raw-file hosts often disallow robots.
    fetcher = Fetcher(timeout=60.0, max_bytes=MAX_DOWNLOAD, delay=0, robots=False, allow=allow)
    results: list[tuple[dict, ImportReport | str]] = []
    for entry in subscriptions(sources):
        if only and entry["name"] not in only:
            continue
        with tempfile.TemporaryDirectory(prefix="masthead-list-") as tmp:
            try:
                if entry.get("url"):
                    local = Path(tmp) / f"list{FORMATS[entry['format']].suffix}"
                    download(entry["url"], local, fetcher)
                else:
                    local = (sources.parent / entry["file"]).resolve()
                report = run_import(
                    sources, entry["format"], local, into=entry.get("into"), dry_run=dry_run, mapping=entry.get("map"),
                    list_name=entry["name"], issuer=entry.get("issuer"), url=entry.get("source"), retrieved=retrieved,
                    who="update-lists",
                )
                for line in report.changes():
                    log.info("%s: %s%s", entry["name"], line, " (dry run)" if dry_run else "")
                results.append((entry, report))
            except (ImportError_, EditError, OSError, ValueError) as exc:
                results.append((entry, f"{entry['name']}: {exc}"))
    return results
