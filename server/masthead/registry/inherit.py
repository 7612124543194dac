"""Sections and subdomains inherit their parent outlet's owner and labels unless they override them (issue 12, rule 2).

An outlet whose every rule lies under another outlet (a `paths:` entry such as `dw.com/ru`, or a subdomain
such as `news.example.com` under `example.com`) is a scoped entry: a page there is the parent's page too, so
a reader of DW's Russian service sees DW's labels. The parent is the outlet the page would match if the
scoped entry did not exist. A label of the entry overrides the parent's labels of the same type and
jurisdiction (State Media Monitor typology labels override each other, whatever their code); an owner of
its own replaces the parent's owner; funding likewise.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .. import urls
from .model import Label, Outlet
from .vocabulary import LABEL_TYPES

__all__ = ["Inheritance", "inherit", "parent_of", "label_key"]


@dataclass(frozen=True)
class Inheritance:
    """What one scoped entry took from its parent, for `masthead validate` to report."""

    outlet: str
    parent: str
    rule: str  # the entry's domain or path that lies under the parent
    owner: bool
    funding: bool
    labels: tuple[str, ...]  # inherited, as 'type (jurisdiction)'
    overridden: tuple[str, ...]  # the parent's labels the entry's own labels replace

    def message(self) -> str:
        taken = (["its owner"] if self.owner else []) + (["its funding"] if self.funding else [])
        if self.labels:
            taken.append(f"{len(self.labels)} label(s): " + ", ".join(self.labels))
        text = f"'{self.outlet}' ({self.rule}) lies under '{self.parent}' and inherits " + ("; ".join(taken) if taken else "nothing")
        if self.overridden:
            text += "; its own labels override " + ", ".join(self.overridden)
        return text


def label_key(label: Label) -> tuple[str, str]:
    """Labels with the same key replace each other: one typology per monitor, one label per type and jurisdiction."""
    return ("smm-typology" if LABEL_TYPES[label.type].smm_code else label.type, label.jurisdiction)


def _describe(label: Label) -> str:
    return f"{label.type} ({label.jurisdiction})"


def parent_of(outlet: Outlet, hosts: dict[str, str], paths: dict[str, list[tuple[str, str]]]) -> tuple[str, str] | None:
    """(parent id, the rule under it) when every rule of `outlet` lies under another outlet; None otherwise."""
    rules = [(rule, False) for rule in outlet.domains] + [(rule, True) for rule in outlet.paths]
    found = None
    for rule, is_path in rules:
        parent = _parent_of_path(rule, outlet.id, hosts, paths) if is_path else _parent_of_host(rule, outlet.id, hosts)
        if parent is None:
            return None  # a domain or section of its own: the outlet stands alone
        found = found or (parent, rule)
    return found


def _parent_of_host(host: str, own: str, hosts: dict[str, str]) -> str | None:
    for candidate in urls.match_hosts(host)[1:]:
        outlet_id = hosts.get(candidate)
        if outlet_id and outlet_id != own:
            return outlet_id
    return None


def _parent_of_path(rule: str, own: str, hosts: dict[str, str], paths: dict[str, list[tuple[str, str]]]) -> str | None:
    host, _, rest = rule.partition("/")
    prefix = "/" + rest
    for candidate in urls.match_hosts(host):
        for other_prefix, outlet_id in paths.get(candidate, ()):  # longest first, as Registry.match tries them
            if outlet_id == own or (candidate == host and len(other_prefix) >= len(prefix)):
                continue
            if prefix == other_prefix or prefix.startswith(other_prefix.rstrip("/") + "/"):
                return outlet_id
        outlet_id = hosts.get(candidate)
        if outlet_id and outlet_id != own:
            return outlet_id
    return None


def inherit(outlets: dict[str, Outlet], hosts: dict[str, str], paths: dict[str, list[tuple[str, str]]]) -> tuple[dict[str, Outlet], list[Inheritance]]:
    """The outlets with what scoped entries inherit filled in (parents first), and a record of each inheritance."""
    parents = {oid: found for oid, outlet in outlets.items() if (found := parent_of(outlet, hosts, paths))}
    done: dict[str, Outlet] = {}
    records: list[Inheritance] = []

    def resolve(outlet_id: str, visiting: frozenset = frozenset()) -> Outlet:
        if outlet_id in done:
            return done[outlet_id]
        outlet = outlets[outlet_id]
        if outlet_id not in parents or parents[outlet_id][0] in visiting:
            done[outlet_id] = outlet
            return outlet
        parent_id, rule = parents[outlet_id]
        parent = resolve(parent_id, visiting | {outlet_id})
        own_keys = {label_key(label) for label in outlet.labels}
        taken = [label for label in parent.labels if label_key(label) not in own_keys]
        replaced = [label for label in parent.labels if label_key(label) in own_keys]
        owner = not outlet.owners and bool(parent.owners)
        funding = not outlet.funding and bool(parent.funding)
        inherited = tuple(dataclasses.replace(label, inherited_from=label.inherited_from or parent_id) for label in taken)
        done[outlet_id] = dataclasses.replace(
            outlet,
            owners=parent.owners if owner else outlet.owners,
            funding=parent.funding if funding else outlet.funding,
            funding_sources=parent.funding_sources if funding else outlet.funding_sources,
            labels=outlet.labels + inherited,
            parent=parent_id,
        )
        records.append(Inheritance(outlet_id, parent_id, rule, owner, funding,
                                   tuple(_describe(l) for l in taken), tuple(_describe(l) for l in replaced)))
        return done[outlet_id]

    for outlet_id in outlets:
        resolve(outlet_id)
    return {oid: done[oid] for oid in outlets}, records
