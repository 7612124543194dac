"""Reading the claims of an entry in time: labels (designations by `since`, assessments by `as_of`), ownership and
funding links, and hosts with a lifetime; every problem recorded with its position (issue 24)."""

from __future__ import annotations

import functools
from pathlib import Path

from ruamel.yaml.comments import CommentedMap

from ..untrusted import shown
from .fields import closest, key_pos
from .model import FundingEvent, FundingLink, Label, OwnerLink
from .vocabulary import FUNDING_KINDS, JURISDICTIONS, LABEL_TYPES

__all__ = ["ClaimReader", "LABEL_KEYS", "LINK_KEYS", "FUNDING_KEYS", "DOMAIN_KEYS", "UNCHECKED_FILE", "unchecked_backlog",
           "label_key"]

LINK_KEYS = {"owner", "share", "sources", "note", "since", "until"}
FUNDING_KEYS = {"funder", "kind", "share", "since", "until", "instrument", "sources", "note", "events"}
EVENT_KEYS = {"date", "note", "sources"}
DOMAIN_KEYS = {"domain", "mirror", "sources", "note", "since", "until"}
LABEL_KEYS = {
    "type", "issuer", "jurisdiction", "since", "until", "as_of", "instrument", "sources", "note",
    "in_response_to", "retrieved", "list", "checked", "until_sources",
}
# The curated labels written before `checked` was required and not re-checked since: each is a warning until a
# curator confirms it and writes `checked:` (then its line goes); any other curated label without one is an error.
UNCHECKED_FILE = Path(__file__).resolve().parent.parent / "data" / "unchecked_labels.txt"


@functools.lru_cache(maxsize=1)
def unchecked_backlog() -> frozenset[str]:
    try:
        lines = UNCHECKED_FILE.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return frozenset()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def label_key(outlet_id: str, label_type: str, date: str | None) -> str:
    """How the backlog names a label: outlet id, type and its date (`as_of` for an assessment, else `since`)."""
    return f"{outlet_id} {label_type} {date or '-'}"


class ClaimReader:
    """Mixed into the loader's builder, which supplies the field readers, `_add`, `quality`, `today`,
    `list_retrieved` (file -> the day its list was read) and `require_checked`."""

    # --- ownership and funding ------------------------------------------------------------------

    def _links(self, file: str, node: CommentedMap, key: str, curated: bool) -> tuple[OwnerLink, ...]:
        links = []
        for pos, item in self._entries(file, node, key, "write '- owner: <id>' entries"):
            if isinstance(item, str):
                item = CommentedMap(owner=item)
                item.lc.line, item.lc.col = pos[1] - 1, pos[2] - 1
            if not isinstance(item, CommentedMap) or not isinstance(item.get("owner"), str):
                self._add(*pos, f"each `{key}` entry needs `owner: <owner id>`", "e.g. '- owner: gov-ru'")
                continue
            self._unknown_keys(file, item, LINK_KEYS, "ownership link")
            share = self._share(file, item)
            sources = self._urls(file, item, "sources")
            if curated and not sources:
                self._add(*pos, f"the ownership link to '{item['owner']}' has no source", "add `sources: [https://...]` with a public URL")
            links.append(OwnerLink(owner=item["owner"], share=share, sources=sources, note=self._text(file, item, "note")))
        return tuple(links)

    def _share(self, file: str, item: CommentedMap) -> float | None:
        share = item.get("share")
        if share is not None and (not isinstance(share, (int, float)) or isinstance(share, bool) or not 0 < share <= 100):
            self._add(*key_pos(file, item, "share"), f"share {shown(share)} is not a percentage", "a number above 0 and at most 100")
            return None
        return share

    def _funders(self, file: str, node: CommentedMap, curated: bool) -> tuple[FundingLink, ...]:
        """`funded_by:` who pays, apart from who owns (a grantee is owned by its corporation, funded by a grant)."""
        links = []
        for pos, item in self._entries(file, node, "funded_by", "write '- funder: <owner id>' entries"):
            if not isinstance(item, CommentedMap) or not isinstance(item.get("funder"), str):
                self._add(*pos, "each `funded_by` entry needs `funder: <owner id>`", "e.g. '- funder: usagm'")
                continue
            self._unknown_keys(file, item, FUNDING_KEYS, "funding link")
            kind = item.get("kind")
            if kind not in FUNDING_KINDS:
                close = closest(str(kind), FUNDING_KINDS)
                self._add(*key_pos(file, item, "kind"), f"funding kind {shown(kind)} is not in the vocabulary",
                          f"did you mean '{close}'?" if close else "one of: " + ", ".join(FUNDING_KINDS))
                continue
            sources = self._urls(file, item, "sources")
            if curated and not sources:
                self._add(*pos, f"the funding link to '{item['funder']}' has no source", "add `sources: [https://...]`")
            since, until = self._date(file, item, "since", False), self._date(file, item, "until", False)
            self._order(file, item, since, until)
            links.append(FundingLink(
                funder=item["funder"], kind=kind, sources=sources, share=self._share(file, item), since=since, until=until,
                instrument=self._text(file, item, "instrument"), note=self._text(file, item, "note"),
                events=self._events(file, item, curated),
            ))
        return tuple(links)

    def _events(self, file: str, node: CommentedMap, curated: bool) -> tuple[FundingEvent, ...]:
        events = []
        for pos, item in self._entries(file, node, "events", "write '- date: ...' entries with note and sources"):
            if not isinstance(item, CommentedMap):
                self._add(*pos, "an event must be a mapping with date, note and sources")
                continue
            self._unknown_keys(file, item, EVENT_KEYS, "event")
            date = self._date(file, item, "date", True)
            note = self._text(file, item, "note", required=True)
            sources = self._urls(file, item, "sources")
            if curated and not sources:
                self._add(*pos, "a dated event needs a source", "add `sources: [https://...]`")
            if date and note:
                events.append(FundingEvent(date=date, note=note, sources=sources))
        return tuple(sorted(events, key=lambda e: e.date))

    def _order(self, file: str, item: CommentedMap, since: str | None, until: str | None) -> bool:
        if since and until and until[: len(since)] < since[: len(until)]:
            self._add(*key_pos(file, item, "until"), f"until {until} is before since {since}", "swap the dates or fix the typo")
            return False
        return True

    # --- hosts with a lifetime ------------------------------------------------------------------

    def _domains(self, file: str, node: CommentedMap, curated: bool = True) -> tuple[list[str], list[dict]]:
        domains, mirrors = [], []
        for pos, item in self._entries(file, node, "domains", "write one '- example.com' per line"):
            info: dict = {}
            if isinstance(item, CommentedMap):
                self._unknown_keys(file, item, DOMAIN_KEYS, "domain")
                info = {"mirror": bool(item.get("mirror")), "sources": list(self._urls(file, item, "sources")), "note": item.get("note")}
                since, until = self._date(file, item, "since", False), self._date(file, item, "until", False)
                self._order(file, item, since, until)
                if since:
                    info["since"] = since
                if until:
                    # A former domain still matches, and the answer says whose it was and until when (issue 24).
                    info["until"] = until
                    if not info["sources"]:
                        self._add(*pos, f"former domain '{item.get('domain')}' has no source",
                                  "add `sources:` saying where the move or the loss of the domain is documented",
                                  severity="error" if curated else "warning")
                item = item.get("domain")
            if not isinstance(item, str):
                self._add(*pos, "a domain must be a host name or a mapping with `domain:`", "e.g. '- sputnikglobe.com'")
                continue
            host = self._host(pos, item)
            if host is None:
                continue
            if info.get("mirror") and not info.get("sources"):
                self._add(*pos, f"mirror domain '{host}' has no source", "add `sources:` saying where the attribution comes from")
            domains.append(host)
            if info:
                mirrors.append({"domain": host, **info})
        return domains, mirrors

    # --- labels ---------------------------------------------------------------------------------

    def _labels(self, file: str, node: CommentedMap, curated: bool = True) -> list[Label]:
        labels = []
        for pos, item in self._entries(file, node, "labels", "start each label with '- type: ...'"):
            if not isinstance(item, CommentedMap):
                self._add(*pos, "a label must be a mapping with type, issuer, jurisdiction, since and sources", "see docs/LABELS.md")
                continue
            label = self._label(file, item, pos, curated, str(node.get("id")))
            if label:
                labels.append(label)
        return labels

    def _label(self, file: str, item: CommentedMap, pos: tuple[str, int, int], curated: bool = True,
               outlet_id: str = "") -> Label | None:
        self._unknown_keys(file, item, LABEL_KEYS, "label")
        ok = True
        label_type = item.get("type")
        if not isinstance(label_type, str) or label_type not in LABEL_TYPES:
            close = closest(str(label_type), LABEL_TYPES)
            self._add(*key_pos(file, item, "type"), f"label type {shown(label_type)} is not in the vocabulary",
                      f"did you mean '{close}'? see docs/LABELS.md" if close else "see docs/LABELS.md for the types")
            ok = False
        issuer = self._text(file, item, "issuer", required=True)
        ok &= bool(issuer)
        jurisdiction = item.get("jurisdiction")
        if not isinstance(jurisdiction, str) or jurisdiction not in JURISDICTIONS:
            self._add(*key_pos(file, item, "jurisdiction"), f"jurisdiction {shown(jurisdiction)} is not an ISO 3166 code, EU, UN or INT",
                      "use two capital letters, e.g. 'RU', 'GB', 'EU'")
            ok = False
        assessment = ok and LABEL_TYPES[label_type].dated_by == "as_of"
        retrieved = self._date(file, item, "retrieved", required=False)
        since, until, as_of = self._when(file, item, assessment, retrieved or self.list_retrieved.get(file))
        ok &= (since is not None or assessment) and (as_of is not None or not assessment) and self._order(file, item, since, until)
        sources = self._urls(file, item, "sources")
        if not sources:
            if "sources" not in item:
                self._add(*pos, "label has no source", "add `sources: [https://...]`: a public URL from the issuer or a report of it")
            ok = False
        weak = self.quality.only_weak(sources)
        if weak:
            # Rule 4 (issue 12): aggregators and content farms copy a decision; they are not where it is recorded.
            self._add(*key_pos(file, item, "sources"), "every source of this label is a weak source: " + ", ".join(weak),
                      "cite the issuer (official journal, register, regulator) or a reputable report of the decision; "
                      "see server/masthead/data/source_quality.yaml")
            ok = False
        until_sources = self._urls(file, item, "until_sources")
        if until and not until_sources:
            # Rule 3: an ended designation says where its end is documented.
            self._add(*key_pos(file, item, "until"), f"the label ended on {until} but has no `until_sources`",
                      "add `until_sources: [https://...]`: where the lifting, expiry or removal is documented",
                      severity="error" if curated else "warning")
            ok &= not curated
        checked = self._date(file, item, "checked", required=False)
        if checked and checked > self.today:
            self._add(*key_pos(file, item, "checked", value=True), f"`checked` {checked} is in the future",
                      "write the day you confirmed the label against its sources")
            ok = False
        if curated and ok and not checked and label_key(outlet_id, label_type, as_of or since) not in unchecked_backlog():
            # Every claim says when someone last confirmed it (issue 24); only the listed backlog may lack it.
            # `masthead validate` refuses it; an edit through the server is saved with a warning beside the field.
            self._add(*key_pos(file, item, "type"), "label has no `checked` date",
                      "confirm the label against its sources and write `checked: YYYY-MM-DD` (the day you did)",
                      severity="error" if self.require_checked else "warning")
        if not ok:
            return None
        return Label(
            type=label_type, issuer=issuer, jurisdiction=jurisdiction, since=since, until=until,
            instrument=self._text(file, item, "instrument"), sources=sources, note=self._text(file, item, "note"),
            in_response_to=self._text(file, item, "in_response_to"), retrieved=retrieved,
            list=self._text(file, item, "list"), checked=checked, until_sources=until_sources, as_of=as_of,
        )

    def _when(self, file: str, item: CommentedMap, assessment: bool, read_day: str | None) -> tuple[str | None, str | None, str | None]:
        """since, until and as_of of a label. A designation is dated by its issuer's `since`; an assessment by the
        edition it rests on (`as_of`), with `since` only when the assessor dates a change, never the day a list
        was read (issue 24: 656 typologies once said "since" the day the matrix was read)."""
        until = self._date(file, item, "until", required=False)
        as_of = self._date(file, item, "as_of", required=False)
        if not assessment:
            since = self._date(file, item, "since", required=True)
            if as_of:
                self._add(*key_pos(file, item, "as_of"), "`as_of` dates an assessment (a typology); this label is a designation",
                          "date it by `since`, the day its issuer's decision took effect")
            return since, until, None
        since = self._date(file, item, "since", required=False)
        if as_of is None and "as_of" not in item:
            self._add(*key_pos(file, item, "type"), "a typology has no `as_of`",
                      "add `as_of:` the edition or date of the assessment (YYYY, YYYY-MM or YYYY-MM-DD)")
        if as_of and as_of > self.today:
            self._add(*key_pos(file, item, "as_of", value=True), f"`as_of` {as_of} is in the future", "write the assessment's edition or date")
            as_of = None
        if since and read_day and since == read_day:
            self._add(*key_pos(file, item, "since", value=True), f"`since` {since} is the day the list was read, not when the rating changed",
                      "drop `since` (the edition goes in `as_of`) unless the assessor states when the rating changed")
            since = None
        if since and as_of and as_of[: len(since)] < since[: len(as_of)]:
            self._add(*key_pos(file, item, "since", value=True), f"since {since} is after the assessment's as_of {as_of}",
                      "an assessment cannot date a change after its own edition")
            since = None
        return since, until, as_of
