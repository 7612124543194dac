"""GET /outlets/<id>: the ownership chain as an SVG graph and the labels on an SVG timeline, with no script."""

from __future__ import annotations

import re


def test_outlet_page_draws_the_chain_and_the_timeline(client):
    response = client.get("/outlets/statenews?as_of=2026-02-26")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "<script" not in html and "http://" not in re.sub(r'href="[^"]*"', "", html).replace("http://www.w3.org", "")
    graph = html.split('aria-labelledby="graph-title"', 1)[1].split("</svg>", 1)[0]
    for name in ("State News", "State Media Holding", "Government of Examplestan"):
        assert name in graph
    assert "ultimate owner" in graph and "100%" in graph
    timeline = html.split('aria-labelledby="timeline-title"', 1)[1].split("</svg>", 1)[0]
    assert "Council of the European Union" in timeline and "as of 26 Feb 2026" in timeline
    assert timeline.count('class="bar ') == 3 and 'class="bar kind-platform ended"' in timeline  # Twitter's label ended
    assert 'class="end-cap"' in timeline
    assert "<span class=\"ended-tag\">ended</span>" in html


def test_unknown_outlet_page_is_404(client):
    assert client.get("/outlets/nope").status_code == 404
