"""What a list parser produces: candidate outlets in the schema of sources.yaml, and the list's provenance."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["ImportError_", "Candidate", "ListInfo", "Parsed", "Format", "MAX_DOWNLOAD"]


MAX_DOWNLOAD = 50 * 1024 * 1024


class ImportError_(Exception):
    """An import that cannot run (bad input, unknown format, invalid result)."""


# --- what the parsers produce ------------------------------------------------------------------


@dataclass
class Candidate:
    """One outlet as a list describes it, already in the schema of sources.yaml."""

    id: str
    name: str
    country: str
    domains: list[str]
    homepage: str | None = None
    labels: list[dict] = field(default_factory=list)
    note: str | None = None
    ownership_note: str | None = None
    row: int = 0
    key: str | None = None  # the register's own id for the entry, which outlives a change of website
    more_keys: list[str] = field(default_factory=list)  # further register entries merged into this outlet

    def entry(self) -> dict:
        data: dict = {"id": self.id, "name": self.name}
        if self.homepage:
            data["homepage"] = self.homepage
        data["country"] = self.country
        data["domains"] = list(self.domains)
        if self.ownership_note:
            data["ownership_note"] = self.ownership_note
        if self.labels:
            data["labels"] = [dict(label) for label in self.labels]
        if self.note:
            data["note"] = self.note
        return data


@dataclass
class ListInfo:
    name: str
    format: str
    issuer: str
    url: str
    retrieved: str
    title: str = ""
    licence: str = ""  # under which terms the list may be redistributed
    snapshot: str = ""  # the date the list's contents are as of
    snapshot_basis: str = ""  # how that date is known


@dataclass
class Parsed:
    candidates: list[Candidate]
    rows: int
    skipped: Counter
    snapshot: str | None = None  # when the data itself says how recent it is (the latest decision in a register)
    snapshot_basis: str = ""
    seen: set = field(default_factory=set)  # a register's entry keys and websites, imported or not
    exclusions: dict = field(default_factory=dict)  # entry key -> the register's own exclusion date, imported or not


@dataclass
class Format:
    name: str
    title: str
    issuer: str
    url: str
    parse: Callable[..., Parsed]
    description: str
    licence: str = ""
    suffix: str = ".csv"  # what a downloaded copy is saved as (update-lists)
    cadence_days: int | None = None  # how often a refresh is expected (our setting, not the issuer's): older lists get a warning
    register: bool = False  # an issuer's register: an entry that disappears ends (`until`) instead of vanishing
