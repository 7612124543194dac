"""The formats table, and the parsers of peer lists: the State Media Matrix, OpenSources, a mapped CSV (registers have modules of their own)."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path


from ... import registry as registry_module
from ... import untrusted
from ...registry.vocabulary import JURISDICTIONS, LABEL_TYPES, SMM_CODES
from .guess import (
    country_code, host_id, ru_date, slug, website_host, read_csv,
)
from .model import Candidate, Format, ImportError_, ListInfo, Parsed
from .eu_sanctions import EU_ISSUER, EU_LICENCE, EU_URL, parse_eu_sanctions
from .fara import FARA_ISSUER, FARA_LICENCE, FARA_URL, parse_fara
from .ofac import OFAC_ISSUER, OFAC_LICENCE, OFAC_URL, parse_ofac_sdn
from .ru_minjust import (
    RU_FA_ISSUER, RU_FA_LICENCE, RU_FA_URL, RU_UNDESIRABLE_LICENCE, RU_UNDESIRABLE_URL, parse_ru_foreign_agents,
    parse_ru_undesirable, resource_hosts,
)
from .uk_sanctions import UK_ISSUER, UK_LICENCE, UK_URL, parse_uk_sanctions

__all__ = ["FORMATS", "parse_state_media_matrix", "parse_ru_foreign_agents", "parse_opensources", "parse_generic_csv", "parse_mapping", "resource_hosts"]


# --- State Media Matrix ------------------------------------------------------------------------

SMM_URL = "https://github.com/ASD-at-GMF/state-media-profiles"
SMM_ISSUER = "State Media Monitor via the Alliance for Securing Democracy's State Media Profiles"
SMM_LICENCE = "MIT (Alliance for Securing Democracy, state-media-profiles; seed data from the State Media Monitor)"
# The matrix carries no date of its own; the copies published in its repository do. By the SHA-256 of the file:
# (the copy's date, the date its typologies are as of, how that is known). Read from the repository's history:
# the typology column was seeded on 2023-08-10 (commit 4904f0d) and left unchanged by the only later change of
# the file, 2023-08-24 (d911508, social-media columns); the repository's last commit is of 2024-02-07 (README).
SMM_KNOWN_COPIES = {
    "6742bd02308b8e944f28097f428282beb24e9e45e3d0c5ad635699fdd624b483": (
        "2023-08-24", "2023-08",
        "the copy of ASD-at-GMF/state-media-profiles commit d91150805c0dcd0262bf6d269b5ea8dc5d4a92cf (2023-08-24); "
        "its typologies are those seeded from the State Media Monitor on 2023-08-10 (commit 4904f0d), unchanged since"),
}


def matrix_date(path: Path, snapshot: str | None) -> tuple[str, str, str]:
    """(snapshot, as_of, basis) of a copy of the matrix: a date given when importing, or a known published copy's.
    Never the day the file was read: a typology is a rating as of an edition, not an event of that day (issue 24)."""
    if snapshot:
        return snapshot, snapshot, "given when importing"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest not in SMM_KNOWN_COPIES:
        raise ImportError_("this copy of the State Media Matrix is not one whose date is known (the file carries none); "
                           "give the date its ratings are as of with --snapshot YYYY-MM-DD (e.g. its commit's date)")
    return SMM_KNOWN_COPIES[digest]


def parse_state_media_matrix(path: Path, info: ListInfo, snapshot: str | None = None, **_) -> Parsed:
    """State_Media_Matrix.csv: one row per media asset, typology code per SMM_CODES, country by name."""
    copy_date, as_of, basis = matrix_date(path, snapshot)
    rows = read_csv(path)
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
                # A rating as of the copy's date; the matrix never says since when it held.
                "as_of": as_of,
                "instrument": f"State Media Matrix typology {code}",
                "sources": [info.url], "list": info.name, "retrieved": info.retrieved,
            }],
            note=note, row=number,
            ownership_note="The State Media Matrix names the media company (see the note), not its owners.",
        )
    return Parsed(list(found.values()), len(rows), skipped, snapshot=copy_date, snapshot_basis=basis)


# --- OpenSources -------------------------------------------------------------------------------

OPENSOURCES_URL = "https://github.com/OpenSourcesGroup/opensources"


def parse_opensources(path: Path, info: ListInfo, **_) -> Parsed:
    """OpenSources' tags (fake, bias, satire, ...) are opinion ratings, not facts about control or legal
    status: they never become labels. Each site is imported with its rating in a `note` that says so.
    """
    try:
        data = untrusted.loads(Path(path).read_bytes(), str(path))  # depth bounded first: a deep list was a traceback
    except untrusted.UntrustedError as exc:
        raise ImportError_(str(exc)) from None
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
    rows = read_csv(path)
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
        since = registry_module.parse_partial_date(get(row, "since")) or (ru_date(get(row, "since")) if get(row, "since") else None)
        if get(row, "since") and since is None:
            skipped["invalid since date"] += 1
            continue
        label = {"type": label_type, "issuer": get(row, "issuer") or info.issuer, "jurisdiction": jurisdiction,
                 "since": since or info.retrieved}
        until = registry_module.parse_partial_date(get(row, "until")) or ru_date(get(row, "until"))
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
               "State_Media_Matrix.csv: typology codes SC/CaPu/CaPr/ISFM/ISF/ISM/IP become control labels", SMM_LICENCE),
        Format("ru-foreign-agents", "Register of foreign agents (Russia)", RU_FA_ISSUER, RU_FA_URL, parse_ru_foreign_agents,
               "the Ministry of Justice register as its xlsx export, the CSV of its PDF or its JSON mirror; media entries with a website become outlets "
               "with a foreign-agent label", RU_FA_LICENCE, cadence_days=14, register=True),
        Format("ru-undesirable", "Register of undesirable organisations (Russia)", RU_FA_ISSUER, RU_UNDESIRABLE_URL,
               parse_ru_undesirable, "the Ministry of Justice register (JSON rows of its table); mapped media organisations "
               "get an undesirable-organisation label", RU_UNDESIRABLE_LICENCE, suffix=".json", cadence_days=14, register=True),
        Format("fara", "FARA registrations (US)", FARA_ISSUER, FARA_URL, parse_fara,
               "the FARA eFile bulk CSV of foreign principals (or registrants); mapped media principals get a "
               "fara-registrant label", FARA_LICENCE, cadence_days=7, register=True),
        Format("ofac-sdn", "OFAC SDN list (US)", OFAC_ISSUER, OFAC_URL, parse_ofac_sdn,
               "OFAC's SDN.XML; media entities (Website ids or the mapping) get a sanctioned label", OFAC_LICENCE,
               suffix=".xml", cadence_days=14, register=True),
        Format("uk-sanctions", "UK Sanctions List", UK_ISSUER, UK_URL, parse_uk_sanctions,
               "the FCDO's UK-Sanctions-List.xml; media entities get a sanctioned label with regime and reasons",
               UK_LICENCE, suffix=".xml", cadence_days=14, register=True),
        Format("eu-sanctions", "EU consolidated financial sanctions list", EU_ISSUER, EU_URL, parse_eu_sanctions,
               "the EU's xmlFullSanctionsList; media enterprises get a sanctioned label with the regulation",
               EU_LICENCE, suffix=".xml", cadence_days=14, register=True),
        Format("opensources", "OpenSources", "OpenSources", OPENSOURCES_URL, parse_opensources,
               "sources.json; its ratings are opinions: imported as notes, never as labels", suffix=".json"),
        Format("csv", "CSV", "", "", parse_generic_csv,
               "any CSV with --map FIELD=COLUMN (fields: " + ", ".join(GENERIC_FIELDS) + ")"),
    ]
}
