"""US Treasury OFAC SDN list (SDN.XML, or the legacy SDN.CSV): media entities, their websites, programs and links."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from .model import ImportError_, ListInfo, Parsed
from .registers import (
    Collected, RegisterMapping, local, media_hosts, parse_date, read_bytes, read_xml, register_label,
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


# SDN.CSV has no header; its columns, as OFAC documents them. Only the first four and the remarks are read.
CSV_COLUMNS = ("ent_num", "SDN_Name", "SDN_Type", "Program", "Title", "Call_Sign", "Vess_type", "Tonnage", "GRT",
               "Vess_flag", "Vess_owner", "Remarks")
CSV_KINDS = {"-0-": "Entity", "individual": "Individual", "vessel": "Vessel", "aircraft": "Aircraft"}


def _csv_entries(path: Path) -> list[dict]:
    """SDN.CSV rows as the XML's fields: uid, names, kind, programs, websites, organisation type, links."""
    text = read_bytes(path, "OFAC's SDN.CSV").decode("utf-8", errors="replace")
    entries = []
    for row in csv.reader(io.StringIO(text, newline="")):
        if not row or (len(row) == 1 and row[0].strip() in ("", "\x1a")):  # the file ends with a SUB character
            continue
        if len(row) != len(CSV_COLUMNS) or not row[0].strip().isdigit():
            raise ImportError_(f"{path}: a row of {len(row)} fields starting {row[0][:20]!r}; SDN.CSV rows have "
                               f"{len(CSV_COLUMNS)}, the first a number: is it OFAC's SDN.CSV?")
        remarks = row[11].strip()
        entries.append({
            "uid": row[0].strip(), "names": (row[1].strip(),), "kind": CSV_KINDS.get(row[2].strip(), row[2].strip()),
            "programs": [p.strip() for p in row[3].strip().strip("[]").split("] [") if p.strip() and p.strip() != "-0-"],
            "websites": re.findall(r"(?:^|; )(?:alt\. )?Website ([^;\s]+)", remarks),
            "hints": tuple(re.findall(r"Organization Type: ([^;]+?)\.?(?:;|$)", remarks)),
            "linked": [l.strip().rstrip(".") for l in re.findall(r"Linked To: ([^;]+)", remarks)],
        })
    return entries


def _xml_entries(path: Path) -> tuple[list[dict], str | None]:
    root = read_xml(path, "OFAC's SDN XML file", "sdnList")
    published = None
    for info_el in _children(root, "publshInformation"):  # sic: OFAC's spelling
        published = parse_date(_text(info_el, "Publish_Date"), "mdy")
    entries = []
    for entry in _children(root, "sdnEntry"):
        ids = [i for l in _children(entry, "idList") for i in _children(l, "id")]
        entries.append({
            "uid": _text(entry, "uid"), "kind": _text(entry, "sdnType"),
            "names": (_text(entry, "lastName"),) + tuple(_text(a, "lastName") for l in _children(entry, "akaList")
                                                          for a in _children(l, "aka")),
            "programs": [p.text.strip() for l in _children(entry, "programList") for p in _children(l, "program") if p.text],
            "websites": [_text(i, "idNumber") for i in ids if _text(i, "idType") == "Website"],
            "hints": tuple(_text(i, "idNumber") for i in ids if _text(i, "idType") in ("Target Type", "Organization Type")),
            "linked": re.findall(r"\(Linked To: ([^)]+)\)", _text(entry, "remarks")),
        })
    return entries, published


def parse_ofac_sdn(path: Path, info: ListInfo, registers: RegisterMapping | None = None, **_) -> Parsed:
    """Entities (never individuals, vessels or aircraft) that are media: their `Website` ids are the hosts.

    The SDN XML gives no designation date, so `since` comes only from the curated mapping (with its sources); an
    entry without one is reported, not dated by the day the list was read. Programs and "Linked To" relations of
    the remarks become the label's instrument and note; names of individuals, birth dates, addresses, passport
    and other id numbers are never read."""
    head = read_bytes(path, "OFAC's SDN file")[:256].lstrip(b"\xef\xbb\xbf \r\n\t")
    entries, published = _xml_entries(path) if head.startswith(b"<") else (_csv_entries(path), None)
    registers = registers or RegisterMapping()
    out = Collected()
    for number, entry in enumerate(entries, start=1):
        if not out.organisation(entry["kind"], "Entity", "Individual"):
            continue
        out.saw("OFAC SDN", entry["uid"], entry["websites"])
        hosts, rule, why = media_hosts(registers, info.format, entry["uid"], entry["names"], entry["websites"], entry["hints"])
        if why:
            out.skip(why)
            continue
        since = rule.since if rule else None
        if since is None:
            out.skip("a media entity without a designation date (the SDN file has none; give `since:` in the mapping)")
            continue
        programs = entry["programs"]
        label = register_label(
            info, "sanctioned", "US", since, instrument="SDN list, program " + ", ".join(programs) if programs else "SDN list",
            note="Linked to: " + "; ".join(entry["linked"]) if entry["linked"] else None,
        )
        if rule and rule.sources:
            label["sources"] = list(rule.sources) + [info.url]
        out.add(entry["uid"], entry["names"][0], hosts, label, number, rule, "OFAC SDN")
    return out.parsed(len(entries), published, "the file's Publish_Date")
