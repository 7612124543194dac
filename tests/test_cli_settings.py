"""Every command that reads the source list honours MASTHEAD_SOURCES, and --db keeps a URL a URL."""

import json
import shutil
from pathlib import Path

import pytest

from masthead.cli import cli
from servers import SHARED

DATA = Path(__file__).parent / "data"
SMALL = DATA / "sources-small.yaml"
SMM = SHARED / "data" / "state-media-matrix" / "State_Media_Matrix.csv"


@pytest.fixture
def env_sources(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "sources.yaml"
    shutil.copy(SMALL, path)
    monkeypatch.setenv("MASTHEAD_SOURCES", str(path))
    return path


def test_validate_lookup_stats_and_export_read_the_list_the_variable_names(runner, env_sources):
    validated = runner.invoke(cli, ["validate"])
    assert validated.exit_code == 0 and str(env_sources) in validated.output
    looked_up = runner.invoke(cli, ["lookup", "https://statenews.example/a", "--json"])
    assert looked_up.exit_code == 0, looked_up.output
    assert json.loads(looked_up.output)["outlet"]["id"] == "statenews"  # only the small test list knows this outlet
    stats = runner.invoke(cli, ["stats", "--json"])
    assert json.loads(stats.output)["outlets"] == len(json.loads(runner.invoke(cli, ["export"]).output)["outlets"])


def test_ingest_attributes_with_the_list_the_variable_names(runner, env_sources, tmp_path):
    result = runner.invoke(cli, ["ingest", str(DATA / "articles-small.jsonl"), "--db", str(tmp_path / "c.db"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] > 0


@pytest.mark.skipif(not SMM.exists(), reason="../shared is not beside the project")
def test_import_and_update_lists_write_next_to_the_list_the_variable_names(runner, env_sources):
    result = runner.invoke(cli, ["import", "state-media-matrix", str(SMM), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "State Media" in result.output and not list(env_sources.parent.glob("lists/*.yaml"))  # a dry run writes nothing
    updated = runner.invoke(cli, ["update-lists", "--dry-run"])
    assert updated.exit_code == 0 and "no lists to update" in updated.output


def test_a_database_url_is_never_taken_for_a_file_path(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["search", "anything", "--db", "mysql://user@host/db"])
    assert result.exit_code != 0 and "unknown database scheme 'mysql://'" in result.output
    assert not any(tmp_path.iterdir())  # no folder named "mysql:" appeared
