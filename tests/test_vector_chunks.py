"""SQLite's sentence vectors in chunks of one day (corpus/sqlite_vectors.py): what goes in comes out, by window and
by id, through replacements, deletions, records undone alone, rolled-back batches and the move from schema 4."""

import random
import sqlite3

import pytest

from masthead.corpus import RecordError, connect
from masthead.corpus import sqlite_schema
from masthead.corpus.base import Article
from masthead.corpus.sqlite_vectors import CHUNK
from masthead.corpus.text import day_number

DIM = 8


def vec(n: int) -> bytes:
    return bytes((n * 7 + i) % 251 for i in range(DIM))


def article(n: int, day: str, vector: bytes | None = None) -> Article:
    return Article(url=f"https://v{n}.example/a", registered_domain=f"v{n}.example", host=f"v{n}.example",
                   outlet_id=None, site_name=None, title=f"Headline number {n} of word{n}", text=f"Body text {n} zq{n}x",
                   published=day, language="en", authors=[], fetched_at="2026-11-01T00:00:00Z", source="test",
                   vector=vector)


def window(corpus, first: str, last: str) -> dict[int, bytes]:
    ids, packed = corpus.window_vectors(day_number(first), day_number(last))
    assert len(packed) == DIM * len(ids)
    return {i: packed[k * DIM:(k + 1) * DIM] for k, i in enumerate(ids)}


def test_vectors_come_back_by_window_and_by_id_across_many_chunks(tmp_path):
    corpus = connect(tmp_path / "c.db")
    days = ["2026-03-01", "2026-03-02", "2026-03-09"]
    expected = {d: {} for d in days}
    corpus.begin()
    for n in range(2 * CHUNK + 40):  # more than two chunks on the first day
        day = days[0] if n < 2 * CHUNK else days[1 + n % 2]
        result = corpus.add(article(n, day, vec(n)))
        expected[day][result.article_id] = vec(n)
    corpus.commit()
    assert window(corpus, "2026-03-01", "2026-03-01") == expected["2026-03-01"]
    assert window(corpus, "2026-03-02", "2026-03-09") == {**expected["2026-03-02"], **expected["2026-03-09"]}
    assert window(corpus, "2026-03-03", "2026-03-08") == {}
    every = {k: v for part in expected.values() for k, v in part.items()}
    assert corpus.vectors(list(every) + [10**9]) == every
    assert corpus.conn.execute("SELECT count(*) FROM vector_chunks").fetchone()[0] == 4  # 256 + 256, then 20 and 20
    assert corpus.integrity_check() == []


def test_a_days_open_chunk_is_filled_before_another_is_added(tmp_path):
    corpus = connect(tmp_path / "c.db")
    for n in range(5):  # one transaction an article: each appends to the day's open chunk
        corpus.add(article(n, "2026-04-01", vec(n)))
    assert corpus.conn.execute("SELECT count(*), sum(live) FROM vector_chunks").fetchone() == (1, 5)
    assert sorted(window(corpus, "2026-04-01", "2026-04-01").values()) == sorted(vec(n) for n in range(5))


def test_replaced_and_deleted_vectors_are_gone_and_empty_chunks_removed(tmp_path):
    corpus = connect(tmp_path / "c.db")
    ids = [corpus.add(article(n, "2026-05-01", vec(n))).article_id for n in range(4)]
    corpus.set_vectors([(ids[0], vec(100))])  # replaced: the old slot is dropped, the new one appended
    assert corpus.vectors([ids[0]]) == {ids[0]: vec(100)}
    assert corpus.delete("https://v1.example/a") is not None
    got = window(corpus, "2026-05-01", "2026-05-01")
    assert got == {ids[0]: vec(100), ids[2]: vec(2), ids[3]: vec(3)}
    updated = article(2, "2026-05-20", None)
    updated.text += " and a correction"
    corpus.add(updated)  # new text without a vector: the old text's vector goes
    assert corpus.vectors(ids) == {ids[0]: vec(100), ids[3]: vec(3)}
    corpus.add(article(9, "2026-05-02", vec(9)))
    for url in ("https://v0.example/a", "https://v3.example/a"):
        corpus.delete(url)
    assert window(corpus, "2026-05-01", "2026-05-01") == {}
    assert corpus.conn.execute("SELECT count(*) FROM vector_chunks WHERE day = ?", (day_number("2026-05-01"),)).fetchone()[0] == 0
    assert corpus.integrity_check() == []


def test_an_update_with_a_new_date_moves_the_vector_to_that_day(tmp_path):
    corpus = connect(tmp_path / "c.db")
    first = corpus.add(article(1, "2026-06-01", vec(1))).article_id
    moved = article(1, "2026-06-15", vec(2))
    moved.text += " updated"
    corpus.add(moved)
    assert window(corpus, "2026-06-01", "2026-06-01") == {}
    assert window(corpus, "2026-06-15", "2026-06-15") == {first: vec(2)}


def test_a_record_undone_alone_and_a_rolled_back_batch_leave_no_vector(tmp_path):
    corpus = connect(tmp_path / "c.db")
    corpus.begin()
    kept = corpus.add(article(1, "2026-07-01", vec(1))).article_id
    bad = article(2, "2026-07-01", vec(2))
    bad.authors = [object()]  # SQLite cannot store it: this record alone is undone
    with pytest.raises(RecordError):
        corpus.add(bad)
    after = corpus.add(article(3, "2026-07-01", None)).article_id  # may take the undone record's id
    corpus.commit()
    assert corpus.vectors([kept, after]) == {kept: vec(1)}
    corpus.begin()
    corpus.add(article(4, "2026-07-01", vec(4)))
    corpus.rollback()
    assert window(corpus, "2026-07-01", "2026-07-01") == {kept: vec(1)}
    assert corpus.integrity_check() == []


def test_reads_inside_the_write_transaction_see_its_pending_vectors(tmp_path):
    corpus = connect(tmp_path / "c.db")
    corpus.begin()
    new = corpus.add(article(1, "2026-08-01", vec(1))).article_id
    assert corpus.vectors([new]) == {new: vec(1)}
    assert corpus.missing_vectors(10) == []
    corpus.commit()


def test_random_operations_match_a_plain_dictionary(tmp_path):
    corpus = connect(tmp_path / "c.db")
    rng = random.Random(4)
    truth: dict[int, tuple[str, bytes]] = {}
    urls: dict[int, str] = {}
    days = [f"2026-09-{d:02d}" for d in range(1, 6)]
    for step in range(600):
        before = (dict(truth), dict(urls))
        corpus.begin()
        for _ in range(rng.randint(1, 40)):
            n = rng.randint(0, 300)
            if rng.random() < 0.15 and truth:
                victim = rng.choice(list(truth))
                corpus.delete(urls[victim])
                truth.pop(victim)
                continue
            a = article(n, rng.choice(days), vec(rng.randint(0, 10**6)) if rng.random() < 0.9 else None)
            a.text += f" revision {step}"
            result = corpus.add(a)
            if result.status not in ("added", "updated"):
                continue  # the same text again in this batch: nothing changes
            urls[result.article_id] = a.url
            if a.vector:
                truth[result.article_id] = (day_number(a.published), a.vector)
            else:
                truth.pop(result.article_id, None)
        if rng.random() < 0.9:
            corpus.commit()
        else:
            corpus.rollback()
            truth, urls = before
    ids, packed = corpus.window_vectors(day_number(days[0]), day_number(days[-1]))
    assert dict(zip(ids, (packed[k * DIM:(k + 1) * DIM] for k in range(len(ids))))) == {i: v for i, (_, v) in truth.items()}
    for day in days:
        assert set(window(corpus, day, day)) == {i for i, (d, _) in truth.items() if d == day_number(day)}
    assert corpus.integrity_check() == []


def test_schema_4_vectors_move_into_chunks(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    import sqlite_utils
    db = sqlite_utils.Database(conn)
    for number, migration in enumerate(sqlite_schema.MIGRATIONS[:4], start=1):
        migration(db)
        conn.execute(f"PRAGMA user_version = {number}")
    conn.execute("COMMIT")
    day = day_number("2026-10-01")
    for n in range(1, 301):
        conn.execute("INSERT INTO articles (id, url, title, text, day) VALUES (?, ?, 't', 'x', ?)", (n, f"https://o.example/{n}", day + n % 3))
        conn.execute("INSERT INTO article_vectors VALUES (?, ?, ?)", (day + n % 3, n, vec(n)))
    conn.close()
    corpus = connect(path)
    assert corpus.vectors(list(range(1, 301))) == {n: vec(n) for n in range(1, 301)}
    assert set(corpus.window_vectors(day, day)[0]) == {n for n in range(1, 301) if n % 3 == 0}
    assert "article_vectors_4" not in corpus.db.table_names()
    assert corpus.integrity_check() == []


def _unit_vectors(rng, n: int, dim: int = 512):
    import numpy as np

    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_the_nearest_in_a_window_carry_exact_cosines_and_match_an_exact_search(db):
    """On both backends: SQLite picks by the signs in its chunks, PostgreSQL by the `signs` column in the server."""
    import numpy as np

    from masthead import embed
    from masthead.corpus.base import Corpus

    corpus = connect(db)
    rng = np.random.default_rng(3)
    base = _unit_vectors(rng, 40)
    ids = []
    corpus.begin()
    for n in range(3000):  # each near one of 40 "stories", so that neighbours are real
        v = base[n % 40] + 0.08 * _unit_vectors(rng, 1)[0]
        ids.append(corpus.add(article(n, f"2026-10-{1 + n % 14:02d}", embed.pack(v / np.linalg.norm(v)))).article_id)
    corpus.commit()
    lo, hi = day_number("2026-10-01"), day_number("2026-10-14")
    overlap = []
    for story in range(20):
        query = base[story]
        got = corpus.nearest_in_window(lo, hi, query, 30)
        exact = Corpus.nearest_in_window(corpus, lo, hi, query, 30)  # every vector of the window, exactly
        assert len(got) == 30 and [c for _, c in got] == sorted((c for _, c in got), reverse=True)
        exact_cos = dict(exact)
        for article_id, cos in got:
            vector = corpus.vectors([article_id])[article_id]
            assert abs(cos - float(embed.cosines(vector, query)[0])) < 1e-5  # exact, not estimated
        overlap.append(len(exact_cos.keys() & {a for a, _ in got}) / 30)
    assert min(overlap) >= 0.9, overlap
    assert corpus.nearest_in_window(lo, hi, base[0], 30)[0][1] > 0.9
    corpus.close()


def test_a_small_window_is_searched_exactly(db):
    import numpy as np

    from masthead import embed
    from masthead.corpus.base import Corpus

    corpus = connect(db)
    rng = np.random.default_rng(5)
    for n, v in enumerate(_unit_vectors(rng, 100)):
        corpus.add(article(n, "2026-11-02", embed.pack(v)))
    query = _unit_vectors(rng, 1)[0]
    day = day_number("2026-11-02")
    assert [a for a, _ in corpus.nearest_in_window(day, day, query, 10)] == [a for a, _ in Corpus.nearest_in_window(corpus, day, day, query, 10)]
    assert corpus.nearest_in_window(day + 1, day + 3, query, 10) == []
    corpus.close()


def test_tied_neighbours_go_to_the_lowest_ids_on_both_backends(db):
    """Copies of one wire story carry one vector: which of them a window's nearest lists must not depend on the
    order a sort meets them, or two requests for one page could show different outlets."""
    import numpy as np

    from masthead import embed

    corpus = connect(db)
    rng = np.random.default_rng(11)
    story, others = _unit_vectors(rng, 1)[0], _unit_vectors(rng, 300)
    ids = {}
    corpus.begin()
    for n in range(300):  # the story's 40 copies spread among other articles, over several days
        v = story if n % 7 == 0 and len(ids) < 40 else others[n]
        added = corpus.add(article(n, f"2026-09-{1 + n % 5:02d}", embed.pack(v))).article_id
        if v is story:
            ids[added] = n
    corpus.commit()
    lo, hi = day_number("2026-09-01"), day_number("2026-09-05")
    for k in (1, 5, 12):
        got = corpus.nearest_in_window(lo, hi, story, k)
        assert [a for a, _ in got] == sorted(ids)[:k]
        assert corpus.nearest_in_window(lo, hi, story, k) == got
    corpus.close()


def test_nearest_by_signs_keeps_the_fewest_differing_bits_and_breaks_ties_by_id():
    import numpy as np

    from masthead import embed

    rng = np.random.default_rng(1)
    for _ in range(300):
        n, k = int(rng.integers(1, 300)), int(rng.integers(0, 60))
        signs = rng.integers(0, 4, size=(n, 8), dtype=np.uint8)  # two bits a byte: many equal distances
        query = rng.integers(0, 4, size=8, dtype=np.uint8)
        ids = rng.permutation(10**6)[:n].tolist()
        distances = np.unpackbits(signs ^ query, axis=1).sum(axis=1)
        expected = sorted(range(n), key=lambda i: (distances[i], ids[i]))[:k] if k else []
        got = embed.nearest_by_signs(signs.tobytes(), query.tobytes(), k, ids).tolist()
        assert sorted(got) == sorted(expected)
