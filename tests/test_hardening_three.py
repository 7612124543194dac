"""Issue 26: the third red-team pass (the regression test of each finding not about ingest's inputs, which are in
test_bombs.py, nor the extension in a browser, which is in tests/browser/)."""

from __future__ import annotations

import json
import os

import pytest

from masthead import urls
from masthead.cli import cli
from masthead.web.app import create_app

from test_hardening import AUTH, api, edit_app  # noqa: F401  (fixtures: the app with a write token, its client)


# --- 8. redirect unwrapping only at redirect endpoints ----------------------------------------------

@pytest.mark.parametrize("url", [
    "https://vk.com/rt_russian?to=https://www.bbc.co.uk/",
    "https://www.youtube.com/watch?v=abc&q=https://www.rt.com/",
    "https://www.facebook.com/somepage?u=https://www.rt.com/",
    "https://www.google.com/search?q=https://www.rt.com/",
    "https://www.google.com/urlfoo?q=https://www.rt.com/",
    "https://steamcommunity.com/id/someone?url=https://www.rt.com/",
    "https://www.linkedin.com/in/someone?url=https://www.rt.com/",
])
def test_a_platform_page_with_a_target_like_parameter_is_the_platform(url):
    assert urls.normalise(url).host == urls.normalise(url.split("?")[0]).host


@pytest.mark.parametrize("url, host", [
    ("https://vk.com/away.php?to=https%3A%2F%2Fwww.bbc.co.uk%2Fnews", "www.bbc.co.uk"),
    ("https://www.youtube.com/redirect?q=https%3A%2F%2Fwww.rt.com%2F&v=1", "www.rt.com"),
    ("https://steamcommunity.com/linkfilter/?url=https://www.rt.com/", "www.rt.com"),
    ("https://l.instagram.com/?u=https%3A%2F%2Fwww.rt.com%2F", "www.rt.com"),
    ("https://www.facebook.com/l.php?u=https%3A%2F%2Fwww.rt.com%2F", "www.rt.com"),
])
def test_the_real_redirect_endpoints_still_unwrap(url, host):
    assert urls.normalise(url).host == host


def test_context_names_the_platform_not_the_parameter(api):
    answer = api.get("/api/context", query_string={"url": "https://vk.com/rt_russian?to=https://statenews.example/a", "limit": 0})
    assert answer.status_code == 200 and answer.json["outlet"] is None, answer.json


# --- 10. a hidden host in a source or homepage URL ---------------------------------------------------

@pytest.mark.parametrize("bad", ["https://evil.example\\@www.consilium.europa.eu/", "https://user@example.org/registry",
                                 "https://evil.example\\.example.org/x", "https://a:b@example.org/"])
def test_validate_refuses_a_backslash_or_userinfo_in_a_source_url(runner, sources_copy, bad):
    text = sources_copy.read_text()
    assert "sources: [https://example.org/registry/state-holding]" in text
    sources_copy.write_text(text.replace("sources: [https://example.org/registry/state-holding]", f"sources: [{json.dumps(bad)}]")
                            .replace("homepage: https://statenews.example", "homepage: https://statenews.example"))
    result = runner.invoke(cli, ["validate", str(sources_copy)])
    assert result.exit_code != 0 and ("backslash" in result.output or "user information" in result.output), result.output


def test_validate_refuses_userinfo_in_a_homepage(runner, sources_copy):
    text = sources_copy.read_text()
    assert "homepage: https://" in text
    sources_copy.write_text(text.replace("homepage: https://", "homepage: https://someone@", 1))
    result = runner.invoke(cli, ["validate", str(sources_copy)])
    assert result.exit_code != 0 and "user information" in result.output, result.output


# --- 17. an empty If-Match ---------------------------------------------------------------------------

@pytest.mark.parametrize("method, path, body", [
    ("patch", "/api/outlets/freepress", {"note": "x"}), ("put", "/api/owners/reader-trust", None),
    ("delete", "/api/outlets/freepress", None), ("post", "/api/outlets", {"id": "new-one", "name": "N", "domains": ["n.example"]}),
])
def test_an_empty_if_match_is_a_400_in_the_error_shape(api, method, path, body):
    if method == "put":
        body = api.get(path).json
    response = getattr(api, method)(path, json=body, headers={**AUTH, "If-Match": '""'})
    assert response.status_code in (400, 412), response.json
    assert response.json["ok"] is False and "If-Match" in response.json["error"]


# --- 18. a password in the DSN's query string ---------------------------------------------------------

def test_a_password_in_the_dsn_query_is_never_shown():
    from masthead.corpus import CorpusUnavailable, connect, describe

    dsn = "postgresql://masthead@127.0.0.1:1/db?sslmode=disable&password=s3cr3t-pw&connect_timeout=1"
    assert "s3cr3t-pw" not in describe(dsn) and "password=***" in describe(dsn)
    assert "s3cr3t-pw" not in describe("postgresql://u:s3cr3t-pw@h/db")
    with pytest.raises(CorpusUnavailable) as caught:
        connect(dsn)
    assert "s3cr3t-pw" not in str(caught.value)
    assert "s3cr3t-pw" not in str(CorpusUnavailable("connection failed: host=h password=s3cr3t-pw dbname=db"))


def test_serve_start_line_hides_a_query_string_password(runner, monkeypatch, sources_copy):
    from masthead.web import server

    monkeypatch.setattr(server, "run", lambda settings, **kw: None)
    result = runner.invoke(cli, ["serve", "--sources", str(sources_copy), "--db", "postgresql://u@h/db?password=s3cr3t-pw"])
    assert "s3cr3t-pw" not in result.output and "password=***" in result.output, result.output


# --- 19. no writing through a symbolic link ------------------------------------------------------------

def test_a_symlinked_change_log_is_refused_and_its_target_untouched(api, sources_copy, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    os.symlink(victim, sources_copy.parent / f".{sources_copy.name}.changes.jsonl")
    response = api.patch("/api/outlets/freepress", json={"note": "through a link"}, headers=AUTH)
    assert response.status_code >= 400 and "symbolic link" in response.json["error"], response.json
    assert victim.read_text() == "precious\n"


def test_a_symlinked_lock_file_is_refused(api, sources_copy, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    lock = sources_copy.parent / f".{sources_copy.name}.lock"
    if lock.exists():
        lock.unlink()
    os.symlink(victim, lock)
    response = api.patch("/api/outlets/freepress", json={"note": "through a link"}, headers=AUTH)
    assert response.status_code >= 400 and "symbolic link" in response.json["error"], response.json


def test_a_symlinked_config_lock_is_refused(tmp_path):
    from masthead.curation import EditError
    from masthead.service import add_token

    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (tmp_path / "config").mkdir()
    os.symlink(victim, tmp_path / "config" / ".config.json.lock")
    with pytest.raises(EditError, match="symbolic link"):
        add_token({"CONFIG_DIR": str(tmp_path / "config")}, "alice")
    assert victim.read_text() == "precious\n"


# --- 11. read-only tokens -------------------------------------------------------------------------------

def test_a_read_token_reads_off_loopback_but_cannot_write(runner, sources_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    config = tmp_path / "xdg" / "masthead"
    created = runner.invoke(cli, ["token", "reader", "--read"])
    assert created.exit_code == 0, created.output
    read_token = created.output.split("\t", 1)[1].split()[0]
    writer = runner.invoke(cli, ["token", "curator"])
    write_token = writer.output.split("\t", 1)[1].split()[0]
    shown = runner.invoke(cli, ["token", "--show"]).output
    assert f"reader\t{read_token}\t(read only)" in shown and f"curator\t{write_token}\n" in shown
    app = create_app({"SOURCES": str(sources_copy), "DB": str(tmp_path / "corpus.db"), "SOURCES_CHECK_INTERVAL": 0,
                      "CONFIG_DIR": str(config), "REQUIRE_READ_TOKEN": True})
    client = app.test_client()
    as_reader = {"Authorization": f"Bearer {read_token}"}
    as_curator = {"Authorization": f"Bearer {write_token}"}
    assert client.get("/api/outlets").status_code == 401
    for headers in (as_reader, as_curator):
        assert client.get("/api/outlets", headers=headers).status_code == 200
        assert client.get("/api/context", query_string={"url": "https://freepress.example/a", "limit": 0}, headers=headers).status_code == 200
    for method, path, body in (("patch", "/api/outlets/freepress", {"note": "x"}), ("delete", "/api/outlets/freepress", None),
                               ("delete", "/api/articles?url=https://freepress.example/a", None)):
        refused = getattr(client, method)(path, json=body, headers=as_reader)
        assert refused.status_code == 403 and "only read" in refused.json["error"], (path, refused.json)
    assert client.patch("/api/outlets/freepress", json={"note": "x"}, headers=as_curator).status_code == 200


# --- 12. weak MASTHEAD_TOKEN, guessing ------------------------------------------------------------------

def test_a_short_masthead_token_is_refused_off_loopback_and_warned_on_it(runner, monkeypatch, sources_copy):
    from masthead.web import server

    started = []
    monkeypatch.setattr(server, "run", lambda settings, **kw: started.append(kw["host"]))
    monkeypatch.setenv("MASTHEAD_TOKEN", "7")
    off = runner.invoke(cli, ["serve", "--host", "0.0.0.0", "--sources", str(sources_copy)])
    assert off.exit_code != 0 and "MASTHEAD_TOKEN is 1 characters long" in off.output and not started
    on = runner.invoke(cli, ["serve", "--sources", str(sources_copy)])
    assert on.exit_code == 0 and "warning: MASTHEAD_TOKEN is 1 characters long" in on.output and started == ["127.0.0.1"]
    monkeypatch.setenv("MASTHEAD_TOKEN", "x" * 32)
    assert runner.invoke(cli, ["serve", "--host", "0.0.0.0", "--sources", str(sources_copy)]).exit_code == 0


def test_wrong_tokens_are_throttled_per_client_and_logged_without_their_value(api, caplog):
    caplog.set_level("WARNING", logger="masthead.web")
    codes = [api.patch("/api/outlets/freepress", json={"note": "x"}, headers={"Authorization": f"Bearer guess-{i:04d}"}).status_code
             for i in range(30)]
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}, codes
    # the right token from this client waits too: guessing is not a plan
    assert api.patch("/api/outlets/freepress", json={"note": "x"}, headers=AUTH).status_code == 429
    other = api.patch("/api/outlets/freepress", json={"note": "x"}, headers=AUTH, environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert other.status_code == 200
    logged = [r.getMessage() for r in caplog.records if "unknown token" in r.getMessage()]
    assert len(logged) == 10 and "127.0.0.1" in logged[0]  # the throttled ones are not compared, nor logged and not any("guess-" in m for m in logged)


def test_wrong_tokens_in_the_edit_form_are_throttled_too(api):
    form = {"existing": "freepress", "id": "freepress", "name": "Free Press Daily", "domains": "freepress.example"}
    codes = [api.post("/edit", data={**form, "token": f"guess-{i:04d}"}).status_code for i in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429], codes


# --- 15. cross-site GETs ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/context?url=https://freepress.example/a", "/api/outlets", "/api/search?q=treaty",
                                  "/api/ping", "/api/domains"])
def test_cross_site_requests_to_the_api_are_refused(api, path):
    for site in ("cross-site", "same-site"):
        refused = api.get(path, headers={"Sec-Fetch-Site": site, "Sec-Fetch-Dest": "image"})
        assert refused.status_code == 403 and refused.json["ok"] is False, (path, site)
        page = api.get(path, headers={"Sec-Fetch-Site": site, "Origin": "https://attacker.example"})
        assert page.status_code == 403
        extension = api.get(path, headers={"Sec-Fetch-Site": site, "Origin": "chrome-extension://abcdefghijklmnop"})
        assert extension.status_code != 403, (path, site)
    for site in ("none", "same-origin", None):
        assert api.get(path, headers={"Sec-Fetch-Site": site} if site else {}).status_code != 403


# --- 16. reader-added pages are browsing history ----------------------------------------------------------

def test_a_reader_page_shows_no_source_or_fetch_time_without_a_token(edit_app, api):
    from masthead.ingest import store_record

    masthead = edit_app.extensions["masthead"]
    store_record({"url": "https://freepress.example/read-by-someone", "title": "Dorvik treaty", "fetched_at": "2026-03-01T10:00:00Z",
                  "text": "The Dorvik treaty was signed today by the ministers. " * 20}, masthead.corpus(), masthead.registry(),
                 source="reader", detect_language=False)
    url = {"url": "https://freepress.example/read-by-someone"}
    anonymous = api.get("/api/articles", query_string=url).json
    assert "source" not in anonymous and "fetched_at" not in anonymous and anonymous["title"] == "Dorvik treaty"
    assert "reader" not in json.dumps(api.get("/api/search", query_string={"q": "dorvik"}).json)
    holder = api.get("/api/articles", query_string=url, headers=AUTH).json
    assert holder["source"] == "reader" and holder["fetched_at"].startswith("2026-03-01")


# --- 7. title lookups ------------------------------------------------------------------------------------

def test_title_lookups_are_limited_per_client_and_a_reader_is_untouched(api):
    def lookup(i, client="127.0.0.1", **extra):
        return api.get("/api/context", query_string={"url": f"https://unknown-{i}.example/a", "title": f"{i} " + "dorvik treaty " * 140, **extra},
                       environ_base={"REMOTE_ADDR": client})
    codes = [lookup(i).status_code for i in range(16)]
    assert codes[:10] == [200] * 10 and 429 in codes[10:], codes
    assert lookup(99, client="127.0.0.9").status_code == 200  # another reader opening the popup
    assert lookup(100, limit=0).status_code == 200  # no ranking asked for: nothing to limit
    assert api.get("/api/ping").status_code == 200


# --- 6. PostgreSQL down ---------------------------------------------------------------------------------

def test_with_postgresql_down_requests_fail_fast_and_recover(sources_copy, tmp_path):
    import time

    import pg

    if not pg.available():
        pytest.skip("PostgreSQL is not installed")
    server = pg.PostgresServer(settings={"fsync": "off"})
    try:
        app = create_app({"SOURCES": str(sources_copy), "DB": server.url, "SOURCES_CHECK_INTERVAL": 0,
                          "CONFIG_DIR": str(tmp_path / "config"), "LOOKUP_RATE": 0})
        client = app.test_client()
        assert client.get("/api/search?q=treaty").status_code == 200
        server.pause()

        def timed(path):
            started = time.monotonic()
            response = client.get(path)
            return response.status_code, time.monotonic() - started

        first = timed("/api/search?q=treaty")
        assert first[0] == 503 and first[1] < 5.0, first  # was the pool's 30 s
        again = [timed("/api/search?q=treaty") for _ in range(12)]
        assert all(code == 503 and seconds < 0.5 for code, seconds in again), again  # the breaker is open
        for path in ("/api/ping", "/api/context?url=https://freepress.example/a&limit=0",
                     "/api/context?url=https://freepress.example/a&title=Dorvik+treaty"):
            code, seconds = timed(path)
            assert code == 200 and seconds < 1.0, (path, code, seconds)
        server.resume()
        deadline = time.monotonic() + 30
        while timed("/api/search?q=treaty")[0] != 200:
            assert time.monotonic() < deadline, "the corpus did not come back after PostgreSQL did"
            time.sleep(0.5)
    finally:
        server.stop()


def test_past_its_ranking_slots_a_process_answers_at_once_without_related_coverage(edit_app):
    masthead = edit_app.extensions["masthead"]
    taken = 0
    while masthead.ranking_slots.acquire(blocking=False):  # as many rankings as the process runs at once
        taken += 1
    try:
        answer = masthead.answer("https://freepress.example/a", title="Dorvik treaty " * 100)
        assert answer["outlet"]["id"] == "freepress" and answer["related"] == [] and taken >= 1
    finally:
        for _ in range(taken):
            masthead.ranking_slots.release()
