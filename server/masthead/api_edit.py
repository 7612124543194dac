"""Writes through the server: the edit API under /api, the change log, exports, and the /edit page.

Every write needs `Authorization: Bearer <token>` (auth.py) and goes through curation.Curator, so the
API and the page share one path: lock, re-read, validate, atomic write, change log.
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, Response, g, jsonify, render_template, request, url_for
from werkzeug.http import parse_etags

from . import __version__, urls
from .api import APIError, error_response, json_body, state
from .auth import TokenStore, bearer, require_token
from .curation import Conflict, Curator, EditError, Invalid, to_plain
from .importers import export_csv, export_document
from .openapi import openapi_document, register_paths
from .vocabulary import COUNTRIES, LABEL_TYPES, OWNER_KINDS

__all__ = ["bp", "edit_bp", "attach"]

bp = Blueprint("curation", __name__, url_prefix="/api")
edit_bp = Blueprint("edit_page", __name__)


def attach(app, app_state) -> None:
    """Wire the curation layer into an app: tokens, the curator, the blueprints."""
    settings = app_state.settings
    app_state.extras["tokens"] = TokenStore(settings)
    app_state.extras["curator"] = Curator(app_state.sources.path, git_commit=bool(settings.get("GIT_COMMIT")))
    app.register_blueprint(bp)
    app.register_blueprint(edit_bp)


def _curator() -> Curator:
    return state().extras["curator"]


def _if_match() -> list[str] | None:
    header = request.headers.get("If-Match")
    if not header:
        return None
    if header.strip() == "*":
        return ["*"]
    tags = parse_etags(header)
    return [tag for tag in tags] or [header.strip().strip('"')]


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
    curator = _curator()
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
    return _write(lambda: _curator().create("outlets", body, who=_who(), if_match=_if_match()), "outlets", entry_id, 201)


@bp.put("/outlets/<outlet_id>")
@require_token
def replace_outlet(outlet_id: str):
    body = json_body()
    return _write(lambda: _curator().update("outlets", outlet_id, body, who=_who(), if_match=_if_match()), "outlets", outlet_id)


@bp.patch("/outlets/<outlet_id>")
@require_token
def patch_outlet(outlet_id: str):
    body = json_body()
    return _write(lambda: _curator().update("outlets", outlet_id, body, who=_who(), if_match=_if_match(), replace=False),
                  "outlets", outlet_id)


@bp.delete("/outlets/<outlet_id>")
@require_token
def delete_outlet(outlet_id: str):
    return _write(lambda: _curator().delete("outlets", outlet_id, who=_who(), if_match=_if_match()))


@bp.post("/owners")
@require_token
def create_owner():
    body = json_body()
    entry_id = body.get("id") if isinstance(body.get("id"), str) else None
    return _write(lambda: _curator().create("owners", body, who=_who(), if_match=_if_match()), "owners", entry_id, 201)


@bp.put("/owners/<owner_id>")
@require_token
def replace_owner(owner_id: str):
    body = json_body()
    return _write(lambda: _curator().update("owners", owner_id, body, who=_who(), if_match=_if_match()), "owners", owner_id)


@bp.patch("/owners/<owner_id>")
@require_token
def patch_owner(owner_id: str):
    body = json_body()
    return _write(lambda: _curator().update("owners", owner_id, body, who=_who(), if_match=_if_match(), replace=False),
                  "owners", owner_id)


@bp.delete("/owners/<owner_id>")
@require_token
def delete_owner(owner_id: str):
    return _write(lambda: _curator().delete("owners", owner_id, who=_who(), if_match=_if_match()))


@bp.post("/outlets/<outlet_id>/labels")
@require_token
def add_label(outlet_id: str):
    body = json_body()
    return _write(lambda: _curator().add_label(outlet_id, body, who=_who(), if_match=_if_match()), "outlets", outlet_id, 201)


@bp.put("/outlets/<outlet_id>/labels/<index>")
@require_token
def replace_label(outlet_id: str, index: str):
    position = _index(index)
    body = json_body()
    return _write(lambda: _curator().replace_label(outlet_id, position, body, who=_who(), if_match=_if_match()), "outlets", outlet_id)


@bp.delete("/outlets/<outlet_id>/labels/<index>")
@require_token
def delete_label(outlet_id: str, index: str):
    position = _index(index)
    return _write(lambda: _curator().delete_label(outlet_id, position, who=_who(), if_match=_if_match()), "outlets", outlet_id)


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
    entries = _curator().changelog.entries(limit=limit, before=before_id)
    return jsonify({"count": len(entries), "changes": [_change_summary(e, with_diff) for e in entries]})


@bp.get("/changes/<change_id>")
def change(change_id: str):
    number = _whole(change_id, 9)
    if number is None:
        raise APIError(404, "a change id is a whole number")
    record = _curator().changelog.get(number)
    if record is None:
        raise APIError(404, f"no change with id {change_id}")
    return jsonify(_change_summary(record))


@bp.post("/changes/<change_id>/undo")
@require_token
def undo(change_id: str):
    number = _whole(change_id, 9)
    if number is None:
        raise APIError(404, "a change id is a whole number")
    return _write(lambda: _curator().undo(number, who=_who(), if_match=_if_match()))


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


# --- the /edit page ----------------------------------------------------------------------------

OUTLET_TEXT_FIELDS = ("name", "homepage", "country", "owner", "ownership_note", "funding", "note")
LABEL_TEXT_FIELDS = ("type", "issuer", "jurisdiction", "since", "until", "instrument", "note")
LABEL_FORM_FIELDS = LABEL_TEXT_FIELDS + ("sources",)


def _page_headers(response: Response, nonce: str) -> Response:
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"  # a strict policy makes browsers send `Origin: null` on the form post
    response.headers["Cache-Control"] = "no-store"
    return response


def _lines(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").replace(",", "\n").splitlines() if part.strip()]


def _form_from_entry(entry: dict) -> dict:
    """The page's fields from an outlet as stored in the file."""
    form = {key: entry.get(key) or "" for key in OUTLET_TEXT_FIELDS}
    form["id"] = entry.get("id", "")
    form["languages"] = ", ".join(entry.get("languages") or [])
    domains = entry.get("domains") or []
    form["domains"] = "\n".join(d for d in domains if isinstance(d, str))
    form["mirrors"] = [d for d in domains if isinstance(d, dict)]
    form["owner_sources"] = "\n".join(entry.get("owner_sources") or [])
    form["owners_list"] = entry.get("owners") or []
    form["labels"] = []
    for i, label in enumerate(entry.get("labels") or []):
        row = {key: str(label.get(key) or "") for key in LABEL_TEXT_FIELDS}
        row["sources"] = "\n".join(label.get("sources") or [])
        row["key"] = str(i)
        row["extra"] = {k: v for k, v in label.items() if k not in LABEL_FORM_FIELDS}
        form["labels"].append(row)
    return form


def _prefill(domain: str) -> dict:
    host = urls.strip_alias_prefix(urls.normalise_host(domain))
    slug = host.replace(".", "-").strip("-")[:80]
    return {"id": slug, "name": "", "homepage": f"https://{host}/", "country": "", "owner": "", "ownership_note": "",
            "funding": "", "note": "", "languages": "", "domains": host, "mirrors": [], "owner_sources": "",
            "owners_list": [], "labels": []}


def _render(form: dict, *, existing: bool, status: int = 200, errors: dict | None = None, general: list | None = None,
            message: str | None = None, version: str = "", notice: str | None = None) -> Response:
    nonce = secrets.token_urlsafe(16)
    registry = state().sources.current()
    html = render_template(
        "edit.html", form=form, existing=existing, errors=errors or {}, general=general or [], message=message,
        notice=notice, version=version, nonce=nonce, label_types=list(LABEL_TYPES.values()),
        owners=sorted(registry.owners.values(), key=lambda o: o.name.lower()), countries=sorted(COUNTRIES),
        owner_kinds=OWNER_KINDS, app_version=__version__,
    )
    return _page_headers(Response(html, status=status, mimetype="text/html"), nonce)


@edit_bp.get("/edit")
def edit_page():
    curator = _curator()
    outlet_id = (request.args.get("outlet") or "")[:80]
    domain = (request.args.get("domain") or "")[:253]
    version = curator.version()
    if outlet_id:
        entry = _curated_entry(outlet_id)
        if entry is None:
            registry = state().sources.current()
            imported = registry.outlets.get(outlet_id)
            notice = (f"'{outlet_id}' comes from an imported list ({imported.source_file.rsplit('/', 1)[-1]}); "
                      "saving here adds a curated entry that takes its place.") if imported else None
            if imported is None:
                return _render(_prefill("example.com") | {"id": outlet_id, "domains": ""}, existing=False, status=404,
                               general=[f"There is no outlet '{outlet_id}'. You can add it below."], version=version)
            form = _form_from_entry(_imported_as_entry(imported))
            return _render(form, existing=False, notice=notice, version=version)
        return _render(_form_from_entry(entry), existing=True, version=version,
                       message=f"Saved as change {request.args['saved']}." if request.args.get("saved", "").isdigit() else None)
    form = _prefill("example.com") | {"id": "", "domains": "", "homepage": ""}
    notice = None
    if domain:
        try:
            form = _prefill(domain)
        except urls.URLError as exc:
            return _render(form, existing=False, status=400, general=[f"'{domain[:80]}' is not a domain: {exc}"], version=version)
        match = state().sources.current().match_url(f"https://{form['domains']}/")
        if match is not None:
            notice = f"{form['domains']} already belongs to the outlet '{match.outlet.name}' ({match.outlet.id})."
    return _render(form, existing=False, notice=notice, version=version)


def _curated_entry(outlet_id: str) -> dict | None:
    from .curation import YamlDoc

    curator = _curator()
    doc = YamlDoc(curator.path.read_text(encoding="utf-8"), curator.path.name)
    index = doc.index_of("outlets", outlet_id)
    return to_plain(doc.section("outlets")[index]) if index is not None else None


def _imported_as_entry(outlet) -> dict:
    data = outlet.to_dict()
    entry = {k: data[k] for k in ("id", "name", "homepage", "country", "languages", "note") if data.get(k)}
    entry["domains"] = list(outlet.domains)
    entry["labels"] = [
        {k: v for k, v in label.items() if k in ("type", "issuer", "jurisdiction", "since", "until", "instrument",
                                                 "sources", "note", "in_response_to", "list", "retrieved", "checked", "until_sources") and v}
        for label in data["labels"]
    ]
    return entry


def _same_origin() -> bool:
    # Sec-Fetch-Site is set by the browser itself (a page cannot forge it); Origin may be "null"
    # under a strict referrer policy, so the fetch metadata decides when it is present.
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host


@edit_bp.post("/edit")
def edit_submit():
    if not _same_origin():
        return error_response(403, "the edit form only accepts posts from its own page")
    form_data = request.form
    existing_id = form_data.get("existing", "")[:80]
    existing = _curated_entry(existing_id) if existing_id else None
    form = _form_from_post(form_data, existing)
    version = form_data.get("version", "")
    store: TokenStore = state().extras["tokens"]
    who = store.who(form_data.get("token", "").strip() or bearer(request.headers.get("Authorization")))
    if who is None:
        return _render(form, existing=bool(existing), status=401, version=version,
                       errors={"token": "This token is not known to the server."},
                       general=["Paste your write token (from `masthead token --show`) to save."])
    values, label_keys = _values_from_form(form, existing)
    curator = _curator()
    try:
        if existing:
            edited = curator.update("outlets", existing_id, values, who=who, if_match=[version] if version else None, replace=False)
        else:
            edited = curator.create("outlets", values, who=who, if_match=[version] if version else None)
    except Invalid as exc:
        errors, general = _field_errors(exc.detail, label_keys)
        return _render(form, existing=bool(existing), status=422, errors=errors, general=[exc.message] + general, version=version)
    except EditError as exc:
        current = curator.version()
        return _render(form, existing=bool(existing), status=exc.status, general=[exc.message], version=current if exc.status != 409 else version,
                       notice="Someone changed the list since you opened this page: reload it to see their change, then edit again." if exc.status == 409 else None)
    state().sources.reload()
    change_id = edited.change["id"] if edited.change else ""
    response = Response(status=303)
    response.headers["Location"] = url_for("edit_page.edit_page", outlet=values["id"], saved=change_id)
    return response


def _form_from_post(data, existing: dict | None) -> dict:
    form = {key: data.get(key, "").strip() for key in OUTLET_TEXT_FIELDS}
    form["id"] = (existing or {}).get("id") or data.get("id", "").strip()
    form["languages"] = data.get("languages", "").strip()
    form["domains"] = data.get("domains", "").strip()
    form["owner_sources"] = data.get("owner_sources", "").strip()
    domains = (existing or {}).get("domains") or []
    form["mirrors"] = [d for d in domains if isinstance(d, dict)]
    form["owners_list"] = (existing or {}).get("owners") or []
    old_labels = (existing or {}).get("labels") or []
    form["labels"] = []
    keys = [str(i) for i in range(len(old_labels))] + ["new"]
    for key in keys:
        row = {field: data.get(f"labels-{key}-{field}", "").strip() for field in LABEL_FORM_FIELDS}
        row["key"] = key
        row["delete"] = data.get(f"labels-{key}-delete") == "1"
        row["extra"] = ({k: v for k, v in old_labels[int(key)].items() if k not in LABEL_FORM_FIELDS}
                        if key != "new" else {})
        if key == "new" and not any(row[f] for f in LABEL_FORM_FIELDS):
            continue
        form["labels"].append(row)
    return form


def _values_from_form(form: dict, existing: dict | None) -> tuple[dict, list[str]]:
    """The outlet as the file stores it; fields the page does not show (feeds, paths, mirrors, ...) are kept."""
    values: dict = {"id": form["id"]}
    for key in OUTLET_TEXT_FIELDS:
        if key == "owner" and form["owners_list"]:
            continue  # several owners with shares: edited in the file, not here
        values[key] = form[key] or None
    values["languages"] = _lines(form["languages"]) or None
    typed = _lines(form["domains"])
    kept = []
    for entry in (existing or {}).get("domains") or []:
        if isinstance(entry, dict) or entry in typed:
            kept.append(entry)
    kept += [d for d in typed if d not in kept]
    values["domains"] = kept or None
    if not form["owners_list"]:
        values["owner_sources"] = form["owner_sources"].split() or None
    labels, keys = [], []
    for row in form["labels"]:
        if row.get("delete"):
            continue
        label = dict(row["extra"])
        for field in LABEL_TEXT_FIELDS:
            if row[field]:
                label[field] = row[field]
        sources = [s for s in (row["sources"] or "").split() if s]
        if sources:
            label["sources"] = sources
        labels.append(label)
        keys.append(row["key"])
    values["labels"] = labels or None
    return values, keys


def _field_errors(detail, label_keys: list[str]) -> tuple[dict, list[str]]:
    errors: dict[str, str] = {}
    general: list[str] = []
    for problem in (detail or {}).get("problems", []):
        text = problem["message"] + (f" ({problem['hint']})" if problem.get("hint") else "")
        where = problem.get("field")
        if where == "id" and "has no owner" in problem["message"]:
            where = "owner"  # the validator points at the id; the fix is in the ownership fields
        name = None
        if where:
            parts = where.split(".")
            if parts[0] == "labels" and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(label_keys):
                field = parts[2] if len(parts) > 2 and parts[2] in LABEL_FORM_FIELDS else "type"
                name = f"labels-{label_keys[int(parts[1])]}-{field}"
            elif parts[0] in ("domains", "languages", "owner_sources", "id") or parts[0] in OUTLET_TEXT_FIELDS:
                name = parts[0]
        if name:
            errors[name] = errors[name] + " " + text if name in errors else text
        else:
            general.append(text)
    return errors, general
