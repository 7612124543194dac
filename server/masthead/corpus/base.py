"""The Corpus interface: what every article store offers the layers above it, and the records it stores."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from .text import terms

__all__ = ["Corpus", "Article", "AddResult", "RecordError", "CorpusUnavailable", "SearchPlan",
           "MAX_SEARCH_WORDS", "COMMON_SHARE", "COMMON_MIN", "RESCORE", "redact"]

MAX_SEARCH_WORDS = 8  # distinct words searched for; each costs a posting-list read (issue 13 B8)
COMMON_SHARE = 0.5  # a word in more than this share of the articles is left out while the query has a rarer one
COMMON_MIN = 1_000  # ... and in more than this many: below, a posting list is cheap and the query stays exact
RESCORE = 4  # x the neighbours asked for: how many of a window's nearest vectors by sign get an exact cosine


class RecordError(ValueError):
    """A record that cannot be stored; the message is the reason shown in the ingest summary."""


class CorpusUnavailable(Exception):
    """The store cannot be read or written. `reason` is one of: full, read-only, locked, corrupt, unavailable.

    Callers never see a database driver's own errors: they get this, with a message an operator can act on.
    """

    def __init__(self, message: str, reason: str = "unavailable"):
        super().__init__(redact(message))  # a driver's message may quote the connection string (issue 26)
        self.reason = reason


_PASSWORD_PARAM = re.compile(r"((?:^|[?&\s])password\s*=\s*)('[^']*'|[^&\s]*)", re.IGNORECASE)


def redact(message: str) -> str:
    """A message without the value of any `password=` parameter in it (a DSN's query string, a conninfo string)."""
    return _PASSWORD_PARAM.sub(r"\1***", message)


@dataclass
class Article:
    url: str
    registered_domain: str | None
    host: str
    title: str
    text: str
    outlet_id: str | None = None
    site_name: str | None = None
    published: str | None = None
    language: str | None = None
    authors: list[str] = field(default_factory=list)
    fetched_at: str | None = None
    source: str | None = None
    digest: str = ""  # text.content_hash(); computed before storage so that a helper process can do it
    hashes: list[int] = field(default_factory=list)  # text.sketch()
    vector: bytes | None = None  # embed.pack() of the headline and lead, when ingest embeds (see embed.py)
    warnings: list[str] = field(default_factory=list)  # for the ingest summary; not stored


@dataclass(frozen=True)
class SearchPlan:
    """What search() looks for: `words` (each must match), `ignored` (left out), `matches` (at most this many)."""

    words: list[str]
    ignored: list[str]
    matches: int


@dataclass(frozen=True)
class AddResult:
    status: str  # added / updated / duplicate / unchanged
    article_id: int


class Corpus(ABC):
    """An article store. One instance is one connection: not shared across threads.

    Rows returned by the read methods are plain dicts with at least: id, url, title, published,
    registered_domain, outlet_id, site_name (and text where said).
    """

    #: where the corpus lives, for messages (a file path or a URL without its password)
    location: str = ""

    # --- lifecycle and transactions ---

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction that add() calls join; rolled back if the block raises."""

    @abstractmethod
    def begin(self, defer_index: bool = False) -> None:
        """Open a long write transaction for bulk loading; add() calls join it until commit()."""

    @abstractmethod
    def commit(self) -> None: ...

    @abstractmethod
    def rollback(self) -> None: ...

    def bulk(self) -> None:
        """A hint that many writes follow (a store may enlarge caches); nothing by default."""

    def checkpoint(self) -> None:
        """A hint that a bulk load has ended (a store may compact its log); nothing by default."""

    def compact(self) -> None:
        """A hint that many articles were deleted (a prune): a store may give the space back; nothing by default."""

    def defer_term_stats(self) -> None:
        """A hint that statistics need not be kept up to date write by write during a bulk load."""

    def refresh_term_stats(self) -> bool:
        """Bring the statistics the ranking reads up to date; True if anything was recomputed."""
        return False

    # --- writing ---

    @abstractmethod
    def add(self, article: Article) -> AddResult:
        """Insert or update one article; exact and near duplicates are merged, keeping every URL.

        A record the store cannot take raises RecordError and is undone alone; an open transaction goes on.
        """

    @abstractmethod
    def delete(self, url: str) -> list[str] | None:
        """Forget the stored article a canonical URL belongs to (a reader's page, issue 13 B11).

        Removes the whole article: its text, every URL it is known under (merged duplicates included), its
        near-duplicate sketches and its full-text index entries, and takes its terms out of whatever the
        ranking reads (document frequencies, count()), so that scores afterwards are those of a corpus that
        never held it. Joins an open transaction (begin() or transaction()), else commits by itself.

        Returns the URLs forgotten, the article's own first; None when no stored article has `url`.
        """

    def add_many(self, articles: list[Article]) -> list[AddResult | RecordError]:
        """add() each article in order, with the same results; a store may look the run up at once. A record
        the store cannot take is undone alone and its RecordError takes its place in the list."""
        results: list[AddResult | RecordError] = []
        for article in articles:
            try:
                results.append(self.add(article))
            except RecordError as exc:
                results.append(exc)
        return results

    # --- reading ---

    @abstractmethod
    def has_url(self, url: str) -> bool: ...

    @abstractmethod
    def article(self, url: str) -> dict | None:
        """The stored article a canonical URL belongs to (full text, authors, every URL it is known under)."""

    @abstractmethod
    def article_by_id(self, article_id: int) -> dict | None: ...

    @abstractmethod
    def count(self) -> int:
        """Number of stored articles (exact: articles can be deleted, so not the largest id)."""

    @abstractmethod
    def stats(self) -> dict:
        """{articles, urls, schema_version, last_added} for /api/health and the CLI."""

    @abstractmethod
    def search(self, query: str, limit: int, offset: int = 0) -> list[dict]:
        """Full-text search for people: every word of plan_search(query).words must match (the store quotes
        them itself). Rows carry `score` (higher is better) and `snippet`.
        """

    def plan_search(self, query: str) -> SearchPlan:
        """The words of a person's query worth their cost, the rarest first in cost, the query's order kept.

        Each distinct word costs a read of its posting list, however often it is repeated: repeats are dropped.
        A word in more than half of the articles (and more than COMMON_MIN) is left out while a rarer word remains
        (bm25 gives such a word no weight: it could only cost time and narrow nothing much), and at most MAX_SEARCH_WORDS of the rarest
        are kept. A query of only common words keeps its rarest. Words in no article stay: nothing matches.
        """
        words = list(dict.fromkeys(terms(query)))
        if not words:
            return SearchPlan([], [], 0)
        df = self.doc_freqs(words)
        total = max(1, self.count())
        rarest = sorted(words, key=lambda w: df.get(w, 0))
        chosen = [w for w in rarest if df.get(w, 0) <= max(COMMON_SHARE * total, COMMON_MIN)] or rarest[:1]
        chosen = set(chosen[:MAX_SEARCH_WORDS])
        kept = [w for w in words if w in chosen]
        return SearchPlan(kept, [w for w in words if w not in chosen], min(df.get(w, 0) for w in kept))

    @abstractmethod
    def doc_freqs(self, words: Iterable[str]) -> dict[str, int]:
        """How many articles contain each word (title or text); words in no article are left out."""

    @abstractmethod
    def rows(self, ids: list[int], text_chars: int = 3000) -> list[dict]:
        """Articles by id (metadata and the start of the text), in no particular order.

        Rows also carry `day` (text.day_number() of the published date, else of the date it was fetched) and
        `language` (ISO 639-1 or None).
        """

    # --- what related coverage reads: a story's window of days, and sentence vectors ---

    @abstractmethod
    def lexical_candidates(self, words: list[str], first_day: int, last_day: int, limit: int,
                           language: str | None = None) -> list[tuple[int, float]]:
        """Articles whose day lies in [first_day, last_day] and that contain any of `words` (title or text):
        (id, score) best first, at most `limit`. The score is the engine's own relevance (higher is better;
        SQLite: -bm25 with the title weighted 3x, over the whole corpus's statistics). `language` is the words'
        (ISO 639-1), when known: a store that stems may match them as written and as that language stems them
        (SQLite matches words as written).

        Callers pass distinctive words only (see doc_freqs()): the cost follows the words' posting lists.
        """

    # A store that keeps no vectors may leave the four methods below as they are: ranking is then lexical only.

    def window_vectors(self, first_day: int, last_day: int) -> tuple[list[int], bytes]:
        """The ids of every article with a stored vector whose day lies in [first_day, last_day], and their vectors
        end to end in the same order (a window at 1M articles holds ~14,000: one buffer, not 14,000 objects).

        Vectors are the bytes given in Article.vector (embed.pack(), all of one size); the caller finds the
        nearest itself.
        """
        return [], b""

    def nearest_in_window(self, first_day: int, last_day: int, vector, k: int) -> list[tuple[int, float]]:
        """Up to k articles of the window [first_day, last_day] whose vectors have the highest cosine with the unit
        `vector` (numpy float32), as (id, cosine), highest first. Here: every vector of the window, exactly; a store
        may approximate, as long as what it returns carries exact cosines (SQLite and PostgreSQL: the RESCORE x k
        nearest by the vectors' signs first)."""
        from .. import embed

        ids, packed = self.window_vectors(first_day, last_day)
        if not ids:
            return []
        sims = embed.cosines(packed, vector)
        return [(ids[i], float(sims[i])) for i in sims.argsort()[::-1][:k]]

    def vectors(self, ids: list[int]) -> dict[int, bytes]:
        """The stored vectors of these articles (articles without one are left out)."""
        return {}

    def set_vectors(self, items: list[tuple[int, bytes]]) -> None:
        """Store (or replace) the vectors of stored articles, e.g. for articles ingested without embeddings."""

    def missing_vectors(self, limit: int, after_id: int = 0) -> list[dict]:
        """Up to `limit` articles with id > after_id that have no vector: {id, title, text}, by id."""
        return []

    @abstractmethod
    def integrity_check(self) -> list[str]:
        """[] when the store and its indexes are consistent, else the problems found."""
