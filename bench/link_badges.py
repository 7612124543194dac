"""Labels next to links: the content script's main-thread time per 1,000 links, in Debian's Chromium and Firefox.

A saved feed page (tests/data/link-pages/www.reddit.com.html) on a real `masthead serve` with the test list; the
page then appends links as a feed does, either 1,000 at once or 5,000 in bursts of 50 (infinite scroll). A fifth
of them go to labelled outlets (some behind out.reddit.com), the rest to unlisted sites and the page's own
paths. The bench loads a copy of the extension whose content script times its own synchronous work (the
MutationObserver callback, reading the links, inserting badges) with performance.now() and answers a `link-stats`
message; the shipped script has neither (instrumented() below). The baseline beside it is the page's own time to
append the links.
Target: < 20 ms per 1,000 links.

Usage: .venv/bin/python bench/link_badges.py [--browser chromium|firefox|both] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "server"), str(ROOT / "tests"), str(ROOT / "tests" / "browser")]

from harness import EXTENSION, launch, serve_pages, start_masthead  # noqa: E402

SITE_IDS = ["reddit"]
# Chromium upgrades reddit.com to HTTPS (HSTS preload; the page server speaks both); Firefox reaches it through
# the page server as its HTTP proxy.
FEED = {"Chromium": "https://www.reddit.com/r/worldnews/", "Firefox": "http://www.reddit.com/r/worldnews/"}

# Appends `total` links in bursts of `burst`, one burst per frame; resolves with the page's own time.
APPEND = """([total, burst]) => new Promise((done) => {
    const feed = document.getElementById('feed');
    let added = 0, own = 0;
    const step = () => {
        const started = performance.now();
        const html = [];
        for (let n = 0; n < burst && added < total; n++, added++) {
            const i = 10000 + added, pick = i % 10;
            const href = pick === 0 ? `https://statenews.example/2026/${i}.html`
                : pick === 1 ? `https://out.reddit.com/t3_${i}?url=https%3A%2F%2Ffreepress.example%2F${i}`
                : pick < 6 ? `https://site-${i % 97}.example/story/${i}` : `/r/worldnews/comments/${i}/`;
            html.push(`<shreddit-post data-late="1"><a href="${href}">Post ${i}</a> <span>text</span></shreddit-post>`);
        }
        feed.insertAdjacentHTML('beforeend', html.join(''));
        own += performance.now() - started;
        if (added < total) requestAnimationFrame(step); else done(own);
    };
    step();
})"""


SHIPPED_TIMER = "  const timed = (part, work) => work();\n"
# The bench's timed(): counts and times each part, and answers `link-stats` from the bench (run inside the
# content script's closure, so it sees its queue).
BENCH_TIMER = """  const stats = { links: 0, batches: 0, mainThreadMs: 0, maxBatchMs: 0, parts: { observe: 0, collect: 0, badge: 0 } };
  const timed = (part, work) => {
    const started = performance.now();
    try {
      const done = work();
      if (part === "collect") { stats.links += done.length; stats.batches += 1; }
      return done;
    } finally {
      const spent = performance.now() - started;
      stats.parts[part] += spent;
      stats.mainThreadMs += spent;
      stats.maxBatchMs = Math.max(stats.maxBatchMs, spent);
    }
  };
  ext.runtime.onMessage.addListener((message, sender, sendResponse) => {
    if (message?.type !== "link-stats" || sender.id !== ext.runtime.id) return false;
    sendResponse({ ...stats, badged: document.querySelectorAll("a[data-masthead-badge]").length, pending: queue.length });
    return false;
  });
"""


def instrumented() -> Path:
    """A copy of the extension whose content script carries the bench's timer."""
    copy = Path(tempfile.mkdtemp(prefix="masthead-bench-ext-")) / "extension"
    shutil.copytree(EXTENSION, copy)
    script = copy / "content" / "links.js"
    text = script.read_text()
    if text.count(SHIPPED_TIMER) != 1:
        raise SystemExit("content/links.js no longer has the one-line timed() this bench replaces")
    script.write_text(text.replace(SHIPPED_TIMER, BENCH_TIMER))
    return copy


def scenarios():
    return [("1,000 links at once", 1000, 1000), ("5,000 links in bursts of 50", 5000, 50)]


def wait_stats(get_stats, expected_links, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        stats = get_stats()
        if stats and stats["links"] >= expected_links and not stats["pending"]:
            time.sleep(0.3)  # answers for the last batch
            return get_stats()
        if time.monotonic() > deadline:
            return stats
        time.sleep(0.1)


def run_chromium(server, pages_port, runs):
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        context, extension, cleanup = launch(playwright, pages_port, instrumented())
        try:
            extension.configure(server.url)
            extension.wait_for_domains(server.url)
            page = context.new_page()
            extension.grant_hosts(page, ["www.reddit.com", "old.reddit.com"])
            page.goto(extension.url("options/options.html"))
            page.check("#site-reddit")
            page.wait_for_selector("#site-reddit[data-active=true]")
            get = lambda: extension.worker.evaluate(  # noqa: E731
                "(url) => chrome.tabs.query({}).then((tabs) => tabs.find(t => t.url.includes('www.reddit.com'))).then((t) => t ? chrome.tabs.sendMessage(t.id, {type: 'link-stats'}) : null).catch(() => null)")
            for name, total, burst in scenarios():
                for _ in range(runs):
                    page.goto(FEED["Chromium"])
                    first = wait_stats(get, 0)
                    own = page.evaluate(APPEND, [total, burst])
                    stats = wait_stats(get, first["links"] + total)
                    results.append(("Chromium", name, total, stats, first, own))
        finally:
            cleanup()
    return results


def run_firefox(server, pages_port, runs):
    from bidi import Firefox

    results = []
    firefox = Firefox(instrumented(), pages_port)
    try:
        firefox.configure(server.url)
        tab = firefox.new_tab(firefox.url("options/options.html"))
        firefox.wait_for(tab, "!!document.getElementById('site-reddit')")
        firefox.click(tab, "#site-reddit")
        firefox.wait_for(tab, "document.getElementById('site-reddit').dataset.active === 'true'")
        get = lambda: firefox.ext(  # noqa: E731
            f"browser.tabs.query({{}}).then((tabs) => tabs.find(t => t.url.includes('www.reddit.com'))).then((t) => t ? browser.tabs.sendMessage(t.id, {{type: 'link-stats'}}) : null).catch(() => null)")
        for name, total, burst in scenarios():
            for _ in range(runs):
                firefox.navigate(tab, FEED["Firefox"])
                first = wait_stats(get, 0)
                own = firefox.evaluate(tab, f"({APPEND})({json.dumps([total, burst])})")
                stats = wait_stats(get, first["links"] + total)
                results.append(("Firefox", name, total, stats, first, own))
    finally:
        firefox.quit()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--browser", choices=["chromium", "firefox", "both"], default="both")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    server = start_masthead(Path(tempfile.mkdtemp(prefix="masthead-bench-")), articles=False)
    pages = serve_pages()
    try:
        results = []
        if args.browser in ("chromium", "both"):
            results += run_chromium(server, pages.server_address[1], args.runs)
        if args.browser in ("firefox", "both"):
            results += run_firefox(server, pages.server_address[1], args.runs)
    finally:
        pages.shutdown()
        server.stop()
    by_case: dict[tuple[str, str], list] = {}
    for browser, name, total, stats, first, own in results:
        spent = stats["mainThreadMs"] - first["mainThreadMs"]
        badged = stats["badged"] - first["badged"]
        parts = {k: (v - first["parts"][k]) * 1000 / total for k, v in stats["parts"].items()}
        by_case.setdefault((browser, name), []).append((spent * 1000 / total, own * 1000 / total, badged, stats["maxBatchMs"], parts))
    print(f"{'browser':9} {'case':30} {'content script ms/1,000 links':>30} {'page own ms/1,000':>18} {'badged':>7} {'max batch ms':>13}")
    for (browser, name), rows in by_case.items():
        per = [r[0] for r in rows]
        print(f"{browser:9} {name:30} {statistics.median(per):>16.1f} (runs {', '.join(f'{v:.1f}' for v in per)}) "
              f"{statistics.median(r[1] for r in rows):>12.1f} {rows[-1][2]:>7} {max(r[3] for r in rows):>13.1f}  "
              + " ".join(f"{k} {statistics.median(r[4][k] for r in rows):.1f}" for k in rows[0][4]))


if __name__ == "__main__":
    main()
