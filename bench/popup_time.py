"""The toolbar popup's time from opening to the full answer painted, in Debian's Chromium, against a real
`masthead serve` with the test data (moved here from the browser tests: it measures, it asserts nothing).

From chrome.action.openPopup() to the popup's data-state="ready" (set in the frame after the answer is drawn),
on the browser's own clock; also the part after the popup's document started, and the round trip popup ->
worker -> server -> popup (the popup's "masthead-answer" performance measure). Target: < 300 ms.

Usage: .venv/bin/python bench/popup_time.py [--runs 3] [--openings 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "server"), str(ROOT / "tests"), str(ROOT / "tests" / "browser")]

from harness import STORY_URL, launch, serve_pages, start_masthead  # noqa: E402


def measure(extension, tab, openings: int) -> tuple[list[float], list[float], list[float]]:
    from_click, from_document, round_trip = [], [], []
    tab.goto(STORY_URL)
    for _ in range(openings):
        popup, started = extension.open_popup(tab)
        state = popup.wait_ready()
        from_click.append(float(state["readyAt"]) - started)
        from_document.append(float(state["readyMs"]))
        round_trip.append(popup.evaluate("performance.getEntriesByName('masthead-answer')[0].duration"))
        popup.close()
        tab.wait_for_timeout(100)
    return from_click, from_document, round_trip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--openings", type=int, default=10)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    server = start_masthead(Path(tempfile.mkdtemp(prefix="masthead-bench-")))
    pages = serve_pages()
    try:
        with sync_playwright() as playwright:
            context, extension, cleanup = launch(playwright, pages.server_address[1])
            try:
                extension.configure(server.url)
                extension.wait_for_domains(server.url)
                tab = context.new_page()
                for run in range(args.runs):
                    click, document, trip = measure(extension, tab, args.openings)
                    print(f"run {run + 1}: openPopup() -> answer painted, median {statistics.median(click):.0f} ms "
                          f"(min {min(click):.0f}, max {max(click):.0f}); after the popup document started "
                          f"{statistics.median(document):.0f} ms; popup -> worker -> server -> popup "
                          f"{statistics.median(trip):.0f} ms")
            finally:
                cleanup()
    finally:
        pages.shutdown()
        server.stop()


if __name__ == "__main__":
    main()
