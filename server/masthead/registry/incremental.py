"""Keeping a parsed source list current after its text changed: the entries whose lines changed are parsed on
their own, everything below them moves by the change in line count, and the rest of the tree is left as it was.

Parsing the bundled 600 KB list takes most of a second; one entry takes milliseconds. Both the loader (checking
an edit before it is written) and the curator's round-trip document use this, each with its own parser.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any, Callable

from ruamel.yaml.comments import CommentedMap, CommentedSeq, LineCol
from ruamel.yaml.error import YAMLError

__all__ = ["update_tree", "shift_lines", "changed_range", "needs_whole_parse", "dash_line", "SECTIONS"]

SECTIONS = ("outlets", "owners")
_LC = LineCol.attrib  # where ruamel keeps a node's positions

# What a text must not hold to be parsed entry by entry:
# - an anchor (&name) or alias (*name) where a node may start: an entry parsed alone cannot see an anchor defined
#   elsewhere, an alias elsewhere would keep the old value, and a node shared by two entries would be moved twice;
# - an escape for half of a surrogate pair: the loader reports those by walking the whole file.
# Quoted text can match too; that only costs a full parse.
_WHOLE = re.compile(r"(?:^|[\s\[{,:?-])[&*][^\s\[\]{},]|\\u[dD][89a-fA-F]|\\U0000[dD][89a-fA-F]")


def needs_whole_parse(text: str) -> bool:
    """True when a text holding this cannot be kept current entry by entry (see _WHOLE)."""
    return _WHOLE.search(text) is not None


def changed_range(old: list[str], new: list[str]) -> tuple[int, int, int]:
    """(start, old end, new end): old[start:old_end] became new[start:new_end], the lines around them equal."""
    start = _shared_prefix(old, new)
    tail = _shared_prefix(old[start:][::-1], new[start:][::-1])
    return start, len(old) - tail, len(new) - tail


def _shared_prefix(old: list[str], new: list[str], step: int = 256) -> int:
    """How many first lines the two lists share. Slices of a few hundred lines compare in C; a Python loop over
    20,000 lines would take longer than parsing the entry that changed."""
    limit = min(len(old), len(new))
    start = 0
    while start + step <= limit and old[start: start + step] == new[start: start + step]:
        start += step
    while start < limit and old[start] == new[start]:
        start += 1
    return start


def update_tree(data: CommentedMap, old: list[str], new: list[str], load: Callable[[str], Any],
                changed: tuple[int, int, int] | None = None) -> CommentedMap | None:
    """The tree of `new` made from `data`, the tree of `old`, in place; None when that cannot be done safely
    (the change reaches outside the entries of one section, the entries do not parse on their own, anchors),
    and the caller parses the whole text instead. `data` is unusable after a None.

    The caller makes sure `old` itself had nothing needs_whole_parse() refuses."""
    start, old_end, new_end = changed or changed_range(old, new)
    if start == old_end == new_end:
        return data
    if (old and old[0].startswith("%")) or (new and new[0].startswith("%")):
        return None  # a directive could change how every entry reads
    for section in SECTIONS:
        span = _entries_span(data, old, section, start, old_end)
        if span is not None:
            return _replace_entries(data, load, section, span, new, len(new) - len(old))
    return None


def _entries_span(data: CommentedMap, lines: list[str], section: str, start: int, end: int) -> tuple[int, int, int, int] | None:
    """(first entry, last entry, first line, end line) of the entries of `section` covering lines [start, end)."""
    seq = data.get(section)
    if not isinstance(seq, CommentedSeq) or not seq or seq.fa.flow_style() or len(seq.lc.data) != len(seq):
        return None
    section_end = _section_end(data, section, len(lines))
    positions = seq.lc.data
    first = dash_line(lines, positions[0][0])
    if start < first or end > section_end or start > section_end:
        return None
    starts = [first] + [dash_line(lines, positions[i][0]) for i in range(1, len(seq))]
    if start == end:
        # Lines only added: they end the entry before them (new keys, or a new entry after it).
        i = j = _last_at_or_before(starts, max(start - 1, first))
    else:
        i = _last_at_or_before(starts, start)
        j = _last_at_or_before(starts, min(end - 1, section_end - 1))
    stop = starts[j + 1] if j + 1 < len(starts) else section_end
    return i, j, starts[i], stop


def _section_end(data: CommentedMap, section: str, total: int) -> int:
    begin = data.lc.key(section)[0]
    later = [data.lc.key(key)[0] for key in data if data.lc.key(key)[0] > begin]
    return min(later) if later else total


def dash_line(lines: list[str], line: int) -> int:
    """The line an entry's '-' is on (its first key may sit on the next line)."""
    while line > 0 and not lines[line].lstrip().startswith("-"):
        line -= 1
    return line


def _last_at_or_before(starts: list[int], line: int) -> int:
    low, high = 0, len(starts) - 1
    while low < high:  # the last index whose start <= line (starts[0] <= line is known)
        middle = (low + high + 1) // 2
        if starts[middle] <= line:
            low = middle
        else:
            high = middle - 1
    return low


def _replace_entries(data: CommentedMap, load: Callable[[str], Any], section: str, span: tuple[int, int, int, int],
                     new: list[str], delta: int) -> CommentedMap | None:
    first, last, begin, stop = span
    text = "".join(new[begin: stop + delta])
    if needs_whole_parse(text):
        return None
    try:
        parsed = load(f"{section}:\n" + text)
    except (YAMLError, ValueError, RecursionError):
        return None
    if not isinstance(parsed, CommentedMap) or list(parsed) != [section]:
        return None  # the new lines reach outside the section (a top-level key, another document)
    fresh = parsed[section]
    if fresh is None:
        fresh = CommentedSeq()
    seq = data[section]
    if not isinstance(fresh, CommentedSeq) or (not fresh and last - first + 1 == len(seq)):
        return None  # the section itself changes shape (emptied, or no longer a list)
    offset = begin - 1  # line 1 of the snippet is line `begin` of the file (0-based lines)
    for node in fresh:
        shift_lines(node, offset, 0)
    positions = [[fresh.lc.data[k][0] + offset, fresh.lc.data[k][1]] for k in range(len(fresh))]
    shift_lines(data, delta, stop)
    kept = [seq.lc.data[k] for k in range(len(seq))]  # the lists themselves: lc.item() returns a copy
    list.__setitem__(seq, slice(first, last + 1), list(fresh))
    seq.lc.data.clear()
    seq.lc.data.update(enumerate(kept[:first] + positions + kept[last + 1:]))
    return data


def shift_lines(node: Any, delta: int, from_line: int) -> None:
    """Add delta to every recorded 0-based line at or after from_line, in node and below.

    Children are in line order, so a child followed by one that starts above from_line lies wholly above it and
    is not walked: an edit near the end of a file moves little. Below an edit every node is visited, so this
    reads the plain dict and list underneath ruamel's classes (its accessors cost more than the work)."""
    if not delta:
        return
    stack = [node]
    while stack:
        current = stack.pop()
        lc = getattr(current, _LC, None)  # None on a node made in code rather than parsed: its children may be
        positions = (lc.data if lc is not None else None) or {}
        if isinstance(current, CommentedMap):
            keys = list(OrderedDict.keys(current))
            children = list(OrderedDict.values(current))
        else:
            keys = range(len(current))
            children = list(current)
        # Which children to walk is decided before anything moves: a child ends before the next one starts.
        walk = [child for k, child in enumerate(children) if isinstance(child, (CommentedMap, CommentedSeq))
                and not (k + 1 < len(children) and keys[k + 1] in positions and positions[keys[k + 1]][0] < from_line)]
        if lc is not None and lc.line is not None and lc.line >= from_line:
            lc.line += delta
        for position in positions.values():
            if position[0] >= from_line:
                position[0] += delta
            if len(position) > 2 and position[2] >= from_line:
                position[2] += delta
        stack.extend(walk)
