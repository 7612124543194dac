"""Forgetting one article: the store, the ranking's statistics, the API with its token and the CLI (issue 13 B11)."""

from __future__ import annotations

from pathlib import Path

import requests
from click.testing import CliRunner

from local_site import LocalSite
from masthead.cli import cli
from masthead.corpus import connect
from masthead.ingest import ingest
from masthead.records import prepare
from masthead.registry import load
from servers import RunningServer

DATA = Path(__file__).parent / "data"
SOURCES = DATA / "sources-small.yaml"
TREATY = "https://statenews.example/20260226/velmar-customs-union-treaty.html"
TOKEN = "a-forget-test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _filled(path: Path):
    corpus = connect(path)
    ingest([str(DATA / "articles-small.jsonl")], corpus, load(SOURCES), helpers=0)
    corpus.close()
    return connect(path)  # as a server or the CLI opens it: statistics kept write by write


def _stats_are_the_index(corpus) -> None:
    """term_stats is complete and equals what the full-text index itself counts; count() is the row count."""
    assert corpus.count() == corpus.conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert corpus._stats_size() == corpus.count()
    assert dict(corpus.conn.execute("SELECT term, df FROM term_stats")) == \
        dict(corpus.conn.execute("SELECT term, doc FROM articles_fts_vocab"))
    assert corpus.integrity_check() == []


def test_delete_forgets_the_article_everywhere_and_keeps_the_statistics_right(tmp_path):
    corpus = _filled(tmp_path / "c.db")
    syndicated = "https://mirror.example/velmar-treaty-copy"
    copy = corpus.article(TREATY)
    assert corpus.add(prepare({"url": syndicated, "title": copy["title"], "text": copy["text"]})).status == "duplicate"
    before = corpus.count()
    unique = "velmaria"
    df_before = corpus.doc_freqs([unique]).get(unique, 0)
    assert corpus.delete(syndicated) == [TREATY, syndicated]  # any of its URLs: the whole article goes
    assert corpus.count() == before - 1
    assert corpus.article(TREATY) is None and not corpus.has_url(syndicated)
    assert TREATY not in [r["url"] for r in corpus.search("customs union treaty", 10)]
    assert corpus.doc_freqs([unique]).get(unique, 0) == df_before - 1
    assert corpus.stats()["urls"] == corpus.conn.execute("SELECT count(*) FROM article_urls").fetchone()[0]
    _stats_are_the_index(corpus)
    assert corpus.delete(TREATY) is None
    # The next article may take the freed id: it is indexed and counted like any other.
    assert corpus.add(prepare({"url": "https://new.example/1", "title": "Harbour tariffs", "text": "zanzibarite tariffs"})).status == "added"
    assert [r["url"] for r in corpus.search("zanzibarite", 10)] == ["https://new.example/1"]
    _stats_are_the_index(corpus)


def test_deleting_the_newest_article_then_adding_keeps_count_and_index(tmp_path):
    # count() was max(id): with the newest row deleted and its id reused, it and the deferred indexing went wrong.
    corpus = _filled(tmp_path / "c.db")
    newest = corpus.conn.execute("SELECT url FROM articles ORDER BY id DESC LIMIT 1").fetchone()[0]
    middle = corpus.conn.execute("SELECT url FROM articles ORDER BY id LIMIT 1 OFFSET 3").fetchone()[0]
    corpus.delete(middle)
    corpus.delete(newest)
    corpus.begin(defer_index=True)  # a bulk batch, as ingest writes
    for n in range(3):
        corpus.add(prepare({"url": f"https://new.example/{n}", "title": f"Quokkaville story {n}", "text": f"quokkaville {n}"}))
    corpus.delete("https://new.example/1")  # inside the batch, before it was indexed
    corpus.commit()
    assert corpus.count() == 8 - 2 + 2
    assert sorted(r["url"] for r in corpus.search("quokkaville", 10)) == ["https://new.example/0", "https://new.example/2"]
    _stats_are_the_index(corpus)


def test_the_cli_forgets_articles(tmp_path):
    db = tmp_path / "c.db"
    _filled(db).close()
    runner = CliRunner()
    result = runner.invoke(cli, ["forget", TREATY, "--db", str(db)])
    assert result.exit_code == 0 and result.output.strip() == f"forgot {TREATY}"
    again = runner.invoke(cli, ["forget", TREATY, "--db", str(db)])
    assert again.exit_code == 1 and "not in the corpus" in again.output
    assert connect(db).count() == 7


def test_a_reader_forgets_a_stored_page_through_a_real_server(sources_copy, tmp_path):
    db = tmp_path / "corpus.db"
    _filled(db).close()
    env = {"MASTHEAD_STORE_PAGES": "1", "MASTHEAD_FETCH_ALLOW": "127.0.0.1/32", "MASTHEAD_TOKEN": TOKEN}
    with LocalSite() as site:
        server = RunningServer(sources_copy, db, env=env)
        try:
            page = site.base + "/dorvik-vote.html"
            added = requests.post(server.url + "/api/articles", json={"url": page}, headers=AUTH, timeout=20)
            assert added.status_code == 201, added.text
            assert requests.delete(server.url + "/api/articles", params={"url": page}, timeout=10).status_code == 401
            forgotten = requests.delete(server.url + "/api/articles", params={"url": page}, headers=AUTH, timeout=10)
            assert forgotten.status_code == 200, forgotten.text
            assert forgotten.json()["urls"] == [page]
            assert server.get("/api/articles", params={"url": page}).status_code == 404
            gone = requests.delete(server.url + "/api/articles", params={"url": page}, headers=AUTH, timeout=10)
            assert gone.status_code == 404 and gone.json()["ok"] is False
            assert page not in server.output()  # the log names the host only
            assert server.get("/api/health").json()["corpus"]["articles"] == 8  # counted, not the largest id (9)
        finally:
            server.stop()
    corpus = connect(db)
    assert corpus.count() == 8
    _stats_are_the_index(corpus)
