"""GET /outlets/<id>: one outlet to look at, linked from the popup's "details": the ownership chain as a small graph
and the labels on a timeline, both SVG drawn here. Printable; no scripts at all, none from elsewhere."""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, render_template

from ..context import outlet_answer
from ..registry.vocabulary import BADGE_KINDS, CONTROL_MODEL_TITLES, KIND_STYLES, LABEL_TYPES
from .api import outlet_or_404, query_as_of, state

__all__ = ["bp", "ownership_graph", "label_timeline", "label_period"]

bp = Blueprint("outlet_page", __name__)

KIND_NAMES = {kind: style["name"] for kind, style in KIND_STYLES.items() if kind != "neutral"}
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

# Drawing sizes, in SVG user units (the drawings scale with the page's width).
GRAPH_WIDTH, NODE_WIDTH, NODE_HEIGHT, LEVEL_GAP = 640, 250, 46, 34
TIMELINE_WIDTH, ROW_HEIGHT, NAME_COLUMN, AXIS_HEIGHT = 640, 30, 190, 28


def readable_date(value: str | None) -> str:
    """'2022-03-02' -> '2 Mar 2022', '2022-03' -> 'Mar 2022', '2022' -> '2022'."""
    if not value:
        return ""
    parts = str(value).split("-")
    if len(parts) == 3:
        return f"{int(parts[2])} {MONTHS[int(parts[1]) - 1]} {parts[0]}"
    if len(parts) == 2:
        return f"{MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return parts[0]


def label_period(label: dict) -> str:
    """When a label holds, as the popup says it (extension/lib/format.js formatPeriod): a designation "since 2 Mar
    2022" or "6 Aug 2020 – 21 Apr 2023"; an assessment "as of 2025 edition" or "as of Mar 2024" (issue 24)."""
    since, until = readable_date(label.get("since")), readable_date(label.get("until"))
    parts = [f"{since} – {until}" if since and until else f"until {until}" if until else
             (f"from {since}" if label.get("status") == "future" else f"since {since}") if since else ""]
    as_of = label.get("as_of")
    if as_of:
        parts.append(f"as of {as_of} edition" if len(str(as_of)) == 4 else f"as of {readable_date(as_of)}")
    return ", ".join(p for p in parts if p)


def _year(value: str) -> float:
    """A partial date as a fractional year, at the start of what it names ('2022-03' -> 2022.167)."""
    parts = [int(p) for p in str(value).split("-")]
    year, month, day = (parts + [1, 1])[:3]
    return year + (month - 1) / 12 + (day - 1) / 365


def ownership_graph(answer: dict) -> dict:
    """Boxes and arrows for the chain: the outlet at the bottom, each owner above what it owns, co-owners beside
    the owner with the largest share, the ultimate owner on top. Returns {width, height, nodes, edges}."""
    chain = answer["ownership"]
    funders: dict[str, list[dict]] = {}
    for item in answer.get("funding") or []:
        funders.setdefault(item["of"], []).append(item)
    levels = []  # top first
    for depth, node in enumerate(chain):
        row = [dict(node, primary=True)] + [dict(co, kind="owner", primary=False) for co in node.get("co_owners", [])]
        # Funders sit beside what they fund, joined by a dashed edge: paying is not owning (issue 24).
        row += [{"id": f"funder-{depth}-{i}-{item['funder']}", "name": item["name"], "kind": item.get("funder_kind") or "",
                 "country": item.get("country"), "primary": False, "funder": True, "funding_kind": item["kind"],
                 "sources": item.get("sources") or []}
                for i, item in enumerate(funders.get(node["id"], []))]
        levels.append((depth, row))
    levels.reverse()
    nodes, positions, width = [], {}, GRAPH_WIDTH
    for level, (depth, row) in enumerate(levels):
        y = 12 + level * (NODE_HEIGHT + LEVEL_GAP)
        gap = 14
        total = len(row) * NODE_WIDTH + (len(row) - 1) * gap
        width = max(width, total + 8)
        x0 = max(4, (GRAPH_WIDTH - total) / 2)
        for i, node in enumerate(row):
            x = x0 + i * (NODE_WIDTH + gap)
            share = node.get("share")
            facts = [node.get("kind") if node.get("kind") not in ("outlet", "owner") else "", node.get("country") or "",
                     f"{share:g}%" if isinstance(share, (int, float)) else ""]
            nodes.append({
                "id": node["id"], "name": node["name"], "x": round(x, 1), "y": y, "cx": round(x + NODE_WIDTH / 2, 1),
                "outlet": node.get("kind") == "outlet", "ultimate": bool(node.get("ultimate")), "primary": node["primary"],
                "facts": " · ".join(f for f in facts if f), "sources": node.get("sources") or [],
                "share": f"{share:g}%" if isinstance(share, (int, float)) else "",
                "funder": bool(node.get("funder")), "funding_kind": node.get("funding_kind") or "",
            })
            if node.get("funder"):
                nodes[-1]["facts"] = " · ".join(f for f in (f"funds by {node['funding_kind']}", nodes[-1]["facts"]) if f)
            positions.setdefault(depth, []).append(nodes[-1])
    edges = []
    for depth in range(len(chain)):
        funded = positions[depth][0]
        for funder in (n for n in positions[depth] if n["funder"]):
            edges.append({"x1": funder["x"], "y1": funder["y"] + NODE_HEIGHT / 2, "x2": funded["x"] + NODE_WIDTH + 2,
                          "y2": funder["y"] + NODE_HEIGHT / 2 + 2, "share": "", "funding": True, "label": funder["funding_kind"],
                          "mx": round((funder["x"] + funded["x"] + NODE_WIDTH) / 2 - 18, 1), "my": funder["y"] + NODE_HEIGHT / 2 - 4})
        if depth == 0:
            continue
        below = positions[depth - 1][0]
        for owner in (n for n in positions[depth] if not n["funder"]):
            edges.append({"x1": owner["cx"], "y1": owner["y"] + NODE_HEIGHT, "x2": below["cx"], "y2": below["y"],
                          "share": owner["share"], "funding": False, "label": owner["share"],
                          "mx": round((owner["cx"] + below["cx"]) / 2 + 6, 1),
                          "my": round((owner["y"] + NODE_HEIGHT + below["y"]) / 2 + 4, 1)})
    height = 12 + len(levels) * (NODE_HEIGHT + LEVEL_GAP) - LEVEL_GAP + 12
    return {"width": width, "height": height, "nodes": nodes, "edges": edges, "node_width": NODE_WIDTH,
            "node_height": NODE_HEIGHT}


def label_timeline(labels: list[dict], as_of: str) -> dict:
    """One row per issuer, one bar per label from `since` to `until` (or to the "as of" date while in force);
    ended labels end visibly. Returns {width, height, rows, ticks, as_of_x, ...}."""
    dated = [label for label in labels if label.get("since") or label.get("as_of")]
    now = _year(as_of)
    start = int(min([_year(label.get("since") or label["as_of"]) for label in dated] + [now - 1]))
    end = int(now) + 1
    plot = TIMELINE_WIDTH - NAME_COLUMN - 16

    def x(value: float) -> float:
        return round(NAME_COLUMN + (value - start) / (end - start) * plot, 1)

    rows: dict[str, dict] = {}
    for index, label in enumerate(labels):
        issuer = label.get("issuer") or "Issuer not recorded"
        row = rows.setdefault(issuer, {"issuer": issuer, "jurisdiction": label.get("jurisdiction") or "", "bars": []})
        if not label.get("since"):
            if label.get("as_of"):  # an assessment is a rating as of an edition: a mark, not a bar from a start
                row["bars"].append({"index": index, "x": x(_year(label["as_of"])), "width": 0, "point": True, "ended": False,
                                    "future": False, "kind": label.get("kind") or "", "title": label.get("title") or "",
                                    "period": label_period(label)})
            continue
        begin = _year(label["since"])
        ended = label.get("status") == "historical" or bool(label.get("until") and _year(label["until"]) <= now)
        finish = _year(label["until"]) if label.get("until") else now
        row["bars"].append({
            "index": index, "x": x(begin), "width": max(3.0, round(x(min(finish, end)) - x(begin), 1)), "ended": ended,
            "future": label.get("status") == "future", "kind": label.get("kind") or "", "title": label.get("title") or "",
            "period": label_period(label), "point": False,
        })
    ordered = list(rows.values())
    for number, row in enumerate(ordered):
        row["y"] = AXIS_HEIGHT + number * ROW_HEIGHT
    ticks = [{"year": year, "x": x(year)} for year in range(start, end)]  # the right edge is the next year: unlabelled
    step = max(1, len(ticks) // 8)
    return {"width": TIMELINE_WIDTH, "height": AXIS_HEIGHT + len(ordered) * ROW_HEIGHT + 8, "rows": ordered,
            "ticks": ticks[::step], "as_of_x": x(now), "as_of": readable_date(as_of), "name_column": NAME_COLUMN,
            "row_height": ROW_HEIGHT, "axis": AXIS_HEIGHT}


@bp.get("/outlets/<outlet_id>")
def outlet_page(outlet_id: str):
    registry = state().sources.current()
    outlet = outlet_or_404(registry, outlet_id)
    as_of = query_as_of()
    answer = outlet_answer(registry, outlet, as_of)
    labels = [dict(label, kind_name=KIND_NAMES.get(label["kind"], "Label"),
                   period=label_period(label),
                   checked_text=readable_date(label.get("checked")))
              for label in answer["labels"]]
    nonce = secrets.token_urlsafe(16)
    names = {node["id"]: (depth, node["name"]) for depth, node in enumerate(answer["ownership"])}
    seen: dict[str, int] = {}
    funding = []
    for item in answer["funding"]:
        depth = names.get(item["of"], (None, item["of"]))[0]
        number = seen[item["of"]] = seen.get(item["of"], -1) + 1
        funding.append(dict(item, of_name=names.get(item["of"], (0, item["of"]))[1], period=label_period(item),
                            node_id=f"funder-{depth}-{number}-{item['funder']}" if depth is not None else None,
                            events=[dict(e, when=readable_date(e["date"])) for e in item.get("events") or []]))
    html = render_template(
        "outlet.html", answer=answer, outlet=answer["outlet"], labels=labels, graph=ownership_graph(answer), funding=funding,
        timeline=label_timeline(labels, as_of), as_of=readable_date(as_of), nonce=nonce,
        control_model=CONTROL_MODEL_TITLES.get(answer["control_model"], (answer["control_model"],) * 2)[1],
        badge=LABEL_TYPES[answer["labels"][0]["type"]].badge if answer["labels"] and answer["labels"][0]["status"] == "active" else None,
        badge_kinds=BADGE_KINDS,
    )
    response = Response(html, mimetype="text/html")
    # Nothing runs on this page and nothing loads from elsewhere: styles by nonce, no script source at all.
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
