"""The corpus: schema and migrations, upsert, exact and near duplicate merging, full-text search.

Tests that take `db` or `corpus` run against both stores (SQLite and PostgreSQL); those about one store's
internals (FTS5 triggers, WAL, term_stats snapshots) take tmp_path, and PostgreSQL's own are in test_postgres.py.
"""

import json
import threading
from pathlib import Path

import pytest

from masthead import corpus as corpus_module
from masthead.corpus import RecordError, connect, content_hash, parse_published, sketch, terms
from masthead.corpus import sqlite_schema
from masthead.corpus import text as corpus_text
from masthead.records import prepare
from masthead.registry import load

DATA = Path(__file__).parent / "data"
REGISTRY = load(DATA / "sources-small.yaml")
WIRE = ("The ministers of the two countries met on Friday in the harbour town of Calloway to sign an agreement on "
        "fishing quotas for the northern sea, ending a dispute that had kept trawlers in port for most of the winter. "
        "Under the deal each fleet may catch up to twelve thousand tonnes of cod a year, and inspectors from both "
        "sides will board vessels at random. Fishermen's unions welcomed the agreement but asked for compensation "
        "for the lost months.")


def small_articles() -> list[dict]:
    return [json.loads(line) for line in (DATA / "articles-small.jsonl").read_text().splitlines()]


@pytest.fixture
def corpus(db):
    c = connect(db)
    yield c
    c.close()


def add(c, record):
    return c.add(prepare(record, REGISTRY)).status


def test_schema_is_versioned_and_migrations_run_once(tmp_path):
    path = tmp_path / "c.db"
    first = connect(path)
    assert first.conn.execute("PRAGMA user_version").fetchone()[0] == sqlite_schema.SCHEMA_VERSION
    assert first.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = set(first.db.table_names())
    assert {"articles", "article_urls", "article_sketch", "articles_fts", "articles_fts_vocab"} <= tables
    add(first, small_articles()[0])
    first.close()
    again = connect(path)  # reopening keeps data and does not migrate again
    assert again.count() == 1 and again.integrity_check() == []


def test_add_is_idempotent_and_updates_changed_text(corpus):
    record = small_articles()[0]
    assert add(corpus, record) == "added"
    assert add(corpus, record) == "unchanged"
    assert add(corpus, {**record, "url": record["url"] + "?utm_source=feed"}) == "unchanged"  # same canonical URL
    changed = {**record, "text": record["text"] + " A correction: the treaty takes effect in August."}
    assert add(corpus, changed) == "updated"
    assert corpus.count() == 1
    assert [r["url"] for r in corpus.search('"correction"', 5)] == [record["url"]]
    assert corpus.integrity_check() == []


def test_exact_duplicate_is_stored_once_with_both_urls(corpus):
    assert add(corpus, {"url": "https://bignews.example/world/fish-deal", "title": "Fishing deal signed", "text": WIRE}) == "added"
    assert add(corpus, {"url": "https://freepress.example/wire/fish", "title": "Fish quota agreement signed in Calloway", "text": "  " + WIRE.upper()}) == "duplicate"
    assert corpus.count() == 1
    stored = corpus.article("https://freepress.example/wire/fish")
    assert stored["title"] == "Fishing deal signed"
    assert [(u["url"], u["outlet_id"]) for u in stored["urls"]] == [
        ("https://bignews.example/world/fish-deal", "bignews"), ("https://freepress.example/wire/fish", "freepress")]


def test_near_duplicate_wire_copy_is_merged(corpus):
    add(corpus, {"url": "https://bignews.example/world/fish-deal", "title": "Fishing deal signed", "text": WIRE})
    edited = WIRE.replace("most of the winter", "much of the winter") + " Reporting by the wire desk."
    assert add(corpus, {"url": "https://gazette.example/fish", "title": "Quota deal ends fishing dispute", "text": edited}) == "duplicate"
    different = ("The ministers of the two countries met on Friday but failed to agree on anything at all. " * 2
                 + "Talks on the northern sea collapsed after the delegations argued about inspection rules, and the "
                 "trawlers stay in port while unions prepare a strike and the harbour town of Calloway counts its losses.")
    assert add(corpus, {"url": "https://gazette.example/fish-talks-fail", "title": "Fish talks fail", "text": different}) == "added"
    assert corpus.count() == 2


@pytest.mark.parametrize("record,reason", [
    ({"title": "x"}, "no url"),
    ({"url": "chrome://newtab", "title": "x"}, "bad url"),
    ({"url": "not a url at all", "title": "x"}, "bad url"),
    ({"url": "https://a.example/1"}, "no title and no text"),
    ({"url": "https://a.example/1", "title": " ", "text": ""}, "no title and no text"),
    ({"url": "https://a.example/1", "title": "x", "outlet": ["x"]}, "outlet must be text"),
    ("a string", "not a JSON object"),
])
def test_prepare_rejects_bad_records_with_a_reason(record, reason):
    with pytest.raises(RecordError, match=reason):
        prepare(record, REGISTRY)


def test_prepare_attributes_outlets_and_keeps_unknown_sites():
    known = prepare({"url": "https://www.nbc-example.co.uk/news/1?utm_source=x", "title": "t"}, REGISTRY)
    assert (known.url, known.outlet_id, known.registered_domain, known.site_name) == (
        "https://www.nbc-example.co.uk/news/1", "national-broadcaster", "nbc-example.co.uk", "National Broadcaster")
    unknown = prepare({"url": "https://news.baltic-observer.example/a", "title": "t", "site_name": "Baltic Observer"}, REGISTRY)
    assert (unknown.outlet_id, unknown.registered_domain, unknown.site_name) == (None, "baltic-observer.example", "Baltic Observer")
    given = prepare({"url": "https://syndication.example/a", "title": "t", "outlet": "freepress"}, REGISTRY)
    assert given.outlet_id == "freepress"


@pytest.mark.parametrize("value,expected", [
    ("2026-02-26", "2026-02-26"),
    ("2026-02-26T10:00:00+03:00", "2026-02-26T07:00:00Z"),
    ("2026-02-26T10:00:00Z", "2026-02-26T10:00:00Z"),
    ("Thu, 26 Feb 2026 10:00:00 GMT", "2026-02-26T10:00:00Z"),
    (1394470370698, "2014-03-10T16:52:50Z"),
    (1394470370, "2014-03-10T16:52:50Z"),
    ("2026-02-30", None),
    ("yesterday", None),
    (None, None),
])
def test_parse_published(value, expected):
    assert parse_published(value) == expected


def test_terms_fold_case_and_diacritics_like_fts5():
    assert terms("Café Zürich, São-Paulo's_trade 2026") == ["cafe", "zurich", "sao", "paulo", "s", "trade", "2026"]
    assert terms("Кремль и Минск") == ["кремль", "и", "минск"]


def test_ascii_fast_path_splits_like_the_unicode_rule():
    for text in ("Hello_world, it's 2026: x-ray CO2 e.g. U.S.A.", "  MiXeD\tcase\nLINES  ", "___", "a1b2 c3_d4"):
        assert terms(text) == corpus_text._WORD.findall(corpus_text.fold(text))


def test_hash_and_sketch():
    assert content_hash("A", WIRE) == content_hash("B", "  " + WIRE.lower())  # long texts: the text decides
    assert content_hash("A", "short") != content_hash("B", "short")  # short ones: headline too
    assert sketch("too short") == [] and len(sketch(WIRE)) == corpus_text.SKETCH_SIZE


def test_hash_and_sketch_values_are_stable():
    # Stored corpora hold these values: a change to the hashing would stop new copies matching old ones.
    assert content_hash("A", WIRE) == "2e2ea743a0cee57f39ab77fe13583963abf5d7a1"
    assert sketch(WIRE)[:4] == [380073631561536684, 886160121881180425, 939880616569528916, 1645766296513006283]


def test_doc_freqs_and_title_weighted_match(corpus):
    for record in small_articles():
        add(corpus, record)
    df = corpus.doc_freqs(["velmaria", "dorvik", "lakeview", "absent"])
    assert df == {"velmaria": 3, "dorvik": 3, "lakeview": 1}
    rows = corpus.search('"dorvik"', 10)
    assert rows[-1]["registered_domain"] == "statenews.example"  # the only one without the word in its title
    assert {r["registered_domain"] for r in rows} == {"statenews.example", "freepress.example", "baltic-observer.example"}


def test_each_thread_has_its_own_sqlite_connection(tmp_path):
    path = tmp_path / "c.db"
    mine = corpus_module.local(path)
    assert corpus_module.local(path) is mine
    theirs = []
    thread = threading.Thread(target=lambda: theirs.append(corpus_module.local(path)))
    thread.start()
    thread.join()
    assert theirs[0] is not mine


def test_readers_see_committed_rows_during_a_write(db):
    writer, reader = connect(db), connect(db)
    add(writer, small_articles()[0])
    writer.begin()
    add(writer, small_articles()[1])
    assert reader.count() == 1  # the open batch is invisible, not blocking
    assert reader.article(prepare(small_articles()[1], REGISTRY).url) is None
    writer.commit()
    assert reader.count() == 2
    writer.close()
    reader.close()


def test_a_rolled_back_batch_leaves_nothing(corpus):
    records = small_articles()
    add(corpus, records[0])
    corpus.begin(defer_index=True)
    for record in records[1:5]:
        add(corpus, record)
    add(corpus, {**records[0], "text": records[0]["text"] + " Amendment: quotas for sugar beet."})
    corpus.rollback()
    assert corpus.count() == 1 and corpus.search("beet", 5) == [] and corpus.integrity_check() == []
    assert corpus.doc_freqs(["beet"]) == {}
    assert [add(corpus, r) for r in records[1:5]] == ["added"] * 4  # the next run adds them again


def test_deferred_indexing_keeps_the_trigger_and_the_index_in_step(tmp_path):
    c = connect(tmp_path / "c.db")
    records = small_articles()
    c.begin(defer_index=True)
    for record in records[:4]:
        add(c, record)
    add(c, {**records[0], "text": records[0]["text"] + " Amendment: quotas for sugar beet."})  # updated in the same batch
    other = connect(tmp_path / "c.db")
    assert other.conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'articles_ai'").fetchone()[0] == 1
    c.commit()
    assert c.conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'articles_ai'").fetchone()[0] == 1
    assert c.integrity_check() == []
    assert [r["url"] for r in c.search('"beet"', 5)] == [records[0]["url"]]
    assert len(c.search('"velmaria"', 5)) == 2
    add(c, records[4])  # outside a batch the trigger indexes
    assert len(c.search('"sowing"', 5)) == 1
    c.begin(defer_index=True)
    add(c, records[5])
    c.rollback()
    assert c.count() == 5 and c.integrity_check() == []
    assert c.conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'articles_ai'").fetchone()[0] == 1


def test_a_version_2_corpus_is_migrated_to_large_index_segments(tmp_path):
    import sqlite3

    import sqlite_utils

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    db = sqlite_utils.Database(conn)
    for number, migration in enumerate(sqlite_schema.MIGRATIONS[:2], start=1):
        migration(db)
        conn.execute(f"PRAGMA user_version = {number}")
    conn.close()
    c = connect(path)
    assert c.conn.execute("PRAGMA user_version").fetchone()[0] == sqlite_schema.SCHEMA_VERSION
    hashsize = c.conn.execute("SELECT v FROM articles_fts_config WHERE k = 'hashsize'").fetchone()
    assert hashsize == (sqlite_schema.FTS_HASH_SIZE,)
    add(c, small_articles()[0])
    assert c.integrity_check() == []


def test_deferred_document_frequencies_are_rebuilt_after_adds_and_updates(tmp_path):
    c = connect(tmp_path / "c.db")
    records = small_articles()
    add(c, records[0])  # tracked: the snapshot covers one article
    c.defer_term_stats()
    c.begin(defer_index=True)
    for record in records[1:6]:
        add(c, record)
    c.commit()
    assert c._stats_size() == 1  # stale, and known to be: doc_freqs() scales it meanwhile
    add(c, {**records[0], "text": "Entirely rewritten: Dorvik summit postponed."})
    assert c.refresh_term_stats() is True
    vocab = dict(c.conn.execute("SELECT term, doc FROM articles_fts_vocab"))
    assert dict(c.conn.execute("SELECT term, df FROM term_stats")) == vocab
    # An update alone leaves the count of articles as it was, but must still mark the snapshot stale.
    add(c, {**records[2], "text": "Also rewritten: Quist wins the vote in Calloway."})
    assert c.refresh_term_stats() is True
    assert dict(c.conn.execute("SELECT term, df FROM term_stats")) == dict(c.conn.execute("SELECT term, doc FROM articles_fts_vocab"))


def test_document_frequencies_stay_exact_through_adds_updates_and_batches(tmp_path):
    c = connect(tmp_path / "c.db")
    records = small_articles()
    add(c, records[0])
    c.begin(defer_index=True)
    for record in records[1:6]:
        add(c, record)
    add(c, {**records[1], "text": records[1]["text"] + " Quist resigned later."})
    c.commit()
    add(c, {**records[0], "text": "Entirely rewritten: Dorvik summit postponed."})
    stats = dict(c.conn.execute("SELECT term, df FROM term_stats WHERE df > 0"))
    vocab = dict(c.conn.execute("SELECT term, doc FROM articles_fts_vocab"))
    assert stats == vocab
    assert c.refresh_term_stats() is False  # already complete
    c.conn.execute("DELETE FROM corpus_meta")
    assert c.refresh_term_stats() is True and dict(c.conn.execute("SELECT term, df FROM term_stats")) == vocab


def test_a_span_of_years_ranks_by_the_idf_of_the_words_each_article_holds(corpus):
    """Background's span of years (past WIDE_DAYS) is ranked alike in both stores: an article scores the idf of every
    query word it holds (corpus.text.idf_weight), best first, then by id; a week is ranked by the engine's own score."""
    import datetime as dt
    import random

    rng = random.Random(2)
    vocabulary = {"common": 0.6, "middling": 0.15, "scarce": 0.04, "rare": 0.02, "unique": 0.005}
    held_by_url, day_of = {}, {}
    for n in range(300):
        held = [w for w, p in vocabulary.items() if rng.random() < p] or ["other"]
        url = f"https://s{n % 40}.example/{n}"
        held_by_url[url] = set(held)
        day_of[url] = dt.date(2000 + n % 25, 1 + n % 9, 10 + n % 10).toordinal()
        corpus.add(prepare({"url": url, "title": f"Story {n} " + " ".join(held), "language": "en",
                            "published": dt.date.fromordinal(day_of[url]).isoformat(),
                            "text": "The report says " + " ".join(held) + "."}, REGISTRY))
    words = list(vocabulary)
    first_day, last_day = dt.date(1995, 1, 1).toordinal(), dt.date(2030, 1, 1).toordinal()
    total, df = corpus.count(), corpus.doc_freqs(words)
    assert total == 300 and df["common"] > df["rare"] > 0
    ids = {corpus.article(url)["id"]: url for url in held_by_url}
    expected = sorted(((article_id, sum(corpus_text.idf_weight(df[w], total) for w in words if w in held_by_url[url]))
                       for article_id, url in ids.items()), key=lambda item: (-item[1], item[0]))
    expected = [item for item in expected if item[1] > 0]
    for limit in (1, 10, 100):
        found = corpus.lexical_candidates(words, first_day, last_day, limit, "en")  # English words, as stored
        assert [i for i, _ in found] == [i for i, _ in expected[:limit]], limit
        assert [s for _, s in found] == pytest.approx([s for _, s in expected[:limit]])
    # A window of up to WIDE_DAYS is the engine's own ranking, over that window's articles alone.
    middle = dt.date(2000, 1, 15).toordinal()
    week = corpus.lexical_candidates(["common", "middling"], middle - 31, middle + 31, 50)
    assert week and {ids[i] for i, _ in week} == {
        u for u, held in held_by_url.items() if abs(day_of[u] - middle) <= 31 and held & {"common", "middling"}}


def test_the_best_scores_of_a_span_are_the_full_sort_ties_and_all():
    """text.best_scores() sorts only the scores near the limit-th: the same list as sorting them all, scores
    equal to 9 decimals by id (as PostgreSQL ties them), including ties that straddle the cut."""
    import random

    from masthead.corpus.text import best_scores as best

    rng = random.Random(7)
    weights = [0.1, 1.3, 2.7, 0.30000000000000004, 1 / 3]
    for _ in range(500):
        scores = {rng.randint(1, 10**6): sum(rng.sample(weights, rng.randint(1, 4))) + rng.choice([0.0, 1e-12])
                  for _ in range(rng.randint(0, 300))}
        limit = rng.randint(0, 120)
        assert best(dict(scores), limit) == sorted(scores.items(), key=lambda it: (-round(it[1], 9), it[0]))[:limit]
