"""The EU consolidated financial sanctions file (XML, `export/sanctionEntity`): media entities, regulation and date."""

from __future__ import annotations

import re
from pathlib import Path

from .model import ListInfo, Parsed
from .registers import (
    Collected, RegisterMapping, local, media_hosts, parse_date, read_xml, register_label,
)

__all__ = ["parse_eu_sanctions", "EU_URL", "EU_ISSUER", "EU_LICENCE"]

EU_URL = "https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/content?token=dG9rZW4tMjAxNw"
EU_ISSUER = "Council of the European Union (EU consolidated financial sanctions list, European Commission)"
EU_LICENCE = "reuse authorised by Commission Decision 2011/833/EU (free, for any purpose, with acknowledgement)"
# The file has no website field: a website is written in a remark or an alias's `function` ("Website: ...").
WEBSITE = re.compile(r"(?:web\s?site|web\s?page|URL)s?\s*:?\s*((?:https?://)?(?:[\w-]+\.)+[a-z]{2,}[^\s;,)]*)", re.I)


def _children(element, name: str) -> list:
    return [c for c in element if local(c.tag) == name]


def parse_eu_sanctions(path: Path, info: ListInfo, registers: RegisterMapping | None = None, **_) -> Parsed:
    """Enterprises that are media; persons are skipped unread (names, birth dates, identity documents, addresses).
    `since` is the entity's designation date, else the publication date of its first regulation; the regulation
    (number, programme and Official Journal link) is the instrument and a source."""
    root = read_xml(path, "the EU consolidated sanctions file (xmlFullSanctionsList)", "export")
    registers = registers or RegisterMapping()
    generated = parse_date(root.get("generationDate") or "")
    entities = _children(root, "sanctionEntity")
    out = Collected()
    for number, entity in enumerate(entities, start=1):
        subject = next((s.get("code") for s in _children(entity, "subjectType")), "")
        if not out.organisation(subject, "enterprise", "person"):
            continue
        ref = entity.get("euReferenceNumber") or entity.get("logicalId") or ""
        aliases = _children(entity, "nameAlias")
        names = tuple(a.get("wholeName") or "" for a in aliases)
        texts = [a.get("function") or "" for a in aliases] + [r.text or "" for r in entity.iter() if local(r.tag) == "remark"]
        websites = [m.group(1) for text in texts for m in WEBSITE.finditer(text)]
        out.saw("EU consolidated list", ref, websites)
        hosts, rule, why = media_hosts(registers, info.format, ref, names, websites, tuple(a.get("function") or "" for a in aliases))
        if why:
            out.skip(why)
            continue
        regulations = _children(entity, "regulation")
        since = parse_date(entity.get("designationDate") or "") or min(
            (d for d in (parse_date(r.get("publicationDate") or "") for r in regulations) if d), default=None)
        if since is None:
            out.skip("no valid designation or publication date")
            continue
        first = min(regulations, key=lambda r: r.get("publicationDate") or "9999") if regulations else None
        instrument = (f"Regulation {first.get('numberTitle')}, programme {first.get('programme')} ({ref})"
                      if first is not None else f"EU consolidated list ({ref})")
        journal = next((u.text.strip() for u in _children(first, "publicationUrl") if u.text), None) if first is not None else None
        label = register_label(info, "sanctioned", "EU", since, instrument=instrument)
        if journal and journal.startswith("https://"):
            label["sources"] = [journal, info.url]
        out.add(ref, names[0] if names else hosts[0], hosts, label, number, rule, "EU consolidated list")
    return out.parsed(len(entities), generated, "the file's generationDate")
