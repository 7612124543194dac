"""US Treasury OFAC SDN list (the XML file, sdnList/sdnEntry): media entities, their websites, programs and links."""

from __future__ import annotations

import re
from pathlib import Path

from .model import ListInfo, Parsed
from .registers import (
    Collected, RegisterMapping, local, media_hosts, parse_date, read_xml, register_label,
)

__all__ = ["parse_ofac_sdn", "OFAC_URL", "OFAC_ISSUER", "OFAC_LICENCE"]

OFAC_URL = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN.XML"
OFAC_ISSUER = "US Department of the Treasury, Office of Foreign Assets Control"
OFAC_LICENCE = "work of the US federal government, public domain (17 U.S.C. § 105)"


def _children(element, name: str):
    return [c for c in element if local(c.tag) == name]


def _text(element, name: str) -> str:
    for child in element:
        if local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def parse_ofac_sdn(path: Path, info: ListInfo, registers: RegisterMapping | None = None, **_) -> Parsed:
    """Entities (never individuals, vessels or aircraft) that are media: their `Website` ids are the hosts.

    The SDN XML gives no designation date, so `since` comes only from the curated mapping (with its sources); an
    entry without one is reported, not dated by the day the list was read. Programs and "Linked To" relations of
    the remarks become the label's instrument and note; names of individuals, birth dates, addresses, passport
    and other id numbers are never read."""
    root = read_xml(path, "OFAC's SDN XML file", "sdnList")
    registers = registers or RegisterMapping()
    published = None
    for info_el in _children(root, "publshInformation"):  # sic: OFAC's spelling
        published = parse_date(_text(info_el, "Publish_Date"), "mdy")
    entries = _children(root, "sdnEntry")
    out = Collected()
    for number, entry in enumerate(entries, start=1):
        kind = _text(entry, "sdnType")
        if not out.organisation(kind, "Entity", "Individual"):
            continue
        uid = _text(entry, "uid")
        names = (_text(entry, "lastName"),) + tuple(_text(a, "lastName") for l in _children(entry, "akaList") for a in _children(l, "aka"))
        ids = [i for l in _children(entry, "idList") for i in _children(l, "id")]
        websites = [_text(i, "idNumber") for i in ids if _text(i, "idType") == "Website"]
        out.saw("OFAC SDN", uid, websites)
        kinds = tuple(_text(i, "idNumber") for i in ids if _text(i, "idType") == "Target Type")
        hosts, rule, why = media_hosts(registers, info.format, uid, names, websites, kinds)
        if why:
            out.skip(why)
            continue
        since = rule.since if rule else None
        if since is None:
            out.skip("a media entity without a designation date (the SDN file has none; give `since:` in the mapping)")
            continue
        programs = [p.text.strip() for l in _children(entry, "programList") for p in _children(l, "program") if p.text]
        remarks = _text(entry, "remarks")
        linked = re.findall(r"\(Linked To: ([^)]+)\)", remarks)
        label = register_label(
            info, "sanctioned", "US", since, instrument="SDN list, program " + ", ".join(programs) if programs else "SDN list",
            note="Linked to: " + "; ".join(linked) if linked else None,
            source=(rule.sources[0] if rule and rule.sources else None),
        )
        if rule and rule.sources:
            label["sources"] = list(rule.sources) + [info.url]
        out.add(uid, names[0], hosts, label, number, rule, "OFAC SDN")
    return out.parsed(len(entries), published, "the file's Publish_Date")
