"""Rows of a spreadsheet's first sheet (xlsx), read with the standard library: bounded in size, no document types."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from .model import MAX_DOWNLOAD, ImportError_

__all__ = ["is_xlsx", "sheet_rows", "excel_date"]

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
SHEET = "xl/worksheets/sheet1.xml"


def is_xlsx(path: Path) -> bool:
    """A zip that holds a workbook (the Ministry of Justice exports its registers so)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _part(archive: zipfile.ZipFile, name: str, path: Path, what: str) -> ET.Element | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_DOWNLOAD:
        raise ImportError_(f"{path}: {name} is larger than {MAX_DOWNLOAD // (1024 * 1024)} MB; is it {what}?")
    raw = archive.read(info)
    if b"<!DOCTYPE" in raw[:4096] or b"<!ENTITY" in raw[:65536]:
        raise ImportError_(f"{path}: {name} has an XML document type or entity declaration; {what} has none, so it is refused")
    try:
        return ET.fromstring(raw)
    except ET.ParseError as exc:
        raise ImportError_(f"{path}: {name} is not well-formed XML ({exc}); is it {what}?") from None


def _column(ref: str) -> int:
    """'C12' -> 2 (columns from 0)."""
    index = 0
    for letter in re.match(r"[A-Z]*", ref or "").group(0):
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def sheet_rows(path: Path, what: str) -> list[list[str]]:
    """The first sheet's rows as lists of cell texts ("" for an empty cell); numbers as written in the file."""
    try:
        with zipfile.ZipFile(path) as archive:
            strings_xml = _part(archive, "xl/sharedStrings.xml", path, what)
            sheet = _part(archive, SHEET, path, what)
    except zipfile.BadZipFile as exc:
        raise ImportError_(f"{path}: not a readable xlsx ({exc})") from None
    if sheet is None:
        raise ImportError_(f"{path}: an xlsx without a first sheet ({SHEET}); is it {what}?")
    strings = ["".join(t.text or "" for t in item.iter(f"{MAIN}t")) for item in strings_xml.iter(f"{MAIN}si")] \
        if strings_xml is not None else []
    rows = []
    for row in sheet.iter(f"{MAIN}row"):
        cells: dict[int, str] = {}
        for cell in row.iter(f"{MAIN}c"):
            kind, value = cell.get("t"), cell.find(f"{MAIN}v")
            if kind == "inlineStr":
                text = "".join(t.text or "" for t in cell.iter(f"{MAIN}t"))
            elif value is None or value.text is None:
                text = ""
            elif kind == "s":
                try:
                    text = strings[int(value.text)]
                except (ValueError, IndexError):
                    raise ImportError_(f"{path}: cell {cell.get('r')} points to a shared string that is not there") from None
            else:
                text = value.text
            cells[_column(cell.get("r") or "")] = text
        rows.append([cells.get(i, "") for i in range(max(cells) + 1)] if cells else [])
    return rows


def excel_date(text: str) -> str | None:
    """A spreadsheet's day number (days since 1899-12-30, a fraction for the time) -> YYYY-MM-DD, or None."""
    try:
        days = float(text)
    except (TypeError, ValueError):
        return None
    if not 1 <= days < 2958466:  # up to 9999-12-31
        return None
    return (dt.date(1899, 12, 30) + dt.timedelta(days=int(days))).isoformat()
