"""Published lists in (imports into a separate, included list file) and the curated list out (exports).

An import never touches curated entries. It writes `lists/<name>.yaml` next to sources.yaml, adds
that file to `include:`, and reports every entry it left out: a domain or id that a curated entry
(or another imported list) already has is a conflict, and the curated entry wins. Every imported
label carries its provenance: `issuer` (the list's publisher), `sources` (the list's URL),
`retrieved` (the date the list was read) and `list` (the list's name).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import difflib
import io
import json
import os
import re
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from . import sources as sources_module
from . import urls
from .curation import (
    Curator, EditError, Invalid, Style, YamlDoc, _yaml, atomic_write, file_etag, to_plain,
)
from .vocabulary import COUNTRIES, JURISDICTIONS, LABEL_TYPES, SMM_CODES

__all__ = [
    "FORMATS", "ImportReport", "run_import", "update_lists", "export_document", "export_csv", "ImportError_",
    "parse_mapping",
]

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
    row: int = 0

    def entry(self) -> dict:
        data: dict = {"id": self.id, "name": self.name}
        if self.homepage:
            data["homepage"] = self.homepage
        data["country"] = self.country
        data["domains"] = list(self.domains)
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


@dataclass
class Parsed:
    candidates: list[Candidate]
    rows: int
    skipped: Counter


@dataclass
class Format:
    name: str
    title: str
    issuer: str
    url: str
    parse: Callable[..., Parsed]
    description: str


# --- shared helpers ----------------------------------------------------------------------------

# Social networks and hosting platforms: a profile there is not the outlet's own website.
PLATFORMS = {
    "vk.com", "vk.ru", "t.me", "telegram.me", "telegram.org", "telegra.ph", "facebook.com", "fb.com", "twitter.com", "x.com",
    "instagram.com", "youtube.com", "youtu.be", "ok.ru", "tiktok.com", "dzen.ru", "yandex.ru", "medium.com",
    "livejournal.com", "teletype.in", "taplink.cc", "apple.com", "castbox.fm", "deezer.com", "soundstream.media",
    "appspot.com", "tilda.ws", "linkedin.com", "patreon.com", "boosty.to", "google.com", "spotify.com",
    "soundcloud.com", "wordpress.com", "blogspot.com", "substack.com", "github.com", "github.io", "rutube.ru",
    "mave.digital", "podster.fm", "linktr.ee", "wixsite.com", "weebly.com", "tumblr.com", "pinterest.com",
    "reddit.com", "threads.net", "bsky.app", "mastodon.social", "zen.yandex.ru", "vimeo.com", "twitch.tv",
}
# ccTLDs that are sold as generic names say nothing about a country.
VANITY_TLDS = {"tv", "io", "me", "fm", "co", "ai", "cc", "ws", "to", "ly", "la", "gg", "im", "sh", "ac", "vc", "nu",
               "tk", "ml", "ga", "cf", "gq", "st", "am", "ag", "bz", "cx", "fo", "gl", "gs", "ms", "mu", "nf", "re",
               "sc", "so", "su", "tc", "vg", "xyz"}
CCTLD_COUNTRY = {"uk": "GB", "su": "RU", "xn--p1ai": "RU", "xn--90ais": "BY", "xn--j1amh": "UA"}

COUNTRY_ALIASES = {
    "bosnia and herzegovina": "BA", "congo": "CG", "côte d'ivoire": "CI", "cote d'ivoire": "CI", "dr congo": "CD",
    "europen union": "EU", "european union": "EU", "hong kong": "HK", "macao": "MO", "macau": "MO", "myanmar": "MM",
    "palestine territories": "PS", "palestine": "PS", "the gambia": "GM", "gambia": "GM", "turkey": "TR",
    "türkiye": "TR", "uae": "AE", "united states of america": "US", "usa": "US", "russia": "RU", "uk": "GB",
    "kosovo": "XK", "north korea": "KP", "south korea": "KR", "czech republic": "CZ", "vatican": "VA",
}


def country_code(name: str) -> str | None:
    """An English country name (as lists write them) -> ISO 3166-1 alpha-2, or None."""
    text = (name or "").strip()
    if not text:
        return None
    if text.upper() in COUNTRIES:
        return text.upper()
    lowered = text.lower()
    if lowered in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[lowered]
    return _babel_countries().get(lowered)


_COUNTRY_NAMES: dict[str, str] | None = None


def _babel_countries() -> dict[str, str]:
    global _COUNTRY_NAMES
    if _COUNTRY_NAMES is None:
        from babel import Locale

        _COUNTRY_NAMES = {
            name.lower(): code for code, name in Locale("en").territories.items() if code in COUNTRIES
        }
    return _COUNTRY_NAMES


def website_host(text: str) -> tuple[str | None, str]:
    """A URL or bare host as lists write them -> (the outlet's host, '') or (None, why it was left out)."""
    raw = (text or "").strip().strip(".,;«»\"'()[]")
    if not raw:
        return None, "no website"
    if "://" not in raw:
        raw = "https://" + raw
    try:
        netloc = urlsplit(raw).hostname or ""
    except ValueError:
        return None, "not a URL"
    try:
        host = urls.strip_alias_prefix(urls.normalise_host(netloc))
    except urls.URLError:
        return None, "not a URL"
    if "." not in host or re.fullmatch(r"[\d.]+", host):
        return None, "not a URL"
    registered = urls.registered_domain(host) or host
    if registered in PLATFORMS or host in PLATFORMS:
        return None, "a social network or platform page, not a website"
    if urls.is_public_suffix(host):
        return None, "a public suffix"
    return host, ""


def slug(text: str) -> str:
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return value[:80].rstrip("-") or "outlet"


def host_id(host: str) -> str:
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        ascii_host = host
    return slug(ascii_host)


def tld_country(host: str) -> str | None:
    """The country a country-code TLD stands for; None for generic and vanity TLDs."""
    tld = host.rsplit(".", 1)[-1].lower()
    if tld in CCTLD_COUNTRY:
        return CCTLD_COUNTRY[tld]
    if len(tld) == 2 and tld not in VANITY_TLDS and tld.upper() in COUNTRIES:
        return tld.upper()
    return None


def ru_date(text: str) -> str | None:
    """'27.06.2013' -> '2013-06-27'; None when it is not a real date."""
    match = re.fullmatch(r"\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*", text or "")
    if not match:
        return None
    day, month, year = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


# --- State Media Matrix ------------------------------------------------------------------------

SMM_URL = "https://github.com/ASD-at-GMF/state-media-profiles"
SMM_ISSUER = "State Media Monitor via the Alliance for Securing Democracy's State Media Profiles"


def parse_state_media_matrix(path: Path, info: ListInfo, **_) -> Parsed:
    """State_Media_Matrix.csv: one row per media asset, typology code per SMM_CODES, country by name."""
    rows = _read_csv(path)
    skipped: Counter = Counter()
    found: dict[str, Candidate] = {}
    for number, row in enumerate(rows, start=2):
        code = (row.get("Typology") or "").strip()
        if code not in SMM_CODES:
            skipped["typology missing or marked uncertain (e.g. 'ISFM?')" if code else "no typology"] += 1
            continue
        host, why = website_host(row.get("URL") or "")
        if host is None:
            skipped[why] += 1
            continue
        country = country_code(row.get("Country") or "")
        if country is None:
            skipped["country name not recognised"] += 1
            continue
        if host in found:
            skipped["another asset on a website already imported"] += 1
            continue
        asset = (row.get("Main assets") or "").strip()
        company = (row.get("Media company") or "").strip()
        status = (row.get("Status") or "").strip()
        note = f"Media company: {company} (State Media Matrix)." if company else None
        if status and "not functional" in status.lower():
            note = (note + " " if note else "") + f"Status in the matrix: {status}."
        found[host] = Candidate(
            id=host_id(host), name=asset or company or host, country=country, domains=[host],
            homepage=(row.get("URL") or "").strip() if (row.get("URL") or "").strip().startswith("http") else f"https://{host}/",
            labels=[{
                "type": SMM_CODES[code], "issuer": info.issuer, "jurisdiction": "INT",
                # The matrix carries no dates: the label holds as of the day the list was read.
                "since": info.retrieved,
                "instrument": f"State Media Matrix typology {code}",
                "sources": [info.url], "list": info.name, "retrieved": info.retrieved,
            }],
            note=note, row=number,
        )
    return Parsed(list(found.values()), len(rows), skipped)


# --- Russia's register of foreign agents -------------------------------------------------------

RU_FA_URL = "https://minjust.gov.ru/ru/documents/7755/"
RU_FA_ISSUER = "Ministry of Justice of the Russian Federation"
RU_COLUMNS = {
    "name": "Полное наименование/ФИО",
    "resource": "Информационный ресурс",
    "basis": "Основания включения",
    "included": "Дата принятия решения о включении",
    "excluded": "Дата принятия решения об исключении",
}


def resource_hosts(text: str) -> tuple[list[str], Counter]:
    """The websites in an 'Информационный ресурс' cell (URLs run together, social profiles mixed in)."""
    skipped: Counter = Counter()
    spaced = re.sub(r"(https?://)", r" \1", text or "")
    hosts: list[str] = []
    for token in re.split(r"[\s,;«»]+", spaced):
        token = token.strip()
        if not token or "." not in token:
            continue
        host, why = website_host(token)
        if host is None:
            skipped[why] += 1
            continue
        if host not in hosts:
            hosts.append(host)
    return hosts, skipped


def parse_ru_foreign_agents(path: Path, info: ListInfo, **_) -> Parsed:
    rows = _read_csv(path)
    if rows and RU_COLUMNS["resource"] not in rows[0]:
        raise ImportError_(f"{path} has no column '{RU_COLUMNS['resource']}'; is it the register's CSV export?")
    skipped: Counter = Counter()
    by_host: dict[str, Candidate] = {}
    candidates: list[Candidate] = []
    for number, row in enumerate(rows, start=2):
        hosts, _ = resource_hosts(row.get(RU_COLUMNS["resource"]) or "")
        if not hosts:
            skipped["no website among its information resources"] += 1
            continue
        since = ru_date(row.get(RU_COLUMNS["included"]) or "")
        if since is None:
            skipped["no valid inclusion date"] += 1
            continue
        until = ru_date(row.get(RU_COLUMNS["excluded"]) or "")
        name = re.sub(r"\s+", " ", (row.get(RU_COLUMNS["name"]) or "").strip()) or hosts[0]
        label = {
            "type": "foreign-agent", "issuer": info.issuer, "jurisdiction": "RU", "since": since,
        }
        if until:
            label["until"] = until
        basis = re.sub(r"\s+", " ", (row.get(RU_COLUMNS["basis"]) or "").strip())
        if basis:
            label["instrument"] = basis[:500]
        label.update({"sources": [info.url], "list": info.name, "retrieved": info.retrieved})
        known = next((by_host[h] for h in hosts if h in by_host), None)
        if known is not None:
            # The same website again (re-included, or a second entity): one outlet, one more label.
            if any(l["since"] == since for l in known.labels):
                skipped["the same website and date as an earlier row"] += 1
            else:
                known.labels.append(label)
            continue
        country = tld_country(hosts[0])
        note = ("The register does not say where the outlet is based; "
                + (f"the country is that of the domain's country-code TLD (.{hosts[0].rsplit('.', 1)[-1]})." if country
                   else "INT stands for 'not stated'."))
        candidate = Candidate(id=host_id(hosts[0]), name=name[:200], country=country or "INT", domains=hosts,
                              homepage=f"https://{hosts[0]}/", labels=[label], note=note, row=number)
        for host in hosts:
            by_host[host] = candidate
        candidates.append(candidate)
    return Parsed(candidates, len(rows), skipped)


# --- OpenSources -------------------------------------------------------------------------------

OPENSOURCES_URL = "https://github.com/OpenSourcesGroup/opensources"


def parse_opensources(path: Path, info: ListInfo, **_) -> Parsed:
    """OpenSources' tags (fake, bias, satire, ...) are opinion ratings, not facts about control or legal
    status: they never become labels. Each site is imported with its rating in a `note` that says so.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ImportError_(f"{path} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ImportError_(f"{path}: expected an object keyed by domain")
    skipped: Counter = Counter()
    found: dict[str, Candidate] = {}
    for number, (domain, entry) in enumerate(data.items(), start=1):
        host, why = website_host(domain)
        if host is None:
            skipped[why] += 1
            continue
        if not isinstance(entry, dict):
            skipped["not an object"] += 1
            continue
        tags = []
        for key in ("type", "2nd type", "3rd type"):
            tag = str(entry.get(key) or "").strip().lower()
            if tag and tag not in tags:
                tags.append(tag)
        if not tags:
            skipped["no rating"] += 1
            continue
        if host in found:
            skipped["duplicate domain"] += 1
            continue
        remark = re.sub(r"\s+", " ", str(entry.get("Source Notes (things to know?)") or "").strip())
        note = (f"Rated '{', '.join(tags)}' by OpenSources ({info.url}). "
                "This is an opinion rating by the list's editors, not a fact about control or legal status, "
                "and is not shown as a label.")
        if remark:
            note += f" Their note: {remark[:300]}"
        found[host] = Candidate(id=host_id(host), name=host, country="INT", domains=[host], note=note, row=number)
    return Parsed(list(found.values()), len(data), skipped)


# --- a generic CSV with a column mapping -------------------------------------------------------

GENERIC_FIELDS = ("id", "name", "domain", "url", "homepage", "country", "type", "issuer", "jurisdiction", "since",
                  "until", "instrument", "source", "note")


def parse_mapping(items: tuple[str, ...] | list[str] | dict | None) -> dict[str, str]:
    """['domain=Website', 'issuer==Some Regulator'] -> {'domain': 'Website', 'issuer': '=Some Regulator'}.

    `FIELD=COLUMN` reads a column; `FIELD==TEXT` sets the same text on every row.
    """
    if isinstance(items, dict):
        mapping = {str(k): str(v) for k, v in items.items()}
    else:
        mapping = {}
        for item in items or ():
            if "=" not in item:
                raise ImportError_(f"--map {item!r}: write FIELD=COLUMN (or FIELD==TEXT for a fixed value)")
            key, value = item.split("=", 1)
            mapping[key.strip()] = value
    unknown = set(mapping) - set(GENERIC_FIELDS)
    if unknown:
        raise ImportError_(f"unknown field(s) in --map: {', '.join(sorted(unknown))}; known: {', '.join(GENERIC_FIELDS)}")
    if "domain" not in mapping and "url" not in mapping:
        raise ImportError_("--map needs domain=COLUMN or url=COLUMN")
    if "type" not in mapping:
        raise ImportError_("--map needs type=COLUMN (or type==LABEL-TYPE)")
    return mapping


def parse_generic_csv(path: Path, info: ListInfo, mapping: dict | None = None, **_) -> Parsed:
    mapping = parse_mapping(mapping)
    rows = _read_csv(path)
    columns = set(rows[0]) if rows else set()
    missing = [c for c in mapping.values() if not c.startswith("=") and c not in columns]
    if rows and missing:
        raise ImportError_(f"{path} has no column(s) {', '.join(repr(c) for c in missing)}; it has {', '.join(sorted(columns))}")

    def get(row: dict, key: str) -> str:
        source = mapping.get(key)
        if source is None:
            return ""
        return source[1:].strip() if source.startswith("=") else (row.get(source) or "").strip()

    skipped: Counter = Counter()
    found: dict[str, Candidate] = {}
    for number, row in enumerate(rows, start=2):
        host, why = website_host(get(row, "domain") or get(row, "url"))
        if host is None:
            skipped[why] += 1
            continue
        label_type = get(row, "type")
        if label_type not in LABEL_TYPES:
            skipped["label type not in the vocabulary"] += 1
            continue
        country = country_code(get(row, "country"))
        if country is None:
            skipped["no or unknown country"] += 1
            continue
        jurisdiction = get(row, "jurisdiction") or "INT"
        if jurisdiction not in JURISDICTIONS:
            skipped["unknown jurisdiction"] += 1
            continue
        since = sources_module.parse_partial_date(get(row, "since")) or (ru_date(get(row, "since")) if get(row, "since") else None)
        if get(row, "since") and since is None:
            skipped["invalid since date"] += 1
            continue
        label = {"type": label_type, "issuer": get(row, "issuer") or info.issuer, "jurisdiction": jurisdiction,
                 "since": since or info.retrieved}
        until = sources_module.parse_partial_date(get(row, "until")) or ru_date(get(row, "until"))
        if until:
            label["until"] = until
        if get(row, "instrument"):
            label["instrument"] = get(row, "instrument")
        source = get(row, "source")
        label["sources"] = [source if source.startswith(("http://", "https://")) else info.url]
        label.update({"list": info.name, "retrieved": info.retrieved})
        if host in found:
            found[host].labels.append(label)
            continue
        found[host] = Candidate(
            id=slug(get(row, "id")) if get(row, "id") else host_id(host), name=get(row, "name") or host,
            country=country, domains=[host], homepage=get(row, "homepage") or f"https://{host}/", labels=[label],
            note=get(row, "note") or None, row=number,
        )
    return Parsed(list(found.values()), len(rows), skipped)


FORMATS: dict[str, Format] = {
    f.name: f
    for f in [
        Format("state-media-matrix", "State Media Matrix", SMM_ISSUER, SMM_URL, parse_state_media_matrix,
               "State_Media_Matrix.csv: typology codes SC/CaPu/CaPr/ISFM/ISF/ISM/IP become control labels"),
        Format("ru-foreign-agents", "Register of foreign agents (Russia)", RU_FA_ISSUER, RU_FA_URL, parse_ru_foreign_agents,
               "the Ministry of Justice register as CSV; rows with a website become outlets with a foreign-agent label"),
        Format("opensources", "OpenSources", "OpenSources", OPENSOURCES_URL, parse_opensources,
               "sources.json; its ratings are opinions: imported as notes, never as labels"),
        Format("csv", "CSV", "", "", parse_generic_csv,
               "any CSV with --map FIELD=COLUMN (fields: " + ", ".join(GENERIC_FIELDS) + ")"),
    ]
}


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


def _render_list(info: ListInfo, fmt: Format, entries: list[dict]) -> str:
    doc = YamlDoc("", "list")
    doc.style = Style(mapping=2, sequence=4, offset=2, flow_lists=False)
    root = CommentedMap()
    root["version"] = 1
    root["list"] = doc.node({"name": info.name, "title": info.title or fmt.title, "format": info.format,
                             "issuer": info.issuer, "url": info.url, "retrieved": info.retrieved}, "list")
    root["outlets"] = CommentedSeq(doc.node(entry, "outlet") for entry in entries)
    root.yaml_set_start_comment(
        f"Imported by `masthead import {info.format}` from {info.title or fmt.title} ({info.url}).\n"
        "Generated: edit the curated sources.yaml instead (a curated entry with the same id or domain wins);\n"
        "run the import again to refresh this file."
    )
    buffer = io.StringIO()
    _yaml(doc.style, 110).dump(root, buffer)
    return buffer.getvalue()


def run_import(
    sources: str | Path, fmt: str, file: str | Path, *, into: str | Path | None = None, dry_run: bool = False,
    mapping=None, list_name: str | None = None, issuer: str | None = None, url: str | None = None,
    retrieved: str | None = None, who: str = "import",
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
    if sources_module.parse_partial_date(info.retrieved) is None:
        raise ImportError_(f"--retrieved {info.retrieved!r} is not a date (YYYY-MM-DD)")
    into_path = (sources.parent / (into or f"lists/{name}.yaml")).resolve()
    if into_path == sources:
        raise ImportError_("an import never goes into the curated file itself; choose another --into")
    parsed = spec.parse(file, info, mapping=mapping)
    report = ImportReport(format=fmt, list_name=name, into=into_path, rows=parsed.rows, skipped=parsed.skipped)

    curator = Curator(sources)
    with curator.lock():
        registry, problems = sources_module._load(sources)
        others = {oid: o for oid, o in registry.outlets.items() if Path(o.source_file).resolve() != into_path}
        taken_ids = set(others) | set(registry.owners)
        old_entries, old_text = _existing_entries(into_path)
        entries: list[dict] = []
        used_ids: set[str] = set()
        for candidate in parsed.candidates:
            clash = _clash(registry, others, candidate)
            if clash:
                report.conflicts.append(clash)
                continue
            if candidate.id in taken_ids or candidate.id in used_ids:
                alternative = f"{candidate.id[:70]}-{name[:9]}".strip("-")
                if alternative in taken_ids or alternative in used_ids:
                    report.conflicts.append(f"{candidate.domains[0]}: id '{candidate.id}' is taken; left out")
                    continue
                candidate.id = alternative
            used_ids.add(candidate.id)
            entry = candidate.entry()
            old = old_entries.get(candidate.id)
            if old is not None:
                _carry_over_dates(old, entry)
            if old is None:
                report.added += 1
            elif _same(old, entry):
                report.unchanged += 1
                entry = old  # keep the date it was first read, so a re-import changes nothing
            else:
                report.updated += 1
            entries.append(entry)
        report.removed = len(set(old_entries) - used_ids)
        new_text = _render_list(info, spec, entries)
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
        if new_sources_text != sources_text:
            mode = sources.stat().st_mode & 0o7777
            atomic_write(sources, new_sources_text.encode("utf-8"), mode=mode)
            curator.changelog.append(
                who=who, summary=f"Include {rel} (masthead import {fmt})",
                diff="".join(difflib.unified_diff(sources_text.splitlines(keepends=True), new_sources_text.splitlines(keepends=True),
                                                  fromfile=f"a/{sources.name}", tofile=f"b/{sources.name}")),
                before=file_etag(sources_text.encode("utf-8")), after=file_etag(new_sources_text.encode("utf-8")),
                file=str(sources),
            )
        report.written = True
    return report


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
        _, problems = sources_module._load(temp_sources)
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


LIST_TYPES = ("text/csv", "application/csv", "text/plain", "application/json", "text/json", "application/octet-stream")


def download(url: str, target: Path, fetcher) -> None:
    """Fetch a subscribed list through the guarded fetcher update_lists() sets up."""
    from .extract import FetchError

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
    from .extract import Fetcher

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
                    suffix = ".json" if entry["format"] == "opensources" else ".csv"
                    local = Path(tmp) / f"list{suffix}"
                    download(entry["url"], local, fetcher)
                else:
                    local = (sources.parent / entry["file"]).resolve()
                report = run_import(
                    sources, entry["format"], local, into=entry.get("into"), dry_run=dry_run, mapping=entry.get("map"),
                    list_name=entry["name"], issuer=entry.get("issuer"), url=entry.get("source"), retrieved=retrieved,
                    who="update-lists",
                )
                results.append((entry, report))
            except (ImportError_, EditError, OSError, ValueError) as exc:
                results.append((entry, f"{entry['name']}: {exc}"))
    return results


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
    from .context import control_model

    today = dt.date.today().isoformat()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for outlet in sorted(registry.outlets.values(), key=lambda o: o.id):
        if curated_only and not outlet.curated:
            continue
        primary = outlet.owners[0].owner if outlet.owners else ""
        labels = [
            f"{label.type} ({label.issuer}, {label.jurisdiction}, {label.since}"
            + (f" to {label.until}" if label.until else "") + ")"
            for label in outlet.labels
        ]
        writer.writerow({
            "id": outlet.id, "name": outlet.name, "country": outlet.country or "", "homepage": outlet.homepage or "",
            "domains": " | ".join(outlet.domains), "paths": " | ".join(outlet.paths), "owner": primary,
            "owner_name": registry.owners[primary].name if primary in registry.owners else "",
            "ultimate_owners": " | ".join(o.name for o in registry.ultimate_owners(outlet)),
            "control_model": control_model(registry, outlet, today), "labels": " | ".join(labels),
            "curated": "yes" if outlet.curated else "no",
            "list_file": "" if outlet.curated else Path(outlet.source_file).name,
        })
    return buffer.getvalue()
