"""The extension's local matching (extension/lib/match.js, run in Node) agrees with the server's Registry.match.

The badge is computed in the browser from GET /api/domains; the popup's answer comes from the server. Both
must name the same outlet for the same page, so every host and path rule of the test list and of the bundled
sources.yaml is tried in the spellings readers meet (www., m., amp., sub-domains, paths, upper case).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from masthead import registry as sources, urls

ROOT = Path(__file__).resolve().parents[2]
MATCH_JS = ROOT / "extension" / "lib" / "match.js"
LISTS = [ROOT / "tests" / "data" / "sources-small.yaml", ROOT / "sources.yaml"]

NODE_SCRIPT = f"""
import {{ matchOutlet }} from {json.dumps(MATCH_JS.as_uri())};
let input = "";
for await (const chunk of process.stdin) input += chunk;
const {{ map, urls }} = JSON.parse(input);
process.stdout.write(JSON.stringify(urls.map((url) => matchOutlet(map, url)?.outletId ?? null)));
"""


def page_urls(registry) -> list[str]:
    found = []
    hosts = set(registry.domain_map()["hosts"]) | set(registry.domain_map()["paths"])
    for host in sorted(hosts):
        for variant in (host, "www." + host, "m." + host, "amp." + host, "news." + host, "a.b." + host, host.upper()):
            found += [f"https://{variant}/", f"https://{variant}/world/2024/story.html"]
        for prefix, _ in registry.domain_map()["paths"].get(host, []):
            found += [f"https://{host}{prefix}", f"https://www.{host}{prefix}/item-1", f"https://{host}{prefix}-other",
                      f"https://{host}{prefix.upper()}/x"]
        found += [f"https://not{host}/", f"https://{host}.evil.test/"]
    return found


def server_outlet(registry, url: str) -> str | None:
    try:
        match = registry.match(urls.normalise(url))
    except urls.URLError:
        return None
    return match.outlet.id if match else None


@pytest.mark.parametrize("path", [p for p in LISTS if p.exists()], ids=lambda p: p.name)
def test_local_matching_agrees_with_the_server(path):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: the extension's unit tests and this check need Node.js 20+")
    registry = sources.load(path)
    candidates = page_urls(registry)
    answer = subprocess.run(
        [node, "--input-type=module", "-e", NODE_SCRIPT],
        input=json.dumps({"map": registry.domain_map(), "urls": candidates}),
        capture_output=True, text=True, check=True, timeout=60,
    )
    local = json.loads(answer.stdout)
    disagreements = [
        (url, server, browser)
        for url, browser in zip(candidates, local)
        if (server := server_outlet(registry, url)) != browser
    ]
    assert len(candidates) > 50 and sum(1 for outlet in local if outlet) > len(candidates) // 2
    assert not disagreements, f"{len(disagreements)} of {len(candidates)} differ, e.g. {disagreements[:10]}"


UNWRAP_SCRIPT = f"""
import {{ REDIRECTORS, REDIRECT_ENDPOINTS, unwrapUrl }} from {json.dumps(MATCH_JS.as_uri())};
let input = "";
for await (const chunk of process.stdin) input += chunk;
process.stdout.write(JSON.stringify({{redirectors: REDIRECTORS, paths: REDIRECT_ENDPOINTS,
                                      unwrapped: JSON.parse(input).map(unwrapUrl)}}));
"""

TARGET = "https://statenews.example/2026/02/26/story.html"
WRAPPED = [
    f"https://www.google.com/url?q={TARGET}&sa=U",
    "https://www.google.com/url?url=https%3A%2F%2Fstatenews.example%2Fx&rct=j",
    "https://l.facebook.com/l.php?u=https%3A%2F%2Fstatenews.example%2Fx%3Ffbclid%3D1&h=AT",
    "https://out.reddit.com/t3_1?url=https%3A%2F%2Fstatenews.example%2Fx&token=1",
    "https://duckduckgo.com/l/?uddg=https%3A%2F%2Fstatenews.example%2Fx&rut=1",
    "https://away.vk.com/away.php?to=https%3A%2F%2Fstatenews.example%2Fx",
    "https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fstatenews.example%2Fx&data=1",
    f"https://web.archive.org/web/20240101000000/{TARGET}",
    f"https://archive.ph/newest/{TARGET}",
    "https://statenews-example.cdn.ampproject.org/c/s/statenews.example/amp/x",
    "https://www.google.com/amp/s/statenews.example/amp/x",
    "https://r.search.yahoo.com/_ylt=x/RV=2/RE=1/RO=10/RU=https%3A%2F%2Fstatenews.example%2Fx/RK=2",
    "https://www.google.com/search?q=statenews",
    "https://l.facebook.com/l.php?u=javascript%3Aalert(1)",
    # a platform's own pages with a target-like parameter stay the platform's (issue 26)
    "https://vk.com/rt_russian?to=https://www.bbc.co.uk/",
    "https://www.youtube.com/watch?v=abc&q=https://www.rt.com/",
    "https://steamcommunity.com/id/someone?url=https://www.rt.com/",
    "https://www.google.com/urlfoo?q=https://www.rt.com/",
    "https://vk.com/away.php?to=https%3A%2F%2Fstatenews.example%2Fx",
    "https://steamcommunity.com/linkfilter/?url=https%3A%2F%2Fstatenews.example%2Fx",
]


def test_redirect_unwrapping_agrees_with_the_server():
    """Links next to search results and feeds are unwrapped in the browser as the server unwraps page URLs."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: the extension's unit tests and this check need Node.js 20+")
    answer = json.loads(subprocess.run([node, "--input-type=module", "-e", UNWRAP_SCRIPT], input=json.dumps(WRAPPED),
                                       capture_output=True, text=True, check=True, timeout=60).stdout)
    assert answer["redirectors"] == {host: list(names) for host, names in urls.REDIRECTORS.items()}
    assert answer["paths"] == {host: list(paths) for host, paths in urls.REDIRECT_ENDPOINTS.items()}
    for wrapped, local in zip(WRAPPED, answer["unwrapped"]):
        server = urls.normalise(wrapped)
        assert urls.normalise(local).host == server.host, (wrapped, local, server)
