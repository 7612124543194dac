"""Load and validate a source list (and the lists it includes) into a Registry, every problem with its position."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq, LineCol
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .. import urls
from ..untrusted import shown, surrogate_at
from .claims import ClaimReader, label_key, unchecked_backlog
from .crosscheck import CrossChecks
from .feedlist import FeedReader
from .fields import FieldReader, item_pos, key_pos
from .incremental import needs_whole_parse, update_tree
from .kept import KEEP_LISTS, Kept, remember
from .inherit import inherit
from .model import Outlet, Owner, OwnerLink, Problem, Registry, SourcesError, parse_partial_date
from .quality import source_quality
from .vocabulary import OWNER_KINDS
from .yamlfile import parse_yaml

__all__ = ["load", "validate", "check", "load_with_problems", "forget_kept", "ID_RE", "MAX_FILE_BYTES"]

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_MESSAGE = 400
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
_SURROGATE = re.compile("[\ud800-\udfff]")
LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")

TOP_KEYS = {"version", "include", "owners", "outlets", "lists", "list", "follow"}  # follow: defaults for `masthead follow`
OWNER_KEYS = {"id", "name", "kind", "country", "owned_by", "funded_by", "sources", "note", "homepage", "wikidata", "aliases"}
OUTLET_KEYS = {
    "id", "name", "homepage", "country", "languages", "domains", "paths", "owner", "owners",
    "owner_sources", "funding", "funding_sources", "feeds", "labels", "note", "wikidata", "aliases",
    "ownership_note", "funded_by",
}
PATH_KEYS = {"path", "sources", "note"}


def load(path: str | Path) -> Registry:
    """Load and validate a source list (and the lists it includes). Raises SourcesError."""
    registry, problems = load_with_problems(Path(path))
    if any(p.severity == "error" for p in problems):
        raise SourcesError(problems)
    return registry


def validate(path: str | Path, require_checked: bool = False) -> list[Problem]:
    """Every problem in the file at once (errors and warnings), in file order."""
    return check(path, require_checked)[1]


def check(path: str | Path, require_checked: bool = False) -> tuple[Registry, list[Problem]]:
    """Load once: the registry (complete only when there is no error) and every problem. With `require_checked`
    (`masthead validate`), a curated label without `checked` outside the backlog is an error, else a warning."""
    return load_with_problems(Path(path), require_checked=require_checked)


def forget_kept() -> None:
    """Drop what loads without an owner keep (Kept.shared()): the next such load parses and builds everything."""
    Kept.shared().forget()


def load_with_problems(path: Path, contents: bytes | None = None, lines: list[str] | None = None,
                       require_checked: bool = False, kept: Kept | None = None) -> tuple[Registry, list[Problem]]:
    """Load once: the registry and every problem. `contents`, when given, stands for the bytes of `path` (an edit
    checked before it is written), and `lines` for its text split into lines, when the caller has them (the
    editor does); included files are read from disk. `kept` is what earlier loads of its owner left (Kept)."""
    path = Path(path)
    kept = kept if kept is not None else Kept.shared()
    builder = _Builder(kept, *kept.built.get(str(path), ({}, {})), require_checked=require_checked)
    if contents is not None:
        builder.given[str(path)] = contents
        builder.given_lines = lines
    digest = hashlib.sha256()
    documents = builder.read(path, curated=True)
    files = [str(path)]
    if documents is not None:
        digest.update(builder.raw[str(path)])
        for include_path, position in builder.includes(path, documents):
            if str(include_path) in files:
                continue
            files.append(str(include_path))
            data = builder.read(include_path, curated=False, included_from=position)
            if data is not None:
                digest.update(builder.raw[str(include_path)])
                builder.collect(include_path, data, curated=False)
        builder.collect(path, documents, curated=True)
    registry = builder.build()
    builder.keep()
    remember(kept.built, str(path), (builder.built, builder.collected))
    registry.files = tuple(files)
    registry.lists = tuple(builder.lists)
    registry.etag = digest.hexdigest()[:32]
    registry.warnings = tuple(p for p in builder.problems if p.severity == "warning")
    return registry, sorted(builder.problems, key=lambda p: (p.file != str(path), p.file, p.line, p.column))


class _Builder(FieldReader, FeedReader, ClaimReader, CrossChecks):
    """Walks the YAML nodes, recording every problem with its position, and builds the registry."""

    def __init__(self, memory: Kept, built: dict[int, tuple] | None = None, collected: dict[tuple, tuple] | None = None,
                 require_checked: bool = False) -> None:
        self.memory = memory  # what earlier loads of the same owner kept (kept.Kept)
        self.require_checked = require_checked
        self.problems: list[Problem] = []
        self.previous = built or {}  # the last build of the same file's entries, by node (see Kept.built)
        self.built: dict[int, tuple] = {}
        self.previous_collected = collected or {}
        self.collected: dict[tuple, tuple] = {}
        self.included: tuple = ()  # (path, tree id) of the included lists collected so far
        self.kept: dict[str, tuple[bytes, list[str], CommentedMap]] = {}
        self.given_lines: list[str] | None = None  # the lines of the given contents of the top file
        self.raw: dict[str, bytes] = {}
        self.given: dict[str, bytes] = {}  # file contents that are not (yet) on disk
        self.owner_nodes: dict[str, tuple[str, CommentedMap, bool]] = {}
        self.outlet_nodes: dict[str, tuple[str, CommentedMap, bool]] = {}
        self.order: list[tuple[str, str, CommentedMap, bool]] = []
        self.lists: list[dict] = []  # the `list:` provenance block of each included list file
        self.list_retrieved: dict[str, str] = {}  # included file -> the day its list was read
        self.ownerless: dict[str, tuple[str, CommentedMap]] = {}  # curated outlets with no owner yet: may inherit one
        self.quality = source_quality()
        self.today = dt.date.today().isoformat()
        made = (self.today, id(self.quality), require_checked)
        if self.previous.get("made") != made:
            self.previous = {}  # what an entry builds to depends on the day (a `checked` date), the source list, the rules
        self.built["made"] = made

    # reading

    def read(self, path: Path, curated: bool, included_from: tuple[str, int, int] | None = None) -> CommentedMap | None:
        where = included_from or (str(path), 1, 1)
        try:
            raw = self.given[str(path)] if str(path) in self.given else path.read_bytes()
        except FileNotFoundError:
            self._add(*where, f"file not found: {path}", "check the path, or pass --sources FILE")
            return None
        except OSError as exc:
            self._add(*where, f"cannot read {path}: {exc.strerror}", "check the file's permissions")
            return None
        if len(raw) > MAX_FILE_BYTES:
            self._add(str(path), 1, 1, f"the file is {len(raw)} bytes; the limit is {MAX_FILE_BYTES}", "split it with `include:`")
            return None
        self.raw[str(path)] = raw
        if curated:
            return self._read_curated(path, raw)
        key = (str(path), hashlib.sha256(raw).digest())
        cached = self.memory.parsed.get(key[0])
        if cached is not None and cached[0] == key[1]:
            return cached[1]
        data = self._parse(path, raw)
        if data is not None:
            remember(self.memory.parsed, key[0], (key[1], data), limit=KEEP_LISTS)
        return data

    def _read_curated(self, path: Path, raw: bytes) -> CommentedMap | None:
        with self.memory.lock:
            kept = self.memory.trees.pop(str(path), None)
        lines = self.given_lines if self.given.get(str(path)) is raw else None
        if lines is None:
            try:
                lines = raw.decode("utf-8").splitlines(keepends=True)
            except UnicodeDecodeError:
                return self._parse(path, raw)  # which says where
        data = None
        if kept is not None:
            data = kept[2] if kept[0] == raw else update_tree(kept[2], kept[1], lines, parse_yaml)
        if data is None:
            data = self._parse(path, raw)
            if data is None or needs_whole_parse(raw.decode("utf-8")):
                return data
        self.kept[str(path)] = (raw, lines, data)
        return data

    def keep(self) -> None:
        """Hand the curated trees back for the next load, now that the build has read them."""
        with self.memory.lock:
            for path, kept in self.kept.items():
                remember(self.memory.trees, path, kept)

    def _parse(self, path: Path, raw: bytes) -> CommentedMap | None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            self._add(str(path), line, 1, "the file is not valid UTF-8", "save it as UTF-8")
            return None
        try:
            data = parse_yaml(text)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
            self._add(str(path), line, col, f"YAML syntax: {message}", "fix the indentation or quoting at this spot")
            return None
        except (YAMLError, ValueError, RecursionError) as exc:
            self._add(str(path), 1, 1, f"YAML syntax: {exc}", "the file must be a YAML mapping")
            return None
        if data is None:
            data = CommentedMap()
        if self._lone_surrogates(str(path), data):
            return None
        if not isinstance(data, CommentedMap):
            self._add(str(path), 1, 1, "the top level must be a mapping with `owners:` and `outlets:`", "see docs/SCHEMA.md")
            return None
        return data

    def _lone_surrogates(self, file: str, data: Any) -> bool:
        """Report every text holding a lone surrogate (a "\\ud800" escape): no answer that included it could be
        sent (issue 13). True when there is one; the file is then not read further, so no message quotes one."""
        found = 0
        stack, seen = [data], set()
        while stack and found < 20:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            pairs = node.items() if isinstance(node, CommentedMap) else enumerate(node) if isinstance(node, CommentedSeq) else ()
            for key, value in pairs:
                if isinstance(value, (CommentedMap, CommentedSeq)):
                    stack.append(value)
                elif (isinstance(value, str) or isinstance(key, str)) and surrogate_at([key, value]) is not None:
                    if isinstance(node, CommentedMap):
                        pos = key_pos(file, node, key, value=surrogate_at(key) is None)
                    else:
                        pos = item_pos(file, node, "", node, key)
                    self._add(*pos, "this text holds a lone surrogate (a \\uD800-\\uDFFF escape without its pair), which is not a character",
                              "write the character itself, or one \\U escape for characters beyond \\uFFFF (\\U0001F600)")
                    found += 1
        return found > 0

    def includes(self, path: Path, data: CommentedMap) -> list[tuple[Path, tuple[str, int, int]]]:
        found = []
        value = data.get("include")
        if value is None:
            return found
        items = value if isinstance(value, CommentedSeq) else [value]
        for i, item in enumerate(items):
            pos = item_pos(path, data, "include", items, i)
            if not isinstance(item, str):
                self._add(*pos, "an `include:` entry must be a file path", "write a path relative to this file")
                continue
            found.append(((path.parent / item).resolve(), pos))
        return found

    # collecting

    def collect(self, path: Path, data: CommentedMap, curated: bool) -> None:
        """Take the file's entries (by id, in file order) and report ids that are missing, invalid or taken.

        An included list's entries depend only on the lists collected before it: when those and its own tree
        are the ones of the last load, what it added then is added again without walking it."""
        if curated:
            return self._collect(path, data, curated)
        self.included += ((str(path), id(data)),)
        stores = (self.owner_nodes, self.outlet_nodes)
        hit = self.previous_collected.get(self.included)
        if hit is not None and hit[0] is data:
            _, problems, added, order, lists = hit
            self.problems.extend(problems)
            for store, items in zip(stores, added):
                store.update(items)
            self.order.extend(order)
            self.lists.extend(lists)
        else:
            counts = (len(self.problems), [len(store) for store in stores], len(self.order), len(self.lists))
            self._collect(path, data, curated)
            problems = tuple(self.problems[counts[0]:])
            # An included list only adds ids (a taken one is reported, never replaced), so the new ones are last.
            added = tuple(tuple(store.items())[count:] for store, count in zip(stores, counts[1]))
            hit = (data, problems, added, tuple(self.order[counts[2]:]), tuple(self.lists[counts[3]:]))
        self.collected[self.included] = hit

    def _collect(self, path: Path, data: CommentedMap, curated: bool) -> None:
        file = str(path)
        self._unknown_keys(file, data, TOP_KEYS, "top level")
        if not curated and isinstance(data.get("list"), CommentedMap):
            self.lists.append({**{str(k): v for k, v in data["list"].items()}, "file": file,
                               "outlets": len(data.get("outlets") or []) if isinstance(data.get("outlets"), CommentedSeq) else 0})
            self._list_dates(file, data["list"])
        for section, store in (("owners", self.owner_nodes), ("outlets", self.outlet_nodes)):
            items = data.get(section)
            if items is None:
                continue
            if not isinstance(items, CommentedSeq):
                self._add(*key_pos(file, data, section), f"`{section}` must be a list", "start each entry with '- id: ...'")
                continue
            for i, node in enumerate(items):
                if not isinstance(node, CommentedMap):
                    self._add(*item_pos(file, data, section, items, i), f"each entry of `{section}` must be a mapping",
                              "start the entry with '- id: ...'")
                    continue
                entry_id = node.get("id")
                if not isinstance(entry_id, str) or not ID_RE.match(entry_id):
                    self._add(*key_pos(file, node, "id"), f"invalid or missing id {shown(entry_id)}",
                              "use lowercase letters, digits and '-', e.g. 'rossiya-segodnya'")
                    continue
                if entry_id in store:
                    pos = item_pos(file, data, section, items, i)
                    other_file, other, other_curated = store[entry_id]
                    if curated and not other_curated:
                        # A curated entry replaces an imported one with the same id.
                        self._add(*pos, f"imported {section[:-1]} '{entry_id}' is overridden by the curated entry", severity="warning")
                    elif not curated and other_curated:
                        self._add(*pos, f"imported {section[:-1]} '{entry_id}' conflicts with a curated entry; the curated one wins", severity="warning")
                        continue
                    else:
                        line = other.lc.line + 1
                        self._add(*pos, f"duplicate {section[:-1]} id '{entry_id}' (first defined at {other_file}:{line})",
                                  "ids must be unique; rename one or merge the entries")
                        continue
                store[entry_id] = (file, node, curated)
        for section in ("owners", "outlets"):
            for node in data.get(section) if isinstance(data.get(section), CommentedSeq) else []:
                if isinstance(node, CommentedMap) and isinstance(node.get("id"), str):
                    self.order.append((section, file, node, curated))

    # building

    def build(self) -> Registry:
        owners: dict[str, Owner] = {}
        for owner_id, (file, node, curated) in self.owner_nodes.items():
            if owner_id in self.outlet_nodes:
                self._add(*key_pos(file, node, "id"), f"'{owner_id}' is both an owner id and an outlet id", "ids must be unique across owners and outlets")
            owners[owner_id] = self._entry(self._owner, file, node, curated)
        outlets: dict[str, Outlet] = {}
        for outlet_id, (file, node, curated) in self.outlet_nodes.items():
            outlets[outlet_id] = self._entry(self._outlet, file, node, curated)
        self._check_owner_refs(owners, outlets)
        self._check_cycles(owners)
        self._check_feeds(outlets)
        hosts, paths = self._index(outlets)
        outlets, inheritances = inherit(outlets, hosts, paths)
        for record in inheritances:
            file, node, _ = self.outlet_nodes[record.outlet]
            self._add(*key_pos(file, node, "id"), record.message(), severity="info")
        for outlet_id, (file, node) in self.ownerless.items():
            if not outlets[outlet_id].owners:
                self._add(*key_pos(file, node, "id"), f"outlet '{outlet_id}' has no owner",
                          "add `owner: <owner id>` with `owner_sources:`, or `ownership_note:` saying why it is not known")
        self._backlog_note(outlets)
        former = {m["domain"]: {k: m[k] for k in ("since", "until", "note", "sources") if m.get(k)}
                  for outlet in outlets.values() for m in outlet.mirrors if m.get("until") and m["until"] <= self.today}
        return Registry(owners=owners, outlets=outlets, hosts=hosts, paths=paths, former_hosts=former)

    def _list_dates(self, file: str, block: CommentedMap) -> None:
        """An included list's read day (a typology may not be dated by it), and a warning when its own date is
        more than a year old: its labels carry no `checked` date of their own (issue 24)."""
        retrieved = parse_partial_date(block.get("retrieved"))
        if retrieved:
            self.list_retrieved[file] = retrieved
        snapshot = parse_partial_date(block.get("snapshot")) or retrieved
        if snapshot:
            year_ago = (dt.date.fromisoformat(self.today) - dt.timedelta(days=365)).isoformat()
            if snapshot < year_ago[: len(snapshot)]:
                self._add(*key_pos(file, block, "snapshot" if "snapshot" in block else "retrieved", value=True),
                          f"the list's own date {snapshot} is more than a year old, and its labels carry no `checked` date",
                          "import a newer copy, or check its labels against the issuer's current pages", severity="warning")

    def _backlog_note(self, outlets: dict[str, Outlet]) -> None:
        """One warning for the curated labels in the backlog of labels never re-checked (data/unchecked_labels.txt)."""
        backlog = unchecked_backlog()
        waiting = [(o, l) for o in outlets.values() if o.curated for l in o.own_labels
                   if not l.checked and label_key(o.id, l.type, l.as_of or l.since) in backlog]
        if waiting:
            self._add(waiting[0][0].source_file, 1, 1,
                      f"{len(waiting)} curated label(s) from before `checked` was required are not yet re-checked",
                      "`masthead validate --stale 0` lists them; write `checked:` as you confirm each", severity="warning")

    def _entry(self, build, file: str, node: CommentedMap, curated: bool):
        """One entry built, or taken from the last build when its node is the same object (kept trees only
        change the nodes an edit touched). Its problems are replayed, moved with the entry's first line."""
        line = (getattr(node, LineCol.attrib, None) or node.lc).line
        hit = self.previous.get(id(node))
        if hit is not None and hit[0] is node and hit[1] is build.__func__ and hit[2] == file and hit[3] == curated:
            value, problems, ownerless = hit[5], hit[6], hit[7]
            if problems:
                delta = line - hit[4]
                self.problems.extend(dataclasses.replace(p, line=p.line + delta) if delta else p for p in problems)
            if ownerless:
                self.ownerless[ownerless] = (file, node)
        else:
            first = len(self.problems)
            value = build(file, node, curated)
            problems = tuple(self.problems[first:])
            ownerless = value.id if self.ownerless.get(value.id, (None, None))[1] is node else None
        self.built[id(node)] = (node, build.__func__, file, curated, line, value, problems, ownerless)
        return value

    def _owner(self, file: str, node: CommentedMap, curated: bool) -> Owner:
        self._unknown_keys(file, node, OWNER_KEYS, "owner")
        name = self._text(file, node, "name", required=True)
        kind = node.get("kind")
        if kind not in OWNER_KINDS:
            self._add(*key_pos(file, node, "kind"), f"owner kind {shown(kind)} is not in the vocabulary",
                      "one of: " + ", ".join(OWNER_KINDS))
        country = self._country(file, node, required=False)
        links = self._links(file, node, "owned_by", curated)
        return Owner(
            id=node["id"], name=name or node["id"], kind=kind if kind in OWNER_KINDS else "company",
            country=country, owned_by=links, sources=self._urls(file, node, "sources"),
            note=self._text(file, node, "note"), funded_by=self._funders(file, node, curated),
        )

    def _outlet(self, file: str, node: CommentedMap, curated: bool) -> Outlet:
        self._unknown_keys(file, node, OUTLET_KEYS, "outlet")
        name = self._text(file, node, "name", required=True)
        homepage = self._url(file, node, "homepage")
        country = self._country(file, node, required=True)
        languages = tuple(self._strings(file, node, "languages"))
        for i, lang in enumerate(languages):
            if not LANG_RE.match(lang):
                self._add(*item_pos(file, node, "languages", node["languages"], i), f"'{lang}' is not a language code", "use ISO 639-1, e.g. 'en', 'ru'")
        domains, mirrors = self._domains(file, node, curated)
        paths = self._paths(file, node)
        if not domains and not paths:
            self._add(*key_pos(file, node, "domains"), f"outlet '{node['id']}' has no domains or paths", "list at least the outlet's main domain under `domains:`")
        owners: tuple[OwnerLink, ...] = ()
        if "owner" in node and "owners" in node:
            self._add(*key_pos(file, node, "owners"), "use either `owner:` or `owners:`, not both", "keep `owners:` when there are several")
        if "owner" in node:
            owner = node["owner"]
            if not isinstance(owner, str):
                self._add(*key_pos(file, node, "owner"), "`owner` must be an owner id", "for several owners use `owners:` with `- owner: id`")
            else:
                sources = self._urls(file, node, "owner_sources")
                if curated and not sources:
                    self._add(*key_pos(file, node, "owner"), f"the owner link of '{node['id']}' has no source",
                              "add `owner_sources: [https://...]` with a public URL showing who owns the outlet")
                owners = (OwnerLink(owner=owner, sources=sources),)
        elif "owners" in node:
            owners = self._links(file, node, "owners", curated)
        elif curated and not node.get("ownership_note"):
            self.ownerless[node["id"]] = (file, node)  # an error unless it inherits its parent's owner (build)
        labels = self._labels(file, node, curated)
        feeds, feed_entries = self._feeds(file, node)
        return Outlet(
            id=node["id"], name=name or node["id"], homepage=homepage, country=country,
            languages=languages, domains=tuple(domains), paths=tuple(paths), owners=owners,
            funding=self._text(file, node, "funding"), funding_sources=self._urls(file, node, "funding_sources"),
            feeds=feeds, feed_entries=feed_entries, labels=tuple(labels), mirrors=tuple(mirrors),
            note=self._text(file, node, "note"), ownership_note=self._text(file, node, "ownership_note"),
            source_file=file, curated=curated, funded_by=self._funders(file, node, curated),
        )

    def _paths(self, file: str, node: CommentedMap) -> list[str]:
        rules = []
        for pos, item in self._entries(file, node, "paths", "write '- bbc.com/russian'"):
            if isinstance(item, CommentedMap):
                self._unknown_keys(file, item, PATH_KEYS, "path")
                item = item.get("path")
            if not isinstance(item, str) or "/" not in item.strip("/"):
                self._add(*pos, f"path rule {shown(item)} must be host/prefix", "e.g. 'bbc.com/russian'")
                continue
            host_part, prefix = item.strip().split("/", 1)
            host = self._host(pos, host_part)
            if host is None:
                continue
            prefix = "/" + prefix.strip("/").lower()
            rules.append(host + prefix)
        return rules

    def _host(self, pos: tuple[str, int, int], text: str) -> str | None:
        if "/" in text or ":" in text:
            self._add(*pos, f"'{text}' is not a bare host name", "drop the scheme and path; use `paths:` for sections")
            return None
        try:
            host = urls.strip_alias_prefix(urls.normalise_host(text.strip()))
        except urls.URLError as exc:
            self._add(*pos, f"'{text}' is not a valid domain: {exc}", "write a bare host name, e.g. 'example.com'")
            return None
        if urls.is_public_suffix(host):
            self._add(*pos, f"'{host}' is a public suffix anyone can register under", "list the outlet's full host, e.g. 'name.blogspot.com'")
            return None
        return host

    def _add(self, file: str, line: int, column: int, message: str, hint: str = "", severity: str = "error") -> None:
        if len(message) > MAX_MESSAGE:  # a value quoted in a message never makes it unbounded
            message = message[: MAX_MESSAGE - 3] + "..."
        message = _SURROGATE.sub("\ufffd", message)  # nor unprintable
        self.problems.append(Problem(file, line, column, message, hint, severity))
