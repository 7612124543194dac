/**
 * Options: server address, access token, badge on/off, adding pages to the corpus (opt-in), a connection test.
 *
 * Settings are saved through the background worker (the only code that talks to the server); the page asks
 * for the host permission itself because the browser grants it only in answer to a click.
 */

import { normaliseServerUrl, permissionPattern } from "../lib/format.js";
import { LINK_SITES, cleanHost, hostOrigins } from "../lib/sites.js";

const ext = globalThis.browser ?? globalThis.chrome;
const form = document.getElementById("options");
const serverInput = document.getElementById("server-url");
const tokenInput = document.getElementById("token");
const badgeInput = document.getElementById("badge-enabled");
const storeInput = document.getElementById("store-pages");
const status = document.getElementById("status");
const domainsLine = document.getElementById("domains");
const siteList = document.getElementById("link-site-list");
const hostsInput = document.getElementById("link-hosts");

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
  hostsInput.value = (saved.linkHosts ?? []).join("\n");
  showSites();
  await showDomains();
}

// ---------------------------------------------------------------- labels next to links, site by site

function showSites() {
  const chosen = new Set(saved.linkSites ?? []);
  siteList.replaceChildren(...LINK_SITES.map((site) => {
    const row = document.createElement("div");
    row.className = "checkbox";
    const input = document.createElement("input");
    input.type = "checkbox";
    input.id = `site-${site.id}`;
    input.dataset.site = site.id;
    input.checked = chosen.has(site.id);
    input.addEventListener("change", () => toggleSite(site, input));
    const label = document.createElement("label");
    label.htmlFor = input.id;
    label.textContent = site.name;
    row.append(input, label);
    return row;
  }));
}

/** Switch a site on (asking for access to it in the click itself) or off (giving the access back). */
function toggleSite(site, input) {
  const origins = hostOrigins(site.hosts);
  const access = input.checked ? ext.permissions.request({ origins }).catch(() => false) : Promise.resolve(true);
  (async () => {
    if (!(await access)) {
      input.checked = false;
      say(`${site.name}: not switched on without access to the site.`, "bad");
      return;
    }
    const chosen = new Set(saved.linkSites ?? []);
    if (input.checked) chosen.add(site.id);
    else chosen.delete(site.id);
    const result = await ext.runtime.sendMessage({ type: "save-settings", settings: { linkSites: [...chosen] } });
    if (!result?.ok) {
      say(result?.error ?? "Could not save.", "bad");
      return;
    }
    saved = result.settings;
    if (!input.checked) await ext.permissions.remove({ origins }).catch(() => false);
    const synced = await ext.runtime.sendMessage({ type: "link-sites" });
    input.dataset.active = String(input.checked && site.hosts.every((host) => synced?.granted?.includes(host)));
    say(`${site.name}: labels next to links ${input.checked ? "on" : "off"}.`, "ok");
  })();
}

function typedHosts() {
  return hostsInput.value.split(/[\s,]+/).map(cleanHost).filter(Boolean);
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
  const hosts = typedHosts();
  const newHosts = hosts.filter((host) => !(saved?.linkHosts ?? []).includes(host));
  const permission = Promise.all([
    requestHostPermission(serverUrl),
    newHosts.length ? ext.permissions.request({ origins: hostOrigins(newHosts) }) : true,
  ]).then(([server]) => server).catch(() => false);
  (async () => {
    if (!(await permission)) {
      say(`Not saved: without permission to reach ${serverUrl} the extension cannot ask it anything.`, "bad");
      return;
    }
    const result = await ext.runtime.sendMessage({
      type: "save-settings",
      settings: { serverUrl, token: tokenInput.value, badgeEnabled: badgeInput.checked, storePages: storeInput.checked, linkHosts: hosts },
    });
    if (!result?.ok) {
      say(result?.error ?? "Could not save.", "bad");
      return;
    }
    saved = result.settings;
    serverInput.value = saved.serverUrl;
    hostsInput.value = saved.linkHosts.join("\n");
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
