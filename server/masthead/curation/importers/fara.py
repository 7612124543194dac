"""US FARA eFile bulk CSVs (foreign principals, registrants; ISO-8859-1): registrations for a foreign state's media."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from .model import ImportError_, ListInfo, Parsed
from .registers import Collected, RegisterMapping, is_media_name, parse_date, read_bytes, register_label

__all__ = ["parse_fara", "FARA_URL", "FARA_ISSUER", "FARA_LICENCE"]

FARA_URL = "https://efile.fara.gov/bulk/zip/FARA_All_ForeignPrincipals.csv.zip"
FARA_ISSUER = "US Department of Justice, FARA Unit"
FARA_LICENCE = "work of the US federal government, public domain (17 U.S.C. § 105)"
# A registration's page on eFile, with its filings (the pattern public FARA tools link to; the bulk file has none).
FILING_URL = "https://efile.fara.gov/ords/fara/f?p=1381:200:::NO:RP,200:P200_REG_NUMBER:{number}"

# The two bulk files the importer reads, told apart by their header.
PRINCIPALS = ("Foreign Principal", "Foreign Principal Registration Date", "Foreign Principal Termination Date",
              "Registration Number", "Country/Location Represented")
REGISTRANTS = ("Registration Number", "Registration Date", "Termination Date", "Name")


def _read(path: Path) -> list[dict]:
    raw = read_bytes(path, "a FARA bulk file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("iso-8859-1")  # the eFile bulk CSVs are ISO-8859-1
    return list(csv.DictReader(io.StringIO(text, newline="")))


def parse_fara(path: Path, info: ListInfo, registers: RegisterMapping | None = None, **_) -> Parsed:
    """A registration for a foreign media principal becomes a `fara-registrant` label on that outlet: since the
    principal's registration date, until its termination date. Which principal is which outlet comes from the curated
    mapping (the bulk files carry no websites); names of registrants, addresses and persons are never copied."""
    rows = _read(path)
    columns = set(rows[0]) if rows else set()
    if rows and set(PRINCIPALS) <= columns:
        kind = "principals"
    elif rows and set(REGISTRANTS) <= columns:
        kind = "registrants"
    elif rows:
        raise ImportError_(f"{path}: neither FARA_All_ForeignPrincipals.csv nor FARA_All_Registrants.csv "
                           f"(columns: {', '.join(sorted(columns))[:300]})")
    else:
        kind = "principals"
    registers = registers or RegisterMapping()
    out = Collected()
    dates: list[str] = []
    for number, row in enumerate(rows, start=2):
        number_ = (row.get("Registration Number") or "").strip()
        if kind == "principals":
            principal = re.sub(r"\s+", " ", row.get("Foreign Principal") or "").strip()
            since = parse_date(row.get("Foreign Principal Registration Date") or "", "mdy")
            until = parse_date(row.get("Foreign Principal Termination Date") or "", "mdy")
            names = (principal,)  # the registrant (often a person or a law firm) is never what is mapped
        else:
            principal = ""
            since = parse_date(row.get("Registration Date") or "", "mdy")
            until = parse_date(row.get("Termination Date") or "", "mdy")
            names = (row.get("Name") or "", row.get("Business Name") or "")
        dates += [d for d in (since, until) if d]
        out.saw("FARA registration", number_)
        rule = registers.find(info.format, number_, *names)
        if rule is None or not rule.hosts:
            out.skip("a media principal or registrant the mapping does not give a website for" if is_media_name(*names)
                     else "not a foreign media principal")
            continue
        if since is None:
            out.skip("no valid registration date")
            continue
        instrument = f"FARA registration No. {number_}" + (f", foreign principal: {principal}" if principal else "")
        label = register_label(info, "fara-registrant", "US", since, until, instrument=instrument)
        if number_.isdigit():
            label["sources"] = [FILING_URL.format(number=number_), info.url]
        out.add(number_, principal or names[0], list(rule.hosts), label, number, rule, "FARA registration")
    return out.parsed(len(rows), max(dates) if dates else None, "the latest registration or termination date in the file")
