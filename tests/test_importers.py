"""Imports of published lists (the shared samples, read in place), subscriptions, and their provenance."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from masthead.cli import cli
from masthead.curation.importers import country_code, resource_hosts, ru_date, tld_country, website_host
from masthead.registry import load, validate
from servers import SHARED

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = SHARED / "data"
SMALL = Path(__file__).parent / "data" / "sources-small.yaml"
SAMPLES = {
    "state-media-matrix": SHARED_DATA / "state-media-matrix" / "State_Media_Matrix.csv",
    "ru-foreign-agents": SHARED_DATA / "ru-foreign-agents" / "registry.csv",
    "opensources": SHARED_DATA / "opensources" / "sources.json",
}
needs_samples = pytest.mark.skipif(not all(p.exists() for p in SAMPLES.values()), reason="../shared/data samples not present")

# Curated entries that the samples also list: the curated ones must win.
CURATED_EXTRA = """\
  - id: rt-curated
    name: RT
    country: RU
    domains: [rt.com]
    ownership_note: curated in this test to collide with the lists
  - id: the-bell-curated
    name: The Bell
    country: RU
    domains: [thebell.io]
    ownership_note: curated in this test to collide with the lists
  - id: holod-curated
    name: Kholod
    country: RU
    domains: [holod.media]
    ownership_note: curated in this test to collide with the lists
"""

# What each importer prints on its shared sample (with CURATED_EXTRA in the curated list).
EXPECTED = {
    "state-media-matrix": {
        "summary": "state-media-matrix: 1157 rows -> added 961, updated 0, unchanged 0, removed 0, skipped 189, conflicts 7 (curated entries win)",
        "skipped": ["skipped 101: another asset on a website already imported", "skipped 82: no website",
                    "skipped 4: typology missing or marked uncertain (e.g. 'ISFM?')",
                    "skipped 1: a social network or platform page, not a website", "skipped 1: no typology"],
    },
    "ru-foreign-agents": {
        # Media entries only (issue 12): associations, NGOs and people with a website are skipped, and so is The Bell,
        # whose entry under the 2022 law neither names nor hosts it as a medium (the curated entry covers it).
        "summary": "ru-foreign-agents: 763 rows -> added 24, updated 0, unchanged 0, removed 0, skipped 738, conflicts 1 (curated entries win)",
        "skipped": ["skipped 713: no website among its information resources",
                    "skipped 25: not a media entry (an association, NGO or person with a website)"],
    },
    "opensources": {
        "summary": "opensources: 825 rows -> added 805, updated 0, unchanged 0, removed 0, skipped 19, conflicts 1 (curated entries win)",
        "skipped": ["skipped 16: a social network or platform page, not a website", "skipped 2: not a URL",
                    "skipped 1: duplicate domain"],
    },
}


@pytest.fixture
def curated(tmp_path) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(SMALL.read_text() + CURATED_EXTRA, encoding="utf-8")
    assert not [p for p in validate(path) if p.severity == "error"]
    return path


def run(runner, *args):
    result = runner.invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def read_yaml(path: Path):
    yaml = YAML(typ="safe")
    return yaml.load(path.read_text(encoding="utf-8"))


@needs_samples
@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_each_importer_on_its_shared_sample(runner, curated, fmt):
    before = curated.read_text()
    output = run(runner, "import", fmt, SAMPLES[fmt], "--sources", curated, "--retrieved", "2025-06-01")
    lines = output.splitlines()
    assert lines[0] == EXPECTED[fmt]["summary"], output[:2000]
    assert [l.strip() for l in lines if l.strip().startswith("skipped ")] == EXPECTED[fmt]["skipped"]
    conflicts = [l for l in lines if l.strip().startswith("conflict:")]
    assert conflicts and all("curated outlet" in c and "left out" in c for c in conflicts)

    list_file = curated.parent / "lists" / f"{fmt}.yaml"
    assert lines[-1] == f"wrote {list_file} and added it to include:"
    # The curated part is untouched: the only change is the include line.
    after = curated.read_text()
    assert after.replace(f"include:\n  - lists/{fmt}.yaml\n", "") == before
    registry = load(curated)
    assert registry.outlets["rt-curated"].curated and registry.match_url("https://rt.com/news/1").outlet.id == "rt-curated"
    data = read_yaml(list_file)
    assert data["list"]["name"] == fmt and str(data["list"]["retrieved"]) == "2025-06-01"
    imported = [o for o in registry.outlets.values() if not o.curated]
    assert len(imported) == int(EXPECTED[fmt]["summary"].split("added ")[1].split(",")[0])
    for outlet in imported:
        for label in outlet.labels:  # provenance on every imported label
            assert label.list == fmt and label.retrieved == "2025-06-01" and label.sources == (data["list"]["url"],)
            assert label.issuer == data["list"]["issuer"]

    again = run(runner, "import", fmt, SAMPLES[fmt], "--sources", curated, "--retrieved", "2025-07-01")
    added = EXPECTED[fmt]["summary"].split("added ")[1].split(",")[0]
    assert f"added 0, updated 0, unchanged {added}, removed 0" in again.splitlines()[0]
    assert read_yaml(list_file)["outlets"] == data["outlets"]


@needs_samples
def test_state_media_matrix_labels(runner, curated):
    run(runner, "import", "state-media-matrix", SAMPLES["state-media-matrix"], "--sources", curated, "--retrieved", "2025-06-01")
    registry = load(curated)
    outlet = registry.match_url("https://bakhtarnews.af/en/some-story").outlet
    assert (outlet.name, outlet.country, outlet.curated) == ("Bakhtar News Agency", "AF", False)
    label = outlet.labels[0]
    # A rating as of the copy's own date (its commit in the ASD repository), never dated by the day it was read.
    assert (label.type, label.issuer, label.jurisdiction, label.since, label.as_of, label.instrument) == (
        "state-controlled", "State Media Monitor via the Alliance for Securing Democracy's State Media Profiles", "INT",
        None, "2023-08", "State Media Matrix typology SC")
    assert label.sources == ("https://github.com/ASD-at-GMF/state-media-profiles",) and label.retrieved == "2025-06-01"
    provenance = read_yaml(curated.parent / "lists" / "state-media-matrix.yaml")["list"]
    assert (str(provenance["snapshot"]), str(provenance["retrieved"])) == ("2023-08-24", "2025-06-01")
    assert "d91150805c0dcd0262bf6d269b5ea8dc5d4a92cf" in provenance["snapshot_basis"]
    types = {l.type for o in registry.outlets.values() if not o.curated for l in o.labels}
    assert types == {"state-controlled", "captured-public", "captured-private", "independent-state-funded-managed",
                     "independent-state-funded", "independent-state-managed", "independent-public"}


@needs_samples
def test_a_matrix_copy_of_unknown_date_needs_its_date(runner, curated, tmp_path):
    copy = tmp_path / "State_Media_Matrix.csv"
    lines = SAMPLES["state-media-matrix"].read_text(encoding="utf-8").splitlines(keepends=True)
    copy.write_text("".join(lines[:40]), encoding="utf-8")  # a different copy: its date is not known
    refused = runner.invoke(cli, ["import", "state-media-matrix", str(copy), "--sources", str(curated)])
    assert refused.exit_code != 0 and "--snapshot" in refused.output
    run(runner, "import", "state-media-matrix", copy, "--sources", curated, "--snapshot", "2025-03", "--retrieved", "2026-01-02")
    labels = [l for o in load(curated).outlets.values() if not o.curated for l in o.labels]
    assert labels and {(l.as_of, l.since) for l in labels} == {("2025-03", None)}


@needs_samples
def test_foreign_agent_register_dates_and_websites(runner, curated):
    run(runner, "import", "ru-foreign-agents", SAMPLES["ru-foreign-agents"], "--sources", curated, "--retrieved", "2025-06-01")
    registry = load(curated)
    ovd = registry.match_url("https://ovdinfo.org/news").outlet
    label = ovd.labels[0]
    assert (label.type, label.issuer, label.jurisdiction) == ("foreign-agent", "Ministry of Justice of the Russian Federation", "RU")
    assert label.sources == ("https://minjust.gov.ru/ru/documents/7755/",)
    assert ovd.domains == ("ovdinfo.org",)  # its VK, Telegram, Facebook ... profiles are not its website
    # A movement with a website is not a media entry of the register (issue 12: media entries only).
    assert registry.match_url("https://spb-vesna.ru/") is None
    verstka = registry.match_url("https://verstka.media/").outlet
    assert verstka.domains == ("verstka.media",) and verstka.country == "INT" and verstka.labels[0].since == "2023-12-22"


def test_foreign_agent_exclusion_becomes_until_and_a_reinclusion_a_second_label(runner, curated, tmp_path):
    header = SAMPLES["ru-foreign-agents"].read_text(encoding="utf-8-sig").splitlines()[0] if SAMPLES["ru-foreign-agents"].exists() else (
        "№ п/п,Полное наименование/ФИО,Дата рождения,ОГРН,ИНН,Регистрационный номер,СНИЛС,Адрес (место нахождения),"
        "Информационный ресурс,Полное наименование/ФИО участников,Основания включения,"
        "Дата принятия решения о включении,Дата принятия решения об исключении")
    table = tmp_path / "register.csv"
    table.write_text(header + "\n"
                     "1,Интернет-издание «Пример»,,,,,,,https://primer.ru; https://vk.com/primer,,Статья 9,01.02.2021,15.03.2022\n"
                     "2,Интернет-издание «Пример»,,,,,,,https://www.primer.ru/,,Статья 9,20.05.2023,\n"
                     "3,Иванов И. И.,,,,,,,,,Статья 9,01.01.2024,\n", encoding="utf-8")
    output = run(runner, "import", "ru-foreign-agents", table, "--sources", curated, "--retrieved", "2025-06-01")
    assert output.splitlines()[0].startswith("ru-foreign-agents: 3 rows -> added 1,")
    outlet = load(curated).match_url("https://primer.ru/").outlet
    assert [(l.since, l.until, l.instrument) for l in outlet.labels] == [
        ("2021-02-01", "2022-03-15", "Статья 9"), ("2023-05-20", None, "Статья 9")]
    assert outlet.labels[0].until_sources == ("https://minjust.gov.ru/ru/documents/7755/",)  # the register records the end
    assert outlet.country == "RU" and outlet.domains == ("primer.ru",)


@needs_samples
def test_opensources_ratings_are_notes_never_labels(runner, curated):
    run(runner, "import", "opensources", SAMPLES["opensources"], "--sources", curated, "--retrieved", "2025-06-01")
    registry = load(curated)
    imported = [o for o in registry.outlets.values() if not o.curated]
    assert imported and all(not o.labels for o in imported)
    outlet = registry.match_url("https://100percentfedup.com/x").outlet
    assert outlet.note.startswith("Rated 'bias' by OpenSources (https://github.com/OpenSourcesGroup/opensources).")
    assert "not a fact about control or legal status" in outlet.note


@needs_samples
def test_dry_run_prints_the_diff_and_writes_nothing(runner, curated):
    before = curated.read_bytes()
    output = run(runner, "import", "ru-foreign-agents", SAMPLES["ru-foreign-agents"], "--sources", curated, "--dry-run",
                 "--retrieved", "2025-06-01")
    assert "+++ b/lists/ru-foreign-agents.yaml" in output and "+    - id: ovdinfo-org" in output.replace("  - id: ovdinfo-org", "    - id: ovdinfo-org")
    assert "+  - lists/ru-foreign-agents.yaml" in output
    assert "ru-foreign-agents: 763 rows -> added 24," in output and output.rstrip().endswith("dry run: nothing was written")
    assert curated.read_bytes() == before and not (curated.parent / "lists").exists() or not list((curated.parent / "lists").iterdir())


def test_generic_csv_with_a_column_mapping(runner, curated, tmp_path):
    table = tmp_path / "regulator.csv"
    table.write_text(
        "Outlet,Site,Country,Decision date,Lifted,Decision\n"
        "Example TV,https://www.example-tv.example/live,United Kingdom,03.05.2022,,Licence revoked\n"
        "Other Radio,other-radio.example,Germany,2021-11,2023-02-01,Licence revoked\n"
        "Bad Row,,Germany,2021,,x\n"
        "Collides,rt.com,Russia,2022,,x\n",
        encoding="utf-8",
    )
    output = run(runner, "import", "csv", table, "--sources", curated, "--name", "regulator", "--issuer", "Example Regulator",
                 "--url", "https://regulator.example/decisions", "--retrieved", "2025-06-01",
                 "--map", "name=Outlet", "--map", "url=Site", "--map", "country=Country", "--map", "since=Decision date",
                 "--map", "until=Lifted", "--map", "instrument=Decision", "--map", "type==licence-revoked",
                 "--map", "jurisdiction==GB")
    assert output.splitlines()[0] == ("csv: 4 rows -> added 2, updated 0, unchanged 0, removed 0, skipped 1, conflicts 1 "
                                      "(curated entries win)")
    registry = load(curated)
    tv = registry.match_url("https://example-tv.example/").outlet
    label = tv.labels[0]
    assert (tv.country, label.type, label.since, label.issuer, label.jurisdiction, label.list) == (
        "GB", "licence-revoked", "2022-05-03", "Example Regulator", "GB", "regulator")
    radio = registry.outlets["other-radio-example"].labels[0]
    assert (radio.since, radio.until, radio.sources) == ("2021-11", "2023-02-01", ("https://regulator.example/decisions",))
    assert (curated.parent / "lists" / "regulator.yaml").exists()


@pytest.mark.parametrize("args,message", [
    (["--map", "name=Outlet"], "--map needs domain=COLUMN"),
    (["--map", "url=Site", "--map", "colour=Red"], "unknown field"),
    (["--map", "url=Nope", "--map", "type==blocked"], "no column"),
])
def test_generic_csv_mapping_errors(runner, curated, tmp_path, args, message):
    table = tmp_path / "t.csv"
    table.write_text("Outlet,Site\nA,a.example\n")
    result = runner.invoke(cli, ["import", "csv", str(table), "--sources", str(curated), "--issuer", "X",
                                 "--url", "https://x.example/list", *args])
    assert result.exit_code != 0 and message in result.output


@needs_samples
def test_update_lists_from_a_local_http_server_and_a_local_file(runner, curated):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(SHARED_DATA))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        text = curated.read_text().replace("version: 1\n", (
            "version: 1\n"
            "lists:\n"
            "  - name: state-media-matrix\n"
            "    format: state-media-matrix\n"
            f"    url: http://127.0.0.1:{port}/state-media-matrix/State_Media_Matrix.csv\n"
            "  - name: ru-foreign-agents\n"
            "    format: ru-foreign-agents\n"
            f"    file: {SAMPLES['ru-foreign-agents']}\n"
        ), 1)
        curated.write_text(text)
        refused = runner.invoke(cli, ["update-lists", "--sources", str(curated), "--only", "state-media-matrix"])
        assert refused.exit_code != 0 and "refused" in refused.output  # a private address needs --allow-network
        output = run(runner, "update-lists", "--sources", curated, "--allow-network", "127.0.0.1/32")
        assert EXPECTED["state-media-matrix"]["summary"].split(" -> ")[1].split(",")[0] in output
        assert "ru-foreign-agents: 763 rows -> added 24," in output
        registry = load(curated)
        assert {Path(f).name for f in registry.files} == {"sources.yaml", "state-media-matrix.yaml", "ru-foreign-agents.yaml"}
        again = run(runner, "update-lists", "--sources", curated, "--only", "ru-foreign-agents")
        assert "added 0, updated 0, unchanged 24" in again and "state-media-matrix:" not in again
    finally:
        server.shutdown()
        server.server_close()


def test_update_lists_reports_a_list_that_cannot_be_fetched(runner, curated):
    curated.write_text(curated.read_text().replace("version: 1\n", (
        "version: 1\nlists:\n  - name: gone\n    format: opensources\n    url: http://127.0.0.1:9/sources.json\n"), 1))
    result = runner.invoke(cli, ["update-lists", "--sources", str(curated)])
    assert result.exit_code != 0 and "failed: gone:" in result.output


def test_an_import_never_writes_into_the_curated_file(runner, curated):
    result = runner.invoke(cli, ["import", "opensources", str(SAMPLES["opensources"]), "--sources", str(curated),
                                 "--into", "sources.yaml"])
    assert result.exit_code != 0 and "never goes into the curated file" in result.output


# --- the parsing helpers, table-driven ----------------------------------------------------------


@pytest.mark.parametrize("text,expected", [
    ("27.06.2013", "2013-06-27"), ("5.6.2014", "2014-06-05"), ("31.02.2020", None), ("2013-06-27", None), ("", None),
])
def test_ru_date(text, expected):
    assert ru_date(text) == expected


@pytest.mark.parametrize("cell,hosts", [
    ("https://www.idelreal.org", ["idelreal.org"]),
    ("https://ovdinfo.org; https://www.facebook.com/ovdinfo; https://t.me/ovdinfo; https://ovdinfo.medium.com", ["ovdinfo.org"]),
    ("http://twitter.com/agents_mediahttp://www.facebook.com/1https://www.agents.mediahttps://t.me/agentstvonews", ["agents.media"]),
    ("www.center-r.com; https://center-r.info/; http://rescenter-ekb.tilda.ws/", ["center-r.com", "center-r.info"]),
    ("«Twitter» https://twitter.com/femagainstwar «Telegram» https://t.me/femagainstwar", []),
    ("youtube.com/@true_russia,truerussia.org,t.me/s/owglobal", ["truerussia.org"]),
])
def test_resource_hosts(cell, hosts):
    assert resource_hosts(cell)[0] == hosts


@pytest.mark.parametrize("text,expected", [
    ("https://www.hewad.com/", "hewad.com"), ("www.bayontv.com.kh", "bayontv.com.kh"), ("http://www.bbs.bt/news/", "bbs.bt"),
    ("https://www.facebook.com/x", None), ("", None), ("blogspot.com", None),
])
def test_website_host(text, expected):
    assert website_host(text)[0] == expected


@pytest.mark.parametrize("name,code", [
    ("Afghanistan", "AF"), ("Russia", "RU"), ("Turkey", "TR"), ("DR Congo", "CD"), ("UAE", "AE"), ("Europen Union", "EU"),
    ("Palestine territories", "PS"), ("United States of America", "US"), ("Atlantis", None), ("", None),
])
def test_country_code(name, code):
    assert country_code(name) == code


@pytest.mark.parametrize("host,country", [("spb-vesna.ru", "RU"), ("currenttime.tv", None), ("example.org", None),
                                          ("bbc.co.uk", "GB"), ("xn--80aswg.xn--p1ai", "RU")])
def test_tld_country(host, country):
    assert tld_country(host) == country
