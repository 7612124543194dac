"""GET /outlets/<id>: one outlet to look at, linked from the popup's "details": the ownership chain as a small graph
and the labels on a timeline, both SVG drawn here. Printable; no scripts at all, none from elsewhere."""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, render_template

from ..context import outlet_answer
from ..registry.vocabulary import BADGE_KINDS, CONTROL_MODEL_TITLES, LABEL_TYPES
from .api import outlet_or_404, query_as_of, state

__all__ = ["bp", "ownership_graph", "label_timeline"]

bp = Blueprint("outlet_page", __name__)

KIND_NAMES = {"control": "State control", "designation": "Legal designation", "restriction": "Sanction or ban",
              "platform": "Platform label"}
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


def _year(value: str) -> float:
    """A partial date as a fractional year, at the start of what it names ('2022-03' -> 2022.167)."""
    parts = [int(p) for p in str(value).split("-")]
    year, month, day = (parts + [1, 1])[:3]
    return year + (month - 1) / 12 + (day - 1) / 365


def ownership_graph(answer: dict) -> dict:
    """Boxes and arrows for the chain: the outlet at the bottom, each owner above what it owns, co-owners beside
    the owner with the largest share, the ultimate owner on top. Returns {width, height, nodes, edges}."""
    chain = answer["ownership"]
    levels = []  # top first
    for depth, node in enumerate(chain):
        row = [dict(node, primary=True)] + [dict(co, kind="owner", primary=False) for co in node.get("co_owners", [])]
        levels.append((depth, row))
    levels.reverse()
    nodes, positions = [], {}
    for level, (depth, row) in enumerate(levels):
        y = 12 + level * (NODE_HEIGHT + LEVEL_GAP)
        gap = 14
        total = len(row) * NODE_WIDTH + (len(row) - 1) * gap
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
            })
            positions.setdefault(depth, []).append(nodes[-1])
    edges = []
    for depth in range(1, len(chain)):
        below = positions[depth - 1][0]
        for owner in positions[depth]:
            edges.append({"x1": owner["cx"], "y1": owner["y"] + NODE_HEIGHT, "x2": below["cx"], "y2": below["y"],
                          "share": owner["share"], "mx": round((owner["cx"] + below["cx"]) / 2 + 6, 1),
                          "my": round((owner["y"] + NODE_HEIGHT + below["y"]) / 2 + 4, 1)})
    height = 12 + len(levels) * (NODE_HEIGHT + LEVEL_GAP) - LEVEL_GAP + 12
    return {"width": GRAPH_WIDTH, "height": height, "nodes": nodes, "edges": edges, "node_width": NODE_WIDTH,
            "node_height": NODE_HEIGHT}


def label_timeline(labels: list[dict], as_of: str) -> dict:
    """One row per issuer, one bar per label from `since` to `until` (or to the "as of" date while in force);
    ended labels end visibly. Returns {width, height, rows, ticks, as_of_x, ...}."""
    dated = [label for label in labels if label.get("since")]
    now = _year(as_of)
    start = int(min([_year(label["since"]) for label in dated] + [now - 1]))
    end = int(now) + 1
    plot = TIMELINE_WIDTH - NAME_COLUMN - 16

    def x(value: float) -> float:
        return round(NAME_COLUMN + (value - start) / (end - start) * plot, 1)

    rows: dict[str, dict] = {}
    for index, label in enumerate(labels):
        issuer = label.get("issuer") or "Issuer not recorded"
        row = rows.setdefault(issuer, {"issuer": issuer, "jurisdiction": label.get("jurisdiction") or "", "bars": []})
        if not label.get("since"):
            continue
        begin = _year(label["since"])
        ended = label.get("status") == "historical" or bool(label.get("until") and _year(label["until"]) <= now)
        finish = _year(label["until"]) if label.get("until") else now
        row["bars"].append({
            "index": index, "x": x(begin), "width": max(3.0, round(x(min(finish, end)) - x(begin), 1)), "ended": ended,
            "future": label.get("status") == "future", "kind": label.get("kind") or "", "title": label.get("title") or "",
            "period": (f"{readable_date(label['since'])} – {readable_date(label.get('until'))}" if label.get("until")
                       else f"since {readable_date(label['since'])}"),
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
                   period=" – ".join(filter(None, [readable_date(label.get("since")), readable_date(label.get("until"))])),
                   checked_text=readable_date(label.get("checked")))
              for label in answer["labels"]]
    nonce = secrets.token_urlsafe(16)
    html = render_template(
        "outlet.html", answer=answer, outlet=answer["outlet"], labels=labels, graph=ownership_graph(answer),
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
