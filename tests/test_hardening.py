"""Issue 13, part A: hostile input at every entrance (the regression test of each finding).

Findings that needed a real server (DNS rebinding, the segfaulting workers, gunicorn's log) run against
`masthead serve` on loopback; the rest in-process or through the command line.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from servers import ROOT, SMALL_SOURCES, RunningServer
from masthead import untrusted, urls
from masthead.cli import cli
from masthead.registry import validate
from masthead.web.app import create_app

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SURROGATE_JSON = '{"name": "RT \\ud800 test"}'  # the escape, as a client sends it
DEEP_YAML = "owners:\n- id: deep\n  note: " + "[" * 60000 + "]" * 60000 + "\n"  # ~120 KB
# 583 bytes: nine levels of ten aliases, the last one an outlet id that is quoted in a message
ANCHOR_BOMB = ("a: &l0 [lol,lol,lol,lol,lol,lol,lol,lol,lol,lol]\n"
               + "".join(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 10) + "]\n" for i in range(1, 9))
               + "outlets:\n- id: *l8\n")


@pytest.fixture
def edit_app(sources_copy, tmp_path):
    return create_app({"SOURCES": str(sources_copy), "DB": str(tmp_path / "corpus.db"), "SOURCES_CHECK_INTERVAL": 0,
                       "TOKEN": TOKEN, "CONFIG_DIR": str(tmp_path / "config"), "STORE_PAGES": True})


@pytest.fixture
def api(edit_app):
    return edit_app.test_client()


def masthead(*args, timeout=120, **kwargs):
    return subprocess.run([sys.executable, "-m", "masthead", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env={"PYTHONPATH": str(ROOT / "server"), "PATH": "/usr/bin:/bin"}, **kwargs)


def wait_for(check, seconds=15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    return check()


# --- 1. DNS rebinding -------------------------------------------------------------------------

READABLE = ["/api/changes", "/api/outlets.json", "/api/outlets.csv", "/api/search?q=news", "/api/outlets",
            "/api/articles?url=https://freepress.example/a", "/api/domains", "/api/health", "/edit", "/edit?outlet=freepress",
            "/api/ping", "/api/nothing-here"]


def test_a_foreign_host_name_gets_421_and_no_data_on_every_route(tmp_path):
    server = RunningServer(SMALL_SOURCES, tmp_path / "corpus.db", env={"MASTHEAD_ALLOWED_HOSTS": "masthead.home.arpa"})
    try:
        for path in READABLE:
            # What a page on rebind.example sends once its name re-resolves to 127.0.0.1
            foreign = server.get(path, headers={"Host": f"rebind.example:{server.port}"})
            assert foreign.status_code == 421, path
            assert foreign.json()["ok"] is False and "freepress" not in foreign.text and "outlets" not in foreign.json()
            for host in ("127.0.0.1", "localhost", "[::1]", "masthead.home.arpa", "LOCALHOST."):
                assert server.get(path, headers={"Host": f"{host}:{server.port}"}).status_code != 421, (path, host)
        posted = requests.post(server.url + "/edit", headers={"Host": "rebind.example"}, data={"id": "x"}, timeout=10)
        assert posted.status_code == 421
    finally:
        server.stop()


def test_serve_host_adds_its_name_and_the_setting_is_declared(runner, monkeypatch, sources_copy):
    from masthead import config
    from masthead.web import server

    seen = {}
    monkeypatch.setattr(server, "run", lambda settings, **kw: seen.update(settings))
    monkeypatch.setenv("MASTHEAD_ALLOWED_HOSTS", "a.example, b.example")
    result = runner.invoke(cli, ["serve", "--host", "masthead.lan", "--sources", str(sources_copy)])
    assert result.exit_code == 0, result.output
    assert seen["ALLOWED_HOSTS"] == ["a.example", "b.example", "masthead.lan"]
    assert [s.env for s in config.SETTINGS].count("MASTHEAD_ALLOWED_HOSTS") == 1


def test_bound_to_every_address_it_answers_for_ip_literals_only(sources_copy, tmp_path):
    app = create_app({"SOURCES": str(sources_copy), "DB": str(tmp_path / "c.db"), "ALLOWED_HOSTS": ["0.0.0.0"]})
    client = app.test_client()
    assert client.get("/api/outlets", headers={"Host": "192.168.1.20:8765"}).status_code == 200
    assert client.get("/api/outlets", headers={"Host": "rebind.example:8765"}).status_code == 421


# --- 2. lone surrogates -----------------------------------------------------------------------

def test_a_lone_surrogate_in_an_edit_is_refused_and_nothing_breaks(api, sources_copy):
    before = sources_copy.read_bytes()
    response = api.patch("/api/outlets/freepress", data=SURROGATE_JSON, content_type="application/json", headers=AUTH)
    assert response.status_code == 400 and "lone surrogate" in response.json["error"]
    assert sources_copy.read_bytes() == before
    for path in ("/api/domains", "/api/outlets", "/api/outlets.json", "/api/outlets.csv", "/api/outlets/freepress",
                 "/edit?outlet=freepress", "/api/context?url=https://freepress.example/a"):
        assert api.get(path).status_code == 200, path
    # a real pair (U+1F600 as two escapes) is one character, and fine
    ok = api.patch("/api/outlets/freepress", data='{"note": "a \\ud83d\\ude00"}', content_type="application/json", headers=AUTH)
    assert ok.status_code == 200 and "\U0001F600" in api.get("/api/outlets/freepress").json["note"]


def test_validate_catches_a_lone_surrogate_and_the_server_keeps_the_last_good_list(api, sources_copy, runner):
    text = sources_copy.read_text(encoding="utf-8")
    sources_copy.write_text(text.replace("name: Free Press Daily", 'name: "RT \\ud800 test"'), encoding="utf-8")
    problems = [p for p in validate(sources_copy) if p.severity == "error"]
    assert len(problems) == 1 and "lone surrogate" in problems[0].message
    assert problems[0].line == text[: text.index("name: Free Press Daily")].count("\n") + 1
    result = runner.invoke(cli, ["validate", str(sources_copy)])
    assert result.exit_code == 1 and "lone surrogate" in result.output
    for path in ("/api/domains", "/api/outlets", "/api/outlets.csv", "/api/outlets/freepress", "/api/context?url=https://freepress.example/a"):
        response = api.get(path)
        assert response.status_code == 200 and "Free Press Daily" in response.text, path
    # the edit page shows the file as it is on disk, the bad character as U+FFFD, so it can be fixed there
    page = api.get("/edit?outlet=freepress")
    assert page.status_code == 200 and "RT \ufffd test" in page.text
    health = api.get("/api/health").json
    assert health["ok"] is False and "lone surrogate" in health["sources"]["last_reload_error"]["problems"][0]["message"]


def test_a_lone_surrogate_in_a_stored_article_is_refused(api):
    response = api.post("/api/articles", data='{"url": "https://freepress.example/a", "title": "\\udc80"}',
                        content_type="application/json", headers=AUTH)
    assert response.status_code == 400 and "lone surrogate" in response.json["error"]


def test_a_lone_surrogate_in_a_json_lines_title_fails_that_record_only(runner, tmp_path):
    lines = tmp_path / "in.jsonl"
    lines.write_text('{"url": "https://freepress.example/1", "title": "bad \\ud800", "text": "x"}\n'
                     '{"url": "https://freepress.example/2", "title": "good", "text": "y"}\n')
    result = runner.invoke(cli, ["ingest", str(lines), "--db", str(tmp_path / "c.db"), "--sources", str(SMALL_SOURCES), "--json"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{"):])
    assert summary["added"] == 1 and summary["failed"] == 1 and "lone surrogate" in summary["failures"][0]["reason"]
    found = runner.invoke(cli, ["search", "good", "--db", str(tmp_path / "c.db")])
    assert found.exit_code == 0 and "Traceback" not in found.output


def opensources_list(tmp_path, body: str) -> Path:
    path = tmp_path / "sources.json"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize("body,message", [
    ('{"bad.example": {"type": "satire", "notes": "\\ud800"}}', "lone surrogate"),
    ('{"deep.example": {"type": ' + "[" * 100000 + "]" * 100000 + "}}", "nested more than 64 levels"),
])
def test_an_imported_json_list_with_a_surrogate_or_deep_nesting_is_refused(runner, sources_copy, tmp_path, body, message):
    before = sources_copy.read_bytes()
    result = runner.invoke(cli, ["import", "opensources", str(opensources_list(tmp_path, body)), "--sources", str(sources_copy)])
    assert result.exit_code == 1 and message in result.output, result.output
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert sources_copy.read_bytes() == before and not (sources_copy.parent / "lists").exists()


def test_an_imported_csv_that_is_not_utf8_is_refused_plainly(runner, sources_copy, tmp_path):
    table = tmp_path / "t.csv"
    table.write_bytes(b"Outlet,Site\nA \xed\xa0\x80,a.example\n")  # an encoded surrogate: not UTF-8
    result = runner.invoke(cli, ["import", "csv", str(table), "--sources", str(sources_copy), "--issuer", "X",
                                 "--url", "https://x.example/list", "--map", "url=Site", "--map", "name=Outlet",
                                 "--map", "type==blocked", "--map", "jurisdiction==RU"])
    assert result.exit_code == 1 and "not UTF-8 (line 2)" in result.output and "Traceback" not in result.output


# --- 3. deep nesting --------------------------------------------------------------------------

def test_validate_refuses_a_deeply_nested_file_instead_of_crashing(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text(DEEP_YAML)
    result = masthead("validate", path)
    assert result.returncode == 1, (result.returncode, result.stderr[-500:])  # was 139 (SIGSEGV in libyaml's composer)
    assert "nests more than 64 levels deep" in result.stdout + result.stderr
    # the same behind a construct only the pure-Python parser reads (a URL in a flow list)
    path.write_text(DEEP_YAML.replace("- id: deep\n", "- id: deep\n  sources: [https://a.example/x]\n"))
    result = masthead("validate", path)
    assert result.returncode == 1 and "nests more than 64 levels deep" in result.stdout + result.stderr


def test_a_deep_edit_on_disk_leaves_a_live_server_answering(tmp_path):
    sources = tmp_path / "sources.yaml"
    sources.write_text(SMALL_SOURCES.read_text())
    server = RunningServer(sources, tmp_path / "corpus.db", workers=2)
    try:
        sources.write_text(sources.read_text() + "  - id: deep\n    note: " + "[" * 60000 + "]" * 60000 + "\n")
        health = wait_for(lambda: (h := server.get("/api/health").json())["sources"]["last_reload_error"] and h)
        assert health["ok"] is False
        assert "nests more than 64 levels deep" in health["sources"]["last_reload_error"]["problems"][0]["message"]
        for _ in range(10):  # every worker keeps answering with the last good list
            assert server.get("/api/context", params={"url": "https://freepress.example/a"}).json()["outlet"]["id"] == "freepress"
        assert "Segmentation" not in server.output() and "exited with code" not in server.output().lower()
    finally:
        server.stop()


def test_a_deeply_nested_json_body_is_a_400(api):
    for body in ('{"name": ' + "[" * 100000 + "]" * 100000 + "}", "[" * 100000):
        response = api.patch("/api/outlets/freepress", data=body, content_type="application/json", headers=AUTH)
        assert response.status_code == 400, response.json
    assert "nested more than 64 levels" in api.patch("/api/outlets/freepress", data="[" * 100000 + "]" * 100000,
                                                     content_type="application/json", headers=AUTH).json["error"]


@pytest.mark.parametrize("text,deeper_than_3", [
    ('{"a": [1]}', False), ('[[[1]]]', False), ('[[[[1]]]]', True), ('["[[[[[["]', False),
    ('["]]]]\\"]]]", [[[]]]]', True), ('{"a": {"b": {"c": {}}}}', True), ("[[[[", True), ('["\\\\"]', False),
])
def test_json_depth_is_judged_before_parsing(text, deeper_than_3):
    assert untrusted.json_depth_exceeds(text, 3) is deeper_than_3


def test_json_depth_check_is_linear_on_hostile_strings():
    started = time.monotonic()
    for text in ('"' + '\\"' * 500000, '"\\' * 500000, "[]" * 1000000, "[" * 2000000):
        untrusted.json_depth_exceeds(text)
    assert time.monotonic() - started < 10


# --- 4. anchor bomb ---------------------------------------------------------------------------

def test_an_anchor_bomb_is_refused_in_little_memory_and_time(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(ANCHOR_BOMB)
    assert len(ANCHOR_BOMB.encode()) < 600
    # At most 1 GB of address space: expanding the bomb into a message took 1.9 GB.
    script = ("import resource, sys, time; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
              "from masthead.registry import validate; "
              "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; t = time.monotonic(); "
              f"problems = validate({str(path)!r}); print(time.monotonic() - t); print(problems[0]); "
              "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(ROOT / "server")})
    assert result.returncode == 0, result.stderr[-1000:]
    seconds, problem, grown_kb = result.stdout.splitlines()
    assert "aliases (*name) repeat more than" in problem and len(problem) < 500
    # What validating the bomb adds to the process (the imports before it vary from machine to machine).
    assert float(seconds) < 5 and int(grown_kb) < 100 * 1024


def test_modest_aliases_still_load(tmp_path):
    path = tmp_path / "sources.yaml"
    text = SMALL_SOURCES.read_text()
    text = text.replace("owner_sources: [https://example.org/registry/statenews]",
                        "owner_sources: &registry [https://example.org/registry/statenews]", 1)
    path.write_text(text + "".join(
        f"  - id: alias-{i}\n    name: Alias {i}\n    country: DE\n    domains: [alias{i}.example]\n"
        f"    owner: state-holding\n    owner_sources: *registry\n" for i in range(200)))
    assert not [p for p in validate(path) if p.severity == "error"]


def test_an_anchor_bomb_on_disk_leaves_a_live_server_small(tmp_path):
    sources = tmp_path / "sources.yaml"
    sources.write_text(SMALL_SOURCES.read_text())
    server = RunningServer(sources, tmp_path / "corpus.db")
    try:
        sources.write_text(sources.read_text().replace("owners:\n", ANCHOR_BOMB.replace("outlets:\n- id: *l8\n", "") + "owners:\n", 1)
                           + "  - id: *l8\n")
        health = wait_for(lambda: (h := server.get("/api/health").json())["sources"]["last_reload_error"] and h)
        assert "aliases (*name) repeat more than" in health["sources"]["last_reload_error"]["problems"][0]["message"]
        assert server.get("/api/outlets/freepress").status_code == 200
        workers = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children").read_text().split()
        for pid in workers:
            rss_kb = int(next(l for l in Path(f"/proc/{pid}/status").read_text().splitlines() if l.startswith("VmRSS")).split()[1])
            assert rss_kb < 400 * 1024  # was 1.9 GB
    finally:
        server.stop()


# --- 10. smaller findings ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ['=HYPERLINK("https://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)"])
def test_csv_export_neutralises_formula_cells(api, name):
    assert api.patch("/api/outlets/freepress", json={"name": name}, headers=AUTH).status_code == 200
    row = next(line for line in api.get("/api/outlets.csv").text.splitlines() if line.startswith("freepress,"))
    assert "'" + name.split('"')[0] in row


@pytest.mark.parametrize("into", ["../outside.yaml", "lists/../../outside.yaml", "{absolute}", "lists/x.txt", "sources-2.yaml"])
def test_an_import_writes_only_under_lists(runner, sources_copy, tmp_path, into):
    listing = opensources_list(tmp_path, '{"satire.example": {"type": "satire"}}')
    into = into.format(absolute=tmp_path / "elsewhere" / "outside.yaml")
    result = runner.invoke(cli, ["import", "opensources", str(listing), "--sources", str(sources_copy), "--into", into])
    assert result.exit_code == 1 and "only a .yaml file under lists/" in result.output
    assert not (tmp_path.parent / "outside.yaml").exists() and not (tmp_path / "elsewhere").exists()
    assert not (tmp_path / "sources-2.yaml").exists()
    assert (runner.invoke(cli, ["import", "opensources", str(listing), "--sources", str(sources_copy), "--into", "lists/mine.yaml"])
            .exit_code == 0) and (sources_copy.parent / "lists" / "mine.yaml").exists()


def test_a_subscription_into_outside_lists_is_refused(runner, sources_copy, tmp_path):
    listing = opensources_list(tmp_path, '{"satire.example": {"type": "satire"}}')
    sources_copy.write_text(sources_copy.read_text().replace("version: 1\n", (
        f"version: 1\nlists:\n  - name: os\n    format: opensources\n    file: {listing}\n    into: ../escaped.yaml\n"), 1))
    result = runner.invoke(cli, ["update-lists", "--sources", str(sources_copy)])
    assert result.exit_code != 0 and "only a .yaml file under lists/" in result.output
    assert not (tmp_path.parent / "escaped.yaml").exists()


def test_gunicorn_logs_no_client_address(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /api/context?title=" + b"%D0%96" * 2000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status = sock.recv(200).split(b"\r\n", 1)[0]
    assert b"414" in status
    log = wait_for(lambda: "Invalid request" in server.output() and server.output(), 5)
    assert log and "ip=" not in log and "%D0%96" not in log


def test_health_shows_no_absolute_paths(server, tmp_path):
    server.sources.write_text(server.sources.read_text().replace("type: broadcast-ban", "type: nope"))
    health = wait_for(lambda: (h := server.get("/api/health"))and h.json()["sources"]["last_reload_error"] and h)
    assert str(tmp_path) not in health.text and health.json()["sources"]["file"] == "sources.yaml"
    assert health.json()["sources"]["last_reload_error"]["problems"][0]["file"] == "sources.yaml"


def test_a_refusal_does_not_tell_the_resolved_address(api):
    # localhost resolves to 127.0.0.1, which the fetcher refuses; the client learns that, not the address
    response = api.post("/api/articles", json={"url": "http://localhost:9/page"}, headers=AUTH)
    assert response.status_code == 422 and "not a public address" in response.json["error"]
    assert "127.0.0.1" not in response.text and "::1" not in response.text


def test_many_nested_redirect_wrappers_resolve_to_the_target():
    target = "https://freepress.example/news/1"
    wrapped = target
    for _ in range(7):  # five was the limit: the sixth wrapper's host was matched instead (an unknown outlet)
        wrapped = "https://l.facebook.com/l.php?u=" + quote(wrapped, safe="")
    page = urls.normalise(wrapped)
    assert page.url == target and len(page.unwrapped_from) == 7
    archived = target
    for _ in range(64):
        archived = "https://web.archive.org/web/2020/" + archived
    assert urls.normalise(archived).url == target
    with pytest.raises(urls.URLError, match="more than 64 redirect wrappers"):
        urls.normalise("https://web.archive.org/web/2020/" + archived)
