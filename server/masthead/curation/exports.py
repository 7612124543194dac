"""The curated list out: outlets with owners, labels and provenance as a JSON document or CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

__all__ = ["export_document", "export_csv", "CSV_COLUMNS"]


# --- export ------------------------------------------------------------------------------------


def export_document(registry, curated_only: bool = False) -> dict:
    """The list as JSON to share: owners and outlets with labels and provenance."""
    outlets = []
    for outlet in sorted(registry.outlets.values(), key=lambda o: o.id):
        if curated_only and not outlet.curated:
            continue
        data = outlet.to_dict()
        if not outlet.curated:
            data["list_file"] = Path(outlet.source_file).name
        outlets.append(data)
    owners = [o.to_dict() for o in sorted(registry.owners.values(), key=lambda o: o.id)]
    return {
        "version": registry.etag,
        "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "counts": {"outlets": len(outlets), "owners": len(owners)},
        "owners": owners,
        "outlets": outlets,
    }


CSV_COLUMNS = ["id", "name", "country", "homepage", "domains", "paths", "owner", "owner_name", "ultimate_owners",
               "control_model", "labels", "curated", "list_file"]


def export_csv(registry, curated_only: bool = False) -> str:
    """One row per outlet; several values in a cell are separated by ' | '."""
    from ..registry import control_model

    today = dt.date.today().isoformat()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for outlet in sorted(registry.outlets.values(), key=lambda o: o.id):
        if curated_only and not outlet.curated:
            continue
        primary = outlet.owners[0].owner if outlet.owners else ""
        labels = [
            f"{label.type} ({label.issuer}, {label.jurisdiction}, "
            + ", ".join(filter(None, [(label.since or "") + (f" to {label.until}" if label.until else ""),
                                      f"as of {label.as_of}" if label.as_of else ""])) + ")"
            for label in outlet.labels
        ]
        writer.writerow({key: _cell(value) for key, value in {
            "id": outlet.id, "name": outlet.name, "country": outlet.country or "", "homepage": outlet.homepage or "",
            "domains": " | ".join(outlet.domains), "paths": " | ".join(outlet.paths), "owner": primary,
            "owner_name": registry.owners[primary].name if primary in registry.owners else "",
            "ultimate_owners": " | ".join(o.name for o in registry.ultimate_owners(outlet)),
            "control_model": control_model(registry, outlet, today), "labels": " | ".join(labels),
            "curated": "yes" if outlet.curated else "no",
            "list_file": "" if outlet.curated else Path(outlet.source_file).name,
        }.items()})
    return buffer.getvalue()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula (=HYPERLINK(...), from an edit or an
    imported list) gets a leading apostrophe (OWASP's advice on CSV injection; issue 13)."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value
