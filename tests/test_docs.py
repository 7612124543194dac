"""The docs stay true: every command, setting and label type is documented where a reader looks."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from masthead.cli import cli
from masthead.config import SETTINGS
from masthead.registry.vocabulary import LABEL_TYPES

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_with_an_example_and_is_in_the_readme(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output, f"`masthead {name} --help` should show an example"
    assert f"masthead {name}" in README, f"README should mention `masthead {name}`"


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env)
def test_every_setting_is_in_the_readme(setting):
    assert setting.env in README


def test_every_label_type_is_documented():
    labels_doc = (ROOT / "docs" / "LABELS.md").read_text(encoding="utf-8")
    for label_type in LABEL_TYPES:
        assert f"| `{label_type}` |" in labels_doc


def test_readme_has_exactly_three_setup_commands():
    setup = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    assert setup.count("```sh") == 3  # install and serve, test, serve while following the list's feeds (issue 22)
    assert "masthead serve" in setup and "scripts/test" in setup and "masthead serve --follow" in setup
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/test" in ci
