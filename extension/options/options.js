/**
 * Options: server address, access token, badge on/off, adding pages to the corpus (opt-in), a connection test.
 *
 * Settings are saved through the background worker (the only code that talks to the server); the page asks
 * for the host permission itself because the browser grants it only in answer to a click.
 */

import { normaliseServerUrl, permissionPattern } from "../lib/format.js";

const ext = globalThis.browser ?? globalThis.chrome;
const form = document.getElementById("options");
const serverInput = document.getElementById("server-url");
const tokenInput = document.getElementById("token");
const badgeInput = document.getElementById("badge-enabled");
const storeInput = document.getElementById("store-pages");
const status = document.getElementById("status");
const domainsLine = document.getElementById("domains");

let saved = null; // the settings as last loaded or saved

function say(text, kind = "") {
  status.textContent = text;
  status.className = `status ${kind}`.trim();
}

function describeFailure(result) {
  if (result.reason === "unreachable") return `Cannot reach ${result.serverUrl}: ${result.error}. Is \`masthead serve\` running?`;
  if (result.status) return `${result.serverUrl} answered HTTP ${result.status}: ${result.error}`;
  return result.error ?? "Unknown error";
}

async function showDomains() {
  const info = await ext.runtime.sendMessage({ type: "domains-status" });
  if (!info?.ok) return;
  domainsLine.textContent = info.checkedAt
    ? `Outlet domains known for the badge: ${info.hosts} (checked ${new Date(info.checkedAt).toLocaleString()}).`
    : info.error
      ? `The outlet domain map could not be loaded: ${info.error}`
      : "The outlet domain map has not been loaded yet.";
}

async function load() {
  const answer = await ext.runtime.sendMessage({ type: "settings" });
  saved = answer.settings;
  serverInput.value = saved.serverUrl;
  tokenInput.value = saved.token;
  badgeInput.checked = saved.badgeEnabled;
  storeInput.checked = saved.storePages;
  await showDomains();
}

/** Ask for the host permission in the click itself (no await before it), as browsers require. */
function requestHostPermission(serverUrl) {
  if (saved && serverUrl === saved.serverUrl) return Promise.resolve(true);
  return ext.permissions.request({ origins: [permissionPattern(serverUrl)] });
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  let serverUrl;
  try {
    serverUrl = normaliseServerUrl(serverInput.value);
  } catch (error) {
    say(error.message, "bad");
    serverInput.setAttribute("aria-invalid", "true");
    serverInput.focus();
    return;
  }
  serverInput.removeAttribute("aria-invalid");
  const permission = requestHostPermission(serverUrl).catch(() => false);
  (async () => {
    if (!(await permission)) {
      say(`Not saved: without permission to reach ${serverUrl} the extension cannot ask it anything.`, "bad");
      return;
    }
    const result = await ext.runtime.sendMessage({
      type: "save-settings",
      settings: { serverUrl, token: tokenInput.value, badgeEnabled: badgeInput.checked, storePages: storeInput.checked },
    });
    if (!result?.ok) {
      say(result?.error ?? "Could not save.", "bad");
      return;
    }
    saved = result.settings;
    serverInput.value = saved.serverUrl;
    say(saved.storePages && !saved.token ? "Saved. Adding pages to the corpus needs the access token too." : "Saved.", saved.storePages && !saved.token ? "bad" : "ok");
    const refreshed = await ext.runtime.sendMessage({ type: "refresh-domains" });
    if (refreshed && !refreshed.ok) say(`Saved, but the outlet domain map could not be loaded: ${refreshed.error}`, "bad");
    await showDomains();
  })();
});

document.getElementById("test-connection").addEventListener("click", async () => {
  say("Testing…");
  const result = await ext.runtime.sendMessage({ type: "test-connection", serverUrl: serverInput.value, token: tokenInput.value });
  if (result?.ok) {
    const counts = result.counts ?? {};
    say(
      `Connected to Masthead ${result.version} at ${result.serverUrl} in ${result.milliseconds} ms: ` +
        `${counts.outlets ?? "?"} outlets, ${counts.domains ?? "?"} domains, ${counts.labels ?? "?"} labels.` +
        (result.healthy ? "" : " The server reports a problem with its source list; see /api/health."),
      result.healthy ? "ok" : "bad",
    );
  } else {
    say(describeFailure(result ?? { error: "no answer from the background worker" }), "bad");
  }
});

load();
