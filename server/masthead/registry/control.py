"""Which control model an outlet falls under, and its labels in force in short form: facts derived from the registry."""

from __future__ import annotations

from .model import Outlet, Registry
from .vocabulary import LABEL_TYPES, OWNER_KIND_GROUPS

__all__ = ["control_model", "label_summary"]

STATE_LABELS = {t.type for t in LABEL_TYPES.values() if t.group == "state-controlled"}
PUBLIC_LABELS = {t.type for t in LABEL_TYPES.values() if t.group == "public"}
STATE_KINDS = {kind for kind, group in OWNER_KIND_GROUPS.items() if group == "state-controlled"}
PUBLIC_KINDS = {kind for kind, group in OWNER_KIND_GROUPS.items() if group == "public"}
INDEPENDENT_KINDS = {kind for kind, group in OWNER_KIND_GROUPS.items() if group == "independent"}
COMMERCIAL_KINDS = {kind for kind, group in OWNER_KIND_GROUPS.items() if group == "commercial"}


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
