"""Search words are normalised and their cost bounded, end to end (issue 13 B8)."""

from __future__ import annotations

import pytest

from masthead.corpus import connect
from masthead.corpus.base import MAX_SEARCH_WORDS
from masthead.records import prepare
from masthead.web.app import create_app

ARTICLES = 2_400  # "common" is in all of them, past COMMON_MIN (1,000)
TOPICS = ["harbour", "tariff", "quota", "grain", "treaty", "summit", "ferry", "pipeline", "border", "vote", "court", "strike"]


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("search") / "c.db"
    corpus = connect(db)
    corpus.begin(defer_index=True)
    for n in range(ARTICLES):
        topic = TOPICS[n % len(TOPICS)]
        text = f"common words in every story; this one is about the {topic} and item{n}"
        corpus.add(prepare({"url": f"https://news.example/{n}", "title": f"Story {n} on the {topic}", "text": text}))
    corpus.commit()
    corpus.refresh_term_stats()
    corpus.close()
    return db


@pytest.fixture
def client(corpus_db, sources_copy):
    return create_app({"SOURCES": str(sources_copy), "DB": str(corpus_db), "TESTING": True}).test_client()


def test_a_word_repeated_32_times_is_searched_once(client):
    body = client.get("/api/search", query_string={"q": " ".join(["Item7"] * 32)}).json
    assert body["words"] == ["item7"] and body["ignored"] == []
    assert [r["url"] for r in body["results"]] == ["https://news.example/7"]


def test_a_word_in_most_articles_is_left_out_while_a_rarer_one_remains(client):
    # Before: each common word cost a full posting-list read (and 32 of them cut the rare word off: no results).
    q = " ".join(["common", "every", "story", "words"] * 8 + ["item42"])
    body = client.get("/api/search", query_string={"q": q}).json
    assert body["words"] == ["item42"] and body["ignored"] == ["common", "every", "story", "words"]
    assert [r["url"] for r in body["results"]] == ["https://news.example/42"]
    alone = client.get("/api/search", query_string={"q": "common common"}).json  # only common words: the rarest stays
    assert alone["words"] == ["common"] and alone["count"] == 10


def test_at_most_the_rarest_words_are_searched(client):
    q = " ".join(TOPICS + ["item5"])  # 13 distinct words
    body = client.get("/api/search", query_string={"q": q}).json
    assert len(body["words"]) == MAX_SEARCH_WORDS and "item5" in body["words"]
    assert len(body["ignored"]) == len(TOPICS) + 1 - MAX_SEARCH_WORDS


def test_a_query_matching_very_many_articles_ranks_only_the_newest(corpus_db, monkeypatch):
    monkeypatch.setattr("masthead.corpus.sqlite.RANK_LIMIT", 100)
    corpus = connect(corpus_db)
    rows = corpus.search("common", 50)
    assert len(rows) == 50 and min(r["id"] for r in rows) > ARTICLES - 100
    assert corpus.search("harbour item0", 5)[0]["url"] == "https://news.example/0"  # few matches: all ranked


def test_the_cli_says_which_words_it_left_out(corpus_db, runner):
    from masthead.cli import cli

    result = runner.invoke(cli, ["search", "common item3", "--db", str(corpus_db)])
    assert result.exit_code == 0 and "left out" in result.output and "https://news.example/3" in result.output
