"""Fit the same-story confidence (related/rank.py: WITH_VECTORS, LEXICAL_ONLY) and its threshold on the dev bench's
candidates, with an honest estimate: two folds split by story, each fitted on one half and measured on the other.

The model scores how alike two articles are; the date prior 2^(-days/7) multiplies it (fixed, as in rank.py).
Each set weighs the same in the fit, and each query the same within its set (its candidates share its weight), so
that the big UCI stories do not decide the model alone. The threshold is the lowest that keeps the precision of
what is shown (at most 5 items, one per site) at 0.9 or more in every set of the fitting half.

Usage: .venv/bin/python bench/related_dev.py --dump /tmp/dev.json && .venv/bin/python bench/related_fit.py /tmp/dev.json
"""

from __future__ import annotations

import hashlib
import json
import math
import statistics
import sys
from collections import defaultdict

import numpy as np
from sklearn.linear_model import LogisticRegression

SHOWN = 5


HALF_LIFE_DAYS = 7.0  # related/rank.py: the date prior is fixed, not fitted


def prior(f: dict) -> float:
    return 2.0 ** (-f["days"] / HALF_LIFE_DAYS)


def features(f: dict, with_cos: bool) -> list[float]:
    row = [f["cover"], f["title"]]
    return ([f["cos"] if f["cos"] is not None else 0.0] if with_cos else []) + row


def fit(queries: list[dict], with_cos: bool):
    X, y, w = [], [], []
    per_set = defaultdict(int)
    for q in queries:
        per_set[q["set"]] += 1
    for q in queries:
        for f, rel in q["candidates"]:
            X.append(features(f, with_cos))
            y.append(rel)
            w.append(1.0 / len(q["candidates"]) / per_set[q["set"]])
    w = np.array(w) * len(w) / sum(w)  # mean weight 1: the regularisation keeps its usual strength
    model = LogisticRegression(C=10.0, max_iter=2000).fit(np.array(X), np.array(y), sample_weight=w)
    return model


def shown_for(q: dict, model, with_cos: bool, threshold: float) -> list[bool]:
    if not q["candidates"]:
        return []
    probs = model.predict_proba(np.array([features(f, with_cos) for f, _ in q["candidates"]]))[:, 1]
    probs = [p * prior(f) for p, (f, _) in zip(probs, q["candidates"])]
    order = sorted(range(len(probs)), key=lambda i: -probs[i])
    return [q["candidates"][i][1] for i in order if probs[i] >= threshold][:SHOWN]


def measure(queries: list[dict], model, with_cos: bool, threshold: float) -> dict:
    per = defaultdict(lambda: defaultdict(list))
    for q in queries:
        shown = shown_for(q, model, with_cos, threshold)
        m = per[q["set"]]
        m["shown"].append(len(shown))
        m["hits"].append(sum(shown))
        if q["relevant"]:
            m["recall"].append(sum(shown) / min(SHOWN, q["relevant"]))
            m["rr"].append(next((1 / (i + 1) for i, rel in enumerate(shown) if rel), 0.0))
        else:
            m["empty"].append(1.0 if not shown else 0.0)
    out = {}
    for name, m in list(per.items()) + [("all", {k: [v for mm in per.values() for v in mm[k]] for k in ("shown", "hits", "recall", "rr", "empty")})]:
        out[name] = {
            "recall@5": statistics.mean(m["recall"]) if m["recall"] else None,
            "MRR@10": statistics.mean(m["rr"]) if m["rr"] else None,
            "precision": sum(m["hits"]) / sum(m["shown"]) if sum(m["shown"]) else None,
            "empty": statistics.mean(m["empty"]) if m["empty"] else None,
        }
    return out


def choose_threshold(queries: list[dict], model, with_cos: bool, target: float = 0.9) -> float:
    """The lowest threshold at which what is shown is >= target precise in every set (not only on average:
    the big UCI set alone would otherwise decide)."""
    for t in [x / 100 for x in range(5, 100)]:
        result = measure(queries, model, with_cos, t)
        precisions = [r["precision"] for name, r in result.items() if r["precision"] is not None]
        if precisions and min(precisions) >= target:
            return t
    return 0.99


def fold_of(q: dict) -> int:
    return int(hashlib.sha1(str(q["story"]).split("~")[0].encode()).hexdigest(), 16) % 2


def show(label: str, result: dict) -> None:
    def f(x):
        return "    -" if x is None else f"{x:.3f}"
    for name in ("uci", "multilingual", "pages", "all"):
        if name in result:
            r = result[name]
            print(f"  {label:34} {name:13} recall@5 {f(r['recall@5'])}  MRR@10 {f(r['MRR@10'])}  "
                  f"precision {f(r['precision'])}  empty(uncovered) {f(r['empty'])}")


def main() -> None:
    dump = json.loads(open(sys.argv[1]).read())
    for system, queries in dump.items():
        with_cos = system != "lexical"
        print(f"\n{system}: {len(queries)} queries")
        held_out = []
        for fold in (0, 1):
            train = [q for q in queries if fold_of(q) != fold]
            test = [q for q in queries if fold_of(q) == fold]
            model = fit(train, with_cos)
            t = choose_threshold(train, model, with_cos)
            held_out.append((t, measure(test, model, with_cos, t)))
        for fold, (t, result) in enumerate(held_out):
            show(f"fold {fold} held out (threshold {t:.2f})", result)
        model = fit(queries, with_cos)
        t = choose_threshold(queries, model, with_cos)
        names = (["cos"] if with_cos else []) + ["cover", "title"]
        coef = {"bias": round(float(model.intercept_[0]), 1), **{n: round(float(c), 1) for n, c in zip(names, model.coef_[0])}}
        print(f"  all queries: {coef}, threshold {t:.2f}")
        show("all queries, fitted on all", measure(queries, model, with_cos, t))


if __name__ == "__main__":
    main()
