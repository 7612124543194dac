/**
 * Masthead's background worker: the only code that talks to the Masthead server.
 *
 * - One message dispatcher for the popup and the options page (see HANDLERS); a content script may send only
 *   what it needs (CONTENT_HANDLERS), from a tab, as Privacy Badger allows its content scripts a known list.
 * - The toolbar badge: the outlet domain map (GET /api/domains, revalidated with its ETag) is kept in
 *   storage.local and each tab's host is matched here, locally; visited URLs never go to the server for
 *   the badge. The full page URL is sent only when the reader opens the popup.
 * - MV3 cold start: the worker may be stopped at any moment, so every listener is registered synchronously
 *   at the top level and all state lives in storage.local, loaded lazily on first use by state().
 */

import { badgeFor, badgeKind } from "./lib/labels.js";
import { DEFAULT_SERVER_URL, apiUrl, cutUtf8, normaliseServerUrl } from "./lib/format.js";
import { matchOutlet, unwrapUrl } from "./lib/match.js";
import { LINK_SITES, cleanHost, hostMatches, hostOrigins, isLinkHost, linkHosts } from "./lib/sites.js";

const ext = globalThis.browser ?? globalThis.chrome;

export const DEFAULT_SETTINGS = Object.freeze({
  serverUrl: DEFAULT_SERVER_URL,
  token: "",
  badgeEnabled: true,
  storePages: false,
  linkSites: [], // labels next to links: ids from lib/sites.js, each switched on by the reader
  linkHosts: [], // and hosts of their own (another Mastodon server)
});
const DOMAINS_MAX_AGE_MS = 30 * 60 * 1000;
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_TITLE_BYTES = 1500; // the title's share of the 8,190-byte request line, percent-encoded (see cutUtf8)
const DEFAULT_TITLE = "Masthead: who stands behind this page";
const BADGE_TEXT_COLOUR = "#ffffff";

// ---------------------------------------------------------------- state (rebuilt after every cold start)

let cached = null; // Promise<{settings, domains}>; dropped whenever storage changes

function state() {
  cached ??= ext.storage.local.get(["settings", "domains"]).then((stored) => ({
    settings: { ...DEFAULT_SETTINGS, ...(stored.settings ?? {}) },
    domains: stored.domains ?? null,
  }));
  return cached;
}

async function currentSettings() {
  return (await state()).settings;
}

function authHeaders(token) {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function request(url, { token, headers = {}, method = "GET", json } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  const body = json === undefined ? undefined : JSON.stringify(json);
  if (body !== undefined) headers = { "Content-Type": "application/json", ...headers };
  try {
    return await fetch(url, {
      method,
      body,
      headers: { Accept: "application/json", ...authHeaders(token), ...headers },
      signal: controller.signal,
      credentials: "omit",
      cache: "no-store",
    });
  } finally {
    clearTimeout(timer);
  }
}

/** A failed fetch or a non-2xx answer as the popup's error shape. */
async function failure(response, error) {
  if (!response) {
    const timedOut = error?.name === "AbortError";
    return {
      ok: false,
      reason: "unreachable",
      error: timedOut ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : String(error?.message ?? error),
    };
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not our JSON error shape: a proxy or another program on that port.
  }
  const message = body && typeof body.error === "string" ? body.error : `HTTP ${response.status} ${response.statusText}`.trim();
  return {
    ok: false,
    reason: response.status === 422 ? "not-web" : "server",
    status: response.status,
    error: message,
    detail: body?.detail ?? null,
  };
}

// ---------------------------------------------------------------- the domain map

let refreshing = null;
let failedAt = 0; // in memory only: after a failure, wait a minute before asking again on tab events
const RETRY_AFTER_FAILURE_MS = 60 * 1000;

/** Revalidate the domain map (If-None-Match) when it is stale or `force` is set; keeps the old map on failure. */
function refreshDomains({ force = false } = {}) {
  if (refreshing) {
    // One request at a time; a forced one (new server, new token) runs again once the current one is done,
    // since that one may still be asking the previous server.
    return force ? refreshing.then(() => refreshDomains({ force })) : refreshing;
  }
  refreshing = (async () => {
    const { settings, domains } = await state();
    const usable = domains && domains.serverUrl === settings.serverUrl ? domains : null;
    if (!force && usable && Date.now() - usable.checkedAt < DOMAINS_MAX_AGE_MS) return usable;
    if (!force && Date.now() - failedAt < RETRY_AFTER_FAILURE_MS) return usable;
    let response;
    try {
      response = await request(apiUrl(settings.serverUrl, "/api/domains"), {
        token: settings.token,
        headers: usable?.etag ? { "If-None-Match": usable.etag } : {},
      });
    } catch (error) {
      failedAt = Date.now();
      return { ...(usable ?? {}), error: (await failure(null, error)).error };
    }
    let next;
    if (response.status === 304 && usable) {
      next = { ...usable, vocabulary: usable.vocabulary ?? (await fetchVocabulary(settings)), checkedAt: Date.now(), error: null };
    } else if (response.ok) {
      const map = await response.json();
      next = {
        serverUrl: settings.serverUrl,
        etag: response.headers.get("ETag"),
        map,
        vocabulary: await fetchVocabulary(settings),
        fetchedAt: Date.now(),
        checkedAt: Date.now(),
        error: null,
      };
    } else {
      failedAt = Date.now();
      return { ...(usable ?? {}), error: (await failure(response)).error };
    }
    failedAt = 0;
    await ext.storage.local.set({ domains: next });
    return next;
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/**
 * The server's label vocabulary (GET /api/labels: label types with kind, badge word and control-model group;
 * the control models in order), fetched with a new domain map and kept beside it. Null when it fails: the
 * popup and badge then fall back to plain names and the neutral colour.
 */
async function fetchVocabulary(settings) {
  try {
    const response = await request(apiUrl(settings.serverUrl, "/api/labels"), { token: settings.token });
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

/** The cached vocabulary for the current server, or null. */
async function currentVocabulary() {
  const { settings, domains } = await state();
  if (domains && domains.serverUrl === settings.serverUrl && domains.vocabulary) return domains.vocabulary;
  return (await refreshDomains())?.vocabulary ?? null;
}

// ---------------------------------------------------------------- the badge

async function setBadge(tabId, badge) {
  const action = ext.action;
  try {
    await action.setBadgeText({ tabId, text: badge?.text ?? "" });
    await action.setTitle({ tabId, title: badge?.title ?? DEFAULT_TITLE });
    if (badge?.text) {
      await action.setBadgeBackgroundColor({ tabId, color: badge.colour });
      await action.setBadgeTextColor?.({ tabId, color: BADGE_TEXT_COLOUR });
    }
  } catch {
    // The tab closed meanwhile.
  }
}

async function updateBadge(tabId, url) {
  const { settings, domains } = await state();
  if (!settings.badgeEnabled) return;
  const map = domains && domains.serverUrl === settings.serverUrl ? domains.map : null;
  const match = url ? matchOutlet(map, url) : null;
  await setBadge(tabId, match ? badgeFor(map, match.outletId, domains.vocabulary) : null);
  if (!domains || Date.now() - domains.checkedAt >= DOMAINS_MAX_AGE_MS) {
    // Stale or missing: revalidate in the background; the storage change re-badges every tab.
    refreshDomains();
  }
}

async function updateAllBadges() {
  const tabs = await ext.tabs.query({});
  const { settings } = await state();
  if (!settings.badgeEnabled) {
    await Promise.all(tabs.map((tab) => setBadge(tab.id, null)));
    return;
  }
  await Promise.all(tabs.map((tab) => updateBadge(tab.id, tab.url)));
}

// ---------------------------------------------------------------- what the popup and options ask

async function getContext({ url, title }) {
  const settings = await currentSettings();
  const base = { serverUrl: settings.serverUrl };
  let response;
  try {
    response = await request(apiUrl(settings.serverUrl, "/api/context", { url, title: title ? cutUtf8(title, MAX_TITLE_BYTES) : "" }), {
      token: settings.token,
    });
  } catch (error) {
    return { ...base, ...(await failure(null, error)) };
  }
  if (!response.ok) return { ...base, ...(await failure(response)) };
  const [answer, vocabulary] = await Promise.all([response.json(), currentVocabulary()]);
  refreshDomains(); // a cheap revalidation while the reader is looking anyway
  return { ...base, ok: true, answer, vocabulary, storePages: settings.storePages };
}

/**
 * Ask the server to add the page to its corpus. Only for readers who switched this on in the options: it
 * leaves a record on the server of what they read, which Masthead otherwise never keeps.
 */
async function storePage({ url, title }) {
  const settings = await currentSettings();
  if (!settings.storePages) return { ok: false, reason: "off", error: "adding pages is switched off in the options" };
  if (!settings.token) return { ok: false, reason: "no-token", error: "adding pages needs the access token (Options)" };
  let response;
  try {
    response = await request(apiUrl(settings.serverUrl, "/api/articles"), {
      method: "POST",
      token: settings.token,
      json: { url, title: title ? title.slice(0, 1000) : "" },
    });
  } catch (error) {
    return failure(null, error);
  }
  if (!response.ok) return failure(response);
  const stored = await response.json();
  return { ok: true, status: stored.status, title: stored.title ?? null };
}

async function testConnection({ serverUrl, token }) {
  let base;
  try {
    base = normaliseServerUrl(serverUrl);
  } catch (error) {
    return { ok: false, reason: "invalid", error: error.message };
  }
  const started = Date.now();
  let response;
  try {
    response = await request(apiUrl(base, "/api/health"), { token });
  } catch (error) {
    return { serverUrl: base, ...(await failure(null, error)) };
  }
  if (!response.ok) return { serverUrl: base, ...(await failure(response)) };
  const health = await response.json();
  return {
    ok: true,
    serverUrl: base,
    milliseconds: Date.now() - started,
    version: health.version,
    counts: health.counts ?? {},
    healthy: health.ok !== false,
  };
}

async function saveSettings({ settings: wanted }) {
  const current = await currentSettings();
  const next = { ...current };
  if (wanted.serverUrl !== undefined) next.serverUrl = normaliseServerUrl(wanted.serverUrl);
  if (wanted.token !== undefined) next.token = String(wanted.token).trim();
  if (wanted.badgeEnabled !== undefined) next.badgeEnabled = Boolean(wanted.badgeEnabled);
  if (wanted.storePages !== undefined) next.storePages = Boolean(wanted.storePages);
  if (wanted.linkSites !== undefined) {
    const known = new Set(LINK_SITES.map((site) => site.id));
    next.linkSites = [...new Set(wanted.linkSites)].filter((id) => known.has(id));
  }
  if (wanted.linkHosts !== undefined) next.linkHosts = [...new Set(wanted.linkHosts.map(cleanHost).filter(Boolean))];
  await ext.storage.local.set({ settings: next });
  return { ok: true, settings: next };
}

async function domainsStatus() {
  const { settings, domains } = await state();
  const usable = domains && domains.serverUrl === settings.serverUrl ? domains : null;
  return {
    ok: true,
    serverUrl: settings.serverUrl,
    hosts: usable?.map ? Object.keys(usable.map.hosts ?? {}).length : 0,
    checkedAt: usable?.checkedAt ?? null,
    error: usable?.error ?? null,
  };
}

// ---------------------------------------------------------------- labels next to links

const LINK_SCRIPT_ID = "masthead-links";

/** What a link badge needs of an outlet: its badge word and kind, its name, its labels with issuer and date. */
function linkOutlet(outlet, vocabulary) {
  return {
    name: outlet.name,
    badge: outlet.badge,
    badge_kind: outlet.badge_kind ?? badgeKind(vocabulary, outlet.badge),
    labels: (outlet.labels ?? []).map((label) => (typeof label === "string" ? { title: label } : label)),
  };
}

/**
 * Match a batch of a page's links against the local domain map (redirect wrappers unwrapped first). Only for
 * a content script on a site the reader switched on; nothing is sent anywhere.
 */
async function matchLinks({ urls }, sender) {
  const { settings, domains } = await state();
  if (!sender?.tab || !isLinkHost(settings, sender.url ?? sender.tab.url)) return { ok: false, reason: "off" };
  const map = domains && domains.serverUrl === settings.serverUrl ? domains.map : null;
  const matches = {};
  const outlets = {};
  if (map && Array.isArray(urls)) {
    for (const url of urls.slice(0, 5000)) {
      const match = typeof url === "string" ? matchOutlet(map, unwrapUrl(url)) : null;
      const outlet = match ? map.outlets?.[match.outletId] : null;
      if (!outlet?.badge) continue; // only outlets that carry a label
      matches[url] = match.outletId;
      outlets[match.outletId] ??= linkOutlet(outlet, domains.vocabulary);
    }
  }
  if (!domains || Date.now() - domains.checkedAt >= DOMAINS_MAX_AGE_MS) refreshDomains();
  return { ok: true, matches, outlets };
}

/** Keep the registered content script in step with the sites switched on and the access the browser granted. */
async function syncLinkScripts() {
  if (!ext.scripting?.registerContentScripts) return;
  const hosts = linkHosts(await currentSettings());
  const granted = [];
  for (const host of hosts) {
    if (await ext.permissions.contains({ origins: hostOrigins([host]) }).catch(() => false)) granted.push(host);
  }
  const registered = await ext.scripting.getRegisteredContentScripts({ ids: [LINK_SCRIPT_ID] }).catch(() => []);
  if (registered.length) await ext.scripting.unregisterContentScripts({ ids: [LINK_SCRIPT_ID] });
  if (granted.length) {
    await ext.scripting.registerContentScripts([{
      id: LINK_SCRIPT_ID,
      matches: hostMatches(granted),
      js: ["content/links.js"],
      runAt: "document_idle",
    }]);
  }
  return granted;
}

let linkSync = Promise.resolve();
function scheduleLinkSync() {
  linkSync = linkSync.then(syncLinkScripts, syncLinkScripts).catch(() => []);
  return linkSync;
}

// What the extension's own pages (popup, options) may ask.
const HANDLERS = {
  context: getContext,
  "store-page": storePage,
  settings: async () => ({ ok: true, settings: await currentSettings(), defaults: DEFAULT_SETTINGS }),
  "save-settings": saveSettings,
  "test-connection": testConnection,
  "refresh-domains": async () => {
    const domains = await refreshDomains({ force: true });
    await updateAllBadges();
    return { ok: !domains?.error, error: domains?.error ?? null, ...(await domainsStatus()) };
  },
  "domains-status": domainsStatus,
  "link-sites": async () => ({ ok: true, granted: await scheduleLinkSync() }),
};

// What a content script may ask: the link-label script runs inside every page a reader switched on, where a
// page's bug or exploit could reach its world; it must not read the token, change the server or store pages
// (issue 21, issue 26).
const CONTENT_HANDLERS = {
  "match-links": matchLinks,
};

const EXTENSION_PAGES = ext.runtime.getURL("");

/** The handler for a message, by who sent it: an extension page, a content script in a tab, or none. */
export function handlerFor(message, sender) {
  const type = message?.type;
  if (sender?.id !== ext.runtime.id || typeof type !== "string") return null;
  if (typeof sender.url === "string" && sender.url.startsWith(EXTENSION_PAGES)) {
    return Object.hasOwn(HANDLERS, type) ? HANDLERS[type] : null;
  }
  if (sender.tab) return Object.hasOwn(CONTENT_HANDLERS, type) ? CONTENT_HANDLERS[type] : null;
  return null;
}

ext.runtime.onMessage.addListener((message, sender, sendResponse) => {
  const handler = handlerFor(message, sender);
  if (!handler) {
    if (message?.type) console.warn(`Masthead: refused a "${String(message.type).slice(0, 40)}" message from ${sender?.tab ? "a content script" : "an unknown sender"}`);
    return false;
  }
  Promise.resolve()
    .then(() => handler(message, sender))
    .then(sendResponse, (error) => sendResponse({ ok: false, reason: "internal", error: String(error?.message ?? error) }));
  return true; // answer asynchronously
});

// ---------------------------------------------------------------- events

ext.tabs.onUpdated.addListener((tabId, change, tab) => {
  // Chromium clears a tab's badge when it navigates: set it again once the new URL is known and when loaded.
  if (change.url || change.status === "loading" || change.status === "complete") {
    updateBadge(tabId, change.url ?? tab.url);
  }
});

ext.storage.onChanged.addListener((changes, area) => {
  if (area !== "local") return;
  cached = null;
  if (changes.settings) {
    const before = { ...DEFAULT_SETTINGS, ...(changes.settings.oldValue ?? {}) };
    const after = { ...DEFAULT_SETTINGS, ...(changes.settings.newValue ?? {}) };
    if (linkHosts(before).join() !== linkHosts(after).join()) scheduleLinkSync();
    if (before.serverUrl !== after.serverUrl || before.token !== after.token) {
      refreshDomains({ force: true }).then(updateAllBadges);
      return;
    }
  }
  if (changes.settings || changes.domains) updateAllBadges();
});

ext.permissions.onAdded?.addListener(() => scheduleLinkSync());
ext.permissions.onRemoved?.addListener(() => scheduleLinkSync());

ext.runtime.onInstalled.addListener(() => {
  refreshDomains({ force: true }).then(updateAllBadges);
  scheduleLinkSync();
});

ext.runtime.onStartup.addListener(() => {
  refreshDomains().then(updateAllBadges);
  scheduleLinkSync();
});
