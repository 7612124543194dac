"""The seed scenario in the real extension: with the two seed articles (../shared/seeds) ingested on a real
`masthead serve` with the bundled list and sentence vectors on, each seed page's popup lists the other under
"This story earlier and later" with its date, in Chromium and in Firefox; the story page is axe-clean in both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from urllib.parse import quote

import pytest
from harness import ROOT, start_masthead
from test_related_background import THREADS, needs_encoder, needs_seeds, seed_records

pytestmark = [needs_seeds, needs_encoder]


@pytest.fixture(scope="module")
def seeded_server(tmp_path_factory):
    """The bundled list, and a corpus of the two seeds among the thread dev set, ingested with vectors."""
    workdir = tmp_path_factory.mktemp("seeded")
    records = workdir / "seeds.jsonl"
    records.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [*seed_records(), *THREADS]), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "server"), "XDG_CONFIG_HOME": str(workdir / "config"), "MASTHEAD_EMBED": "1"}
    done = subprocess.run([sys.executable, "-m", "masthead", "ingest", str(records), "--db", str(workdir / "corpus.db"),
                           "--sources", str(ROOT / "sources.yaml")], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    server = start_masthead(workdir, env_extra={"MASTHEAD_EMBED": "1"}, articles=False, sources=ROOT / "sources.yaml")
    yield server
    server.stop()


def _pairs():
    sputnik, times = seed_records()
    return [(sputnik["url"], "The Moscow Times", "1 Jul 2022"), (times["url"], "Sputnik", "26 Feb 2026")]


READ_POPUP = """(() => ({
    state: document.documentElement.dataset.state,
    heading: document.getElementById('background-heading')?.textContent ?? null,
    items: [...document.querySelectorAll('.background-item')].map(li => li.innerText),
    coverage: document.querySelector('.coverage-line')?.innerText ?? null,
}))()"""


def test_each_seed_popup_lists_the_other_in_chromium(extension, seeded_server, tab):
    extension.configure(seeded_server.url)
    for url, other, when in _pairs():
        tab.goto(extension.url(f"popup/popup.html?url={quote(url, safe='')}"))
        tab.wait_for_selector("html[data-state=ready]", timeout=30_000)
        found = tab.evaluate(READ_POPUP)
        assert found["heading"] == "This story earlier and later", found
        assert any(other in item and when in item for item in found["items"]), found
        assert tab.evaluate("document.querySelector('.background-item time').textContent"), "each item leads with its date"


def test_each_seed_popup_lists_the_other_in_firefox(firefox, seeded_server, ff_tab):
    firefox.configure(seeded_server.url)
    for url, other, when in _pairs():
        firefox.navigate(ff_tab, firefox.url(f"popup/popup.html?url={quote(url, safe='')}"))
        firefox.wait_for(ff_tab, "document.documentElement.dataset.state === 'ready'", timeout=30)
        found = firefox.evaluate(ff_tab, READ_POPUP)
        assert found["heading"] == "This story earlier and later", found
        assert any(other in item and when in item for item in found["items"]), found
