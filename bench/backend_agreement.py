"""Related-coverage agreement between the SQLite and PostgreSQL corpora on one fixture corpus (issue 11).

The same articles go into both backends through the JSON Lines ingest path; the same queries are ranked on each
with the same code (related.rank). For each query: do the two top-3 lists hold the same articles (as sets, and in
order), and how much do the top-8 lists overlap? Also full-text search (/api/search): the same best hit?

Corpora: the UCI News Aggregator headlines (../shared/data/uci-news-sample, 6,366 headlines, 1,000 sampled queries,
seed 13) and, with --zipf N, N synthetic ~300-word articles (bench/zipf_corpus.py; 300 queries by stored text).

With --threads, the story-threads corpus of bench/related_threads.py (our thread articles, UCI headlines as noise,
every article with its USE vector, cached under --vector-cache): for every thread article, do the two backends
show the same same-event coverage (related, with vectors) and the same background (the story at other times)?

Usage: .venv/bin/python bench/backend_agreement.py [--sample 1000] [--zipf 20000] [--threads] [--vector-cache /tmp/vectors]
Needs PostgreSQL 15 (apt-get install postgresql-15): a throwaway server is started on a loopback port.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from masthead import urls  # noqa: E402
from masthead.corpus import connect as open_corpus  # noqa: E402
from masthead.ingest import ingest  # noqa: E402
from masthead.related import Query, rank  # noqa: E402
from masthead.registry import load  # noqa: E402
from pg import PostgresServer  # noqa: E402
from related_hard import attach_vectors  # noqa: E402

SHARED = next((p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.exists()), ROOT.parent / "shared")
HEADLINES = SHARED / "data" / "uci-news-sample" / "headlines.csv"


def headline_records() -> list[dict]:
    rows = list(csv.DictReader(open(HEADLINES, encoding="utf-8")))
    return [{"url": r["URL"], "title": r["TITLE"], "text": "", "published": int(r["TIMESTAMP"]), "site_name": r["PUBLISHER"]}
            for r in rows]


def zipf_records(n: int) -> list[dict]:
    from zipf_corpus import articles

    return list(itertools.islice(articles(n), 0, n))


def load_into(corpus, records: list[dict], workdir: Path, registry) -> float:
    path = workdir / "records.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record) + "\n")
    started = time.perf_counter()
    ingest([str(path)], corpus, registry)
    return time.perf_counter() - started


def queries(corpus, records: list[dict], sample: int, seed: int, with_text: bool) -> list[Query]:
    rng = random.Random(seed)
    picked = rng.sample(records, min(sample, len(records)))
    out = []
    for record in picked:
        stored = corpus.article(urls.normalise(record["url"]).url)
        if stored is None:
            continue
        out.append(Query(stored["title"], stored["text"] if with_text else "", stored["published"], stored["id"],
                         stored["registered_domain"], stored["outlet_id"]))
    return out


def compare(name: str, backends: dict, records: list[dict], sample: int, seed: int, with_text: bool, registry) -> dict:
    sqlite, postgres = backends["sqlite"], backends["postgresql"]
    found = queries(sqlite, records, sample, seed, with_text)
    same_set = same_order = top1 = 0
    overlaps, times = [], {"sqlite": [], "postgresql": []}
    differing = []
    for q in found:
        results = {}
        for label, corpus in backends.items():
            stored = corpus.article(sqlite.article_by_id(q.article_id)["url"])  # ids differ between backends
            query = Query(q.title, q.text, q.published, stored["id"], q.registered_domain, q.outlet_id)
            started = time.perf_counter()
            results[label] = [r["url"] for r in rank(corpus, registry, query, "2026-12-01", limit=8)]
            times[label].append(1000 * (time.perf_counter() - started))
        a, b = results["sqlite"], results["postgresql"]
        same_set += set(a[:3]) == set(b[:3])
        same_order += a[:3] == b[:3]
        top1 += a[:1] == b[:1]
        overlaps.append(len(set(a) & set(b)) / max(1, len(set(a) | set(b))))
        if set(a[:3]) != set(b[:3]) and len(differing) < 5:
            differing.append((q.title[:70], a[:3], b[:3]))
    n = max(1, len(found))
    report = {"queries": len(found), "same top-3 set": same_set / n, "same top-3 order": same_order / n,
              "same top-1": top1 / n, "top-8 Jaccard": statistics.mean(overlaps) if overlaps else 0.0,
              "rank ms p50": {k: statistics.median(v) for k, v in times.items() if v}}
    print(f"\n{name}: {len(found)} queries")
    for key, value in report.items():
        print(f"  {key:20} {value if isinstance(value, (int, dict)) else f'{value:.3f}'}")
    for title, a, b in differing:
        print(f"  differs: {title!r}\n    sqlite     {a}\n    postgresql {b}")
    return report


def threads_agreement(tmp: Path, server, registry, cache: Path | None) -> dict:
    """Related and background on both backends, every article with its vector: the share of thread queries whose
    shown lists hold the same articles, and the mean Jaccard overlap of what they show."""
    from masthead import embed
    from masthead.related import background
    from related_threads import noise, records

    rows = [{k: v for k, v in r.items() if k not in ("story", "kind")} for r in records()]
    everything = rows + noise(7)
    workdir = tmp / "threads"
    workdir.mkdir()
    backends = {"sqlite": open_corpus(str(workdir / "corpus.db")), "postgresql": open_corpus(server.database("agreement_threads"))}
    for label, corpus in backends.items():
        seconds = load_into(corpus, everything, workdir, registry)
        stored = [corpus.article(urls.normalise(r["url"]).url) for r in everything]
        attach_vectors(corpus, [(a["id"], embed.embedding_text(a["title"], a["text"]), r["url"])
                                for a, r in zip(stored, everything) if a is not None], cache)
        print(f"story threads: {label} ingested {corpus.count()} articles with vectors in {seconds:.1f} s")
    shown = {"related": [], "background": []}
    for record in rows:
        lists = {}
        for label, corpus in backends.items():
            a = corpus.article(urls.normalise(record["url"]).url)
            blob = corpus.vectors([a["id"]]).get(a["id"])
            query = Query(a["title"], a["text"], a["published"], a["id"], a["registered_domain"], a["outlet_id"],
                          embed.as_matrix([blob])[0], language=a["language"])
            same_event = rank(corpus, registry, query, "2026-12-01")
            later = background(corpus, registry, query, "2026-12-01", 5, same_event)
            lists[label] = ({r["url"] for r in same_event[:8]}, {r["url"] for r in later})
        for index, kind in enumerate(("related", "background")):
            a, b = lists["sqlite"][index], lists["postgresql"][index]
            shown[kind].append((a == b, len(a & b) / len(a | b) if a | b else 1.0))
    report = {}
    print(f"\nstory threads: {len(rows)} queries (thread articles, distractors, single stories)")
    for kind, pairs in shown.items():
        report[kind] = {"same shown": sum(same for same, _ in pairs) / len(pairs),
                        "Jaccard": statistics.mean(j for _, j in pairs)}
        print(f"  {kind:10} the same articles shown {report[kind]['same shown']:.3f}, mean Jaccard {report[kind]['Jaccard']:.3f}")
    for corpus in backends.values():
        corpus.close()
    return report


def search_agreement(backends: dict, records: list[dict], sample: int, seed: int) -> None:
    rng = random.Random(seed + 1)
    same = total = 0
    for record in rng.sample(records, min(sample, len(records))):
        words = [w for w in record["title"].split() if len(w) > 3][:2]
        if not words:
            continue
        query = " ".join(f'"{w.lower()}"' for w in words)
        firsts = [tuple(r["url"] for r in corpus.search(query, 1)) for corpus in backends.values()]
        total += 1
        same += firsts[0] == firsts[1]
    print(f"\nsearch: the same best hit for {same}/{total} two-word title queries ({same / max(1, total):.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--zipf", type=int, default=0, help="also compare on N synthetic full-text articles")
    parser.add_argument("--threads", action="store_true", help="also compare related and background on the story threads")
    parser.add_argument("--vector-cache", help="folder keeping the threads' vectors between runs")
    args = parser.parse_args()
    registry = load(ROOT / "sources.yaml")
    sets = [("UCI headlines (title queries)", headline_records(), False)]
    if args.zipf:
        sets.append((f"Zipf corpus of {args.zipf:,} (full-text queries)", zipf_records(args.zipf), True))
    with tempfile.TemporaryDirectory() as tmp, PostgresServer() as server:
        if args.threads:
            cache = Path(args.vector_cache) / "threads-use.json" if args.vector_cache else None
            threads_agreement(Path(tmp), server, registry, cache)
        for index, (name, records, with_text) in enumerate(sets):
            workdir = Path(tmp) / str(index)
            workdir.mkdir()
            backends = {"sqlite": open_corpus(str(workdir / "corpus.db")),
                        "postgresql": open_corpus(server.database(f"agreement_{index}"))}
            for label, corpus in backends.items():
                seconds = load_into(corpus, records, workdir, registry)
                print(f"{name}: {label} ingested {corpus.count()} articles in {seconds:.1f} s")
            compare(name, backends, records, args.sample if not with_text else min(args.sample, 300), args.seed, with_text, registry)
            if not with_text:
                search_agreement(backends, records, 300, args.seed)
            for corpus in backends.values():
                corpus.close()


if __name__ == "__main__":
    main()
