"""How fresh and how complete the list is: labels not checked lately, the bundled lists' provenance and coverage.

`masthead validate --stale DAYS` and `masthead stats` print what these functions compute (issue 12).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .control import control_basis
from .model import Label, Outlet, Registry
from .quality import source_quality
from .vocabulary import LABEL_TYPES

__all__ = ["StaleLabel", "stale_labels", "list_reports", "list_freshness", "coverage", "source_counts"]


@dataclass(frozen=True)
class StaleLabel:
    outlet: Outlet
    label: Label
    checked: str | None  # the last check (or, for an imported label, the day its list was read); None if never
    days: int | None  # how long ago

    def __str__(self) -> str:
        when = f"last checked {self.checked} ({self.days} days ago)" if self.checked else "never checked"
        return (f"{self.outlet.source_file}: {self.outlet.id}: {self.label.type} ({self.label.jurisdiction}), "
                f"{self.label.issuer}, {self.label.period()}: {when}")


def _as_date(text: str) -> dt.date:
    parts = [int(p) for p in text.split("-")] + [1, 1]
    return dt.date(parts[0], parts[1], parts[2])


def stale_labels(registry: Registry, days: int, today: dt.date | None = None) -> list[StaleLabel]:
    """Labels (each on the entry that holds it) whose last check is older than `days`, or that were never checked."""
    today = today or dt.date.today()
    found = []
    for outlet in registry.outlets.values():
        for label in outlet.own_labels:
            checked = label.checked or label.retrieved
            age = (today - _as_date(checked)).days if checked else None
            if age is None or age > days:
                found.append(StaleLabel(outlet, label, checked, age))
    found.sort(key=lambda s: (s.checked or "", s.outlet.id))
    return found


def coverage(registry: Registry, entry: dict) -> dict:
    """For one list: outlets and hosts it gives, entries curated outlets take over, and how many carry the list's label."""
    file = str(entry.get("file", ""))
    outlets = [o for o in registry.outlets.values() if o.source_file == file]
    hosts = sum(1 for oid in registry.hosts.values() if registry.outlets[oid].source_file == file)
    covered = [c for c in entry.get("covered_by_curated") or [] if isinstance(c, dict)]
    carried = rerated = 0
    disagree = []
    today = dt.date.today().isoformat()
    snapshot = str(entry.get("snapshot") or "")
    for item in covered:
        match = registry.match_url(f"https://{item.get('host')}/")
        labels = [l for l in match.outlet.labels if l.type == item.get("type")] if match is not None else []
        active = any(l.status(today) == "active" for l in labels)
        dates = [str(d) for d in item.get("dates") or []]
        # A register's entry that has ended (every period closed): the curated label should have ended too.
        ended = bool(dates) and not any(d.endswith("..") for d in dates)
        if ended and active:
            disagree.append(f"{item.get('outlet')} ({item.get('type')}: the register gives {', '.join(dates)})")
        elif active or (ended and labels):
            carried += 1
        elif match is not None and _rerated(match.outlet, item.get("type"), snapshot, today):
            rerated += 1
    listed = len(outlets) + len(covered)
    with_label = sum(1 for o in outlets if o.labels) + carried + rerated
    return {"outlets": len(outlets), "hosts": hosts, "covered_by_curated": len(covered),
            "curated_carrying_label": carried, "curated_rerated": rerated, "listed": listed, "with_label": with_label,
            "share_with_label": round(with_label / listed, 4) if listed else None, "ended_in_register": disagree}


def _rerated(outlet, listed_type: str | None, snapshot: str, today: str) -> bool:
    """Whether a curated outlet carries, instead of a list's rating, a rating of the same typology from a later
    edition than the list's copy (the issuer re-rated it: that is the list's label brought up to date, not dropped)."""
    listed = LABEL_TYPES.get(listed_type or "")
    if listed is None or not listed.smm_code:
        return False
    return any(LABEL_TYPES.get(l.type) is not None and LABEL_TYPES[l.type].smm_code and l.status(today) == "active"
               and str(l.as_of or "") > snapshot[:len(str(l.as_of or ""))] for l in outlet.labels)


def list_reports(registry: Registry) -> list[dict]:
    """Each included list's provenance (licence, source, snapshot date) with its coverage."""
    reports = []
    for entry in registry.lists:
        keys = ("name", "title", "format", "issuer", "url", "licence", "snapshot", "snapshot_basis", "retrieved")
        report = {k: (str(entry[k]) if entry.get(k) is not None else None) for k in keys}
        report["file"] = Path(str(entry.get("file", ""))).name
        report.update(coverage(registry, entry))
        reports.append(report)
    return reports


def list_freshness(registry: Registry, today: dt.date | None = None) -> list[dict]:
    """Each included list's own date (the register's, not the day it was read), its age, the expected cadence, and a
    warning when it is older than that cadence (for `/api/health` and `masthead stats`)."""
    today = today or dt.date.today()
    found = []
    for entry in registry.lists:
        snapshot = str(entry.get("snapshot")) if entry.get("snapshot") is not None else None
        try:
            age = (today - _as_date(snapshot)).days if snapshot else None
        except ValueError:
            age = None
        cadence = entry.get("cadence_days")
        cadence = cadence if isinstance(cadence, int) and not isinstance(cadence, bool) and cadence > 0 else None
        stale = age is not None and cadence is not None and age > cadence
        name = str(entry.get("name") or Path(str(entry.get("file", ""))).stem)
        found.append({
            "name": name, "snapshot": snapshot, "age_days": age, "cadence_days": cadence, "stale": stale,
            "warning": (f"list {name}: its own date {snapshot} is {age} days old, older than its expected cadence of "
                        f"{cadence} days; refresh it with `masthead update-lists --only {name}`") if stale else None,
        })
    return found


def source_counts(registry: Registry, as_of: str | None = None) -> dict:
    """Counts for `masthead stats`: hosts, control models and what decided them, labels citing a primary source, freshness."""
    as_of = as_of or dt.date.today().isoformat()
    quality = source_quality()
    labels = [label for outlet in registry.outlets.values() for label in outlet.own_labels]
    curated = [label for outlet in registry.outlets.values() if outlet.curated for label in outlet.own_labels]
    models: dict[str, int] = {}
    bases: dict[str, int] = {}
    for outlet in registry.outlets.values():
        model, basis = control_basis(registry, outlet, as_of)
        models[model] = models.get(model, 0) + 1
        bases[basis] = bases.get(basis, 0) + 1
    return {
        "hosts": len(registry.hosts),
        "path_rules": sum(len(rules) for rules in registry.paths.values()),
        "curated_outlets": sum(1 for o in registry.outlets.values() if o.curated),
        "imported_outlets": sum(1 for o in registry.outlets.values() if not o.curated),
        "control_models": dict(sorted(models.items())),
        "control_model_decided_by": dict(sorted(bases.items())),
        "labels_citing_a_primary_source": sum(1 for l in labels if quality.cites_primary(l.sources)),
        "curated_labels": len(curated),
        "curated_labels_checked": sum(1 for l in curated if l.checked),
    }
