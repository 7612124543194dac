"""Edits to sources.yaml: validated like `masthead validate`, spliced into the text, written atomically under a lock.

An edit never re-emits the whole file. The entry being changed is emitted with ruamel.yaml (round trip,
indentation and line width matched to the file) and spliced into the original text, so every other byte
(comments, key order, quoting, folding) stays as the curator wrote it. Each edit re-reads the file under
an fcntl lock, so a hand edit made between two server edits survives; the new text is validated from a
temp file in the same directory, which is then fsynced and renamed over the original.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import errno
import fcntl
import hashlib
import io
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.emitter import Emitter
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import ScalarString

from . import sources as sources_module

__all__ = [
    "Curator",
    "YamlDoc",
    "EditError",
    "NotFound",
    "Conflict",
    "Invalid",
    "Edited",
    "file_etag",
    "atomic_write",
    "apply_patch",
    "PatchError",
    "KEY_ORDER",
]

# Canonical key order for new keys (docs/SCHEMA.md); existing keys keep their place.
KEY_ORDER = {
    "outlet": ["id", "name", "homepage", "country", "languages", "domains", "paths", "owner", "owners", "owner_sources",
               "ownership_note", "funding", "funding_sources", "feeds", "labels", "note", "wikidata", "aliases"],
    "owner": ["id", "name", "kind", "country", "homepage", "owned_by", "sources", "note", "wikidata", "aliases"],
    "label": ["type", "issuer", "jurisdiction", "since", "until", "instrument", "sources", "note", "in_response_to",
              "list", "retrieved", "until_sources", "checked"],
    "link": ["owner", "share", "since", "until", "sources", "note"],
    "domain": ["domain", "mirror", "sources", "note"],
    "path": ["path", "sources", "note"],
    "list": ["name", "title", "format", "issuer", "url", "file", "source", "into", "map", "retrieved"],
}
_CHILD_KIND = {
    ("outlet", "labels"): "label", ("outlet", "owners"): "link", ("owner", "owned_by"): "link",
    ("outlet", "domains"): "domain", ("outlet", "paths"): "path",
}
SECTION_KIND = {"outlets": "outlet", "owners": "owner"}
DATE_KEYS = {"since", "until", "retrieved", "checked"}
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YEAR = re.compile(r"^\d{4}$")
WIDTHS = (110, 80, 100, 120, 4096)
LOCK_TIMEOUT = 30.0


class EditError(Exception):
    """An edit that cannot be made; `status` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, message: str, detail: Any = None):
        super().__init__(message)
        self.message, self.detail = message, detail


class NotFound(EditError):
    status = 404


class Conflict(EditError):
    status = 409


class Invalid(EditError):
    """The edit would leave a list that does not validate; `detail["problems"]` lists why."""

    status = 422


def file_etag(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


# --- YAML in and out ---------------------------------------------------------------------------


class _EditConstructor(RoundTripConstructor):
    """Dates load as dates so they are written back unquoted; an impossible date stays text."""

    def construct_yaml_timestamp(self, node, values=None):
        try:
            return super().construct_yaml_timestamp(node, values)
        except (ValueError, TypeError):
            return self.construct_scalar(node)


_EditConstructor.add_constructor("tag:yaml.org,2002:timestamp", _EditConstructor.construct_yaml_timestamp)


class _FoldingEmitter(Emitter):
    """Folds long plain scalars the way PyYAML does (break at the first space past the width).

    ruamel.yaml breaks before a word that would cross the width and leaves a trailing space; files
    written by PyYAML (like the bundled sources.yaml, width 110) then change on every edit.
    """

    def write_plain(self, text: Any, split: Any = True) -> None:
        if self.root_context:
            if self.requested_indent is not None:
                self.write_line_break()
                if self.requested_indent != 0:
                    self.write_indent()
            else:
                self.open_ended = True
        if not text:
            return
        if not self.whitespace:
            self.column += 1
            self.stream.write(" ")
        self.whitespace = False
        self.indention = False
        spaces = breaks = False
        start = end = 0
        while end <= len(text):
            ch = text[end] if end < len(text) else None
            if spaces:
                if ch != " ":
                    if start + 1 == end and self.column > self.best_width and split:
                        self.write_indent()
                        self.whitespace = False
                        self.indention = False
                    else:
                        data = text[start:end]
                        self.column += len(data)
                        self.stream.write(data)
                    start = end
            elif breaks:
                if ch not in "\n\x85\u2028\u2029":
                    if text[start] == "\n":
                        self.write_line_break()
                    for br in text[start:end]:
                        if br == "\n":
                            self.write_line_break()
                        else:
                            self.write_line_break(br)
                    self.write_indent()
                    self.whitespace = False
                    self.indention = False
                    start = end
            elif ch is None or ch in " \n\x85\u2028\u2029":
                data = text[start:end]
                self.column += len(data)
                self.stream.write(data)
                start = end
            if ch is not None:
                spaces = ch == " "
                breaks = ch in "\n\x85\u2028\u2029"
            end += 1


@dataclass(frozen=True)
class Style:
    mapping: int = 2
    sequence: int = 2
    offset: int = 0
    flow_lists: bool = False


def guess_style(text: str) -> Style:
    """Indentation and list style as the file uses them (the bundled file: '- ' level with its key)."""
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    offsets: dict[int, int] = {}
    mappings: dict[int, int] = {}
    for before, after in zip(lines, lines[1:]):
        if not before.rstrip().endswith(":"):
            continue
        indent_before = len(before) - len(before.lstrip(" "))
        if before.lstrip().startswith("- "):
            indent_before += 2
        indent_after = len(after) - len(after.lstrip(" "))
        if after.lstrip().startswith("- "):
            offset = indent_after - indent_before
            if offset >= 0:
                offsets[offset] = offsets.get(offset, 0) + 1
        elif indent_after > indent_before:
            step = indent_after - indent_before
            mappings[step] = mappings.get(step, 0) + 1
    offset = max(offsets, key=offsets.get) if offsets else 0
    mapping = max(mappings, key=mappings.get) if mappings else 2
    flow = len(re.findall(r"^\s*(?:- )?[a-z_]+: \[", text, re.M))
    block = len(re.findall(r"^\s*(?:- )?(?:sources|languages|domains|feeds|owner_sources|funding_sources|paths):\s*$", text, re.M))
    return Style(mapping=mapping, sequence=offset + 2, offset=offset, flow_lists=flow > block)


def _yaml(style: Style, width: int) -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _EditConstructor
    yaml.Emitter = _FoldingEmitter
    yaml.preserve_quotes = True
    yaml.width = width
    yaml.indent(mapping=style.mapping, sequence=style.sequence, offset=style.offset)
    yaml.allow_unicode = True
    return yaml


def _is_filler(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _strip_filler(lines: list[str]) -> list[str]:
    end = len(lines)
    while end > 1 and _is_filler(lines[end - 1]):
        end -= 1
    return lines[:end]


def _plain(value: Any) -> Any:
    """A tree value as plain JSON-like data, for comparing old and new values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    if isinstance(value, ScalarString):
        return str(value)
    return value


def to_plain(value: Any) -> Any:
    return _plain(value)


class YamlDoc:
    """One source-list file as text plus its round-trip tree; changes are spliced back into the text."""

    def __init__(self, text: str, name: str = "sources.yaml"):
        self.name = name
        self.set_text(text)

    def set_text(self, text: str, parse: bool = True) -> None:
        self.text = text
        self._lines = text.splitlines(keepends=True)
        self.style = guess_style(text)
        self._data: CommentedMap | None = None
        if parse:
            self._parse()
        self.touched: tuple[int, int] | None = None  # the changed line range in the new text, for field messages
        self.touched_node: Any = None
        self._width: int | None = None

    def _parse(self) -> CommentedMap:
        try:
            data = _yaml(self.style, 4096).load(self.text)
        except (YAMLError, ValueError) as exc:
            raise Invalid(f"{self.name} does not parse as YAML: {exc}".splitlines()[0]) from None
        if data is None:
            data = CommentedMap()
        if not isinstance(data, CommentedMap):
            raise Invalid(f"{self.name}: the top level must be a mapping")
        self._data = data
        return data

    @property
    def data(self) -> CommentedMap:
        """The tree, parsed again only when asked for after a splice (parsing a big file takes a while)."""
        return self._data if self._data is not None else self._parse()

    @property
    def lines(self) -> list[str]:
        return list(self._lines)

    # finding things

    def section(self, section: str) -> CommentedSeq | None:
        value = self.data.get(section)
        return value if isinstance(value, CommentedSeq) else None

    def index_of(self, section: str, entry_id: str) -> int | None:
        for i, node in enumerate(self.section(section) or ()):
            if isinstance(node, CommentedMap) and node.get("id") == entry_id:
                return i
        return None

    def entry(self, section: str, entry_id: str) -> CommentedMap:
        index = self.index_of(section, entry_id)
        if index is None:
            raise NotFound(f"no {section[:-1]} with id '{entry_id[:80]}' in {self.name}")
        return self.section(section)[index]

    def _top_key_lines(self) -> list[tuple[int, str]]:
        return sorted((self.data.lc.key(key)[0], key) for key in self.data)

    def _key_region(self, key: str) -> tuple[int, int]:
        lines = self.lines
        starts = self._top_key_lines()
        start = self.data.lc.key(key)[0]
        following = [line for line, _ in starts if line > start]
        end = following[0] if following else len(lines)
        while end > start + 1 and _is_filler(lines[end - 1]):
            end -= 1
        return start, end

    def _item_region(self, section: str, index: int) -> tuple[int, int]:
        seq = self.section(section)
        lines = self.lines
        start = self._dash_line(seq, index)
        if index + 1 < len(seq):
            end = self._dash_line(seq, index + 1)
        else:
            end = self._key_region(section)[1]
        while end > start + 1 and _is_filler(lines[end - 1]):
            end -= 1
        return start, end

    def _dash_line(self, seq: CommentedSeq, index: int) -> int:
        line = seq.lc.item(index)[0]
        lines = self.lines
        while line > 0 and not lines[line].lstrip().startswith("-"):
            line -= 1
        return line

    # emitting

    def _emit_item(self, section: str, node: Any, width: int) -> list[str]:
        wrapper = CommentedMap()
        wrapper[section] = CommentedSeq([node])
        buffer = io.StringIO()
        _yaml(self.style, width).dump(wrapper, buffer)
        return _strip_filler(buffer.getvalue().splitlines(keepends=True)[1:])

    def _emit_key(self, key: str, value: Any, width: int) -> list[str]:
        wrapper = CommentedMap()
        wrapper[key] = value
        buffer = io.StringIO()
        _yaml(self.style, width).dump(wrapper, buffer)
        return _strip_filler(buffer.getvalue().splitlines(keepends=True))

    def _best_width(self, emit: Callable[[int], list[str]], original: list[str]) -> tuple[int, list[str]]:
        best: tuple[float, int, list[str]] | None = None
        for width in WIDTHS:
            emitted = emit(width)
            if emitted == original:
                return width, emitted
            ratio = difflib.SequenceMatcher(None, emitted, original, autojunk=False).ratio()
            if best is None or ratio > best[0]:
                best = (ratio, width, emitted)
        assert best is not None
        return best[1], best[2]

    def document_width(self) -> int:
        """The width the file was folded at, judged on its longest entry."""
        if self._width is None:
            self._width = WIDTHS[0]
            for section in ("outlets", "owners"):
                seq = self.section(section)
                if not seq:
                    continue
                regions = [self._item_region(section, i) for i in range(len(seq))]
                i = max(range(len(seq)), key=lambda k: regions[k][1] - regions[k][0])
                start, end = regions[i]
                self._width, _ = self._best_width(lambda w: self._emit_item(section, seq[i], w), self.lines[start:end])
                break
        return self._width

    def _splice(self, start: int, end: int, new_lines: list[str]) -> None:
        lines = self.lines
        if new_lines and not new_lines[-1].endswith("\n"):
            new_lines = new_lines[:-1] + [new_lines[-1] + "\n"]
        if start > 0 and not lines[start - 1].endswith("\n"):
            lines[start - 1] += "\n"
        text = "".join(lines[:start] + new_lines + lines[end:])
        touched = (start, start + len(new_lines))
        self.set_text(text, parse=False)
        self.touched = touched

    @contextlib.contextmanager
    def editing(self, section: str, entry_id: str) -> Iterator[CommentedMap]:
        """Change one entry in place; only the lines that really changed are rewritten."""
        index = self.index_of(section, entry_id)
        if index is None:
            raise NotFound(f"no {section[:-1]} with id '{entry_id[:80]}' in {self.name}")
        seq = self.section(section)
        node = seq[index]
        start, end = self._item_region(section, index)
        original = self.lines[start:end]
        width, before = self._best_width(lambda w: self._emit_item(section, node, w), original)
        yield node
        after = self._emit_item(section, node, width)
        if after == before:
            return
        if before == original:
            new_lines = after
        else:
            # The curator's own formatting differs from ours: carry over only the changed lines.
            patch = "".join(difflib.unified_diff(before, after, n=1))
            try:
                new_lines = apply_patch("".join(original), patch).splitlines(keepends=True)
            except PatchError:
                new_lines = after
        self._splice(start, end, new_lines)
        self.touched_node = (section, entry_id)

    def insert(self, section: str, node: CommentedMap) -> None:
        seq = self.section(section)
        width = self.document_width()
        if seq:
            _, end = self._item_region(section, len(seq) - 1)
            self._splice(end, end, self._emit_item(section, node, width))
        elif section in self.data:
            start, end = self._key_region(section)
            self._splice(start, end, self._emit_key(section, CommentedSeq([node]), width))
        else:
            lines = self.lines
            end = len(lines)
            while end > 0 and not lines[end - 1].strip():
                end -= 1
            block = ["\n"] if end else []
            self._splice(end, len(lines), block + self._emit_key(section, CommentedSeq([node]), width))
            self.touched = (self.touched[0] + len(block), self.touched[1])
        self.touched_node = (section, node.get("id"))

    def remove(self, section: str, entry_id: str) -> None:
        index = self.index_of(section, entry_id)
        if index is None:
            raise NotFound(f"no {section[:-1]} with id '{entry_id[:80]}' in {self.name}")
        seq = self.section(section)
        if len(seq) == 1:
            start, end = self._key_region(section)
            self._splice(start, end, self._emit_key(section, CommentedSeq(), self.document_width()))
            return
        start, end = self._item_region(section, index)
        self._splice(start, end, [])
        self.touched = None

    def set_top(self, key: str, value: Any, after: Iterable[str] = ("version",)) -> None:
        """Set a top-level key (e.g. `include:`, `lists:`), keeping the rest of the file as it is."""
        width = self.document_width()
        if key in self.data:
            start, end = self._key_region(key)
            original = self.lines[start:end]
            new_lines = self._emit_key(key, value, width)
            if new_lines != original:
                self._splice(start, end, new_lines)
            return
        lines = self.lines
        position = 0
        for anchor in after:
            if anchor in self.data:
                position = self._key_region(anchor)[1]
        if position == 0:  # after the header comment
            while position < len(lines) and lines[position].lstrip().startswith("#"):
                position += 1
        self._splice(position, position, self._emit_key(key, value, width))

    # values from JSON

    def node(self, value: Any, kind: str | None = None, key: str | None = None) -> Any:
        """JSON data -> round-trip nodes in the file's style (canonical key order, flow or block lists)."""
        if isinstance(value, dict):
            order = KEY_ORDER.get(kind or "", [])
            mapping = CommentedMap()
            ranked = sorted(value, key=lambda k: (order.index(k) if k in order else len(order)))
            for k in ranked:
                if value[k] is None:
                    continue
                mapping[k] = self.node(value[k], _CHILD_KIND.get((kind, k)), k)
            return mapping
        if isinstance(value, list):
            seq = CommentedSeq(self.node(v, kind, key) for v in value)
            if self.style.flow_lists and value and all(not isinstance(v, (dict, list)) for v in value):
                seq.fa.set_flow_style()
            return seq
        if isinstance(value, str) and key in DATE_KEYS:
            text = value.strip()
            if _FULL_DATE.match(text):
                try:
                    return dt.date.fromisoformat(text)
                except ValueError:
                    return text
            if _YEAR.match(text):
                return int(text)
            return text
        return value

    def merge(self, target: CommentedMap, values: dict, kind: str, replace: bool) -> None:
        """Set `values` into `target` in place: existing keys keep their position, quoting and comments.

        replace=True (PUT) drops keys that `values` does not name; False (PATCH) is a JSON merge patch:
        keys it names are set, `null` removes a key, nested mappings merge, lists are replaced.
        """
        if replace:
            for key in [k for k in target if k not in values]:
                del target[key]
        order = KEY_ORDER.get(kind, [])
        for key, value in values.items():
            if value is None:
                if key in target:
                    del target[key]
                continue
            child_kind = _CHILD_KIND.get((kind, key))
            if key in target:
                target[key] = self._merge_value(target[key], value, child_kind, key, replace)
                continue
            new = self.node(value, child_kind, key)
            position = len(target)
            if key in order:
                later = [i for i, k in enumerate(target) if k in order and order.index(k) > order.index(key)]
                if later:
                    position = later[0]
            target.insert(position, key, new)

    def _merge_value(self, old: Any, new: Any, kind: str | None, key: str, replace: bool) -> Any:
        if isinstance(old, CommentedMap) and isinstance(new, dict):
            self.merge(old, new, kind or "", replace)
            return old
        if isinstance(old, CommentedSeq) and isinstance(new, list):
            if _plain(old) == _plain(self.node(new, kind, key)):
                return old
            for i, item in enumerate(new):
                if i < len(old):
                    old[i] = self._merge_value(old[i], item, kind, key, True)
                else:
                    old.append(self.node(item, kind, key))
            del old[len(new):]
            return old
        converted = self.node(new, kind, key)
        if _plain(old) == _plain(converted) and type(_plain(old)) is type(_plain(converted)):
            return old
        return converted

    # mapping problems back to fields

    def field_at(self, line: int) -> str | None:
        """'labels.1.since' for a 1-based line inside the entry this edit touched."""
        if not self.touched or not self.touched_node:
            return None
        start, end = self.touched
        if not start < line <= end:
            return None
        section, entry_id = self.touched_node
        index = self.index_of(section, entry_id)
        if index is None:
            return None
        return _field_path(self.section(section)[index], line - 1)


def _field_path(node: Any, line: int) -> str | None:
    if isinstance(node, CommentedMap):
        keys, position = list(node), node.lc.key
    elif isinstance(node, CommentedSeq):
        keys, position = range(len(node)), node.lc.item
    else:
        return None
    best = None
    for key in keys:
        try:
            key_line = position(key)[0]
        except (KeyError, TypeError, AttributeError):
            continue
        if key_line <= line:
            best = key
    if best is None:
        return None
    inner = _field_path(node[best], line)
    return f"{best}.{inner}" if inner else str(best)


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


def apply_patch(text: str, patch: str, reverse: bool = False, fuzz: int = 200) -> str:
    """Apply a unified diff (or undo it, reverse=True); every hunk must match exactly, within `fuzz` lines."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
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
                if 0 <= candidate <= len(lines) - len(old) and lines[candidate:candidate + len(old)] == old:
                    position = candidate
                    break
            if position is not None:
                break
        if position is None:
            snippet = "".join(old[:4]).strip()[:200]
            raise PatchError(f"the lines near line {expected + 1} have changed since: {snippet!r}")
        lines[position:position + len(old)] = new
        shift += len(new) - len(old) + (position - expected)
    return "".join(lines)


# --- files: atomic write, lock -----------------------------------------------------------------


def atomic_write(path: Path, data: bytes, mode: int | None = None, check: Callable[[Path], None] | None = None) -> None:
    """Temp file in the same directory, fsync, rename over the target, fsync the directory.

    `check(temp)` runs on the written temp file before the rename; if it raises, the target is left as it was.
    """
    path = Path(path)
    temp = path.parent / f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if check is not None:
            check(temp)
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def file_lock(path: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """An exclusive fcntl lock on a lock file next to `path`: across worker processes and threads."""
    path = Path(path)
    lock_path = path.parent / f".{path.name}.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                    raise EditError(f"{path.name} is locked by another edit; try again", {"lock": str(lock_path)}) from None
                time.sleep(0.02)
        # Under the lock, temp files left by a writer that died are garbage.
        for stale in path.parent.glob(f".{path.name}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def etag_matches(if_match: Iterable[str] | None, current: str) -> bool:
    if if_match is None:
        return True
    tags = {tag.strip().removeprefix("W/").strip('"') for tag in if_match}
    return "*" in tags or current in tags


# --- the curator -------------------------------------------------------------------------------


@dataclass
class Edited:
    version: str  # the file's ETag after the edit
    changed: bool
    change: dict | None = None  # the change-log record
    warnings: list[dict] = field(default_factory=list)
    result: Any = None


class Curator:
    """Every write to one source-list file: locked, re-read, validated, atomic, logged."""

    def __init__(self, path: str | Path, changelog=None, git_commit: bool = False):
        from .changelog import ChangeLog

        self.path = Path(path).resolve()
        self.changelog = changelog if changelog is not None else ChangeLog.for_sources(self.path)
        self.git_commit = git_commit

    def version(self) -> str:
        return file_etag(self.path.read_bytes())

    def lock(self):
        return file_lock(self.path)

    def edit(self, operation: Callable[[YamlDoc], Any], *, who: str, summary: str,
             if_match: Iterable[str] | None = None, undoes: int | None = None) -> Edited:
        """Run `operation` on the file as it is on disk now; write the result if it validates."""
        with self.lock():
            raw = self.path.read_bytes()
            current = file_etag(raw)
            if not etag_matches(if_match, current):
                raise Conflict(
                    f"{self.path.name} has changed since you read it (version {current[:12]}); reload, reapply, and send If-Match again",
                    {"version": current},
                )
            try:
                doc = YamlDoc(raw.decode("utf-8"), self.path.name)
            except UnicodeDecodeError:
                raise Invalid(f"{self.path.name} is not UTF-8", {"problems": self._problems_now()}) from None
            except Invalid as exc:
                raise Invalid(exc.message, {"problems": self._problems_now()}) from None
            before = doc.text
            result = operation(doc)
            if doc.text == before:
                return Edited(version=current, changed=False, result=result)
            new_raw = doc.text.encode("utf-8")
            warnings = self._write_checked(new_raw, doc)
            version = file_etag(new_raw)
            diff = "".join(difflib.unified_diff(
                before.splitlines(keepends=True), doc.text.splitlines(keepends=True),
                fromfile=f"a/{self.path.name}", tofile=f"b/{self.path.name}",
            ))
            change = self.changelog.append(
                who=who, summary=summary, diff=diff, before=current, after=version, file=str(self.path), undoes=undoes,
            )
            if self.git_commit:
                from .changelog import git_commit

                commit = git_commit(self.path, f"{summary}\n\nMade through the Masthead server by {who} (change {change['id']}).", who)
                if commit:
                    change = self.changelog.annotate(change["id"], commit=commit)
            return Edited(version=version, changed=True, change=change, warnings=warnings, result=result)

    def _problems_now(self) -> list[dict]:
        return [p.to_dict() for p in sources_module.validate(self.path) if p.severity == "error"][:100]

    def _write_checked(self, new_raw: bytes, doc: YamlDoc) -> list[dict]:
        """Validate the new bytes from a temp file next to the original; rename it into place if good."""
        found: list[dict] = []

        def validate(temp: Path) -> None:
            _, problems = sources_module._load(temp)
            found.extend(self._problem(p, temp, doc) for p in problems)
            errors = [p for p in found if p["severity"] == "error"]
            if errors:
                raise Invalid(
                    f"the edit would leave {len(errors)} error(s) in {self.path.name}; nothing was written",
                    {"problems": errors[:100]},
                )

        atomic_write(self.path, new_raw, mode=self.path.stat().st_mode & 0o7777, check=validate)
        return [p for p in found if p["severity"] == "warning" and p.get("field")]

    def _problem(self, problem, temp: Path, doc: YamlDoc) -> dict:
        data = problem.to_dict()
        if data["file"] == str(temp):
            data["file"] = str(self.path)
            where = doc.field_at(problem.line)
            if where:
                data["field"] = where
        return data

    # the operations

    def create(self, section: str, values: dict, who: str, if_match=None) -> Edited:
        values = _entry_values(section, values)
        entry_id = values["id"]

        def operation(doc: YamlDoc):
            if doc.index_of(section, entry_id) is not None:
                raise Conflict(f"{section[:-1]} '{entry_id}' exists already; change it with PUT or PATCH", {"id": entry_id})
            doc.insert(section, doc.node(values, SECTION_KIND[section]))
            return entry_id

        return self.edit(operation, who=who, summary=f"Add {section[:-1]} {entry_id}", if_match=if_match)

    def update(self, section: str, entry_id: str, values: dict, who: str, if_match=None, replace: bool = True) -> Edited:
        values = _entry_values(section, values, entry_id)

        def operation(doc: YamlDoc):
            with doc.editing(section, entry_id) as node:
                doc.merge(node, values, SECTION_KIND[section], replace=replace)
                if node.get("id") != entry_id:
                    raise EditError("an entry's id cannot be changed; create a new entry and delete this one", {"field": "id"})
            return entry_id

        verb = "Replace" if replace else "Change"
        return self.edit(operation, who=who, summary=f"{verb} {section[:-1]} {entry_id}", if_match=if_match)

    def delete(self, section: str, entry_id: str, who: str, if_match=None) -> Edited:
        return self.edit(lambda doc: doc.remove(section, entry_id), who=who,
                         summary=f"Delete {section[:-1]} {entry_id}", if_match=if_match)

    def add_label(self, outlet_id: str, label: dict, who: str, if_match=None) -> Edited:
        label = _label_values(label)

        def operation(doc: YamlDoc):
            with doc.editing("outlets", outlet_id) as node:
                labels = node.get("labels")
                if not isinstance(labels, CommentedSeq):
                    doc.merge(node, {"labels": [label]}, "outlet", replace=False)
                    return 0
                labels.append(doc.node(label, "label"))
                return len(labels) - 1

        return self.edit(operation, who=who, summary=f"Add a {label.get('type', '?')} label to outlet {outlet_id}", if_match=if_match)

    def replace_label(self, outlet_id: str, index: int, label: dict, who: str, if_match=None) -> Edited:
        label = _label_values(label)

        def operation(doc: YamlDoc):
            with doc.editing("outlets", outlet_id) as node:
                labels = _labels_of(node, outlet_id, index)
                labels[index] = doc._merge_value(labels[index], label, "label", "labels", True)
            return index

        return self.edit(operation, who=who, summary=f"Change label {index} of outlet {outlet_id}", if_match=if_match)

    def delete_label(self, outlet_id: str, index: int, who: str, if_match=None) -> Edited:
        def operation(doc: YamlDoc):
            with doc.editing("outlets", outlet_id) as node:
                labels = _labels_of(node, outlet_id, index)
                del labels[index]
                if not labels:
                    del node["labels"]
            return index

        return self.edit(operation, who=who, summary=f"Delete label {index} of outlet {outlet_id}", if_match=if_match)

    def undo(self, change_id: int, who: str, if_match=None) -> Edited:
        record = self.changelog.get(change_id)
        if record is None:
            raise NotFound(f"no change with id {change_id}")
        undone_by = self.changelog.undone_by(change_id)
        if undone_by is not None:
            raise Conflict(f"change {change_id} was already undone by change {undone_by}", {"undone_by": undone_by})

        def operation(doc: YamlDoc):
            try:
                doc.set_text(apply_patch(doc.text, record["diff"], reverse=True, fuzz=len(doc.lines)))
            except PatchError as exc:
                raise Conflict(f"change {change_id} no longer applies cleanly: {exc}", {"change": change_id}) from None
            doc.touched = None

        return self.edit(operation, who=who, summary=f"Undo change {change_id}: {record['summary']}",
                         if_match=if_match, undoes=change_id)


def _entry_values(section: str, values: Any, entry_id: str | None = None) -> dict:
    if section not in SECTION_KIND:
        raise NotFound(f"unknown section '{section}'")
    if not isinstance(values, dict):
        raise EditError("send a JSON object with the entry's fields", {"field": None})
    values = dict(values)
    if entry_id is not None:
        if values.get("id") not in (None, entry_id):
            raise EditError(f"the id in the body ({values.get('id')!r}) differs from the one in the URL ({entry_id!r})", {"field": "id"})
        values["id"] = entry_id
    entry = values.get("id")
    if not isinstance(entry, str) or not sources_module.ID_RE.match(entry):
        raise Invalid("the entry needs a valid `id`", {"problems": [{
            "file": "", "line": 0, "column": 0, "severity": "error", "field": "id",
            "message": f"invalid or missing id {entry!r}", "hint": "use lowercase letters, digits and '-', e.g. 'rossiya-segodnya'",
        }]})
    _check_json(values)
    return values


def _label_values(values: Any) -> dict:
    if not isinstance(values, dict):
        raise EditError("send a JSON object with the label's fields", {"field": None})
    _check_json(values)
    return dict(values)


def _check_json(value: Any, depth: int = 0) -> None:
    """Only plain JSON data of modest depth goes into the file."""
    if depth > 8:
        raise EditError("the data is nested too deeply")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not re.match(r"^[a-z_]{1,40}$", key):
                raise EditError(f"field name {str(key)[:40]!r} is not valid", {"field": str(key)[:40]})
            _check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)
    elif isinstance(value, str):
        if len(value) > 10000 or re.search(r"[\x00-\x08\x0b-\x1f\x7f]", value):
            raise EditError("text values must be under 10,000 characters, without control characters")
    elif not (value is None or isinstance(value, (bool, int, float))):
        raise EditError("values must be text, numbers, booleans, lists or objects")


def _labels_of(node: CommentedMap, outlet_id: str, index: int) -> CommentedSeq:
    labels = node.get("labels")
    if not isinstance(labels, CommentedSeq) or not 0 <= index < len(labels):
        count = len(labels) if isinstance(labels, CommentedSeq) else 0
        raise NotFound(f"outlet '{outlet_id}' has no label {index} (it has {count})")
    return labels
