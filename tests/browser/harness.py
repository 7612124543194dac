"""Browser fixtures: a real `masthead serve`, a local news-page server, a fault-injecting proxy, and Debian's
Chromium with the unpacked extension, whose real toolbar popup is read through a CDP session."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from servers import RunningServer

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "extension"
DATA = ROOT / "tests" / "data"
SOURCES = DATA / "sources-small.yaml"
ARTICLES = DATA / "articles-small.jsonl"
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
STORY_URL = "http://statenews.example/20260226/velmar-customs-union-treaty.html"
UNKNOWN_URL = "http://unknown-news.example/2026/02/26/local-council-budget"
WRITE_TOKEN = "browser-test-write-token-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _PlainOrTLSServer(ThreadingHTTPServer):
    """HTTP and HTTPS on one port: a connection starting with a TLS handshake byte is wrapped (with the test
    certificate, which Chromium is told to accept), so a host Chromium insists on reaching over HTTPS (an
    HSTS-preloaded news site such as rt.com) reaches the same page server."""

    tls = None

    def finish_request(self, request, client_address):
        # In the connection's own thread: a browser's idle preconnect must never hold up the accept loop.
        request.settimeout(30)
        try:
            first = request.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        if first == b"\x16":
            if _PlainOrTLSServer.tls is None:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(DATA / "tls" / "page-server.pem")
                _PlainOrTLSServer.tls = context
            try:
                request = _PlainOrTLSServer.tls.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError):
                return
        super().finish_request(request, client_address)


def _serve(handler, server_class=ThreadingHTTPServer) -> ThreadingHTTPServer:
    server = server_class(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# ---------------------------------------------------------------------------------------- masthead serve


def holds_for(check, seconds: float = 0.5, every: float = 0.05) -> bool:
    """A negative assertion with a deadline: True when `check()` stays true for `seconds`, False the moment it fails
    (a fixed sleep before one look would pass on a slow machine for the wrong reason)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not check():
            return False
        time.sleep(every)
    return bool(check())


def delete_outlet_and_wait(server_url: str, outlet_id: str, token: str, timeout: float = 15) -> None:
    """Delete an outlet a test added, and wait until the server answers without it: the next test starts from the
    list as it was, whatever the order tests run in."""
    request = urllib.request.Request(f"{server_url}/api/outlets/{outlet_id}", method="DELETE",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        urllib.request.urlopen(request, timeout=10).read()
    except urllib.error.HTTPError as error:
        if error.code != 404:
            raise
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{server_url}/api/outlets/{outlet_id}", timeout=5).read()
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return
        time.sleep(0.1)
    raise AssertionError(f"the server still serves {outlet_id} {timeout} s after it was deleted")


def start_masthead(workdir: Path, env_extra: dict | None = None, articles: bool = True, sources: Path = SOURCES):
    """`masthead serve` (tests/servers.py) on a free loopback port with a copy of a source list (the add-outlet
    test writes to it through the server) and, unless `articles` is false, the test articles ingested first."""
    db = workdir / "corpus.db"
    copy = workdir / "sources.yaml"
    shutil.copy(sources, copy)
    if (sources.parent / "lists").is_dir():  # the bundled list includes lists/*.yaml
        shutil.copytree(sources.parent / "lists", workdir / "lists", dirs_exist_ok=True)
    env = {"MASTHEAD_TOKEN": WRITE_TOKEN, **(env_extra or {})}
    if articles:
        # A failed ingest fails the tests that need it, loudly: never a quieter test with no related coverage.
        done = subprocess.run([sys.executable, "-m", "masthead", "ingest", str(ARTICLES), "--db", str(db)],
                              capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(ROOT / "server"),
                                   "XDG_CONFIG_HOME": str(workdir / "config"), **env})
        if done.returncode != 0:
            raise RuntimeError(f"masthead ingest failed:\n{done.stdout}\n{done.stderr}")
    server = RunningServer(copy, db, env=env, workers=2)
    server.has_articles = articles
    return server


@pytest.fixture(scope="session")
def masthead_server(tmp_path_factory):
    """`masthead serve` on a free loopback port with the small test list and the test articles."""
    server = start_masthead(tmp_path_factory.mktemp("masthead"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def bundled_server(tmp_path_factory):
    """`masthead serve` with the bundled sources.yaml, for layout tests on the real, heavily labelled outlets."""
    server = start_masthead(tmp_path_factory.mktemp("bundled"), articles=False, sources=ROOT / "sources.yaml")
    yield server
    server.stop()


def most_labelled_outlet(server) -> dict:
    """The outlet with the most labels in force in a server's list (Sputnik in the bundled one)."""
    outlets = server.get("/api/outlets").json()
    outlets = outlets.get("outlets", outlets) if isinstance(outlets, dict) else outlets
    return max(outlets, key=lambda outlet: (len(outlet.get("labels") or []), outlet["id"]))


# ---------------------------------------------------------------------------------------- news pages


def _article_titles() -> dict[str, str]:
    """path -> title for the test articles, so a tab's title is the story's headline."""
    titles = {}
    if ARTICLES.exists():
        for line in ARTICLES.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                titles[urlsplit(record["url"]).path] = record["title"]
    return titles


LONG_STORY = (
    "Deputies in the Velmarian parliament voted on Tuesday to send the annex of the Dorvik customs treaty back to "
    "committee, delaying ratification of the union with Examplestan by at least a month.",
    "The annex sets up a shared payment system and a tariff commission. Opposition members said its text had been "
    "published too late for a proper reading, and the speaker agreed to a second round of hearings in April.",
    "Prime Minister Lena Quist told reporters in the capital that the government still expected the treaty to "
    "take effect in July, and that the delay was a matter of procedure rather than substance.",
)


LINK_PAGES = DATA / "link-pages"  # saved pages of search results, feeds and aggregators, by host


def serve_pages() -> ThreadingHTTPServer:
    """Serves a plain article page for any host and path, or the saved page of tests/data/link-pages/<host>.html
    for the hosts that have one (search engines, feeds). Chromium maps every hostname here; Firefox uses it as
    its HTTP proxy (so the request line carries the whole address)."""
    titles = _article_titles()

    class Pages(BaseHTTPRequestHandler):
        def do_GET(self):
            address = urlsplit(self.path)
            host = (address.hostname or self.headers.get("Host", "")).split(":")[0].lower()
            path = address.path
            saved = LINK_PAGES / f"{host}.html"
            kind = "text/html; charset=utf-8"
            if path == "/layout-probe.js":
                body, kind = (LINK_PAGES / "layout-probe.js").read_bytes(), "text/javascript"
            elif saved.is_file():
                body = saved.read_bytes()
            else:
                title = titles.get(path, "Local council agrees next year's budget")
                text = "<p>Story text.</p>"
                if path.startswith("/long/"):  # a page with enough text for the server to extract and keep
                    title = "Velmarian deputies reject the Dorvik customs treaty annex"
                    text = "".join(f"<p>{paragraph}</p>" for paragraph in LONG_STORY)
                body = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title></head>"
                        f"<body><article><h1>{title}</h1>{text}</article></body></html>").encode()
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return _serve(Pages, _PlainOrTLSServer)


@pytest.fixture(scope="session")
def page_server():
    server = serve_pages()
    yield server.server_address[1]
    server.shutdown()


# ---------------------------------------------------------------------------------------- fault proxy


class FaultProxy:
    """Forwards to the real server and records every path; can delay, fail, or add related items to answers."""

    def __init__(self, upstream: str):
        self.upstream = upstream
        self.requests: list[str] = []
        self.revalidations: list[tuple[str | None, int]] = []  # (If-None-Match sent, status) for /api/domains
        self.reset()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                proxy.requests.append(self.path)
                if proxy.delay_ms:
                    time.sleep(proxy.delay_ms / 1000)
                if proxy.fail and self.path.startswith("/api/context"):
                    status, message = proxy.fail
                    return self._send(status, json.dumps({"ok": False, "status": status, "error": message, "detail": None}).encode(), {})
                request = urllib.request.Request(proxy.upstream + self.path, headers={
                    k: v for k, v in self.headers.items() if k.lower() in ("if-none-match", "accept", "authorization")})
                try:
                    with urllib.request.urlopen(request, timeout=10) as answer:
                        status, body, headers = answer.status, answer.read(), answer.headers
                except urllib.error.HTTPError as error:
                    status, body, headers = error.code, error.read(), error.headers
                if self.path.startswith("/api/domains"):
                    proxy.revalidations.append((self.headers.get("If-None-Match"), status))
                if proxy.related is not None and self.path.startswith("/api/context") and status == 200:
                    data = json.loads(body)
                    data["related"] = proxy.related
                    body = json.dumps(data).encode()
                self._send(status, body, {k: headers[k] for k in ("ETag", "Content-Type") if headers.get(k)})

            def _send(self, status, body, headers):
                self.send_response(status)
                headers.setdefault("Content-Type", "application/json")
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = _serve(Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def reset(self):
        self.delay_ms = 0
        self.fail: tuple[int, str] | None = None
        self.related: list[dict] | None = None
        self.requests.clear()
        self.revalidations.clear()


@pytest.fixture(scope="session")
def _proxy(masthead_server):
    proxy = FaultProxy(masthead_server.url)
    yield proxy
    proxy.server.shutdown()


@pytest.fixture
def proxy(_proxy):
    _proxy.reset()
    yield _proxy
    _proxy.reset()


# ---------------------------------------------------------------------------------------- the browser


class TargetSession:
    """A CDP session to any browser target (the toolbar popup, a restarted service worker) that Playwright does
    not hand out, tunnelled through a page's session with Target.sendMessageToTarget."""

    def __init__(self, page, target_id: str):
        self.page = page
        self.session = page.context.new_cdp_session(page)
        self.replies: dict[int, dict] = {}
        self.next_id = 0
        self.session.on("Target.receivedMessageFromTarget", self._received)
        self.child = self.session.send("Target.attachToTarget", {"targetId": target_id, "flatten": False})["sessionId"]
        self.target_id = target_id

    def _received(self, event):
        message = json.loads(event["message"])
        if "id" in message:
            self.replies[message["id"]] = message

    def call(self, method: str, params: dict | None = None, timeout: float = 10) -> dict:
        self.next_id += 1
        number = self.next_id
        self.session.send("Target.sendMessageToTarget", {
            "sessionId": self.child, "message": json.dumps({"id": number, "method": method, "params": params or {}})})
        deadline = time.monotonic() + timeout
        while number not in self.replies:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer to {method} from {self.target_id}")
            self.page.wait_for_timeout(5)
        reply = self.replies.pop(number)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            reason = details.get("exception", {}).get("description") or details.get("text", "exception")
            raise RuntimeError(f"{reason}\n  in: {expression}")
        return result["result"].get("value")

    def detach(self):
        self.session.detach()


def find_targets(page, predicate) -> list[dict]:
    session = page.context.new_cdp_session(page)
    try:
        return [t for t in session.send("Target.getTargets")["targetInfos"] if predicate(t)]
    finally:
        session.detach()


class Popup(TargetSession):
    """The real toolbar popup (Playwright does not list it among pages)."""

    def wait_ready(self, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            state = self.evaluate("({...document.documentElement.dataset})")
            if state.get("state") == "ready":
                return state
            if time.monotonic() > deadline:
                raise TimeoutError(f"the popup never became ready: {state}")
            self.page.wait_for_timeout(5)

    def text(self, selector: str = "body") -> str:
        return self.evaluate(f"document.querySelector({json.dumps(selector)})?.innerText ?? ''")

    def screenshot(self, name: str) -> Path:
        """What the reader sees in the popup window, and `<name>-full.png` with what scrolls below it."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", {"format": "png"})["data"]))
        metrics = self.call("Page.getLayoutMetrics")
        content, viewport = metrics["cssContentSize"], metrics["cssLayoutViewport"]
        if content["height"] > viewport["clientHeight"] + 1:
            full = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})["data"]
            (SCREENSHOTS / f"{name}-full.png").write_bytes(base64.b64decode(full))
        return path

    def close(self):
        try:
            self.session.send("Target.closeTarget", {"targetId": self.target_id})
        finally:
            self.session.detach()


class Extension:
    def __init__(self, context, worker):
        self.context = context
        self.worker = worker
        self.id = urlsplit(worker.url).hostname

    def url(self, path: str) -> str:
        return f"chrome-extension://{self.id}/{path}"

    def configure(self, server_url: str, badge: bool = True) -> None:
        """Point the extension at a server, as the options page would, and wait for its domain map (if any)."""
        self.worker.evaluate(
            "async ([serverUrl, badgeEnabled]) => {"
            "  await chrome.storage.local.remove('domains');"
            "  await chrome.storage.local.set({settings: {serverUrl, token: '', badgeEnabled}});"
            "}", [server_url, badge])

    def wait_for_domains(self, server_url: str, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            domains = self.worker.evaluate("chrome.storage.local.get('domains').then(d => d.domains ?? null)")
            if domains and domains.get("serverUrl") == server_url and domains.get("map"):
                return domains
            time.sleep(0.05)
        raise TimeoutError("the extension did not load the domain map")

    def badge(self, page) -> dict:
        return self.worker.evaluate(
            "async (url) => { const [tab] = await chrome.tabs.query({url});"
            "  return tab ? {text: await chrome.action.getBadgeText({tabId: tab.id}),"
            "                title: await chrome.action.getTitle({tabId: tab.id})} : null; }",
            page.url)

    def wait_badge(self, page, expected: str, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        badge = None
        while time.monotonic() < deadline:
            badge = self.badge(page)
            if badge and badge["text"] == expected:
                return badge
            time.sleep(0.05)
        raise AssertionError(f"badge for {page.url} is {badge}, expected {expected!r}")

    def open_popup(self, page, worker=None, timeout: float = 10) -> tuple[Popup, float]:
        """Open the real toolbar popup for `page`; returns it and the moment it was asked for (epoch ms, the
        browser's clock, comparable with the popup's data-ready-at). `worker`: any object with evaluate()."""
        page.bring_to_front()
        script = "(async () => { const t = Date.now(); await chrome.action.openPopup(); return t; })()"
        started = (worker or self.worker).evaluate(script)
        popup_url = self.url("popup/popup.html")
        deadline = time.monotonic() + timeout
        while not (found := find_targets(page, lambda t: t["url"].startswith(popup_url))):
            if time.monotonic() > deadline:
                raise TimeoutError("the toolbar popup did not open")
            page.wait_for_timeout(5)
        return Popup(page, found[0]["targetId"]), started

    def grant_hosts(self, page, hosts) -> None:
        """Grant access to sites as a reader does under chrome://extensions -> Masthead -> Site access (the
        permission prompt of permissions.request cannot be answered in headless Chromium); a later
        permissions.request for them then resolves at once."""
        page.goto(f"chrome://extensions/?id={self.id}")
        for host in hosts:
            for scheme in ("https", "http"):
                page.evaluate("([id, origin]) => chrome.developerPrivate.addHostPermission(id, origin)",
                              [self.id, f"{scheme}://{host}/*"])

    def worker_targets(self, page) -> list[dict]:
        return find_targets(page, lambda t: t["type"] == "service_worker" and t["url"] == self.url("background.js"))


def chromium_args(page_port: int, extension: Path = EXTENSION) -> list[str]:
    # Every hostname (news sites, search engines, feeds) goes to the local page server; loopback stays itself.
    rules = f"MAP * 127.0.0.1:{page_port}, EXCLUDE 127.0.0.1, EXCLUDE localhost"
    args = [
        f"--disable-extensions-except={extension}",
        f"--load-extension={extension}",
        f"--host-resolver-rules={rules}",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-gpu",
        # The page server speaks plain HTTP: keep Chromium from upgrading real news hosts (rt.com) to HTTPS.
        "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable",
        "--ignore-certificate-errors",  # the page server's test certificate, for hosts that must be HTTPS
    ]
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    return args


@pytest.fixture(scope="session")
def playwright_driver():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's Chromium with `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


def launch(playwright, page_port: int, extension: Path = EXTENSION):
    """Chromium with the unpacked extension (or a copy of it) in a fresh profile; returns (context, extension, cleanup)."""
    profile = tempfile.mkdtemp(prefix="masthead-chromium-")
    context = playwright.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, headless=True, args=chromium_args(page_port, extension),
        viewport={"width": 1000, "height": 700},
    )
    workers = context.service_workers or [context.wait_for_event("serviceworker", timeout=15000)]

    def cleanup():
        context.close()
        shutil.rmtree(profile, ignore_errors=True)

    return context, Extension(context, workers[0]), cleanup


@pytest.fixture(scope="session")
def _browser(playwright_driver, page_server):
    context, extension, cleanup = launch(playwright_driver, page_server)
    yield context, extension
    cleanup()


@pytest.fixture(scope="session")
def browser_context(_browser):
    return _browser[0]


@pytest.fixture
def own_browser(playwright_driver, page_server):
    """A browser of its own, for tests that leave it in a state others should not inherit."""
    context, extension, cleanup = launch(playwright_driver, page_server)
    yield context, extension
    cleanup()


@pytest.fixture(scope="session")
def extension(_browser):
    return _browser[1]


@pytest.fixture
def tab(browser_context):
    """A fresh tab, closed after the test (any popup goes with the focus)."""
    page = browser_context.new_page()
    yield page
    page.close()


# ---------------------------------------------------------------------------------------- Firefox


@pytest.fixture(scope="session")
def firefox(page_server):
    """Debian's Firefox ESR with the extension as a temporary add-on, over WebDriver BiDi (tests/browser/bidi.py)."""
    from bidi import FIREFOX, Firefox

    if not Path(FIREFOX).exists():
        pytest.fail(f"{FIREFOX} is missing: install Debian's Firefox ESR with `apt-get install -y firefox-esr`")
    browser = Firefox(EXTENSION, page_server)
    yield browser
    browser.quit()


@pytest.fixture
def ff_tab(firefox):
    """A fresh Firefox tab, closed after the test."""
    context = firefox.new_tab()
    yield context
    firefox.close_popup()
    firefox.close_tab(context)


@pytest.fixture(scope="session")
def axe_source():
    """axe-core from npm (package.json's devDependencies), injected into pages to check them."""
    axe = ROOT / "node_modules" / "axe-core" / "axe.min.js"
    if not axe.exists():
        pytest.fail("axe-core is missing: run `npm ci` (scripts/test does)")
    return axe.read_text(encoding="utf-8")
