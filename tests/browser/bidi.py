"""Debian's Firefox ESR with the unpacked extension, driven over WebDriver BiDi (which Firefox speaks itself).

No geckodriver, Selenium or downloaded browser: `firefox-esr --remote-debugging-port 0` prints the BiDi address,
a small client below sends commands over a websocket, `webExtension.install` loads extension/ as a temporary
add-on, and a fixed `moz-extension://` origin (the `extensions.webextensions.uuids` pref) lets tests open the
extension's pages in tabs. News hostnames reach the local page server through Firefox's proxy prefs.

The real toolbar popup opens with `browser.action.openPopup()` (allowed without a click by a pref) and is read
from an extension tab through `browser.extension.getViews({type: "popup"})`: extension pages share one process,
so the popup's own window (its document, its innerHeight as Firefox sized it) is in reach.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

FIREFOX = "/usr/bin/firefox-esr"
GECKO_ID = "masthead@masthead.example"
EXTENSION_UUID = "6b3c8a52-1f0e-4d7a-9c4b-2a7e5d9f0c11"
ORIGIN = f"moz-extension://{EXTENSION_UUID}"


class BiDiError(RuntimeError):
    pass


class BiDi:
    """The smallest useful WebDriver BiDi client: one command at a time, events ignored."""

    def __init__(self, url: str):
        import websocket  # websocket-client

        # Firefox refuses a handshake with an Origin header it does not know; a client needs none.
        self.socket = websocket.create_connection(url + "/session", suppress_origin=True, timeout=60)
        self.next_id = 0

    def call(self, method: str, params: dict | None = None) -> dict:
        self.next_id += 1
        number = self.next_id
        self.socket.send(json.dumps({"id": number, "method": method, "params": params or {}}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") != number:
                continue  # an event
            if message.get("type") == "error":
                raise BiDiError(f"{method}: {message.get('error')}: {message.get('message')}")
            return message["result"]

    def close(self):
        try:
            self.call("session.end")
        except Exception:
            pass
        self.socket.close()


def _prefs(proxy_port: int) -> dict:
    return {
        # A fixed extension origin, so tests can open moz-extension:// pages.
        "extensions.webextensions.uuids": json.dumps({GECKO_ID: EXTENSION_UUID}),
        # The real popup opens from a test without a click; optional permissions are granted without a prompt
        # (the reader's click on "Allow" in a real browser).
        "extensions.openPopupWithoutUserGesture.enabled": True,
        "extensions.webextOptionalPermissionPrompts": False,
        # News hostnames go to the local page server; the Masthead server on 127.0.0.1 is reached directly.
        "network.proxy.type": 1,
        "network.proxy.http": "127.0.0.1",
        "network.proxy.http_port": proxy_port,
        "network.proxy.no_proxies_on": "127.0.0.1,localhost",
        "network.proxy.allow_hijacking_localhost": False,
        # Quiet: no first-run pages, updates, telemetry or background connections.
        "browser.shell.checkDefaultBrowser": False,
        "browser.startup.homepage_override.mstone": "ignore",
        "browser.aboutwelcome.enabled": False,
        "datareporting.policy.dataSubmissionEnabled": False,
        "toolkit.telemetry.reportingpolicy.firstRun": False,
        "app.update.disabledForTesting": True,
        "network.captive-portal-service.enabled": False,
        "network.connectivity-service.enabled": False,
        "browser.safebrowsing.malware.enabled": False,
        "browser.safebrowsing.phishing.enabled": False,
        "extensions.getAddons.cache.enabled": False,
        "browser.newtabpage.enabled": False,
        "ui.prefersReducedMotion": 1,
    }


class Firefox:
    """One Firefox with the extension installed, a tab on an extension page for the extension's APIs, helpers."""

    def __init__(self, extension_dir: Path, proxy_port: int):
        if not Path(FIREFOX).exists():
            raise RuntimeError(f"{FIREFOX} is missing: install Debian's Firefox ESR with `apt-get install -y firefox-esr`")
        self.profile = tempfile.mkdtemp(prefix="masthead-firefox-")
        with open(os.path.join(self.profile, "user.js"), "w") as prefs:
            for name, value in _prefs(proxy_port).items():
                prefs.write(f"user_pref({json.dumps(name)}, {json.dumps(value)});\n")
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        # System access lets BiDi navigate tabs to moz-extension:// pages and set prefs (dark mode) at run time.
        env.update(MOZ_CRASHREPORTER_DISABLE="1", MOZ_REMOTE_ALLOW_SYSTEM_ACCESS="1")
        self.log = tempfile.NamedTemporaryFile(prefix="masthead-firefox-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [FIREFOX, "--remote-debugging-port", "0", "--profile", self.profile, "--no-remote", "-headless", "about:blank"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.bidi = BiDi(self._address())
        self.bidi.call("session.new", {"capabilities": {"alwaysMatch": {"acceptInsecureCerts": True}}})
        self.bidi.call("webExtension.install", {"extensionData": {"type": "path", "path": str(extension_dir)}})
        # The tab Firefox started with becomes the extension's own page: the tests' handle on browser.*.
        self.ext_tab = self.bidi.call("browsingContext.getTree", {})["contexts"][0]["context"]
        self.navigate(self.ext_tab, self.url("options/options.html"))

    def _address(self, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"WebDriver BiDi listening on (ws://\S+)", Path(self.log.name).read_text(errors="replace"))
            if found:
                return found.group(1)
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("Firefox did not start its BiDi server:\n" + Path(self.log.name).read_text(errors="replace"))

    # ------------------------------------------------------------------ pages

    def url(self, path: str) -> str:
        return f"{ORIGIN}/{path}"

    def new_tab(self, url: str | None = None, background: bool = False) -> str:
        context = self.bidi.call("browsingContext.create", {"type": "tab", "background": background})["context"]
        if url:
            self.navigate(context, url)
        return context

    def navigate(self, context: str, url: str, wait: str = "complete") -> None:
        self.bidi.call("browsingContext.navigate", {"context": context, "url": url, "wait": wait})

    def activate(self, context: str) -> None:
        self.bidi.call("browsingContext.activate", {"context": context})

    def close_tab(self, context: str) -> None:
        try:
            self.bidi.call("browsingContext.close", {"context": context})
        except BiDiError:
            pass

    def tabs(self) -> list[dict]:
        return self.bidi.call("browsingContext.getTree", {"maxDepth": 0})["contexts"]

    def set_viewport(self, context: str, width: int, height: int) -> None:
        self.bidi.call("browsingContext.setViewport", {"context": context, "viewport": {"width": width, "height": height}})

    def screenshot(self, context: str, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.bidi.call("browsingContext.captureScreenshot", {"context": context, "origin": "viewport"})["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def evaluate(self, context: str, expression: str, user_activation: bool = False):
        """Run an expression (awaiting a promise) in a tab; returns its value as JSON (via JSON.stringify)."""
        wrapped = f"(async () => JSON.stringify(await ({expression})))()"
        result = self.bidi.call("script.evaluate", {
            "expression": wrapped, "target": {"context": context}, "awaitPromise": True, "userActivation": user_activation})
        if result["type"] == "exception":
            details = result["exceptionDetails"]
            raise RuntimeError(f"{details.get('text')}\n  in: {expression}")
        value = result["result"].get("value")
        return None if value is None else json.loads(value)

    def click(self, context: str, selector: str) -> None:
        """A real mouse click (input.performActions) in the middle of an element: what a reader's click does, so a
        handler that needs user input (permissions.request) runs as for a person."""
        box = self.evaluate(context, f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
                                     " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
                                     " return [Math.round(r.left + r.width / 2), Math.round(r.top + r.height / 2)]; })()")
        self.bidi.call("input.performActions", {"context": context, "actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [{"type": "pointerMove", "x": box[0], "y": box[1]},
                        {"type": "pointerDown", "button": 0}, {"type": "pointerUp", "button": 0}]}]})

    def ext(self, expression: str, user_activation: bool = False):
        """Evaluate in the extension's own tab (browser.* is there)."""
        return self.evaluate(self.ext_tab, expression, user_activation)

    def wait_for(self, context: str, expression: str, timeout: float = 10, message: str = ""):
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(context, expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(message or f"timed out waiting for {expression}")
            time.sleep(0.05)

    def set_dark(self, dark: bool | None) -> None:
        """prefers-color-scheme for web and extension pages: dark, light, or the system's (None)."""
        chrome = self.bidi.call("browsingContext.getTree", {"moz:scope": "chrome"})["contexts"][0]["context"]
        value = {True: 0, False: 1, None: 2}[dark]
        self.bidi.call("script.evaluate", {
            "expression": f"Services.prefs.setIntPref('layout.css.prefers-color-scheme.content-override', {value})",
            "target": {"context": chrome}, "awaitPromise": False})

    # ------------------------------------------------------------------ the extension

    def configure(self, server_url: str, badge: bool = True, wait: bool = True) -> None:
        self.ext(f"(async () => {{ await browser.storage.local.remove('domains');"
                 f" await browser.storage.local.set({{settings: {{serverUrl: {json.dumps(server_url)}, token: '',"
                 f" badgeEnabled: {json.dumps(badge)}}}}}); }})()")
        if wait:
            self.wait_for(self.ext_tab, f"browser.storage.local.get('domains').then(d => d.domains?.serverUrl === "
                                        f"{json.dumps(server_url)} && !!d.domains.map)", message="no domain map")

    def badge(self, url: str) -> dict | None:
        return self.ext(f"browser.tabs.query({{url: {json.dumps(url)}}}).then(async ([tab]) => tab ? "
                        "{text: await browser.action.getBadgeText({tabId: tab.id}),"
                        " title: await browser.action.getTitle({tabId: tab.id})} : null)")

    def wait_badge(self, url: str, expected: str, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        badge = None
        while time.monotonic() < deadline:
            badge = self.badge(url)
            if badge and badge["text"] == expected:
                return badge
            time.sleep(0.05)
        raise AssertionError(f"badge for {url} is {badge}, expected {expected!r}")

    def open_popup(self, tab: str, timeout: float = 10) -> dict:
        """Open the real toolbar popup over `tab` and wait for its answer; returns its state and measurements."""
        self.close_popup()
        self.activate(tab)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.ext("browser.action.openPopup()")
                break
            except RuntimeError as error:  # the panel of a popup closed a moment ago may still be going away
                if "another panel is open" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        return self.wait_for(self.ext_tab, """(() => {
            const [view] = browser.extension.getViews({type: "popup"});
            const root = view?.document.documentElement;
            if (!root || root.dataset.state !== "ready") return null;
            const heading = view.document.getElementById("related-heading");
            return {...root.dataset, innerHeight: view.innerHeight, innerWidth: view.innerWidth,
                    scrollHeight: root.scrollHeight, text: view.document.getElementById("view").innerText,
                    relatedBottom: heading ? heading.getBoundingClientRect().bottom : null};
        })()""", timeout, "the toolbar popup never became ready")

    def in_popup(self, expression: str):
        """Evaluate `expression` with `view` and `document` bound to the open popup's window."""
        return self.ext(f"(() => {{ const [view] = browser.extension.getViews({{type: 'popup'}});"
                        f" if (!view) throw new Error('no popup open'); const document = view.document;"
                        f" return ({expression}); }})()")

    def close_popup(self) -> None:
        self.ext("(() => { for (const view of browser.extension.getViews({type: 'popup'})) view.close(); })()")

    def quit(self) -> None:
        try:
            self.bidi.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            shutil.rmtree(self.profile, ignore_errors=True)
