"""axe-core (npm) on the popup, the options page and the server's /edit and /stories pages, in Chromium and Firefox: no serious
or critical violation, in the light and the dark theme."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from harness import STORY_URL, UNKNOWN_URL

# Run axe with WCAG 2.x A and AA rules; keep what a reader would be hurt by.
RUN = """axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
    .then(r => r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))"""


def _pages(extension_url, server_url):
    return {
        "popup-outlet": extension_url(f"popup/popup.html?url={STORY_URL}"),
        "popup-unknown": extension_url(f"popup/popup.html?url={UNKNOWN_URL}"),
        "options": extension_url("options/options.html"),
        "edit": f"{server_url}/edit?domain=unknown-news.example",
        "story": f"{server_url}/stories?url={quote(STORY_URL, safe='')}",
    }


def _ready(name):
    if name.startswith("popup"):
        return "document.documentElement.dataset.state === 'ready'"
    if name == "options":
        return "document.getElementById('server-url').value !== ''"
    return "document.readyState === 'complete'"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_in_chromium(extension, masthead_server, tab, axe_source, scheme):
    extension.configure(masthead_server.url)
    extension.wait_for_domains(masthead_server.url)
    tab.emulate_media(color_scheme=scheme)
    found = {}
    for name, url in _pages(extension.url, masthead_server.url).items():
        tab.goto(url)
        tab.wait_for_function(f"() => {_ready(name)}")
        if name == "popup-outlet":  # the details too: open every label and the ownership chain
            tab.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        tab.evaluate(axe_source)
        found[name] = tab.evaluate(RUN)
    assert not any(found.values()), json.dumps(found, indent=1)


@pytest.mark.parametrize("dark", [False, True])
def test_axe_in_firefox(firefox, masthead_server, ff_tab, axe_source, dark):
    firefox.configure(masthead_server.url)
    firefox.set_dark(dark)
    found = {}
    try:
        for name, url in _pages(firefox.url, masthead_server.url).items():
            firefox.navigate(ff_tab, url)
            firefox.wait_for(ff_tab, _ready(name))
            if name == "popup-outlet":
                firefox.evaluate(ff_tab, "document.querySelectorAll('details').forEach(d => d.open = true)")
            firefox.evaluate(ff_tab, f"(() => {{ {axe_source}\n; return true; }})()")
            found[name] = firefox.evaluate(ff_tab, RUN)
    finally:
        firefox.set_dark(None)
    assert not any(found.values()), json.dumps(found, indent=1)
