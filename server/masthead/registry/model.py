"""The registry's model: owners, outlets and attributed labels, matching a page to its outlet, owner chains."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from .. import urls
from .vocabulary import LABEL_TYPES

__all__ = ["Problem", "SourcesError", "Label", "OwnerLink", "FundingLink", "FundingEvent", "Owner", "Outlet", "Match", "Registry",
           "parse_partial_date", "DATE_RE"]

DATE_RE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")

@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    message: str
    hint: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("file", "line", "column", "severity", "message", "hint")}


class SourcesError(Exception):
    """sources.yaml has errors; `problems` lists every one of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"{len(errors)} error(s) in the source list; first: {errors[0] if errors else '-'}")


@dataclass(frozen=True)
class Label:
    type: str
    issuer: str
    jurisdiction: str
    since: str | None  # a designation's start by its issuer; an assessment's only when the assessor dates a change
    until: str | None
    instrument: str | None
    sources: tuple[str, ...]
    note: str | None = None
    in_response_to: str | None = None
    retrieved: str | None = None
    list: str | None = None
    checked: str | None = None  # when a curator last confirmed the label against its sources
    until_sources: tuple[str, ...] = ()  # where the end of an ended designation is documented
    inherited_from: str | None = None  # the parent outlet a section or subdomain took this label from
    as_of: str | None = None  # an assessment's edition or date (issue 24): a rating, not an event with a start

    @property
    def kind(self) -> str:
        return LABEL_TYPES[self.type].kind

    @property
    def date_kind(self) -> str:
        """'as_of' (an assessment, shown "as of 2025 edition") or 'since' (a designation, "since 2 Mar 2022")."""
        return LABEL_TYPES[self.type].dated_by

    def period(self) -> str:
        """When the label holds, in ISO dates: 'as of 2023-08', 'since 2022-03-02', '2020-08-06 to 2023-04-21'."""
        parts = []
        if self.since and self.until:
            parts.append(f"{self.since} to {self.until}")
        elif self.until:
            parts.append(f"until {self.until}")
        elif self.since:
            parts.append(f"since {self.since}")
        if self.as_of:
            parts.append(f"as of {self.as_of}")
        return ", ".join(parts)

    @property
    def title(self) -> str:
        return LABEL_TYPES[self.type].title

    def status(self, as_of: str) -> str:
        """'active', 'historical' (lifted or expired by as_of) or 'future' (not yet in force). An assessment without a
        dated change holds from the edition it rests on: asked about an earlier day, it did not exist yet."""
        start = self.since or self.as_of
        if start and as_of[: len(start)] < start:
            return "future"
        if self.until and as_of[: len(self.until)] >= self.until:
            return "historical"
        return "active"

    def to_dict(self, as_of: str | None = None) -> dict:
        data = {
            "type": self.type,
            "kind": self.kind,
            "title": self.title,
            "issuer": self.issuer,
            "jurisdiction": self.jurisdiction,
            "since": self.since,
            "until": self.until,
            "as_of": self.as_of,
            "date_kind": self.date_kind,
            "instrument": self.instrument,
            "sources": list(self.sources),
            "note": self.note,
            "in_response_to": self.in_response_to,
            "checked": self.checked or self.retrieved,
        }
        if self.until_sources:
            data["until_sources"] = list(self.until_sources)
        if self.inherited_from:
            data["inherited_from"] = self.inherited_from
        if self.list:
            data["list"] = self.list
            data["retrieved"] = self.retrieved
        if as_of:
            data["status"] = self.status(as_of)
        return data


@dataclass(frozen=True)
class OwnerLink:
    owner: str
    share: float | None = None
    sources: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class FundingEvent:
    """A dated change in a funding relation: a grant ended, a court order, a service closed (issue 24)."""

    date: str
    note: str
    sources: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"date": self.date, "note": self.note, "sources": list(self.sources)}


@dataclass(frozen=True)
class FundingLink:
    """Who pays, apart from who owns: a grant, a licence fee, a state budget line ... (issue 24)."""

    funder: str  # an owner id
    kind: str  # one of vocabulary.FUNDING_KINDS
    sources: tuple[str, ...]
    share: float | None = None
    since: str | None = None
    until: str | None = None
    instrument: str | None = None  # the statute or agreement the money flows under
    note: str | None = None
    events: tuple[FundingEvent, ...] = ()

    def to_dict(self) -> dict:
        data = {"funder": self.funder, "kind": self.kind, "share": self.share, "since": self.since, "until": self.until,
                "instrument": self.instrument, "sources": list(self.sources), "note": self.note}
        if self.events:
            data["events"] = [event.to_dict() for event in self.events]
        return data


@dataclass(frozen=True)
class Owner:
    id: str
    name: str
    kind: str
    country: str | None
    owned_by: tuple[OwnerLink, ...] = ()
    sources: tuple[str, ...] = ()
    note: str | None = None
    funded_by: tuple[FundingLink, ...] = ()

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "country": self.country,
            "owned_by": [link.__dict__ | {"sources": list(link.sources)} for link in self.owned_by],
            "funded_by": [link.to_dict() for link in self.funded_by],
            "sources": list(self.sources),
            "note": self.note,
        }


@dataclass(frozen=True)
class Outlet:
    id: str
    name: str
    homepage: str | None
    country: str | None
    languages: tuple[str, ...]
    domains: tuple[str, ...]
    paths: tuple[str, ...]
    owners: tuple[OwnerLink, ...]
    funding: str | None
    funding_sources: tuple[str, ...]
    feeds: tuple[str, ...]
    labels: tuple[Label, ...]
    mirrors: tuple[dict, ...] = ()
    feed_entries: tuple[dict, ...] = ()  # the feeds as written: {url, sources?, checked?, language?, note?}
    note: str | None = None
    ownership_note: str | None = None
    source_file: str = ""
    curated: bool = True
    parent: str | None = None  # the outlet a section or subdomain entry lies under and inherits from
    funded_by: tuple[FundingLink, ...] = ()

    @property
    def own_labels(self) -> tuple[Label, ...]:
        """The labels written on this entry, without those inherited from its parent."""
        return tuple(label for label in self.labels if not label.inherited_from)

    def summary(self) -> dict:
        return {"id": self.id, "name": self.name, "homepage": self.homepage, "country": self.country}

    def to_dict(self, as_of: str | None = None) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "homepage": self.homepage,
            "country": self.country,
            "languages": list(self.languages),
            "domains": list(self.domains),
            "paths": list(self.paths),
            "mirrors": [dict(m) for m in self.mirrors],
            "owners": [link.__dict__ | {"sources": list(link.sources)} for link in self.owners],
            "funding": self.funding,
            "funding_sources": list(self.funding_sources),
            "funded_by": [link.to_dict() for link in self.funded_by],
            "feeds": list(self.feeds),
            "labels": [label.to_dict(as_of) for label in self.labels],
            "note": self.note,
            "ownership_note": self.ownership_note,
            "curated": self.curated,
            "parent": self.parent,
        }


@dataclass(frozen=True)
class Match:
    outlet: Outlet
    rule: str  # the domains/paths entry that matched
    rule_kind: str  # "path", "host" or "domain"
    former: dict | None = None  # the matched host was the outlet's until a date: {until, since, note, sources}


@dataclass
class Registry:
    """The loaded list: owners and outlets by id, and the host/path index used for matching."""

    owners: dict[str, Owner]
    outlets: dict[str, Outlet]
    hosts: dict[str, str] = field(default_factory=dict)
    paths: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    etag: str = ""
    warnings: tuple[Problem, ...] = ()
    lists: tuple[dict, ...] = ()  # the provenance (`list:` block) of each included list file, with its file name
    former_hosts: dict[str, dict] = field(default_factory=dict)  # host -> {until, ...}: domains an outlet left
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    def cache_put(self, key, value, limit: int = 20000) -> None:
        """Derived answers live as long as this registry; a reload starts a fresh one."""
        if len(self.cache) >= limit:
            self.cache.clear()
        self.cache[key] = value

    def match(self, page: urls.PageURL) -> Match | None:
        """The most specific rule wins: host + path prefix, then full host, then parent domains."""
        if page.is_ip:
            return None
        candidates = urls.match_hosts(page.host)
        path = page.path.lower()
        for position, host in enumerate(candidates):
            for prefix, outlet_id in self.paths.get(host, ()):
                if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                    return Match(self.outlets[outlet_id], host + prefix, "path")
            outlet_id = self.hosts.get(host)
            if outlet_id:
                kind = "host" if position == 0 else "domain"
                return Match(self.outlets[outlet_id], host, kind, self.former_hosts.get(host))
        return None

    def match_url(self, url: str) -> Match | None:
        return self.match(urls.normalise(url))

    def ownership_chain(self, outlet: Outlet) -> list[dict]:
        """outlet -> owner -> ... -> ultimate owner, following the largest share at each step."""
        chain = [{"id": outlet.id, "name": outlet.name, "kind": "outlet", "country": outlet.country}]
        links = outlet.owners
        seen: set[str] = set()
        while links:
            primary = _primary(links)
            owner = self.owners.get(primary.owner)
            if owner is None or owner.id in seen:
                break
            seen.add(owner.id)
            node = {
                "id": owner.id,
                "name": owner.name,
                "kind": owner.kind,
                "country": owner.country,
                "share": primary.share,
                "sources": list(primary.sources),
            }
            others = [link for link in links if link is not primary]
            if others:
                node["co_owners"] = [
                    {"id": o.owner, "name": self.owners[o.owner].name if o.owner in self.owners else o.owner, "share": o.share}
                    for o in others
                ]
            chain.append(node)
            links = owner.owned_by
        if len(chain) > 1:
            chain[-1]["ultimate"] = True
        return chain

    def funding(self, outlet: Outlet) -> list[dict]:
        """Who funds the outlet and each owner of its chain, apart from who owns them: one item per funding link,
        with the node it funds (`of`) and the funder's name and kind."""
        funded = [(outlet.id, outlet.funded_by)]
        funded += [(node["id"], self.owners[node["id"]].funded_by) for node in self.ownership_chain(outlet)[1:]]
        items = []
        for of, links in funded:
            for link in links:
                funder = self.owners.get(link.funder)
                items.append({"of": of, **link.to_dict(), "name": funder.name if funder else link.funder,
                              "funder_kind": funder.kind if funder else None,
                              "country": funder.country if funder else None})
        return items

    def ultimate_owners(self, outlet: Outlet) -> list[Owner]:
        found: dict[str, Owner] = {}
        stack = [link.owner for link in outlet.owners]
        seen: set[str] = set()
        while stack:
            owner_id = stack.pop()
            if owner_id in seen or owner_id not in self.owners:
                continue
            seen.add(owner_id)
            owner = self.owners[owner_id]
            if owner.owned_by:
                stack.extend(link.owner for link in owner.owned_by)
            else:
                found[owner.id] = owner
        return list(found.values())

    def domain_map(self) -> dict:
        """Everything the extension needs to match hosts locally, with the same semantics as match()."""
        return {
            "hosts": dict(sorted(self.hosts.items())),
            "paths": {host: [[prefix, oid] for prefix, oid in rules] for host, rules in sorted(self.paths.items())},
        }

    def counts(self) -> dict:
        labels = [label for outlet in self.outlets.values() for label in outlet.own_labels]
        by_type: dict[str, int] = {}
        for label in labels:
            by_type[label.type] = by_type.get(label.type, 0) + 1
        return {
            "outlets": len(self.outlets),
            "owners": len(self.owners),
            "labels": len(labels),
            "countries": len({o.country for o in self.outlets.values() if o.country}),
            "domains": len(self.hosts),
            "labels_by_type": dict(sorted(by_type.items())),
        }


def _primary(links: Iterable[OwnerLink]) -> OwnerLink:
    links = list(links)
    return max(links, key=lambda link: (link.share if link.share is not None else -1, -links.index(link)))


def parse_partial_date(value: Any) -> str | None:
    """'2023', '2023-11', '2023-11-17' or a YAML date -> the same text; None if it is not a date."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int) and 1000 <= value <= 9999:
        return str(value)
    if isinstance(value, str) and DATE_RE.match(value.strip()):
        text = value.strip()
        if len(text) == 10:
            try:
                dt.date.fromisoformat(text)
            except ValueError:
                return None
        return text
    return None
