"""The HTTP API, against a real `masthead serve` on a loopback port and in-process for edge cases."""

import time

import jsonschema
import pytest

from masthead.web.openapi import openapi_document


def test_context_for_a_state_outlet(server):
    answer = server.get("/api/context", params={"url": "https://www.statenews.example/world/2024/story.html?utm_source=x", "as_of": "2024-01-01"}).json()
    assert answer["url"] == "https://www.statenews.example/world/2024/story.html"
    assert answer["registered_domain"] == "statenews.example"
    assert answer["outlet"]["id"] == "statenews"
    assert [n["name"] for n in answer["ownership"]] == ["State News", "State Media Holding", "Government of Examplestan"]
    assert answer["ownership"][-1]["ultimate"] is True
    assert answer["control_model"] == "state-controlled"
    by_type = {l["type"]: l for l in answer["labels"]}
    assert by_type["broadcast-ban"]["issuer"] == "Council of the European Union"
    assert by_type["broadcast-ban"]["sources"] == ["https://example.org/eu/2022-350"]
    assert by_type["broadcast-ban"]["status"] == "active"
    assert by_type["platform-state-affiliated"]["status"] == "historical"
    assert answer["labels"][0]["type"] == "state-controlled"  # most significant first (state control leads)
    assert answer["related"] == [] or isinstance(answer["related"], list)


def test_labels_are_marked_historical_as_of_a_date(server):
    answer = server.get("/api/context", params={"url": "https://statenews.example/a", "as_of": "2024-01-01"}).json()
    twitter = next(l for l in answer["labels"] if l["type"] == "platform-state-affiliated")
    assert twitter["status"] == "historical"
    assert answer["labels"][-1] is not None and answer["labels"][-1]["status"] == "historical"


def test_designated_outlet_shows_each_designation(server):
    answer = server.get("/api/context", params={"url": "https://freepress.example/news/1", "as_of": "2025-01-01"}).json()
    assert answer["outlet"]["name"] == "Free Press Daily"
    types = [(l["type"], l["issuer"], l["since"]) for l in answer["labels"]]
    assert ("undesirable-organisation", "Prosecutor General of the Russian Federation", "2024-07") in types
    assert ("foreign-agent", "Ministry of Justice of the Russian Federation", "2023-11-17") in types
    assert answer["control_model"] == "independent"


def test_unknown_outlet_is_200_with_null(server):
    response = server.get("/api/context", params={"url": "https://unknown-news.example/x"})
    assert response.status_code == 200
    body = response.json()
    assert body["outlet"] is None and body["ownership"] == [] and body["labels"] == []
    assert body["registered_domain"] == "unknown-news.example"


@pytest.mark.parametrize(
    "url,status,words",
    [
        ("chrome://newtab", 422, "not web pages"),
        ("about:blank", 422, "not web pages"),
        ("file:///home/me/a.html", 422, "not web pages"),
        ("javascript:void(0)", 422, "not web pages"),
        ("https://exa mple.com", 400, "not a valid host"),
        ("https://", 400, "no host"),
        ("https://x.example/" + "a" * 7000, 400, "limit"),
    ],
)
def test_bad_urls_get_precise_errors(server, url, status, words):
    response = server.get("/api/context", params={"url": url})
    assert response.status_code == status
    body = response.json()
    assert body["ok"] is False and body["status"] == status and words in body["error"]


def test_a_request_line_beyond_the_server_limit_is_refused(server):
    response = server.get("/api/context", params={"url": "https://x.example/" + "a" * 20000})
    assert response.status_code == 414


def test_error_shape_is_pinned(client):
    for path, status in [("/api/context", 400), ("/api/nothing-here", 404), ("/api/outlets/nobody", 404),
                         ("/api/context?url=https://a.example/&as_of=soon", 400), ("/api/outlets?label=bogus", 400),
                         ("/api/context?url=https://a.example/&limit=500", 400)]:
        response = client.get(path)
        assert response.status_code == status, path
        body = response.get_json()
        assert set(body) == {"ok", "status", "error", "detail"}, path
        assert body["ok"] is False and body["status"] == status and body["error"]
    response = client.post("/api/context")
    assert response.status_code == 405 and response.get_json()["status"] == 405


def test_outlets_list_and_filters(server):
    everything = server.get("/api/outlets").json()
    assert everything["count"] == 6
    russian = server.get("/api/outlets", params={"country": "ru"}).json()
    assert {o["id"] for o in russian["outlets"]} == {"statenews", "statenews-regional"}
    agents = server.get("/api/outlets", params={"label": "foreign-agent"}).json()
    assert [o["id"] for o in agents["outlets"]] == ["freepress"]
    one = server.get("/api/outlets/statenews").json()
    assert one["ownership"][-1]["id"] == "gov-xa"
    assert one["mirrors"][0]["domain"] == "statenews.co.uk"


def test_domains_map_with_etag(server):
    first = server.get("/api/domains")
    assert first.status_code == 200
    body = first.json()
    assert body["hosts"]["statenews.example"] == "statenews"
    assert body["paths"]["nbc-example.com"] == [["/russian", "national-broadcaster-russian"]]
    assert body["outlets"]["statenews"]["badge"] == "STATE" and body["outlets"]["statenews"]["badge_kind"] == "control"
    assert body["outlets"]["freepress"]["labels"][0] == {"title": "Undesirable organisation (Russia)",
                                                        "issuer": "Prosecutor General of the Russian Federation", "since": "2024-07"}
    again = server.get("/api/domains", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_health_reports_counts_and_reload_errors(server):
    health = server.get("/api/health").json()
    assert health["ok"] is True and health["counts"]["outlets"] == 6
    assert health["sources"]["last_reload_error"] is None
    original = server.sources.read_text(encoding="utf-8")
    server.sources.write_text(original.replace("type: broadcast-ban", "type: broadcast-banned"), encoding="utf-8")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        health = server.get("/api/health").json()
        if health["sources"]["last_reload_error"]:
            break
        time.sleep(0.3)
    error = health["sources"]["last_reload_error"]
    assert error and "broadcast-banned" in error["problems"][0]["message"]
    assert error["problems"][0]["line"] > 1
    # still serving the last good version
    answer = server.get("/api/context", params={"url": "https://statenews.example/a"}).json()
    assert any(l["type"] == "broadcast-ban" for l in answer["labels"])
    server.sources.write_text(original.replace("name: State News\n", "name: State News Agency\n", 1), encoding="utf-8")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        answer = server.get("/api/context", params={"url": "https://statenews.example/a"}).json()
        if answer["outlet"]["name"] == "State News Agency":
            break
        time.sleep(0.3)
    assert answer["outlet"]["name"] == "State News Agency"
    assert server.get("/api/health").json()["sources"]["last_reload_error"] is None


def test_cors_only_for_extension_origins(server):
    ok = server.get("/api/ping", headers={"Origin": "chrome-extension://abcdefghijklmnop"})
    assert ok.headers["Access-Control-Allow-Origin"] == "chrome-extension://abcdefghijklmnop"
    firefox = server.get("/api/ping", headers={"Origin": "moz-extension://1234-5678"})
    assert firefox.headers["Access-Control-Allow-Origin"] == "moz-extension://1234-5678"
    evil = server.get("/api/ping", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in evil.headers


def test_server_binds_loopback_only(server):
    import socket

    with socket.socket() as s:
        s.settimeout(1)
        assert s.connect_ex(("127.0.0.1", server.port)) == 0


# --- the OpenAPI document stays true ---------------------------------------------------------


def test_openapi_lists_every_route(app):
    documented = set(openapi_document()["paths"])
    routes = {
        rule.rule.replace("<", "{").replace(">", "}")
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
    }
    assert routes == documented


@pytest.mark.parametrize(
    "path,template",
    [
        ("/api/context?url=https://statenews.example/a", "/api/context"),
        ("/api/context?url=https://unknown.example/a", "/api/context"),
        ("/api/context?url=chrome://x", "/api/context"),
        ("/api/context?url=", "/api/context"),
        ("/api/outlets", "/api/outlets"),
        ("/api/outlets/statenews", "/api/outlets/{outlet_id}"),
        ("/api/outlets/nope", "/api/outlets/{outlet_id}"),
        ("/api/owners", "/api/owners"),
        ("/api/owners/gov-xa", "/api/owners/{owner_id}"),
        ("/api/domains", "/api/domains"),
        ("/api/labels", "/api/labels"),
        ("/api/health", "/api/health"),
        ("/api/ping", "/api/ping"),
    ],
)
def test_responses_match_the_openapi_schemas(client, path, template):
    doc = openapi_document()
    response = client.get(path)
    declared = doc["paths"][template]["get"]["responses"]
    assert str(response.status_code) in declared, (path, response.status_code)
    schema = declared[str(response.status_code)]["content"]["application/json"]["schema"]
    resolver_schema = {**schema, "components": doc["components"]}
    jsonschema.validate(response.get_json(), _nullable_refs(resolver_schema))


def _nullable_refs(schema):
    """The document uses JSON Schema type lists; resolve local $refs for jsonschema."""
    components = schema.get("components", {})

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(components["schemas"][node["$ref"].rsplit("/", 1)[1]])
            return {k: walk(v) for k, v in node.items() if k != "components"}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


def test_reads_need_the_token_when_not_on_loopback(sources_copy, tmp_path):
    from masthead.web.app import create_app

    app = create_app({"SOURCES": str(sources_copy), "DB": str(tmp_path / "c.db"), "REQUIRE_READ_TOKEN": True,
                      "TOKEN": "a-long-enough-test-token-0123456789", "CONFIG_DIR": str(tmp_path / "cfg")})
    client = app.test_client()
    assert client.get("/api/ping").status_code == 200
    denied = client.get("/api/context?url=https://statenews.example/a")
    assert denied.status_code == 401 and denied.get_json()["status"] == 401
    assert client.get("/api/context?url=https://statenews.example/a", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.get("/api/context?url=https://statenews.example/a", headers={"Authorization": "Bearer a-long-enough-test-token-0123456789"})
    assert ok.status_code == 200 and ok.get_json()["outlet"]["id"] == "statenews"


def test_fetching_server_rate_limits_each_client(sources_copy, tmp_path):
    from masthead.web.app import create_app

    app = create_app({"SOURCES": str(sources_copy), "DB": str(tmp_path / "c.db"), "FETCH_PAGES": True,
                      "FETCH_RATE": 0.01, "FETCH_BURST": 2, "CONFIG_DIR": str(tmp_path / "cfg")})
    client = app.test_client()
    # The pages are unknown and unreachable here: related coverage comes from the title only.
    statuses = [client.get("/api/context?url=https://statenews.example/a&title=Harbour+vote").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    body = client.get("/api/context?url=https://statenews.example/a").get_json()
    assert body["status"] == 429 and "try again" in body["error"]
    assert client.get("/api/context?url=https://statenews.example/a&limit=0").status_code == 200  # no fetching, no limit


def test_oversize_body_is_413_in_the_error_shape(sources_copy, tmp_path):
    from masthead.web.app import create_app

    token = "an-oversize-test-token-0123456789"
    client = create_app({"SOURCES": str(sources_copy), "DB": str(tmp_path / "c.db"), "TOKEN": token,
                         "CONFIG_DIR": str(tmp_path / "cfg")}).test_client()
    response = client.post("/api/outlets", data=b"x" * (3 * 1024 * 1024),
                           headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    assert response.status_code == 413
    assert response.get_json()["status"] == 413
