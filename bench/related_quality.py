"""Related-coverage quality on data no one here wrote, next to a plain TF-IDF cosine baseline computed in the same run.

1. UCI News Aggregator sample (../shared/data/uci-news-sample/headlines.csv): 6,366 headlines from 1,948 publishers
   in 87 stories. Every headline goes in through the JSON Lines path (`masthead ingest`'s reader). For 1,000 sampled
   headlines (fixed seed) we rank the corpus and score same-story headlines from *other* publishers:
     recall@5  = |relevant in top 5| / min(5, |relevant|)   (1.0 = five same-story results from other publishers)
     MRR@10    = 1 / rank of the first relevant result within 10 (0 if none)
   Both systems get the same candidates and the same rules: the query's own publisher left out, one result per
   publisher.
2. Full articles (../shared/data/article-pages/, 181 saved pages, 126 sites): ingested from HTML with trafilatura;
   each page's headline must find its own full text (known-item MRR@10) — long texts, many years, many languages.

Usage: .venv/bin/python bench/related_quality.py [--sample 1000] [--seed 13]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))

from masthead import urls  # noqa: E402
from masthead.corpus import connect  # noqa: E402
from masthead.ingest import ingest  # noqa: E402
from masthead.related import Query, rank  # noqa: E402
from masthead.registry import load  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
HEADLINES = SHARED / "uci-news-sample" / "headlines.csv"
PAGES = SHARED / "article-pages" / "html"


def build_headline_corpus(db: Path, registry) -> tuple[Corpus, list[dict], float]:
    rows = list(csv.DictReader(open(HEADLINES, encoding="utf-8")))
    jsonl = db.with_suffix(".jsonl")
    with open(jsonl, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps({"url": row["URL"], "title": row["TITLE"], "text": "", "published": int(row["TIMESTAMP"]),
                                  "site_name": row["PUBLISHER"]}) + "\n")
    corpus = connect(db)
    started = time.perf_counter()
    summary = ingest([str(jsonl)], corpus, registry)
    seconds = time.perf_counter() - started
    print(f"ingested {len(rows)} headlines: {dict(summary.counts)} in {seconds:.2f} s")
    for row in rows:
        try:
            stored = corpus.article(urls.normalise(row["URL"]).url)
        except urls.URLError:
            stored = None
        row["article_id"] = stored["id"] if stored else None
    return corpus, rows, seconds


def evaluate(ranked_ids: list[int], relevant: set[int]) -> tuple[float, float]:
    top5 = ranked_ids[:5]
    recall = len(relevant.intersection(top5)) / min(5, len(relevant))
    rr = next((1 / (i + 1) for i, a in enumerate(ranked_ids[:10]) if a in relevant), 0.0)
    return recall, rr


def headlines(args, registry) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer

    with tempfile.TemporaryDirectory() as tmp:
        corpus, rows, _ = build_headline_corpus(Path(tmp) / "uci.db", registry)
        stored = corpus.conn.execute("SELECT id, url, title, text, registered_domain, outlet_id FROM articles ORDER BY id").fetchall()
        ids = [r[0] for r in stored]
        position = {a: i for i, a in enumerate(ids)}
        publishers_of = defaultdict(set)  # an article merged from several URLs belongs to several publishers
        stories_of = defaultdict(set)
        for row in rows:
            if row["article_id"] is not None:
                publishers_of[row["article_id"]].add(row["PUBLISHER"])
                stories_of[row["article_id"]].add(row["STORY"])
        domain_of = {r[0]: r[4] for r in stored}
        url_to_id = {r[1]: r[0] for r in stored}

        def relevant_for(row) -> set[int]:
            return {a for a in ids if a != row["article_id"] and row["STORY"] in stories_of[a]
                    and row["PUBLISHER"] not in publishers_of[a]}

        candidates = [row for row in rows if row["article_id"] is not None and relevant_for(row)]
        sample = random.Random(args.seed).sample(candidates, min(args.sample, len(candidates)))

        documents = [f"{r[2]} {r[3]}" for r in stored]
        baselines = {
            "tf-idf cosine (scikit-learn defaults)": TfidfVectorizer(),
            "tf-idf cosine (english stop words, sublinear tf)": TfidfVectorizer(stop_words="english", sublinear_tf=True),
        }
        matrices = {name: (vec, vec.fit_transform(documents)) for name, vec in baselines.items()}

        def filtered(order, row) -> list[int]:
            """The same rules for everyone: not the page itself, not its own site, one per site."""
            seen, out = set(), []
            own = domain_of[row["article_id"]]
            for index in order:
                a = ids[index]
                if a == row["article_id"] or domain_of[a] == own or domain_of[a] in seen:
                    continue
                seen.add(domain_of[a])
                out.append(a)
                if len(out) == 10:
                    break
            return out

        scores = {name: ([], []) for name in ["masthead related"] + list(baselines)}
        latencies = []
        for row in sample:
            a = row["article_id"]
            relevant = relevant_for(row)
            query = Query(row["TITLE"], "", corpus.article_by_id(a)["published"], a, domain_of[a], None)
            started = time.perf_counter()
            ours = rank(corpus, registry, query, "2014-04-01", limit=10)
            latencies.append(time.perf_counter() - started)
            recall, rr = evaluate([url_to_id[item["url"]] for item in ours], relevant)
            scores["masthead related"][0].append(recall)
            scores["masthead related"][1].append(rr)
            for name, (vec, matrix) in matrices.items():
                sims = (matrix @ matrix[position[a]].T).toarray().ravel()
                order = sims.argsort()[::-1][:400]
                order = [i for i in order if sims[i] > 0]
                recall, rr = evaluate(filtered(order, row), relevant)
                scores[name][0].append(recall)
                scores[name][1].append(rr)
        print(f"\nUCI headlines: {len(sample)} sampled queries (seed {args.seed}) of {len(candidates)} with same-story "
              f"headlines from other publishers; corpus {len(ids)} stored articles")
        print(f"{'system':52} {'recall@5':>9} {'MRR@10':>8}")
        result = {}
        for name, (recalls, rrs) in scores.items():
            result[name] = (statistics.mean(recalls), statistics.mean(rrs))
            print(f"{name:52} {result[name][0]:9.3f} {result[name][1]:8.3f}")
        print(f"masthead rank() latency on this corpus: p50 {1000 * statistics.median(latencies):.1f} ms, "
              f"p95 {1000 * sorted(latencies)[int(0.95 * len(latencies))]:.1f} ms")
        corpus.close()
        return result


def full_articles(args, registry) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    with tempfile.TemporaryDirectory() as tmp:
        corpus = connect(Path(tmp) / "pages.db")
        summary = ingest([str(PAGES)], corpus, registry)
        print(f"\nArticle pages: {dict(summary.counts)}")
        stored = corpus.conn.execute("SELECT id, title, text, published FROM articles WHERE title != '' ORDER BY id").fetchall()
        years = sorted({(p or "")[:4] for _, _, _, p in stored if p})
        vec = TfidfVectorizer()
        matrix = vec.fit_transform([f"{t} {x}" for _, t, x, _ in stored])
        ours, base = [], []
        for index, (a, title, text, published) in enumerate(stored):
            ranked = rank(corpus, registry, Query(title, "", published), published or "2020-01-01", limit=10, per_outlet=10)
            ids = [corpus.article(item["url"])["id"] for item in ranked]
            ours.append(next((1 / (i + 1) for i, x in enumerate(ids) if x == a), 0.0))
            sims = (matrix @ vec.transform([title]).T).toarray().ravel()
            order = list(sims.argsort()[::-1][:10])
            base.append(next((1 / (i + 1) for i, x in enumerate(order) if x == index and sims[x] > 0), 0.0))
        print(f"{len(stored)} full articles, published {years[0] if years else '?'}..{years[-1] if years else '?'}: "
              f"headline -> own article MRR@10: masthead {statistics.mean(ours):.3f}, tf-idf cosine {statistics.mean(base):.3f}")
        corpus.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--sources", default=str(ROOT / "sources.yaml"))
    args = parser.parse_args()
    registry = load(args.sources)
    result = headlines(args, registry)
    full_articles(args, registry)
    ours = result["masthead related"]
    plain = result["tf-idf cosine (scikit-learn defaults)"]
    print(f"\nmasthead vs plain tf-idf: recall@5 {ours[0]:.3f} vs {plain[0]:.3f}, MRR@10 {ours[1]:.3f} vs {plain[1]:.3f}: "
          + ("beats the baseline on both" if ours[0] > plain[0] and ours[1] > plain[1] else "DOES NOT beat the baseline on both"))


if __name__ == "__main__":
    main()
