"""A synthetic news corpus with a Zipf-distributed vocabulary, stories covered by several sites, for speed benchmarks.

Each article (~300 words) mixes words drawn from a Zipf law (s = 1.07 over 200,000 pronounceable words, the shape
of English text) with the distinctive words and names of its story; 1 to 8 sites cover each story within a few
days; sites follow a Zipf law too, and one article in ten is on a domain from sources.yaml so answers carry labels.

Usage: .venv/bin/python bench/zipf_corpus.py 100000 > corpus.jsonl
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Iterator

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
VOCABULARY = 200_000
EXPONENT = 1.07
WORDS_PER_ARTICLE = 300
SYLLABLES = ("ba be bi bo bu ka ke ki ko ku da de di do du ma me mi mo mu na ne ni no nu ra re ri ro ru sa se si so "
             "su ta te ti to tu va ve vi vo vu la le li lo lu an en in on un ar er ir or ur").split()


def vocabulary(size: int = VOCABULARY, seed: int = 1) -> list[str]:
    """`size` distinct pronounceable words of 2 to 4 syllables, the same for a given seed."""
    rng = np.random.default_rng(seed)
    words: dict[str, None] = {}
    while len(words) < size:
        lengths = rng.integers(2, 5, size)
        picks = rng.integers(0, len(SYLLABLES), (size, 4)).tolist()
        for n, row in zip(lengths.tolist(), picks):
            words.setdefault("".join(SYLLABLES[i] for i in row[:n]))
            if len(words) == size:
                break
    return list(words)


def outlet_domains() -> list[str]:
    sys.path.insert(0, str(ROOT / "server"))
    from masthead.registry import load

    registry = load(ROOT / "sources.yaml")
    return sorted({o.domains[0] for o in registry.outlets.values() if o.domains})


def articles(n: int, seed: int = 7) -> Iterator[dict]:
    rng = np.random.default_rng(seed)
    words = vocabulary()
    names_of = [w.capitalize() for w in words]
    ranks = np.arange(1, VOCABULARY + 1, dtype=np.float64)
    cdf = np.cumsum(1 / ranks ** EXPONENT)
    cdf /= cdf[-1]
    sites = [f"site{i}.example" for i in range(3000)]
    site_cdf = np.cumsum(1 / np.arange(1, len(sites) + 1) ** 1.0)
    site_cdf /= site_cdf[-1]
    outlets = outlet_domains()
    start = dt.date(2023, 1, 1).toordinal()
    made, story, chunk = 0, 0, 2000
    while made < n:
        count = min(chunk, n - made)
        body_ids = np.searchsorted(cdf, rng.random((count, WORDS_PER_ARTICLE)))  # Zipf draws for the whole chunk
        mixed = rng.random((count, WORDS_PER_ARTICLE)) < 0.12
        picks = rng.integers(0, 10, (count, WORDS_PER_ARTICLE))
        common = rng.integers(0, 2000, (count, 3))
        on_outlet = rng.random(count) < 0.1
        outlet_pick = rng.integers(0, len(outlets), count)
        site_pick = np.searchsorted(site_cdf, rng.random(count))
        offsets = rng.integers(0, 4, count)
        i = 0
        while i < count:
            story += 1
            size = min(count - i, int(rng.integers(1, 9)))
            story_ids = rng.integers(1000, VOCABULARY, 10)  # 8 distinctive words and 2 names
            day = start + int(rng.integers(0, 3 * 365))
            for k in range(i, i + size):
                row = body_ids[k].tolist()
                for j in np.flatnonzero(mixed[k]).tolist():
                    row[j] = -1 - int(story_ids[picks[k, j]])  # negative: a story word
                tokens = [words[w] if w >= 0 else (names_of[-1 - w] if picks[k, 0] >= 8 else words[-1 - w]) for w in row]
                title_ids = list(rng.choice(story_ids[:8], 4, replace=False))
                title = [words[w] for w in title_ids] + [names_of[int(story_ids[8])]] + [words[w] for w in common[k].tolist()]
                rng.shuffle(title)
                host = outlets[int(outlet_pick[k])] if on_outlet[k] else sites[int(site_pick[k])]
                text = " ".join(" ".join(tokens[j:j + 15]).capitalize() + "." for j in range(0, WORDS_PER_ARTICLE, 15))
                yield {
                    "url": f"https://{host}/news/{story}/{made + k - i}",
                    "title": " ".join(title).capitalize(),
                    "text": text,
                    "published": dt.date.fromordinal(day + int(offsets[k])).isoformat(),
                }
            i += size
            made += size


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    out = sys.stdout
    for record in articles(n):
        out.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
