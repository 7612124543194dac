"""The server's outlet page (linked from the popup's "details") in Chromium and Firefox: screenshots at two widths,
axe-clean, the graph's boxes reachable by keyboard."""

from __future__ import annotations

import json

import pytest

from harness import SCREENSHOTS, most_labelled_outlet
from test_accessibility import RUN

WIDTHS = (1024, 390)


@pytest.fixture(scope="module")
def outlet_url(bundled_server):
    return f"{bundled_server.url}/outlets/{most_labelled_outlet(bundled_server)['id']}"


def test_outlet_page_in_chromium(browser_context, outlet_url, axe_source):
    page = browser_context.new_page()
    try:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(outlet_url)
            page.screenshot(path=str(SCREENSHOTS / f"outlet-page-chromium-{width}.png"), full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 0, f"the page is wider than {width} px by {overflow} px"
        page.evaluate(axe_source)
        assert page.evaluate(RUN) == []
        page.emulate_media(color_scheme="dark")
        assert page.evaluate(RUN) == []
        focused = None
        for _ in range(4):
            page.keyboard.press("Tab")
            focused = page.evaluate("document.activeElement.closest('svg') ? document.activeElement.textContent.trim() : null")
            if focused:
                break
        assert focused, "the first box of the ownership graph is not reachable by keyboard"
        page.emulate_media(media="print")
        page.screenshot(path=str(SCREENSHOTS / "outlet-page-chromium-print.png"), full_page=True)
    finally:
        page.close()


def test_outlet_page_in_firefox(firefox, outlet_url, ff_tab, axe_source):
    for width in WIDTHS:
        firefox.set_viewport(ff_tab, width, 900)
        firefox.navigate(ff_tab, outlet_url)
        firefox.screenshot(ff_tab, SCREENSHOTS / f"outlet-page-firefox-{width}.png")
        overflow = firefox.evaluate(ff_tab, "document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0, f"the page is wider than {width} px by {overflow} px"
    firefox.evaluate(ff_tab, f"(() => {{ {axe_source}\n; return true; }})()")
    found = firefox.evaluate(ff_tab, RUN)
    assert found == [], json.dumps(found, indent=1)
