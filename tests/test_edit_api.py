"""The edit API, the change log, exports and the /edit page: in-process and against a real server on loopback."""

from __future__ import annotations

import csv
import io
import json
import re
import stat

import pytest
import requests

from servers import RunningServer
from masthead.web.app import create_app
from masthead.service import add_token
from masthead.registry import load

TOKEN = "test-token-0123456789abcdef"
ALICE = "alice-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
AS_ALICE = {"Authorization": f"Bearer {ALICE}"}
OUTLET = {"id": "new-daily", "name": "New Daily", "country": "DE", "domains": ["newdaily.example"],
          "owner": "reader-trust", "owner_sources": ["https://newdaily.example/impressum"]}
LABEL = {"type": "blocked", "issuer": "Roskomnadzor", "jurisdiction": "RU", "since": "2022-03-04",
         "sources": ["https://example.org/rkn/newdaily"]}


@pytest.fixture
def edit_app(sources_copy, tmp_path):
    config = tmp_path / "config"
    add_token({"CONFIG_DIR": str(config)}, "alice", ALICE)
    return create_app({"SOURCES": str(sources_copy), "DB": str(tmp_path / "corpus.db"), "SOURCES_CHECK_INTERVAL": 0,
                       "TESTING": True, "TOKEN": TOKEN, "CONFIG_DIR": str(config)})


@pytest.fixture
def api(edit_app):
    return edit_app.test_client()


# --- auth --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method,path", [
    ("post", "/api/outlets"), ("put", "/api/outlets/freepress"), ("patch", "/api/outlets/freepress"),
    ("delete", "/api/outlets/freepress"), ("post", "/api/owners"), ("patch", "/api/owners/gov-xa"),
    ("delete", "/api/owners/gov-xa"), ("post", "/api/outlets/freepress/labels"),
    ("put", "/api/outlets/freepress/labels/0"), ("delete", "/api/outlets/freepress/labels/0"),
    ("post", "/api/changes/1/undo"),
])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": TOKEN},
                                     {"Cookie": f"token={TOKEN}"}])
def test_writes_need_a_bearer_token(api, sources_copy, method, path, headers):
    before = sources_copy.read_bytes()
    response = getattr(api, method)(path, json={"name": "x"}, headers=headers)
    assert response.status_code == 401
    body = response.get_json()
    assert body["ok"] is False and body["status"] == 401 and "Bearer" in body["error"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert sources_copy.read_bytes() == before


def test_reads_need_no_token(api):
    assert api.get("/api/changes").status_code == 200
    assert api.get("/api/sources").status_code == 200
    assert api.get("/api/outlets.json").status_code == 200


# --- outlets, owners, labels -------------------------------------------------------------------


def test_create_change_and_delete_an_outlet(api, sources_copy):
    created = api.post("/api/outlets", json=OUTLET, headers=AS_ALICE)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["outlet"]["name"] == "New Daily" and created.headers["Location"] == "/api/outlets/new-daily"
    assert created.headers["ETag"].strip('"') == body["version"] and body["change"]["who"] == "alice"
    assert api.get("/api/outlets/new-daily").get_json()["ownership"][1]["id"] == "reader-trust"

    patched = api.patch("/api/outlets/new-daily", json={"languages": ["de"], "owner_sources": None,
                                                        "owner": None, "ownership_note": "sold in 2024"}, headers=AUTH)
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["outlet"]["languages"] == ["de"] and patched.get_json()["change"]["who"] == "env"

    replaced = api.put("/api/outlets/new-daily", json={k: v for k, v in OUTLET.items() if k != "id"}, headers=AUTH)
    assert replaced.status_code == 200 and replaced.get_json()["outlet"]["languages"] == []

    assert api.delete("/api/outlets/new-daily", headers=AUTH).status_code == 200
    assert api.get("/api/outlets/new-daily").status_code == 404
    assert "new-daily" not in load(sources_copy).outlets


def test_labels_of_an_outlet(api):
    added = api.post("/api/outlets/bignews/labels", json=LABEL, headers=AUTH)
    assert added.status_code == 201 and added.get_json()["outlet"]["labels"][0]["issuer"] == "Roskomnadzor"
    changed = api.put("/api/outlets/bignews/labels/0", json=LABEL | {"until": "2023-01-01", "until_sources": ["https://example.org/lifted"]},
                      headers=AUTH)
    assert changed.get_json()["outlet"]["labels"][0]["until"] == "2023-01-01"
    assert api.put("/api/outlets/bignews/labels/5", json=LABEL, headers=AUTH).status_code == 404
    assert api.delete("/api/outlets/bignews/labels/x", headers=AUTH).status_code == 404
    assert api.delete("/api/outlets/bignews/labels/0", headers=AUTH).get_json()["outlet"]["labels"] == []


def test_owners(api):
    owner = {"id": "new-holding", "name": "New Holding", "kind": "company", "country": "DE",
             "owned_by": [{"owner": "family-x", "share": 51, "sources": ["https://example.org/holders"]}]}
    assert api.post("/api/owners", json=owner, headers=AUTH).status_code == 201
    assert api.post("/api/owners", json=owner, headers=AUTH).status_code == 409
    patched = api.patch("/api/owners/new-holding", json={"kind": "trust"}, headers=AUTH)
    assert patched.get_json()["owner"]["kind"] == "trust"
    in_use = api.delete("/api/owners/reader-trust", headers=AUTH)
    assert in_use.status_code == 422
    assert any("unknown owner id 'reader-trust'" in p["message"] for p in in_use.get_json()["detail"]["problems"])
    assert api.delete("/api/owners/new-holding", headers=AUTH).status_code == 200


def test_an_invalid_edit_answers_422_with_the_problems(api, sources_copy):
    before = sources_copy.read_bytes()
    response = api.patch("/api/outlets/freepress", json={"country": "Netherlands", "labels": [LABEL | {"since": "2022-02-30"}]},
                         headers=AUTH)
    assert response.status_code == 422
    body = response.get_json()
    assert body["ok"] is False and body["status"] == 422
    fields = {p.get("field"): p["message"] for p in body["detail"]["problems"]}
    assert "country" in fields and "labels.0.since" in fields, fields
    assert sources_copy.read_bytes() == before


@pytest.mark.parametrize("body,status", [
    ("not json", 415), ([1, 2], 400), ({"id": "other"}, 400), ({"labels": "x" * 20000}, 400), ({"Bad Key": 1}, 400),
])
def test_malformed_bodies(api, body, status):
    if isinstance(body, str):
        response = api.patch("/api/outlets/freepress", data=body, headers=AUTH)
    else:
        response = api.patch("/api/outlets/freepress", json=body, headers=AUTH)
    assert response.status_code == status, response.get_json()


def test_two_writers_with_one_stale_etag(api):
    version = api.get("/api/sources").get_json()["version"]
    first = api.patch("/api/outlets/freepress", json={"note": "alice was first"}, headers=AS_ALICE | {"If-Match": f'"{version}"'})
    assert first.status_code == 200
    second = api.patch("/api/outlets/freepress", json={"note": "bob was late"}, headers=AUTH | {"If-Match": f'"{version}"'})
    assert second.status_code == 409
    detail = second.get_json()["detail"]
    assert detail["version"] == first.get_json()["version"] and detail["current"]["note"] == "alice was first"


# --- history -----------------------------------------------------------------------------------


def test_changes_and_undo_through_the_api(api, sources_copy):
    original = sources_copy.read_bytes()
    change = api.patch("/api/outlets/freepress", json={"note": "oops"}, headers=AS_ALICE).get_json()["change"]
    listed = api.get("/api/changes").get_json()
    assert listed["count"] == 1 and listed["changes"][0]["id"] == change["id"] == 1
    assert listed["changes"][0]["who"] == "alice" and "+    note: oops" in listed["changes"][0]["diff"]
    assert api.get("/api/changes?diff=0").get_json()["changes"][0].get("diff") is None
    assert api.get("/api/changes/1").get_json()["summary"] == "Change outlet freepress"
    undone = api.post("/api/changes/1/undo", headers=AUTH)
    assert undone.status_code == 200 and undone.get_json()["change"]["undoes"] == 1
    assert sources_copy.read_bytes() == original
    assert api.post("/api/changes/1/undo", headers=AUTH).status_code == 409
    assert api.post("/api/changes/9/undo", headers=AUTH).status_code == 404
    assert api.get("/api/changes?limit=0").status_code == 400


# --- exports -----------------------------------------------------------------------------------


def test_exports(api, runner, sources_copy):
    data = api.get("/api/outlets.json").get_json()
    assert data["counts"]["outlets"] == 6 and {o["id"] for o in data["outlets"]} >= {"statenews", "freepress"}
    response = api.get("/api/outlets.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    statenews = next(r for r in rows if r["id"] == "statenews")
    assert statenews["control_model"] == "state-controlled" and statenews["ultimate_owners"] == "Government of Examplestan"
    assert "broadcast-ban (Council of the European Union, EU, 2022-03-02)" in statenews["labels"]

    from masthead.cli import cli

    result = runner.invoke(cli, ["export", "--sources", str(sources_copy), "--format", "csv"])
    assert result.exit_code == 0 and result.output == response.get_data(as_text=True)
    result = runner.invoke(cli, ["export", "--sources", str(sources_copy)])
    assert json.loads(result.output)["outlets"] == data["outlets"]


# --- the /edit page ----------------------------------------------------------------------------


def _errors(html: str) -> dict:
    return dict(re.findall(r'<p class="error" id="([^"]+)-error">([^<]*)</p>', html))


def test_edit_page_is_prefilled_from_the_popups_domain(api):
    response = api.get("/edit?domain=www.New-Daily.example")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert 'value="new-daily-example"' in html and ">new-daily.example</textarea>" in html
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
    assert "<script" not in html and response.headers["Cache-Control"] == "no-store"
    known = api.get("/edit?domain=statenews.example").get_data(as_text=True)
    assert "already belongs to the outlet &#39;State News&#39; (statenews)" in known


def test_edit_page_adds_an_outlet_and_shows_messages_beside_the_fields(api, sources_copy):
    form = {"id": "new-daily-example", "name": "New Daily", "country": "Germany", "domains": "newdaily.example",
            "token": TOKEN, "labels-new-type": "blocked", "labels-new-issuer": "Roskomnadzor",
            "labels-new-jurisdiction": "RU", "labels-new-since": "2022-13", "labels-new-sources": "https://example.org/rkn"}
    before = sources_copy.read_bytes()
    refused = api.post("/edit", data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    errors = _errors(html)
    assert "not an ISO 3166-1" in errors["country"] and "not a valid date" in errors["labels-new-since"]
    assert "has no owner" in errors["owner"]
    assert 'value="New Daily"' in html  # what was typed is kept
    assert sources_copy.read_bytes() == before

    no_token = api.post("/edit", data=form | {"token": "nope"})
    assert no_token.status_code == 401 and "not known" in _errors(no_token.get_data(as_text=True))["token"]

    saved = api.post("/edit", data=form | {"country": "DE", "labels-new-since": "2022-03", "ownership_note": "not confirmed"})
    assert saved.status_code == 303 and saved.headers["Location"] == "/edit?outlet=new-daily-example&saved=1"
    page = api.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Saved as change 1." in page and 'name="labels-0-issuer" value="Roskomnadzor"' in page
    outlet = load(sources_copy).outlets["new-daily-example"]
    assert outlet.labels[0].since == "2022-03" and outlet.domains == ("newdaily.example",)


def test_edit_page_adds_an_outlet_with_an_owner_not_yet_in_the_list(api, sources_copy):
    """One submission creates the owner (with its sources) and the outlet it owns: one write, one change."""
    form = {"id": "harbour-herald", "name": "Harbour Herald", "country": "NL", "domains": "harbourherald.example",
            "token": TOKEN, "owner_sources": "https://example.org/kvk/harbour-herald",
            "new_owner_name": "Harbour Media Cooperative", "new_owner_kind": "cooperative", "new_owner_country": "NL",
            "new_owner_sources": "https://example.org/kvk/harbour-media\nhttps://example.org/annual-report"}
    bad = api.post("/edit", data=form | {"new_owner_kind": "guild"})
    assert bad.status_code == 422 and "Harbour Media Cooperative" in bad.get_data(as_text=True)
    assert "harbour" not in sources_copy.read_text(encoding="utf-8")  # neither the owner nor the outlet was written
    saved = api.post("/edit", data=form)
    assert saved.status_code == 303, saved.get_data(as_text=True)[:2000]
    registry = load(sources_copy)
    owner = registry.owners["harbour-media-cooperative"]
    assert (owner.name, owner.kind, owner.country) == ("Harbour Media Cooperative", "cooperative", "NL")
    outlet = registry.outlets["harbour-herald"]
    assert [o.id for o in registry.ultimate_owners(outlet)] == ["harbour-media-cooperative"]
    changes = api.get("/api/changes").get_json()
    latest = changes["changes"][0] if isinstance(changes, dict) else changes[0]
    assert "owner harbour-media-cooperative" in latest["summary"] and "outlet harbour-herald" in latest["summary"]


def test_edit_page_changes_an_outlet_and_keeps_what_it_does_not_show(api, sources_copy):
    page = api.get("/edit?outlet=statenews").get_data(as_text=True)
    version = re.search(r'name="version" value="([0-9a-f]+)"', page).group(1)
    assert "statenews.co.uk" in page and "(mirror)" in page  # mirrors are shown, kept as they are
    form = {"existing": "statenews", "version": version, "token": ALICE, "name": "State News Network", "country": "RU",
            "homepage": "https://statenews.example/", "languages": "en, ru", "owner": "state-holding",
            "owner_sources": "https://example.org/registry/statenews", "funding": "Federal budget, according to the budget law",
            "domains": "statenews.example\nstatenews-mirror.test"}
    for i, label in enumerate(load(sources_copy).outlets["statenews"].labels):
        form.update({f"labels-{i}-{k}": (v if isinstance(v, str) else "\n".join(v)) for k, v in
                     [("type", label.type), ("issuer", label.issuer), ("jurisdiction", label.jurisdiction),
                      ("since", label.since or ""), ("until", label.until or ""), ("as_of", label.as_of or ""),
                      ("instrument", label.instrument or ""), ("checked", label.checked or ""),
                      ("sources", label.sources)]})
    form["labels-2-delete"] = "1"
    saved = api.post("/edit", data=form)
    assert saved.status_code == 303
    outlet = load(sources_copy).outlets["statenews"]
    assert outlet.name == "State News Network" and len(outlet.labels) == 2
    assert "statenews.co.uk" in outlet.domains and outlet.feeds == ("https://statenews.example/rss.xml",)
    change = api.get("/api/changes").get_json()["changes"][0]
    assert change["who"] == "alice"
    stale = api.post("/edit", data=form | {"name": "Late"})
    assert stale.status_code == 409 and "reload" in stale.get_data(as_text=True)


def test_edit_page_refuses_cross_site_posts(api, sources_copy):
    before = sources_copy.read_bytes()
    response = api.post("/edit", data={"id": "x", "name": "x", "token": TOKEN}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403 and sources_copy.read_bytes() == before


# --- against the real server -------------------------------------------------------------------


@pytest.fixture
def live(sources_copy, tmp_path):
    running = RunningServer(sources_copy, tmp_path / "corpus.db", env={"MASTHEAD_TOKEN": TOKEN}, workers=2)
    yield running
    running.stop()


def test_real_server_stale_etag_hand_edit_and_undo(live, sources_copy):
    url = live.url
    assert requests.post(f"{url}/api/outlets", json=OUTLET, timeout=10).status_code == 401
    version = requests.get(f"{url}/api/sources", timeout=10).headers["ETag"]
    first = requests.patch(f"{url}/api/outlets/freepress", json={"note": "first API edit"}, headers=AUTH | {"If-Match": version}, timeout=30)
    assert first.status_code == 200, first.text
    stale = requests.patch(f"{url}/api/outlets/freepress", json={"note": "stale"}, headers=AUTH | {"If-Match": version}, timeout=30)
    assert stale.status_code == 409 and stale.json()["detail"]["version"] == first.json()["version"]

    # A curator edits the file by hand between two API edits.
    hand = sources_copy.read_text().replace("    name: National Broadcaster\n", "    name: National Broadcaster TV   # renamed by hand\n")
    sources_copy.write_text(hand)
    second = requests.post(f"{url}/api/outlets", json=OUTLET, headers=AUTH, timeout=30)
    assert second.status_code == 201, second.text
    text = sources_copy.read_text()
    assert "name: National Broadcaster TV   # renamed by hand" in text and "note: first API edit" in text and "id: new-daily" in text

    undone = requests.post(f"{url}/api/changes/1/undo", headers=AUTH, timeout=30)
    assert undone.status_code == 200, undone.text
    assert "first API edit" not in sources_copy.read_text() and "renamed by hand" in sources_copy.read_text()
    changes = requests.get(f"{url}/api/changes", timeout=10).json()["changes"]
    assert [c["id"] for c in changes] == [3, 2, 1] and changes[0]["undoes"] == 1
    invalid = requests.patch(f"{url}/api/outlets/freepress", json={"country": "XX"}, headers=AUTH, timeout=30)
    assert invalid.status_code == 422 and invalid.json()["detail"]["problems"][0]["field"] == "country"
    page = requests.get(f"{url}/edit?domain=unknown-outlet.example", timeout=10)
    assert page.status_code == 200 and "unknown-outlet-example" in page.text and "Content-Security-Policy" in page.headers


def test_real_server_generates_a_token_at_first_start(sources_copy, tmp_path):
    config = tmp_path / "xdg"
    running = RunningServer(sources_copy, tmp_path / "corpus.db", env={"XDG_CONFIG_HOME": str(config)})
    try:
        path = config / "masthead" / "config.json"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        token = json.loads(path.read_text())["tokens"]["admin"]
        assert len(token) >= 32
        response = requests.post(f"{running.url}/api/outlets/freepress/labels", json=LABEL,
                                 headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert response.status_code == 201, response.text
        assert response.json()["change"]["who"] == "admin"
    finally:
        running.stop()


def test_token_command(runner, tmp_path, monkeypatch):
    from masthead.cli import cli

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("MASTHEAD_TOKEN", raising=False)
    created = runner.invoke(cli, ["token", "bob"])
    assert created.exit_code == 0 and created.output.startswith("bob\t")
    shown = runner.invoke(cli, ["token", "--show"])
    assert shown.output.split() == created.output.split()[:2]
    assert runner.invoke(cli, ["token", "bad name"]).exit_code != 0


@pytest.mark.parametrize("method, path, status", [
    ("get", "/api/changes/%C2%B2", 404), ("post", "/api/changes/%C2%B2/undo", 404),
    ("delete", "/api/outlets/freepress/labels/%C2%B2", 404), ("get", "/api/changes?limit=%C2%B2", 400),
    ("get", "/api/changes?before=%C2%B2", 400),
])
def test_digits_int_refuses_are_not_numbers(api, method, path, status):
    # '²' passes str.isdigit() but not int(): it must get the same answer as any other non-number.
    response = getattr(api, method)(path, headers=AS_ALICE)
    assert response.status_code == status and response.get_json()["status"] == status


def test_the_editor_document_is_parsed_when_someone_opens_the_editor_once(edit_app, api, monkeypatch):
    """Parsing the editor's document takes seconds of CPU: not at a worker's start beside the first readers'
    requests, but when someone opens /edit, once per process."""
    import threading

    masthead = edit_app.extensions["masthead"]
    calls, done = [], threading.Event()

    def prepare():
        calls.append(threading.current_thread().name)
        done.set()

    monkeypatch.setattr(masthead.curator, "prepare", prepare)
    assert api.get("/api/outlets.json").status_code == 200 and not calls
    assert api.get("/edit").status_code == 200
    assert done.wait(10)
    assert api.get("/edit?domain=www.New-Daily.example").status_code == 200
    assert calls == ["masthead-warm"]
