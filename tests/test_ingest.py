"""`masthead ingest`: JSON Lines, saved HTML, WARC, URLs and feeds; idempotent, resumable after kill -9, duplicates merged.

Tests that take `db` run against both stores (a SQLite file and a PostgreSQL database)."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from local_site import LocalSite
from masthead import ingest as ingest_module
from masthead.cli import cli
from masthead.corpus import CorpusUnavailable, connect, terms
from masthead.fetch import Fetcher
from masthead.registry import load
from servers import SHARED

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parent.parent
SMALL = DATA / "articles-small.jsonl"
SOURCES = DATA / "sources-small.yaml"
ARTICLE_PAGES = SHARED / "data" / "article-pages"  # ../shared beside the checkout (or beside a worktree's folder)


def run_ingest(runner, *args, exit_code=0):
    result = runner.invoke(cli, ["ingest", "--sources", str(SOURCES), "--json", *map(str, args)], catch_exceptions=False)
    assert result.exit_code == exit_code, result.output
    return json.loads(result.output[result.output.index("{"):])


def assert_doc_freqs_exact(c, records) -> None:
    """The document frequencies the ranking reads equal a count over the stored articles."""
    stored = [c.article(connect_url) for connect_url in {r["url"] for r in records}]
    texts = [set(terms(a["title"])) | set(terms(a["text"])) for a in {a["id"]: a for a in stored if a}.values()]
    words = set().union(*texts)
    assert c.doc_freqs(words) == {w: sum(w in t for t in texts) for w in words}


def test_jsonl_ingest_twice_adds_nothing_the_second_time(runner, db):
    first = run_ingest(runner, SMALL, "--db", db)
    assert (first["added"], first["duplicate"], first["failed"]) == (8, 0, 0)
    second = run_ingest(runner, SMALL, "--db", db)
    assert (second["added"], second["updated"], second["unchanged"]) == (0, 0, 8)
    c = connect(db)
    assert c.count() == 8
    assert_doc_freqs_exact(c, [json.loads(line) for line in SMALL.read_text().splitlines()])
    stored = c.article("https://statenews.example/20260226/velmar-customs-union-treaty.html")
    assert (stored["outlet_id"], stored["published"], stored["authors"], stored["source"]) == ("statenews", "2026-02-26", ["Ivan Testov"], "jsonl")
    c.close()


def test_summary_gives_a_reason_for_each_failure(runner, tmp_path, db):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([
        '{"url": "https://a.example/1", "title": "fine", "text": "a good record"}',
        '{"url": "https://a.example/2", "title": "broken',
        '{"title": "no address"}',
        '{"url": "javascript:alert(1)", "title": "x"}',
        '',
        '[1, 2]',
    ]))
    summary = run_ingest(runner, bad, "--db", db)
    assert summary["added"] == 1 and summary["failed"] == 4
    reasons = {f["source"]: f["reason"] for f in summary["failures"]}
    assert reasons["bad.jsonl:2"].startswith("bad JSON")
    assert reasons["bad.jsonl:3"] == "no url"
    assert reasons["bad.jsonl:4"].startswith("bad url")
    assert reasons["bad.jsonl:6"] == "record is not a JSON object"


def test_plain_summary_and_usage_errors(runner, tmp_path, db):
    result = runner.invoke(cli, ["ingest", str(SMALL), "--db", db, "--sources", str(SOURCES)])
    assert result.exit_code == 0 and "added 8, updated 0, duplicate 0, unchanged 0, failed 0" in result.output
    assert runner.invoke(cli, ["ingest", "--db", db]).exit_code == 2
    missing = runner.invoke(cli, ["ingest", str(tmp_path / "nope.jsonl"), "--db", db])
    assert missing.exit_code == 1 and "no such file" in missing.output


def test_syndicated_copy_is_stored_once_with_every_url(runner, tmp_path, db):
    original = json.loads(SMALL.read_text().splitlines()[0])
    copies = tmp_path / "copies.jsonl"
    copies.write_text("\n".join(json.dumps(r) for r in [
        original,
        {**original, "url": "https://mirror-news.example/velmaria-treaty", "title": "Customs union treaty signed"},
        {**original, "url": "https://another.example/x", "text": original["text"].replace("Thursday", "Thursday afternoon")},
    ]))
    summary = run_ingest(runner, copies, "--db", db)
    assert (summary["added"], summary["duplicate"]) == (1, 2)
    stored = connect(db).article("https://another.example/x")
    assert [u["url"] for u in stored["urls"]] == [original["url"], "https://mirror-news.example/velmaria-treaty", "https://another.example/x"]


def test_html_files_folders_and_gzip(runner, tmp_path, db):
    summary = run_ingest(runner, DATA / "pages", "--db", db)
    assert (summary["added"], summary["failed"]) == (2, 0)
    c = connect(db)
    stored = c.article("https://nordwire.example/2026/02/28/velmaria-dorvik-treaty-vote-delayed")
    assert (stored["site_name"], stored["published"], stored["authors"], stored["source"]) == ("Nordwire", "2026-02-28", ["Petra Lindqvist"], "html")
    assert "postponed its first reading" in stored["text"]
    again = run_ingest(runner, DATA / "pages" / "lakeview-water-permit.html.gz", "--db", db)
    assert again["unchanged"] == 1


def test_html_without_url_fails_with_reason(runner, tmp_path, db):
    page = tmp_path / "no-url.html"
    page.write_text((DATA / "pages" / "nordwire-dorvik-ratification.html").read_text().replace("<link rel=\"canonical\"", "<link rel=\"x\""))
    summary = run_ingest(runner, page, "--db", db, exit_code=1)  # every record failed
    assert summary["failed"] == 1 and "no URL in the page" in summary["failures"][0]["reason"]


def test_real_saved_pages(runner, tmp_path, db):
    folder = tmp_path / "real"
    folder.mkdir()
    for path in sorted((ARTICLE_PAGES / "html").glob("*.html.gz"))[:6]:
        shutil.copy(path, folder / path.name)
    summary = run_ingest(runner, folder, "--db", db)
    assert summary["added"] + summary["failed"] == 6 and summary["added"] >= 5
    truth = json.loads((ARTICLE_PAGES / "ground-truth.json").read_text())
    c = connect(db)
    found = sum(c.article(__import__("masthead.urls", fromlist=["normalise"]).normalise(truth[p.name.split(".")[0]]["url"]).url) is not None
                for p in folder.iterdir())
    assert found >= 4  # most pages declare the URL the benchmark lists


def test_warc(runner, tmp_path, db):
    summary = run_ingest(runner, DATA / "pages.warc.gz", "--db", db)
    assert (summary["added"], summary["failed"]) == (2, 0)  # the image and the 404 are skipped, not failures
    stored = connect(db).article("https://lakeview-ledger.example/news/2026/03/02/chip-plant-water-permit")
    assert stored["source"] == "warc" and stored["title"] == "Lakeview council approves water permit for chip plant"


def test_feeds_and_urls_from_a_local_site(tmp_path, db):
    registry = load(SOURCES)
    c = connect(db)
    with LocalSite() as site:
        fetcher = Fetcher(delay=0, allow=["127.0.0.1/32"])
        summary = ingest_module.ingest([site.base + "/rss.xml"], c, registry, fetcher=fetcher)
        assert (summary.counts["added"], summary.counts["failed"]) == (2, 1)
        assert "robots.txt" in summary.failures[0][1]
        stored = c.article(site.base + "/dorvik-vote.html")
        assert stored["source"] == "web" and stored["published"] == "2026-02-28"
        fetched = len(site.requests)
        again = ingest_module.ingest([site.base + "/atom.xml", site.base + "/lakeview.html"], c, registry, fetcher=fetcher)
        assert again.counts["added"] == 0 and again.counts["unchanged"] == 2  # stored pages are not fetched again
        assert [p for p, _ in site.requests[fetched:]] == ["/atom.xml"]
        url_list = tmp_path / "urls.txt"
        url_list.write_text(f"# one per line\n{site.base}/gzip.html\n\n{site.base}/image.png\n")
        listed = ingest_module.ingest([str(url_list)], c, registry, fetcher=fetcher)
        assert listed.counts["duplicate"] == 1  # the gzip copy of the Dorvik page
        assert listed.counts["failed"] == 1 and "content type image/png" in listed.failures[0][1]


def test_from_sources_pulls_listed_feeds(runner, tmp_path, db):
    with LocalSite() as site:
        sources = tmp_path / "sources.yaml"
        sources.write_text(SOURCES.read_text().replace("https://statenews.example/rss.xml", site.base + "/rss.xml"))
        result = runner.invoke(cli, ["ingest", "--from-sources", "--sources", str(sources), "--db", db,
                                     "--delay", "0", "--allow-network", "127.0.0.1/32", "--json"])
        summary = json.loads(result.output[result.output.index("{"):])
        assert summary["added"] == 2 and summary["failed"] == 1


def test_loopback_is_refused_without_an_explicit_allow(runner, tmp_path):
    with LocalSite() as site:
        summary = run_ingest(runner, site.base + "/dorvik-vote.html", "--db", tmp_path / "c.db", exit_code=1)
        assert summary["failed"] == 1 and "refused address 127.0.0.1" in summary["failures"][0]["reason"]
        assert site.requests == []


def test_parse_feed_ignores_entities_and_dtds():
    body = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b'<rss><channel><item><title>&xxe;</title><link>https://a.example/1</link></item>'
            b'<item><title>no link</title></item></channel></rss>')
    entries = ingest_module.parse_feed(body)
    assert [e["url"] for e in entries] == ["https://a.example/1"]
    assert "root:" not in entries[0]["title"]


def _big_jsonl(path: Path, n: int) -> None:
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(5000)]
    with open(path, "w") as out:
        for i in range(n):
            text = " ".join(rng.choice(vocab) for _ in range(120))
            out.write(json.dumps({"url": f"https://bulk{i % 50}.example/a/{i}", "title": f"Story {i}", "text": text}) + "\n")


def test_killed_ingest_resumes_without_loss_or_duplicates(tmp_path, db):
    n = 40_000 if "://" not in db else 8_000  # PostgreSQL ingests slower: fewer records for the same kill mid-run
    source = tmp_path / "big.jsonl"
    _big_jsonl(source, n)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "server")}
    cmd = [sys.executable, "-m", "masthead", "ingest", str(source), "--db", db, "--sources", str(SOURCES)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            watcher = connect(db)
            stored = watcher.count()
            watcher.close()
        except CorpusUnavailable:
            stored = 0
        if stored >= 1000:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    c = connect(db)
    assert c.integrity_check() == []
    before = c.count()
    assert 1000 <= before < n
    c.close()
    rerun = subprocess.run(cmd + ["--json"], env=env, capture_output=True, text=True, check=True)
    summary = json.loads(rerun.stdout)
    assert summary["added"] == n - before and summary["unchanged"] == before and summary["failed"] == 0
    c = connect(db)
    assert (c.count(), c.stats()["urls"]) == (n, n)
    assert c.integrity_check() == []
    c.close()


def test_a_small_load_into_a_large_corpus_counts_terms_as_it_goes(tmp_path, monkeypatch):
    from masthead import ingest as ingest_module
    from masthead.records import prepare

    c = connect(tmp_path / "c.db")
    for n in range(40):
        c.add(prepare({"url": f"https://filler.example/{n}", "title": f"Filler {n}", "text": f"Unrelated filler item number {n}."}))
    deferred = []
    monkeypatch.setattr(type(c), "defer_term_stats", lambda self: deferred.append(True))
    one = tmp_path / "one.jsonl"
    one.write_text(SMALL.read_text().splitlines()[0] + "\n")
    ingest_module.ingest([str(one)], c, helpers=1)
    assert deferred == [] and c._stats_size() == 41
    assert (tmp_path / "c.db-wal").stat().st_size == 0  # checkpointed: the database file holds everything
    assert dict(c.conn.execute("SELECT term, df FROM term_stats")) == dict(c.conn.execute("SELECT term, doc FROM articles_fts_vocab"))
    ingest_module.ingest([str(SMALL)], connect(tmp_path / "empty.db"), helpers=1)
    assert deferred == [True]  # everything is new to an empty corpus: count once at the end
