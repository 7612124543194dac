"""A page URL -> the whole answer: outlet, ownership chain, attributed labels, related coverage."""

from __future__ import annotations

import datetime as dt
from . import urls
from .related import outlet_of
from .registry import Label, Outlet, Registry, control_model, label_summary, parse_partial_date
from .registry.control import badge_word
from .registry.vocabulary import LABEL_TYPES

__all__ = ["build_context", "resolve", "coverage", "outlet_card", "outlet_fields", "with_outlet", "parse_as_of", "ContextError",
           "outlet_answer", "former_domain"]


class ContextError(ValueError):
    status = 400


def parse_as_of(value: str | None) -> str:
    if value is None or value == "":
        return dt.date.today().isoformat()
    parsed = parse_partial_date(value)
    if parsed is None:
        raise ContextError(f"as_of {value!r} is not a date; write YYYY-MM-DD")
    return parsed


def resolve(registry: Registry, url: str, as_of: str | None = None) -> tuple[urls.PageURL, "object | None", str]:
    """(the normalised page, the registry's match or None, the date) for one URL.

    Raises urls.URLError (400/422) or ContextError (400)."""
    as_of = parse_as_of(as_of)
    page = urls.normalise(url)
    return page, registry.match(page), as_of


def build_context(registry: Registry, url: str, as_of: str | None = None, related: list[dict] | None = None,
                  background: list[dict] | None = None, limit: int = 8, published: str | None = None,
                  skipped: str | None = None, resolved: tuple | None = None) -> dict:
    """The answer for one page, with the coverage the caller ranked (rows as related.rank gives them, their outlets
    already matched): `related` (same event; all that qualified, of which `limit` are listed), `background` (the
    same story at other times) and `coverage`, counted over all of `related` and the page itself (`published`: its
    date, when known). `skipped` says why coverage was not looked up ("busy", "unavailable"): the answer carries it
    so that an empty list is not read as "no coverage". `resolved` is what resolve() gave for this URL and date, when
    the caller already has it. Raises urls.URLError (400/422) or ContextError (400)."""
    page, match, as_of = resolved or resolve(registry, url, as_of)
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
        "funding": [],
        "former_domain": None,
        "labels": [],
        "control_model": "unknown",
        "related": [],
        "background": [],
        "coverage": None,
        "coverage_skipped": skipped,
    }
    if outlet is not None:
        answer.update(_outlet_part(registry, outlet, as_of))
        answer["match"] = {"rule": match.rule, "kind": match.rule_kind}
        if match.former:
            answer["former_domain"] = former_domain(outlet, match)
    items = [with_outlet(registry, row, as_of, matched=True) for row in related or ()]
    answer["related"] = items[:limit]
    answer["background"] = [with_outlet(registry, row, as_of, matched=True) for row in background or ()]
    if items:
        answer["coverage"] = coverage(answer, items, published)
    return answer


def coverage(answer: dict, items: list[dict], published: str | None) -> dict:
    """How this story was covered: outlets by control model (the page's own included) and who reported first.
    Counts and dates only, no verdict."""
    reports = [{"name": (answer["outlet"] or {}).get("name") or answer["display_host"], "url": answer["url"],
                "published": published, "control_model": answer["control_model"]}]
    reports += [{"name": (item["outlet"] or {}).get("name") or item.get("site_name") or item["registered_domain"],
                 "url": item["url"], "published": item.get("published"), "control_model": item["control_model"]}
                for item in items]
    by_model: dict[str, int] = {}
    for report in reports:
        by_model[report["control_model"]] = by_model.get(report["control_model"], 0) + 1
    dated = [r for r in reports if r["published"]]
    first = min(dated, key=lambda r: r["published"]) if dated else None
    return {"outlets": len(reports), "by_control_model": dict(sorted(by_model.items(), key=lambda kv: -kv[1])),
            "first": first}


def former_domain(outlet: Outlet, match) -> dict:
    """A page on a host the outlet left (issue 24): whose it was and until when; the labels are the outlet's and say
    nothing of whoever holds the host now."""
    return {"host": match.rule, "until": match.former["until"], "since": match.former.get("since"),
            "note": match.former.get("note"), "sources": list(match.former.get("sources") or ()),
            "outlet": outlet.name, "labels_apply_to": outlet.id}


def with_outlet(registry: Registry, row: dict, as_of: str, matched: bool = False) -> dict:
    """A stored article (a related item, a search hit) with its outlet's card, labels in force and control model.

    The outlet is matched again at answer time: the source list may have changed since the article was stored.
    `matched` rows (from the ranking) carry the outlet id it matched already.
    """
    if matched:
        outlet = registry.outlets.get(row["outlet_id"]) if row.get("outlet_id") else None
    else:
        outlet = outlet_of(registry, row)
    row = dict(row)
    row.pop("outlet_id", None)
    if "site_name" in row and not row["site_name"] and outlet is not None:
        row["site_name"] = outlet.name
    return {**row, **outlet_fields(registry, outlet, as_of)}


def outlet_fields(registry: Registry, outlet: Outlet | None, as_of: str) -> dict:
    """What an answer says about a stored article's outlet: its card, the labels in force, its control model."""
    card = outlet_card(registry, outlet, as_of) if outlet is not None else None
    return {"outlet": card, "labels": card["labels"] if card else [], "control_model": card["control_model"] if card else "unknown"}


def outlet_answer(registry: Registry, outlet: Outlet, as_of: str) -> dict:
    """An outlet's part of the answer (outlet, ownership chain, ultimate owners, labels, control model), no page."""
    return _outlet_part(registry, outlet, as_of)


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
            "funding": registry.funding(outlet),
            "labels": _sorted_labels(outlet.labels, as_of),
            "control_model": control_model(registry, outlet, as_of),
        }
        registry.cache_put(key, cached)
    return cached  # shared and read-only: answers are serialised, never edited


def _sorted_labels(labels: tuple[Label, ...], as_of: str) -> list[dict]:
    order = {"active": 0, "future": 1, "historical": 2}
    items = [label.to_dict(as_of) for label in labels]
    items.sort(key=lambda d: (order[d["status"]], -LABEL_TYPES[d["type"]].rank, d["since"] or d["as_of"] or ""))
    return items


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
        "badge": badge_word(top),
    }
