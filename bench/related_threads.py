"""Background coverage bench (issue 23): does `background` find the same ongoing story at other times, and only it?

Data: tests/data/story-threads.jsonl, our own short articles: 32 story threads (a trial and its verdict, successive
sanctions packages, rate decisions, a pipeline, an extradition ...) of 3-5 occurrences over months and years, each
occurrence from another outlet in English, Russian or German (a few told in two languages the same day); 30
distractors that share a thread's country or actor but not its issue (a hockey championship in Belarus, a Boeing
space capsule, a Navalny film); 10 stories one outlet covered once. As noise, the UCI headlines
(../shared/data/uci-news-sample, 6,366, English) re-dated to random days 2010-2024.

Queries: every thread article (relevant: the thread's other articles from other outlets more than 7 days away) and
every distractor and single story (nothing is relevant). Measures: precision of what is shown, the share of thread
queries that find another occurrence, items shown for stories without other coverage, and the same for two
baselines computed in the same run, TF-IDF cosine and the bare encoder cosine over all time (the query's week left
out), each at the threshold of its best F1 (precision of shown vs thread share) on this run.

Usage: .venv/bin/python bench/related_threads.py [--vector-cache /tmp/vectors] [--no-noise] [--dump feats.json]
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))

from masthead import embed, urls  # noqa: E402
from masthead import related as story  # noqa: E402
from masthead.related import over_time as background_module  # noqa: E402
from masthead.corpus import connect  # noqa: E402
from masthead.corpus.text import day_number  # noqa: E402
from masthead.ingest import ingest  # noqa: E402
from masthead.registry import load  # noqa: E402
from related_hard import attach_vectors  # noqa: E402

THREADS = ROOT / "tests" / "data" / "story-threads.jsonl"
SHARED = ROOT.parent / "shared" / "data"
WEEK = background_module.SAME_EVENT_DAYS
# UCI headlines (March 2014) on two of our threads' stories, which re-dated noise would wrongly count as off-story:
# the Scottish independence campaign and sanctions against Russia.
OVERLAPPING = ("scotland", "scottish", "scots", "sanction")


def records() -> list[dict]:
    return [json.loads(line) for line in THREADS.read_text(encoding="utf-8").splitlines()]


def noise(seed: int) -> list[dict]:
    path = SHARED / "uci-news-sample" / "headlines.csv"
    if not path.exists():
        return []
    rng = random.Random(seed)
    first, last = day_number("2010-01-01"), day_number("2024-12-31")
    out = []
    for r in csv.DictReader(open(path, encoding="utf-8")):
        if any(word in r["TITLE"].lower() for word in OVERLAPPING):
            continue
        day = rng.randint(first, last)
        out.append({"url": r["URL"], "title": r["TITLE"], "text": "", "site_name": r["PUBLISHER"], "language": "en",
                    "published": __import__("datetime").date.fromordinal(day).isoformat()})
    return out


def build(tmp: Path, registry, with_noise: bool, seed: int, cache: Path | None):
    rows = records()
    extra = noise(seed) if with_noise else []
    path = tmp / "threads.jsonl"
    path.write_text("\n".join(json.dumps({k: v for k, v in r.items() if k not in ("story", "kind")}, ensure_ascii=False)
                              for r in rows + extra), encoding="utf-8")
    corpus = connect(tmp / "threads.db")
    ingest([str(path)], corpus, registry, helpers=0, embedding=False)
    texts = corpus.conn.execute("SELECT id, title, text, url FROM articles ORDER BY id").fetchall()
    attach_vectors(corpus, [(a, embed.embedding_text(title, text), url) for a, title, text, url in texts], cache)
    truth = {}
    for r in rows:
        stored = corpus.article(urls.normalise(r["url"]).url)
        truth[stored["id"]] = r
    return corpus, truth


def relevant_sets(corpus, truth):
    info = {a: (r["story"], r["kind"], r["site_name"], day_number(r["published"]), r["language"]) for a, r in truth.items()}
    out = {}
    for a, (s, kind, site, day, _) in info.items():
        out[a] = {b for b, (s2, _, site2, day2, _) in info.items()
                  if b != a and kind == "thread" and s2 == s and site2 != site and abs(day2 - day) > WEEK}
    return out, info


def query_of(corpus, a):
    art = corpus.article_by_id(a)
    blob = corpus.vectors([a]).get(a)
    vec = embed.as_matrix([blob])[0] if blob is not None else None
    return story.Query(art["title"], art["text"], art["published"], a, art["registered_domain"], None, vec,
                       language=art["language"])


def run_background(corpus, registry, truth, thresholds, dump=None):
    """{threshold: {query: ids shown}}: what background() shows at each threshold (candidates found once)."""
    from masthead.related.rank import pick

    shown = {t: {} for t in thresholds}
    for a in truth:
        query = query_of(corpus, a)
        related = story.rank(corpus, registry, query, "2026-12-01")
        cands = story.background_candidates(corpus, query, related)
        for t in thresholds:
            items = pick([(c["confidence"], c) for c in cands if c["confidence"] >= t], registry, query, "2026-12-01", 5, 1)
            shown[t][a] = [corpus.article(item["url"])["id"] for item in items]
        if dump is not None:
            dump.append({"query": a, "candidates": [[c["features"], c["id"]] for c in cands[:40]]})
    return shown


def baseline(corpus, truth, kind: str):
    """(scores per query: [(score, id)] outside the week and the query's own site), best first."""
    import numpy as np

    rows = corpus.conn.execute("SELECT id, title, text, day, registered_domain FROM articles ORDER BY id").fetchall()
    ids = [r[0] for r in rows]
    pos = {a: i for i, a in enumerate(ids)}
    days = np.array([r[3] for r in rows])
    domains = np.array([r[4] for r in rows])
    if kind == "tfidf":
        from sklearn.feature_extraction.text import TfidfVectorizer

        matrix = TfidfVectorizer().fit_transform([f"{r[1]} {r[2]}" for r in rows])
        sims_of = lambda a: (matrix @ matrix[pos[a]].T).toarray().ravel()  # noqa: E731
    else:
        vectors = corpus.vectors(ids)
        matrix = embed.as_matrix([vectors[a] for a in ids])
        sims_of = lambda a: matrix @ matrix[pos[a]]  # noqa: E731
    out = {}
    for a in truth:
        sims = sims_of(a)
        ok = (np.abs(days - days[pos[a]]) > WEEK) & (domains != domains[pos[a]])
        order = [i for i in np.argsort(-sims)[:60] if ok[i]]
        seen, ranked = set(), []
        for i in order:
            if domains[i] in seen:
                continue
            seen.add(domains[i])
            ranked.append((float(sims[i]), ids[i]))
        out[a] = ranked
    return out


def measure(shown, relevant, info):
    thread_q = [a for a in shown if relevant[a]]
    empty_q = [a for a in shown if not relevant[a]]
    n_shown = sum(len(shown[a]) for a in shown)
    hits = sum(len(set(shown[a]) & relevant[a]) for a in shown)
    found = [1.0 if set(shown[a]) & relevant[a] else 0.0 for a in thread_q]
    cross = [1.0 if {b for b in shown[a] if b in info and info[b][4] != info[a][4]} & relevant[a] else 0.0
             for a in thread_q if any(info[b][4] != info[a][4] for b in relevant[a])]
    return {"precision": hits / n_shown if n_shown else float("nan"), "threads found": statistics.mean(found),
            "cross-lingual found": statistics.mean(cross) if cross else float("nan"),
            "shown/uncovered": sum(len(shown[a]) for a in empty_q) / len(empty_q),
            "empty(uncovered)": statistics.mean(1.0 if not shown[a] else 0.0 for a in empty_q), "shown/q": n_shown / len(shown)}


def best_f1(scores, relevant, info):
    best = None
    for threshold in sorted({round(s, 3) for ranked in scores.values() for s, _ in ranked[:5]}):
        shown = {a: [b for s, b in ranked[:5] if s >= threshold] for a, ranked in scores.items()}
        m = measure(shown, relevant, info)
        p, r = (0.0 if m["precision"] != m["precision"] else m["precision"]), m["threads found"]
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        if best is None or f1 > best[0]:
            best = (f1, threshold, m)
    return best


def fit(dump: list[dict], relevant, info) -> None:
    """Logistic model of same-story on the candidates' features, fitted on all, and on two folds split by thread
    (the held-out fold's precision and recall of candidates at 0.5): the numbers to copy into over_time.py."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    names = ["cos", "cover", "title", "actors", "cross"]
    rows = [(q["query"], f, b in relevant[q["query"]]) for q in dump for f, b in q["candidates"] if f["cos"] is not None]
    X = np.array([[f[n] for n in names] for _, f, _ in rows])
    y = np.array([rel for _, _, rel in rows])
    threads = sorted({info[a][0] for a, _, _ in rows})
    random.Random(1).shuffle(threads)
    fold = np.array([threads.index(info[a][0]) % 2 for a, _, _ in rows])
    model = LogisticRegression(C=10.0, max_iter=5000).fit(X, y)
    print(f"fitted on all ({len(y)} candidates, {int(y.sum())} same story): bias {model.intercept_[0]:.2f}, "
          + ", ".join(f"{n} {c:.2f}" for n, c in zip(names, model.coef_[0])))
    for k in (0, 1):
        held = LogisticRegression(C=10.0, max_iter=5000).fit(X[fold != k], y[fold != k])
        p = held.predict_proba(X[fold == k])[:, 1] >= 0.5
        print(f"  fold {k} held out: precision {y[fold == k][p].mean():.3f}, recall of candidates {p[y[fold == k]].mean():.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vector-cache", help="folder keeping vectors by URL between runs")
    parser.add_argument("--no-noise", action="store_true", help="without the UCI headlines as noise")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sweep", type=lambda v: [float(x) for x in v.split(",")], default=[],
                        help="other thresholds to report, comma-separated")
    parser.add_argument("--fit", action="store_true", help="fit the confidence model on this run's candidates")
    parser.add_argument("--dump", help="write the candidates' features and labels (for fitting the model)")
    args = parser.parse_args()
    registry = load(ROOT / "sources.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(args.vector_cache) / "threads-use.json" if args.vector_cache else None
        corpus, truth = build(Path(tmp), registry, not args.no_noise, args.seed, cache)
        relevant, info = relevant_sets(corpus, truth)
        print(f"corpus {corpus.count()} articles; queries {len(truth)}: {sum(1 for a in truth if relevant[a])} with "
              f"another occurrence, {sum(1 for a in truth if not relevant[a])} without")
        results = {}
        dump = [] if args.dump or args.fit else None
        started = time.perf_counter()
        threshold = background_module.BACKGROUND_THRESHOLD
        sweep = sorted({threshold, *args.sweep})
        runs = run_background(corpus, registry, truth, sweep, dump)
        per_query = (time.perf_counter() - started) / len(truth)
        results[f"background @ {threshold} (all paths)"] = measure(runs[threshold], relevant, info)
        for t in sweep:
            if t != threshold:
                results[f"  background @ {t}"] = measure(runs[t], relevant, info)
        saved = background_module.SCAN_LIMIT
        background_module.SCAN_LIMIT = 0
        results[f"background @ {threshold}, no full vector scan (> 50k articles)"] = measure(
            run_background(corpus, registry, truth, [threshold])[threshold], relevant, info)
        background_module.SCAN_LIMIT = saved
        for name, kind in (("TF-IDF cosine, all time (best F1)", "tfidf"), ("bare USE cosine, all time (best F1)", "use")):
            f1, threshold, m = best_f1(baseline(corpus, truth, kind), relevant, info)
            results[f"{name} @ {threshold}"] = m
        print(f"background: {1000 * per_query:.1f} ms per query (same-event ranking and the sweep included)")
        print(f"\n{'system':58} {'precision':>9} {'threads':>8} {'x-lang':>7} {'shown/unc.':>10} {'empty(unc.)':>11} {'shown/q':>7}")
        for name, m in results.items():
            print(f"{name:58} {m['precision']:9.3f} {m['threads found']:8.3f} {m['cross-lingual found']:7.3f} "
                  f"{m['shown/uncovered']:10.3f} {m['empty(uncovered)']:11.3f} {m['shown/q']:7.2f}")
        if args.fit:
            fit(dump, relevant, info)
        if args.dump:
            labelled = [{"query": q["query"], "thread": info[q["query"]][0],
                         "candidates": [[f, b in relevant[q["query"]]] for f, b in q["candidates"]]} for q in dump]
            Path(args.dump).write_text(json.dumps(labelled))
        corpus.close()


if __name__ == "__main__":
    main()
