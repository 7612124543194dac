/**
 * Local outlet matching against the server's domain map (GET /api/domains).
 *
 * Mirrors Registry.match (server/masthead/registry/model.py) with match_hosts and
 * strip_alias_prefix (server/masthead/urls.py): the most specific rule wins —
 * for each candidate host, most specific first, a path rule (longest prefix
 * first) and then a host rule. The extension carries no Public Suffix List: it
 * walks parent domains until a hit, never trying a bare single label, which is
 * enough because the map's keys are never public suffixes.
 */

const WEB_SCHEMES = new Set(["http:", "https:"]);
// urls._strip_alias_host runs first (m., amp., mobile.), then urls.strip_alias_prefix (www. too).
const MOBILE_PREFIXES = ["m.", "amp.", "mobile."];
const ALIAS_PREFIXES = ["www.", "m.", "amp.", "mobile."];

/** Parse a page address; null when it is not an http(s) URL with a host. */
export function parsePageUrl(url) {
  if (typeof url !== "string" || url === "") return null;
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (!WEB_SCHEMES.has(parsed.protocol) || !parsed.hostname) return null;
  return parsed;
}

export function isWebPage(url) {
  return parsePageUrl(url) !== null;
}

/** The scheme of an address ("chrome", "about", "file"), or "" when it has none. */
export function schemeOf(url) {
  const found = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(String(url ?? ""));
  return found ? found[1].toLowerCase() : "";
}

export function isIpAddress(host) {
  if (host.startsWith("[") || host.includes(":")) return true;
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

function stripOnce(host, prefixes) {
  for (const prefix of prefixes) {
    if (host.startsWith(prefix)) {
      const rest = host.slice(prefix.length);
      if (rest.includes(".")) return rest;
    }
  }
  return host;
}

// Like the server, keep stripping while a prefix applies ("m.amp.example.com" -> "example.com").
function stripAll(host, prefixes) {
  let current = host;
  for (;;) {
    const next = stripOnce(current, prefixes);
    if (next === current) return current;
    current = next;
  }
}

/** Lowercase, drop a trailing dot and the alias prefixes the server ignores (www., m., amp., mobile.). */
export function stripAliasPrefix(host) {
  const clean = String(host).toLowerCase().replace(/\.+$/, "");
  return stripAll(stripAll(clean, MOBILE_PREFIXES), ALIAS_PREFIXES);
}

/** Hosts to try, most specific first: "www.news.example.co.uk" -> news.example.co.uk, example.co.uk, co.uk. */
export function matchHosts(host) {
  let current = stripAliasPrefix(host);
  const candidates = [current];
  while (current.indexOf(".") !== -1) {
    current = current.slice(current.indexOf(".") + 1);
    if (current.indexOf(".") === -1) break; // never a bare single label ("uk", "example")
    candidates.push(current);
  }
  return candidates;
}

function pathMatches(path, prefix) {
  return path === prefix || path.startsWith(prefix.replace(/\/+$/, "") + "/");
}

/**
 * The outlet for a page URL in a domain map {hosts, paths}, or null.
 * Returns {outletId, rule, kind} with kind "path" | "host" | "domain", as the server's Match.
 */
export function matchOutlet(domainMap, url) {
  if (!domainMap) return null;
  const page = parsePageUrl(url);
  if (!page) return null;
  const host = page.hostname;
  if (isIpAddress(host)) return null;
  const path = (page.pathname || "/").toLowerCase();
  const hosts = domainMap.hosts ?? {};
  const paths = domainMap.paths ?? {};
  const candidates = matchHosts(host);
  for (let position = 0; position < candidates.length; position++) {
    const candidate = candidates[position];
    const rules = [...(paths[candidate] ?? [])].sort((a, b) => b[0].length - a[0].length);
    for (const [prefix, outletId] of rules) {
      if (pathMatches(path, prefix.toLowerCase())) return { outletId, rule: candidate + prefix, kind: "path" };
    }
    const outletId = Object.prototype.hasOwnProperty.call(hosts, candidate) ? hosts[candidate] : null;
    if (outletId) return { outletId, rule: candidate, kind: position === 0 ? "host" : "domain" };
  }
  return null;
}


// ---------------------------------------------------------------- redirect wrappers (urls._unwrap on the server)

// Hosts whose links carry the real target in a query parameter: the server's urls.REDIRECTORS and
// REDIRECT_ENDPOINTS (tests/browser/test_match_parity.py keeps the two in step).
export const REDIRECTORS = {
  "l.facebook.com": ["u"],
  "lm.facebook.com": ["u"],
  "m.facebook.com": ["u"],
  "www.facebook.com": ["u"],
  "l.messenger.com": ["u"],
  "l.instagram.com": ["u"],
  "l.threads.net": ["u"],
  "www.google.com": ["url", "q"],
  "google.com": ["url", "q"],
  "news.google.com": ["url"],
  "www.youtube.com": ["q"],
  "youtube.com": ["q"],
  "t.umblr.com": ["z"],
  "out.reddit.com": ["url"],
  "href.li": ["url"],
  "www.linkedin.com": ["url"],
  "slack-redir.net": ["url"],
  "away.vk.com": ["to"],
  "vk.com": ["to"],
  "duckduckgo.com": ["uddg"],
  "lnkd.in": ["url"],
  "exit.sc": ["url"],
  "r.search.yahoo.com": ["RU"],
  "click.redditmail.com": ["url"],
  "steamcommunity.com": ["url"],
};
// Where on each host the redirect endpoint is ("/": the host does nothing else); the server's
// urls.REDIRECT_ENDPOINTS. vk.com/rt_russian?to=https://www.bbc.co.uk/ is a VK page, not the BBC (issue 26).
export const REDIRECT_ENDPOINTS = {
  "l.facebook.com": ["/"], "lm.facebook.com": ["/"], "m.facebook.com": ["/l.php"],
  "www.facebook.com": ["/l.php", "/flx/warn/"], "l.messenger.com": ["/"], "l.instagram.com": ["/"],
  "l.threads.net": ["/"], "www.google.com": ["/url"], "google.com": ["/url"], "news.google.com": ["/url"],
  "www.youtube.com": ["/redirect"], "youtube.com": ["/redirect"], "t.umblr.com": ["/"], "out.reddit.com": ["/"],
  "href.li": ["/"], "www.linkedin.com": ["/redir/redirect", "/safety/go"], "slack-redir.net": ["/"],
  "away.vk.com": ["/"], "vk.com": ["/away.php"], "duckduckgo.com": ["/l/"], "lnkd.in": ["/"], "exit.sc": ["/"],
  "r.search.yahoo.com": ["/"], "click.redditmail.com": ["/"], "steamcommunity.com": ["/linkfilter/"],
};

/** `path` is one of `endpoints` ("/url" is "/url" or below "/url/", never "/urlfoo"; "/" is every path). */
export function atEndpoint(path, endpoints) {
  return endpoints.some((end) => {
    const bare = end.replace(/\/+$/, "");
    return end === "/" || path === bare || path.startsWith(bare + "/");
  });
}
const SAFELINKS_SUFFIX = ".safelinks.protection.outlook.com";
const ARCHIVE_TODAY_HOSTS = new Set(["archive.ph", "archive.today", "archive.is", "archive.li", "archive.vn", "archive.md", "archive.fo"]);
const ARCHIVE_PATH = /^\/web\/(?:\d{1,14}[a-z_]*|\*)\/(.+)$/s;
const ARCHIVE_TODAY_PATH = /^\/(?:newest|oldest|\d{14}|\d{4}\.\d{2}\.\d{2}-\d{6})\/(.+)$/s;
const AMP_CACHE_PATH = /^\/(?:c|v|i|wp|r|a)\/(?:s\/)?(.+)$/s;
const MAX_UNWRAP = 64; // as the server (urls.py): five cut real chains short (issue 13)

function fixEmbeddedScheme(inner) {
  const fixed = inner.replace(/^(https?):\/+/i, "$1://");
  return /^https?:\/\//i.test(fixed) ? fixed : "http://" + fixed;
}

function unwrapOnce(page) {
  const host = page.hostname.toLowerCase();
  const path = page.pathname;
  const query = page.search.slice(1);
  const withQuery = (target) => target + (query ? "?" + query : "");
  if (host === "cdn.ampproject.org" || host.endsWith(".cdn.ampproject.org")) {
    const found = AMP_CACHE_PATH.exec(path);
    if (!found) return null;
    return withQuery((path.split("/")[2] === "s" ? "https://" : "http://") + found[1]);
  }
  if ((host === "www.google.com" || host === "google.com") && path.startsWith("/amp/")) {
    const rest = path.slice("/amp/".length);
    return withQuery(rest.startsWith("s/") ? "https://" + rest.slice(2) : "http://" + rest);
  }
  if (host === "web.archive.org" || host === "wayback.archive.org" || host === "archive.org") {
    const found = ARCHIVE_PATH.exec(path);
    if (found) return withQuery(fixEmbeddedScheme(found[1]));
  }
  if (ARCHIVE_TODAY_HOSTS.has(host)) {
    const found = ARCHIVE_TODAY_PATH.exec(path);
    if (found) return withQuery(fixEmbeddedScheme(found[1]));
  }
  if (host.endsWith(SAFELINKS_SUFFIX)) return page.searchParams.get("url") || null;
  if (host === "urldefense.com" && path.startsWith("/v3/__")) return path.slice("/v3/__".length).split("__;", 1)[0];
  const names = REDIRECTORS[host];
  if (names && atEndpoint(path, REDIRECT_ENDPOINTS[host])) {
    for (const name of names) {
      const target = page.searchParams.get(name);
      if (target) return /^https?:\/\//i.test(target) ? target : null;
    }
  }
  return null;
}

/** The address a link really leads to: redirect wrappers, AMP caches and web archives unwrapped, as the server does. */
export function unwrapUrl(url) {
  let current = url;
  for (let step = 0; step < MAX_UNWRAP; step++) {
    const page = parsePageUrl(current);
    if (!page) return current;
    const inner = unwrapOnce(page);
    if (!inner || inner === current) return current;
    current = inner;
  }
  return current;
}
