"""The round-trip YAML document: find an entry, emit it in the file's own style, splice it into the text.

An edit never re-emits the whole file. The entry being changed is emitted with ruamel.yaml (round trip,
indentation and line width matched to the file) and spliced into the original text, so every other byte
(comments, key order, quoting, folding) stays as the curator wrote it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import io
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.emitter import Emitter
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import ScalarString

from ..registry.incremental import dash_line, needs_whole_parse, update_tree
from ..registry.yamlfile import GuardedComposer
from .errors import Invalid, NotFound
from .patch import PatchError, apply_patch

__all__ = ["YamlDoc", "Style", "guess_style", "to_plain", "KEY_ORDER", "SECTION_KIND", "DATE_KEYS"]


# Canonical key order for new keys (docs/SCHEMA.md); existing keys keep their place.
KEY_ORDER = {
    "outlet": ["id", "name", "homepage", "country", "languages", "domains", "paths", "owner", "owners", "owner_sources",
               "ownership_note", "funding", "funding_sources", "funded_by", "feeds", "labels", "note", "wikidata", "aliases"],
    "owner": ["id", "name", "kind", "country", "homepage", "owned_by", "funded_by", "sources", "note", "wikidata", "aliases"],
    "label": ["type", "issuer", "jurisdiction", "since", "until", "as_of", "instrument", "sources", "note", "in_response_to",
              "list", "retrieved", "until_sources", "checked"],
    "link": ["owner", "share", "since", "until", "sources", "note"],
    "domain": ["domain", "mirror", "since", "until", "sources", "note"],
    "path": ["path", "sources", "note"],
    "list": ["name", "title", "format", "issuer", "url", "licence", "snapshot", "snapshot_basis", "file", "source", "into",
             "map", "retrieved", "covered_by_curated"],
}
_CHILD_KIND = {
    ("outlet", "labels"): "label", ("outlet", "owners"): "link", ("owner", "owned_by"): "link",
    ("outlet", "domains"): "domain", ("outlet", "paths"): "path",
}
SECTION_KIND = {"outlets": "outlet", "owners": "owner"}
DATE_KEYS = {"since", "until", "as_of", "retrieved", "checked", "date"}
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YEAR = re.compile(r"^\d{4}$")
WIDTHS = (110, 80, 100, 120, 4096)
# An entry whose emission at the file's width matches this share of its lines was folded by hand (a break a word
# earlier or later): the changed lines are carried over onto it as a patch, and no other width is tried.
CLOSE_ENOUGH = 0.9


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


def yaml_for(style: Style, width: int) -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _EditConstructor
    yaml.Composer = GuardedComposer  # the loader's depth and alias limits (issue 13)
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

    def set_text(self, text: str, parse: bool = True, style: Style | None = None, lines: list[str] | None = None) -> None:
        self.text = text
        self._lines = lines if lines is not None else text.splitlines(keepends=True)
        self.style = style or guess_style(text)  # a splice keeps the style: the emitter wrote the new lines in it
        self._data: CommentedMap | None = None
        self._plain = False  # the tree may be kept current entry by entry (no anchors, aliases; see incremental)
        if parse:
            self._parse()
        self.touched: tuple[int, int] | None = None  # the changed line range in the new text, for field messages
        self.touched_node: Any = None
        self._width: int | None = None
        self._fitted = getattr(self, "_fitted", WIDTHS[0])

    def _parse(self) -> CommentedMap:
        try:
            data = yaml_for(self.style, 4096).load(self.text)
        except (YAMLError, ValueError) as exc:
            raise Invalid(f"{self.name} does not parse as YAML: {exc}".splitlines()[0]) from None
        if data is None:
            data = CommentedMap()
        if not isinstance(data, CommentedMap):
            raise Invalid(f"{self.name}: the top level must be a mapping")
        self._data = data
        self._plain = not needs_whole_parse(self.text)
        return data

    def follow(self, text: str) -> None:
        """Take the file's new text after someone else changed it (another worker's edit, a curator's hand edit),
        parsing only the entries that changed when the change lies within one section's entries."""
        if text == self.text:
            return
        new = text.splitlines(keepends=True)
        old, old_data, plain, width = self._lines, self._data, self._plain, self._width
        self.set_text(text, parse=False, style=self.style, lines=new)
        if old_data is not None and plain and not needs_whole_parse(text):
            self._data = update_tree(old_data, old, new, yaml_for(self.style, 4096).load)
            if self._data is not None:
                self._plain, self._width = True, width
                return
        self._parse()

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
        return dash_line(self._lines, seq.lc.item(index)[0])

    # emitting

    def _emit_item(self, section: str, node: Any, width: int) -> list[str]:
        wrapper = CommentedMap()
        wrapper[section] = CommentedSeq([node])
        buffer = io.StringIO()
        yaml_for(self.style, width).dump(wrapper, buffer)
        return _strip_filler(buffer.getvalue().splitlines(keepends=True)[1:])

    def _emit_key(self, key: str, value: Any, width: int) -> list[str]:
        wrapper = CommentedMap()
        wrapper[key] = value
        buffer = io.StringIO()
        yaml_for(self.style, width).dump(wrapper, buffer)
        return _strip_filler(buffer.getvalue().splitlines(keepends=True))

    def _best_width(self, emit: Callable[[int], list[str]], original: list[str]) -> tuple[int, list[str]]:
        """The folding width at which the emitter writes `original` back as it is, or the closest one."""
        best: tuple[float, int, list[str]] | None = None
        # The width the last entry matched at first: entries of one file are mostly folded alike, and each
        # emission of a large entry takes tens of milliseconds.
        for width in sorted(WIDTHS, key=lambda w: w != self._fitted):
            emitted = emit(width)
            if emitted == original:
                self._fitted = width
                return width, emitted
            ratio = difflib.SequenceMatcher(None, emitted, original, autojunk=False).ratio()
            if best is None or ratio > best[0]:
                best = (ratio, width, emitted)
            if ratio >= CLOSE_ENOUGH:
                break  # folded by hand near this width: no other width is likely to write it back either
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
        """Replace lines [start, end) with new_lines.

        When the lines are whole entries of a section, only those entries are parsed again and the positions after
        them are shifted, instead of parsing the whole file again on next use (registry/incremental.py)."""
        lines = self.lines
        if new_lines and not new_lines[-1].endswith("\n"):
            new_lines = new_lines[:-1] + [new_lines[-1] + "\n"]
        changed: tuple[int, int, int] | None = (start, end, start + len(new_lines))
        if start > 0 and not lines[start - 1].endswith("\n"):
            lines[start - 1] += "\n"
            changed = None  # the line before changed too: let the comparison find the range
        new = lines[:start] + new_lines + lines[end:]
        old, old_data, width, plain = self._lines, self._data, self._width, self._plain
        self.set_text("".join(new), parse=False, style=self.style, lines=new)
        self.touched = (start, start + len(new_lines))
        if old_data is not None and plain:
            self._data = update_tree(old_data, old, new, yaml_for(self.style, 4096).load, changed)
            if self._data is not None:
                self._plain = True
                self._width = width  # the file's folding width does not change with one entry

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
