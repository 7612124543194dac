"""Edits to the source list: minimal diffs, validation, locking, ETags, atomic writes, the change log, undo, git."""

from __future__ import annotations

import difflib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from layout import layout

from masthead.curation.changelog import ChangeLog
from masthead.curation import (
    Conflict, Curator, EditError, Invalid, NotFound, PatchError, YamlDoc, apply_patch, atomic_write, file_etag,
)
from masthead.curation.yamldoc import guess_style
from masthead.registry import load, validate

ROOT = Path(__file__).resolve().parent.parent
SMALL = Path(__file__).parent / "data" / "sources-small.yaml"
LABEL = {"type": "sanctioned", "issuer": "Council of the European Union", "jurisdiction": "EU", "since": "2022-06-03",
         "instrument": "Council Implementing Regulation (EU) 2022/879", "sources": ["https://example.org/eu/2022-879"]}
NEW_OUTLET = {"id": "new-daily", "name": "New Daily", "country": "DE", "domains": ["newdaily.example"],
              "owner": "reader-trust", "owner_sources": ["https://newdaily.example/impressum"]}

# A hand-written file: comments everywhere, flow and block lists, quoted strings, odd key order.
COMMENTED = textwrap.dedent("""\
    # Our list. Keep it tidy!
    version: 1

    owners:
      # --- governments ---
      - id: gov-xa   # the government
        kind: government
        name: Government of Examplestan
        country: RU
    # --- outlets below ---
    outlets:
      - id: statenews
        name: "State News"          # quoted on purpose
        country: RU
        domains: [statenews.example, 'sn.example']
        owner: gov-xa
        owner_sources: [https://example.org/registry/statenews]   # checked 2024
        labels:
          # the monitor's typology
          - type: state-controlled
            issuer: State Media Monitor
            jurisdiction: INT
            as_of: 2023-05-01
            sources: [https://example.org/smm/statenews]

      # a second outlet, added by hand
      - id: other
        name: Other
        country: NL
        domains:
          - other.example
        ownership_note: not confirmed yet
    # end of file
    """)


def diff_lines(before: str, after: str) -> list[str]:
    """The changed lines only ('-x' / '+y'), without headers and context."""
    return [
        line.rstrip("\n") for line in difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


@pytest.fixture
def small(tmp_path) -> Path:
    path = tmp_path / "sources.yaml"
    shutil.copy(SMALL, path)
    return path


@pytest.fixture
def commented(tmp_path) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    assert not [p for p in validate(path) if p.severity == "error"]
    return path


@pytest.fixture
def bundled(tmp_path) -> Path:
    path = tmp_path / "sources.yaml"
    shutil.copy(ROOT / "sources.yaml", path)
    shutil.copytree(ROOT / "lists", tmp_path / "lists")  # the bundled lists it includes
    return path


# --- minimal diffs: comments, order, quoting and folding are kept ------------------------------


def test_patch_changes_only_the_intended_line_and_keeps_every_comment(commented):
    before = commented.read_text()
    edited = Curator(commented).update("outlets", "statenews", {"country": "BY"}, who="t", replace=False)
    after = commented.read_text()
    assert diff_lines(before, after) == ["-    country: RU", "+    country: BY"]
    assert edited.changed and edited.version == file_etag(after.encode())
    assert [l for l in before.splitlines() if "#" in l] == [l for l in after.splitlines() if "#" in l]


def test_adding_a_label_adds_only_its_lines_in_the_files_style(commented):
    before = commented.read_text()
    Curator(commented).add_label("statenews", LABEL, who="t")
    assert diff_lines(before, commented.read_text()) == [
        "+      - type: sanctioned",
        "+        issuer: Council of the European Union",
        "+        jurisdiction: EU",
        "+        since: 2022-06-03",
        "+        instrument: Council Implementing Regulation (EU) 2022/879",
        "+        sources: [https://example.org/eu/2022-879]",
    ]
    label = load(commented).outlets["statenews"].labels[-1]
    assert (label.type, label.since, label.sources) == ("sanctioned", "2022-06-03", ("https://example.org/eu/2022-879",))


def test_new_keys_go_to_their_canonical_place_and_quoted_values_stay_quoted(commented):
    before = commented.read_text()
    Curator(commented).update("outlets", "statenews", {"homepage": "https://statenews.example/", "name": "State News"},
                              who="t", replace=False)
    assert diff_lines(before, commented.read_text()) == ["+    homepage: https://statenews.example/"]
    lines = commented.read_text().splitlines()
    assert lines.index("    homepage: https://statenews.example/") == lines.index('    name: "State News"          # quoted on purpose') + 1


def test_put_replaces_the_entry_but_leaves_unchanged_lines_alone(commented):
    before = commented.read_text()
    Curator(commented).update("outlets", "other", {
        "name": "Other", "country": "NL", "domains": ["other.example", "other.test"], "ownership_note": "not confirmed yet",
    }, who="t")
    assert diff_lines(before, commented.read_text()) == ["+      - other.test"]


def test_create_and_delete_touch_only_the_entry(commented):
    before = commented.read_text()
    curator = Curator(commented)
    curator.create("outlets", NEW_OUTLET | {"owner": "gov-xa"}, who="t")
    added = diff_lines(before, commented.read_text())
    assert added[0] == "+  - id: new-daily" and all(line.startswith("+") for line in added)
    assert commented.read_text().rstrip().endswith("# end of file")
    curator.delete("outlets", "new-daily", who="t")
    assert commented.read_text() == before
    curator.delete("outlets", "other", who="t")
    removed = diff_lines(before, commented.read_text())
    assert all(line.startswith("-") for line in removed) and "-  - id: other" in removed
    assert "      # a second outlet, added by hand" not in removed  # a comment is never dropped silently


def test_edit_of_the_bundled_file_changes_only_the_intended_lines(bundled):
    before = bundled.read_text()
    Curator(bundled).update("outlets", "sputnik", {"note": "A shorter note."}, who="t", replace=False)
    changed = diff_lines(before, bundled.read_text())
    assert changed[-1] == "+  note: A shorter note."
    assert all(line.startswith("-  note:") or line.startswith("-    ") for line in changed[:-1])
    assert len(changed) == 3  # the old two-line folded note out, the new one in


def test_a_label_added_to_the_bundled_file_keeps_its_folding(bundled):
    before = bundled.read_text()
    Curator(bundled).add_label("rt", LABEL, who="t")
    changed = diff_lines(before, bundled.read_text())
    assert changed and all(line.startswith("+") for line in changed)
    assert changed[0] == "+  - type: sanctioned"  # the bundled file's '- ' sits level with its key


def test_style_is_guessed_from_the_file():
    assert guess_style(COMMENTED).offset == 2 and guess_style(COMMENTED).flow_lists
    bundled = guess_style((ROOT / "sources.yaml").read_text())
    assert (bundled.offset, bundled.sequence, bundled.flow_lists) == (0, 2, False)


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize("section,entry,values,field,message", [
    ("outlets", "statenews", {"country": "XX"}, "country", "not an ISO 3166-1"),
    ("outlets", "statenews", {"owner": "nobody"}, "owner", "unknown owner id 'nobody'"),
    ("outlets", "statenews", {"domains": ["freepress.example"]}, None, "claimed by two outlets"),
    ("outlets", "statenews", {"labels": [{"type": "state-controled", "issuer": "X", "jurisdiction": "INT", "since": "2023",
                                          "sources": ["https://example.org/a"]}]}, "labels.0.type", "did you mean" ""),
    ("owners", "state-holding", {"owned_by": [{"owner": "state-holding", "sources": ["https://example.org/x"]}]}, None, "cycle"),
])
def test_an_invalid_edit_is_refused_with_the_problems_and_the_file_is_unchanged(small, section, entry, values, field, message):
    before = small.read_bytes()
    with pytest.raises(Invalid) as caught:
        Curator(small).update(section, entry, values, who="t", replace=False)
    problems = caught.value.detail["problems"]
    assert caught.value.status == 422
    assert any(message.split("did you mean")[0] in (p["message"] + p["hint"]) for p in problems), problems
    if field:  # a problem reported on another entry (the other claimant, the cycle) has no field here
        assert any(p.get("field") == field for p in problems), problems
    assert small.read_bytes() == before
    assert not list(small.parent.glob(".sources.yaml.*.tmp"))


def test_deleting_an_owner_still_in_use_is_refused(small):
    with pytest.raises(Invalid) as caught:
        Curator(small).delete("owners", "reader-trust", who="t")
    assert any("unknown owner id 'reader-trust'" in p["message"] for p in caught.value.detail["problems"])


def test_ids_are_checked(small):
    curator = Curator(small)
    with pytest.raises(Conflict):
        curator.create("outlets", NEW_OUTLET | {"id": "freepress"}, who="t")
    with pytest.raises(Invalid):
        curator.create("outlets", NEW_OUTLET | {"id": "Not An Id"}, who="t")
    with pytest.raises(EditError, match="differs"):
        curator.update("outlets", "freepress", {"id": "other"}, who="t")
    with pytest.raises(NotFound):
        curator.update("outlets", "nope", {"name": "x"}, who="t", replace=False)
    with pytest.raises(NotFound):
        curator.delete_label("freepress", 7, who="t")


# --- concurrency -------------------------------------------------------------------------------


def test_two_writers_with_one_stale_etag_get_409(small):
    curator = Curator(small)
    version = curator.version()
    first = curator.update("outlets", "freepress", {"name": "Free Press"}, who="alice", if_match=[version], replace=False)
    with pytest.raises(Conflict) as caught:
        curator.update("outlets", "freepress", {"name": "Freepress"}, who="bob", if_match=[version], replace=False)
    assert caught.value.status == 409
    assert caught.value.detail["version"] == first.version == curator.version()
    assert load(small).outlets["freepress"].name == "Free Press"
    curator.update("outlets", "freepress", {"name": "Freepress"}, who="bob", if_match=[f'"{first.version}"'], replace=False)


def test_a_hand_edit_between_two_server_edits_survives(small):
    curator = Curator(small)
    curator.update("outlets", "freepress", {"note": "first server edit"}, who="t", replace=False)
    hand = small.read_text().replace("  - id: bignews\n", "  # added by hand in an editor\n  - id: bignews\n")
    hand = hand.replace("name: Big News\n", "name: Big News Daily\n")
    small.write_text(hand)
    curator.update("outlets", "statenews", {"note": "second server edit"}, who="t", replace=False)
    text = small.read_text()
    assert "# added by hand in an editor" in text and "name: Big News Daily" in text
    registry = load(small)
    assert registry.outlets["bignews"].name == "Big News Daily"
    assert registry.outlets["freepress"].note == "first server edit"
    assert registry.outlets["statenews"].note == "second server edit"


def test_concurrent_writers_in_threads_lose_nothing(small):
    curator = Curator(small)
    errors = []

    def writer(n: int) -> None:
        try:
            Curator(small).create("outlets", NEW_OUTLET | {"id": f"outlet-{n}", "domains": [f"o{n}.example"]}, who=f"w{n}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert {f"outlet-{n}" for n in range(6)} <= set(load(small).outlets)
    assert sorted(c["id"] for c in curator.changelog.entries()) == list(range(1, 7))


WRITER_LOOP = """
import sys
from masthead.curation import Curator
curator = Curator(sys.argv[1])
n = 0
while True:
    n += 1
    curator.update("outlets", "freepress", {"note": "A" * 3000 if n % 2 else "B"}, who="loop", replace=False)
"""

ATOMIC_LOOP = """
import sys
from pathlib import Path
from masthead.curation import atomic_write
path = Path(sys.argv[1])
a, b = Path(sys.argv[2]).read_bytes(), Path(sys.argv[3]).read_bytes()
n = 0
while True:
    n += 1
    atomic_write(path, a if n % 2 else b)
"""


def _run_and_kill(code: str, args: list[str], wait: float) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "server")}
    proc = subprocess.Popen([sys.executable, "-c", code, *args], env=env, stderr=subprocess.PIPE)
    time.sleep(wait)
    assert proc.poll() is None, proc.stderr.read().decode()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def test_a_writer_killed_mid_write_leaves_the_old_or_the_new_file(small):
    original = small.read_bytes()
    curator = Curator(small)
    with_a = curator.update("outlets", "freepress", {"note": "A" * 3000}, who="t", replace=False)
    text_a = small.read_bytes()
    small.write_bytes(original)
    curator.update("outlets", "freepress", {"note": "B"}, who="t", replace=False)
    text_b = small.read_bytes()
    assert with_a.changed and text_a != text_b
    for wait in (0.9, 1.3, 1.7, 2.2):
        _run_and_kill(WRITER_LOOP, [str(small)], wait)
        assert small.read_bytes() in (text_a, text_b)
        assert not [p for p in validate(small) if p.severity == "error"]
    Curator(small).update("outlets", "freepress", {"note": "after the crashes"}, who="t", replace=False)
    assert not list(small.parent.glob(".sources.yaml.*.tmp"))  # leftovers are cleared under the lock


def test_atomic_write_killed_in_a_loop_never_leaves_a_torn_file(tmp_path):
    target, a, b = tmp_path / "sources.yaml", tmp_path / "a", tmp_path / "b"
    a.write_bytes(SMALL.read_bytes() * 40)  # big enough that a kill often lands mid-write
    b.write_bytes(SMALL.read_bytes())
    target.write_bytes(b.read_bytes())
    for i in range(8):
        _run_and_kill(ATOMIC_LOOP, [str(target), str(a), str(b)], 0.3 + 0.07 * i)
        assert target.read_bytes() in (a.read_bytes(), b.read_bytes())


# --- the change log and undo -------------------------------------------------------------------


def test_every_change_is_logged_with_who_when_and_the_diff(small):
    curator = Curator(small)
    curator.add_label("bignews", LABEL, who="alice")
    curator.delete_label("freepress", 1, who="bob")
    first, second = sorted(curator.changelog.entries(), key=lambda c: c["id"])
    assert (first["id"], first["who"], first["summary"]) == (1, "alice", "Add a sanctioned label to outlet bignews")
    assert "+      - type: sanctioned" in first["diff"] and first["at"].endswith("+00:00")
    assert second["who"] == "bob" and "-      - type: undesirable-organisation" in second["diff"]
    assert second["before"] == first["after"]
    assert curator.changelog.path == small.parent / ".sources.yaml.changes.jsonl"


def test_undo_restores_the_file_and_is_itself_a_change(small):
    original = small.read_bytes()
    curator = Curator(small)
    change = curator.update("outlets", "freepress", {"note": "wrong", "country": "DE"}, who="alice", replace=False).change
    undone = curator.undo(change["id"], who="bob")
    assert small.read_bytes() == original
    assert undone.change["undoes"] == change["id"] and undone.change["who"] == "bob"
    with pytest.raises(Conflict, match="already undone"):
        curator.undo(change["id"], who="bob")
    with pytest.raises(NotFound):
        curator.undo(99, who="bob")


def test_undo_of_a_change_whose_lines_changed_since_is_refused(small):
    curator = Curator(small)
    change = curator.update("outlets", "freepress", {"note": "first"}, who="t", replace=False).change
    curator.update("outlets", "freepress", {"note": "second"}, who="t", replace=False)
    before = small.read_bytes()
    with pytest.raises(Conflict, match="no longer applies cleanly"):
        curator.undo(change["id"], who="t")
    assert small.read_bytes() == before


def test_undo_still_applies_after_unrelated_edits(small):
    curator = Curator(small)
    change = curator.update("outlets", "freepress", {"note": "to be undone"}, who="t", replace=False).change
    curator.update("outlets", "statenews", {"note": "stays"}, who="t", replace=False)
    small.write_text("# a comment added by hand at the top\n" + small.read_text())
    curator.undo(change["id"], who="t")
    registry = load(small)
    assert registry.outlets["freepress"].note is None and registry.outlets["statenews"].note == "stays"
    assert small.read_text().startswith("# a comment added by hand at the top\n")


def test_a_torn_last_line_in_the_log_is_skipped(tmp_path):
    log = ChangeLog(tmp_path / "log.jsonl")
    log.append(who="a", summary="one", diff="", before="x", after="y", file="s.yaml")
    with open(log.path, "a") as handle:
        handle.write('{"id": 2, "who": "torn')
    record = log.append(who="b", summary="two", diff="", before="y", after="z", file="s.yaml")
    assert record["id"] == 2
    assert [r["summary"] for r in log.entries()] == ["two", "one"]


@pytest.mark.parametrize("case", [
    {"text": "a\nb\nc\nd\n", "new": "a\nB\nc\nd\n", "base": "x\na\nb\nc\nd\n", "expected": "x\na\nB\nc\nd\n"},
    {"text": "a\nb\n", "new": "a\nb\nc\n", "base": "a\nb\n", "expected": "a\nb\nc\n"},
    {"text": "a\nb\nc\n", "new": "a\nc\n", "base": "z\na\nb\nc\n", "expected": "z\na\nc\n"},
])
def test_apply_patch(case):
    patch = "".join(difflib.unified_diff(case["text"].splitlines(True), case["new"].splitlines(True), n=1))
    assert apply_patch(case["base"], patch) == case["expected"]
    assert apply_patch(case["expected"], patch, reverse=True) == case["base"]


def test_apply_patch_refuses_changed_context():
    patch = "".join(difflib.unified_diff(["a\n", "b\n"], ["a\n", "c\n"]))
    with pytest.raises(PatchError):
        apply_patch("a\nx\n", patch)


# --- git ---------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_commit_commits_each_change_alone(small):
    repo = small.parent
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout

    git("init", "-q")
    git("add", "sources.yaml")
    git("commit", "-q", "-m", "initial")
    (repo / "unrelated.txt").write_text("staged but not ours\n")
    git("add", "unrelated.txt")
    edited = Curator(small, git_commit=True).update("outlets", "freepress", {"note": "via git"}, who="alice", replace=False)
    assert edited.change["commit"] == git("rev-parse", "HEAD").strip()
    message = git("log", "-1", "--format=%s%n%b%n%an")
    assert message.startswith("Change outlet freepress") and "alice" in message
    assert git("show", "--name-only", "--format=", "HEAD").split() == ["sources.yaml"]
    assert "unrelated.txt" in git("diff", "--cached", "--name-only")  # still staged, not committed


def test_yamldoc_refuses_text_that_is_not_yaml():
    with pytest.raises(Invalid):
        YamlDoc("outlets: [\n", "x.yaml")


def test_atomic_write_keeps_the_mode(tmp_path):
    path = tmp_path / "f"
    path.write_text("old")
    os.chmod(path, 0o640)
    atomic_write(path, b"new", mode=0o640)
    assert path.read_text() == "new" and (path.stat().st_mode & 0o777) == 0o640


# --- the kept document: edits after the first do not parse the file again ------------------------


@pytest.mark.parametrize("name", ["small", "commented"])
def test_the_kept_document_matches_a_fresh_parse_after_every_kind_of_edit(name, request):
    path = request.getfixturevalue(name)
    curator = Curator(path)
    outlet = load(path).outlets
    first, last = list(outlet)[0], list(outlet)[-1]
    edits = [
        lambda: curator.update("outlets", first, {"note": "A note long enough to be folded over more than one line " * 3},
                               who="t", replace=False),
        lambda: curator.add_label(first, {"type": "blocked", "issuer": "Roskomnadzor", "jurisdiction": "RU",
                                          "since": "2022-03-04", "sources": ["https://example.org/a"]}, who="t"),
        lambda: curator.create("owners", {"id": "kept-doc-owner", "name": "Kept Doc Owner", "kind": "person",
                                          "country": "GB"}, who="t"),
        lambda: curator.create("outlets", {"id": "kept-doc-outlet", "name": "Kept Doc", "country": "GB",
                                           "domains": ["kept-doc.example"], "owner": "kept-doc-owner",
                                           "owner_sources": ["https://example.org/o"]}, who="t"),
        lambda: curator.update("outlets", last, {"note": None}, who="t", replace=False),
        lambda: curator.delete_label(first, len(load(path).outlets[first].labels) - 1, who="t"),
        lambda: curator.delete("outlets", "kept-doc-outlet", who="t"),
    ]
    for edit in edits:
        edit()
        version, kept = curator._cached
        assert version == file_etag(path.read_bytes())
        fresh = YamlDoc(path.read_text(encoding="utf-8"), path.name)
        assert kept.text == fresh.text
        assert layout(kept.data) == layout(fresh.data)


def test_a_file_changed_by_hand_is_parsed_again(small):
    curator = Curator(small)
    first = list(load(small).outlets)[0]
    curator.update("outlets", first, {"note": "one"}, who="t", replace=False)
    small.write_text(small.read_text(encoding="utf-8").replace("note: one", "note: two"), encoding="utf-8")
    curator.update("outlets", first, {"name": "Renamed"}, who="t", replace=False)
    assert "note: two" in small.read_text(encoding="utf-8") and "name: Renamed" in small.read_text(encoding="utf-8")
