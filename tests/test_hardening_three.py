"""Issue 26: the third red-team pass (the regression test of each finding not about ingest's inputs, which are in
test_bombs.py, nor the extension in a browser, which is in tests/browser/)."""

from __future__ import annotations

import json
import os

import pytest

from masthead import urls
from masthead.cli import cli
from masthead.web.app import create_app

TOKEN = "test-token-0123456789abcdef-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def edit_app(sources_copy, tmp_path):
    return create_app({"SOURCES": str(sources_copy), "DB": str(tmp_path / "corpus.db"), "SOURCES_CHECK_INTERVAL": 0,
                       "TOKEN": TOKEN, "CONFIG_DIR": str(tmp_path / "config"), "STORE_PAGES": True})


@pytest.fixture
def api(edit_app):
    return edit_app.test_client()


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
