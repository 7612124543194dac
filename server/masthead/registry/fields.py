"""Reading one field of a list entry: its type checked, every problem recorded with its position."""

from __future__ import annotations

import re
from typing import Any, Iterable

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..untrusted import shown
from .model import parse_partial_date
from .vocabulary import COUNTRIES

__all__ = ["FieldReader"]


class FieldReader:
    """Field readers for the loader's builder, which supplies `_add(file, line, column, message, hint, severity)`."""


    def _text(self, file: str, node: CommentedMap, key: str, required: bool = False) -> str | None:
        value = node.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self._add(*key_pos(file, node, key), f"`{key}` is missing or empty", f"add `{key}:`")
            return None
        if isinstance(value, (CommentedMap, CommentedSeq)):
            self._add(*key_pos(file, node, key), f"`{key}` must be text", "quote the value")
            return None
        return str(value).strip()

    def _strings(self, file: str, node: CommentedMap, key: str) -> list[str]:
        value = node.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if not isinstance(value, CommentedSeq) or not all(isinstance(v, str) for v in value):
            self._add(*key_pos(file, node, key), f"`{key}` must be a list of strings", f"e.g. `{key}: [a, b]`")
            return []
        return list(value)

    def _entries(self, file: str, node: CommentedMap, key: str, hint: str) -> list[tuple[tuple, Any]]:
        """(position, item) of each entry of the list under `key`: none when it is absent, or when it is not a list
        (recorded, with `hint` on how to write one)."""
        value = node.get(key)
        if value is None:
            return []
        if not isinstance(value, CommentedSeq):
            self._add(*key_pos(file, node, key), f"`{key}` must be a list", hint)
            return []
        return [(item_pos(file, node, key, value, i), item) for i, item in enumerate(value)]

    def _url(self, file: str, node: CommentedMap, key: str) -> str | None:
        value = node.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+\.[^\s]*$", value.strip()):
            self._add(*key_pos(file, node, key, value=True), f"`{key}` {shown(value)} is not an http(s) URL", "write the full public URL, starting with https://")
            return None
        if (problem := _hidden_host(value.strip())):
            self._add(*key_pos(file, node, key, value=True), f"`{key}` {shown(value)} {problem}", "write the plain public URL")
            return None
        return value.strip()

    def _urls(self, file: str, node: CommentedMap, key: str) -> tuple[str, ...]:
        value = node.get(key)
        if value is None:
            return ()
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, CommentedSeq) and not isinstance(items, list):
            self._add(*key_pos(file, node, key), f"`{key}` must be a list of URLs", f"e.g. `{key}: [https://...]`")
            return ()
        found = []
        for i, item in enumerate(items):
            pos = item_pos(file, node, key, items, i) if isinstance(items, CommentedSeq) else key_pos(file, node, key, value=True)
            if not isinstance(item, str) or not re.match(r"^https?://[^\s/]+\.[^\s]*$", item.strip()):
                self._add(*pos, f"source {shown(item)} is not an http(s) URL", "cite a public web page, starting with https://")
                continue
            if (problem := _hidden_host(item.strip())):
                self._add(*pos, f"source {shown(item)} {problem}", "cite the plain public URL of the page")
                continue
            found.append(item.strip())
        if not found and not items:
            self._add(*key_pos(file, node, key), f"`{key}` is empty", "add at least one public URL")
        return tuple(found)

    def _country(self, file: str, node: CommentedMap, required: bool) -> str | None:
        value = node.get("country")
        if value is None:
            if required:
                self._add(*key_pos(file, node, "id"), f"'{node.get('id')}' has no country", "add `country:` with an ISO 3166-1 code, e.g. 'RU'")
            return None
        if not isinstance(value, str) or (value not in COUNTRIES and value not in ("EU", "INT")):
            self._add(*key_pos(file, node, "country", value=True), f"country {shown(value)} is not an ISO 3166-1 alpha-2 code",
                      "use two capital letters, e.g. 'GB' for the United Kingdom")
            return None
        return value

    def _date(self, file: str, node: CommentedMap, key: str, required: bool) -> str | None:
        if key not in node or node[key] is None:
            if required:
                self._add(*key_pos(file, node, "type"), f"label has no `{key}` date", "add the date it took effect: YYYY-MM-DD (or YYYY-MM, YYYY)")
            return None
        parsed = parse_partial_date(node[key])
        if parsed is None:
            self._add(*key_pos(file, node, key, value=True), f"`{key}` {shown(node[key])} is not a valid date", "write YYYY-MM-DD, YYYY-MM or YYYY")
        return parsed

    def _unknown_keys(self, file: str, node: CommentedMap, allowed: set[str], what: str) -> None:
        for key in node:
            if key not in allowed:
                close = closest(str(key), allowed)
                self._add(*key_pos(file, node, key), f"unknown key '{key}' in {what}",
                          f"did you mean '{close}'?" if close else "allowed: " + ", ".join(sorted(allowed)))


def key_pos(file: str, node: CommentedMap, key: str, value: bool = False) -> tuple[str, int, int]:
    try:
        if key in node:
            line, col = node.lc.value(key) if value else node.lc.key(key)
            return file, line + 1, col + 1
    except (AttributeError, KeyError, TypeError):
        pass
    return file, node.lc.line + 1, node.lc.col + 1


def item_pos(file: str, parent: CommentedMap, key: str, seq: Any, index: int) -> tuple[str, int, int]:
    try:
        line, col = seq.lc.item(index)
        return file, line + 1, col + 1
    except (AttributeError, KeyError, TypeError):
        return key_pos(file, parent, key)


def closest(word: str, choices: Iterable[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def _hidden_host(url: str) -> str | None:
    """Why a URL may open another host than the one it seems to name, or None (issue 26).

    A browser reads `\\` as `/` while Python does not: in `https://evil.example\\@www.consilium.europa.eu/`
    Python sees the official host (and so would the weak-source check), the browser opens evil.example.
    User information (`user@host`) only serves to disguise the host in a citation."""
    if "\\" in url:
        return "contains a backslash, which browsers read as `/`"
    authority = re.split(r"[/?#]", url.split("://", 1)[1], maxsplit=1)[0]
    if "@" in authority:
        return "has user information (`...@`) before its host"
    return None
