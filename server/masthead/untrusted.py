"""What every entrance checks in text it did not write: lone surrogates, JSON nesting depth, bounded echoes.

A lone surrogate (U+D800-U+DFFF, from an escape like "\\ud800" in JSON or YAML) is a Python str that cannot be
encoded as UTF-8: stored, it makes every answer that includes it fail (issue 13). Deep nesting costs a stack
frame per level in the parsers. A value echoed into a message must never be expanded without bound.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["MAX_DEPTH", "UntrustedError", "surrogate_at", "check_text", "without_surrogates", "json_depth_exceeds", "loads", "shown"]

MAX_DEPTH = 64  # the source list nests 7 levels deep; edits 8; records 2

_SURROGATE = re.compile("[\ud800-\udfff]")
# A string, or an unterminated one to the end (possessive: linear time whatever the input)
_JSON_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"?', re.S)
_SQUARE = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKET = bytes(set(range(256)) - set(b"[]{}"))


class UntrustedError(ValueError):
    """Input refused at an entrance; the message says why and where, without echoing the input."""


def surrogate_at(value: Any) -> str | None:
    """Where the first lone surrogate in `value` (text, or lists and dicts of it) is, as a path ('name', 'labels[0].note'), or None.

    Walks iteratively and visits each container once, so shared or deep structures cost no more than their size."""
    stack: list[tuple[Any, str]] = [(value, "")]
    seen: set[int] = set()
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return path or "(value)"
            continue
        if isinstance(item, (dict, list, tuple)):
            if id(item) in seen:
                continue
            seen.add(id(item))
        if isinstance(item, dict):
            for key, child in reversed(list(item.items())):
                name = key if isinstance(key, str) else repr(key)
                if isinstance(key, str) and _SURROGATE.search(key):
                    return f"{path}.(a key)" if path else "(a key)"
                stack.append((child, f"{path}.{name}" if path else name))
        elif isinstance(item, (list, tuple)):
            for i in range(len(item) - 1, -1, -1):
                stack.append((item[i], f"{path}[{i}]"))
    return None


def check_text(value: Any, what: str = "the data") -> None:
    """Raise UntrustedError when `value` holds a lone surrogate anywhere."""
    where = surrogate_at(value)
    if where is not None:
        raise UntrustedError(f"{what} holds a lone surrogate (a \\uD800-\\uDFFF escape without its pair) at {shown(where, 80)}; "
                             "it is not text and cannot be stored")


def without_surrogates(value: Any) -> Any:
    """`value` (text, or lists and dicts of it) with each lone surrogate replaced by U+FFFD, to show what a
    file on disk holds (a hand edit) without failing to send it."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {without_surrogates(k): without_surrogates(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_surrogates(v) for v in value]
    return value


def json_depth_exceeds(text: str | bytes, limit: int = MAX_DEPTH) -> bool:
    """True when JSON `text` opens more than `limit` arrays or objects inside each other, judged before parsing.

    Strings are cut out first (brackets in them do not count), then innermost bracket pairs are removed a level
    at a time (each pass in C): a pair still left after `limit` passes sits deeper than `limit`. Brackets never
    closed (JSON cut short) count as open levels."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    if data.count(b"[") + data.count(b"{") <= limit:
        return False  # most bodies: too few brackets to nest that deep
    brackets = _JSON_STRING.sub(b"", data).translate(_SQUARE, delete=_NOT_BRACKET)
    for _ in range(limit):
        shorter = brackets.replace(b"[]", b"")
        if len(shorter) == len(brackets):
            break
        brackets = shorter
    else:
        if b"[]" in brackets:
            return True
    return brackets.count(b"[") > limit


def loads(text: str | bytes, what: str = "the JSON", max_depth: int = MAX_DEPTH) -> Any:
    """json.loads for untrusted text: nesting bounded before parsing, lone surrogates refused after.

    Raises UntrustedError for both; json.JSONDecodeError (also a ValueError) for malformed JSON."""
    if json_depth_exceeds(text, max_depth):
        raise UntrustedError(f"{what} is nested more than {max_depth} levels deep")
    try:
        data = json.loads(text)
    except RecursionError:  # cannot happen after the check above; kept so no caller ever sees one
        raise UntrustedError(f"{what} is nested too deeply") from None
    check_text(data, what)
    return data


def shown(value: Any, limit: int = 80) -> str:
    """A repr of `value` for a message: at most `limit` characters, never expanding a large or shared structure."""
    text = _SURROGATE.sub("\ufffd", _brief(value, 2))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _brief(value: Any, levels: int) -> str:
    # isinstance, not type names: ruamel's CommentedMap and CommentedSeq are a dict and a list (reprlib would
    # call their full repr first).
    if isinstance(value, str):
        return repr(value[:60]) + ("..." if len(value) > 60 else "")
    if isinstance(value, dict):
        if levels <= 0:
            return "{...}"
        items = [f"{_brief(k, 0)}: {_brief(v, levels - 1)}" for k, v in list(value.items())[:4]]
        return "{" + ", ".join(items) + (", ..." if len(value) > 4 else "") + "}"
    if isinstance(value, (list, tuple)):
        if levels <= 0:
            return "[...]"
        items = [_brief(v, levels - 1) for v in value[:4]]
        return "[" + ", ".join(items) + (", ..." if len(value) > 4 else "") + "]"
    if isinstance(value, (bool, int, float)) or value is None:
        text = repr(value) if not isinstance(value, int) or abs(value) < 10 ** 40 else "(a very large number)"
        return text
    return f"({type(value).__name__})"
