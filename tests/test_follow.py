"""`masthead follow` against a local feed server: every item stored, conditional requests, backoff, Retry-After, dead
feeds, discovery, syndication, kill -9 and resume, pruning. Tests that take `db` run on SQLite and PostgreSQL."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from feed_server import FeedServer, article_html, atom, rdf, rss
from masthead.cli import cli
from masthead.corpus import Article, connect
from masthead.fetch import Fetcher
from masthead.follow import DEAD_RETRY, MIN_INTERVAL, Follower, follow_health
from masthead.registry import load

ROOT = Path(__file__).resolve().parent.parent


def write_sources(path: Path, outlets: dict[str, list[str]], homepages: dict[str, str] | None = None) -> Path:
    """A valid source list with one outlet per key, following the given feeds."""
    lines = ["version: 1", "owners:", "  - id: owner", "    name: Owner", "    kind: company", "    country: DE", "outlets:"]
    for n, (outlet_id, feeds) in enumerate(outlets.items()):
        lines += [f"  - id: {outlet_id}", f"    name: Outlet {outlet_id}", "    country: DE", "    languages: [en]",
                  f"    domains: [{outlet_id}.example]", "    owner: owner", "    owner_sources: [https://example.org/owner]"]
        if homepages and outlet_id in homepages:
            lines.append(f"    homepage: {homepages[outlet_id]}")
        if feeds:
            lines.append("    feeds: [" + ", ".join(f'"{u}"' for u in feeds) + "]")
    path.write_text("\n".join(lines) + "\n")
    return path


def items(server, prefix: str, n: int, dated: bool = True):
    return [(f"{server.base}/a/{prefix}-{i}", f"{prefix} story {i}", "Sun, 01 Mar 2026 10:00:00 GMT" if dated else None)
            for i in range(n)]


class Clock:
    def __init__(self):
        self.now = time.time()

    def __call__(self):
        return self.now


def follower(db, sources, clock=None, **kwargs):
    fetcher = Fetcher(delay=0, timeout=kwargs.pop("timeout", 5), allow=["127.0.0.1/32"])
    return Follower(connect(db), load(sources), fetcher, clock=clock or time.time, **kwargs)


def test_a_round_stores_every_item_and_the_next_asks_conditionally(tmp_path, db):
    with FeedServer() as server:
        server.routes["/rss.xml"] = {"body": rss(items(server, "r", 3)), "etag": True}
        server.routes["/atom.xml"] = {"body": atom([(u, t, "2026-03-01T10:00:00Z") for u, t, _ in items(server, "t", 2)]),
                                      "type": "application/atom+xml", "gzip": True, "etag": True}
        server.routes["/rdf.xml"] = {"body": rdf([(u, t, None) for u, t, _ in items(server, "d", 2)]), "type": "application/rdf+xml"}
        server.routes["/old.xml"] = {"status": 301, "headers": {"Location": "/rss2.xml"}}
        server.routes["/rss2.xml"] = {"body": rss([(f"/a/rel-{i}", f"<b>Rel</b> {i}", None) for i in range(2)])}
        sources = write_sources(tmp_path / "s.yaml", {"one": [server.base + "/rss.xml", server.base + "/atom.xml"],
                                                      "two": [server.base + "/rdf.xml", server.base + "/old.xml"]})
        clock = Clock()
        f = follower(db, sources, clock)
        report = f.round()
        assert (report.polled, report.failed, report.new_items) == (4, 0, 9)
        assert report.summary.counts["added"] == 9 and report.summary.counts["failed"] == 0
        c = f.corpus
        assert c.count() == 9 and c.has_url(server.base + "/a/rel-1")  # the relative link, through a redirect
        stored = c.article(server.base + "/a/r-0")
        assert stored["outlet_id"] == "one" and stored["source"] == "follow"
        assert c.article(server.base + "/a/d-1")["outlet_id"] == "two"
        states = {s["url"]: s for s in c.feed_states()}
        assert states[server.base + "/rss.xml"]["etag"] and states[server.base + "/rss.xml"]["failures"] == 0
        assert all(s["next_poll"] > s["last_poll"] for s in states.values())
        # Not due yet: nothing is asked.
        before = len(server.requests)
        assert f.round().polled == 0 and len(server.requests) == before
        # Due again: conditional requests, 304s, and no stored page fetched again.
        clock.now += 7 * 3600
        report = f.round()
        assert report.polled == 4 and report.not_modified == 2 and report.new_items == 0
        asked = server.requests[before:]
        assert not [p for p, _ in asked if p.startswith("/a/")]
        assert dict(asked)["/rss.xml"].get("if-none-match") == states[server.base + "/rss.xml"]["etag"]
        health = follow_health(c)
        assert health["feeds"] == {"ok": 4, "failing": 0, "dead": 0} and health["articles_24h"] == 9 and health["last_round"]


def test_a_feed_that_changes_is_polled_more_often_and_a_quiet_one_less(tmp_path):
    with FeedServer() as server:
        server.routes["/busy.xml"] = {"body": rss(items(server, "b", 1)), "etag": True}
        server.routes["/quiet.xml"] = {"body": rss(items(server, "q", 1)), "etag": True}
        sources = write_sources(tmp_path / "s.yaml", {"busy": [server.base + "/busy.xml"], "quiet": [server.base + "/quiet.xml"]})
        clock = Clock()
        f = follower(str(tmp_path / "c.db"), sources, clock, embedding=False)
        for round_number in range(4):
            server.routes["/busy.xml"]["body"] = rss(items(server, f"b{round_number}", 1))
            f.round()
            clock.now += 7 * 3600
        states = {s["url"].rsplit("/", 1)[1]: s for s in f.corpus.feed_states()}
        assert states["busy.xml"]["interval"] == MIN_INTERVAL
        assert states["quiet.xml"]["interval"] >= 5 * MIN_INTERVAL  # x1.5 per unchanged round


def test_429_and_503_are_not_asked_again_before_retry_after(tmp_path, db):
    with FeedServer() as server:
        server.routes["/busy.xml"] = {"status": 503, "headers": {"Retry-After": "7200"}}
        server.routes["/limit.xml"] = {"status": 429, "headers": {"Retry-After": "5000"}}
        sources = write_sources(tmp_path / "s.yaml", {"a": [server.base + "/busy.xml", server.base + "/limit.xml"]})
        clock = Clock()
        f = follower(db, sources, clock)
        report = f.round()
        assert report.failed == 2
        state = {s["url"].rsplit("/", 1)[1]: s for s in f.corpus.feed_states()}
        assert state["busy.xml"]["failures"] == 1 and "HTTP 503" in state["busy.xml"]["last_error"]
        for minutes in (20, 45):  # past the first backoff (10 min), before Retry-After
            clock.now += minutes * 60
            f.round()
        assert server.paths().count("/busy.xml") == 1 and server.paths().count("/limit.xml") == 1
        clock.now += 3600
        f.round()
        assert server.paths().count("/busy.xml") == 2 and server.paths().count("/limit.xml") == 2


def test_a_feed_that_times_out_backs_off_and_one_failing_for_days_is_dead(tmp_path):
    with FeedServer() as server:
        server.routes["/slow.xml"] = {"body": rss(items(server, "s", 1)), "delay": 3}
        server.routes["/gone.xml"] = {"status": 404}
        sources = write_sources(tmp_path / "s.yaml", {"a": [server.base + "/slow.xml"], "b": [server.base + "/gone.xml"]})
        clock = Clock()
        f = follower(str(tmp_path / "c.db"), sources, clock, timeout=0.5)
        f.round()
        slow = next(s for s in f.corpus.feed_states() if s["url"].endswith("slow.xml"))
        assert "timed out" in slow["last_error"] and slow["failures"] == 1
        for _ in range(12):  # backoff doubles up to 6 h: a dozen rounds span more than three days
            clock.now += 6 * 3600 + 1
            f.round()
        gone = next(s for s in f.corpus.feed_states() if s["url"].endswith("gone.xml"))
        assert gone["dead_since"] and gone["failures"] >= 8
        asked = server.paths().count("/gone.xml")
        clock.now += 12 * 3600  # a dead feed is polled once a day
        f.round()
        assert server.paths().count("/gone.xml") == asked
        clock.now += DEAD_RETRY
        f.round()
        assert server.paths().count("/gone.xml") == asked + 1
        assert follow_health(f.corpus)["feeds"]["dead"] >= 1


def test_a_syndicated_story_is_stored_once_with_both_urls(tmp_path, db):
    with FeedServer() as server:
        page = article_html("/shared-story")
        server.routes["/a/wire/story"] = {"body": page, "type": "text/html"}
        server.routes["/a/paper/story-copy"] = {"body": page, "type": "text/html"}
        server.routes["/wire.xml"] = {"body": rss([(server.base + "/a/wire/story", "Story", None)])}
        server.routes["/paper.xml"] = {"body": rss([(server.base + "/a/paper/story-copy", "Story", None),
                                                    (server.base + "/a/wire/story", "Story", None)])}
        sources = write_sources(tmp_path / "s.yaml", {"wire": [server.base + "/wire.xml"], "paper": [server.base + "/paper.xml"]})
        f = follower(db, sources)
        report = f.round()
        assert f.corpus.count() == 1
        urls = {u["url"] for u in f.corpus.article(server.base + "/a/wire/story")["urls"]}
        assert urls == {server.base + "/a/wire/story", server.base + "/a/paper/story-copy"}
        assert server.paths().count("/a/wire/story") == 1 and report.summary.counts["duplicate"] == 1


def test_a_homepage_that_only_advertises_its_feed_is_discovered_and_accepted(tmp_path, runner):
    with FeedServer() as server:
        server.routes["/"] = {"body": b'<html><head><link rel="alternate" type="application/rss+xml" href="/news/feed.xml">'
                                      b"</head><body>home</body></html>", "type": "text/html"}
        server.routes["/news/feed.xml"] = {"body": rss(items(server, "h", 2))}
        sources = write_sources(tmp_path / "s.yaml", {"home": []}, {"home": server.base + "/"})
        db = str(tmp_path / "c.db")
        f = follower(db, sources, discover=True)
        report = f.round()
        assert report.discovered == 1 and report.new_items == 2 and f.corpus.count() == 2
        [state] = f.corpus.feed_states()
        assert state["discovered"] and state["found_at"] and state["url"] == server.base + "/news/feed.xml"
        assert "feeds:" not in sources.read_text()  # remembered in the database only
        result = runner.invoke(cli, ["feeds", "--db", db, "--sources", str(sources), "--json"])
        listed = json.loads(result.output)
        assert listed["feeds"][0]["articles_24h"] == 2 and listed["health"]["feeds"]["ok"] == 1
        result = runner.invoke(cli, ["feeds", "--sources", str(sources), "--accept", "home", state["url"]])
        assert result.exit_code == 0, result.output
        assert load(sources).outlets["home"].feeds == (state["url"],)


def test_private_addresses_are_still_refused(tmp_path):
    with FeedServer() as server:
        server.routes["/rss.xml"] = {"body": rss(items(server, "p", 1))}
        sources = write_sources(tmp_path / "s.yaml", {"a": [server.base + "/rss.xml"]})
        f = Follower(connect(str(tmp_path / "c.db")), load(sources), Fetcher(delay=0))
        report = f.round()
        assert report.failed == 1 and server.requests == []
        assert "refused address 127.0.0.1" in f.corpus.feed_states()[0]["last_error"]


def test_prune_keeps_what_a_reader_stored(tmp_path, db, runner):
    c = connect(db)
    for n, (published, source) in enumerate([("2020-01-01", "follow"), ("2020-01-02", "reader"), ("2099-01-01", "follow")]):
        c.add(Article(url=f"https://a.example/{n}", registered_domain="a.example", host="a.example", title=f"Title {n} words",
                      text=f"Some text number {n} about harbours and councils", published=published, source=source,
                      vector=b"\x01" * 512 if n == 0 else None))
    result = runner.invoke(cli, ["prune", "--db", db, "--older-than", "90d"])
    assert result.exit_code == 0 and "pruned 1 articles" in result.output, result.output
    c = connect(db)
    assert c.count() == 2 and not c.has_url("https://a.example/0") and c.has_url("https://a.example/1")
    assert "harbours" in c.doc_freqs(["harbours"]) and c.doc_freqs(["number"])["number"] == 2


def test_kill_9_mid_round_then_resume(tmp_path):
    with FeedServer() as server:
        server.routes["/rss.xml"] = {"body": rss(items(server, "k", 30))}
        for i in range(30):
            server.routes[f"/a/k-{i}"] = {"body": article_html(f"/a/k-{i}"), "type": "text/html", "delay": 0.3}
        sources = write_sources(tmp_path / "s.yaml", {"a": [server.base + "/rss.xml"]})
        db = tmp_path / "c.db"
        cmd = [sys.executable, "-m", "masthead", "follow", "--once", "--db", str(db), "--sources", str(sources),
               "--delay", "0", "--allow-network", "127.0.0.1/32", "--no-embed"]
        env = {**os.environ, "PYTHONPATH": str(ROOT / "server")}
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not db.exists() or connect(str(db)).count() < 5):
            time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        stored = connect(str(db)).count()
        assert 0 < stored < 30, (stored, server.paths())
        before = len(server.requests)
        subprocess.run(cmd, env=env, check=True, timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert connect(str(db)).count() == 30
        again = [p for p in server.paths(before) if p.startswith("/a/")]
        assert len(again) == 30 - stored  # what was committed is not fetched again


def test_two_hosts_on_one_postgresql_one_follows_and_the_other_takes_over(tmp_path, pg_server):
    import psycopg

    url = pg_server.database()
    with FeedServer() as server:
        feeds = []
        for n in range(6):
            server.routes[f"/f{n}.xml"] = {"body": rss(items(server, f"h{n}", 2)), "etag": True}
            feeds.append(server.base + f"/f{n}.xml")
        sources = write_sources(tmp_path / "s.yaml", {f"o{n}": [u] for n, u in enumerate(feeds)})
        env = {**os.environ, "PYTHONPATH": str(ROOT / "server"), "MASTHEAD_FOLLOW_LEASE": "6"}
        cmd = [sys.executable, "-m", "masthead", "follow", "--db", url, "--sources", str(sources), "--delay", "0",
               "--pause", "1", "--allow-network", "127.0.0.1/32", "--no-embed"]
        logs = [open(tmp_path / f"host{n}.log", "w") for n in range(2)]
        hosts = [subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT) for log in logs]

        def holder():
            with psycopg.connect(url) as conn:
                row = conn.execute("SELECT holder, until FROM follow_lease WHERE name = 'follow'").fetchone()
            return row[0] if row else None

        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and connect(url).count() < 12:
                time.sleep(0.3)
            assert connect(url).count() == 12
            time.sleep(3)  # both hosts have had rounds: only the leader polled
            for path in (f"/f{n}.xml" for n in range(6)):
                assert server.paths().count(path) == 1, server.paths()
            leader = next(p for p in hosts if f":{p.pid}:" in holder())
            other = next(p for p in hosts if p is not leader)
            leader.send_signal(signal.SIGKILL)
            leader.wait()
            killed = time.monotonic()
            while time.monotonic() - killed < 60 and f":{other.pid}:" not in (holder() or ""):
                time.sleep(0.3)
            taken = time.monotonic() - killed
            assert f":{other.pid}:" in holder() and taken < 60, taken
            assert other.poll() is None
        finally:
            for p in hosts:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
                    p.wait(30)
            for log in logs:
                log.close()
        assert "another host is following" in (tmp_path / f"host{hosts.index(other)}.log").read_text()
        from masthead import corpus as corpus_module
        corpus_module.close_shared(url)


def _children_following(parent_pid: int) -> list[int]:
    """Processes running `masthead follow --parent-pid parent_pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                args = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"follow" in args and str(parent_pid).encode() in args:
                found.append(int(entry.name))
    return found


def test_serve_follow_runs_the_follower_beside_the_server_and_stops_it(tmp_path):
    from servers import free_port

    sources = write_sources(tmp_path / "s.yaml", {"a": ["https://a.example/rss.xml"]})
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "server"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "masthead", "serve", "--follow", "--port", str(port), "--sources",
                             str(sources), "--db", str(tmp_path / "c.db"), "--workers", "1"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _children_following(proc.pid):
            time.sleep(0.2)
        [child] = _children_following(proc.pid)
        deadline = time.monotonic() + 30  # it lowers its own priority once it has loaded the list
        while time.monotonic() < deadline and os.getpriority(os.PRIO_PROCESS, child) < 10:
            time.sleep(0.2)
        assert os.getpriority(os.PRIO_PROCESS, child) >= 10
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        log.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _children_following(proc.pid):
        time.sleep(0.2)
    assert _children_following(proc.pid) == []
    assert "following the feeds" in (tmp_path / "serve.log").read_text()


def test_a_stop_mid_round_commits_what_was_fetched_and_keeps_the_rest_for_next_time(tmp_path):
    with FeedServer() as server:
        server.routes["/rss.xml"] = {"body": rss(items(server, "s", 12)), "etag": True}
        sources = write_sources(tmp_path / "s.yaml", {"a": [server.base + "/rss.xml"]})
        f = follower(str(tmp_path / "c.db"), sources)
        stored = []
        f.fetcher.fetch = _counting(f.fetcher.fetch, lambda url: stored.append(url) if "/a/" in url else None,
                                    lambda: len(stored) == 5 and f.stop.set())
        f.round()
        assert f.corpus.count() == 5  # the fetches before the stop are committed
        assert f.corpus.feed_states() == []  # the feed is not marked polled until its last items are in
        f.stop.clear()
        f.fetcher.fetch = Fetcher(delay=0, allow=["127.0.0.1/32"]).fetch
        f.round()  # the feed is due (never saved as polled), read whole, and only the 7 missing pages fetched
        assert f.corpus.count() == 12
        assert len([p for p in server.paths() if p.startswith("/a/")]) == 12


def _counting(fetch, note, after):
    def wrapped(url, *args, **kwargs):
        note(url)
        try:
            return fetch(url, *args, **kwargs)
        finally:
            after()
    return wrapped
