"""What only the PostgreSQL corpus has: its migrations, per-language search documents, writers on several
connections, and a URL that never becomes a path. Against a real server (tests/pg.py), never a mock."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from pathlib import Path

import psycopg
import pytest

from masthead.cli import cli
from masthead.corpus import CorpusUnavailable, connect
from masthead.corpus import postgres as pg_corpus
from masthead.records import prepare
from masthead.registry import load

DATA = Path(__file__).parent / "data"
REGISTRY = load(DATA / "sources-small.yaml")
SMALL = DATA / "articles-small.jsonl"


@pytest.fixture
def url(pg_server):
    made = pg_server.database()
    yield made
    pg_server.drop(made)


def records() -> list[dict]:
    return [json.loads(line) for line in SMALL.read_text().splitlines()]


def test_migrations_run_once_whoever_connects_first(url):
    opened: list = []
    threads = [threading.Thread(target=lambda: opened.append(connect(url))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(opened) == 4
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(pg_corpus.SCHEMA_VERSION,)]
        columns = dict(conn.execute("SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
                                    "WHERE table_name IN ('articles', 'article_search')").fetchall())
        indexes = {r[0] for r in conn.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'article_search'")}
    assert columns["article_search.document"] == "tsvector" and "articles.document" not in columns
    assert columns["articles.embedding"] == "bytea" and columns["articles.search_config"] == "regconfig"
    assert any("USING gin (document)" in i for i in indexes) and any("(published)" in i for i in indexes)
    for corpus in opened:
        corpus.close()


def test_each_article_is_indexed_in_its_language(url):
    c = connect(url)
    c.add(prepare({"url": "https://a.example/en", "title": "Sanctions widened", "language": "en-GB",
                   "text": "The ministers sanctioned three banks in São Paulo."}, REGISTRY))
    c.add(prepare({"url": "https://b.example/ru", "title": "Санкции расширены", "language": "ru",
                   "text": "Министры ввели санкции против трёх банков."}, REGISTRY))
    c.add(prepare({"url": "https://c.example/xx", "title": "Sanctions list", "text": "No language given."}, REGISTRY))
    with psycopg.connect(url) as conn:
        configs = dict(conn.execute("SELECT url, search_config::text FROM articles").fetchall())
        title_weight = conn.execute("SELECT s.document::text FROM article_search s JOIN articles a USING (id) "
                                    "WHERE a.url = 'https://a.example/en'").fetchone()[0]
    assert configs == {"https://a.example/en": "masthead_english", "https://b.example/ru": "masthead_russian",
                       "https://c.example/xx": "masthead_simple"}
    assert "'sanction':1A" in title_weight and "'pulo'" not in title_weight and "'sao'" in title_weight
    assert {r["url"] for r in c.search("sanction", 10)} == {"https://a.example/en"}  # stemmed: sanctions, sanctioned
    assert {r["url"] for r in c.search("sanctions", 10)} == {"https://a.example/en", "https://c.example/xx"}
    assert [r["url"] for r in c.search("Sao Paulo", 10)] == ["https://a.example/en"]  # diacritics removed, as in SQLite
    assert [r["url"] for r in c.search("санкция", 10)] == ["https://b.example/ru"]
    hit = c.search("banks", 1)[0]
    assert hit["score"] > 0 and "banks" in hit["snippet"]
    c.close()


def test_two_writers_store_one_story_once(url):
    story = records()[0]
    copies = [{**story, "url": f"https://copy{n}.example/story"} for n in range(6)]
    corpora = [connect(url), connect(url)]
    results: list[str] = []
    barrier = threading.Barrier(2)

    def write(corpus, mine):
        barrier.wait()
        corpus.begin()
        for record in mine:
            results.append(corpus.add(prepare(record, REGISTRY)).status)
        corpus.commit()

    threads = [threading.Thread(target=write, args=(corpora[i], copies[i::2])) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["added"] + ["duplicate"] * 5  # the write lock orders them: one sees the other's copy
    stored = corpora[0].article("https://copy3.example/story")
    assert len(stored["urls"]) == 6 and corpora[1].count() == 1
    assert corpora[0].integrity_check() == []
    for corpus in corpora:
        corpus.close()


def test_one_corpus_serves_every_thread_of_a_process(url):
    from masthead import corpus as corpus_module

    mine = corpus_module.local(url)
    theirs: list = []
    thread = threading.Thread(target=lambda: theirs.append(corpus_module.local(url)))
    thread.start()
    thread.join()
    assert theirs[0] is mine  # its connection pool is thread-safe
    corpus_module.close_shared(url)


def test_integrity_check_finds_counters_out_of_step(url):
    c = connect(url)
    for record in records()[:3]:
        c.add(prepare(record, REGISTRY))
    assert c.integrity_check() == []
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE corpus_meta SET value = 7 WHERE key = 'articles'")
    assert c.integrity_check() == ["article counter 7 but 3 articles"]
    c.close()


def test_an_unreachable_server_is_corpus_unavailable(pg_server):
    dead = f"postgresql://masthead@127.0.0.1:{_closed_port()}/masthead?connect_timeout=2"
    with pytest.raises(CorpusUnavailable) as caught:
        pg_corpus.PostgresCorpus(dead, timeout=3)
    assert caught.value.reason == "unavailable" and "127.0.0.1" in str(caught.value)


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nobody listens there


def test_a_url_never_becomes_a_path(runner, url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["ingest", str(SMALL), "--db", url, "--sources", str(DATA / "sources-small.yaml"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output[result.output.index("{"):])["added"] == 8
    found = runner.invoke(cli, ["search", "Velmaria", "--db", url])
    assert found.exit_code == 0 and "statenews.example" in found.output
    monkeypatch.setenv("MASTHEAD_DB", url)  # the setting, too
    assert "statenews.example" in runner.invoke(cli, ["search", "Velmaria"]).output
    assert list(tmp_path.iterdir()) == []  # no folder named 'postgresql:', no file
    unknown = runner.invoke(cli, ["search", "x", "--db", "mysql://u@h/db"])
    assert unknown.exit_code == 1 and "unknown database scheme 'mysql://'" in unknown.output
    secret = runner.invoke(cli, ["search", "x", "--db", f"postgresql://masthead:hunter2@127.0.0.1:{_closed_port()}/none"])
    assert secret.exit_code == 1 and "hunter2" not in secret.output and "***" in secret.output
    assert list(tmp_path.iterdir()) == []


def test_the_pool_size_follows_the_setting(url, monkeypatch):
    monkeypatch.setenv("MASTHEAD_DB_POOL", "3")
    c = connect(url)
    assert c.pool.max_size == 3
    c.close()
    assert os.environ["MASTHEAD_DB_POOL"] == "3"


def test_time_window_candidates_and_vectors(url):
    """The reads of time-window ranking (issue 16): matches within a window of days, vectors beside articles."""
    import datetime as dt
    import struct

    c = connect(url)
    for n, day in enumerate(["2026-02-20", "2026-02-26T10:00:00Z", "2026-03-30"]):
        c.add(prepare({"url": f"https://w{n}.example/a", "title": f"Dorvik customs treaty {n}", "published": day,
                       "text": "Velmaria signs the customs treaty in Dorvik." + " filler" * n}, REGISTRY))
    ids = {r["url"]: r["id"] for r in c.rows(list(range(1, 10)))}
    day = dt.date(2026, 2, 26).toordinal()
    found = c.lexical_candidates(["dorvik", "nothing"], day - 7, day + 7, 10)
    assert {i for i, _ in found} == {ids["https://w0.example/a"], ids["https://w1.example/a"]}
    assert all(score > 0 for _, score in found)
    assert c.lexical_candidates(["dorvik"], day - 7, day + 7, 1) == found[:1]
    vector = struct.pack("<3f", 0.6, 0.8, 0.0)
    c.put_vectors([(ids["https://w1.example/a"], vector)])
    assert c.window_vectors(day, day) == ([ids["https://w1.example/a"]], vector)
    assert c.window_vectors(day + 1, day + 30) == ([], b"")
    assert c.vectors(list(ids.values())) == {ids["https://w1.example/a"]: vector}
    assert {r["day"] for r in c.rows(list(ids.values()))} == {day - 6, day, dt.date(2026, 3, 30).toordinal()}
    c.close()


def test_a_span_of_years_ranks_by_the_idf_of_the_words_each_article_holds(url):
    """Past WIDE_DAYS, candidates score the idf of the words they hold, best first then by id: the top of scoring
    every article of the generated data by the words it was given, in whichever language the words are asked (names
    and other words no stemmer changes match as written)."""
    import random

    from masthead.corpus.text import idf_weight

    c = connect(url)
    rng = random.Random(2)
    vocabulary = {"dorvik": 0.6, "kespat": 0.15, "vonnab": 0.04, "zeldik": 0.02, "quorim": 0.005}
    held_by: dict[int, list[str]] = {}
    for n in range(400):
        held = [w for w, p in vocabulary.items() if rng.random() < p] or ["other"]
        year = 2000 + n % 25
        added = c.add(prepare({"url": f"https://s{n % 40}.example/{n}", "title": f"Story {n} " + " ".join(held),
                               "published": f"{year}-0{1 + n % 9}-1{n % 10}", "language": ("en", None)[n % 2],
                               "text": "The report says " + " ".join(held) + "."}, REGISTRY))
        held_by[added.article_id] = held
    words = list(vocabulary)
    total, df = c.count(), c.doc_freqs(words)
    weight = {w: idf_weight(df.get(w, 0), total) for w in words}
    scored = {i: sum(weight[w] for w in held if w in weight) for i, held in held_by.items()}
    expected = sorted(((i, s) for i, s in scored.items() if s), key=lambda item: (-item[1], item[0]))
    first_day, last_day = dt.date(1995, 1, 1).toordinal(), dt.date(2030, 1, 1).toordinal()
    for limit in (1, 5, 20, 60, 300):
        for language in (None, "en", "ru"):
            found = c.lexical_candidates(words, first_day, last_day, limit, language)
            assert [i for i, _ in found] == [i for i, _ in expected[:limit]], (limit, language)
            assert [s for _, s in found] == pytest.approx([s for _, s in expected[:limit]])
    c.close()


def test_a_corpus_of_schema_1_gets_the_signs_of_its_vectors(url):
    """Migration 3 (issue 27): vectors stored before it get their signs, so the server-side nearest search finds
    them; the bits are embed.signs()'s, and vectors written after it get theirs as they are written."""
    import numpy as np

    from masthead import embed

    rng = np.random.default_rng(8)
    vectors = rng.standard_normal((2, embed.DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with psycopg.connect(url, autocommit=True) as conn:  # a database as Masthead left it at schema 1, with a vector
        conn.execute("CREATE TABLE schema_version (version integer NOT NULL)")
        conn.execute(pg_corpus.MIGRATIONS[0])
        conn.execute("INSERT INTO schema_version VALUES (1)")
        conn.execute("INSERT INTO articles (url, title, text, published, content_hash, embedding) "
                     "VALUES ('https://old.example/a', 'Old', 'Old text', '2026-11-02', 'h', %s)", (embed.pack(vectors[0]),))
    c = connect(url)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchone()[0] == pg_corpus.SCHEMA_VERSION
        stored = conn.execute("SELECT id, signs FROM articles").fetchall()
    expected = np.unpackbits(np.frombuffer(embed.signs(embed.pack(vectors[0]), embed.DIM), dtype=np.uint8))
    assert [bit == "1" for bit in stored[0][1]] == [bool(b) for b in expected]
    new = c.add(prepare({"url": "https://new.example/a", "title": "New", "text": "New text", "published": "2026-11-02"},
                        REGISTRY)).article_id
    c.set_vectors([(new, embed.pack(vectors[1]))])
    day = dt.date(2026, 11, 2).toordinal()
    found = c.nearest_in_window(day, day, vectors[1], 5)
    assert [i for i, _ in found] == [new, stored[0][0]] and abs(found[0][1] - 1.0) < 0.01
    assert c.nearest_in_window(day + 1, day + 1, vectors[1], 5) == []
    c.close()


def test_nearest_in_window_agrees_with_the_exact_search_and_breaks_ties_by_id(url):
    """nearest_in_window (issue 27) against the exact search: every vector of the window by cosine, ties to the lowest
    id. The signs pick RESCORE x k candidates, so on generated vectors: a story's neighbours are always found, a window
    that small is searched exactly, identical vectors (equal by signs and by cosine) go to the lowest ids, and vectors
    of another length, articles without one and other days are left out."""
    import numpy as np

    from masthead import embed
    from masthead.corpus.base import RESCORE

    rng = np.random.default_rng(27)

    def unit(n, dim=embed.DIM):
        v = rng.standard_normal((n, dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    centre, twin = unit(2)
    near = centre + 0.25 * unit(5)  # one story's reports: cosine ~0.97 with the centre
    vectors = [*(near / np.linalg.norm(near, axis=1, keepdims=True)), *unit(60), *[twin] * 30, *unit(3, 256)]
    day = dt.date(2026, 11, 2).toordinal()
    days = [day + i % 3 for i in range(len(vectors))] + [day + 1, day + 1, day + 4, day + 4]  # the last 4 keep no vector
    dates = [dt.date.fromordinal(d).isoformat() for d in days]
    c = connect(url)
    ids = [r.article_id for r in c.add_many([prepare({
        "url": f"https://n{i}.example/a", "title": f"Report number {i}", "published": dates[i],
        "text": " ".join(f"w{i}x{j}" for j in range(30))}, REGISTRY) for i in range(len(dates))])]
    rng.shuffle(order := list(range(len(vectors))))  # vectors stored out of id order, as backfills write them
    c.set_vectors([(ids[i], embed.pack(vectors[i])) for i in order])
    c.add(prepare({"url": "https://later.example/a", "title": "Later", "published": dt.date.fromordinal(day + 9).isoformat(),
                   "text": "Outside the window."}, REGISTRY))
    c.set_vectors([(c.article("https://later.example/a")["id"], embed.pack(centre))])

    def exact(query, k, first=day, last=day + 2):
        """Every vector of the query's length in the window, by cosine (ties: lowest id), as int8 vectors are stored."""
        kept = [i for i, v in enumerate(vectors) if len(v) == len(query) and first <= days[i] <= last]
        sims = embed.cosines(b"".join(embed.pack(vectors[i]) for i in kept), query).tolist()
        return sorted(((ids[i], s) for i, s in zip(kept, sims)), key=lambda item: (-item[1], item[0]))[:k]

    def same(found, expected):
        return [i for i, _ in found] == [i for i, _ in expected] and np.allclose([s for _, s in found], [s for _, s in expected])

    assert RESCORE * 5 < 95 and RESCORE * 3 < 30 and RESCORE * 40 >= 32  # what each case below relies on
    assert same(c.nearest_in_window(day, day + 2, centre, 5), exact(centre, 5))  # 20 of 95 rescored: the story is found
    assert same(c.nearest_in_window(day, day, centre, 40), exact(centre, 40, day, day))  # 32 vectors: all rescored
    ties = c.nearest_in_window(day, day + 2, twin, 3)  # 30 identical vectors, 12 rescored: the lowest ids, in order
    assert same(ties, exact(twin, 3)) and [i for i, _ in ties] == ids[65:68]
    assert same(c.nearest_in_window(day, day + 2, vectors[-1], 10), exact(vectors[-1], 10))  # 256 components: 3 found
    assert c.nearest_in_window(day + 3, day + 8, centre, 5) == []  # two articles, no vectors
    assert c.nearest_in_window(day + 3, day + 8, vectors[-1], 5) == []
    c.close()


def test_a_corpus_of_schema_3_moves_its_search_documents_and_every_write_keeps_them_in_step(url):
    """Migration 4 (issue 27): the search documents move to article_search (narrow rows a GIN match reads cheaply);
    a trigger writes them with every article written, updated or deleted, and writing a vector leaves them alone."""
    from masthead import embed

    with psycopg.connect(url, autocommit=True) as conn:  # a database as Masthead left it at schema 3, with an article
        conn.execute("CREATE TABLE schema_version (version integer NOT NULL)")
        for step in pg_corpus.MIGRATIONS[:3]:
            conn.execute(step)
        conn.execute("INSERT INTO schema_version VALUES (3)")
        old = conn.execute("INSERT INTO articles (url, title, text, published, content_hash, search_config) VALUES "
                           "('https://old.example/a', 'Sanctions widened', 'Ministers sanctioned banks.', '2020-11-02', "
                           "'h', 'masthead_english') RETURNING id").fetchone()[0]
        conn.execute("INSERT INTO corpus_configs VALUES ('masthead_english')")
    c = connect(url)

    def document(article_id):
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT document::text, xmin::text FROM article_search WHERE id = %s", (article_id,)).fetchone()
        return row and row[0], row and row[1]

    assert "'sanction':1A" in document(old)[0]
    assert [r["id"] for r in c.search("sanction", 5)] == [old]
    day = dt.date(2020, 11, 2).toordinal()
    assert [i for i, _ in c.lexical_candidates(["sanctioned"], day - 3, day + 3, 5, "en")] == [old]
    new = c.add(prepare({"url": "https://new.example/a", "title": "Harbour reopens", "published": "2026-11-02",
                         "language": "en", "text": "The harbour reopened after the storm."}, REGISTRY)).article_id
    assert "'harbour':1A" in document(new)[0]
    c.add(prepare({"url": "https://new.example/a", "title": "Harbour stays shut", "published": "2026-11-02",
                   "language": "en", "text": "The storm kept the port closed for a second week."}, REGISTRY))
    text, version = document(new)
    assert "'shut':3A" in text and "'reopen'" not in text and c.search("reopened", 5) == []
    c.set_vectors([(new, embed.pack([1.0] + [0.0] * (embed.DIM - 1)))])
    assert document(new) == (text, version)  # a vector is not a search document: no rewrite, no GIN insert
    wide = (dt.date(2000, 1, 1).toordinal(), dt.date(2040, 1, 1).toordinal())
    assert [i for i, _ in c.lexical_candidates(["storm", "harbour"], *wide, 5, "en")] == [new]
    assert [i for i, _ in c.lexical_candidates(["sanctioned"], *wide, 5, "en")] == [old]  # as English stems it
    assert c.lexical_candidates(["sanctioned"], *wide, 5, "ru") == []  # as written: the article holds 'sanction'
    c.delete("https://new.example/a")
    assert document(new) == (None, None)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM article_search WHERE id = %s", (old,))
    assert "1 articles but 0 search documents" in c.integrity_check()
    c.close()


def test_a_host_finds_languages_another_host_stored_first(url, monkeypatch):
    here, there = connect(url), connect(url)
    here.add(prepare({"url": "https://a.example/en", "title": "Sanctions widened", "language": "en", "text": "Banks."}, REGISTRY))
    assert here.search("sanctions", 5)  # caches the configurations in use: english only
    there.add(prepare({"url": "https://b.example/ru", "title": "Санкции расширены", "language": "ru", "text": "Банки."}, REGISTRY))
    monkeypatch.setattr(pg_corpus, "CONFIGS_TTL", 0.0)
    assert [r["url"] for r in here.search("санкция", 5)] == ["https://b.example/ru"]
    here.close()
    there.close()


def test_delete_forgets_the_article_and_its_statistics(url):
    from masthead.corpus import terms

    c = connect(url)
    stored = [prepare(r, REGISTRY) for r in records()]
    c.add_many(stored)
    first = stored[0]
    c.add(prepare({**records()[0], "url": "https://mirror.example/copy"}, REGISTRY))  # a duplicate: one more URL
    assert c.delete("https://mirror.example/copy") == [first.url, "https://mirror.example/copy"]
    assert c.delete(first.url) is None and c.count() == len(stored) - 1 and c.stats()["urls"] == len(stored) - 1
    rest = [c.article(a.url) for a in stored[1:]]
    texts = [set(terms(a["title"])) | set(terms(a["text"])) for a in rest]
    words = set(terms(first.title + " " + first.text)) | set().union(*texts)
    assert c.doc_freqs(words) == {w: n for w in words if (n := sum(w in t for t in texts))}
    assert c.integrity_check() == []
    c.close()


def test_a_record_postgresql_cannot_take_is_refused_alone(url):
    c = connect(url)
    good = [prepare(r, REGISTRY) for r in records()[:3]]
    bad = prepare({"url": "https://bad.example/nul", "title": "Zero", "text": "a\x00b"}, REGISTRY)
    c.begin()
    results = c.add_many([good[0], bad, *good[1:]])
    c.commit()
    assert [getattr(r, "status", None) for r in results] == ["added", None, "added", "added"]
    assert "NUL" in str(results[1]) and c.count() == 3 and c.integrity_check() == []
    c.close()
