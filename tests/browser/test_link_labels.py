"""Labels next to links, in Chromium and Firefox, on saved pages of the shapes readers meet (tests/data/link-pages:
search results, feeds, aggregators; built for these tests). Each link's expectation is data on the page itself
(`data-expect` = the badge word, empty for none), so adding a case is adding a link."""

from __future__ import annotations

import json
import re
import time

import pytest

from harness import EXTENSION, LINK_PAGES

HOSTS = sorted(path.name[: -len(".html")] for path in LINK_PAGES.glob("*.html"))
SITES_JS = (EXTENSION / "lib" / "sites.js").read_text()
SITE_IDS = re.findall(r'\{ id: "([^"]+)"', SITES_JS)
SITE_HOSTS = re.findall(r'"([a-z0-9.-]+\.[a-z]+)"', "".join(re.findall(r"hosts: \[([^\]]*)\]", SITES_JS)))
DARK_PAGES = {"x.com", "mastodon.social"}

# Run in the page: every [data-expect] link with what it expects and what it got, and whether anything moved.
CHECK = """(() => {
    const links = [...document.querySelectorAll('a[data-expect]')];
    const probe = window.__mastheadProbe;
    const now = probe.rects();
    // Containers a feed grows by itself (its later posts carry data-late) may grow; nothing else may move.
    const moved = probe.before.map((rect, index) => rect === now[index] || probe.elements[index].querySelector('[data-late]') ? null
        : [probe.elements[index].outerHTML.slice(0, 80), rect, now[index]]).filter(Boolean);
    const themes = [...new Set([...document.querySelectorAll('masthead-label')].map(h => h.dataset.theme))];
    return {
        rows: links.map(a => [a.getAttribute('href').slice(0, 90), a.dataset.expect, a.dataset.mastheadBadge ?? '']),
        pending: links.some(a => a.dataset.expect && !a.dataset.mastheadBadge),
        feedDone: document.documentElement.dataset.feedDone ?? null,
        moved, themes,
    };
})()"""


def _settled(check, timeout=10):
    """Poll `check()` until every expected badge is there (and a feed has finished growing)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        waiting = found["pending"] or found["feedDone"] == "false"
        if not waiting or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _assert_page(host, found):
    wrong = [row for row in found["rows"] if row[1] != row[2]]
    assert not wrong, f"{host}: {len(wrong)} links wrong, (href, expected, got): {wrong[:4]}"
    assert not found["moved"], f"{host}: the badges moved page content: {found['moved'][:3]}"
    assert found["themes"] == (["dark"] if host in DARK_PAGES else ["light"]), f"{host}: {found['themes']}"


# ------------------------------------------------------------------------------------------------ Chromium


@pytest.fixture(scope="module")
def chromium_links(extension, browser_context, masthead_server):
    page = browser_context.new_page()
    extension.configure(masthead_server.url)
    extension.wait_for_domains(masthead_server.url)
    # Off by default: no badge before the reader switches a site on.
    page.goto("http://www.google.com/search?q=velmaria")
    time.sleep(0.5)
    assert page.evaluate("document.querySelectorAll('masthead-label').length") == 0
    extension.grant_hosts(page, SITE_HOSTS)
    # Switched on site by site in the options page, as a reader does it.
    page.goto(extension.url("options/options.html"))
    for site in SITE_IDS:
        page.check(f"#site-{site}")
        page.wait_for_selector(f"#site-{site}[data-active=true]")
    yield page
    extension.configure(masthead_server.url)
    page.close()


@pytest.mark.parametrize("host", HOSTS)
def test_link_badges_in_chromium(chromium_links, host):
    page = chromium_links
    page.goto(f"http://{host}/")
    found = _settled(lambda: page.evaluate(CHECK))
    _assert_page(host, found)


def test_link_badge_explains_itself_on_keyboard_focus_in_chromium(chromium_links):
    page = chromium_links
    page.goto("http://www.google.com/search?q=velmaria")
    page.wait_for_selector("a[data-masthead-badge]")
    page.focus("a[data-masthead-badge=UNDES]")
    tip = page.evaluate("(() => { const t = document.querySelector('masthead-tooltip');"
                        " return t && {shown: t.style.display, text: t.shadowRoot.textContent}; })()")
    assert tip["shown"] == "block", tip
    assert "Free Press Daily" in tip["text"] and "Undesirable organisation" in tip["text"], tip
    page.keyboard.press("Escape")
    assert page.evaluate("document.querySelector('masthead-tooltip').style.display") == "none"


def test_link_matching_sends_nothing_to_the_server(chromium_links, extension, proxy):
    page = chromium_links
    extension.configure(proxy.url)
    extension.wait_for_domains(proxy.url)
    extension.worker.evaluate("(sites) => chrome.storage.local.get('settings').then(({settings}) =>"
                              " chrome.storage.local.set({settings: {...settings, linkSites: sites}}))", SITE_IDS)
    proxy.requests.clear()
    page.goto("http://www.reddit.com/r/worldnews/")
    _settled(lambda: page.evaluate(CHECK))
    assert not [path for path in proxy.requests if not path.startswith(("/api/domains", "/api/labels"))], proxy.requests


# ------------------------------------------------------------------------------------------------ Firefox


def test_link_badges_in_firefox(firefox, masthead_server, ff_tab):
    firefox.configure(masthead_server.url)
    firefox.navigate(ff_tab, firefox.url("options/options.html"))
    firefox.wait_for(ff_tab, "!!document.getElementById('site-google')")
    # Firefox grants the optional permissions without a prompt here (extensions.webextOptionalPermissionPrompts).
    for site in SITE_IDS:
        firefox.click(ff_tab, f"#site-{site}")
        firefox.wait_for(ff_tab, f"document.getElementById('site-{site}').dataset.active === 'true'",
                         message=f"{site} was not switched on")
    for host in HOSTS:
        firefox.navigate(ff_tab, f"http://{host}/")
        found = _settled(lambda: firefox.evaluate(ff_tab, CHECK))
        _assert_page(host, found)
    firefox.configure(masthead_server.url)
    assert json.dumps(firefox.ext("browser.scripting.getRegisteredContentScripts()")) == "[]"


# ------------------------------------------------------------------------------------------------ sender trust

# Run in the background: inject a script into the content script's world of the tab on `host` (where the link
# labels run), which sends the background every kind of message; what came back for each (issue 21 item 6, issue 26).
FORBIDDEN = ["settings", "save-settings", "store-page", "context", "test-connection", "refresh-domains", "link-sites",
             "domains-status"]
FROM_CONTENT_WORLD = """(([host, types]) => (globalThis.browser ?? globalThis.chrome).tabs.query({})
  .then((tabs) => tabs.find((t) => (t.url || '').includes(host)))
  .then((tab) => (globalThis.browser ?? globalThis.chrome).scripting.executeScript({target: {tabId: tab.id}, args: [types],
    func: async (types) => {
      const ext = globalThis.browser ?? globalThis.chrome;
      const out = {};
      for (const type of types) {
        try {
          const answer = await ext.runtime.sendMessage({type, url: location.href, title: 'x',
            settings: {serverUrl: 'http://evil.example/', storePages: true, token: 'stolen'}});
          out[type] = answer === undefined ? 'no answer' : JSON.stringify(answer);
        } catch (error) { out[type] = 'refused: ' + error.message; }
      }
      const match = await ext.runtime.sendMessage({type: 'match-links', urls: ['https://statenews.example/2026/x.html']});
      out['match-links'] = JSON.stringify(match);
      return out;
    }}))
  .then((results) => results[0].result))"""
SECRET = "content-world-must-not-read-this-token-0123"
SETTINGS = "(globalThis.browser ?? globalThis.chrome).storage.local.get('settings').then(({settings}) => settings)"
SET_TOKEN = ("(globalThis.browser ?? globalThis.chrome).storage.local.get('settings').then(({settings}) =>"
             f" (globalThis.browser ?? globalThis.chrome).storage.local.set({{settings: {{...settings, token: '{SECRET}'}}}}))")


def _assert_refused(answers, settings_after, server_url):
    for kind in FORBIDDEN:
        assert kind in answers and SECRET not in answers[kind] and '"ok":true' not in answers[kind], (kind, answers[kind])
    assert '"ok":true' in answers["match-links"] and "statenews" in answers["match-links"], answers["match-links"]
    assert settings_after["serverUrl"] == server_url and not settings_after.get("storePages") and settings_after["token"] == SECRET


def test_a_content_script_may_only_match_links_in_chromium(chromium_links, extension):
    page = chromium_links
    extension.worker.evaluate(f"() => {SET_TOKEN}")
    server_url = extension.worker.evaluate(f"() => {SETTINGS}")["serverUrl"]  # the server or, after the test above, its proxy
    page.goto("http://www.google.com/search?q=velmaria")
    page.wait_for_selector("a[data-masthead-badge]")
    answers = extension.worker.evaluate(f"(args) => {FROM_CONTENT_WORLD}(args)", ["www.google.com", FORBIDDEN])
    _assert_refused(answers, extension.worker.evaluate(f"() => {SETTINGS}"), server_url)


def test_a_content_script_may_only_match_links_in_firefox(firefox, masthead_server, ff_tab):
    firefox.configure(masthead_server.url)
    firefox.navigate(ff_tab, firefox.url("options/options.html"))
    firefox.wait_for(ff_tab, "!!document.getElementById('site-google')")
    firefox.click(ff_tab, "#site-google")
    firefox.wait_for(ff_tab, "document.getElementById('site-google').dataset.active === 'true'")
    firefox.ext(SET_TOKEN)
    firefox.navigate(ff_tab, "http://www.google.com/search?q=velmaria")
    firefox.wait_for(ff_tab, "!!document.querySelector('a[data-masthead-badge]')")
    answers = firefox.ext(f"{FROM_CONTENT_WORLD}({json.dumps(['www.google.com', FORBIDDEN])})")
    _assert_refused(answers, firefox.ext(SETTINGS), masthead_server.url)
    firefox.configure(masthead_server.url)
