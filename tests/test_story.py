"""The story over time through the server: /api/context's background and coverage, and the /stories page, on the
two seed articles (../shared/seeds) among the thread dev set, with real sentence vectors."""

from __future__ import annotations

import pytest

from masthead import embed
from test_related_background import MOSCOW_TIMES, ROOT, THREADS, _corpus, needs_encoder, needs_seeds, seed_records

pytestmark = [needs_seeds, needs_encoder]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    from masthead.web.app import create_app

    tmp = tmp_path_factory.mktemp("story")
    sputnik, times = seed_records()
    _corpus(tmp / "c.db", [sputnik, times] + THREADS).close()
    app = create_app({"SOURCES": str(ROOT / "sources.yaml"), "DB": str(tmp / "c.db"), "EMBED": True, "TESTING": True,
                      "CONFIG_DIR": str(tmp / "config")})
    return app.test_client(), sputnik, times


def test_each_seed_page_shows_the_other_as_the_story_earlier_or_later(seeded):
    client, sputnik, times = seeded
    for page, other, outlet, when in ((sputnik, times, "the-moscow-times", "2022-07-01"), (times, sputnik, "sputnik", "2026-02-26")):
        answer = client.get("/api/context", query_string={"url": page["url"]}).json
        assert answer["outlet"]["id"] == ("sputnik" if page is sputnik else "the-moscow-times")
        item = next(i for i in answer["background"] if i["outlet"] and i["outlet"]["id"] == outlet)
        assert item["published"][:10] == when and item["control_model"] and 0.5 <= item["confidence"] <= 1
        assert item["labels"], "each background item carries its own outlet's labels"
        assert not {i["url"] for i in answer["related"]} & {i["url"] for i in answer["background"]}


def test_the_story_page_puts_both_on_one_timeline_without_scripts(seeded):
    client, sputnik, times = seeded
    response = client.get("/stories", query_string={"url": sputnik["url"]})
    assert response.status_code == 200 and response.mimetype == "text/html", response.get_data(as_text=True)[:500]
    html = response.get_data(as_text=True)
    assert "<script" not in html and "script-src" not in response.headers["Content-Security-Policy"]
    assert MOSCOW_TIMES in html and "The Moscow Times" in html and "1 Jul 2022" in html and "earlier" in html
    assert html.index("1 Jul 2022") < html.index("26 Feb 2026")  # oldest first
    assert client.get("/stories").status_code == 400 and client.get("/stories", query_string={"url": "about:blank"}).status_code == 422


def test_coverage_counts_outlets_by_control_model_with_the_first_report(seeded):
    client, *_ = seeded
    story = THREADS[0]
    answer = client.get("/api/context", query_string={"url": story["url"]}).json
    if not answer["related"]:
        assert answer["coverage"] is None
        return
    coverage = answer["coverage"]
    assert coverage["outlets"] == len(answer["related"]) + 1 and sum(coverage["by_control_model"].values()) == coverage["outlets"]
    dates = [i["published"] for i in answer["related"] if i["published"]] + [story["published"]]
    assert coverage["first"]["published"][:10] == min(d[:10] for d in dates)
