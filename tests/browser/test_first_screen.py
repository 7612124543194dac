"""The whole answer on the first screen: for the most-labelled outlet of the bundled list, the real toolbar popup
shows the outlet and its control model, the ultimate owner, the labels summarised with their issuers, and the
related-coverage heading without scrolling, in Chromium and in Firefox (whose popups are capped at 600 px)."""

from __future__ import annotations

from harness import SCREENSHOTS, most_labelled_outlet

POPUP_WIDTH, POPUP_HEIGHT = 380, 600


def _page_url(outlet: dict) -> str:
    # The page server speaks plain HTTP; the outlet is matched by its host either way.
    host = outlet["homepage"].split("//", 1)[1].split("/", 1)[0]
    return f"http://{host}/2026/02/26/story.html"


def test_first_screen_in_chromium(extension, bundled_server, tab):
    outlet = most_labelled_outlet(bundled_server)
    extension.configure(bundled_server.url)
    extension.wait_for_domains(bundled_server.url)
    tab.goto(_page_url(outlet))
    popup, _ = extension.open_popup(tab)
    try:
        popup.wait_ready()
        popup.screenshot("first-screen-chromium-popup")
        window = popup.evaluate("[innerWidth, innerHeight, document.documentElement.scrollHeight]")
    finally:
        popup.close()
    # Headless Chromium gives the real popup a window of its own choosing (not the 800 x 600 cap of a desktop
    # Chrome): the layout is checked in a tab of the popup's size.
    tab.set_viewport_size({"width": POPUP_WIDTH, "height": POPUP_HEIGHT})
    tab.goto(extension.url(f"popup/popup.html?url={_page_url(outlet)}"))
    tab.wait_for_selector("html[data-state=ready]")
    tab.screenshot(path=str(SCREENSHOTS / "first-screen-chromium.png"))
    found = tab.evaluate("""(() => ({
        height: document.documentElement.scrollHeight,
        relatedBottom: document.getElementById('related-heading').getBoundingClientRect().bottom,
        owner: document.querySelector('.owners-details summary').innerText,
        rows: [...document.querySelectorAll('.labels:not(.historical) > li > details > summary')].map(s => s.innerText),
    }))()""")
    print(f"\nChromium popup for {outlet['name']}: content {found['height']} px at {POPUP_WIDTH} px wide, related "
          f"heading ends at {found['relatedBottom']:.0f} px (headless popup window {window[0]} x {window[1]}, content {window[2]})")
    assert found["relatedBottom"] <= POPUP_HEIGHT, found
    # Opened, a label card says when a curator last confirmed it (the bundled labels carry checked:).
    tab.evaluate("document.querySelectorAll('.labels-section details').forEach(d => d.open = true)")
    assert "Last checked" in tab.inner_text(".labels-section")
    assert found["owner"].startswith("Ultimately owned by"), found
    assert all(" · " in row for row in found["rows"]), found["rows"]  # every row names its issuer, unopened


def test_first_screen_in_firefox(firefox, bundled_server, ff_tab):
    outlet = most_labelled_outlet(bundled_server)
    firefox.configure(bundled_server.url)
    firefox.navigate(ff_tab, _page_url(outlet))
    state = firefox.open_popup(ff_tab)
    print(f"\nFirefox popup for {outlet['name']}: {state['innerWidth']} x {state['innerHeight']} px panel, "
          f"content {state['scrollHeight']} px, related heading ends at {state['relatedBottom']:.0f} px")
    assert state["view"] == "outlet" and outlet["name"] in state["text"]
    assert state["relatedBottom"] <= min(state["innerHeight"], POPUP_HEIGHT), state
    firefox.close_popup()
    # The same page in a tab of the popup's size, for a screenshot (BiDi cannot capture the panel itself).
    firefox.set_viewport(ff_tab, POPUP_WIDTH, POPUP_HEIGHT)
    firefox.navigate(ff_tab, firefox.url(f"popup/popup.html?url={_page_url(outlet)}"))
    firefox.wait_for(ff_tab, "document.documentElement.dataset.state === 'ready'")
    firefox.screenshot(ff_tab, SCREENSHOTS / "first-screen-firefox.png")
    bottom = firefox.evaluate(ff_tab, "document.getElementById('related-heading').getBoundingClientRect().bottom")
    assert bottom <= POPUP_HEIGHT
