"""Unified diffs applied forwards or backwards: undo, and carrying edits over hand formatting."""

from __future__ import annotations

import difflib
import re

from ..registry.incremental import changed_range

__all__ = ["apply_patch", "PatchError", "unified_diff"]


def unified_diff(before: list[str], after: list[str], fromfile: str, tofile: str, n: int = 3) -> str:
    """difflib's unified diff of two versions of a long file that differ in a few places.

    difflib compares every line of both (a tenth of a second on the bundled list); the lines both share at the
    start and at the end cannot be part of a change, so only the window between them, with its context, is
    compared, and the hunks are numbered as in the whole file."""
    head, before_end, _ = changed_range(before, after)
    low = max(0, head - n)
    keep = max(0, len(before) - before_end - n)
    text = "".join(difflib.unified_diff(before[low: len(before) - keep], after[low: len(after) - keep],
                                        fromfile=fromfile, tofile=tofile, n=n))
    if not low:
        return text
    return _HUNK_HEADER.sub(lambda m: f"@@ -{int(m[1]) + low}{m[2] or ''} +{int(m[3]) + low}{m[4] or ''} @@", text)


_HUNK_HEADER = re.compile(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@", re.M)


# --- patches (undo, and carrying edits over hand formatting) -------------------------------------


class PatchError(ValueError):
    pass


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def _parse_hunks(patch: str) -> list[tuple[int, int, int, int, list[str], list[str]]]:
    hunks = []
    current = None
    for line in patch.splitlines(keepends=True):
        if line.startswith(("---", "+++")) and current is None:
            continue
        match = _HUNK.match(line)
        if match:
            old_len = int(match.group(2)) if match.group(2) is not None else 1
            new_len = int(match.group(4)) if match.group(4) is not None else 1
            current = (int(match.group(1)), old_len, int(match.group(3)), new_len, [], [])
            hunks.append(current)
            continue
        if current is None or line.startswith("\\"):
            continue
        tag, body = line[:1], line[1:]
        if tag == " ":
            current[4].append(body)
            current[5].append(body)
        elif tag == "-":
            current[4].append(body)
        elif tag == "+":
            current[5].append(body)
    return hunks


def apply_patch(text: str, patch: str, reverse: bool = False, fuzz: int = 200,
                window: tuple[int, int] | None = None, unique: bool = False) -> str:
    """Apply a unified diff (or undo it, reverse=True); every hunk must match exactly, within `fuzz` lines.

    `window` (first line, end line; 0-based, in `text`) confines the hunks to those lines; `unique` refuses
    a hunk whose lines occur at more than one place within reach, rather than take the nearest.
    """
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    low, high = window if window is not None else (0, len(lines))
    shift = 0
    for old_start, old_len, new_start, new_len, old, new in _parse_hunks(patch):
        start, length = old_start, old_len
        if reverse:
            old, new = new, old
            start, length = new_start, new_len
        expected = (start if length == 0 else start - 1) + shift
        position = None
        for delta in range(0, fuzz + 1):
            for candidate in (expected - delta, expected + delta):
                if (max(0, low) <= candidate <= min(len(lines), high) - len(old)
                        and lines[candidate:candidate + len(old)] == old):
                    position = candidate
                    break
            if position is not None:
                break
        if position is None:
            snippet = "".join(old[:4]).strip()[:200]
            raise PatchError(f"the lines near line {expected + 1} have changed since: {snippet!r}")
        if unique and old:
            reach = range(max(0, low, expected - fuzz), min(len(lines), high, expected + fuzz + len(old)) - len(old) + 1)
            if sum(1 for c in reach if lines[c:c + len(old)] == old) > 1:
                raise PatchError(f"the lines near line {expected + 1} occur more than once; it is not clear which to change")
        lines[position:position + len(old)] = new
        high += len(new) - len(old)
        shift += len(new) - len(old) + (position - expected)
    return "".join(lines)
