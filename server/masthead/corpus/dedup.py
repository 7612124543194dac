"""The duplicate policy both stores apply before writing an article, in one place so that they agree:
a URL already stored is unchanged or updated; the same text under another URL, or a near-identical one
(syndicated wire copy), is a duplicate that keeps the new URL; anything else is added."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .text import NEAR_DUPLICATE, similarity

__all__ = ["Decision", "decide"]


@dataclass(frozen=True)
class Decision:
    status: str  # added / updated / duplicate / unchanged
    article_id: int | None  # the stored article concerned (None for added: the store assigns one)


def decide(url: str, digest: str, hashes: list[int], known_url: tuple[int, str, str] | None,
           exact_id: int | None, near: Iterable[tuple[int, list[int]]]) -> Decision:
    """What storing an article means, from what the store found for it.

    `known_url`: (article id, its primary URL, its content hash) when this URL is stored already;
    `exact_id`: a stored article with the same content hash; `near`: (article id, sketch) of stored articles
    sharing sketch keys with it, read lazily: a store may pass a generator that queries only when asked.
    """
    if known_url is not None:
        article_id, primary_url, stored_hash = known_url
        # A URL merged into another article (a syndicated copy) never overwrites that article's text.
        if stored_hash == digest or primary_url != url:
            return Decision("unchanged", article_id)
        return Decision("updated", article_id)
    if exact_id is not None:
        return Decision("duplicate", exact_id)
    if hashes:
        for article_id, other in near:
            if similarity(hashes, other) >= NEAR_DUPLICATE:
                return Decision("duplicate", article_id)
    return Decision("added", None)
