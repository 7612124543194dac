"""The read API: /api/context (the whole answer for a page), outlets, owners, the domain map, labels, health."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, request

from .. import __version__, urls
from ..context import ContextError, outlet_card
from ..registry.audit import list_freshness
from ..registry.vocabulary import BADGE_KINDS, LABEL_TYPES, vocabulary_document
from .api import LOOKUP_LIMITER, APIError, outlet_or_404, limit_fetches, query_arg, query_as_of, query_int, state
from .openapi import openapi_document

__all__ = ["bp"]

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_TITLE = 2000


@bp.get("/ping")
def ping():
    return jsonify({"ok": True})


@bp.get("/context")
def context():
    url = query_arg("url", required=True, limit=urls.MAX_URL_LENGTH)
    title = query_arg("title", limit=MAX_TITLE)
    limit = query_int("limit", 8, 0, 50)
    if limit and current_app.config.get("FETCH_PAGES"):  # this answer may fetch the reader's page
        refused = limit_fetches()
        if refused is not None:
            return refused
    if limit and title:  # a title is words to search and a sentence to encode: each client's share is bounded
        refused = limit_fetches(LOOKUP_LIMITER)
        if refused is not None:
            return refused
    try:
        answer = state().answer(url, title=title, as_of=query_arg("as_of", limit=40), limit=limit)
    except urls.NotAWebPage as exc:
        raise APIError(422, str(exc), {"url": url[:200]}) from None
    except (urls.URLError, ContextError) as exc:
        raise APIError(400, str(exc), {"url": url[:200]}) from None
    return jsonify(answer)


@bp.get("/outlets")
def outlets():
    registry = state().sources.current()
    as_of = query_as_of()
    country = query_arg("country")
    label = query_arg("label")
    query = (query_arg("q") or "").lower()
    if label and label not in LABEL_TYPES:
        raise APIError(400, f"unknown label type '{label}'", {"known": sorted(LABEL_TYPES)})
    found = []
    for outlet in registry.outlets.values():
        if country and outlet.country != country.upper():
            continue
        if label and not any(l.type == label for l in outlet.labels):
            continue
        if query and query not in outlet.name.lower() and query not in outlet.id and not any(query in d for d in outlet.domains):
            continue
        found.append({**outlet_card(registry, outlet, as_of), "domains": list(outlet.domains)})
    found.sort(key=lambda o: o["name"].lower())
    return jsonify({"count": len(found), "outlets": found})


@bp.get("/outlets/<outlet_id>")
def outlet(outlet_id: str):
    registry = state().sources.current()
    found = outlet_or_404(registry, outlet_id)
    as_of = query_as_of()
    return jsonify({
        **found.to_dict(as_of),
        "ownership": registry.ownership_chain(found),
        "funding": registry.funding(found),
        "control_model": outlet_card(registry, found, as_of)["control_model"],
    })


@bp.get("/owners")
def owners():
    registry = state().sources.current()
    return jsonify({"count": len(registry.owners), "owners": [o.to_dict() for o in registry.owners.values()]})


@bp.get("/owners/<owner_id>")
def owner(owner_id: str):
    registry = state().sources.current()
    found = registry.owners.get(owner_id)
    if found is None:
        raise APIError(404, f"no owner with id '{owner_id[:80]}'")
    owned = [o.id for o in registry.outlets.values() if any(link.owner == owner_id for link in o.owners)]
    return jsonify({**found.to_dict(), "outlets": owned})


@bp.get("/domains")
def domains():
    """The outlet domain map for matching in the browser, revalidated with ETag."""
    registry = state().sources.current()
    as_of = query_as_of()
    # The map depends only on the loaded list and the date: answer a revalidation before building it.
    etag = hashlib.sha256((registry.etag + as_of).encode()).hexdigest()[:32]
    if request.if_none_match and etag in request.if_none_match:
        response = Response(status=304)
        response.set_etag(etag)
        return response
    body = {
        "version": registry.etag,
        **registry.domain_map(),
        "outlets": {
            oid: {
                "name": o.name,
                "badge": card["badge"],
                "badge_kind": BADGE_KINDS.get(card["badge"]) if card["badge"] else None,
                # Who issued the first labels and since when: the tooltips of labels next to links.
                # An assessment is dated by its edition instead (issue 24).
                "labels": [{"title": l["title"], "issuer": l["issuer"], "since": l["since"],
                            **({"as_of": l["as_of"]} if l["date_kind"] == "as_of" else {})} for l in card["labels"]][:3],
            }
            for oid, o in registry.outlets.items()
            for card in [outlet_card(registry, o, as_of)]
        },
    }
    response = Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/labels")
def labels():
    return jsonify(vocabulary_document())


@bp.get("/health")
def health():
    s = state()
    registry = s.sources.current()
    # Paths relative to the list's folder: anyone on loopback can read this, and an absolute path tells
    # them the user's name and layout (issue 13).
    base = str(Path(s.sources.path).resolve().parent) + os.sep

    def relative(text):
        return text.replace(base, "") if isinstance(text, str) else text

    error = s.sources.last_error
    if error:
        error = {**error, "problems": [{**p, "file": relative(p.get("file")), "message": relative(p.get("message"))}
                                       for p in error.get("problems", [])]}
    body = {
        "ok": s.sources.last_error is None,
        "version": __version__,
        "sources": {
            "file": Path(s.sources.path).name,
            "files": [relative(str(Path(f).resolve())) for f in registry.files],
            "loaded_at": s.sources.loaded_at,
            "etag": registry.etag,
            "last_reload_error": error,
            "warnings": len(registry.warnings),
        },
        "counts": registry.counts(),
        "lists": list_freshness(registry),
    }
    body["corpus"] = s.corpus_stats()
    body["follow"] = s.follow_health()
    return jsonify(body)


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())
