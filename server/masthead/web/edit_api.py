"""Writes through the server: the edit API under /api, the change log and exports (the /edit page is edit_page.py).

Every write needs `Authorization: Bearer <token>` (auth.py) and goes through curation.Curator, so the
API and the page share one path: lock, re-read, validate, atomic write, change log.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, g, jsonify, request
from werkzeug.http import parse_etags

from ..curation import Conflict, Curator, EditError, export_csv, export_document
from .api import APIError, json_body, state
from .auth import require_token
from .openapi import openapi_document, register_paths

__all__ = ["bp", "current_curator"]

bp = Blueprint("curation", __name__, url_prefix="/api")


def current_curator() -> Curator:
    return state().curator


def _if_match() -> list[str] | None:
    header = request.headers.get("If-Match")
    if not header:
        return None
    if header.strip() == "*":
        return ["*"]
    tags = [tag for tag in parse_etags(header) if tag] or [header.strip().strip('"')]
    if not any(tags):  # `If-Match: ""` names no version at all (it was a 500, issue 26)
        raise APIError(400, "If-Match names no version; send the ETag of the version you edited, or leave the header out",
                       {"header": "If-Match"})
    return tags


def _entity(section: str, entry_id: str) -> dict | None:
    registry = state().sources.current()
    store = registry.outlets if section == "outlets" else registry.owners
    found = store.get(entry_id)
    return found.to_dict() if found is not None else None


def _write(action, section: str | None = None, entry_id: str | None = None, status: int = 200):
    """Run one curator action; turn its errors into the API's error shape; answer with the new version."""
    try:
        edited = action()
    except EditError as exc:
        detail = exc.detail if isinstance(exc.detail, dict) else ({"detail": exc.detail} if exc.detail is not None else {})
        if isinstance(exc, Conflict) and "version" in detail and section and entry_id:
            state().sources.reload()
            detail = {**detail, "current": _entity(section, entry_id)}
        raise APIError(exc.status, exc.message, detail) from None
    state().sources.reload()  # this worker answers from the new file at once; others within a second
    body = {
        "ok": True,
        "version": edited.version,
        "changed": edited.changed,
        "change": _change_summary(edited.change) if edited.change else None,
        "warnings": edited.warnings,
    }
    if section and entry_id:
        body[section[:-1]] = _entity(section, entry_id)
    response = jsonify(body)
    response.status_code = status if edited.changed else 200
    response.set_etag(edited.version)
    if status == 201 and section and entry_id:
        response.headers["Location"] = f"/api/{section}/{entry_id}"
    return response


def _change_summary(change: dict, with_diff: bool = True) -> dict:
    keys = ["id", "at", "who", "summary", "file", "before", "after", "undoes", "commit"]
    summary = {k: change.get(k) for k in keys}
    if with_diff:
        summary["diff"] = change.get("diff", "")
    return summary


def _whole(raw: str | None, digits: int) -> int | None:
    """`raw` as a whole number of at most `digits` ASCII digits, else None.

    str.isdigit() alone also accepts digits int() refuses, such as '²', which then failed as a 500."""
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > digits:
        return None
    return int(raw)


def _index(raw: str) -> int:
    index = _whole(raw, 6)
    if index is None:
        raise APIError(404, f"label index must be a whole number, not {raw[:20]!r}")
    return index


# --- the version -------------------------------------------------------------------------------


@bp.get("/sources")
def sources_version():
    curator = current_curator()
    try:
        version = curator.version()
    except OSError as exc:
        raise APIError(503, f"cannot read the source list: {exc.strerror}") from None
    latest = curator.changelog.entries(limit=1)
    response = jsonify({
        "version": version,
        "file": curator.path.name,
        "git_commit": curator.git_commit,
        "last_change": _change_summary(latest[0], with_diff=False) if latest else None,
    })
    response.set_etag(version)
    return response


# --- outlets and owners ------------------------------------------------------------------------


def _who() -> str:
    return g.token_name


@bp.post("/outlets")
@require_token
def create_outlet():
    body = json_body()
    entry_id = body.get("id") if isinstance(body.get("id"), str) else None
    return _write(lambda: current_curator().create("outlets", body, who=_who(), if_match=_if_match()), "outlets", entry_id, 201)


@bp.put("/outlets/<outlet_id>")
@require_token
def replace_outlet(outlet_id: str):
    body = json_body()
    return _write(lambda: current_curator().update("outlets", outlet_id, body, who=_who(), if_match=_if_match()), "outlets", outlet_id)


@bp.patch("/outlets/<outlet_id>")
@require_token
def patch_outlet(outlet_id: str):
    body = json_body()
    return _write(lambda: current_curator().update("outlets", outlet_id, body, who=_who(), if_match=_if_match(), replace=False),
                  "outlets", outlet_id)


@bp.delete("/outlets/<outlet_id>")
@require_token
def delete_outlet(outlet_id: str):
    return _write(lambda: current_curator().delete("outlets", outlet_id, who=_who(), if_match=_if_match()))


@bp.post("/owners")
@require_token
def create_owner():
    body = json_body()
    entry_id = body.get("id") if isinstance(body.get("id"), str) else None
    return _write(lambda: current_curator().create("owners", body, who=_who(), if_match=_if_match()), "owners", entry_id, 201)


@bp.put("/owners/<owner_id>")
@require_token
def replace_owner(owner_id: str):
    body = json_body()
    return _write(lambda: current_curator().update("owners", owner_id, body, who=_who(), if_match=_if_match()), "owners", owner_id)


@bp.patch("/owners/<owner_id>")
@require_token
def patch_owner(owner_id: str):
    body = json_body()
    return _write(lambda: current_curator().update("owners", owner_id, body, who=_who(), if_match=_if_match(), replace=False),
                  "owners", owner_id)


@bp.delete("/owners/<owner_id>")
@require_token
def delete_owner(owner_id: str):
    return _write(lambda: current_curator().delete("owners", owner_id, who=_who(), if_match=_if_match()))


@bp.post("/outlets/<outlet_id>/labels")
@require_token
def add_label(outlet_id: str):
    body = json_body()
    return _write(lambda: current_curator().add_label(outlet_id, body, who=_who(), if_match=_if_match()), "outlets", outlet_id, 201)


@bp.put("/outlets/<outlet_id>/labels/<index>")
@require_token
def replace_label(outlet_id: str, index: str):
    position = _index(index)
    body = json_body()
    return _write(lambda: current_curator().replace_label(outlet_id, position, body, who=_who(), if_match=_if_match()), "outlets", outlet_id)


@bp.delete("/outlets/<outlet_id>/labels/<index>")
@require_token
def delete_label(outlet_id: str, index: str):
    position = _index(index)
    return _write(lambda: current_curator().delete_label(outlet_id, position, who=_who(), if_match=_if_match()), "outlets", outlet_id)


# --- history -----------------------------------------------------------------------------------


@bp.get("/changes")
def changes():
    limit = _whole(request.args.get("limit", "50"), 9)
    if limit is None or not 1 <= limit <= 1000:
        raise APIError(400, "'limit' must be between 1 and 1000", {"parameter": "limit"})
    before = request.args.get("before")
    before_id = _whole(before, 9)
    if before is not None and before_id is None:
        raise APIError(400, "'before' must be a change id", {"parameter": "before"})
    with_diff = request.args.get("diff", "1") != "0"
    entries = current_curator().changelog.entries(limit=limit, before=before_id)
    return jsonify({"count": len(entries), "changes": [_change_summary(e, with_diff) for e in entries]})


@bp.get("/changes/<change_id>")
def change(change_id: str):
    number = _whole(change_id, 9)
    if number is None:
        raise APIError(404, "a change id is a whole number")
    record = current_curator().changelog.get(number)
    if record is None:
        raise APIError(404, f"no change with id {change_id}")
    return jsonify(_change_summary(record))


@bp.post("/changes/<change_id>/undo")
@require_token
def undo(change_id: str):
    number = _whole(change_id, 9)
    if number is None:
        raise APIError(404, "a change id is a whole number")
    return _write(lambda: current_curator().undo(number, who=_who(), if_match=_if_match()))


# --- exports -----------------------------------------------------------------------------------


@bp.get("/outlets.json")
def outlets_json():
    curated_only = request.args.get("curated") == "1"
    body = export_document(state().sources.current(), curated_only=curated_only)
    response = Response(json.dumps(body, ensure_ascii=False, indent=1), mimetype="application/json")
    response.headers["Content-Disposition"] = 'inline; filename="outlets.json"'
    return response


@bp.get("/outlets.csv")
def outlets_csv():
    curated_only = request.args.get("curated") == "1"
    text = export_csv(state().sources.current(), curated_only=curated_only)
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="outlets.csv"'
    return response


# --- the OpenAPI description -------------------------------------------------------------------


def _json_body(description: str) -> dict:
    return {"required": True, "description": description, "content": {"application/json": {"schema": {"type": "object"}}}}


def _resp(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"type": "object"}}}}


_ERR = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
             "description": "the version (ETag) you read; a different current version gives 409"}
_WRITE_ERRORS = {"400": _ERR, "401": _ERR, "404": _ERR, "409": _ERR, "415": _ERR, "422": _ERR}


def _path_param(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _write_op(summary: str, body: str | None, params: list[dict], ok: str = "200") -> dict:
    op = {"summary": summary + " (needs `Authorization: Bearer <token>`)", "parameters": params + [_IF_MATCH],
          "responses": {ok: _resp("the new version, the change and the entry"), **_WRITE_ERRORS}}
    if body:
        op["requestBody"] = _json_body(body)
    return op


def _register_openapi() -> None:
    base = openapi_document()["paths"]
    outlet, owner = _path_param("outlet_id"), _path_param("owner_id")
    index, change_id = _path_param("index"), _path_param("change_id")
    register_paths({
        "/api/sources": {"get": {"summary": "The source list's current version (ETag) for If-Match",
                                 "responses": {"200": _resp("version"), "503": _ERR}}},
        "/api/outlets": {**base["/api/outlets"], "post": _write_op("Add an outlet", "the outlet, as in sources.yaml", [], "201")},
        "/api/outlets/{outlet_id}": {
            **base["/api/outlets/{outlet_id}"],
            "put": _write_op("Replace an outlet", "the whole outlet", [outlet]),
            "patch": _write_op("Change some fields of an outlet (JSON merge patch; null removes a field)", "the fields to change", [outlet]),
            "delete": _write_op("Delete an outlet", None, [outlet]),
        },
        "/api/owners": {**base["/api/owners"], "post": _write_op("Add an owner", "the owner, as in sources.yaml", [], "201")},
        "/api/owners/{owner_id}": {
            **base["/api/owners/{owner_id}"],
            "put": _write_op("Replace an owner", "the whole owner", [owner]),
            "patch": _write_op("Change some fields of an owner", "the fields to change", [owner]),
            "delete": _write_op("Delete an owner (422 while outlets or owners refer to it)", None, [owner]),
        },
        "/api/outlets/{outlet_id}/labels": {"post": _write_op("Add a label to an outlet", "the label", [outlet], "201")},
        "/api/outlets/{outlet_id}/labels/{index}": {
            "put": _write_op("Replace an outlet's label (0-based index)", "the label", [outlet, index]),
            "delete": _write_op("Delete an outlet's label (0-based index)", None, [outlet, index]),
        },
        "/api/changes": {"get": {
            "summary": "Changes made through the server, newest first",
            "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
                           {"name": "before", "in": "query", "schema": {"type": "integer"}},
                           {"name": "diff", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]}}],
            "responses": {"200": _resp("{count, changes: [{id, at, who, summary, diff, ...}]}"), "400": _ERR},
        }},
        "/api/changes/{change_id}": {"get": {"summary": "One change with its diff", "parameters": [change_id],
                                             "responses": {"200": _resp("the change"), "404": _ERR}}},
        "/api/changes/{change_id}/undo": {"post": _write_op("Undo a change, if it still applies cleanly (409 otherwise)", None, [change_id])},
        "/api/outlets.json": {"get": {"summary": "Export the outlets and owners as JSON",
                                      "parameters": [{"name": "curated", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]}}],
                                      "responses": {"200": _resp("{version, owners, outlets}")}}},
        "/api/outlets.csv": {"get": {"summary": "Export the outlets as CSV, one row per outlet",
                                     "parameters": [{"name": "curated", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]}}],
                                     "responses": {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}}}},
    })


_register_openapi()
