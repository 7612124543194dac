"""One record that cannot be stored is reported and skipped; the rest of the ingest is kept (issue 13 B9)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from masthead.cli import cli
from masthead.corpus import Article, RecordError, connect
from masthead.records import prepare

SOURCES = Path(__file__).parent / "data" / "sources-small.yaml"

POISON = [
    ('{"url": "https://a.example/p1", "title": "Poison one", "text": "words", "language": {"x": 1}}', "language"),
    ('{"url": "https://a.example/p2", "title": "Lone \\ud800 surrogate", "text": "words"}', "title"),
    ('{"url": "https://a.example/p3", "title": "Poison three", "text": "words", "site_name": ["a", "b"]}', "site_name"),
    ('{"url": "https://a.example/p4", "title": "Poison four", "text": "w", "authors": [{"name": "x"}]}', "author"),
    ('{"url": "https://a.example/p5", "title": "Poison five", "text": "w", "fetched_at": {"at": 1}}', "fetched_at"),
    ('{"url": "https://a.example/p6", "title": "Poison six", "text": "w", "published": 1e300}', None),
    ('{"url": "https://a.example/p7", "title": "Poison seven", "text": "w \\udc00 w"}', "text"),
]


def _good(n: int) -> str:
    return json.dumps({"url": f"https://a.example/good-{n}", "title": f"Good record {n}",
                       "text": f"A perfectly ordinary article number {n} about harbours and tariffs."})


@pytest.mark.parametrize("helpers", ["0", "2"])
def test_poison_records_are_reported_and_skipped_and_the_rest_is_kept(tmp_path, helpers, monkeypatch):
    # Before: {"language": {"x": 1}} or a lone surrogate in a title aborted the run ("the corpus is unavailable"),
    # rolled back the open batch with the good records before it, and a re-run failed the same way.
    monkeypatch.setattr("os.cpu_count", lambda: int(helpers))
    lines = []
    for n, (line, _) in enumerate(POISON):
        lines += [_good(2 * n), line, _good(2 * n + 1)]
    data = tmp_path / "mixed.jsonl"
    data.write_text("\n".join(lines) + "\n")
    db = tmp_path / "c.db"
    result = CliRunner().invoke(cli, ["ingest", str(data), "--db", str(db), "--sources", str(SOURCES), "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{"):])
    good = 2 * len(POISON)
    assert summary["added"] == good + 1, summary  # the huge `published` is dropped, not the record
    reasons = {f["source"]: f["reason"] for f in summary["failures"]}
    expected = {f"mixed.jsonl:{3 * n + 2}": field for n, (_, field) in enumerate(POISON) if field}
    assert set(reasons) == set(expected), reasons
    for where, field in expected.items():
        assert field in reasons[where], reasons
    corpus = connect(db)
    assert corpus.count() == good + 1 and corpus.integrity_check() == []
    assert corpus.article("https://a.example/p6")["published"] is None
    again = CliRunner().invoke(cli, ["ingest", str(data), "--db", str(db), "--sources", str(SOURCES), "--json"])
    assert again.exit_code == 0 and json.loads(again.output[again.output.index("{"):])["unchanged"] == good + 1


def test_a_record_the_store_cannot_bind_fails_alone_inside_a_batch(tmp_path):
    """The store's own guard: a value prepare() let through fails that record only, never the open batch."""
    corpus = connect(tmp_path / "c.db")
    good = prepare({"url": "https://a.example/1", "title": "Kept", "text": "kept words"})
    bad = Article(url="https://a.example/2", registered_domain="a.example", host="a.example", title="Bad", text="x",
                  language={"x": 1})  # type: ignore[arg-type]
    corpus.begin(defer_index=True)
    corpus.add(good)
    with pytest.raises(RecordError):
        corpus.add(bad)
    corpus.add(prepare({"url": "https://a.example/3", "title": "Also stored", "text": "more words"}))
    corpus.commit()
    assert corpus.count() == 2 and corpus.integrity_check() == []
    assert [r["url"] for r in corpus.search("kept", 10)] == ["https://a.example/1"]
