"""A harder same-event bench (issue 23): headlines only, many outlets per event, same-week events of the same kind.

The UCI headlines (../shared/data/uci-news-sample: 6,366 headlines of 87 stories, March 2014, public domain) are
re-dated across 2012-2018 so that a story's week holds three more stories of its own kind: the stories of each
category (business, technology, entertainment, health) are shuffled and put four to a week, each story keeping the
spread of its own headlines. A query is one headline, with no lead: the story ranking's headline path (a title the
browser sends, its date known). Relevant: the same story's headlines from other publishers.

Every system gets the same rules (own site left out, one result per site, at most 5 shown): the story ranking
(`related.rank`, its threshold), TF-IDF cosine x date prior and the bare encoder (USE) cosine x date prior, both
with the 7-day half-life within +-30 days, always showing their top 5. Measures: recall@5, MRR@10, precision of
what is shown.

`--per-story 5` keeps five headlines a story, one a publisher: few reports an event, the case where a ranking that
abstains below its threshold loses recall to one that always shows its top 5.

Usage: .venv/bin/python bench/related_hard.py [--sample 500] [--seed 3] [--per-week 8] [--per-story 5]
       [--vector-cache /tmp/vectors]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))

from masthead import embed, related  # noqa: E402
from masthead.corpus import connect  # noqa: E402
from masthead.corpus.text import day_number  # noqa: E402
from masthead.ingest import ingest  # noqa: E402
from masthead.registry import load  # noqa: E402
from related_dev import pick  # noqa: E402  (own site left out, one result per site)

SHARED = ROOT.parent / "shared" / "data"
# Our own headlines: 12 events in same-week pairs of one kind (two earthquakes, two rate decisions, two summits, two
# elections, two resignations), each told four ways by four outlets with few words in common.
PARAPHRASES = ROOT / "bench" / "data" / "same-week-paraphrases.jsonl"
SHOWN = 5
PER_WEEK = 8


def headlines(seed: int, max_stories: int | None = None, per_week: int = PER_WEEK,
              per_story: int | None = None) -> list[dict]:
    rows = list(csv.DictReader(open(SHARED / "uci-news-sample" / "headlines.csv", encoding="utf-8")))
    rng = random.Random(seed)
    by_story = defaultdict(list)
    for r in rows:
        by_story[r["STORY"]].append(r)
    if per_story:  # few reports an event: each story keeps per_story headlines from as many publishers
        for story, items in by_story.items():
            one_each = list({r["PUBLISHER"]: r for r in sorted(items, key=lambda r: r["URL"])}.values())
            by_story[story] = random.Random(f"{seed}-{story}").sample(one_each, min(per_story, len(one_each)))
    stories = sorted(by_story)
    if max_stories:
        stories = rng.sample(stories, max_stories)
    kinds = defaultdict(list)
    for s in stories:
        kinds[by_story[s][0]["CATEGORY"]].append(s)
    first, last = day_number("2012-01-01"), day_number("2018-12-31")
    out = []
    for kind in sorted(kinds):
        group = sorted(kinds[kind])
        rng.shuffle(group)
        for start in range(0, len(group), per_week):
            week = rng.randint(first, last)
            for s in group[start:start + per_week]:
                items = by_story[s]
                middle = statistics.median(int(r["TIMESTAMP"]) / 1000 for r in items)
                target = (week + rng.uniform(0, 3) - day_number("1970-01-01")) * 86400
                for r in items:
                    ts = int(r["TIMESTAMP"]) / 1000 - middle + target
                    out.append({"url": r["URL"], "title": r["TITLE"], "text": "", "language": "en",
                                "published": dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat(),
                                "site_name": r["PUBLISHER"], "_story": s, "_publisher": r["PUBLISHER"], "_set": "uci"})
    return out


def paraphrases() -> list[dict]:
    records = [json.loads(line) for line in PARAPHRASES.read_text(encoding="utf-8").splitlines()]
    return [{**{k: v for k, v in r.items() if k != "story"}, "_story": r["story"], "_publisher": r["site_name"],
             "_set": "paraphrases"} for r in records]


def build(tmp: Path, registry, records: list[dict], cache: Path | None):
    path = tmp / "hard.jsonl"
    path.write_text("\n".join(json.dumps({k: v for k, v in r.items() if not k.startswith("_")}) for r in records))
    corpus = connect(tmp / "hard.db")
    ingest([str(path)], corpus, registry, helpers=0, embedding=False)
    rows = corpus.conn.execute("SELECT id, title FROM articles ORDER BY id").fetchall()
    attach_vectors(corpus, [(a, title, title) for a, title in rows], cache)
    by_url = {r["url"]: r for r in records}
    truth = {}
    for article_id, url in corpus.conn.execute("SELECT article_id, url FROM article_urls"):
        if url in by_url:
            truth.setdefault(article_id, by_url[url])
    return corpus, truth


def attach_vectors(corpus, items: list[tuple[int, str, str]], cache: Path | None) -> None:
    """Store the USE vector of each (article id, text to embed, cache key), embedding only what the cache lacks."""
    known = json.loads(cache.read_text()) if cache and cache.exists() else {}
    todo = [item for item in items if item[2] not in known]
    encoder = embed.encoder()
    for i in range(0, len(todo), 64):
        chunk = todo[i:i + 64]
        for (_, _, key), vector in zip(chunk, encoder.encode([text for _, text, _ in chunk])):
            known[key] = embed.pack(vector).hex()
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(known))
    corpus.set_vectors([(a, bytes.fromhex(known[key])) for a, _, key in items])


def queries(corpus, truth, sample: int, seed: int):
    domain = dict(corpus.conn.execute("SELECT id, registered_domain FROM articles").fetchall())
    by_story = defaultdict(set)
    for a, r in truth.items():
        by_story[r["_story"]].add(a)
    out = {"uci": [], "paraphrases": []}
    for a, r in truth.items():
        relevant = {b for b in by_story[r["_story"]] if b != a and domain[b] != domain[a]
                    and truth[b]["_publisher"] != r["_publisher"]}
        if relevant:
            out[r["_set"]].append((a, relevant))
    uci = random.Random(seed).sample(sorted(out["uci"], key=lambda q: q[0]), min(sample, len(out["uci"])))
    return uci + out["paraphrases"], domain


def ranking_system(corpus, registry, domain, threshold=None):
    def run(a):
        art = corpus.article_by_id(a)
        vector = embed.as_matrix([corpus.vectors([a])[a]])[0]
        query = related.Query(art["title"], "", art["published"], a, domain[a], None, vector, language="en")
        scored = related.candidates(corpus, query)
        cut = related.THRESHOLD if threshold is None else threshold
        return pick([r["id"] for r in scored if r["confidence"] >= cut], a, domain)[:SHOWN]
    return run


def prior_system(corpus, domain, kind: str):
    """Cosine x 2^(-days/7) within +-30 days, top 5 always shown."""
    import numpy as np

    rows = corpus.conn.execute("SELECT id, title, day FROM articles ORDER BY id").fetchall()
    ids = [r[0] for r in rows]
    pos = {a: i for i, a in enumerate(ids)}
    days = np.array([r[2] for r in rows], dtype=float)
    if kind == "tfidf":
        from sklearn.feature_extraction.text import TfidfVectorizer

        matrix = TfidfVectorizer().fit_transform([r[1] for r in rows])
        sims_of = lambda a: (matrix @ matrix[pos[a]].T).toarray().ravel()  # noqa: E731
    else:
        stored = corpus.vectors(ids)
        matrix = embed.as_matrix([stored[a] for a in ids])
        sims_of = lambda a: matrix @ matrix[pos[a]]  # noqa: E731

    def run(a):
        apart = np.abs(days - days[pos[a]])
        score = sims_of(a) * np.power(2.0, -apart / 7.0) * (apart <= 30)
        return pick([ids[i] for i in np.argsort(-score)[:200] if score[i] > 0], a, domain)[:SHOWN]
    return run


def measure(system, qs) -> dict:
    recall, rr, shown, hits = [], [], 0, 0
    for a, relevant in qs:
        out = system(a)
        recall.append(len(set(out[:5]) & relevant) / min(5, len(relevant)))
        rr.append(next((1 / (i + 1) for i, b in enumerate(out[:10]) if b in relevant), 0.0))
        shown += len(out)
        hits += len(set(out) & relevant)
    return {"recall@5": statistics.mean(recall), "MRR@10": statistics.mean(rr),
            "precision": hits / shown if shown else float("nan"), "shown/q": shown / len(qs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=500)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--stories", type=int, help="only this many stories (a smaller corpus)")
    parser.add_argument("--vector-cache", help="folder keeping headline vectors between runs")
    parser.add_argument("--per-week", type=int, default=PER_WEEK,
                        help="stories of one kind put in one week (30: each category's stories in one week, denser)")
    parser.add_argument("--per-story", type=int,
                        help="headlines kept a story, one a publisher (5: few reports an event, where abstaining costs recall)")
    args = parser.parse_args()
    registry = load(ROOT / "sources.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(args.vector_cache) / "hard-use.json" if args.vector_cache else None
        records = headlines(args.seed, args.stories, args.per_week, args.per_story) + paraphrases()
        corpus, truth = build(Path(tmp), registry, records, cache)
        qs, domain = queries(corpus, truth, args.sample, args.seed)
        sets = {"all": qs, "UCI": [q for q in qs if truth[q[0]]["_set"] == "uci"],
                "paraphrases": [q for q in qs if truth[q[0]]["_set"] == "paraphrases"]}
        print(f"corpus {corpus.count()} headlines; queries: " + ", ".join(f"{k} {len(v)}" for k, v in sets.items()))
        systems = {"story ranking (related.rank)": ranking_system(corpus, registry, domain),
                   "TF-IDF cosine x date prior": prior_system(corpus, domain, "tfidf"),
                   "bare USE cosine x date prior": prior_system(corpus, domain, "use")}
        print(f"{'system':40} {'set':12} {'recall@5':>8} {'MRR@10':>7} {'precision':>9} {'shown/q':>7}")
        for name, system in systems.items():
            for label, part in sets.items():
                m = measure(system, part)
                print(f"{name:40} {label:12} {m['recall@5']:8.3f} {m['MRR@10']:7.3f} {m['precision']:9.3f} {m['shown/q']:7.2f}")
        corpus.close()


if __name__ == "__main__":
    main()
