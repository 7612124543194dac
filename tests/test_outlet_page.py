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
    assert timeline.count('class="bar ') == 2 and 'class="bar kind-platform ended"' in timeline  # Twitter's label ended
    # The typology is an assessment: a mark at the edition it is as of, not a bar from a start (issue 24).
    assert timeline.count('class="point kind-control"') == 1 and "State-controlled media (State Media Monitor), as of 1 May 2023" in timeline
    assert 'class="end-cap"' in timeline
    assert "<span class=\"ended-tag\">ended</span>" in html


def test_unknown_outlet_page_is_404(client):
    assert client.get("/outlets/nope").status_code == 404


def test_outlet_page_dates_assessments_by_edition_and_designations_by_start(client):
    html = client.get("/outlets/statenews?as_of=2026-02-26").get_data(as_text=True)
    labels = html.split('<ol class="labels">', 1)[1].split("</ol>", 1)[0]
    assert "State Media Monitor (INT) · as of 1 May 2023" in labels
    assert "Council of the European Union (EU) · since 2 Mar 2022" in labels
    assert "Twitter (INT) · 6 Aug 2020 – 21 Apr 2023" in labels


def test_label_period_says_as_of_an_edition_or_since_a_start():
    from masthead.web.outlet_page import label_period

    rows = [
        ({"as_of": "2025"}, "as of 2025 edition"),
        ({"as_of": "2024-03"}, "as of Mar 2024"),
        ({"as_of": "2025", "since": "2024-07"}, "since Jul 2024, as of 2025 edition"),
        ({"since": "2022-03-02", "status": "active"}, "since 2 Mar 2022"),
        ({"since": "2030-01-01", "status": "future"}, "from 1 Jan 2030"),
        ({"since": "2020-08-06", "until": "2023-04-21"}, "6 Aug 2020 – 21 Apr 2023"),
    ]
    for label, expected in rows:
        assert label_period(label) == expected, label


def test_funding_is_drawn_as_a_dashed_edge_apart_from_ownership():
    from masthead.web.outlet_page import ownership_graph

    answer = {
        "ownership": [{"id": "radio", "name": "Radio Service", "kind": "outlet", "country": "US"},
                      {"id": "corp", "name": "Radio Corp, Inc.", "kind": "non-profit", "country": "US", "share": 100,
                       "sources": ["https://example.org/corp"], "ultimate": True}],
        "funding": [{"of": "corp", "funder": "agency", "name": "Federal Agency", "kind": "grant", "funder_kind": "state-agency",
                     "country": "US", "sources": ["https://example.org/grant"]}],
    }
    graph = ownership_graph(answer)
    funder = next(n for n in graph["nodes"] if n["funder"])
    assert funder["name"] == "Federal Agency" and funder["facts"].startswith("funds by grant")
    owning = [e for e in graph["edges"] if not e["funding"]]
    funding = [e for e in graph["edges"] if e["funding"]]
    assert len(owning) == 1 and owning[0]["label"] == "100%"
    assert len(funding) == 1 and funding[0]["label"] == "grant"
    corp = next(n for n in graph["nodes"] if n["id"] == "corp")
    assert funding[0]["x2"] == corp["x"] + graph["node_width"] + 2  # points at the grantee it pays for, beside it
