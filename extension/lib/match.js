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

