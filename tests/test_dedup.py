"""The duplicate policy both stores apply (corpus/dedup.py), table-driven; the stores' own tests check they use it."""

import pytest

from masthead.corpus.dedup import decide

SKETCH = list(range(100))
SAME_WIRE = list(range(5, 105))  # 95 of 105 shared: a syndicated copy with a different last line
OTHER = list(range(1000, 1100))
URL, OTHER_URL = "https://a.example/story", "https://b.example/story"


@pytest.mark.parametrize("known_url, exact_id, near, expected", [
    (None, None, [], ("added", None)),
    ((7, URL, "h"), None, [], ("unchanged", 7)),               # the same text at its own URL
    ((7, URL, "old"), None, [], ("updated", 7)),               # a new text at its own URL
    ((7, OTHER_URL, "old"), None, [], ("unchanged", 7)),       # a URL merged into another article never rewrites it
    ((7, URL, "old"), 9, [(9, SKETCH)], ("updated", 7)),       # the URL decides before the text
    (None, 9, [], ("duplicate", 9)),                           # the same text elsewhere
    (None, None, [(3, OTHER), (4, SAME_WIRE)], ("duplicate", 4)),  # a near-identical text elsewhere
    (None, None, [(3, OTHER)], ("added", None)),
], ids=["new", "unchanged", "updated", "merged-url", "url-first", "exact", "near", "not-near"])
def test_decide(known_url, exact_id, near, expected):
    decision = decide(URL, "h", SKETCH, known_url, exact_id, near)
    assert (decision.status, decision.article_id) == expected


def test_near_candidates_are_read_only_when_needed():
    read = []

    def near():
        read.append(True)
        yield 4, SAME_WIRE

    assert decide(URL, "h", SKETCH, (7, URL, "h"), None, near()).status == "unchanged"
    assert decide(URL, "h", SKETCH, None, 9, near()).status == "duplicate"
    assert not read  # a store's lazy query never ran
