"""Keeping a parsed source list current entry by entry (registry/incremental.py) gives what a fresh parse gives:
the same values at the same lines and columns, the same problems at the same positions, the same registry."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from layout import layout

from masthead.curation.yamldoc import yaml_for, guess_style
from masthead.registry import kept, loader
from masthead.registry.incremental import update_tree
from masthead.registry.yamlfile import parse_yaml

ROOT = Path(__file__).resolve().parent.parent


def _doc_parser(text: str):
    return yaml_for(guess_style(text), 4096).load(text)


PARSERS = {"loader": parse_yaml, "editor": _doc_parser}


@pytest.fixture(scope="module")
def sample() -> str:
    """The bundled list cut to its first 25 owners and 35 outlets: its real formatting, a tenth of its size."""
    text = (ROOT / "sources.yaml").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    data = parse_yaml(text)
    cut = []
    for section, keep in (("owners", 25), ("outlets", 35)):
        seq = data[section]
        begin = data.lc.key(section)[0]
        stop = _dash(lines, seq.lc.item(keep)[0]) if keep < len(seq) else None
        cut.append((begin, stop))
    header = lines[: cut[0][0]]
    return "".join(header + lines[cut[0][0]: cut[0][1]] + lines[cut[1][0]: cut[1][1]])


def _dash(lines: list[str], line: int) -> int:
    while not lines[line].lstrip().startswith("-"):
        line -= 1
    return line


def _entries(lines: list[str], data, section: str) -> list[tuple[int, int]]:
    """Each entry's [first, end) lines, the end being the next entry's '-' line (or the section's end)."""
    seq = data[section]
    starts = [_dash(lines, seq.lc.item(i)[0]) for i in range(len(seq))]
    later = [data.lc.key(k)[0] for k in data if data.lc.key(k)[0] > data.lc.key(section)[0]]
    ends = starts[1:] + [min(later) if later else len(lines)]
    return list(zip(starts, ends))


def _key_line(lines: list[str], start: int, end: int, rng: random.Random) -> int | None:
    """A 'key: value' line of the entry that is not its first, chosen at random."""
    candidates = [i for i in range(start + 1, end) if ": " in lines[i] and lines[i].strip()[:1].isalpha()
                  and not lines[i].rstrip().endswith((":", "|", ">", "|-", ">-"))]
    return rng.choice(candidates) if candidates else None


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


# Each edit takes the lines, the tree and a random source and returns the new lines; `local` edits stay inside the
# entries of one section, so they must take the fast path.
def _change_value(lines, data, rng):
    start, end = rng.choice(_entries(lines, data, rng.choice(["owners", "outlets"])))
    line = _key_line(lines, start, end, rng)
    if line is None:
        return None
    key = lines[line].split(":", 1)[0]
    return lines[:line] + [f"{key}: Changed {rng.randint(0, 10**6)}\n"] + lines[line + 1:]


def _add_key(lines, data, rng):
    start, end = rng.choice(_entries(lines, data, "outlets"))
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    indent = _indent(lines[start]) + " " * (len(lines[start].lstrip()) - len(lines[start].lstrip()[1:].lstrip()))
    return lines[:end] + [f"{indent}funding: Added {rng.randint(0, 10**6)}\n"] + lines[end:]


def _drop_line(lines, data, rng):
    start, end = rng.choice(_entries(lines, data, "outlets"))
    line = _key_line(lines, start, end, rng)
    if line is None or lines[line + 1].startswith(_indent(lines[line]) + " "):
        return None  # the line's value continues below it
    return lines[:line] + lines[line + 1:]


def _new_entry(lines, data, rng):
    entries = _entries(lines, data, "outlets")
    start, end = rng.choice(entries)
    copy = [line.replace("id: ", "id: copy-", 1) if i == 0 else line for i, line in enumerate(lines[start:end])]
    where = rng.choice(entries)[rng.choice([0, 1])]
    return lines[:where] + copy + lines[where:]


def _drop_entry(lines, data, rng):
    start, end = rng.choice(_entries(lines, data, rng.choice(["owners", "outlets"])))
    return lines[:start] + lines[end:]


def _two_entries(lines, data, rng):
    entries = _entries(lines, data, "outlets")
    k = rng.randrange(len(entries) - 1)
    new = list(lines)
    for start, end in (entries[k + 1], entries[k]):  # the later one first: line numbers above it stay
        line = _key_line(new, start, end, rng)
        if line is not None:
            new[line] = new[line].split(":", 1)[0] + ": Both changed\n"
    return new


def _comment(lines, data, rng):
    start, _ = rng.choice(_entries(lines, data, "outlets"))
    return lines[:start] + ["# a curator's comment between entries\n"] + lines[start:]


LOCAL = [_change_value, _add_key, _drop_line, _new_entry, _drop_entry, _two_entries, _comment]


def _top_key(lines, data, rng):
    return [line.replace("version: 1", "version: 2") for line in lines]


def _broken(lines, data, rng):
    start, end = rng.choice(_entries(lines, data, "outlets"))
    line = _key_line(lines, start, end, rng) or start + 1
    return lines[:line] + [lines[line].split(":", 1)[0] + ": [never closed\n"] + lines[line + 1:]


def _dedented(lines, data, rng):
    start, end = rng.choice(_entries(lines, data, "outlets"))
    return lines[:end] + ["stray_top_level_key: 1\n"] + lines[end:]


def _anchor(lines, data, rng):
    start, end = rng.choice(_entries(lines, data, "outlets"))
    line = _key_line(lines, start, end, rng) or start + 1
    return lines[:line] + [lines[line].split(":", 1)[0] + ": &shared Anchored\n"] + lines[line + 1:]


OTHER = [_top_key, _broken, _dedented, _anchor]


@pytest.mark.parametrize("parser", PARSERS)
def test_a_tree_kept_current_entry_by_entry_is_the_tree_a_fresh_parse_gives(sample, parser):
    parse = PARSERS[parser]
    rng = random.Random(20261201)
    lines = sample.splitlines(keepends=True)
    tree = parse(sample)
    fast = 0
    for step in range(45 if parser == "loader" else 25):
        edit = LOCAL[step % len(LOCAL)] if step % 5 else rng.choice(OTHER)
        new = edit(lines, tree, rng)
        if new is None or new == lines:
            continue
        try:
            fresh = parse("".join(new))
        except Exception:
            fresh = None
        kept = update_tree(tree, lines, new, parse)
        if fresh is None:
            assert kept is None, f"{edit.__name__}: text that does not parse was kept current"
            tree = parse("".join(lines))  # the edit is refused; the old text stays
            continue
        if edit in LOCAL:
            assert kept is not None, f"{edit.__name__} (step {step}) fell back to a full parse"
            fast += 1
        if kept is not None:
            assert layout(kept) == layout(fresh), f"{edit.__name__} (step {step}) left a different tree"
        if edit is _anchor:
            assert kept is None  # anchors are never kept current entry by entry
            tree = parse("".join(lines))  # and their callers parse such a text whole every time: go on without it
            continue
        lines, tree = new, (kept if kept is not None else fresh)
    assert fast >= (25 if parser == "loader" else 14)


def _problems(problems):
    return [(p.file, p.line, p.column, p.message, p.severity) for p in problems]


def test_loading_after_edits_reports_what_a_fresh_load_reports(sample, tmp_path):
    shutil.copytree(ROOT / "lists", tmp_path / "lists")
    path = tmp_path / "sources.yaml"
    path.write_text(sample, encoding="utf-8")
    rng = random.Random(7)
    loader.forget_kept()
    loader.load_with_problems(path)  # the cut list has errors of its own (owners cut off): they must stay put too
    lines = sample.splitlines(keepends=True)
    data = parse_yaml(sample)
    outlets = _entries(lines, data, "outlets")
    breakers = [
        lambda line: line.split(":", 1)[0] + ": XX\n" if line.lstrip().startswith("country:") else None,
        lambda line: line.split(":", 1)[0] + ": no-such-owner\n" if line.lstrip().startswith("owner:") else None,
        lambda line: line.split(":", 1)[0] + ": 2022-13-45\n" if line.lstrip().startswith("since:") else None,
    ]
    for step in range(12):
        start, end = outlets[rng.randrange(len(outlets))]
        new = list(lines)
        for i in range(start, end):
            changed = breakers[step % len(breakers)](new[i])
            if changed:
                new[i] = changed
                break
        if step % 4 == 3:  # and move every entry below by a few lines
            new = new[:start] + ["# moved\n", "# down\n"] + new[start:]
        contents = "".join(new).encode("utf-8")
        kept_registry, kept_problems = loader.load_with_problems(path, contents=contents)
        loader.forget_kept()
        fresh_registry, fresh_problems = loader.load_with_problems(path, contents=contents)
        assert _problems(kept_problems) == _problems(fresh_problems), f"step {step}"
        assert kept_registry.outlets == fresh_registry.outlets and kept_registry.owners == fresh_registry.owners
        assert kept_registry.hosts == fresh_registry.hosts and kept_registry.etag == fresh_registry.etag
        if step % 2:
            lines = new  # keep some broken entries: later edits must move their problems with them
            path.write_bytes(contents)
            loader.load_with_problems(path)


def test_a_file_with_anchors_is_parsed_whole_every_time(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text((ROOT / "tests" / "data" / "sources-small.yaml").read_text(encoding="utf-8")
                    .replace("kind: state", "kind: &kind state", 1), encoding="utf-8")
    loader.forget_kept()
    loader.load_with_problems(path)
    assert str(path) not in kept.Kept.shared().trees


def test_the_editor_follows_another_process_edits_entry_by_entry(tmp_path):
    """A second server worker (or a hand edit) changed the file: the curator's kept document follows the new
    text by parsing only the changed entries, and edits on it write what a fresh document would write."""
    from masthead.curation import Curator
    from masthead.curation.yamldoc import YamlDoc

    sample = (ROOT / "tests" / "data" / "sources-small.yaml").read_text(encoding="utf-8")
    path = tmp_path / "sources.yaml"
    path.write_text(sample, encoding="utf-8")
    ours, theirs = Curator(path), Curator(path)
    ours.prepare()
    kept_doc = ours._cached[1]
    outlets = YamlDoc(sample).data["outlets"]
    first, second = outlets[1]["id"], outlets[-1]["id"]
    theirs.update("outlets", first, {"note": "Edited by the other worker."}, who="t", replace=False)
    ours.update("outlets", second, {"note": "Edited here after it."}, who="t", replace=False)
    assert ours._cached[1] is kept_doc  # followed, not parsed again
    text = path.read_text(encoding="utf-8")
    assert "Edited by the other worker." in text and "Edited here after it." in text
    assert layout(kept_doc.data) == layout(YamlDoc(text).data)


def test_each_owner_keeps_its_own_loads(tmp_path):
    """A server's live list and its curator share what their loads keep; another owner of the same file does not
    see it (no process-global caches, issue 21)."""
    from masthead.registry import Kept, LiveSources

    path = tmp_path / "sources.yaml"
    path.write_text((ROOT / "tests" / "data" / "sources-small.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    live, other = LiveSources(path, check_interval=0), Kept()
    assert str(path) in live.kept.trees and str(path) in live.kept.built
    loader.load_with_problems(path, kept=other)
    assert other.trees[str(path)][2] is not live.kept.trees[str(path)][2]  # each its own tree
    live.kept.forget()
    assert not live.kept.trees and str(path) in other.trees
