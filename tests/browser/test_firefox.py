"""End to end in Debian's Firefox ESR (over WebDriver BiDi, no downloaded browser): the real toolbar popup's
answer, the badge, the options, adding an outlet from the popup. Kept lean: Chromium runs the full set
(test_extension.py); these prove the same files work in Firefox."""

from __future__ import annotations

import json
import time

from harness import SCREENSHOTS, STORY_URL, UNKNOWN_URL, WRITE_TOKEN, delete_outlet_and_wait, free_port

FREEPRESS_URL = "http://freepress.example/news/2026/02/26/dorvik-treaty-velmaria-sovereignty"


def test_badge_is_set_locally(firefox, masthead_server, ff_tab):
    firefox.configure(masthead_server.url)
    firefox.navigate(ff_tab, STORY_URL)
    badge = firefox.wait_badge(STORY_URL, "STATE")
    assert "State News" in badge["title"] and "Broadcasting ban" in badge["title"]
    firefox.navigate(ff_tab, FREEPRESS_URL)
    firefox.wait_badge(FREEPRESS_URL, "UNDES")
    firefox.navigate(ff_tab, UNKNOWN_URL)
    assert firefox.wait_badge(UNKNOWN_URL, "")["title"] == "Masthead: who stands behind this page"


def test_popup_answers_with_outlet_owner_labels_and_related(firefox, masthead_server, ff_tab):
    firefox.configure(masthead_server.url)
    firefox.navigate(ff_tab, STORY_URL)
    state = firefox.open_popup(ff_tab)
    assert state["view"] == "outlet"
    assert firefox.in_popup("document.getElementById('outlet-name').textContent") == "State News"
    rows = firefox.in_popup("[...document.querySelectorAll('.labels:not(.historical) > li > details')].map(d => d.dataset.type)")
    assert rows == ["state-controlled", "broadcast-ban"]
    assert "Government of Examplestan" in state["text"]
    links = firefox.in_popup("[...document.querySelectorAll('.related-title')].map(a => a.href)")
    assert "https://freepress.example/news/2026/02/26/dorvik-treaty-velmaria-sovereignty" in links
    firefox.in_popup("document.querySelector('.label[data-type=broadcast-ban] summary').click()")
    details = firefox.in_popup("document.querySelector('.label[data-type=broadcast-ban]').innerText")
    assert "Council Regulation (EU) 2022/350" in details
    firefox.close_popup()


def test_popup_says_when_the_server_is_down(firefox, ff_tab):
    down = f"http://127.0.0.1:{free_port()}"
    firefox.configure(down, wait=False)
    firefox.navigate(ff_tab, STORY_URL)
    state = firefox.open_popup(ff_tab)
    assert state["view"] == "unreachable" and "masthead serve" in state["text"]
    firefox.close_popup()


def test_options_save_and_test_connection(firefox, masthead_server, ff_tab):
    firefox.configure(masthead_server.url)
    firefox.navigate(ff_tab, firefox.url("options/options.html"))
    firefox.wait_for(ff_tab, "document.getElementById('server-url').value !== ''")
    assert firefox.evaluate(ff_tab, "document.getElementById('server-url').value") == masthead_server.url
    firefox.evaluate(ff_tab, "(() => { document.getElementById('badge-enabled').checked = false;"
                             " document.getElementById('save').click(); })()", user_activation=True)
    firefox.wait_for(ff_tab, "document.getElementById('status').classList.contains('ok')")
    settings = firefox.ext("browser.storage.local.get('settings').then(s => s.settings)")
    assert settings["serverUrl"] == masthead_server.url and settings["badgeEnabled"] is False
    firefox.evaluate(ff_tab, "document.getElementById('test-connection').click()")
    status = firefox.wait_for(ff_tab, "(t => t.startsWith('Connected') && t)(document.getElementById('status').textContent)")
    assert "6 outlets" in status
    firefox.screenshot(ff_tab, SCREENSHOTS / "firefox-options.png")
    firefox.configure(masthead_server.url)


def test_add_this_outlet_from_the_popup(firefox, masthead_server, ff_tab):
    """Unknown outlet -> the popup's "Add this outlet" -> /edit with the domain filled in -> saved -> known."""
    firefox.configure(masthead_server.url)
    firefox.navigate(ff_tab, UNKNOWN_URL)
    state = firefox.open_popup(ff_tab)
    assert state["view"] == "unknown"
    before = {tab["context"] for tab in firefox.tabs()}
    firefox.in_popup("document.getElementById('add-outlet').click()")
    edit_url = f"{masthead_server.url}/edit?domain=unknown-news.example"
    deadline = time.monotonic() + 10
    while not (opened := [t for t in firefox.tabs() if t["context"] not in before and t["url"] == edit_url]):
        assert time.monotonic() < deadline, firefox.tabs()
        time.sleep(0.05)
    edit = opened[0]["context"]
    try:
        firefox.wait_for(edit, "document.readyState === 'complete' && !!document.getElementById('domains')")
        assert firefox.evaluate(edit, "document.getElementById('domains').value.trim()") == "unknown-news.example"
        fields = {"id": "unknown-news", "name": "Unknown News", "country": "NL",
                  "ownership_note": "Owner not yet researched.", "token": WRITE_TOKEN}
        firefox.evaluate(edit, f"(() => {{ for (const [id, value] of Object.entries({json.dumps(fields)}))"
                               " document.getElementById(id).value = value;"
                               " document.querySelector('button[type=submit]').click(); })()")
        firefox.wait_for(edit, "document.readyState === 'complete' && document.body.innerText.includes('Unknown News')"
                               " && !document.getElementById('token')?.value")
        deadline = time.monotonic() + 10
        while True:  # the server reloads sources.yaml within a second
            state = firefox.open_popup(ff_tab)
            firefox.close_popup()
            if "Unknown News" in state["text"] or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert "Unknown News" in state["text"]
    finally:
        firefox.close_tab(edit)
        delete_outlet_and_wait(masthead_server.url, "unknown-news", WRITE_TOKEN)
