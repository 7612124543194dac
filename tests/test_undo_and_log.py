"""Undo targets the entry a change was made to (issue 13 B6); the change log survives kill -9 mid-edit (B7)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from masthead.curation import Conflict, Curator, file_etag
from masthead.registry import load

ROOT = Path(__file__).resolve().parent.parent
SMALL = Path(__file__).parent / "data" / "sources-small.yaml"
BAN = {"type": "broadcast-ban", "issuer": "Council of the European Union", "jurisdiction": "EU", "since": "2022-03-02",
       "instrument": "Council Regulation (EU) 2022/350", "sources": ["https://example.org/eu/2022-350"]}
ENDED = {"until": "2024-01-01", "until_sources": ["https://example.org/eu/2024-lifted"]}
TWIN = {"name": "Twin", "country": "RU", "owner": "state-holding", "owner_sources": ["https://example.org/registry/twin"]}


@pytest.fixture
def small(tmp_path) -> Path:
    path = tmp_path / "sources.yaml"
    shutil.copy(SMALL, path)
    return path


def _twins(curator: Curator) -> dict:
    """Two outlets whose labels are line for line the same once the first one's ban has ended."""
    curator.create("outlets", TWIN | {"id": "twin-a", "domains": ["twin-a.example"], "labels": [BAN, BAN]}, who="t")
    curator.create("outlets", TWIN | {"id": "twin-b", "domains": ["twin-b.example"],
                                      "labels": [BAN | ENDED, BAN]}, who="t")
    return curator.replace_label("twin-a", 0, BAN | ENDED, who="t").change


def test_undo_of_an_edit_to_a_deleted_outlet_leaves_its_twin_alone(small):
    # Before: undo searched the whole file for the diff's lines and removed twin-b's `until`: its ban showed as active.
    curator = Curator(small)
    ended = _twins(curator)
    curator.delete("outlets", "twin-a", who="t")
    before = small.read_bytes()
    with pytest.raises(Conflict, match="twin-a' is no longer in"):
        curator.undo(ended["id"], who="t")
    assert small.read_bytes() == before
    assert str(load(small).outlets["twin-b"].labels[0].until) == "2024-01-01"


def test_undo_changes_the_entry_it_names_even_when_a_twin_sits_closer(small):
    curator = Curator(small)
    ended = _twins(curator)
    # Move twin-a after twin-b: twin-b's identical lines now sit where the diff says the change was.
    text = small.read_text()
    start = text.index("  - id: twin-a\n")
    middle = text.index("  - id: twin-b\n")
    small.write_text(text[:start] + text[middle:] + text[start:middle])
    curator.undo(ended["id"], who="t")
    registry = load(small)
    assert registry.outlets["twin-a"].labels[0].until is None
    assert str(registry.outlets["twin-b"].labels[0].until) == "2024-01-01"


def test_undo_of_a_delete_restores_the_entry_and_nothing_else(small):
    curator = Curator(small)
    _twins(curator)
    deleted = curator.delete("outlets", "twin-a", who="t").change
    curator.undo(deleted["id"], who="t")
    registry = load(small)
    assert str(registry.outlets["twin-a"].labels[0].until) == "2024-01-01"
    assert str(registry.outlets["twin-b"].labels[0].until) == "2024-01-01"
    with pytest.raises(Conflict, match="already undone"):
        curator.undo(deleted["id"], who="t")


def test_an_older_record_without_an_entry_is_undone_on_the_entry_its_summary_names(small):
    curator = Curator(small)
    ended = _twins(curator)
    curator.delete("outlets", "twin-a", who="t")
    lines = curator.changelog.path.read_text().splitlines()
    import json

    old = [json.loads(line) for line in lines]
    for record in old:
        record.pop("entry", None)  # as logged before entries were recorded
    curator.changelog.path.write_text("".join(json.dumps(r) + "\n" for r in old))
    with pytest.raises(Conflict, match="twin-a' is no longer in"):
        curator.undo(ended["id"], who="t")


# --- kill -9 between the change log and the rename (B7) ----------------------------------------

KILLED_EDIT = """
import os, signal, sys
from masthead.curation import Curator
when = sys.argv[2]
real_replace = os.replace

def replace(src, dst):
    if when == "before-rename":
        os.kill(os.getpid(), signal.SIGKILL)
    real_replace(src, dst)
    if when == "after-rename":
        os.kill(os.getpid(), signal.SIGKILL)

os.replace = replace
Curator(sys.argv[1]).update("outlets", "freepress", {"note": "killed mid-edit"}, who="killed", replace=False)
"""


def _edit_and_kill(path: Path, when: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "server")}
    proc = subprocess.run([sys.executable, "-c", KILLED_EDIT, str(path), when], env=env, capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()


@pytest.mark.parametrize("when", ["after-rename", "before-rename"])
def test_a_kill_between_the_log_and_the_rename_keeps_the_chain(small, when):
    # Before: the file was renamed first and logged after; a kill in between left an edit nobody logged.
    Curator(small).update("outlets", "bignews", {"note": "first"}, who="t", replace=False)
    _edit_and_kill(small, when)
    on_disk = file_etag(small.read_bytes())
    curator = Curator(small)  # a restarted server settles what the killed one left
    changes = curator.changelog.entries()
    landed = when == "after-rename"
    assert (load(small).outlets["freepress"].note == "killed mid-edit") is landed
    assert changes[0]["after"] == on_disk
    assert [c["who"] for c in changes] == (["killed", "t"] if landed else ["t"])
    curator.update("outlets", "bignews", {"note": "after the kill"}, who="t", replace=False)
    changes = sorted(curator.changelog.entries(), key=lambda c: c["id"])
    assert all(a["after"] == b["before"] for a, b in zip(changes, changes[1:])), changes
    assert not curator.changelog.pending()
    if landed:
        killed = next(c for c in changes if c["who"] == "killed")
        curator.undo(killed["id"], who="t")
        assert load(small).outlets["freepress"].note is None
