"""Ingest speed: JSON Lines of ~300-word articles (target >= 3,000 records/s) and saved HTML pages (target: within
1.5x of trafilatura's own extraction time on the same pages).

Usage: .venv/bin/python bench/ingest_speed.py [--records 20000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT / "bench"))

from masthead.corpus import Corpus  # noqa: E402
from masthead.ingest import ingest  # noqa: E402
from masthead.sources import load  # noqa: E402
from zipf_corpus import articles  # noqa: E402

PAGES = ROOT.parent / "shared" / "data" / "article-pages" / "html"


def jsonl(records: int, registry) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "articles.jsonl"
        with open(source, "w") as out:
            for record in articles(records, seed=3):
                out.write(json.dumps(record) + "\n")
        words = sum(len(json.loads(line)["text"].split()) for line in open(source)) / records
        for helpers in (os.cpu_count() or 1, 1):
            corpus = Corpus(Path(tmp) / f"c{helpers}.db")
            started = time.perf_counter()
            summary = ingest([str(source)], corpus, registry, helpers=helpers)
            seconds = time.perf_counter() - started
            print(f"JSON Lines: {records} articles of ~{words:.0f} words, {helpers} helper process(es): {seconds:.1f} s, "
                  f"{records / seconds:,.0f} records/s  {dict(summary.counts)}")
            again = time.perf_counter()
            summary = ingest([str(source)], corpus, registry, helpers=helpers)
            print(f"   second run (nothing to add): {time.perf_counter() - again:.1f} s  {dict(summary.counts)}")
            corpus.close()


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
        for helpers in (os.cpu_count() or 1, 1):
            corpus = Corpus(Path(tmp) / f"h{helpers}.db")
            started = time.perf_counter()
            summary = ingest([str(PAGES)], corpus, registry, helpers=helpers)
            seconds = time.perf_counter() - started
            print(f"masthead ingest of the folder, {helpers} helper process(es): {seconds:.2f} s = {seconds / alone:.2f}x "
                  f"trafilatura's time  {dict(summary.counts)}")
            corpus.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    args = parser.parse_args()
    registry = load(ROOT / "sources.yaml")
    jsonl(args.records, registry)
    html(registry)


if __name__ == "__main__":
    main()
