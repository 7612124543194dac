"""The issuers' registers as importers (issue 25): each on fixtures cut from its real published file."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from masthead.cli import cli
from masthead.curation.importers import FORMATS, load_register_mapping, parse_date
from masthead.registry import load
from masthead.registry.audit import list_freshness

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "registers"
SMALL = Path(__file__).parent / "data" / "sources-small.yaml"
MAPPING = ROOT / "lists" / "register-mapping.yaml"
SYNTHETIC = DATA / "mapping-synthetic.yaml"


@pytest.fixture
def curated(tmp_path) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(SMALL.read_text(), encoding="utf-8")
    (tmp_path / "lists").mkdir()
    shutil.copy(MAPPING, tmp_path / "lists" / "register-mapping.yaml")  # the bundled, curated mapping
    return path


def run(runner, *args) -> str:
    result = runner.invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def read(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


# What each importer finds in its fixture: the summary, the new outlets, the reasons entries were left out.
EXPECTED = {
    "ru-foreign-agents": ("ru-foreign-agents-2024-10-01.json", None, {
        "summary": "ru-foreign-agents: 7 rows -> added 5, updated 0, unchanged 0, removed 0, skipped 2, conflicts 0 (curated entries win)",
        "new": ["severreal-org (severreal.org)", "zona-media (zona.media)", "tayga-info (tayga.info)", "ru-wikimedia-org (ru.wikimedia.org)",
                "sobesednik-ru (sobesednik.ru, sobes.press, sobesednik.com)"],
        "skipped": ["not a media entry (an association, NGO or person with a website)", "a person (personal data is not imported)"],
    }),
    "ru-undesirable": ("ru-undesirable-2024-09-05.json", None, {
        "summary": "ru-undesirable: 6 rows -> added 4, updated 0, unchanged 0, removed 0, skipped 2, conflicts 0 (curated entries win)",
        "new": ["proekt-media (proekt.media)", "meduza-io (meduza.io)", "tvrain-tv (tvrain.tv)", "rferl-org (rferl.org)"],
        "skipped": ["not a media organisation", "a media organisation the mapping does not give a website for"],
    }),
    "fara": ("fara-principals-2025-04-10.csv", None, {
        "summary": "fara: 40 rows -> added 9, updated 0, unchanged 0, removed 0, skipped 26, conflicts 0 (curated entries win)",
        "new": ["rt-com (rt.com)", "cgtn-com (cgtn.com)", "xinhuanet-com (xinhuanet.com)", "sputnikglobe-com (sputnikglobe.com)",
                "presstv-ir (presstv.ir)", "trtworld-com (trtworld.com)", "kbs-co-kr (kbs.co.kr)", "nhk-or-jp (nhk.or.jp)",
                "chinadaily-com-cn (chinadaily.com.cn)"],
        "skipped": ["not a foreign media principal"],
    }),
    "ofac-sdn": ("ofac-sdn.xml", SYNTHETIC, {
        "summary": "ofac-sdn: 3 rows -> added 1, updated 0, unchanged 0, removed 0, skipped 2, conflicts 0 (curated entries win)",
        "new": ["example-state-tv-example (example-state-tv.example)"],
        "skipped": ["not a media entity", "a person (personal data is not imported)"],
    }),
    "uk-sanctions": ("uk-sanctions-1.xml", None, {
        "summary": "uk-sanctions: 5 rows -> added 2, updated 0, unchanged 0, removed 0, skipped 3, conflicts 0 (curated entries win)",
        "new": ["example-news-agency-example (example-news-agency.example)", "example-channel-example (example-channel.example)"],
        "skipped": ["not a media entity", "a person (personal data is not imported)"],
    }),
    "eu-sanctions": ("eu-sanctions.xml", None, {
        "summary": "eu-sanctions: 3 rows -> added 1, updated 0, unchanged 0, removed 0, skipped 2, conflicts 0 (curated entries win)",
        "new": ["example-information-agency-example (example-information-agency.example)"],
        "skipped": ["not a media entity", "a person (personal data is not imported)"],
    }),
}

# Text of the fixtures that is personal data (or a registrant's name and address): never in a list file.
PERSONAL = {
    "ru-foreign-agents": ["ИНН", "ОГРН", "СНИЛС"],
    "fara": ["Yuram Abdullah Weiler", "Maffick", "Borovaya", "Zubovsky", "Poliakoff"],
    "ofac-sdn": ["MESRI", "Behzad", "Marsh Wall", "1 Example Street"],
    "uk-sanctions": ["EXAMPLEOV", "1970", "Ansari Market", "0000000000"],
    "eu-sanctions": ["Saddam", "1937", "Presnenskaya", "1 Example Street"],
}


@pytest.mark.parametrize("fmt", sorted(EXPECTED))
def test_each_register_on_its_fixture(runner, curated, fmt):
    file, mapping, expected = EXPECTED[fmt]
    extra = ["--mapping-file", mapping] if mapping else []
    output = run(runner, "import", fmt, DATA / file, "--sources", curated, "--retrieved", "2026-12-07", *extra)
    lines = output.splitlines()
    assert lines[0] == expected["summary"]
    assert [l.strip()[len("new: "):] for l in lines if l.strip().startswith("new: ")] == expected["new"]
    assert [l.strip().split(": ", 1)[1] for l in lines if l.strip().startswith("skipped ")] == expected["skipped"]

    list_file = curated.parent / "lists" / f"{fmt}.yaml"
    text = list_file.read_text(encoding="utf-8")
    for personal in PERSONAL.get(fmt, []):
        assert personal not in text, personal
    if fmt == "ru-foreign-agents":  # the register's people: neither their names nor their birth dates
        people = [r for r in json.loads((DATA / file).read_text(encoding="utf-8")) if r["dob"].strip()]
        assert people and all(r["fullName"].strip() not in text and r["dob"].strip() not in text for r in people)
    data = read(list_file)
    provenance = data["list"]
    assert (provenance["issuer"], provenance["url"], str(provenance["retrieved"])) == (
        FORMATS[fmt].issuer, FORMATS[fmt].url, "2026-12-07")
    assert provenance["licence"] == FORMATS[fmt].licence and provenance["cadence_days"] == FORMATS[fmt].cadence_days
    assert str(provenance["snapshot"]) != "2026-12-07"  # the list's own date, never the day it was read
    registry = load(curated)
    for outlet in (o for o in registry.outlets.values() if not o.curated):
        for label in outlet.labels:
            assert label.since != "2026-12-07" and label.retrieved == "2026-12-07" and label.list == fmt
            assert label.issuer == FORMATS[fmt].issuer and label.sources
            assert not label.until or label.until_sources

    again = run(runner, "import", fmt, DATA / file, "--sources", curated, "--retrieved", "2026-12-08", *extra)
    assert f"added 0, updated 0, unchanged {len(expected['new'])}, removed 0" in again.splitlines()[0]


def test_fara_dates_filing_url_and_latin1(runner, curated):
    run(runner, "import", "fara", DATA / "fara-principals-2025-04-10.csv", "--sources", curated, "--retrieved", "2026-12-07")
    registry = load(curated)
    rt = registry.match_url("https://rt.com/news/1").outlet
    assert (rt.name, rt.country) == ("RT", "RU")
    spans = sorted((l.since, l.until, l.instrument) for l in rt.labels)
    assert spans == [
        ("2017-11-10", "2022-09-30", "FARA registration No. 6485, foreign principal: ANO TV-Novosti"),
        ("2017-12-11", "2018-08-31", "FARA registration No. 6496, foreign principal: ANO TV-Novosti"),
        ("2021-12-20", "2022-02-28", "FARA registration No. 7063, foreign principal: ANO TV-Novosti"),
    ]
    first = min(rt.labels, key=lambda l: l.since)
    assert first.sources == ("https://efile.fara.gov/ords/fara/f?p=1381:200:::NO:RP,200:P200_REG_NUMBER:6485",
                             "https://efile.fara.gov/bulk/zip/FARA_All_ForeignPrincipals.csv.zip")
    xinhua = registry.match_url("https://xinhuanet.com/").outlet
    assert [(l.since, l.until) for l in xinhua.labels] == [("2021-05-05", None)]  # still registered
    # CGTN: a radio group's short registration for the principal "CGTN", and CGTN America's own (MediaLinks TV,
    # principal "CCTV"), which only the mapping's registration number ties to cgtn.com.
    cgtn = registry.match_url("https://cgtn.com/").outlet
    assert sorted((l.since, l.until, l.instrument) for l in cgtn.labels) == [
        ("2019-08-02", None, "FARA registration No. 6633, foreign principal: CCTV"),
        ("2021-12-16", "2021-12-31", "FARA registration No. 7059, foreign principal: China Global Television Network (CGTN)"),
    ]
    # The principal with a Latin-1 name was read (and left out as not a medium), not refused as undecodable.
    assert "FARA_All_ForeignPrincipals" in read(curated.parent / "lists" / "fara.yaml")["list"]["url"]


def test_a_zipped_download_is_read(runner, curated, tmp_path):
    import zipfile

    archive = tmp_path / "FARA_All_ForeignPrincipals.csv.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(DATA / "fara-principals-2025-04-10.csv", "FARA_All_ForeignPrincipals.csv")
    output = run(runner, "import", "fara", archive, "--sources", curated, "--dry-run")
    assert EXPECTED["fara"][2]["summary"] in output.splitlines()


def test_fara_registrants_file(runner, curated):
    output = run(runner, "import", "fara", DATA / "fara-registrants-2025-04-10.csv", "--sources", curated, "--retrieved", "2026-12-07")
    assert output.splitlines()[0].startswith("fara: 7 rows -> added 2,")  # Xinhua's and China Daily's own registrants
    text = (curated.parent / "lists" / "fara.yaml").read_text(encoding="utf-8")
    assert "1540 Broadway" not in text and "Traville" not in text  # registrants' addresses are not copied
    label = load(curated).match_url("https://xinhuanet.com/").outlet.labels[0]
    assert (label.since, label.until, label.instrument) == ("2021-05-05", None, "FARA registration No. 6958")
    assert load(curated).match_url("https://chinadaily.com.cn/").outlet.labels[0].since == "1983-04-19"


def test_russian_register_exclusion_becomes_until_between_two_snapshots(runner, curated):
    run(runner, "import", "ru-foreign-agents", DATA / "ru-foreign-agents-2024-07-27.json", "--sources", curated,
        "--retrieved", "2024-08-01")
    before = load(curated)
    assert [(l.since, l.until) for l in before.match_url("https://tayga.info/").outlet.labels] == [("2023-05-05", None)]
    assert before.match_url("https://sobesednik.ru/") is None
    # Mediazona's publisher has no website in the register: the curated mapping names it, and the register ended it.
    zona = before.match_url("https://zona.media/").outlet
    assert [(l.since, l.until) for l in zona.labels] == [("2021-09-29", "2024-04-12")]
    assert zona.name == "Mediazona" and "Mapped to this website by the curated register mapping" in zona.note

    output = run(runner, "import", "ru-foreign-agents", DATA / "ru-foreign-agents-2024-10-01.json", "--sources", curated,
                 "--retrieved", "2024-10-02")
    assert "  new: sobesednik-ru (sobesednik.ru, sobes.press, sobesednik.com)" in output
    after = load(curated)
    tayga = after.match_url("https://tayga.info/").outlet.labels
    assert [(l.since, l.until, l.until_sources) for l in tayga] == [
        ("2023-05-05", "2024-08-23", ("https://minjust.gov.ru/ru/documents/7755/",))]
    assert after.match_url("https://sobesednik.ru/").outlet.labels[0].since == "2024-09-13"


def test_russian_register_xlsx_export(runner, curated):
    # A cut of the Ministry's real xlsx export (state of 15 August 2025): title, the export's date, header, rows.
    output = run(runner, "import", "ru-foreign-agents", DATA / "ru-foreign-agents-2025-08-15.xlsx", "--sources", curated,
                 "--retrieved", "2026-12-07")
    lines = output.splitlines()
    assert lines[0] == ("ru-foreign-agents: 9 rows -> added 4, updated 0, unchanged 0, removed 0, skipped 5, conflicts 0 "
                        "(curated entries win)")
    assert [l.strip() for l in lines if l.strip().startswith(("new: ", "skipped "))] == [
        "new: prosleduet-media (prosleduet.media)", "new: sobesednik-ru (sobesednik.ru, sobes.press, sobesednik.com)",
        "new: holod-media (holod.media)", "new: tayga-info (tayga.info)",
        "skipped 3: no website among its information resources",  # one person lists only platform pages
        "skipped 1: not a media entry (an association, NGO or person with a website)",
        # The other lists a blog and author pages (moscowtimes.ru among them); its birth date is blanked in the cut,
        # so only the type "Физические лица" tells it is a person.
        "skipped 1: a person (personal data is not imported)"]
    data = read(curated.parent / "lists" / "ru-foreign-agents.yaml")
    assert (str(data["list"]["snapshot"]), data["list"]["snapshot_basis"]) == ("2025-08-15", "the date the register's export states")
    text = (curated.parent / "lists" / "ru-foreign-agents.yaml").read_text(encoding="utf-8")
    # Neither the person (typed "Физические лица") nor the organisations' INN and OGRN columns are read.
    assert "Солонин" not in text and "Канкия" not in text and "7719738470" not in text and "1097746786917" not in text
    registry = load(curated)
    tayga = registry.match_url("https://tayga.info/").outlet.labels[0]
    assert (tayga.since, tayga.until) == ("2023-05-05", "2024-08-23")
    holod = registry.match_url("https://holod.media/").outlet.labels[0]
    assert (holod.since, holod.until) == ("2024-01-12", None) and holod.instrument.startswith("Статья 7 Федерального закона")


def test_an_excluded_entry_without_a_website_ends_on_the_registers_date(runner, curated):
    # 2024-10-01 (the PDF's JSON mirror): Wikimedia RU lists ru.wikimedia.org. 2025-08-08 (the xlsx export): excluded
    # on 07.03.2025, with only video and VK pages left, so it is no longer imported, yet it ends on the register's date.
    run(runner, "import", "ru-foreign-agents", DATA / "ru-foreign-agents-2024-10-01.json", "--sources", curated)
    output = run(runner, "import", "ru-foreign-agents", DATA / "ru-foreign-agents-2025-08-08.xlsx", "--sources", curated)
    assert "  ended: ru-wikimedia-org until 2025-03-07 (the register's exclusion)" in output
    assert "  new: prosleduet-media (prosleduet.media)" in output and "  new: holod-media (holod.media)" in output
    label = load(curated).match_url("https://ru.wikimedia.org/").outlet.labels[0]
    assert (label.since, label.until) == ("2024-03-18", "2025-03-07")
    # A week later the export adds a person and a non-media group and excludes a non-media company: no outlet changes.
    later = run(runner, "import", "ru-foreign-agents", DATA / "ru-foreign-agents-2025-08-15.xlsx", "--sources", curated,
                "--dry-run")
    assert "new:" not in later and "ended:" not in later and "websites changed:" not in later


def test_update_lists_fetches_the_xlsx_export(runner, curated):
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(DATA))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)  # serves .xlsx as the spreadsheet type
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/ru-foreign-agents-2025-08-15.xlsx"
        curated.write_text(curated.read_text().replace("version: 1\n", (
            f"version: 1\nlists:\n  - name: ru-foreign-agents\n    format: ru-foreign-agents\n    url: {url}\n"), 1))
        output = run(runner, "update-lists", "--sources", curated, "--allow-network", "127.0.0.1/32", "--dry-run")
        assert "ru-foreign-agents: 9 rows -> added 4," in output
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("sheet,message", [
    ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" '
     't="inlineStr"><is><t>Budget</t></is></c></row></sheetData></worksheet>', "no title 'Реестр иностранных агентов' and header '№ п/п'"),
    ('<!DOCTYPE w [<!ENTITY a "aaaa">]><worksheet/>', "document type or entity declaration"),
    ("<worksheet><sheetData>", "is not well-formed XML"),
])
def test_an_xlsx_that_is_not_the_register_is_refused(runner, curated, tmp_path, sheet, message):
    import zipfile

    book = tmp_path / "book.xlsx"
    with zipfile.ZipFile(book, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    before = curated.read_bytes()
    result = runner.invoke(cli, ["import", "ru-foreign-agents", str(book), "--sources", str(curated)])
    assert result.exit_code != 0 and message in result.output
    assert curated.read_bytes() == before and sorted(p.name for p in (curated.parent / "lists").iterdir()) == ["register-mapping.yaml"]


def test_undesirable_register_and_curated_outlets_it_covers(runner, curated):
    curated.write_text(curated.read_text() + (
        "  - id: meduza-curated\n    name: Meduza\n    country: LV\n    domains: [meduza.io]\n"
        "    ownership_note: curated in this test\n"), encoding="utf-8")
    output = run(runner, "import", "ru-undesirable", DATA / "ru-undesirable-2024-09-05.json", "--sources", curated,
                 "--retrieved", "2026-12-07")
    assert "conflict: meduza.io: curated outlet 'meduza-curated' has it" in output
    data = read(curated.parent / "lists" / "ru-undesirable.yaml")
    assert data["list"]["covered_by_curated"] == [{
        "host": "meduza.io", "outlet": "meduza-curated", "type": "undesirable-organisation", "entry": "Meduza",
        "register_entries": ["Register of undesirable organisations, entry 73"], "dates": ["2023-02-07.."]}]
    rferl = load(curated).match_url("https://www.rferl.org/a/1").outlet.labels[0]
    assert (rferl.type, rferl.since, rferl.until) == ("undesirable-organisation", "2024-02-20", None)
    assert rferl.instrument == "Prosecutor General's decision 02.02.2024; Ministry of Justice decision № 212-р от 20.02.2024"


def test_a_covered_entry_names_every_register_entry_the_curated_label_should_cite(runner, curated):
    curated.write_text(curated.read_text() + (
        "  - id: rt-curated\n    name: RT\n    country: RU\n    domains: [rt.com]\n"
        "    ownership_note: curated in this test\n"), encoding="utf-8")
    run(runner, "import", "fara", DATA / "fara-principals-2025-04-10.csv", "--sources", curated, "--retrieved", "2026-12-07")
    covered = read(curated.parent / "lists" / "fara.yaml")["list"]["covered_by_curated"]
    rt = next(item for item in covered if item["outlet"] == "rt-curated")
    assert sorted(rt["register_entries"]) == ["FARA registration entry 6485", "FARA registration entry 6496",
                                              "FARA registration entry 7063"]
    assert sorted(rt["dates"]) == ["2017-11-10..2022-09-30", "2017-12-11..2018-08-31", "2021-12-20..2022-02-28"]


def test_ofac_websites_programs_and_a_date_only_from_the_mapping(runner, curated):
    without = run(runner, "import", "ofac-sdn", DATA / "ofac-sdn.xml", "--sources", curated, "--dry-run")
    assert "skipped 1: a media entity without a designation date (the SDN file has none; give `since:` in the mapping)" in without
    run(runner, "import", "ofac-sdn", DATA / "ofac-sdn.xml", "--sources", curated, "--mapping-file", SYNTHETIC,
        "--retrieved", "2026-12-07")
    outlet = load(curated).match_url("https://www.example-state-tv.example/").outlet
    label = outlet.labels[0]
    assert outlet.domains == ("example-state-tv.example",)  # the Telegram "website" is not the outlet's site
    assert (label.type, label.jurisdiction, label.since, label.instrument, label.note) == (
        "sanctioned", "US", "2024-09-13", "SDN list, program RUSSIA-EO14024", "Linked to: EXAMPLE MEDIA HOLDING")
    assert label.sources == ("https://press.example/ofac-designation", FORMATS["ofac-sdn"].url)
    assert str(read(curated.parent / "lists" / "ofac-sdn.yaml")["list"]["snapshot"]) == "2026-09-30"


def test_ofac_legacy_csv_two_real_snapshots_show_a_new_website(runner, curated):
    first = run(runner, "import", "ofac-sdn", DATA / "ofac-sdn-2021-04-25.csv", "--sources", curated, "--retrieved", "2021-04-26")
    assert first.splitlines()[:7] == [
        "ofac-sdn: 7 rows -> added 2, updated 0, unchanged 0, removed 0, skipped 5, conflicts 0 (curated entries win)",
        "  new: southfront-org (southfront.org)", "  new: strategic-culture-org (strategic-culture.org)",
        "  skipped 2: not a media entity", "  skipped 1: a person (personal data is not imported)",
        "  skipped 1: a media entity without a designation date (the SDN file has none; give `since:` in the mapping)",
        "  skipped 1: a media entity without a website in the register or the mapping"]
    text = (curated.parent / "lists" / "ofac-sdn.yaml").read_text(encoding="utf-8")
    assert "NORIEGA" not in text and "Digital Currency" not in text and "info@" not in text
    southfront = load(curated).match_url("https://southfront.org/").outlet.labels[0]
    assert (southfront.since, southfront.instrument) == ("2021-04", "SDN list, program NPWMD, CYBER2, ELECTION-EO13848")
    assert southfront.sources[0] == "https://www.politico.com/news/2022/03/03/treasury-sanctions-russia-online-outlets-00013931"
    # The next published state lists a second website for the same entry (uid 31212).
    later = run(runner, "import", "ofac-sdn", DATA / "ofac-sdn-2022-01-31.csv", "--sources", curated, "--dry-run")
    assert "  websites changed: southfront-org: southfront.org -> southfront.org, maps.southfront.org" in later
    assert "new:" not in later and "ended:" not in later


def test_uk_real_designation_mapped_by_its_unique_id(runner, curated, tmp_path):
    # GHR0190 is a real designation (not a medium): a mapping by UniqueID imports it with the file's own website,
    # date and measures, which the list writes separated by "|".
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("registers:\n  uk-sanctions:\n    - entry: GHR0190\n      hosts: [xinbi.com]\n", encoding="utf-8")
    run(runner, "import", "uk-sanctions", DATA / "uk-sanctions-1.xml", "--sources", curated, "--mapping-file", mapping)
    label = load(curated).match_url("https://xinbi.com/").outlet.labels[0]
    assert label.instrument.endswith("(GHR0190); Asset freeze, Director Disqualification Sanction")


def test_uk_and_eu_labels(runner, curated):
    run(runner, "import", "uk-sanctions", DATA / "uk-sanctions-1.xml", "--sources", curated, "--retrieved", "2026-12-07")
    run(runner, "import", "eu-sanctions", DATA / "eu-sanctions.xml", "--sources", curated, "--retrieved", "2026-12-07")
    registry = load(curated)
    uk = registry.match_url("https://example-news-agency.example/").outlet.labels[0]
    assert (uk.jurisdiction, uk.since, uk.note) == ("GB", "2022-03-31", "Statement of reasons: An example statement of reasons.")
    assert uk.instrument == "The Russia (Sanctions) (EU Exit) Regulations 2019 (RUS9901); Asset freeze"
    # Named as a holding, typed by the list as a television channel: a medium.
    assert registry.match_url("https://example-channel.example/").outlet.labels[0].since == "2022-05-08"
    eu = registry.match_url("https://example-information-agency.example/").outlet.labels[0]
    assert (eu.jurisdiction, eu.since, eu.instrument) == ("EU", "2023-02-25", "Regulation 9999/1 (example), programme UKR (EU.9901.01)")
    assert eu.sources == ("https://regulation.example/9999-1", FORMATS["eu-sanctions"].url)


def test_update_lists_dry_run_on_two_snapshots_shows_new_ended_and_moved(runner, curated, caplog):
    subscribed = curated.read_text().replace("version: 1\n", (
        "version: 1\nlists:\n  - name: uk-sanctions\n    format: uk-sanctions\n    file: uk.xml\n"), 1)
    curated.write_text(subscribed, encoding="utf-8")
    shutil.copy(DATA / "uk-sanctions-1.xml", curated.parent / "uk.xml")
    run(runner, "update-lists", "--sources", curated)
    list_file = curated.parent / "lists" / "uk-sanctions.yaml"
    first = list_file.read_text(encoding="utf-8")

    shutil.copy(DATA / "uk-sanctions-2.xml", curated.parent / "uk.xml")
    caplog.set_level("INFO", logger="masthead.lists")
    dry = run(runner, "update-lists", "--sources", curated, "--dry-run")
    assert "  ended: example-news-agency-example until 2026-11-03 (missing from that snapshot)" in dry
    assert "  websites changed: example-channel-example: example-channel.example -> live.example-channel.example" in dry
    assert dry.rstrip().endswith("dry run: nothing was written") and list_file.read_text(encoding="utf-8") == first
    assert any("ended: example-news-agency-example" in r.getMessage() for r in caplog.records)

    run(runner, "update-lists", "--sources", curated)
    registry = load(curated)
    ended = registry.match_url("https://example-news-agency.example/").outlet.labels[0]
    assert (ended.since, ended.until, ended.until_sources) == ("2022-03-31", "2026-11-03", (FORMATS["uk-sanctions"].url,))
    assert "missing from the register's snapshot of 2026-11-03" in ended.note
    assert str(read(list_file)["list"]["snapshot"]) == "2026-11-03"
    again = run(runner, "update-lists", "--sources", curated)
    assert "added 0, updated 0, unchanged 1, removed 1" in again and "ended:" not in again  # ended once, kept as it was


def test_an_entry_still_in_the_register_but_no_longer_imported_is_dropped_not_ended(runner, curated):
    run(runner, "import", "ru-undesirable", DATA / "ru-undesirable-2024-09-05.json", "--sources", curated)
    mapping = curated.parent / "lists" / "register-mapping.yaml"
    mapping.write_text(mapping.read_text(encoding="utf-8").replace("    - match: SIA TV Rain\n      hosts: [tvrain.tv]\n      name: TV Rain\n", ""),
                       encoding="utf-8")
    output = run(runner, "import", "ru-undesirable", DATA / "ru-undesirable-2024-09-05.json", "--sources", curated)
    assert "  no longer imported: tvrain-tv (the register still lists it" in output and "ended:" not in output
    assert load(curated).match_url("https://tvrain.tv/") is None


def test_a_moved_website_is_reported(runner, curated, tmp_path):
    run(runner, "import", "uk-sanctions", DATA / "uk-sanctions-1.xml", "--sources", curated)
    moved = tmp_path / "moved.xml"
    moved.write_text((DATA / "uk-sanctions-1.xml").read_text().replace("www.example-channel.example", "tv.example-channel2.example"))
    output = run(runner, "import", "uk-sanctions", moved, "--sources", curated, "--dry-run")
    # The same designation (RUS9902) on another website: the outlet keeps its id, its hosts change.
    assert "  websites changed: example-channel-example: example-channel.example -> tv.example-channel2.example" in output
    assert "new:" not in output and "ended:" not in output


@pytest.mark.parametrize("fmt,content,message", [
    ("uk-sanctions", "<Designations><Designation>", "is not well-formed XML"),
    ("uk-sanctions", "<?xml version='1.0'?><export/>", "not <Designations>"),
    ("eu-sanctions", "<!DOCTYPE x [<!ENTITY a 'b'>]><export/>", "document type or entity declaration"),
    ("ofac-sdn", "<Designations/>", "not <sdnList>"),
    ("ru-undesirable", '[{"name": "x"}]', "rows lack"),
    ("ru-foreign-agents", '{"values": 3}', "expected a list"),
    # The shape public clients of reestrs.minjust.gov.ru read (rows keyed field_N_s under `values`); synthetic values.
    ("ru-foreign-agents", '{"size": 1, "values": [{"field_1_i": 1, "field_2_s": "x", "field_4_s": "01.01.2024"}]}',
     "the Ministry's REST answer, whose columns are not mapped yet"),
    ("fara", "a,b\n1,2\n", "neither FARA_All_ForeignPrincipals.csv nor FARA_All_Registrants.csv"),
])
def test_a_malformed_file_is_refused_and_nothing_written(runner, curated, tmp_path, fmt, content, message):
    bad = tmp_path / "bad.file"
    bad.write_text(content, encoding="utf-8")
    before = curated.read_bytes()
    result = runner.invoke(cli, ["import", fmt, str(bad), "--sources", str(curated)])
    assert result.exit_code != 0 and message in result.output
    assert curated.read_bytes() == before and sorted(p.name for p in (curated.parent / "lists").iterdir()) == ["register-mapping.yaml"]


def test_the_mapping_file_is_validated_before_anything_is_read(runner, curated, tmp_path):
    bad = tmp_path / "mapping.yaml"
    bad.write_text("registers:\n  fara:\n    - match: X\n      hosts: [t.me]\n    - hosts: [rt.com]\n      country: Russia\n"
                   "    - entry: '1'\n      hosts: [rt.com]\n      since: 2024-01-01\n", encoding="utf-8")
    result = runner.invoke(cli, ["import", "fara", str(DATA / "fara-principals-2025-04-10.csv"), "--sources", str(curated),
                                 "--mapping-file", str(bad)])
    assert result.exit_code != 0
    for problem in ["registers.fara[0]: host 't.me': a social network or platform page",
                    "registers.fara[1]: needs `entry:`", "registers.fara[1]: country 'Russia' is not an ISO 3166-1 code",
                    "registers.fara[2]: a `since:` needs `sources:`", "nothing was imported"]:
        assert problem in result.output
    assert not (curated.parent / "lists" / "fara.yaml").exists()


def test_the_bundled_mapping_is_valid():
    rules = load_register_mapping(MAPPING).rules
    assert {r.register for r in rules} <= set(FORMATS) and all(r.hosts or r.since for r in rules)


@pytest.mark.parametrize("text,order,expected", [
    ("26/03/2026", "dmy", "2026-03-26"), ("04/02/2025", "mdy", "2025-04-02"), ("2026-09-22T20:01:34.799+02:00", "dmy", "2026-09-22"),
    ("20.02.2024", "dmy", "2024-02-20"), ("31/02/2020", "dmy", None), ("", "dmy", None), ("soon", "dmy", None),
])
def test_parse_date(text, order, expected):
    assert parse_date(text, order) == expected


def test_freshness_warns_when_a_list_is_older_than_its_cadence(runner, curated):
    run(runner, "import", "uk-sanctions", DATA / "uk-sanctions-1.xml", "--sources", curated, "--retrieved", "2026-12-07")
    registry = load(curated)
    fresh, = list_freshness(registry, today=dt.date(2026, 10, 10))
    assert (fresh["snapshot"], fresh["age_days"], fresh["cadence_days"], fresh["stale"], fresh["warning"]) == (
        "2026-10-02", 8, 14, False, None)
    stale, = list_freshness(registry, today=dt.date(2026, 12, 7))
    assert stale["stale"] and stale["warning"].startswith("list uk-sanctions: its own date 2026-10-02 is 66 days old")
    output = run(runner, "stats", "--sources", curated)
    assert "  snapshot: 2026-10-02 (the file's DateGenerated)" in output and "(expected every 14 days); read 2026-12-07" in output
