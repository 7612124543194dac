"""What loads of a list keep between them: parsed trees of included lists and curated files, and what each entry
built to, owned by an object (a server's live list and its curator share one).

An edit changes one entry of a 700 KB list; keeping these lets the next load parse and build only that entry.
"""

from __future__ import annotations

import threading

from ruamel.yaml.comments import CommentedMap

__all__ = ["Kept", "KEEP_FILES", "KEEP_LISTS", "remember"]

KEEP_FILES = 4  # curated trees and builds are kept for this many top files (a test suite loads thousands)
KEEP_LISTS = 64  # included lists' trees: a list may include many, and each parse of a big one takes a second


class Kept:
    """One owner's memory of earlier loads.

    - `parsed`: included lists (an imported list of hundreds of outlets) rarely change when the curated file does:
      their trees are kept by path and content hash, so a reload after an edit parses only the file that changed.
      The builder only reads these trees.
    - `trees`: a curated file changes with every edit: its last tree is kept with its lines, and the next text is
      made from it by parsing only the entries whose lines changed (incremental.py). That updates the tree in
      place, so a load takes it out while it builds and puts it back after (under `lock`); a load running beside it
      parses the file whole. Only trees of texts without anchors or aliases are kept.
    - `built`: what each entry built to (the object and its problems), by the entry's node, and what collecting each
      included list added, for the next load of the same top file: an edit builds again only the entries it changed.

    Loads without an owner (a command that loads once, a test) share `Kept.shared()`, one per process.
    """

    _shared: "Kept | None" = None

    def __init__(self):
        self.parsed: dict[str, tuple[bytes, CommentedMap]] = {}
        self.trees: dict[str, tuple[bytes, list[str], CommentedMap]] = {}
        self.built: dict[str, tuple[dict, dict]] = {}
        self.lock = threading.Lock()

    @classmethod
    def shared(cls) -> "Kept":
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    def forget(self) -> None:
        """Drop the kept trees of curated files and every kept build: the next load parses each curated file whole
        and builds every entry. (Included lists stay parsed: those trees are kept by content hash and never change.)"""
        with self.lock:
            self.trees.clear()
        self.built.clear()


def remember(cache: dict, key: str, value, limit: int = KEEP_FILES) -> None:
    """Keep `value` as the newest of at most `limit`."""
    cache.pop(key, None)
    cache[key] = value
    while len(cache) > limit:
        cache.pop(next(iter(cache)))
