"""Property-based tests: normalisation and matching never crash and settle; the loader survives mutation."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from masthead import urls
from masthead.registry import load, validate

DATA = Path(__file__).parent / "data"
REGISTRY = load(DATA / "sources-small.yaml")

hosts = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?){0,3}\.(com|org|example|co\.uk|xn--p1ai|blogspot\.com)", fullmatch=True)
paths = st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12), max_size=4).map(lambda parts: "/" + "/".join(parts))
queries = st.dictionaries(st.sampled_from(["utm_source", "id", "fbclid", "page", "q", "gclid", "a"]), st.text(max_size=8), max_size=4)
schemes = st.sampled_from(["http", "https", "HTTP", "HtTpS"])


@st.composite
def web_urls(draw):
    from urllib.parse import urlencode

    query = draw(queries)
    url = f"{draw(schemes)}://{draw(hosts)}{draw(paths)}"
    if query:
        url += "?" + urlencode(query)
    if draw(st.booleans()):
        url += "#" + draw(st.text(max_size=5))
    return url


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_normalise_never_raises_anything_but_url_errors(text):
    try:
        page = urls.normalise(text)
    except urls.URLError:
        return
    assert page.scheme in ("http", "https")
    REGISTRY.match(page)


@settings(max_examples=400, deadline=None)
@given(web_urls())
def test_normalise_is_idempotent_on_web_urls(url):
    try:
        first = urls.normalise(url)
    except urls.URLError:
        return
    second = urls.normalise(first.url)
    assert second.url == first.url
    assert REGISTRY.match(first) == REGISTRY.match(second)


@settings(max_examples=300, deadline=None)
@given(hosts, paths)
def test_matching_ignores_case_www_and_tracking(host, path):
    base = f"https://{host}{path}"
    try:
        plain = urls.normalise(base)
    except urls.URLError:
        return
    variant = urls.normalise(f"HTTPS://WWW.{host.upper()}{path}?utm_source=x#frag")
    assert REGISTRY.match(plain) == REGISTRY.match(variant)


SMALL = (DATA / "sources-small.yaml").read_text(encoding="utf-8")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_loader_survives_mutated_files_and_points_at_a_line(tmp_path, data):
    text = SMALL
    for _ in range(data.draw(st.integers(1, 3))):
        position = data.draw(st.integers(0, len(text)))
        kind = data.draw(st.sampled_from(["delete", "insert", "replace"]))
        chunk = data.draw(st.text(alphabet=" :-[]{}\n\t#'\"abc0123&*!|>", min_size=1, max_size=6))
        if kind == "delete":
            text = text[:position] + text[position + len(chunk):]
        elif kind == "insert":
            text = text[:position] + chunk + text[position:]
        else:
            text = text[:position] + chunk + text[position + len(chunk):]
    path = tmp_path / "mutated.yaml"
    path.write_text(text, encoding="utf-8")
    problems = validate(path)
    lines = text.count("\n") + 2
    for problem in problems:
        assert 1 <= problem.line <= lines, str(problem)
        assert problem.column >= 1
        assert problem.message
