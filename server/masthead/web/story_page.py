"""GET /stories?url=: the whole story a page reports, linked from the popup: same-event and earlier or later coverage
on one timeline, each outlet with its labels and control model, wire copies folded under the report they repeat.
Printable; no scripts. Counts and dates only, no verdict."""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, render_template

from .. import __version__, urls
from ..context import ContextError
from ..registry.vocabulary import CONTROL_MODEL_TITLES
from .api import APIError, query_arg, state
from .outlet_page import readable_date

__all__ = ["bp"]

bp = Blueprint("story_page", __name__)


def _model(model_id: str) -> str:
    return CONTROL_MODEL_TITLES.get(model_id, (model_id, model_id))[1]


def _when(published: str | None) -> str:
    if not published:
        return ""
    day = readable_date(str(published)[:10])
    time = str(published)[11:16]
    return f"{day}, {time}" if len(time) == 5 and time != "00:00" else day


def _entry(item: dict, kind: str, kind_text: str) -> dict:
    outlet = item.get("outlet") or {}
    return {"kind": kind, "kind_text": kind_text, "url": item["url"], "title": item.get("title"),
            "published": item.get("published"), "when": _when(item.get("published")),
            "outlet_name": outlet.get("name") or item.get("site_name") or item.get("registered_domain") or "",
            "control_model": _model(item.get("control_model", "unknown")),
            "labels": [label for label in item.get("labels", []) if label.get("status", "active") == "active"][:3],
            "copies": [dict(copy, control_model=_model(copy["control_model"])) for copy in item.get("copies", [])]}


def timeline(answer: dict) -> list[dict]:
    """The page, its same-event coverage and the story at other times, oldest first (undated last)."""
    page = {"url": answer["url"], "title": None, "published": answer.get("published"), "outlet": answer["outlet"],
            "site_name": answer["display_host"], "control_model": answer["control_model"], "labels": answer["labels"]}
    entries = [_entry(page, "this-page", "this page")]
    entries += [_entry(item, "same-event", "same event") for item in answer["related"]]
    published = str(answer.get("published") or answer["as_of"])
    for item in answer["background"]:
        entries.append(_entry(item, "background", "earlier" if str(item.get("published") or "") < published else "later"))
    return sorted(entries, key=lambda e: (e["published"] is None, str(e["published"] or "")))


@bp.get("/stories")
def story_page():
    url = query_arg("url", required=True, limit=urls.MAX_URL_LENGTH)
    try:
        answer = state().story(url, title=query_arg("title", limit=2000), as_of=query_arg("as_of", limit=40))
    except urls.NotAWebPage as exc:
        raise APIError(422, str(exc), {"url": url[:200]}) from None
    except (urls.URLError, ContextError) as exc:
        raise APIError(400, str(exc), {"url": url[:200]}) from None
    coverage = answer["coverage"]
    summary, first = "", None
    if coverage:
        parts = [f"{n} {_model(model).lower()}" for model, n in coverage["by_control_model"].items()]
        summary = f"{coverage['outlets']} outlet{'s' if coverage['outlets'] != 1 else ''}: " + " · ".join(parts)
        if coverage["first"]:
            first = {"name": coverage["first"]["name"], "when": _when(coverage["first"]["published"])}
    nonce = secrets.token_urlsafe(16)
    html = render_template("story.html", answer=answer, entries=timeline(answer), summary=summary, first=first,
                           page_outlet=(answer["outlet"] or {}).get("name"), as_of=readable_date(answer["as_of"]),
                           nonce=nonce, app_version=__version__)
    response = Response(html, mimetype="text/html")
    # Nothing runs on this page and nothing loads from elsewhere: styles by nonce, no script source at all.
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
