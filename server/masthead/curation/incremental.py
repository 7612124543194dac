"""Keeping a parsed document current after one entry's lines were replaced: parse that entry alone, shift the rest."""

from __future__ import annotations

from typing import Any, Callable

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

__all__ = ["reparse_item"]


def reparse_item(data: CommentedMap, load: Callable[[str], Any], section: str, index: int, inserted: bool, start: int,
                 end: int, new_lines: list[str]) -> CommentedMap | None:
    """The tree after lines [start, end) became `new_lines`, one entry of `section`: that entry parsed on its own,
    everything below it moved by the change in line count. None when the entry does not parse as one item."""
    try:
        parsed = load(f"{section}:\n" + "".join(new_lines))
    except (YAMLError, ValueError):
        return None
    seq = data.get(section)
    fresh = parsed.get(section) if isinstance(parsed, CommentedMap) else None
    if not isinstance(seq, CommentedSeq) or not isinstance(fresh, CommentedSeq) or len(fresh) != 1:
        return None
    node = fresh[0]
    _shift_lines(node, start - 1, 0)  # line 1 of the snippet is line `start` of the file
    line, column = fresh.lc.item(0)
    delta = len(new_lines) - (end - start)
    _shift_lines(data, delta, end)
    if inserted:
        positions = [seq.lc.data[i] for i in range(len(seq)) if i in seq.lc.data]
        list.insert(seq, index, node)
        positions.insert(index, [line + start - 1, column])
        seq.lc.data.clear()
        seq.lc.data.update(enumerate(positions))
    else:
        list.__setitem__(seq, index, node)
        seq.lc.data[index] = [line + start - 1, column]
    return data


def _shift_lines(node: Any, delta: int, from_line: int) -> None:
    """Add delta to every recorded 0-based line at or after from_line, in node and below."""
    if not delta:
        return
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, CommentedMap):
            values = current.values()
        elif isinstance(current, CommentedSeq):
            values = current
        else:
            continue
        lc = current.lc
        if lc.line is not None and lc.line >= from_line:
            lc.line += delta
        for position in (lc.data or {}).values():
            if position[0] >= from_line:
                position[0] += delta
            if len(position) > 2 and position[2] >= from_line:
                position[2] += delta
        stack.extend(v for v in values if isinstance(v, (CommentedMap, CommentedSeq)))
