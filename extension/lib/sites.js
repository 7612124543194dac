/**
 * The sites where the reader may switch on labels next to links (off by default, one by one, in the options):
 * search results, social feeds and news aggregators. Each switch asks the browser for access to that site only.
 */

export const LINK_SITES = [
  { id: "google", name: "Google Search", kind: "search", hosts: ["www.google.com"] },
  { id: "google-news", name: "Google News", kind: "aggregator", hosts: ["news.google.com"] },
  { id: "bing", name: "Bing", kind: "search", hosts: ["www.bing.com"] },
  { id: "duckduckgo", name: "DuckDuckGo", kind: "search", hosts: ["duckduckgo.com", "html.duckduckgo.com"] },
  { id: "x", name: "X (Twitter)", kind: "social", hosts: ["x.com", "twitter.com"] },
  { id: "reddit", name: "Reddit", kind: "social", hosts: ["www.reddit.com", "old.reddit.com"] },
  { id: "facebook", name: "Facebook", kind: "social", hosts: ["www.facebook.com"] },
  { id: "bluesky", name: "Bluesky", kind: "social", hosts: ["bsky.app"] },
  { id: "mastodon", name: "Mastodon (mastodon.social; other servers below)", kind: "social", hosts: ["mastodon.social"] },
  { id: "hacker-news", name: "Hacker News", kind: "aggregator", hosts: ["news.ycombinator.com"] },
];

const HOST = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/;

/** A host as typed ("https://Mastodon.Example/@me" -> "mastodon.example"), or null when it is not one. */
export function cleanHost(text) {
  let value = String(text ?? "").trim().toLowerCase();
  if (!value) return null;
  value = value.replace(/^[a-z][a-z0-9+.-]*:\/\//, "").split(/[/?#]/, 1)[0].replace(/:\d+$/, "").replace(/\.$/, "");
  return HOST.test(value) ? value : null;
}

/** The hosts the reader switched on: the chosen sites' hosts and their own extra hosts. */
export function linkHosts(settings) {
  const chosen = new Set(settings?.linkSites ?? []);
  const hosts = LINK_SITES.filter((site) => chosen.has(site.id)).flatMap((site) => site.hosts);
  for (const host of settings?.linkHosts ?? []) {
    const clean = cleanHost(host);
    if (clean) hosts.push(clean);
  }
  return [...new Set(hosts)];
}

/** What to ask the browser for: both schemes (the manifest's optional host permissions are http and https). */
export function hostOrigins(hosts) {
  return hosts.flatMap((host) => [`https://${host}/*`, `http://${host}/*`]);
}

/** Where the content script runs. */
export function hostMatches(hosts) {
  return hosts.map((host) => `*://${host}/*`);
}

/** Whether a page address is on a host the reader switched on. */
export function isLinkHost(settings, url) {
  let host;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  return linkHosts(settings).includes(host);
}
