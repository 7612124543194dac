"""Related coverage: ranking, /api/context's `related`, /api/search and /api/articles, in-process and on a real server.

Tests that take `db` (or `app`, `filled`, `server`, which take it) run against both stores, SQLite and PostgreSQL."""

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import requests
import pytest

from servers import RunningServer
from masthead import urls
from masthead.corpus import Corpus, connect
from masthead.records import prepare
from masthead.web.openapi import openapi_document
from masthead.related import Query, query_for_page, rank
from masthead.registry import load

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parent.parent
SMALL = DATA / "articles-small.jsonl"
REGISTRY = load(DATA / "sources-small.yaml")
STATENEWS = "https://statenews.example/20260226/velmar-customs-union-treaty.html"
FREEPRESS = "https://freepress.example/news/2026/02/26/dorvik-treaty-velmaria-sovereignty"
BALTIC = "https://baltic-observer.example/world/velmaria-examplestan-customs-union-signed"


def fill(db: str, *extra: dict) -> Corpus:
    c = connect(db)
    for line in SMALL.read_text().splitlines():
        c.add(prepare(json.loads(line), REGISTRY))
    for record in extra:
        c.add(prepare(record, REGISTRY))
    return c


@pytest.fixture
def filled(app, tmp_path):
    fill(app.config["DB"]).close()
    return app


def context(client, url, **params):
    response = client.get("/api/context", query_string={"url": url, **params})
    assert response.status_code == 200, response.json
    return response.json


def test_state_outlet_article_lists_the_designated_outlet_with_its_labels(filled):
    answer = context(filled.test_client(), STATENEWS, as_of="2026-03-01")
    by_url = {item["url"]: item for item in answer["related"]}
    assert FREEPRESS in by_url
    free = by_url[FREEPRESS]
    assert free["outlet"]["id"] == "freepress" and free["control_model"] == "independent"
    assert {l["type"] for l in free["labels"]} == {"foreign-agent", "undesirable-organisation"}
    assert free["site_name"] == "Free Press Daily" and free["registered_domain"] == "freepress.example"
    assert free["published"] == "2026-02-26" and free["snippet"].startswith("The customs union treaty")
    jsonschema.validate(answer, openapi_document()["paths"]["/api/context"]["get"]["responses"]["200"]["content"]["application/json"]["schema"])


def test_and_the_other_way_round(filled):
    answer = context(filled.test_client(), FREEPRESS, as_of="2026-03-01")
    state = next(item for item in answer["related"] if item["url"] == STATENEWS)
    assert state["control_model"] == "state-controlled"
    assert {l["type"] for l in state["labels"]} == {"state-controlled", "broadcast-ban"}  # the Twitter label had ended


def test_distractors_and_own_outlet_are_left_out(filled):
    related = context(filled.test_client(), STATENEWS)["related"]
    assert [item["url"] for item in related] == [BALTIC, FREEPRESS] or [item["url"] for item in related] == [FREEPRESS, BALTIC]
    assert all(item["registered_domain"] not in ("statenews.example", "bignews.example", "gardening-weekly.example") for item in related)


def test_unknown_sites_are_first_class(filled):
    related = context(filled.test_client(), FREEPRESS)["related"]
    baltic = next(item for item in related if item["url"] == BALTIC)
    assert baltic["outlet"] is None and baltic["labels"] == [] and baltic["control_model"] == "unknown"
    assert (baltic["site_name"], baltic["registered_domain"]) == ("Baltic Observer", "baltic-observer.example")
    # ... and pages on unknown sites get related coverage too, leaving out their own site
    related = context(filled.test_client(), BALTIC)["related"]
    assert {item["url"] for item in related} == {STATENEWS, FREEPRESS}


def test_at_most_one_article_per_outlet_and_limit(app):
    second = {"url": "https://freepress.example/news/2026/02/27/dorvik-treaty-ratification-protests",
              "title": "Protests in Velmaria against the Dorvik customs treaty", "published": "2026-02-27",
              "text": "Thousands protested in Velmaria against the customs union treaty signed with Examplestan in Dorvik, "
                      "saying the tariff commission hands control to President Arkady Morlov. Prime Minister Lena Quist "
                      "defended the treaty and the payment system in national currencies before the March ratification vote."}
    fill(app.config["DB"], second).close()
    related = context(app.test_client(), STATENEWS)["related"]
    assert sum(item["registered_domain"] == "freepress.example" for item in related) == 1
    assert len(context(app.test_client(), STATENEWS, limit=1)["related"]) == 1
    assert context(app.test_client(), STATENEWS, limit=0)["related"] == []


@pytest.mark.parametrize("params", [{"url": STATENEWS}, {"url": "https://www.nbc-example.co.uk/news/world-123", "title": "Velmaria signs Dorvik customs treaty with Examplestan",
                          "as_of": "2026-02-27"}],
                         ids=["stored page", "title only"])
def test_lookup_json_is_the_api_answer(filled, runner, params):
    """`masthead lookup --json` and /api/context are one operation of the application object (issue 21)."""
    from masthead.cli import cli

    api = context(filled.test_client(), **params)
    assert api["related"], "the comparison must include related coverage"
    args = ["lookup", "--json", "--sources", filled.config["SOURCES"], "--db", filled.config["DB"], "--as-of", api["as_of"]]
    if "title" in params:
        args += ["--title", params["title"]]
    result = runner.invoke(cli, [*args, params["url"]])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == api


def test_page_not_in_corpus_uses_the_title(filled):
    title = "Velmaria signs Dorvik customs treaty with Examplestan"
    related = context(filled.test_client(), "https://www.nbc-example.co.uk/news/world-123", title=title, as_of="2026-02-27")["related"]
    assert {item["url"] for item in related} == {STATENEWS, FREEPRESS, BALTIC}
    # Without a date the page is taken to be today's: months after that story, which is not coverage of it.
    assert context(filled.test_client(), "https://www.nbc-example.co.uk/news/world-123", title=title, as_of="2026-11-30")["related"] == []
    assert context(filled.test_client(), "https://www.nbc-example.co.uk/news/world-123")["related"] == []  # no title, no fetch


def test_the_same_topic_a_year_later_is_not_coverage_of_this_story(db):
    c = fill(db, {
        "url": "https://archive-news.example/2027/velmaria-examplestan-customs-union",
        "title": "Velmaria joins Examplestan customs union at Dorvik summit", "published": "2027-02-27",
        "text": "Velmaria and Examplestan signed a treaty creating a customs union at a summit in Dorvik, with duties on "
                "grain, fertiliser and machinery dropping from July, a year on."})
    query = Query("Examplestan and Velmaria sign customs union treaty at Dorvik", "", "2026-02-26")
    ranked = [item["url"] for item in rank(c, REGISTRY, query, "2026-02-26", limit=8)]
    assert BALTIC in ranked
    assert "https://archive-news.example/2027/velmaria-examplestan-customs-union" not in ranked


def test_query_for_page_prefers_stored_text_then_fetched_page_then_title(db):
    c = fill(db)
    stored = query_for_page(c, urls.normalise(STATENEWS), None, "ignored", "2026-03-01")
    assert stored.article_id is not None and "Dorvik treaty" in stored.text
    page = urls.normalise("https://elsewhere.example/a")
    fetched = query_for_page(c, page, None, "title", "2026-03-01", page_record={"title": "T", "text": "body", "published": "2026-02-02"})
    assert (fetched.title, fetched.text, fetched.published, fetched.article_id) == ("T", "body", "2026-02-02", None)
    assert query_for_page(c, page, None, "title", "2026-03-01", page_record=None).title == "title"
    assert c.article("https://elsewhere.example/a") is None  # the reader's page is never stored


def test_search(filled):
    client = filled.test_client()
    body = client.get("/api/search", query_string={"q": "Dorvik customs"}).json
    assert body["count"] == 3 and {r["registered_domain"] for r in body["results"]} == {"statenews.example", "freepress.example", "baltic-observer.example"}
    state = next(r for r in body["results"] if r["registered_domain"] == "statenews.example")
    assert state["control_model"] == "state-controlled" and state["outlet"]["id"] == "statenews"
    assert "Dorvik" in state["snippet"]
    assert client.get("/api/search", query_string={"q": "dorvik", "limit": 1, "offset": 1}).json["count"] == 1
    assert client.get("/api/search", query_string={"q": "zzzunknownword"}).json == {"query": "zzzunknownword", "words": ["zzzunknownword"], "ignored": [], "offset": 0, "count": 0, "results": []}


@pytest.mark.parametrize("path,status,words", [
    ("/api/search", 400, "missing query parameter 'q'"),
    ("/api/search?q=%22%28%29*", 400, "no words"),
    ("/api/search?q=x&limit=0", 400, "'limit' must be"),
    ("/api/search?q=x&limit=abc", 400, "'limit' must be"),
    ("/api/search?q=x&as_of=soon", 400, "not a date"),
    ("/api/articles", 400, "missing query parameter 'url'"),
    ("/api/articles?url=chrome://newtab", 422, "not web pages"),
    ("/api/articles?url=https://nowhere.example/", 404, "no stored article"),
])
def test_errors_have_the_one_shape(filled, path, status, words):
    response = filled.test_client().get(path)
    assert response.status_code == status
    body = response.json
    assert set(body) == {"ok", "status", "error", "detail"} and body["ok"] is False and body["status"] == status
    assert words in body["error"]


def test_article_by_any_of_its_urls(filled):
    body = filled.test_client().get("/api/articles", query_string={"url": FREEPRESS + "?utm_source=x#top"}).json
    assert body["url"] == FREEPRESS and body["title"].startswith("Dorvik treaty")
    assert body["outlet"]["id"] == "freepress" and body["control_model"] == "independent"
    assert [u["url"] for u in body["urls"]] == [FREEPRESS] and body["authors"] == ["Marta Ellison"]


def test_routes_are_declared_in_openapi_and_health_counts_articles(filled):
    paths = openapi_document()["paths"]
    assert {"/api/search", "/api/articles"} <= set(paths)
    health = filled.test_client().get("/api/health").json
    assert health["corpus"]["articles"] == 8 and health["corpus"]["urls"] == 8


def test_real_server_on_a_real_corpus(sources_copy, db):
    subprocess.run([sys.executable, "-m", "masthead", "ingest", str(SMALL), "--db", db, "--sources", str(sources_copy)],
                   check=True, capture_output=True, env={"PYTHONPATH": str(ROOT / "server"), "PATH": ""})
    server = RunningServer(sources_copy, db, workers=2)
    try:
        for page, other, labels in ((STATENEWS, FREEPRESS, {"foreign-agent", "undesirable-organisation"}),
                                    (FREEPRESS, STATENEWS, {"state-controlled", "broadcast-ban"})):
            answer = server.get("/api/context", params={"url": page, "as_of": "2026-03-01"}).json()
            item = next(i for i in answer["related"] if i["url"] == other)
            assert {l["type"] for l in item["labels"]} == labels
        assert server.get("/api/search", params={"q": "Velmaria"}).json()["count"] == 3
        assert server.get("/api/articles", params={"url": BALTIC}).json()["site_name"] == "Baltic Observer"
        assert server.get("/api/health").json()["corpus"]["articles"] == 8
    finally:
        server.stop()


def test_a_worker_encodes_with_one_blas_thread_and_a_loaded_encoder():
    """Issue 27: a title request's encode must not wait for a second BLAS thread that a busy CPU has not
    scheduled, nor for the weights to load on a reader's first request."""
    code = ("from masthead import embed\n"
            "from threadpoolctl import threadpool_info\n"
            "enc = embed.serving()\n"
            "assert enc is embed.encoder() and enc.threads == 1\n"
            "print([i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'])\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT / "server"), "PATH": ""})
    counts = json.loads(out.stdout)
    assert counts and set(counts) == {1}


def test_a_real_server_with_embeddings_answers_a_title(sources_copy, db):
    """The workers load the encoder as they start (server.py's post_worker_init), then answer titles."""
    subprocess.run([sys.executable, "-m", "masthead", "ingest", str(SMALL), "--db", db, "--sources", str(sources_copy)],
                   check=True, capture_output=True, env={"PYTHONPATH": str(ROOT / "server"), "PATH": "", "MASTHEAD_EMBED": "1"})
    server = RunningServer(sources_copy, db, workers=2, env={"MASTHEAD_EMBED": "1"}, wait=120)  # loading, on a busy CPU
    try:
        for _ in range(4):  # both workers
            answer = server.get("/api/context", params={"url": "https://unknown.example/a", "as_of": "2026-03-01",
                                                        "title": "Velmaria signs the customs treaty in Dorvik"}).json()
            assert answer["related"]
    finally:
        server.stop()


def test_missing_corpus_still_answers_context(server):
    answer = server.get("/api/context", params={"url": STATENEWS}).json()
    assert answer["outlet"]["id"] == "statenews" and answer["related"] == []


TOKEN = "a-store-pages-test-token-0123456789"


def test_reader_opted_in_page_is_stored_by_a_real_server(sources_copy, db):
    from local_site import LocalSite

    fill(db).close()
    env = {"MASTHEAD_STORE_PAGES": "1", "MASTHEAD_FETCH_ALLOW": "127.0.0.1/32", "MASTHEAD_TOKEN": TOKEN}
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with LocalSite() as site:
        server = RunningServer(sources_copy, db, env=env)
        try:
            page = site.base + "/dorvik-vote.html"
            assert server.get("/api/articles", params={"url": page}).status_code == 404
            denied = requests.post(server.url + "/api/articles", json={"url": page}, timeout=10)
            assert denied.status_code == 401  # storing is a write: the reader's token is needed
            added = requests.post(server.url + "/api/articles", json={"url": page, "title": "ignored"}, headers=auth, timeout=10)
            assert added.status_code == 201, added.text
            assert added.json()["status"] == "added"
            assert added.json()["title"] == "Velmarian deputies delay vote on Dorvik customs treaty"
            stored = server.get("/api/articles", params={"url": page}, headers=auth).json()
            assert stored["source"] == "reader" and stored["published"] == "2026-02-28"
            assert "source" not in server.get("/api/articles", params={"url": page}).json()  # browsing history (issue 26)
            again = requests.post(server.url + "/api/articles", json={"url": page}, headers=auth, timeout=10)
            assert (again.status_code, again.json()["status"]) == (200, "unchanged")
            # Stored, the page now has related coverage from its own text, not from a title.
            answer = server.get("/api/context", params={"url": page, "as_of": "2026-03-01"}).json()
            assert FREEPRESS in [item["url"] for item in answer["related"]]
            refused = requests.post(server.url + "/api/articles", json={"url": site.base + "/private/secret.html"}, headers=auth, timeout=10)
            assert refused.status_code == 422 and "robots.txt" in refused.json()["error"]
            bad = requests.post(server.url + "/api/articles", json={"url": "chrome://settings"}, headers=auth, timeout=10)
            assert bad.status_code == 422 and bad.json()["status"] == 422
            assert page not in server.output()  # the log names hosts, never a reader's full URL
        finally:
            server.stop()


def test_storing_pages_is_off_unless_the_server_allows_it(filled, tmp_path):
    from masthead.web.app import create_app

    app = create_app({**filled.config, "TOKEN": TOKEN, "CONFIG_DIR": str(tmp_path / "cfg")})
    client = app.test_client()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    off = client.post("/api/articles", json={"url": "https://freepress.example/new"}, headers=auth)
    assert off.status_code == 403 and "MASTHEAD_STORE_PAGES=1" in off.json["detail"]["hint"]
    app = create_app({**filled.config, "TOKEN": TOKEN, "CONFIG_DIR": str(tmp_path / "cfg"), "STORE_PAGES": True})
    client = app.test_client()
    assert client.post("/api/articles", json={"title": "no url"}, headers=auth).status_code == 400
    assert client.post("/api/articles", data="url=x", headers=auth).status_code == 415
    loopback = client.post("/api/articles", json={"url": "http://127.0.0.1:9/a"}, headers=auth)
    assert loopback.status_code == 422 and "will not fetch" in loopback.json["error"]  # never a private address
    known = client.post("/api/articles", json={"url": STATENEWS}, headers=auth)
    assert known.status_code == 200 and known.json["status"] == "unchanged" and known.json["outlet"]["id"] == "statenews"
    c = connect(filled.config["DB"])
    assert c.count() == 8
    c.close()


class _CountingPages:
    """ReaderPages whose network step is a counter: the cache's own policy under test."""

    def __new__(cls, **kwargs):
        from masthead.service import ReaderPages

        class Counting(ReaderPages):
            def _load(self, url):
                self.calls.append(url)
                return ValueError("down") if url.endswith("down") else {"title": url, "text": "x" * 1000}

        pages = Counting(**kwargs)
        pages.calls = []
        return pages


def test_page_cache_keeps_pages_and_retries_failures_sooner():
    cache = _CountingPages(max_items=2, ttl=600, failure_ttl=0)
    assert cache.get("https://a.example/ok")["title"] == "https://a.example/ok"
    assert cache.get("https://a.example/ok")["title"] == "https://a.example/ok" and len(cache.calls) == 1
    assert isinstance(cache.get("https://a.example/down"), ValueError)
    cache.get("https://a.example/down")
    assert cache.calls.count("https://a.example/down") == 2  # a failure is not kept as long as a page
    cache.get("https://a.example/third")
    assert len(cache.items) == 2  # bounded: the oldest entry goes


def test_page_cache_is_bounded_in_bytes_not_only_in_count():
    cache = _CountingPages(max_bytes=10_000)
    for n in range(50):
        cache.get(f"https://a.example/{n}")
    assert cache.bytes <= 10_000 and 5 <= len(cache.items) <= 10  # ~1.3 KB each: the newest few stay
    assert "https://a.example/49" in cache.items and "https://a.example/0" not in cache.items


def test_the_story_page_folds_wire_copies_under_the_report_they_repeat(app):
    """The state outlet's text, run word for word by a commercial outlet, is stored once with both URLs: the story
    page shows the report once, with "2 outlets ran the same text" and the copy's outlet under it."""
    original = json.loads(next(line for line in SMALL.read_text().splitlines() if STATENEWS in line))
    copy = {**original, "url": "https://bignews.example/world/2026/02/26/customs-union", "outlet": "bignews"}
    fill(app.config["DB"], copy).close()
    html = app.test_client().get("/stories", query_string={"url": FREEPRESS}).get_data(as_text=True)
    assert html.count(STATENEWS) == 1 and "2 outlets ran the same text" in html
    assert "https://bignews.example/world/2026/02/26/customs-union" in html
