"""URL normalisation, unwrapping and outlet matching, as a table: adding a case is adding a line."""

from pathlib import Path

import pytest

from masthead import urls
from masthead.registry import load

DATA = Path(__file__).parent / "data"

# (raw URL, canonical URL, outlet id or None)
CASES = [
    # scheme, case, ports, fragments, trailing dots
    ("https://statenews.example/a", "https://statenews.example/a", "statenews"),
    ("HTTPS://STATENEWS.EXAMPLE/a", "https://statenews.example/a", "statenews"),
    ("http://statenews.example:80/a", "http://statenews.example/a", "statenews"),
    ("https://statenews.example:443/a", "https://statenews.example/a", "statenews"),
    ("https://statenews.example:8443/a", "https://statenews.example:8443/a", "statenews"),
    ("https://statenews.example./a", "https://statenews.example/a", "statenews"),
    ("https://statenews.example/a#section-2", "https://statenews.example/a", "statenews"),
    ("https://statenews.example", "https://statenews.example/", "statenews"),
    ("  https://statenews.example/a  ", "https://statenews.example/a", "statenews"),
    ("statenews.example/a", "https://statenews.example/a", "statenews"),
    ("//statenews.example/a", "https://statenews.example/a", "statenews"),
    ("https://user:pw@statenews.example/a", "https://statenews.example/a", "statenews"),
    ("https://statenews.example/a/./b/../c", "https://statenews.example/a/c", "statenews"),
    ("https://statenews.example/a%20b", "https://statenews.example/a%20b", "statenews"),
    ("https://statenews.example/a b", "https://statenews.example/a%20b", "statenews"),
    # tracking parameters
    ("https://statenews.example/a?utm_source=x&utm_medium=y", "https://statenews.example/a", "statenews"),
    ("https://statenews.example/a?id=5&fbclid=abc", "https://statenews.example/a?id=5", "statenews"),
    ("https://statenews.example/a?gclid=1&b=2&a=1", "https://statenews.example/a?a=1&b=2", "statenews"),
    ("https://statenews.example/a?mc_cid=1&mc_eid=2&_ga=3", "https://statenews.example/a", "statenews"),
    ("https://statenews.example/a?page=2&utm_campaign=z", "https://statenews.example/a?page=2", "statenews"),
    # subdomains, www, mobile and AMP hosts
    ("https://www.statenews.example/a", "https://www.statenews.example/a", "statenews"),
    ("https://m.statenews.example/a", "https://statenews.example/a", "statenews"),
    ("https://amp.statenews.example/a", "https://statenews.example/a", "statenews"),
    ("https://mobile.statenews.example/a", "https://statenews.example/a", "statenews"),
    ("https://sport.statenews.example/a", "https://sport.statenews.example/a", "statenews"),
    ("https://a.b.c.statenews.example/a", "https://a.b.c.statenews.example/a", "statenews"),
    ("https://region.statenews.example/a", "https://region.statenews.example/a", "statenews-regional"),
    ("https://www.region.statenews.example/a", "https://www.region.statenews.example/a", "statenews-regional"),
    ("https://city.region.statenews.example/a", "https://city.region.statenews.example/a", "statenews-regional"),
    ("https://statenews.example/news/amp", "https://statenews.example/news", "statenews"),
    ("https://statenews.example/news/story.amp", "https://statenews.example/news/story", "statenews"),
    # mirrors
    ("https://statenews-mirror.test/a", "https://statenews-mirror.test/a", "statenews"),
    ("https://statenews.co.uk/a", "https://statenews.co.uk/a", "statenews"),
    ("https://www.statenews.co.uk/a", "https://www.statenews.co.uk/a", "statenews"),
    # public-suffix platforms need full-host keys
    ("https://sn.blogspot.com/2024/01/post.html", "https://sn.blogspot.com/2024/01/post.html", "statenews"),
    ("https://someone-else.blogspot.com/post", "https://someone-else.blogspot.com/post", None),
    # path-prefixed sections
    ("https://www.nbc-example.com/russian/news-123", "https://www.nbc-example.com/russian/news-123", "national-broadcaster-russian"),
    ("https://nbc-example.com/russian", "https://nbc-example.com/russian", "national-broadcaster-russian"),
    ("https://www.nbc-example.com/RUSSIAN/x", "https://www.nbc-example.com/RUSSIAN/x", "national-broadcaster-russian"),
    ("https://www.nbc-example.com/russians/x", "https://www.nbc-example.com/russians/x", "national-broadcaster"),
    ("https://www.nbc-example.com/news/x", "https://www.nbc-example.com/news/x", "national-broadcaster"),
    ("https://www.nbc-example.co.uk/russian/x", "https://www.nbc-example.co.uk/russian/x", "national-broadcaster"),
    # IDN: one canonical (ASCII) form whatever form it arrives in
    ("https://свобода-пресс.рф/статья", "https://xn----7sbcdli2dbmkcka.xn--p1ai/%D1%81%D1%82%D0%B0%D1%82%D1%8C%D1%8F", "freepress"),
    ("https://СВОБОДА-ПРЕСС.РФ/", "https://xn----7sbcdli2dbmkcka.xn--p1ai/", "freepress"),
    ("https://xn----7sbcdli2dbmkcka.xn--p1ai/", "https://xn----7sbcdli2dbmkcka.xn--p1ai/", "freepress"),
    ("https://кремль.рф/", "https://xn--e1ajeds9e.xn--p1ai/", None),
    # AMP caches
    ("https://statenews-example.cdn.ampproject.org/c/s/statenews.example/a", "https://statenews.example/a", "statenews"),
    ("https://statenews-example.cdn.ampproject.org/v/s/statenews.example/a?amp_js_v=0.1", "https://statenews.example/a?amp_js_v=0.1", "statenews"),
    ("https://freepress-example.cdn.ampproject.org/c/freepress.example/b", "http://freepress.example/b", "freepress"),
    ("https://www.google.com/amp/s/freepress.example/b", "https://freepress.example/b", "freepress"),
    # web archives
    ("https://web.archive.org/web/20220301000000/https://statenews.example/a", "https://statenews.example/a", "statenews"),
    ("https://web.archive.org/web/20220301000000id_/http://freepress.example/b", "http://freepress.example/b", "freepress"),
    ("https://web.archive.org/web/2022/statenews.example/a", "http://statenews.example/a", "statenews"),
    ("https://archive.ph/newest/https://bignews.example/story", "https://bignews.example/story", "bignews"),
    ("https://web.archive.org/", "https://web.archive.org/", None),
    # redirect wrappers
    ("https://l.facebook.com/l.php?u=https%3A%2F%2Fstatenews.example%2Fa%3Ffbclid%3Dx&h=AT0", "https://statenews.example/a", "statenews"),
    ("https://www.google.com/url?q=https://freepress.example/b&sa=D", "https://freepress.example/b", "freepress"),
    ("https://www.google.com/url?url=https%3A%2F%2Fbignews.example%2Fs", "https://bignews.example/s", "bignews"),
    ("https://out.reddit.com/t3_x?url=https%3A%2F%2Fstatenews.example%2Fa", "https://statenews.example/a", "statenews"),
    ("https://away.vk.com/away.php?to=https%3A%2F%2Ffreepress.example%2Fb", "https://freepress.example/b", "freepress"),
    ("https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fbignews.example%2Fs&data=1", "https://bignews.example/s", "bignews"),
    ("https://www.youtube.com/redirect?q=https%3A%2F%2Fstatenews.example%2Fa", "https://statenews.example/a", "statenews"),
    # a wrapper whose payload is junk stays itself
    ("https://www.google.com/url?q=not-a-url", "https://www.google.com/url?q=not-a-url", None),
    # nested wrappers
    ("https://l.facebook.com/l.php?u=" + "https%3A%2F%2Fweb.archive.org%2Fweb%2F2020%2Fhttps%3A%2F%2Fstatenews.example%2Fa", "https://statenews.example/a", "statenews"),
    # unknown domains
    ("https://unknown-news.example/x", "https://unknown-news.example/x", None),
    ("https://www.example.co.uk/x", "https://www.example.co.uk/x", None),
    ("http://intranet/page", "http://intranet/page", None),
    # IP addresses never match an outlet
    ("http://127.0.0.1:8765/api", "http://127.0.0.1:8765/api", None),
    ("http://2130706433/", "http://127.0.0.1/", None),
    ("http://0x7f.1/", "http://127.0.0.1/", None),
    ("http://[::1]/", "http://[::1]/", None),
    ("http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x", None),
]

ERRORS = [
    # (raw, error class, words in the message)
    ("chrome://settings", urls.NotAWebPage, "not web pages"),
    ("chrome-extension://abcdef/popup.html", urls.NotAWebPage, "not web pages"),
    ("moz-extension://abc/popup.html", urls.NotAWebPage, "not web pages"),
    ("about:blank", urls.NotAWebPage, "not web pages"),
    ("file:///etc/passwd", urls.NotAWebPage, "not web pages"),
    ("data:text/html,<h1>x</h1>", urls.NotAWebPage, "not web pages"),
    ("javascript:alert(1)", urls.NotAWebPage, "not web pages"),
    ("view-source:https://statenews.example/", urls.NotAWebPage, "not web pages"),
    ("ftp://statenews.example/file", urls.NotAWebPage, "not web pages"),
    ("mailto:someone@statenews.example", urls.NotAWebPage, "not web pages"),
    ("", urls.URLError, "empty"),
    ("   ", urls.URLError, "empty"),
    ("https://", urls.URLError, "no host"),
    ("https://exa mple.com/", urls.URLError, "not a valid host"),
    ("https://-bad-.example/", urls.URLError, "not a valid host"),
    ("https://a..b.example/", urls.URLError, "not a valid host"),
    ("https://statenews.example:99999/", urls.URLError, "cannot be parsed"),
    ("https://statenews.example:port/", urls.URLError, "cannot be parsed"),
    ("https://[::1/", urls.URLError, "cannot be parsed"),
    ("https://" + "a" * 64 + ".example/", urls.URLError, "not a valid host"),
    ("https://statenews.example/" + "x" * 7000, urls.URLError, "limit"),
    ("%%%", urls.URLError, "not a valid host"),
]


@pytest.fixture(scope="module")
def registry():
    return load(DATA / "sources-small.yaml")


@pytest.mark.parametrize("raw,canonical,outlet_id", CASES)
def test_normalise_and_match(registry, raw, canonical, outlet_id):
    page = urls.normalise(raw)
    assert page.url == canonical
    match = registry.match(page)
    assert (match.outlet.id if match else None) == outlet_id


@pytest.mark.parametrize("raw,canonical,outlet_id", CASES)
def test_normalise_is_idempotent(raw, canonical, outlet_id):
    assert urls.normalise(canonical).url == canonical


@pytest.mark.parametrize("raw,error,words", ERRORS)
def test_bad_input_gets_a_clear_error(raw, error, words):
    with pytest.raises(error) as caught:
        urls.normalise(raw)
    assert type(caught.value) is error
    assert words in str(caught.value)


def test_unwrapping_records_the_wrappers():
    page = urls.normalise("https://web.archive.org/web/20220301000000/https://statenews.example/a")
    assert page.unwrapped_from == ("https://web.archive.org/web/20220301000000/https://statenews.example/a",)


@pytest.mark.parametrize(
    "host,expected",
    [
        ("news.bbc.co.uk", "bbc.co.uk"),
        ("bbc.co.uk", "bbc.co.uk"),
        ("co.uk", None),
        ("a.b.example.com", "example.com"),
        ("someone.github.io", "github.io"),  # ICANN view: platforms need full-host keys
        ("xn--e1ajeds9e.xn--p1ai", "xn--e1ajeds9e.xn--p1ai"),
        ("localhost", None),
    ],
)
def test_registered_domain(host, expected):
    assert urls.registered_domain(host) == expected


@pytest.mark.parametrize(
    "host,expected",
    [("blogspot.com", True), ("github.io", True), ("co.uk", True), ("com", True),
     ("bbc.co.uk", False), ("me.github.io", False), ("statenews.example", False)],
)
def test_public_suffix(host, expected):
    assert urls.is_public_suffix(host) is expected


def test_match_hosts_walks_to_the_registered_domain():
    assert urls.match_hosts("www.a.b.example.co.uk") == ["a.b.example.co.uk", "b.example.co.uk", "example.co.uk"]


def test_stacked_alias_prefixes_settle_in_one_pass():
    assert urls.normalise("http://m.m.statenews.example/a").url == "http://statenews.example/a"
    assert urls.match_hosts("www.m.statenews.example") == ["statenews.example"]
