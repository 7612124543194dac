"""Claims in time (issue 24): assessments dated by their edition, designations by their start, every curated label
checked, funders apart from owners, and hosts with a lifetime."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from masthead.context import build_context
from masthead.registry import load, validate

TODAY = dt.date.today().isoformat()

HEAD = """\
owners:
  - id: agency
    name: Federal Media Agency
    kind: state-agency
    country: US
  - id: corp
    name: Radio Corp, Inc.
    kind: non-profit
    country: US
    funded_by:
      - funder: agency
        kind: grant
        since: 1995
        instrument: Example Act, s. 7
        sources: [https://example.org/act]
        events:
          - date: 2025-03-15
            note: The agency ended the grant.
            sources: [https://example.org/termination]
          - date: 2025-04-29
            note: A court ordered the grant restored.
            sources: [https://example.org/order]
outlets:
  - id: radio
    name: Radio Service
    country: US
    domains:
      - radio.example
      - domain: old-radio.example
        until: 2023-08
        note: The outlet moved to radio.example; who holds this host now is not known.
        sources: [https://example.org/move]
    owner: corp
    owner_sources: [https://example.org/corp]
"""


def write(tmp_path, labels: str = "", head: str = HEAD, name: str = "sources.yaml", extra: str = ""):
    path = tmp_path / name
    text = head + (f"    labels:\n{textwrap.indent(textwrap.dedent(labels), '      ')}" if labels else "") + extra
    path.write_text(text, encoding="utf-8")
    return path


def errors(path):
    return [p.message for p in validate(path, require_checked=True) if p.severity == "error"]


TYPOLOGY = """\
- type: state-controlled
  issuer: State Media Monitor
  jurisdiction: INT
  as_of: 2025
  sources: [https://statemediamonitor.com/profile]
  checked: 2026-01-15
"""
BAN = """\
- type: broadcast-ban
  issuer: Council of the European Union
  jurisdiction: EU
  since: 2022-03-02
  sources: [https://eur-lex.europa.eu/eli/reg/2022/350/oj]
  checked: 2026-01-15
"""


def test_an_assessment_is_dated_by_its_edition_and_a_designation_by_its_start(tmp_path):
    registry = load(write(tmp_path, TYPOLOGY + BAN))
    typology, ban = registry.outlets["radio"].labels
    assert (typology.date_kind, typology.as_of, typology.since) == ("as_of", "2025", None)
    assert (ban.date_kind, ban.since, ban.as_of) == ("since", "2022-03-02", None)
    data = typology.to_dict("2026-02-01")
    assert (data["as_of"], data["date_kind"], data["since"], data["status"]) == ("2025", "as_of", None, "active")
    assert typology.status("2024-06-01") == "future"  # the 2025 edition says nothing of 2024
    assert typology.period() == "as of 2025" and ban.period() == "since 2022-03-02"


@pytest.mark.parametrize("change,message", [
    (("  as_of: 2025\n", ""), "a typology has no `as_of`"),
    (("  as_of: 2025\n", "  as_of: 2999\n"), "`as_of` 2999 is in the future"),
    (("  as_of: 2025\n", "  as_of: 2025\n  since: 2026-01\n"), "since 2026-01 is after the assessment's as_of 2025"),
    (("  checked: 2026-01-15\n", ""), "label has no `checked` date"),
])
def test_validate_refuses_an_undated_or_unchecked_typology(tmp_path, change, message):
    assert errors(write(tmp_path, TYPOLOGY.replace(*change))) == [message]


def test_a_typology_may_say_since_when_its_assessor_dates_the_change(tmp_path):
    registry = load(write(tmp_path, TYPOLOGY.replace("  as_of: 2025\n", "  as_of: 2025\n  since: 2024-07\n")))
    assert registry.outlets["radio"].labels[0].period() == "since 2024-07, as of 2025"


def test_as_of_is_refused_on_a_designation(tmp_path):
    assert errors(write(tmp_path, BAN.replace("  since: 2022-03-02\n", "  since: 2022-03-02\n  as_of: 2023\n"))) == [
        "`as_of` dates an assessment (a typology); this label is a designation"]


def imported_list(snapshot: str, since: str = "") -> str:
    return textwrap.dedent(f"""\
        version: 1
        list:
          name: matrix
          snapshot: '{snapshot}'
          retrieved: 2026-11-02
        outlets:
          - id: other
            name: Other
            country: RU
            domains: [other.example]
            ownership_note: The list names no owner.
            labels:
              - type: state-controlled
                issuer: State Media Monitor
                jurisdiction: INT
                as_of: 2023-08
                sources: [https://example.org/matrix]
                list: matrix
                retrieved: 2026-11-02
        """) + (f"        since: {since}\n" if since else "")


def test_a_typology_dated_by_the_day_its_list_was_read_is_refused(tmp_path):
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "matrix.yaml").write_text(imported_list(TODAY, since="2026-11-02"), encoding="utf-8")
    path = write(tmp_path, head="include: [lists/matrix.yaml]\n" + HEAD)
    assert errors(path) == ["`since` 2026-11-02 is the day the list was read, not when the rating changed"]


def test_an_imported_list_older_than_a_year_warns_that_its_labels_are_unchecked(tmp_path):
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "matrix.yaml").write_text(imported_list("2023-08-24"), encoding="utf-8")
    path = write(tmp_path, head="include: [lists/matrix.yaml]\n" + HEAD)
    problems = validate(path)
    assert [p.message for p in problems if p.severity == "error"] == []
    assert [p.message for p in problems if p.severity == "warning"] == [
        "the list's own date 2023-08-24 is more than a year old, and its labels carry no `checked` date"]
    assert load(path).outlets["other"].labels[0].checked is None  # an imported label is never checked by us
    (tmp_path / "lists" / "matrix.yaml").write_text(imported_list(TODAY), encoding="utf-8")
    assert [p for p in validate(path) if p.severity == "warning"] == []


def test_funders_stand_apart_from_owners_in_the_answer(tmp_path):
    registry = load(write(tmp_path))
    answer = build_context(registry, "https://radio.example/news/1", as_of="2026-02-01")
    assert [node["id"] for node in answer["ownership"]] == ["radio", "corp"]  # the agency owns nothing here
    [funding] = answer["funding"]
    assert (funding["of"], funding["funder"], funding["name"], funding["kind"], funding["since"]) == (
        "corp", "agency", "Federal Media Agency", "grant", "1995")
    assert [(e["date"], e["note"]) for e in funding["events"]] == [
        ("2025-03-15", "The agency ended the grant."), ("2025-04-29", "A court ordered the grant restored.")]
    assert registry.owners["corp"].to_dict()["funded_by"][0]["instrument"] == "Example Act, s. 7"


@pytest.mark.parametrize("change,message", [
    (("      - funder: agency\n", "      - funder: agnecy\n"), "unknown funder id 'agnecy'"),
    (("        kind: grant\n", "        kind: gift\n"), "funding kind 'gift' is not in the vocabulary"),
    (("        sources: [https://example.org/act]\n", ""), "the funding link to 'agency' has no source"),
    (("            sources: [https://example.org/order]\n", ""), "a dated event needs a source"),
])
def test_a_funding_link_is_checked_like_an_ownership_link(tmp_path, change, message):
    assert message in errors(write(tmp_path, head=HEAD.replace(*change)))


def test_a_former_domain_still_matches_and_is_answered_as_former(tmp_path):
    registry = load(write(tmp_path, BAN))
    answer = build_context(registry, "https://old-radio.example/2024/story", as_of=TODAY)
    assert answer["outlet"]["id"] == "radio" and answer["labels"][0]["type"] == "broadcast-ban"
    assert answer["former_domain"] == {
        "host": "old-radio.example", "until": "2023-08", "since": None,
        "note": "The outlet moved to radio.example; who holds this host now is not known.",
        "sources": ["https://example.org/move"], "outlet": "Radio Service", "labels_apply_to": "radio"}
    assert build_context(registry, "https://radio.example/a", as_of=TODAY)["former_domain"] is None


def test_an_unchecked_label_is_refused_by_validate_and_saved_with_a_warning_by_the_server(tmp_path, runner):
    from masthead.cli import cli

    path = write(tmp_path, BAN.replace("  checked: 2026-01-15\n", ""))
    result = runner.invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1 and "error: label has no `checked` date" in result.output
    assert [(p.severity, p.message) for p in validate(path)] == [("warning", "label has no `checked` date")]


def test_a_former_domain_needs_a_source(tmp_path):
    path = write(tmp_path, head=HEAD.replace("        sources: [https://example.org/move]\n", ""))
    assert errors(path) == ["former domain 'old-radio.example' has no source"]
