"""The /edit page: a form for one outlet, posted back to the same curator as the edit API. No scripts."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Blueprint, Response, render_template, request, url_for

from .. import __version__, urls
from ..curation import EditError, Invalid, YamlDoc, to_plain
from ..registry.vocabulary import COUNTRIES, LABEL_TYPES, OWNER_KINDS
from ..service import WRITE
from ..untrusted import without_surrogates
from .api import error_response, state
from .auth import bearer, identify
from .edit_api import current_curator

__all__ = ["bp"]

bp = Blueprint("edit_page", __name__)


# --- the /edit page ----------------------------------------------------------------------------

OUTLET_TEXT_FIELDS = ("name", "homepage", "country", "owner", "ownership_note", "funding", "note")
LABEL_TEXT_FIELDS = ("type", "issuer", "jurisdiction", "since", "until", "as_of", "instrument", "note", "checked")
LABEL_URL_FIELDS = ("sources", "until_sources")  # where the label and, once it ended, its end are documented
LABEL_FORM_FIELDS = LABEL_TEXT_FIELDS + LABEL_URL_FIELDS
# A new owner, created in the same submission as the outlet it owns (issue 15): no API call needed first.
NEW_OWNER_FIELDS = ("new_owner_name", "new_owner_id", "new_owner_kind", "new_owner_country", "new_owner_sources")


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
    form.update(dict.fromkeys(NEW_OWNER_FIELDS, ""))
    form["labels"] = []
    for i, label in enumerate(entry.get("labels") or []):
        row = {key: str(label.get(key) or "") for key in LABEL_TEXT_FIELDS}
        for field in LABEL_URL_FIELDS:
            row[field] = "\n".join(label.get(field) or [])
        row["key"] = str(i)
        row["extra"] = {k: v for k, v in label.items() if k not in LABEL_FORM_FIELDS}
        form["labels"].append(row)
    return form


def _prefill(domain: str) -> dict:
    host = urls.strip_alias_prefix(urls.normalise_host(domain))
    slug = host.replace(".", "-").strip("-")[:80]
    return {"id": slug, "name": "", "homepage": f"https://{host}/", "country": "", "owner": "", "ownership_note": "",
            "funding": "", "note": "", "languages": "", "domains": host, "mirrors": [], "owner_sources": "",
            "owners_list": [], "labels": [], **dict.fromkeys(NEW_OWNER_FIELDS, "")}


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())[:80]


def _new_owner(form: dict) -> dict | None:
    """The owner the page is asked to create with the outlet, as the file stores it; None when none."""
    name = form.get("new_owner_name", "").strip()
    if not name:
        return None
    owner = {"id": form.get("new_owner_id", "").strip() or _slug(name), "name": name,
             "kind": form.get("new_owner_kind", "").strip() or None, "country": form.get("new_owner_country", "").strip() or None}
    sources = (form.get("new_owner_sources") or "").split()
    if sources:
        owner["sources"] = sources
    return {k: v for k, v in owner.items() if v}


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


@bp.get("/edit")
def edit_page():
    state().warm()  # this worker parses its editor's document while the person fills in the form
    curator = current_curator()
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

    curator = current_curator()
    doc = YamlDoc(curator.path.read_text(encoding="utf-8"), curator.path.name)
    index = doc.index_of("outlets", outlet_id)
    # The file on disk may hold what the loader refuses (a hand-edited "\\ud800"): shown as U+FFFD, not a 500.
    return without_surrogates(to_plain(doc.section("outlets")[index])) if index is not None else None


def _imported_as_entry(outlet) -> dict:
    data = outlet.to_dict()
    entry = {k: data[k] for k in ("id", "name", "homepage", "country", "languages", "note") if data.get(k)}
    entry["domains"] = list(outlet.domains)
    entry["labels"] = [
        {k: v for k, v in label.items() if k in ("type", "issuer", "jurisdiction", "since", "until", "as_of", "instrument",
                                                 "sources", "note", "in_response_to", "list", "retrieved", "checked", "until_sources") and v}
        for label in data["labels"] if not label.get("inherited_from")  # the parent's labels stay the parent's
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


@bp.post("/edit")
def edit_submit():
    if not _same_origin():
        return error_response(403, "the edit form only accepts posts from its own page")
    form_data = request.form
    existing_id = form_data.get("existing", "")[:80]
    existing = _curated_entry(existing_id) if existing_id else None
    form = _form_from_post(form_data, existing)
    version = form_data.get("version", "")
    found = identify(form_data.get("token", "").strip() or bearer(request.headers.get("Authorization")))
    if isinstance(found, float):  # too many wrong tokens from this client (issue 26)
        return _render(form, existing=bool(existing), status=429, version=version,
                       errors={"token": f"Too many wrong tokens from here; try again in {found:.0f} s."}, general=[])
    who = found[0] if found and found[1] == WRITE else None
    if who is None:
        return _render(form, existing=bool(existing), status=401, version=version,
                       errors={"token": "This token is not known to the server."},
                       general=["Paste your write token (from `masthead token --show`) to save."])
    values, label_keys = _values_from_form(form, existing)
    new_owner = _new_owner(form)
    if new_owner and not form["owners_list"]:
        values["owner"] = new_owner["id"]
        form["owner"] = new_owner["id"]
    curator = current_curator()
    if_match = [version] if version else None
    try:
        if new_owner and existing:
            curator.create("owners", new_owner, who=who, if_match=if_match)
            edited = curator.update("outlets", existing_id, values, who=who, replace=False)
        elif new_owner:
            edited = curator.create_together([("owners", new_owner), ("outlets", values)], who=who, if_match=if_match)
        elif existing:
            edited = curator.update("outlets", existing_id, values, who=who, if_match=if_match, replace=False)
        else:
            edited = curator.create("outlets", values, who=who, if_match=if_match)
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
    for key in NEW_OWNER_FIELDS:
        form[key] = data.get(key, "").strip()
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
        for field in LABEL_URL_FIELDS:
            urls_given = [s for s in (row.get(field) or "").split() if s]
            if urls_given:
                label[field] = urls_given
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
