"""The UK Sanctions List (FCDO; the only UK list since 28 January 2026), as its XML: media entities, regime, dates."""

from __future__ import annotations

from pathlib import Path

from .model import ListInfo, Parsed
from .registers import (
    Collected, RegisterMapping, local, media_hosts, parse_date, read_xml, register_label,
)

__all__ = ["parse_uk_sanctions", "UK_URL", "UK_ISSUER", "UK_LICENCE"]

UK_URL = "https://www.gov.uk/government/publications/the-uk-sanctions-list"
UK_ISSUER = "Foreign, Commonwealth and Development Office (UK Sanctions List)"
UK_LICENCE = "Open Government Licence v3.0 (Crown copyright; attribution required)"


def _all(element, path: str) -> list:
    """Descendants along a path of local names ('Websites/Website'), whatever the namespace."""
    found = [element]
    for name in path.split("/"):
        found = [c for e in found for c in e if local(c.tag) == name]
    return found


def _text(element, path: str) -> str:
    items = _all(element, path)
    return (items[0].text or "").strip() if items else ""


def parse_uk_sanctions(path: Path, info: ListInfo, registers: RegisterMapping | None = None, **_) -> Parsed:
    """Designations of entities that are media: `Websites/Website` are the hosts, `DateDesignated` is `since`, the
    regime the instrument, the statement of reasons the note. Individuals and ships are skipped unread (their
    names, birth details, passports and addresses are personal data)."""
    root = read_xml(path, "the UK Sanctions List XML", "Designations")
    registers = registers or RegisterMapping()
    generated = parse_date(_text(root, "DateGenerated"))
    designations = _all(root, "Designation")
    out = Collected()
    for number, item in enumerate(designations, start=1):
        kind = _text(item, "IndividualEntityShip")
        if not out.organisation(kind, "Entity", "Individual"):
            continue
        uid = _text(item, "UniqueID")
        all_names = _all(item, "Names/Name")
        names = tuple(_text(n, "Name6") for n in all_names if _text(n, "NameType") == "Primary Name") + tuple(
            _text(n, "Name6") for n in all_names if _text(n, "NameType") != "Primary Name")
        names = tuple(name for name in names if name)
        websites = [w.text or "" for w in _all(item, "Websites/Website")]
        out.saw("UK Sanctions List", uid, websites)
        kinds = tuple(t.text or "" for t in _all(item, "EntityDetails/Entity/TypeOfEntities/TypeOfEntity"))
        hosts, rule, why = media_hosts(registers, info.format, uid, names, websites, kinds)
        if why:
            out.skip(why)
            continue
        since = parse_date(_text(item, "DateDesignated"))
        if since is None:
            out.skip("no valid designation date")
            continue
        regime = _text(item, "RegimeName")
        measures = ", ".join(m.strip() for m in _text(item, "SanctionsImposed").split("|") if m.strip())  # "Asset freeze|Travel Ban"
        instrument = f"{regime} ({uid})" + (f"; {measures}" if measures else "")
        reasons = _text(item, "UKStatementofReasons")
        label = register_label(info, "sanctioned", "GB", since, instrument=instrument,
                               note=f"Statement of reasons: {reasons}" if reasons else None)
        out.add(uid, names[0] if names else hosts[0], hosts, label, number, rule, "UK Sanctions List")
    return out.parsed(len(designations), generated, "the file's DateGenerated")
