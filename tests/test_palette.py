"""Label kinds and their colours have one source (registry.vocabulary.KIND_STYLES): every copy the browser needs is
written from it by scripts/make_palette.py, and this test fails when one is out of step (issue 21)."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("make_palette", ROOT / "scripts" / "make_palette.py")
make_palette = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_palette)


@pytest.mark.parametrize("path", list(make_palette.FILES), ids=lambda p: p.name)
def test_every_copy_is_in_step_with_the_vocabulary(path):
    text = path.read_text(encoding="utf-8")
    assert make_palette.FILES[path](text) == text, f"run: python scripts/make_palette.py ({path.name} is out of step)"


@pytest.mark.parametrize("path", list(make_palette.FILES), ids=lambda p: p.name)
def test_a_changed_colour_is_written_back(path):
    from masthead.registry.vocabulary import KIND_STYLES

    text = path.read_text(encoding="utf-8")
    colour = KIND_STYLES["restriction"]["light"]
    drifted = text.replace(colour, "#123456", 1)
    assert drifted != text and make_palette.FILES[path](drifted) == text
