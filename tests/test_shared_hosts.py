"""Several app hosts on one curated list: two real `masthead serve` processes editing one sources.yaml at once.

On a shared server every host may take edits. They share the list through one path (a shared filesystem in
production, one directory here); the curator's fcntl lock, the re-read under it and If-Match make concurrent
edits safe: none is lost, a stale version is refused, change ids stay unique, and every host reloads the result.
"""

from __future__ import annotations

import threading
import time

import pytest
import requests

from servers import RunningServer
from masthead.curation.changelog import ChangeLog
from masthead.registry import load

TOKEN = "shared-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def two_hosts(sources_copy, tmp_path, db):
    """Two servers on one list and one corpus (a SQLite file, or one PostgreSQL database), each its own config."""
    hosts = []
    try:
        for name in ("a", "b"):
            hosts.append(RunningServer(sources_copy, db, env={"MASTHEAD_TOKEN": TOKEN}, workers=2, config=tmp_path / name))
        yield hosts
    finally:
        for host in hosts:
            host.stop()


def outlet(number: int) -> dict:
    return {"id": f"shared-{number}", "name": f"Shared Daily {number}", "country": "DE",
            "domains": [f"shared{number}.example"], "owner": "reader-trust",
            "owner_sources": [f"https://shared{number}.example/impressum"]}


def test_concurrent_edits_on_two_hosts_lose_nothing(two_hosts, sources_copy):
    per_host = 8
    failures: list[str] = []
    barrier = threading.Barrier(2 * 2)

    def edit(host, numbers):
        session = requests.Session()
        barrier.wait()
        for number in numbers:
            response = session.post(host.url + "/api/outlets", json=outlet(number), headers=AUTH, timeout=30)
            if response.status_code != 201:
                failures.append(f"{host.url} {number}: {response.status_code} {response.text[:200]}")

    # Two clients per host, each host with two worker processes: four writers at once on one file.
    jobs = [(host, range(start, 4 * per_host, 4)) for start, host in enumerate(two_hosts * 2)]
    threads = [threading.Thread(target=edit, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    registry = load(sources_copy)
    assert {f"shared-{n}" for n in range(4 * per_host)} <= set(registry.outlets)
    ids = [c["id"] for c in ChangeLog.for_sources(sources_copy)._records()]
    assert sorted(ids) == list(range(1, 4 * per_host + 1))  # one change each, ids unique
    for host in two_hosts:  # each host reloads the file the other wrote
        deadline = time.monotonic() + 10
        while host.get(f"/api/outlets/shared-{4 * per_host - 1}").status_code != 200:
            assert time.monotonic() < deadline, f"{host.url} did not reload the shared list"
            time.sleep(0.2)


def test_a_stale_version_is_refused_whichever_host_takes_it(two_hosts):
    a, b = two_hosts
    version = a.get("/api/sources").headers["ETag"]
    first = requests.patch(a.url + "/api/outlets/freepress", json={"note": "first"}, headers=AUTH | {"If-Match": version}, timeout=30)
    assert first.status_code == 200
    late = requests.patch(b.url + "/api/outlets/freepress", json={"note": "late"}, headers=AUTH | {"If-Match": version}, timeout=30)
    assert late.status_code == 409
    current = b.get("/api/sources").headers["ETag"]
    assert current == first.headers["ETag"]
    again = requests.patch(b.url + "/api/outlets/freepress", json={"note": "second"}, headers=AUTH | {"If-Match": current}, timeout=30)
    assert again.status_code == 200
