"""A page that drips its headers must not hold the real server's threads past the fetch deadline (issue 13 B5)."""

from __future__ import annotations

import threading
import time
from urllib.parse import quote

import requests

from local_site import LocalSite
from servers import RunningServer


def test_dripping_pages_neither_outlast_the_deadline_nor_starve_ping(sources_copy, tmp_path):
    # Before: each /api/context on such a page took ~80 s (the per-read timeout never fired) and eight of them
    # filled every worker thread, so /api/ping stopped answering. The fetcher's deadline is 12 s.
    with LocalSite() as site:
        server = RunningServer(sources_copy, tmp_path / "corpus.db",
                               env={"MASTHEAD_FETCH_PAGES": "1", "MASTHEAD_FETCH_ALLOW": "127.0.0.1/32"})
        try:
            answers: list = []

            def ask(n: int) -> None:
                page = f"{site.base}/drip?every=1&for=60&n={n}"  # a byte a second: under every per-read timeout
                started = time.monotonic()
                try:
                    response = requests.get(f"{server.url}/api/context?url={quote(page, safe='')}&title=Vote", timeout=30)
                    answers.append((response.status_code, time.monotonic() - started))
                except requests.RequestException as exc:
                    answers.append((type(exc).__name__, time.monotonic() - started))

            threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
            for thread in threads:
                thread.start()
            time.sleep(1.0)
            pings = []
            for _ in range(3):  # while the slow fetches are in flight
                started = time.monotonic()
                try:
                    ok = requests.get(server.url + "/api/ping", timeout=5).ok
                except requests.RequestException:
                    ok = False
                pings.append((ok, round(time.monotonic() - started, 2)))
                time.sleep(0.5)
            for thread in threads:
                thread.join()
            assert all(ok for ok, _ in pings), pings
            assert [status for status, _ in answers] == [200] * 8, answers
            assert max(seconds for _, seconds in answers) < 20, answers  # 12 s deadline + the answer, on a busy machine
        finally:
            server.stop()
