"""The source-list loader and validator: every problem reported at once, with file:line:column and a hint."""

import textwrap
from pathlib import Path

import pytest

from masthead.registry import LiveSources, SourcesError, load, validate

DATA = Path(__file__).parent / "data"

BASE = """\
owners:
  - id: gov-ru
    name: Government of Russia
    kind: government
    country: RU
  - id: holding
    name: Holding
    kind: state-agency
    country: RU
    owned_by:
      - owner: gov-ru
        sources: [https://example.org/holding]
outlets:
  - id: news
    name: News
    homepage: https://news.example/
    country: RU
    domains: [news.example]
    owner: holding
    owner_sources: [https://example.org/news]
    labels:
      - type: broadcast-ban
        issuer: State Media Monitor
        jurisdiction: INT
        since: 2023-01-01
        sources: [https://example.org/smm]
        checked: 2026-01-15
"""


def write(tmp_path, text, name="sources.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def errors_of(path):
    return [p for p in validate(path) if p.severity == "error"]


def test_base_document_is_valid(tmp_path):
    registry = load(write(tmp_path, BASE))
    assert list(registry.outlets) == ["news"]
    assert [n["id"] for n in registry.ownership_chain(registry.outlets["news"])] == ["news", "holding", "gov-ru"]


# (what to replace in BASE, with what, expected line, words in the message, words in the hint)
MUTATIONS = [
    ("owner: holding\n", "owner: holdng\n", 19, "unknown owner id 'holdng'", "did you mean 'holding'"),
    ("      - owner: gov-ru\n", "      - owner: gov-xx\n", 11, "unknown owner id 'gov-xx'", "did you mean 'gov-ru'"),
    ("      - owner: gov-ru\n", "      - owner: acme-widgets\n", 11, "unknown owner id 'acme-widgets'", "define it under"),
    ("type: broadcast-ban", "type: broadcast-bann", 22, "label type 'broadcast-bann' is not in the vocabulary", "did you mean 'broadcast-ban'"),
    ("type: broadcast-ban", "type: propaganda", 22, "label type 'propaganda' is not in the vocabulary", "docs/LABELS.md"),
    ("since: 2023-01-01", "since: 2023-13-01", 25, "`since` '2023-13-01' is not a valid date", "YYYY-MM-DD"),
    ("since: 2023-01-01", "since: 2023-02-30", 25, "is not a valid date", "YYYY-MM-DD"),
    ("since: 2023-01-01", "since: yesterday", 25, "is not a valid date", "YYYY-MM-DD"),
    ("        since: 2023-01-01\n", "", 22, "label has no `since` date", "date it took effect"),
    ("        sources: [https://example.org/smm]\n", "", 22, "label has no source", "public URL"),
    ("sources: [https://example.org/smm]", "sources: [ftp://example.org/smm]", 26, "is not an http(s) URL", "https://"),
    ("sources: [https://example.org/smm]", "sources: []", 26, "`sources` is empty", "at least one"),
    ("        issuer: State Media Monitor\n", "", 22, "`issuer` is missing or empty", "issuer"),
    ("jurisdiction: INT", "jurisdiction: Russia", 24, "jurisdiction 'Russia' is not an ISO 3166 code", "two capital letters"),
    ("country: RU\n    domains", "country: RUS\n    domains", 17, "country 'RUS' is not an ISO 3166-1 alpha-2 code", "two capital letters"),
    ("    country: RU\n    domains", "    domains", 14, "'news' has no country", "ISO 3166-1"),
    ("kind: state-agency", "kind: ministry", 8, "owner kind 'ministry' is not in the vocabulary", "one of"),
    ("domains: [news.example]", "domains: [https://news.example/]", 18, "not a bare host name", "drop the scheme"),
    ("domains: [news.example]", "domains: [co.uk]", 18, "'co.uk' is a public suffix", "full host"),
    ("domains: [news.example]", "domains: [blogspot.com]", 18, "is a public suffix", "full host"),
    ("    owner_sources: [https://example.org/news]\n", "", 19, "owner link of 'news' has no source", "owner_sources"),
    ("        sources: [https://example.org/holding]\n", "", 11, "ownership link to 'gov-ru' has no source", "sources:"),
    ("  - id: holding\n", "  - id: Holding Co\n", 6, "invalid or missing id 'Holding Co'", "lowercase"),
    ("    homepage: https://news.example/\n", "    homepage: news.example\n", 16, "`homepage` 'news.example' is not an http(s) URL", "https://"),
    ("    name: News\n", "    name: News\n    slogan: The truth\n", 16, "unknown key 'slogan' in outlet", "allowed"),
    ("    owner_sources:", "    owner_source:", 20, "unknown key 'owner_source' in outlet", "did you mean 'owner_sources'"),
    ("since: 2023-01-01\n", "since: 2023-01-01\n        until: 2022-01-01\n", 26, "until 2022-01-01 is before since 2023-01-01", "swap"),
]


@pytest.mark.parametrize("old,new,line,message,hint", MUTATIONS)
def test_validator_reports_position_message_and_hint(tmp_path, old, new, line, message, hint):
    assert old in BASE
    path = write(tmp_path, BASE.replace(old, new, 1))
    problems = errors_of(path)
    assert problems, "expected an error"
    found = [p for p in problems if message in p.message]
    assert found, [str(p) for p in problems]
    assert found[0].line == line, str(found[0])
    assert hint in found[0].hint
    assert str(found[0]).startswith(f"{path}:{line}:")
    with pytest.raises(SourcesError):
        load(path)


def test_duplicate_domain_is_reported_on_the_second_outlet(tmp_path):
    text = BASE + textwrap.indent(textwrap.dedent("""\
        - id: copycat
          name: Copycat
          country: RU
          domains: [www.news.example]
          owner: holding
          owner_sources: [https://example.org/copycat]
        """), "  ")
    problems = errors_of(write(tmp_path, text))
    assert [p.message for p in problems] == ["domain 'news.example' is claimed by two outlets: 'news' and 'copycat'"]
    assert problems[0].line == 31


def test_duplicate_id_points_at_the_first_definition(tmp_path):
    text = BASE.replace("  - id: holding\n", "  - id: gov-ru\n", 1)
    problems = errors_of(write(tmp_path, text))
    assert any("duplicate owner id 'gov-ru' (first defined at" in p.message and ":2)" in p.message for p in problems)


def test_ownership_cycle_is_rejected(tmp_path):
    text = BASE.replace(
        "  - id: gov-ru\n    name: Government of Russia\n    kind: government\n    country: RU\n",
        "  - id: gov-ru\n    name: Government of Russia\n    kind: government\n    country: RU\n"
        "    owned_by:\n      - owner: holding\n        sources: [https://example.org/loop]\n",
    )
    problems = errors_of(write(tmp_path, text))
    cycles = [p for p in problems if p.message.startswith("ownership cycle:")]
    assert len(cycles) == 1
    assert "gov-ru" in cycles[0].message and "holding" in cycles[0].message
    assert "remove one `owned_by` link" in cycles[0].hint


def test_every_problem_is_reported_at_once(tmp_path):
    text = (BASE.replace("owner: holding\n", "owner: nobody\n")
                .replace("type: broadcast-ban", "type: bogus")
                .replace("country: RU\n    domains", "country: XX\n    domains"))
    messages = [p.message for p in errors_of(write(tmp_path, text))]
    assert len(messages) == 3, messages


@pytest.mark.parametrize(
    "text,line,column,words",
    [
        ("owners: [\n", 2, 1, "YAML syntax"),
        ("outlets:\n  - id: a\n   name: b\n", 3, 4, "YAML syntax"),
        ("outlets:\n  - id: a\n    id: b\n", 3, 5, "YAML syntax"),
        ("- just\n- a list\n", 1, 1, "top level must be a mapping"),
        ("outlets: 5\n", 1, 1, "`outlets` must be a list"),
        ("outlets:\n  - just a string\n", 2, 5, "each entry of `outlets` must be a mapping"),
        ("a: b: c\n", 1, 5, "YAML syntax"),
    ],
)
def test_broken_yaml_points_at_a_line(tmp_path, text, line, column, words):
    problems = errors_of(write(tmp_path, text))
    assert problems and words in problems[0].message, [str(p) for p in problems]
    assert problems[0].line == line
    assert problems[0].column == column


def test_not_utf8(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_bytes(b"owners: []\noutlets:\n  - name: \xff\n")
    problems = errors_of(path)
    assert problems[0].message == "the file is not valid UTF-8" and problems[0].line == 3


def test_missing_file(tmp_path):
    problems = errors_of(tmp_path / "nope.yaml")
    assert problems[0].message.startswith("file not found")


def test_include_merges_and_curated_entries_win(tmp_path):
    write(tmp_path, """\
        outlets:
          - id: news
            name: Imported News
            country: RU
            domains: [news.example]
          - id: other
            name: Other
            country: DE
            domains: [other.example, news.example]
            labels:
              - type: foreign-agent
                issuer: Ministry of Justice of the Russian Federation
                jurisdiction: RU
                since: 2022-05-06
                sources: [https://example.org/register]
                list: ru-foreign-agents
                retrieved: 2024-03-01
        """, name="imported.yaml")
    path = write(tmp_path, "include: [imported.yaml]\n" + BASE)
    registry = load(path)
    assert registry.outlets["news"].name == "News"
    assert registry.outlets["other"].curated is False
    assert registry.hosts["news.example"] == "news"
    assert registry.hosts["other.example"] == "other"
    warnings = [p.message for p in validate(path) if p.severity == "warning"]
    assert any("curated one wins" in w for w in warnings)
    assert registry.outlets["other"].labels[0].list == "ru-foreign-agents"


def test_label_status_by_date():
    registry = load(DATA / "sources-small.yaml")
    labels = {l.type: l for l in registry.outlets["statenews"].labels}
    twitter = labels["platform-state-affiliated"]
    assert twitter.status("2021-01-01") == "active"
    assert twitter.status("2023-04-21") == "historical"
    assert twitter.status("2019-12-31") == "future"
    partial = {l.type: l for l in registry.outlets["freepress"].labels}["undesirable-organisation"]
    assert partial.since == "2024-07"
    assert partial.status("2024-07-01") == "active"
    assert partial.status("2024-06-30") == "future"


def test_chain_follows_the_largest_share_and_lists_co_owners():
    registry = load(DATA / "sources-small.yaml")
    chain = registry.ownership_chain(registry.outlets["bignews"])
    assert [n["id"] for n in chain] == ["bignews", "bigcorp-holding", "family-x"]
    assert chain[-1]["ultimate"] is True
    assert chain[-1]["co_owners"] == [{"id": "bigcorp", "name": "Big Media Corp", "share": 40}]
    assert {o.id for o in registry.ultimate_owners(registry.outlets["bignews"])} == {"family-x", "bigcorp"}


def test_live_sources_keeps_the_last_good_version(tmp_path):
    path = write(tmp_path, BASE)
    live = LiveSources(path, check_interval=0)
    assert "news" in live.current().outlets
    path.write_text(BASE.replace("type: broadcast-ban", "type: bogus"), encoding="utf-8")
    registry = live.current()
    assert "news" in registry.outlets and registry.outlets["news"].labels
    assert live.last_error and "bogus" in live.last_error["problems"][0]["message"]
    path.write_text(BASE.replace("name: News", "name: News Today"), encoding="utf-8")
    assert live.current().outlets["news"].name == "News Today"
    assert live.last_error is None


def test_live_sources_refuses_to_start_on_a_broken_file(tmp_path):
    path = write(tmp_path, "owners: [\n")
    with pytest.raises(SourcesError) as caught:
        LiveSources(path)
    assert caught.value.problems[0].line == 2


def test_json_schema_accepts_the_bundled_list_and_knows_the_vocabulary():
    import json

    import jsonschema
    from ruamel.yaml import YAML

    from masthead.registry.vocabulary import LABEL_TYPES, OWNER_KINDS

    schema = json.loads((Path(__file__).parent.parent / "server" / "masthead" / "sources.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    label_enum = schema["properties"]["outlets"]["items"]["properties"]["labels"]["items"]["properties"]["type"]["enum"]
    assert sorted(label_enum) == sorted(LABEL_TYPES)
    assert schema["properties"]["owners"]["items"]["properties"]["kind"]["enum"] == list(OWNER_KINDS)
    yaml = YAML(typ="safe")
    yaml.constructor.yaml_constructors["tag:yaml.org,2002:timestamp"] = yaml.constructor.yaml_constructors["tag:yaml.org,2002:str"]
    data = yaml.load((Path(__file__).parent.parent / "sources.yaml").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)


def _same_tree(fast, pure, path="") -> None:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    assert type(fast) is type(pure), path
    if isinstance(fast, (CommentedMap, CommentedSeq)):
        assert (fast.lc.line, fast.lc.col, fast.lc.data) == (pure.lc.line, pure.lc.col, pure.lc.data), path
        for key, value in (fast.items() if isinstance(fast, dict) else enumerate(fast)):
            _same_tree(value, pure[key], f"{path}/{key}")
    else:
        assert fast == pure, path


@pytest.mark.parametrize("name", ["sources.yaml", "tests/data/sources-small.yaml"])
def test_fast_parser_gives_the_pure_parsers_values_and_positions(name):
    from ruamel.yaml import YAML

    from masthead.registry import yamlfile

    if yamlfile._FastComposer is None:
        pytest.skip("ruamel.yaml.clib is not installed")
    text = (Path(__file__).resolve().parent.parent / name).read_text(encoding="utf-8")
    pure = YAML(typ="rt")
    pure.Constructor = yamlfile._TextDatesConstructor
    _same_tree(yamlfile.parse_yaml(text), pure.load(text))


def test_yaml_12_forms_libyaml_refuses_still_load(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(textwrap.dedent("""\
        owners:
          - id: o
            name: O
            kind: company
            country: NL
        outlets:
          - id: a
            name: A
            country: NL
            domains: [a.example]
            owner: o
            owner_sources: [https://example.org/register/a]
        """))
    from masthead.registry import check

    registry, problems = check(path)
    assert problems == [] and registry.outlets["a"].name == "A"


@pytest.mark.parametrize("old, new, message", [
    ("country: RU", "country: [0]", "country [0] is not an ISO 3166-1"),
    ("type: broadcast-ban", "type: [broadcast-ban]", "is not in the vocabulary"),
    ("jurisdiction: EU", "jurisdiction: {EU: 1}", "is not an ISO 3166 code"),
])
def test_a_list_or_mapping_where_a_code_belongs_is_a_problem_not_a_crash(tmp_path, old, new, message):
    text = (DATA / "sources-small.yaml").read_text()
    assert old in text
    path = tmp_path / "sources.yaml"
    path.write_text(text.replace(old, new, 1))
    assert any(message in p.message for p in validate(path))
