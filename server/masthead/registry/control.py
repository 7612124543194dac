"""Which control model an outlet falls under, and its labels in force in short form: facts derived from the registry."""

from __future__ import annotations

from .model import Outlet, Registry
from .vocabulary import LABEL_TYPES, OWNER_KIND_GROUPS

__all__ = ["control_model", "control_basis", "label_summary"]

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
        {"type": l.type, "kind": l.kind, "title": l.title, "issuer": l.issuer, "jurisdiction": l.jurisdiction, "since": l.since,
         "as_of": l.as_of, "date_kind": l.date_kind}
        for l in active
    ]


def control_model(registry: Registry, outlet: Outlet, as_of: str) -> str:
    """Group for the popup: state-controlled / public / independent / commercial / unknown."""
    return control_basis(registry, outlet, as_of)[0]


def control_basis(registry: Registry, outlet: Outlet, as_of: str) -> tuple[str, str]:
    """The control model and what decided it (issue 12, rule 1), the most authoritative source first.

    'typology': a State Media Monitor typology label in force decides (the latest, if several);
    'label': another control label in force (public service by statute);
    'owners': the kinds of the owners, when there is no such label. A trust never decides on its own:
    it is a vehicle (a family's, or one securing a paper's independence), so the owners between it and the
    outlet decide, and without them the model is unknown.
    'none': nothing to go on.
    """
    active = [label for label in outlet.labels if label.kind == "control" and label.status(as_of) == "active"]
    typology = [label for label in active if LABEL_TYPES[label.type].smm_code]
    if typology:
        latest = max(typology, key=lambda label: (label.as_of or label.since or "", LABEL_TYPES[label.type].rank))
        return LABEL_TYPES[latest.type].group, "typology"
    groups = {LABEL_TYPES[label.type].group for label in active}
    for group in ("state-controlled", "public"):
        if group in groups:
            return group, "label"
    model = _from_owners(registry, outlet)
    return model, "owners" if model != "unknown" else "none"


def _from_owners(registry: Registry, outlet: Outlet) -> str:
    if {node["kind"] for node in registry.ownership_chain(outlet)[1:]} & PUBLIC_KINDS:
        return "public"
    ultimate = {owner.kind for owner in registry.ultimate_owners(outlet)}
    decided = _group_of(ultimate)
    if decided:
        return decided
    # Only owners that do not decide alone (trusts) at the top: the companies between them and the outlet do.
    return _group_of(_intermediate_kinds(registry, outlet)) or "unknown"


def _group_of(kinds: set[str]) -> str | None:
    for group, members in (("state-controlled", STATE_KINDS), ("independent", INDEPENDENT_KINDS), ("commercial", COMMERCIAL_KINDS)):
        if kinds & members:
            return group
    return None


def _intermediate_kinds(registry: Registry, outlet: Outlet) -> set[str]:
    kinds: set[str] = set()
    stack = [link.owner for link in outlet.owners]
    seen: set[str] = set()
    while stack:
        owner = registry.owners.get(stack.pop())
        if owner is None or owner.id in seen:
            continue
        seen.add(owner.id)
        if owner.owned_by:
            kinds.add(owner.kind)
            stack.extend(link.owner for link in owner.owned_by)
    return kinds


def badge_word(summary: list[dict]) -> str | None:
    """The word the toolbar badge shows for labels in force (label_summary()'s, most significant first): the
    highest-ranked type's badge (docs/LABELS.md, "The toolbar badge"); None without labels."""
    if not summary:
        return None
    return LABEL_TYPES[max(summary, key=lambda label: LABEL_TYPES[label["type"]].rank)["type"]].badge
