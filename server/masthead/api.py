"""Flask blueprint: HTTP <-> the library. Every answer is JSON; every error has one shape."""

from __future__ import annotations

import errno
import hashlib
import json
import sqlite3

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from . import __version__, urls
from .context import ContextError, build_context, outlet_card, parse_as_of
from .openapi import openapi_document
from .vocabulary import LABEL_TYPES

__all__ = ["bp", "APIError", "error_response", "state", "query_arg", "query_int", "query_as_of", "json_body", "limit_fetches"]

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_TITLE = 2000
MAX_QUERY_PARAM = 200


def state():
    return current_app.extensions["masthead"]


def error_response(status: int, error: str, detail=None) -> Response:
    response = jsonify({"ok": False, "status": status, "error": error, "detail": detail})
    response.status_code = status
    return response


class APIError(Exception):
    def __init__(self, status: int, error: str, detail=None):
        super().__init__(error)
        self.status, self.error, self.detail = status, error, detail


def json_body() -> dict:
    """The request's JSON object, or a 415/400 that says what to send."""
    if not request.is_json:
        raise APIError(415, "send the entry as JSON (Content-Type: application/json)")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise APIError(400, "the body must be a JSON object")
    return data


def limit_fetches() -> Response | None:
    """A 429 with Retry-After when this client has made the server fetch pages too often; None to go on.

    Only requests that can make the server fetch a page pass through here (and only when it may fetch)."""
    limiter = state().extras.get("fetch_limiter")
    if limiter is None:
        return None
    allowed, wait = limiter.allow(request.remote_addr or "?")
    if allowed:
        return None
    response = error_response(429, f"too many requests from this client; try again in {wait:.1f} s", {"retry_after": round(wait, 1)})
    response.headers["Retry-After"] = str(max(1, round(wait)))
    return response


def query_arg(name: str, required: bool = False, limit: int = MAX_QUERY_PARAM) -> str | None:
    value = request.args.get(name)
    if value is None or value == "":
        if required:
            raise APIError(400, f"missing query parameter '{name}'", {"parameter": name})
        return None
    if len(value) > limit:
        raise APIError(400, f"query parameter '{name}' is {len(value)} characters long; the limit is {limit}", {"parameter": name})
    return value


def query_int(name: str, default: int, low: int, high: int) -> int:
    raw = query_arg(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise APIError(400, f"'{name}' must be a whole number", {"parameter": name}) from None
    if not low <= value <= high:
        raise APIError(400, f"'{name}' must be between {low} and {high}", {"parameter": name})
    return value


@bp.get("/ping")
def ping():
    return jsonify({"ok": True})


@bp.get("/context")
def context():
    url = query_arg("url", required=True, limit=urls.MAX_URL_LENGTH)
    title = query_arg("title", limit=MAX_TITLE)
    limit = query_int("limit", 8, 0, 50)
    s = state()
    if limit and current_app.config.get("FETCH_PAGES"):  # this answer may fetch the reader's page
        refused = limit_fetches()
        if refused is not None:
            return refused
    try:
        answer = build_context(
            s.sources.current(), url, title=title, as_of=query_arg("as_of", limit=40),
            related=s.related if limit else None, limit=limit,
        )
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
    found = registry.outlets.get(outlet_id)
    if found is None:
        raise APIError(404, f"no outlet with id '{outlet_id[:80]}'")
    as_of = query_as_of()
    return jsonify({
        **found.to_dict(as_of),
        "ownership": registry.ownership_chain(found),
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
            oid: {"name": o.name, "badge": card["badge"], "labels": [l["title"] for l in card["labels"]][:3]}
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
    return jsonify({"types": [t.__dict__ for t in LABEL_TYPES.values()]})


@bp.get("/health")
def health():
    s = state()
    registry = s.sources.current()
    body = {
        "ok": s.sources.last_error is None,
        "version": __version__,
        "sources": {
            "file": str(s.sources.path),
            "files": list(registry.files),
            "loaded_at": s.sources.loaded_at,
            "etag": registry.etag,
            "last_reload_error": s.sources.last_error,
            "warnings": len(registry.warnings),
        },
        "counts": registry.counts(),
    }
    if s.corpus_stats is not None:
        body["corpus"] = s.corpus_stats()
    return jsonify(body)


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


def query_as_of() -> str:
    try:
        return parse_as_of(query_arg("as_of", limit=40))
    except ContextError as exc:
        raise APIError(400, str(exc)) from None


def register_error_handlers(app) -> None:
    @app.errorhandler(APIError)
    def _api_error(exc: APIError):
        return error_response(exc.status, exc.error, exc.detail)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return error_response(exc.code or 500, exc.description or exc.name, {"name": exc.name})

    @app.errorhandler(OSError)
    def _storage_error(exc: OSError):
        # A full or read-only disk is the operator's to fix: say so plainly, and that nothing changed.
        where = f" ({exc.filename})" if exc.filename else ""
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            return error_response(507, f"the disk is full{where}; nothing was changed. Free some space and try again", {"errno": exc.errno})
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return error_response(503, f"cannot write{where}: {exc.strerror}; nothing was changed. Check the file system and permissions", {"errno": exc.errno})
        current_app.logger.exception("storage error")
        return error_response(500, f"storage error: {exc.strerror or exc}", {"errno": exc.errno})

    @app.errorhandler(sqlite3.OperationalError)
    def _database_error(exc: sqlite3.OperationalError):
        message = str(exc)
        if "full" in message:
            return error_response(507, "the disk holding the corpus database is full; nothing was changed", None)
        if "readonly" in message or "read-only" in message:
            return error_response(503, "the corpus database is read-only; nothing was changed", None)
        current_app.logger.exception("database error")
        return error_response(503, f"the corpus database is unavailable: {message}", None)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        current_app.logger.exception("unexpected error")
        return error_response(500, "internal error; the server log has the details", None)
