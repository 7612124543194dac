"""A page URL -> the whole answer: outlet, ownership chain, attributed labels, related coverage."""

from __future__ import annotations

import datetime as dt
from typing import Callable

from . import urls
from .sources import Label, Outlet, Registry, parse_partial_date
from .vocabulary import LABEL_TYPES

__all__ = ["build_context", "outlet_card", "label_summary", "control_model", "parse_as_of", "ContextError"]

STATE_KINDS = {"government", "state-agency", "state-enterprise", "party"}
PUBLIC_KINDS = {"public-corporation"}
INDEPENDENT_KINDS = {"trust", "foundation", "non-profit", "cooperative"}
COMMERCIAL_KINDS = {"company", "listed-company", "person", "family"}
STATE_LABELS = {"state-controlled", "captured-public", "captured-private"}
PUBLIC_LABELS = {
    "independent-state-funded-managed", "independent-state-funded", "independent-state-managed",
    "independent-public", "public-service-media",
}


class ContextError(ValueError):
    status = 400


def parse_as_of(value: str | None) -> str:
    if value is None or value == "":
        return dt.date.today().isoformat()
    parsed = parse_partial_date(value)
    if parsed is None:
        raise ContextError(f"as_of {value!r} is not a date; write YYYY-MM-DD")
    return parsed


def build_context(
    registry: Registry,
    url: str,
    title: str | None = None,
    as_of: str | None = None,
    related: Callable[..., list[dict]] | None = None,
    limit: int = 8,
) -> dict:
    """The answer for one page. Raises urls.URLError (400/422) or ContextError (400)."""
    as_of = parse_as_of(as_of)
    page = urls.normalise(url)
    match = registry.match(page)
    outlet = match.outlet if match else None
    answer = {
        "url": page.url,
        "host": page.host,
        "display_host": page.display_host,
        "registered_domain": page.registered_domain,
        "unwrapped_from": list(page.unwrapped_from),
        "as_of": as_of,
        "outlet": None,
        "match": None,
        "ownership": [],
        "ultimate_owners": [],
        "labels": [],
        "control_model": "unknown",
        "related": [],
    }
    if outlet is not None:
        answer.update(_outlet_part(registry, outlet, as_of))
        answer["match"] = {"rule": match.rule, "kind": match.rule_kind}
    if related is not None:
        answer["related"] = related(page=page, outlet=outlet, title=title, as_of=as_of, limit=limit)
    return answer


def _outlet_part(registry: Registry, outlet: Outlet, as_of: str) -> dict:
    """The part of the answer that depends only on the outlet and the date; cached per registry."""
    key = ("context", outlet.id, as_of)
    cached = registry.cache.get(key)
    if cached is None:
        cached = {
            "outlet": {
                **outlet.summary(),
                "languages": list(outlet.languages),
                "funding": outlet.funding,
                "funding_sources": list(outlet.funding_sources),
                "ownership_note": outlet.ownership_note,
                "curated": outlet.curated,
            },
            "ownership": registry.ownership_chain(outlet),
            "ultimate_owners": [
                {"id": o.id, "name": o.name, "kind": o.kind, "country": o.country} for o in registry.ultimate_owners(outlet)
            ],
            "labels": _sorted_labels(outlet.labels, as_of),
            "control_model": control_model(registry, outlet, as_of),
        }
        registry.cache_put(key, cached)
    return cached  # shared and read-only: answers are serialised, never edited


def _sorted_labels(labels: tuple[Label, ...], as_of: str) -> list[dict]:
    order = {"active": 0, "future": 1, "historical": 2}
    items = [label.to_dict(as_of) for label in labels]
    items.sort(key=lambda d: (order[d["status"]], -LABEL_TYPES[d["type"]].rank, d["since"] or ""))
    return items


def label_summary(outlet: Outlet, as_of: str) -> list[dict]:
    """Active labels in short form, most significant first, for lists (related coverage, badges)."""
    active = [label for label in outlet.labels if label.status(as_of) == "active"]
    active.sort(key=lambda label: -LABEL_TYPES[label.type].rank)
    return [
        {"type": l.type, "kind": l.kind, "title": l.title, "issuer": l.issuer, "jurisdiction": l.jurisdiction, "since": l.since}
        for l in active
    ]


def control_model(registry: Registry, outlet: Outlet, as_of: str) -> str:
    """Group for the popup: state-controlled / public / independent / commercial / unknown.

    Attributed control labels decide first; otherwise the kinds of the ultimate owners.
    """
    active = {label.type for label in outlet.labels if label.status(as_of) == "active" and label.kind == "control"}
    if active & STATE_LABELS:
        return "state-controlled"
    if active & PUBLIC_LABELS:
        return "public"
    kinds = {owner.kind for owner in registry.ultimate_owners(outlet)}
    chain_kinds = {node["kind"] for node in registry.ownership_chain(outlet)[1:]}
    if chain_kinds & PUBLIC_KINDS:
        return "public"
    if kinds & STATE_KINDS:
        return "state-controlled"
    if kinds & INDEPENDENT_KINDS:
        return "independent"
    if kinds & COMMERCIAL_KINDS:
        return "commercial"
    return "unknown"


def outlet_card(registry: Registry, outlet: Outlet, as_of: str) -> dict:
    """A compact outlet description used in lists."""
    key = ("card", outlet.id, as_of)
    cached = registry.cache.get(key)
    if cached is None:
        cached = _outlet_card(registry, outlet, as_of)
        registry.cache_put(key, cached)
    return cached  # shared and read-only: answers are serialised, never edited


def _outlet_card(registry: Registry, outlet: Outlet, as_of: str) -> dict:
    top = label_summary(outlet, as_of)
    return {
        **outlet.summary(),
        "control_model": control_model(registry, outlet, as_of),
        "labels": top,
        "badge": LABEL_TYPES[top[0]["type"]].badge if top else None,
    }
