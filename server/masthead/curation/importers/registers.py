"""What the register importers share: the media filter, the curated register mapping, dates, safe XML, labels."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ...registry.vocabulary import COUNTRIES
from .guess import host_id, tld_country, website_host
from .model import MAX_DOWNLOAD, Candidate, ImportError_, Parsed

__all__ = [
    "MEDIA_NAME", "is_media_name", "RegisterMapping", "MappingRule", "load_register_mapping", "parse_date",
    "read_xml", "read_bytes", "local", "register_candidate", "register_label", "merge_candidate", "unique", "media_hosts", "entry_key", "not_an_entity", "Collected", "MAPPING_FILE",
]

MAPPING_FILE = "lists/register-mapping.yaml"

# Names that mark an entity as a medium, in the languages the registers write (English, Russian, French, German).
# A bank, a shipping firm or a person never matches; a name that does not match can still be mapped by a curator.
MEDIA_NAME = re.compile(
    r"\b(?:news|media|press|television|broadcast\w*|tv|channel|newspaper|journal|magazine|"
    r"news ?agency|information agency|publishing|periodical)\b"
    # Radio, but not radio engineering ("Concern Radio-Electronic Technologies", "Uranis-Radiosistemy").
    r"|\bradio\b(?![-\s]?(?:electr|techn|engineer|system|sistem|navig|locat|lokac|communic|frequen|component|pribor))"
    r"|информационн\w* (?:агентств|портал|ресурс)|телеканал|телевидени|радио|издани|журнал|газет|медиа|\bСМИ\b"
    r"|télévision|chaîne|rundfunk|fernseh|nachrichtenagentur",
    re.I,
)


def is_media_name(*names: str) -> bool:
    return any(MEDIA_NAME.search(name or "") for name in names)


def parse_date(text: str, order: str = "dmy") -> str | None:
    """A register's date -> YYYY-MM-DD. `order` says how a slashed or dotted date reads (dmy, or mdy for the US)."""
    text = (text or "").strip()
    if not text:
        return None
    match = re.match(r"^(\d{4})-(\d{2})-(\d{2})", text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = re.fullmatch(r"(\d{1,2})[./](\d{1,2})[./](\d{4})", text)
        if not match:
            return None
        first, second, year = (int(g) for g in match.groups())
        day, month = (first, second) if order == "dmy" else (second, first)
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def read_bytes(path: Path, what: str) -> bytes:
    """A register file's bytes; a zip (FARA's and OFAC's downloads are zipped) gives its one data member."""
    path = Path(path)
    with path.open("rb") as handle:
        zipped = handle.read(4) == b"PK\x03\x04"
    if not zipped:
        raw = path.read_bytes()
    else:
        try:
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.infolist() if m.filename.lower().endswith((".csv", ".xml", ".json"))]
                if len(members) != 1:
                    raise ImportError_(f"{path}: a zip with {len(members)} CSV, XML or JSON files; {what} has one")
                if members[0].file_size > MAX_DOWNLOAD:
                    raise ImportError_(f"{path}: {members[0].filename} is larger than {MAX_DOWNLOAD // (1024 * 1024)} MB")
                raw = archive.read(members[0])
        except zipfile.BadZipFile as exc:
            raise ImportError_(f"{path}: not a readable zip ({exc})") from None
    if len(raw) > MAX_DOWNLOAD:
        raise ImportError_(f"{path}: larger than {MAX_DOWNLOAD // (1024 * 1024)} MB; is it {what}?")
    return raw


def read_xml(path: Path, what: str, root: str) -> ET.Element:
    """Parse a register's XML: bounded in size, no document type (entity expansion) allowed, the expected root
    element; a clear error otherwise."""
    raw = read_bytes(path, what)
    if b"<!DOCTYPE" in raw[:4096] or b"<!ENTITY" in raw[:65536]:
        raise ImportError_(f"{path}: an XML document type or entity declaration; {what} has none, so it is refused")
    try:
        element = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise ImportError_(f"{path} is not well-formed XML ({exc}); is it {what}?") from None
    if local(element.tag) != root:
        raise ImportError_(f"{path}: the root element is <{local(element.tag)}>, not <{root}>; is it {what}?")
    return element


def local(tag: str) -> str:
    """An element's name without its namespace ('{http://...}sdnEntry' -> 'sdnEntry')."""
    return tag.rsplit("}", 1)[-1]


# --- the curated mapping ------------------------------------------------------------------------


@dataclass(frozen=True)
class MappingRule:
    """One curated statement: the register entry (by its id, or a phrase in its name) is this outlet."""

    register: str
    hosts: tuple[str, ...]
    entry: str | None = None  # the register's own id for the entry (FARA registration no., UK UniqueID ...)
    match: str | None = None  # a phrase of the entry's name, case-insensitive
    name: str | None = None
    country: str | None = None
    note: str | None = None
    since: str | None = None  # for a register that gives no date (OFAC's legacy files), with `sources:` saying where from
    sources: tuple[str, ...] = ()

    def applies(self, entry_id: str, *names: str) -> bool:
        if self.entry is not None and self.entry == str(entry_id):
            return True
        return self.match is not None and any(self.match.casefold() in (n or "").casefold() for n in names)


@dataclass
class RegisterMapping:
    rules: list[MappingRule] = field(default_factory=list)
    source: str = ""

    def find(self, register: str, entry_id: str, *names: str) -> MappingRule | None:
        for rule in self.rules:
            if rule.register == register and rule.applies(entry_id, *names):
                return rule
        return None


def load_register_mapping(path: Path | None) -> RegisterMapping:
    """Read and validate the mapping file; every problem at once, with the register and item it is in."""
    if path is None or not Path(path).is_file():
        return RegisterMapping()
    from ruamel.yaml import YAML, YAMLError

    try:
        data = YAML(typ="safe").load(Path(path).read_text(encoding="utf-8"))
    except (YAMLError, UnicodeDecodeError) as exc:
        raise ImportError_(f"{path}: not a YAML mapping file ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("registers"), dict):
        raise ImportError_(f"{path}: expected `registers:` with one list of entries per register format")
    problems: list[str] = []
    rules: list[MappingRule] = []
    for register, items in data["registers"].items():
        if not isinstance(items, list):
            problems.append(f"registers.{register}: must be a list")
            continue
        for i, item in enumerate(items):
            where = f"registers.{register}[{i}]"
            if not isinstance(item, dict):
                problems.append(f"{where}: must be a mapping")
                continue
            unknown = set(item) - {"entry", "match", "hosts", "name", "country", "note", "since", "sources"}
            if unknown:
                problems.append(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
            if not item.get("entry") and not item.get("match"):
                problems.append(f"{where}: needs `entry:` (the register's id) or `match:` (a phrase of its name)")
            hosts = item.get("hosts")
            checked: list[str] = []
            if hosts is None and item.get("since") is not None:
                pass  # dates an entry whose websites the register gives
            elif not isinstance(hosts, list) or not hosts:
                problems.append(f"{where}: needs `hosts:`, a list of the outlet's websites")
            else:
                for host in hosts:
                    found, why = website_host(str(host))
                    if found is None:
                        problems.append(f"{where}: host {host!r}: {why}")
                    else:
                        checked.append(found)
            country = item.get("country")
            if country is not None and str(country) not in COUNTRIES:
                problems.append(f"{where}: country {country!r} is not an ISO 3166-1 code")
            since = None
            if item.get("since") is not None:  # a day, or a month or year when only that is known
                text = str(item["since"])
                since = parse_date(text) or (text if re.fullmatch(r"\d{4}(-(0[1-9]|1[0-2]))?", text) else None)
            sources = item.get("sources") or []
            if item.get("since") is not None and since is None:
                problems.append(f"{where}: since {item['since']!r} is not a date (YYYY-MM-DD, YYYY-MM or YYYY)")
            if since and (not isinstance(sources, list) or not all(str(s).startswith("https://") for s in sources) or not sources):
                problems.append(f"{where}: a `since:` needs `sources:`, the https URLs it comes from")
            rules.append(MappingRule(
                register=str(register), hosts=tuple(checked), entry=str(item["entry"]) if item.get("entry") else None,
                match=str(item["match"]) if item.get("match") else None, name=item.get("name"),
                country=str(country) if country else None, note=item.get("note"), since=since,
                sources=tuple(str(s) for s in sources) if isinstance(sources, list) else (),
            ))
    if problems:
        raise ImportError_(f"{path}: {len(problems)} problem(s); nothing was imported:\n  " + "\n  ".join(problems))
    return RegisterMapping(rules, str(path))


# --- labels and candidates ---------------------------------------------------------------------


def register_label(info, label_type: str, jurisdiction: str, since: str, until: str | None = None,
                   instrument: str | None = None, note: str | None = None, source: str | None = None) -> dict:
    """A label with the register's dates and the list's provenance (`retrieved` is the day it was read, never `since`)."""
    label = {"type": label_type, "issuer": info.issuer, "jurisdiction": jurisdiction, "since": since}
    if until:
        label["until"] = until
    if instrument:
        label["instrument"] = re.sub(r"\s+", " ", instrument).strip()[:500]
    if note:
        label["note"] = re.sub(r"\s+", " ", note).strip()[:600]
    label.update({"sources": [source or info.url], "list": info.name, "retrieved": info.retrieved})
    if until:
        label["until_sources"] = [source or info.url]  # the register records the end
    return label


def register_candidate(entry_id: str, name: str, hosts: list[str], label: dict, row: int,
                       rule: MappingRule | None = None, country: str | None = None, what: str = "register") -> Candidate:
    """An outlet from a register entry; the country from the mapping, the register, or a country-code domain."""
    name = re.sub(r"\s+", " ", (rule.name if rule and rule.name else name) or hosts[0]).strip()
    country = (rule.country if rule and rule.country else None) or country
    notes = [f"{what} entry {entry_id}." if entry_id else ""]  # entry_key() reads it back
    if rule is not None:
        notes += [f"Mapped to this website by the curated register mapping ({MAPPING_FILE})." if rule.hosts else
                  f"Dated by the curated register mapping ({MAPPING_FILE}), the register giving no date.", rule.note or ""]
    if not country:
        country = tld_country(hosts[0])
        notes.append("The register does not say where the outlet is based; " + (
            f"the country is that of the domain's country-code TLD (.{hosts[0].rsplit('.', 1)[-1]})." if country
            else "INT stands for 'not stated'."))
    note = " ".join(n for n in notes if n) or None
    return Candidate(id=host_id(hosts[0]), name=name[:200], country=country or "INT", domains=list(hosts),
                     homepage=f"https://{hosts[0]}/", labels=[label], note=note, row=row,
                     ownership_note="The register names the entity it lists, not its owners.",
                     key=f"{what} entry {entry_id}" if entry_id else None)


def entry_key(entry: dict) -> str | None:
    """The register entry an imported outlet came from, as its note names it ('UK Sanctions List entry RUS9901')."""
    match = re.match(r"^(.+? entry \S+?)\.(?: |$)", str(entry.get("note") or ""))
    return match.group(1) if match else None


def merge_candidate(found: dict[str, Candidate], candidate: Candidate) -> bool:
    """Add a candidate, or its label to the outlet already found on one of its hosts; False when it adds nothing."""
    known = next((found[h] for h in candidate.domains if h in found), None)
    if known is None:
        for host in candidate.domains:
            found[host] = candidate
        return True
    label = candidate.labels[0]
    if any(l["since"] == label["since"] and l.get("instrument") == label.get("instrument") for l in known.labels):
        return False
    # The same website again (re-included, or a second entity): one outlet, one more label. Its other hosts are
    # not added: an entry that lists a known outlet's site among others' (an author page) must not merge them.
    known.labels.append(label)
    if candidate.key and candidate.key != known.key and candidate.key not in known.more_keys:
        known.more_keys.append(candidate.key)
    return True


def unique(found: dict[str, Candidate]) -> list[Candidate]:
    seen: list[Candidate] = []
    for candidate in found.values():
        if all(candidate is not c for c in seen):
            seen.append(candidate)
    return seen


def media_hosts(registers: RegisterMapping, register: str, entry_id: str, names: tuple[str, ...], hosts: list[str],
                hints: tuple[str, ...] = ()) -> tuple[list[str], MappingRule | None, str | None]:
    """The websites of a register entry that is a medium, the mapping rule that settled it, or why it is left out.

    A curated mapping wins over the register's own website field; without one, the entry must be named (or typed,
    `hints`) as a medium and list a website of its own."""
    rule = registers.find(register, entry_id, *names)
    if rule is not None and rule.hosts:
        return list(rule.hosts), rule, None
    if rule is None and not is_media_name(*names, *hints):
        return [], None, "not a media entity"
    own = []
    for text in hosts:
        host, _ = website_host(text)
        if host and host not in own:
            own.append(host)
    if not own:
        return [], rule, "a media entity without a website in the register or the mapping"
    return own, rule, None


def not_an_entity(kind: str, entity: str, person: str) -> str | None:
    """Why a party that is not an organisation is left out (a person's data is never read), or None."""
    if kind == entity:
        return None
    if kind == person:
        return "a person (personal data is not imported)"
    kind = kind.lower() or "party"
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}, not an organisation"


class Collected:
    """The outlets one register gives, and the entries it left out with the reason."""

    def __init__(self) -> None:
        self.found: dict = {}
        self.skipped: Counter = Counter()
        self.seen: set[str] = set()  # every entry's key and website, imported or not
        self.exclusions: dict[str, str] = {}  # entry key -> the register's exclusion date

    def saw(self, what: str, entry_id: str, websites=(), excluded: str | None = None) -> None:
        """Record an entry of the file, so that an outlet no longer imported is not taken for one the register dropped
        (and one the register excluded ends on that date even when it is no longer imported)."""
        if entry_id:
            self.seen.add(f"{what} entry {entry_id}")
            if excluded:
                self.exclusions[f"{what} entry {entry_id}"] = excluded
        for text in websites:
            host, _ = website_host(text)
            if host:
                self.seen.add(host)

    def skip(self, why: str) -> None:
        self.skipped[why] += 1

    def organisation(self, kind: str, entity: str, person: str) -> bool:
        """True for an organisation; anything else is counted as left out (a person's data is never read)."""
        why = not_an_entity(kind, entity, person)
        if why:
            self.skip(why)
        return why is None

    def add(self, entry_id: str, name: str, hosts: list[str], label: dict, row: int, rule: MappingRule | None,
            what: str) -> None:
        if not merge_candidate(self.found, register_candidate(entry_id, name, hosts, label, row, rule, what=what)):
            self.skip("the same outlet, date and instrument as an earlier entry")

    def parsed(self, rows: int, snapshot: str | None, basis: str) -> Parsed:
        return Parsed(unique(self.found), rows, self.skipped, snapshot=snapshot, snapshot_basis=basis if snapshot else "",
                      seen=self.seen, exclusions=self.exclusions)
