/** Formatting for the popup and options: dates, periods, jurisdictions, the owner path, server addresses. */

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "2023-11-17" -> "17 Nov 2023", "2024-07" -> "Jul 2024", "2023" -> "2023"; anything else unchanged. */
export function formatDate(value) {
  if (!value) return "";
  const found = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/.exec(String(value));
  if (!found) return String(value);
  const [, year, month, day] = found;
  const monthName = month ? MONTHS[Number(month) - 1] : null;
  if (month && !monthName) return String(value);
  if (day) return `${Number(day)} ${monthName} ${year}`;
  if (month) return `${monthName} ${year}`;
  return year;
}

/**
 * The edition an assessment rests on (issue 24): "2025" -> "as of 2025 edition", "2024-03" -> "as of Mar 2024",
 * "2023-08-24" -> "as of 24 Aug 2023".
 */
export function formatAsOf(value) {
  const when = formatDate(value);
  if (!when) return "";
  return /^\d{4}$/.test(when) ? `as of ${when} edition` : `as of ${when}`;
}

/**
 * When a label applies, in words. A designation by its issuer's dates: "since 2 Mar 2022", "6 Aug 2020 – 21 Apr
 * 2023", "from 1 Jan 2030"; an assessment (a typology) by the edition it rests on: "as of 2025 edition", with the
 * change its assessor dates when there is one: "since Jul 2024, as of 2025 edition".
 */
export function formatPeriod({ since, until, status, as_of: asOf } = {}) {
  const from = formatDate(since);
  const to = formatDate(until);
  let period = "";
  if (from && to) period = `${from} – ${to}`;
  else if (to) period = `until ${to}`;
  else if (from) period = status === "future" ? `from ${from}` : `since ${from}`;
  return [period, formatAsOf(asOf)].filter(Boolean).join(", ");
}

/**
 * A page on a host its outlet left: "Former domain of Strategic Culture Foundation until Aug 2023". The labels
 * shown are the outlet's, not those of whoever holds the host now.
 */
export function formerDomainLine(former) {
  if (!former || !former.outlet) return "";
  const until = formatDate(former.until);
  return `Former domain of ${former.outlet}${until ? ` until ${until}` : ""}`;
}

const FUNDING_KINDS = { "licence-fee": "licence fee", "state-budget": "state budget", "state-subsidy": "state subsidy" };

/** A funding link in a few words: "U.S. Agency for Global Media (grant, since 1995)". */
export function fundingLine(item) {
  if (!item) return "";
  const kind = FUNDING_KINDS[item.kind] ?? item.kind ?? "";
  const period = formatPeriod({ since: item.since, until: item.until });
  const facts = [kind, formatShare(item.share), period].filter(Boolean).join(", ");
  return facts ? `${item.name} (${facts})` : String(item.name ?? "");
}

const SPECIAL_JURISDICTIONS = { EU: "European Union", UN: "United Nations", INT: "International (no single state)" };

/** "RU" -> "Russia (RU)", "EU" -> "European Union"; falls back to the code. */
export function jurisdictionName(code) {
  if (!code) return "";
  if (SPECIAL_JURISDICTIONS[code]) return SPECIAL_JURISDICTIONS[code];
  try {
    const name = new Intl.DisplayNames(["en"], { type: "region" }).of(code);
    return name && name !== code ? `${name} (${code})` : code;
  } catch {
    return code;
  }
}

// Short forms for one-line summaries ("Sanctioned · EU, UK, Canada, US").
const SHORT_JURISDICTIONS = { EU: "EU", UN: "UN", INT: "international", GB: "UK", US: "US", AE: "UAE" };

/** "GB" -> "UK", "EU" -> "EU", "CA" -> "Canada"; falls back to the code. */
export function shortJurisdiction(code) {
  if (!code) return "";
  return SHORT_JURISDICTIONS[code] ?? countryName(code);
}

const SHORT_ISSUER_WORDS = [
  [/\bEuropean Union\b/g, "EU"],
  [/\bUnited Kingdom\b/g, "UK"],
  [/\bUnited States\b/g, "US"],
];

/**
 * An issuer in a few words: "Council of the European Union" -> "Council of the EU", "YouTube (Google)" ->
 * "YouTube", "UK Government (Foreign, Commonwealth and Development Office)" -> "UK Government".
 */
export function shortIssuer(issuer) {
  if (!issuer) return "";
  let text = String(issuer).replace(/\s*\([^)]*\)\s*/g, " ").trim();
  for (const [pattern, short] of SHORT_ISSUER_WORDS) text = text.replace(pattern, short);
  return text || String(issuer);
}

export function countryName(code) {
  if (!code) return "";
  try {
    return new Intl.DisplayNames(["en"], { type: "region" }).of(code) ?? code;
  } catch {
    return code;
  }
}

export function formatShare(share) {
  if (share === null || share === undefined || share === "") return "";
  const number = Number(share);
  if (!Number.isFinite(number)) return "";
  return `${Number.isInteger(number) ? number : number.toFixed(1)}%`;
}

const OWNER_KINDS = {
  government: "government",
  "state-agency": "state agency",
  "state-enterprise": "state enterprise",
  "public-corporation": "public corporation",
  party: "political party",
  company: "company",
  "listed-company": "listed company",
  trust: "trust",
  foundation: "foundation",
  "non-profit": "non-profit",
  cooperative: "cooperative",
  person: "person",
  family: "family",
};

export function ownerKindName(kind) {
  return OWNER_KINDS[kind] ?? kind ?? "";
}

/**
 * The ownership chain as a short path: the owners after the outlet, at most `max` steps; when longer, the
 * first owner, a gap saying how many steps are hidden, and the last (ultimate) owners.
 * Returns [{type: "owner", node} | {type: "gap", count, names}].
 */
export function ownerPath(chain, max = 4) {
  const owners = (chain ?? []).filter((node) => node.kind !== "outlet");
  if (owners.length <= max) return owners.map((node) => ({ type: "owner", node }));
  const head = owners.slice(0, 1);
  const tail = owners.slice(owners.length - (max - 2));
  const hidden = owners.slice(1, owners.length - (max - 2));
  return [
    ...head.map((node) => ({ type: "owner", node })),
    { type: "gap", count: hidden.length, names: hidden.map((node) => node.name) },
    ...tail.map((node) => ({ type: "owner", node })),
  ];
}

export const DEFAULT_SERVER_URL = "http://127.0.0.1:8765";

/**
 * A server address as typed -> "http://host:port[/path]" without a trailing slash, or throws with a message
 * for people. A bare "host:port" gets http://.
 */
export function normaliseServerUrl(input) {
  let text = String(input ?? "").trim();
  if (!text) throw new Error("Enter the server address, for example " + DEFAULT_SERVER_URL);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = "http://" + text;
  let parsed;
  try {
    parsed = new URL(text);
  } catch {
    throw new Error(`"${input}" is not a web address`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new Error("The server address must start with http:// or https://");
  }
  if (parsed.username || parsed.password) throw new Error("Put the access token in its own field, not in the address");
  const path = parsed.pathname.replace(/\/+$/, "");
  return `${parsed.protocol}//${parsed.host}${path}`;
}

/** The host-permission pattern for a server address: "http://127.0.0.1/*" (match patterns carry no port). */
export function permissionPattern(serverUrl) {
  const parsed = new URL(serverUrl);
  return `${parsed.protocol}//${parsed.hostname}/*`;
}

export function apiUrl(serverUrl, path, params = {}) {
  const url = new URL(serverUrl.replace(/\/+$/, "") + path);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  return url.toString();
}

/**
 * `text` cut to at most `maxBytes` of UTF-8, never inside a character. A title travels percent-encoded in the
 * query string, three characters per byte outside ASCII: 2,000 Cyrillic characters cut by length were ~12 KB,
 * past the server's 8,190-byte request line (414, issue 13). Cut by bytes it stays under 4.5 KB.
 */
export function cutUtf8(text, maxBytes) {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end -= 1; // back to the first byte of a character
  return new TextDecoder().decode(bytes.subarray(0, end));
}

/** The curation page for an outlet not yet in the list. */
export function addOutletUrl(serverUrl, registeredDomain) {
  return apiUrl(serverUrl, "/edit", { domain: registeredDomain });
}

/** The server's page about one outlet: its ownership graph and its labels on a timeline. */
export function outletPageUrl(serverUrl, outletId) {
  return apiUrl(serverUrl, `/outlets/${encodeURIComponent(outletId)}`);
}

/** The host of a link, without www., for showing where it goes. */
export function displayHost(url) {
  try {
    return new URL(url).hostname.replace(/^www\./, "");
  } catch {
    return "";
  }
}

/** "2026-02-26T09:14:00+03:00" -> "26 Feb 2026, 09:14" (the time as the outlet gave it); a bare date as formatDate. */
export function formatDateTime(value) {
  const time = /T(\d{2}):(\d{2})/.exec(String(value ?? ""));
  const day = formatDate(value);
  return time && !(time[1] === "00" && time[2] === "00") ? `${day}, ${time[1]}:${time[2]}` : day;
}

/** The server's page about the story a page reports: its coverage over time, outlet by outlet. */
export function storyPageUrl(serverUrl, pageUrl) {
  return apiUrl(serverUrl, "/stories", { url: pageUrl });
}
