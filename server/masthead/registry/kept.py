"""What loads keep between them: parsed trees of included lists and curated files, and what each entry built to.

An edit changes one entry of a 600 KB list; keeping these lets the next load parse and build only that entry.
"""

from __future__ import annotations

import threading

from ruamel.yaml.comments import CommentedMap

__all__ = ["PARSED", "KEPT", "KEPT_LOCK", "BUILT", "KEEP_FILES", "KEEP_LISTS", "forget_kept", "remember"]

# Included lists (an imported list of hundreds of outlets) rarely change when the curated file does: their parsed
# trees are kept by path and content hash, so a reload after an edit parses only the file that changed. The builder
# only reads these trees.
PARSED: dict[str, tuple[bytes, CommentedMap]] = {}
# A curated file changes with every edit: its last tree is kept with its lines, and the next text is made from it
# by parsing only the entries whose lines changed (incremental.py). That updates the tree in place, so a load
# takes it out while it builds and puts it back after; a load running beside it parses the file whole.
KEPT: dict[str, tuple[bytes, list[str], CommentedMap]] = {}  # only trees of texts without anchors or aliases
KEPT_LOCK = threading.Lock()
# What each entry built to (the object and its problems), by the entry's node, and what collecting each included
# list added, for the next load of the same top file: an edit builds again only the entries it changed. Entries
# below an edit moved, so their problems move too.
BUILT: dict[str, tuple[dict, dict]] = {}
KEEP_FILES = 4  # curated trees and builds are kept for this many top files (a test suite loads thousands)
KEEP_LISTS = 64  # included lists' trees: a list may include many, and each parse of a big one takes a second


def forget_kept() -> None:
    """Drop the kept trees of curated files and every kept build: the next load parses each curated file whole
    and builds every entry. (Included lists stay parsed: those trees are kept by content hash and never change.)"""
    with KEPT_LOCK:
        KEPT.clear()
    BUILT.clear()


def remember(cache: dict, key: str, value, limit: int = KEEP_FILES) -> None:
    """Keep `value` as the newest of at most `limit`."""
    cache.pop(key, None)
    cache[key] = value
    while len(cache) > limit:
        cache.pop(next(iter(cache)))
