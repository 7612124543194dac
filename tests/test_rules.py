"""The rules that keep labels true (issue 12): who decides the control model, what sections inherit,
when a label was last checked and how its end is sourced, and which sources are too weak to rest on."""

import datetime as dt
import textwrap

import pytest

from masthead.cli import cli
from masthead.context import build_context
from masthead.registry import control_basis, control_model, load, validate
from masthead.registry.quality import QUALITY_FILE, source_quality
from masthead.registry.vocabulary import LABEL_TYPES

TODAY = dt.date.today().isoformat()

OWNERS = """\
owners:
  - id: gov-x
    name: Government of X
    kind: government
    country: RU
  - id: public-x
    name: X Broadcasting Corporation
    kind: public-corporation
    country: JP
  - id: family-trust
    name: A family's trusts
    kind: trust
    country: US
  - id: listed-media
    name: Listed Media Inc.
    kind: listed-company
    country: US
    owned_by:
      - owner: family-trust
        sources: [https://example.org/filing]
  - id: grantee
    name: Grantee, Inc.
    kind: non-profit
    country: US
"""


def label(type_, issuer="State Media Monitor", jurisdiction="INT", since="2023-01", extra="", checked=TODAY):
    """A label; a typology is dated by `as_of` (its edition), anything else by `since` (issue 24)."""
    dated = "as_of" if LABEL_TYPES[type_].dated_by == "as_of" else "since"
    if checked and "checked:" not in extra:
        extra += f"checked: {checked}\n"
    return textwrap.indent(textwrap.dedent(f"""\
        - type: {type_}
          issuer: {issuer}
          jurisdiction: {jurisdiction}
          {dated}: {since}
          sources: [https://statemediamonitor.com/profile]
        """) + textwrap.indent(textwrap.dedent(extra), "  "), "      ")


def outlet(outlet_id, owner, labels="", domains=None, paths=None, extra=""):
    rules = f"    domains: [{domains or outlet_id + '.example'}]\n" if paths is None else f"    paths: [{paths}]\n"
    owner_lines = f"    owner: {owner}\n    owner_sources: [https://example.org/{outlet_id}]\n" if owner else ""
    return (f"  - id: {outlet_id}\n    name: {outlet_id.title()}\n    country: US\n" + rules + owner_lines + extra
            + (f"    labels:\n{labels}" if labels else ""))


def write(tmp_path, *outlets, owners=OWNERS):
    path = tmp_path / "sources.yaml"
    path.write_text(owners + "outlets:\n" + "".join(outlets), encoding="utf-8")
    return path


def problems(path, severity="error"):
    return [p for p in validate(path) if p.severity == severity]


# --- rule 1: the most authoritative source decides the control model ---------------------------


@pytest.mark.parametrize("owner,labels,expected", [
    # A State Media Monitor typology decides, whatever the owners' kinds say.
    ("gov-x", label("independent-state-funded-managed"), ("public", "typology")),
    ("public-x", label("captured-public"), ("state-controlled", "typology")),
    ("grantee", label("independent-public"), ("public", "typology")),
    # Without one, the owners decide.
    ("gov-x", "", ("state-controlled", "owners")),
    ("public-x", "", ("public", "owners")),
    ("grantee", "", ("independent", "owners")),
    # A trust never decides alone: a listed company below it makes the outlet commercial ...
    ("listed-media", "", ("commercial", "owners")),
    # ... and a trust with nothing below it says nothing.
    ("family-trust", "", ("unknown", "none")),
    # A statute decides when there is no typology.
    ("grantee", label("public-service-media", issuer="Parliament", jurisdiction="US"), ("public", "label")),
])
def test_control_model_comes_from_the_most_authoritative_source(tmp_path, owner, labels, expected):
    registry = load(write(tmp_path, outlet("news", owner, labels)))
    assert control_basis(registry, registry.outlets["news"], TODAY) == expected


def test_the_latest_typology_in_force_decides(tmp_path):
    labels = (label("independent-public", since="2023-10", extra="until: 2024-09\nuntil_sources: [https://statemediamonitor.com/2024]\n")
              + label("captured-public", since="2024-09"))
    registry = load(write(tmp_path, outlet("news", "public-x", labels)))
    assert control_model(registry, registry.outlets["news"], TODAY) == "state-controlled"
    assert control_model(registry, registry.outlets["news"], "2024-01-01") == "public"


# --- rule 2: sections and subdomains inherit their parent's owner and labels -------------------

PARENT_LABELS = (label("independent-state-funded")
                 + label("undesirable-organisation", issuer="Prosecutor General", jurisdiction="RU", since="2025-12-16")
                 + label("blocked", issuer="Roskomnadzor", jurisdiction="RU", since="2022-03-04"))


def test_a_section_inherits_the_parent_owner_and_labels_and_overrides_its_own(tmp_path):
    section_labels = label("blocked", issuer="Roskomnadzor (the section's own entry)", jurisdiction="RU", since="2022-03-05")
    path = write(tmp_path, outlet("broadcaster", "public-x", PARENT_LABELS, domains="broadcaster.example"),
                 outlet("broadcaster-ru", None, section_labels, paths="broadcaster.example/ru"))
    registry = load(path)
    section = registry.outlets["broadcaster-ru"]
    assert section.parent == "broadcaster"
    assert [o.owner for o in section.owners] == ["public-x"]
    assert {(l.type, l.inherited_from) for l in section.labels} == {
        ("blocked", None), ("independent-state-funded", "broadcaster"), ("undesirable-organisation", "broadcaster")}
    assert next(l for l in section.labels if l.type == "blocked").since == "2022-03-05"  # its own label wins
    # The answer a reader gets on the section's page, with where each label comes from.
    answer = build_context(registry, "https://www.broadcaster.example/ru/story", as_of=TODAY)
    assert answer["outlet"]["id"] == "broadcaster-ru" and answer["control_model"] == "public"
    assert {l["type"]: l.get("inherited_from") for l in answer["labels"]}["undesirable-organisation"] == "broadcaster"
    # validate says what it did, as a note; nothing is wrong.
    notes = [p.message for p in problems(path, "info")]
    assert notes == ["'broadcaster-ru' (broadcaster.example/ru) lies under 'broadcaster' and inherits its owner; 2 label(s): "
                     "independent-state-funded (INT), undesirable-organisation (RU); its own labels override blocked (RU)"]
    assert problems(path) == []
    # Counts and the section's own entry count a label once.
    assert registry.counts()["labels"] == 4 and len(section.own_labels) == 1


def test_a_subdomain_inherits_and_a_typology_overrides_the_parent_typology(tmp_path):
    path = write(tmp_path, outlet("agency", "gov-x", label("state-controlled"), domains="agency.example"),
                 outlet("agency-english", "gov-x", label("captured-public"), domains="english.agency.example"))
    subdomain = load(path).outlets["agency-english"]
    assert subdomain.parent == "agency" and [l.type for l in subdomain.labels] == ["captured-public"]


def test_an_outlet_with_a_domain_of_its_own_inherits_nothing(tmp_path):
    path = write(tmp_path, outlet("agency", "gov-x", label("state-controlled"), domains="agency.example"),
                 outlet("other", "grantee", domains="other.example, news.agency.example"))
    other = load(path).outlets["other"]
    assert other.parent is None and other.labels == ()


def test_a_section_without_an_owner_or_parent_is_an_error(tmp_path):
    path = write(tmp_path, outlet("orphan", None, paths="nowhere.example/ru"))
    assert [p.message for p in problems(path)] == ["outlet 'orphan' has no owner"]


# --- rule 3: when each label was last checked; an ended designation cites its end --------------


def test_validate_stale_lists_labels_not_checked_within_days(tmp_path, runner):
    old = (dt.date.today() - dt.timedelta(days=400)).isoformat()
    older = (dt.date.today() - dt.timedelta(days=500)).isoformat()
    labels = (label("state-controlled", extra=f"checked: {old}\n")
              + label("blocked", issuer="Roskomnadzor", jurisdiction="RU", extra=f"checked: {TODAY}\n")
              + label("sanctioned", issuer="Council of the EU", jurisdiction="EU", checked=older))
    path = write(tmp_path, outlet("news", "gov-x", labels))
    result = runner.invoke(cli, ["validate", str(path), "--stale", "365"])
    assert result.exit_code == 0, result.output
    stale = [line for line in result.output.splitlines() if line.startswith("stale: ")]
    assert len(stale) == 2
    assert f"news: sanctioned (EU), Council of the EU, since 2023-01: last checked {older} (500 days ago)" in stale[0]
    assert f"news: state-controlled (INT), State Media Monitor, as of 2023-01: last checked {old} (400 days ago)" in stale[1]
    assert "2 label(s) not checked within 365 days" in result.output


def test_the_api_answer_says_when_each_label_was_last_checked(tmp_path):
    registry = load(write(tmp_path, outlet("news", "gov-x", label("state-controlled", extra="checked: 2026-01-15\n"))))
    answer = build_context(registry, "https://news.example/a", as_of=TODAY)
    assert answer["labels"][0]["checked"] == "2026-01-15"


def test_an_ended_label_needs_a_source_for_its_end(tmp_path):
    ended = label("broadcast-ban", issuer="Palestinian Authority", jurisdiction="PS", since="2025-01-01", extra="until: 2025-05-13\n")
    path = write(tmp_path, outlet("news", "gov-x", ended))
    assert [(p.line, p.message) for p in problems(path)] == [(38, "the label ended on 2025-05-13 but has no `until_sources`")]
    sourced = ended + "        until_sources: [https://example.org/ban-lifted]\n"
    fixed = write(tmp_path, outlet("news", "gov-x", sourced))
    assert problems(fixed) == []
    assert load(fixed).outlets["news"].labels[0].until_sources == ("https://example.org/ban-lifted",)


def test_checked_cannot_be_in_the_future(tmp_path):
    path = write(tmp_path, outlet("news", "gov-x", label("state-controlled", extra="checked: 2999-01-01\n")))
    assert [p.message for p in problems(path)] == ["`checked` 2999-01-01 is in the future"]


# --- rule 4: a label never rests on content farms and aggregators alone ------------------------


def weakly_sourced(*urls):
    return textwrap.indent(f"- type: blocked\n  issuer: Roskomnadzor\n  jurisdiction: RU\n  since: 2022-03-04\n  checked: {TODAY}\n  sources:\n"
                           + "".join(f"    - {u}\n" for u in urls), "      ")


def test_a_label_resting_only_on_weak_sources_is_refused(tmp_path):
    path = write(tmp_path, outlet("news", "gov-x", weakly_sourced(
        "https://www.devdiscourse.com/article/1-russia-restricts", "https://en.wikipedia.org/wiki/News")))
    found = problems(path)
    assert [p.message for p in found] == ["every source of this label is a weak source: devdiscourse.com, wikipedia.org"]
    assert "source_quality.yaml" in found[0].hint


@pytest.mark.parametrize("urls", [
    ("https://www.devdiscourse.com/article/1", "https://www.reuters.com/world/1"),  # one reputable report suffices
    ("https://eur-lex.europa.eu/eli/reg/2022/350/oj",),  # the Official Journal
])
def test_a_label_with_a_better_source_is_accepted(tmp_path, urls):
    assert problems(write(tmp_path, outlet("news", "gov-x", weakly_sourced(*urls)))) == []


def test_the_source_quality_lists_are_documented_and_disjoint():
    quality = source_quality()
    assert QUALITY_FILE.name == "source_quality.yaml"
    assert len(quality.weak) >= 20 and len(quality.primary) >= 20
    assert not set(quality.weak) & set(quality.primary)
    assert all(why.strip() for why in list(quality.weak.values()) + list(quality.primary.values()))
    assert quality.weak_domain("https://en.m.wikipedia.org/wiki/X") == "wikipedia.org"
    assert quality.primary_domain("https://www.gov.uk/government/publications/the-uk-sanctions-list") == "gov.uk"
    assert quality.weak_domain("https://not-devdiscourse.com/") is None  # a domain, not a suffix of a name
