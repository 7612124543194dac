"""The curator: validated edits to sources.yaml, spliced into the text, written atomically under a lock, logged.

Each edit re-reads the file under an fcntl lock, so a hand edit made between two server edits survives; the
new text is validated in memory, logged (pending), written to a temp file in the same directory, fsynced and
renamed over the original, and the log record confirmed. Undo finds the entry a change was made to by its id and reverses
the diff there only, or refuses.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .. import registry as registry_module
from .errors import Conflict, EditError, Invalid, NotFound
from .files import atomic_write, etag_matches, file_etag, file_lock
from .patch import PatchError, apply_patch, unified_diff
from .yamldoc import SECTION_KIND, YamlDoc, to_plain

__all__ = ["Curator", "Edited"]

log = logging.getLogger("masthead")

CONTEXT = 3  # lines of context in a change's diff (difflib's default): they may reach into the next entry
_INVERSE = {"create": "delete", "delete": "create", "update": "update"}
# Changes logged before entries were recorded: their summary names the entry.
_LEGACY_SUMMARY = re.compile(
    r"^(?:(?P<verb>Add|Replace|Change|Delete) (?P<kind>outlet|owner) (?P<id>[a-z0-9-]+)$"
    r"|(?:Add a \S+ label to|(?:Change|Delete) label \d+ of) outlet (?P<labelled>[a-z0-9-]+)$)")


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

    def __init__(self, path: str | Path, changelog=None, git_commit: bool = False, publish: Callable | None = None,
                 kept=None):
        """`publish(registry)` is called under the lock with the registry of every version this curator writes
        (a server installs it, so that the file is not loaded again)."""
        from .changelog import ChangeLog

        self.path = Path(path).resolve()
        self.changelog = changelog if changelog is not None else ChangeLog.for_sources(self.path)
        self.git_commit = git_commit
        self.publish = publish
        self.kept = kept  # what loads of the file keep between them (registry.Kept): a server shares its live list's
        # The parsed document of the file's last version we read or wrote, by that version's ETag. Parsing the
        # bundled list with comments kept takes most of a second; an unchanged file need not be parsed again.
        self._cached: tuple[str, YamlDoc] | None = None
        try:
            if self.changelog.pending():  # a process was killed mid-edit: settle its record before anyone reads the log
                with self.lock():
                    self.settle()
        except (EditError, OSError) as exc:  # the next edit settles it, under the same lock
            log.warning("could not settle the change log of %s yet: %s", self.path.name, exc)

    def version(self) -> str:
        return file_etag(self.path.read_bytes())

    def lock(self):
        return file_lock(self.path)

    def settle(self) -> None:
        """Confirm or void the records a killed edit left pending (call under the lock)."""
        pending = self.changelog.pending()
        if not pending:
            return
        current = file_etag(self.path.read_bytes())
        for record in pending:
            if current == record.get("before") and current != record.get("after"):
                log.warning("change %s never reached %s (the edit was interrupted): voided", record["id"], self.path.name)
                self.changelog.void(record["id"])
            else:  # the file holds it (or was edited by hand since, which it may have preceded)
                self.changelog.confirm(record["id"])

    def edit(self, operation: Callable[[YamlDoc], Any], *, who: str, summary: str,
             if_match: Iterable[str] | None = None, undoes: int | None = None, entry: dict | None = None) -> Edited:
        """Run `operation` on the file as it is on disk now; write the result if it validates.

        `entry` ({section, id, change}) is what the operation changes; undo finds it by its id.
        """
        with self.lock():
            self.settle()
            raw = self.path.read_bytes()
            current = file_etag(raw)
            if not etag_matches(if_match, current):
                raise Conflict(
                    f"{self.path.name} has changed since you read it (version {current[:12]}); reload, reapply, and send If-Match again",
                    {"version": current},
                )
            doc = self._document(raw, current)
            self._cached = None  # the operation changes the document in place; it is kept again only on success
            before, before_lines = doc.text, doc.lines
            result = operation(doc)
            if doc.text == before:
                self._cached = (current, doc)
                return Edited(version=current, changed=False, result=result)
            new_raw = doc.text.encode("utf-8")
            version = file_etag(new_raw)
            diff = unified_diff(before_lines, doc.lines,
                                fromfile=f"a/{self.path.name}", tofile=f"b/{self.path.name}", n=CONTEXT)
            logged: dict = {}

            def log_first() -> None:  # validated: the record goes to the log before the file is renamed
                logged["change"] = self.changelog.append(
                    who=who, summary=summary, diff=diff, before=current, after=version, file=str(self.path),
                    undoes=undoes, entry=entry, pending=True,
                )

            try:
                warnings = self._write_checked(new_raw, doc, log_first)
            except BaseException:
                if logged:
                    self.settle()  # voided unless the rename happened
                raise
            doc.touched = doc.touched_node = None
            self._cached = (version, doc)
            change = logged["change"]
            self.changelog.confirm(change["id"])
            change.pop("pending", None)
            if self.git_commit:
                from .changelog import git_commit

                commit = git_commit(self.path, f"{summary}\n\nMade through the Masthead server by {who} (change {change['id']}).", who)
                if commit:
                    change = self.changelog.annotate(change["id"], commit=commit)
            return Edited(version=version, changed=True, change=change, warnings=warnings, result=result)

    def prepare(self) -> None:
        """Parse the file's document now, if none is kept, so that the first edit does not wait for it (parsing
        the bundled list with comments kept takes seconds). Safe beside edits: an edit that ran meanwhile wins."""
        if self._cached is not None:
            return
        raw = self.path.read_bytes()
        try:
            doc = YamlDoc(raw.decode("utf-8"), self.path.name)
        except (UnicodeDecodeError, Invalid):
            return  # the first edit reports it
        with self.lock():
            if self._cached is None and file_etag(self.path.read_bytes()) == file_etag(raw):
                self._cached = (file_etag(raw), doc)

    def _document(self, raw: bytes, version: str) -> YamlDoc:
        cached, self._cached = self._cached, None
        try:
            if cached is not None and cached[0] == version:
                return cached[1]
            if cached is not None:  # changed by another process since: follow it, entry by entry where it can
                cached[1].follow(raw.decode("utf-8"))
                return cached[1]
            return YamlDoc(raw.decode("utf-8"), self.path.name)
        except UnicodeDecodeError:
            raise Invalid(f"{self.path.name} is not UTF-8", {"problems": self._problems_now()}) from None
        except Invalid as exc:
            raise Invalid(exc.message, {"problems": self._problems_now()}) from None

    def _problems_now(self) -> list[dict]:
        return [p.to_dict() for p in registry_module.validate(self.path) if p.severity == "error"][:100]

    def _write_checked(self, new_raw: bytes, doc: YamlDoc, before_rename: Callable[[], None]) -> list[dict]:
        """Validate the new bytes as the file's contents, then write them atomically; publish the new registry.

        `before_rename` runs once the new text has validated, just before the file is written."""
        registry, problems = registry_module.load_with_problems(self.path, contents=new_raw, lines=doc.lines,
                                                                kept=self.kept)
        found = [self._problem(p, doc) for p in problems]
        errors = [p for p in found if p["severity"] == "error"]
        if errors:
            raise Invalid(
                f"the edit would leave {len(errors)} error(s) in {self.path.name}; nothing was written",
                {"problems": errors[:100]},
            )
        before_rename()
        atomic_write(self.path, new_raw, mode=self.path.stat().st_mode & 0o7777)
        if self.publish is not None:
            self.publish(registry)
        return [p for p in found if p["severity"] == "warning" and p.get("field")]

    def _problem(self, problem, doc: YamlDoc) -> dict:
        data = problem.to_dict()
        if data["file"] == str(self.path):
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

        return self.edit(operation, who=who, summary=f"Add {section[:-1]} {entry_id}", if_match=if_match,
                         entry=_entry(section, entry_id, "create"))

    def create_together(self, entries: list[tuple[str, dict]], who: str, if_match=None) -> Edited:
        """Add several entries (a new owner and the outlet it owns) in one validated write and one change."""
        prepared = [(section, _entry_values(section, values)) for section, values in entries]

        def operation(doc: YamlDoc):
            for section, values in prepared:
                if doc.index_of(section, values["id"]) is not None:
                    raise Conflict(f"{section[:-1]} '{values['id']}' exists already; change it with PUT or PATCH", {"id": values["id"]})
                doc.insert(section, doc.node(values, SECTION_KIND[section]))
            return [values["id"] for _, values in prepared]

        summary = "Add " + " and ".join(f"{section[:-1]} {values['id']}" for section, values in prepared)
        return self.edit(operation, who=who, summary=summary, if_match=if_match)

    def update(self, section: str, entry_id: str, values: dict, who: str, if_match=None, replace: bool = True) -> Edited:
        values = _entry_values(section, values, entry_id)

        def operation(doc: YamlDoc):
            with doc.editing(section, entry_id) as node:
                doc.merge(node, values, SECTION_KIND[section], replace=replace)
                if node.get("id") != entry_id:
                    raise EditError("an entry's id cannot be changed; create a new entry and delete this one", {"field": "id"})
            return entry_id

        verb = "Replace" if replace else "Change"
        return self.edit(operation, who=who, summary=f"{verb} {section[:-1]} {entry_id}", if_match=if_match,
                         entry=_entry(section, entry_id, "update"))

    def delete(self, section: str, entry_id: str, who: str, if_match=None) -> Edited:
        return self.edit(lambda doc: doc.remove(section, entry_id), who=who,
                         summary=f"Delete {section[:-1]} {entry_id}", if_match=if_match,
                         entry=_entry(section, entry_id, "delete"))

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

        return self.edit(operation, who=who, summary=f"Add a {label.get('type', '?')} label to outlet {outlet_id}",
                         if_match=if_match, entry=_entry("outlets", outlet_id, "update"))

    def replace_label(self, outlet_id: str, index: int, label: dict, who: str, if_match=None) -> Edited:
        label = _label_values(label)

        def operation(doc: YamlDoc):
            with doc.editing("outlets", outlet_id) as node:
                labels = _labels_of(node, outlet_id, index)
                labels[index] = doc._merge_value(labels[index], label, "label", "labels", True)
            return index

        return self.edit(operation, who=who, summary=f"Change label {index} of outlet {outlet_id}", if_match=if_match,
                         entry=_entry("outlets", outlet_id, "update"))

    def delete_label(self, outlet_id: str, index: int, who: str, if_match=None) -> Edited:
        def operation(doc: YamlDoc):
            with doc.editing("outlets", outlet_id) as node:
                labels = _labels_of(node, outlet_id, index)
                del labels[index]
                if not labels:
                    del node["labels"]
            return index

        return self.edit(operation, who=who, summary=f"Delete label {index} of outlet {outlet_id}", if_match=if_match,
                         entry=_entry("outlets", outlet_id, "update"))

    def undo(self, change_id: int, who: str, if_match=None) -> Edited:
        record = self.changelog.get(change_id)
        if record is None:
            raise NotFound(f"no change with id {change_id}")
        undone_by = self.changelog.undone_by(change_id)
        if undone_by is not None:
            raise Conflict(f"change {change_id} was already undone by change {undone_by}", {"undone_by": undone_by})

        if record.get("file") not in (None, self.path.name):
            raise Conflict(f"change {change_id} was made to {record['file']}, not {self.path.name}", {"change": change_id})
        entry = record.get("entry") or _legacy_entry(record)

        def operation(doc: YamlDoc):
            try:
                if entry is None:  # not an entry (e.g. an include added by an import): only where it is unambiguous
                    doc.set_text(apply_patch(doc.text, record["diff"], reverse=True, fuzz=len(doc.lines), unique=True))
                else:
                    _undo_in_entry(doc, record, entry)
            except PatchError as exc:
                raise Conflict(f"change {change_id} no longer applies cleanly: {exc}", {"change": change_id}) from None
            doc.touched = None

        inverse = None if entry is None else _entry(entry["section"], entry["id"], _INVERSE[entry["change"]])
        return self.edit(operation, who=who, summary=f"Undo change {change_id}: {record['summary']}",
                         if_match=if_match, undoes=change_id, entry=inverse)


def _entry(section: str, entry_id: str, change: str) -> dict:
    return {"section": section, "id": entry_id, "change": change}


def _legacy_entry(record: dict) -> dict | None:
    """The entry an older record (logged without `entry`) changed, from its summary."""
    summary = record.get("summary", "")
    if summary.startswith("Undo change "):
        return None  # what an undo of an undo changed is not in its summary: undo it by hand
    found = _LEGACY_SUMMARY.match(summary)
    if found is None:
        return None
    if found.group("labelled"):
        return _entry("outlets", found.group("labelled"), "update")
    change = {"Add": "create", "Delete": "delete"}.get(found.group("verb"), "update")
    return _entry(found.group("kind") + "s", found.group("id"), change)


def _others(doc: YamlDoc, section: str, entry_id: str) -> Any:
    """The whole document as plain data, without the entry `entry_id` of `section`."""
    data = to_plain(doc.data)
    if isinstance(data.get(section), list):
        data[section] = [e for e in data[section] if not (isinstance(e, dict) and e.get("id") == entry_id)]
    return data


def _undo_in_entry(doc: YamlDoc, record: dict, entry: dict) -> None:
    """Reverse the change's diff on its entry only: found by id, never by matching lines elsewhere in the file.

    With two outlets carrying identical labels, lines alone cannot tell them apart: undoing an edit of the
    first after it was deleted used to change the second (issue 13 B6).
    """
    section, entry_id, change = entry["section"], entry["id"], entry["change"]
    noun = section[:-1]
    index = doc.index_of(section, entry_id)
    if change in ("create", "update") and index is None:
        raise Conflict(f"{noun} '{entry_id}' is no longer in {doc.name}; nothing to undo it on", {"id": entry_id})
    if change == "delete" and index is not None:
        raise Conflict(f"{noun} '{entry_id}' exists again; it cannot be restored over itself", {"id": entry_id})
    if index is not None:
        start, end = doc._item_region(section, index)
    elif section in doc.data:
        start, end = doc._key_region(section)
    else:
        start, end = len(doc.lines), len(doc.lines)
    others = _others(doc, section, entry_id)
    doc.set_text(apply_patch(doc.text, record["diff"], reverse=True, fuzz=len(doc.lines),
                             window=(max(0, start - CONTEXT), end + CONTEXT)))
    restored = doc.index_of(section, entry_id) is not None
    if restored != (change != "create") or _others(doc, section, entry_id) != others:
        raise PatchError(f"reversing it would change more than {noun} '{entry_id}'")


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
    if not isinstance(entry, str) or not registry_module.ID_RE.match(entry):
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
