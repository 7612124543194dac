/**
 * The toolbar popup: asks the background worker about the current tab and shows who stands behind it.
 *
 * It only sends messages; the background worker talks to the server. For tests, `popup.html?url=...&title=...`
 * names the page instead of the active tab. When the answer is painted, <html> gets data-state="ready",
 * data-view (outlet | unknown | unreachable | error | not-web), data-ready-ms (ms since the popup's document
 * started) and data-ready-at (epoch ms, to compare with the moment the popup was asked for), and a performance
 * mark "masthead-ready" is set; the measure "masthead-answer" times the round trip through the worker.
 */

import { controlModelName, coverageSummary, groupRelated, kindInfo, splitLabels, summariseLabels } from "../lib/labels.js";
import {
  addOutletUrl,
  countryName,
  displayHost,
  formatDate,
  formatDateTime,
  formerDomainLine,
  fundingLine,
  formatPeriod,
  formatShare,
  jurisdictionName,
  ownerKindName,
  outletPageUrl,
  ownerPath,
  storyPageUrl,
} from "../lib/format.js";
import { isWebPage, schemeOf } from "../lib/match.js";

const ext = globalThis.browser ?? globalThis.chrome;
const SPINNER_DELAY_MS = 150;
const root = document.documentElement;
const app = document.getElementById("app");
const view = document.getElementById("view");
const spinner = document.getElementById("spinner");

// ---------------------------------------------------------------- a tiny DOM builder (text only, never HTML)

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === "") continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** A link that opens in a new tab; the popup closes as the tab takes focus. */
function externalLink(url, text, attributes = {}) {
  return h("a", {
    href: url,
    target: "_blank",
    rel: "noopener noreferrer",
    ...attributes,
    onclick: (event) => {
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
      event.preventDefault();
      ext.tabs.create({ url });
    },
  }, text);
}

function isHttpUrl(url) {
  return /^https?:\/\//i.test(String(url ?? ""));
}

// ---------------------------------------------------------------- states

let spinnerTimer = null;

function setLoading() {
  root.dataset.state = "pending";
  spinnerTimer = setTimeout(() => {
    root.dataset.state = "loading";
    root.dataset.spinnerShown = "true";
    spinner.hidden = false;
  }, SPINNER_DELAY_MS);
}

function show(viewName, ...content) {
  clearTimeout(spinnerTimer);
  spinner.hidden = true;
  view.replaceChildren(...content.flat().filter((node) => node != null));
  app.setAttribute("aria-busy", "false");
  root.dataset.view = viewName;
  // Mark ready once the browser has painted the answer: the frame after next.
  requestAnimationFrame(() =>
    setTimeout(() => {
      performance.mark("masthead-ready");
      root.dataset.readyMs = String(Math.round(performance.now()));
      root.dataset.readyAt = String(Math.round(performance.timeOrigin + performance.now()));
      root.dataset.state = "ready";
    }, 0),
  );
  const heading = view.querySelector("h1");
  if (heading) heading.setAttribute("tabindex", "-1");
}

function retryButton() {
  return h("button", { type: "button", class: "button", onclick: () => start() }, "Try again");
}

function optionsButton() {
  return h("button", { type: "button", class: "button secondary", onclick: () => ext.runtime.openOptionsPage() }, "Options");
}

function showNotWebPage(url) {
  const scheme = schemeOf(url);
  show(
    "not-web",
    h("section", { class: "notice" },
      h("h1", {}, "Not a web page"),
      h("p", {}, "Masthead explains news pages, addresses starting with http:// or https://."),
      h("p", { class: "muted" }, scheme ? `This tab shows a ${scheme}: page.` : "This tab has no page address."),
    ),
  );
}

function showUnreachable(result) {
  show(
    "unreachable",
    h("section", { class: "notice", role: "alert" },
      h("h1", {}, "Masthead server not reachable"),
      h("p", {}, "No answer from ", h("code", {}, result.serverUrl), result.error ? h("span", { class: "muted" }, ` (${result.error})`) : null, "."),
      h("p", {}, "Start it in a terminal:"),
      h("pre", { class: "command" }, h("code", {}, "masthead serve")),
      h("p", { class: "muted" }, "If it runs elsewhere, set its address in Options."),
      h("div", { class: "actions" }, retryButton(), optionsButton()),
    ),
  );
}

function showServerError(result) {
  show(
    "error",
    h("section", { class: "notice", role: "alert" },
      h("h1", {}, "The server reported an error"),
      h("p", { class: "error-message" }, result.status ? h("strong", {}, `HTTP ${result.status}: `) : null, result.error),
      h("div", { class: "actions" }, retryButton(), optionsButton()),
    ),
  );
}

// ---------------------------------------------------------------- the answer

let vocabulary = null; // the server's label vocabulary, from the worker's cache

function labelFacts(label) {
  const facts = [
    ["Issued by", label.issuer],
    ["Jurisdiction", jurisdictionName(label.jurisdiction)],
    [label.date_kind === "as_of" ? "Assessed" : "In force", formatPeriod(label) || (label.status === "historical" ? "ended" : "")],
    ["Instrument", label.instrument],
    ["In response to", label.in_response_to],
    ["Note", label.note],
  ].filter(([, value]) => value);
  const sources = (label.sources ?? []).filter(isHttpUrl);
  return [
    h("dl", { class: "facts" }, facts.map(([name, value]) => [h("dt", {}, name), h("dd", {}, value)])),
    sources.length
      ? h("p", { class: "sources" }, sources.length === 1 ? "Source: " : "Sources: ",
        sources.map((url, index) => [index ? ", " : "", externalLink(url, displayHost(url) || url, { title: url })]))
      : h("p", { class: "sources muted" }, "No source given."),
    label.checked ? h("p", { class: "checked muted" }, `Last checked ${formatDate(label.checked)}`) : null,
  ];
}

/** One label, issuer first: the summary names who issued it and when, the details the rest. */
function labelCard(label, { title = false } = {}) {
  const kind = kindInfo(label.kind);
  const who = label.issuer || jurisdictionName(label.jurisdiction) || "Issuer not recorded";
  const period = formatPeriod(label) || (label.status === "historical" ? "ended" : "");
  return h("li", {},
    h("details", { class: `label kind-${label.kind} status-${label.status}`, dataset: { type: label.type } },
      h("summary", {},
        title ? [h("span", { class: "visually-hidden" }, `${kind.name}: `), h("span", { class: "chip-title" }, label.title), " "] : null,
        h("span", { class: "chip-issuer" }, who),
        period ? h("span", { class: "chip-meta" }, period) : null,
      ),
      labelFacts(label),
    ),
  );
}

/**
 * One line per label type on the first screen: "Sanctioned · EU, UK, Canada, US"; it opens to one card per
 * issuer. A type issued once is its own card: "Broadcasting ban · Council of the EU · since 2 Mar 2022".
 */
function labelRow(group) {
  const kind = kindInfo(group.kind);
  const several = group.labels.length > 1;
  const [first] = group.labels;
  return h("li", {},
    h("details", {
      class: `${several ? "label-group" : "label"} kind-${group.kind} status-${first.status}`,
      dataset: { type: group.type, count: String(group.labels.length) },
    },
      // The summary's text is its name for screen readers: the kind, then what the eye reads.
      h("summary", {},
        h("span", { class: "visually-hidden" }, `${kind.name}: `),
        h("span", { class: "chip-title" }, group.title,
          several ? h("span", { class: "chip-count" }, h("span", { "aria-hidden": "true" }, ` ×${group.labels.length}`), h("span", { class: "visually-hidden" }, `, ${group.labels.length} issuers`)) : null),
        h("span", { class: "chip-who" }, [group.who, group.period].filter(Boolean).map((part) => ` · ${part}`).join("")),
      ),
      several ? h("ul", { class: "label-cards" }, group.labels.map((label) => labelCard(label))) : labelFacts(first),
    ),
  );
}

function labelsSection(labels) {
  const { current, historical } = splitLabels(labels);
  const parts = [h("h2", { id: "labels-heading", class: "visually-hidden" }, "Labels")];
  if (current.length) {
    // Rows of one kind together, the kinds in the order the server ranks them, each kind named once.
    const byKind = new Map();
    for (const group of summariseLabels(current)) {
      if (!byKind.has(group.kind)) byKind.set(group.kind, []);
      byKind.get(group.kind).push(group);
    }
    parts.push(h("ul", { class: "labels", "aria-labelledby": "labels-heading" },
      [...byKind].map(([kind, groups]) => [
        h("li", { class: `kind-heading kind-${kind}`, "aria-hidden": "true" }, kindInfo(kind).name),
        groups.map(labelRow),
      ])));
  } else {
    parts.push(h("p", { class: "muted" }, "No label in force from the issuers Masthead follows."));
  }
  if (historical.length) {
    parts.push(
      h("details", { class: "historical-labels" },
        h("summary", { id: "historical-heading", class: "historical-heading" }, `No longer in force (${historical.length})`),
        h("ul", { class: "labels historical", "aria-labelledby": "historical-heading" }, historical.map((label) => labelCard(label, { title: true })))),
    );
  }
  return h("section", { class: "labels-section", "aria-labelledby": "labels-heading" }, parts);
}

function ownerDetails(node) {
  return [ownerKindName(node.kind), countryName(node.country), formatShare(node.share)].filter(Boolean).join(" · ");
}

function ownerChain(chain) {
  const steps = ownerPath(chain);
  const items = steps.map((step) => {
    if (step.type === "gap") {
      return h("li", { class: "owner gap", title: step.names.join(" → ") }, `… ${step.count} more owner${step.count === 1 ? "" : "s"} …`);
    }
    const node = step.node;
    const sources = (node.sources ?? []).filter(isHttpUrl);
    const coOwners = node.co_owners ?? [];
    return h("li", { class: `owner${node.ultimate ? " ultimate" : ""}` },
      h("span", { class: "owner-name" }, node.name),
      node.ultimate ? h("span", { class: "ultimate-tag" }, "ultimate owner") : null,
      h("span", { class: "owner-meta" }, ownerDetails(node),
        sources.length ? [" · ", externalLink(sources[0], "source", { "aria-label": `Source for ${node.name}`, title: sources[0] })] : null),
      coOwners.length
        ? h("span", { class: "owner-meta" }, "Also: ", coOwners.map((co) => `${co.name}${co.share != null ? " " + formatShare(co.share) : ""}`).join(", "))
        : null,
    );
  });
  return h("ol", { class: "owners", "aria-label": "Ownership chain" }, items);
}

/** "Ultimately owned by Government of Russia, via Rossiya Segodnya", opening to the whole chain. */
function ownershipSection(answer) {
  const owners = (answer.ownership ?? []).filter((node) => node.kind !== "outlet");
  const heading = h("h2", { id: "owners-heading", class: "visually-hidden" }, "Owned by");
  if (!owners.length) {
    return h("section", { class: "owners-section", "aria-labelledby": "owners-heading" }, heading,
      h("p", { class: "muted" }, answer.outlet.ownership_note || "No owner recorded."));
  }
  const ultimate = answer.ultimate_owners?.length ? answer.ultimate_owners : owners.filter((node) => node.ultimate);
  const top = (ultimate.length ? ultimate : owners.slice(-1)).map((owner) => owner.name).join(", ");
  const via = owners.filter((node) => !node.ultimate && !ultimate.some((u) => u.id === node.id));
  // Who pays is not who owns (issue 24): a grantee is owned by its corporation and funded by a grant.
  const funders = (answer.funding ?? []).filter((item) => !item.until);
  return h("section", { class: "owners-section", "aria-labelledby": "owners-heading" }, heading,
    h("details", { class: "owners-details" },
      h("summary", { class: "summary" },
        "Ultimately owned by ", h("strong", { class: "ultimate-name" }, top),
        via.length ? h("span", { class: "muted via" }, ` via ${via.length === 1 ? via[0].name.replace(/\s*\([^)]*\)/g, "") : via.length + " owners"}`) : null),
      ownerChain(answer.ownership)),
    funders.length ? h("p", { class: "funding muted" }, "Funded by ", funders.map(fundingLine).join("; ")) : null);
}

function miniChips(labels) {
  if (!labels?.length) return null;
  return h("span", { class: "mini-chips" },
    labels.slice(0, 3).map((label) =>
      h("span", { class: `mini-chip kind-${label.kind}`, title: `${kindInfo(label.kind).name}${label.issuer ? " — " + label.issuer : ""}` }, label.title)));
}

function relatedItem(item) {
  const outletName = item.outlet?.name ?? item.site_name ?? item.registered_domain ?? displayHost(item.url);
  const labels = item.outlet?.labels ?? item.labels ?? [];
  return h("li", { class: "related-item" },
    externalLink(item.url, item.title || item.url, { class: "related-title" }),
    h("span", { class: "related-meta" },
      h("span", { class: "related-outlet" }, outletName),
      item.published ? h("span", { class: "muted" }, ` · ${formatDate(item.published)}`) : null),
    miniChips(labels),
  );
}

function coverageLine(answer, serverUrl) {
  const coverage = answer.coverage;
  if (!coverage) return null;
  const first = coverage.first;
  return h("p", { class: "coverage-line" },
    h("span", { class: "coverage-counts" }, coverageSummary(coverage, vocabulary)),
    first ? h("span", { class: "muted coverage-first" }, ` · first: ${first.name}, ${formatDateTime(first.published)}`) : null,
    serverUrl ? [" · ", externalLink(storyPageUrl(serverUrl, answer.url), "the whole story", { class: "story-page", title: "This story's coverage over time, outlet by outlet, on your server" })] : null);
}

function relatedSection(answer, serverUrl) {
  const groups = groupRelated(answer.related, vocabulary);
  const parts = [h("h2", { id: "related-heading" }, "Related coverage"), coverageLine(answer, serverUrl)];
  if (!groups.length && answer.coverage_skipped) {
    // The server did not look this time (busy, or its corpus unavailable): say so, never "no coverage".
    const why = answer.coverage_skipped === "busy" ? "Your server is busy" : "Your server's articles are unavailable";
    parts.push(h("p", { class: "muted empty-related", role: "status" }, `${why}; related coverage was not looked up this time. Open the popup again in a moment.`));
  } else if (!groups.length) {
    // The server lists only articles it is confident report this story (issue 16): none is an answer, not a gap.
    parts.push(h("p", { class: "muted empty-related", role: "status" }, "No coverage of this story was found in your server's articles."));
  }
  for (const group of groups) {
    const id = `related-${group.id}`;
    parts.push(
      h("section", { class: `related-group model-${group.id}`, "aria-labelledby": id },
        h("h3", { id }, `${group.title} (${group.items.length})`),
        h("ul", { class: "related-list" }, group.items.map(relatedItem))),
    );
  }
  return h("section", { class: "related-section", "aria-labelledby": "related-heading" }, parts);
}

function backgroundItem(item) {
  const outletName = item.outlet?.name ?? item.site_name ?? item.registered_domain ?? displayHost(item.url);
  return h("li", { class: "background-item" },
    h("time", { class: "background-date", datetime: item.published ?? "" }, formatDate(item.published) || "undated"),
    " ",
    externalLink(item.url, item.title || item.url, { class: "related-title" }),
    h("span", { class: "related-meta" },
      h("span", { class: "related-outlet" }, outletName),
      h("span", { class: "muted" }, ` · ${controlModelName(item.control_model, vocabulary)}`)),
    miniChips(item.outlet?.labels ?? item.labels ?? []),
  );
}

/** The same ongoing story at other times, oldest first: shown only when the server found some. */
function backgroundSection(background) {
  if (!background?.length) return null;
  const items = [...background].sort((a, b) => String(a.published ?? "").localeCompare(String(b.published ?? "")));
  return h("section", { class: "background-section", "aria-labelledby": "background-heading" },
    h("h2", { id: "background-heading" }, "This story earlier and later"),
    h("ul", { class: "related-list background-list" }, items.map(backgroundItem)));
}

function outletHeader(answer, serverUrl) {
  const outlet = answer.outlet;
  const facts = [countryName(outlet.country), (outlet.languages ?? []).slice(0, 3).join(", ")].filter(Boolean).join(" · ");
  return h("header", { class: "outlet" },
    h("div", { class: "outlet-title" },
      h("h1", { id: "outlet-name" }, outlet.name),
      h("span", { class: `model model-${answer.control_model}`, title: "Control model" }, controlModelName(answer.control_model, vocabulary))),
    h("p", { class: "outlet-line" },
      outlet.homepage ? externalLink(outlet.homepage, displayHost(outlet.homepage) || outlet.homepage, { class: "homepage", title: `Homepage of ${outlet.name}` }) : null,
      facts ? h("span", { class: "muted outlet-facts" }, `${outlet.homepage ? " · " : ""}${facts}`) : null,
      serverUrl && outlet.id
        ? [" · ", externalLink(outletPageUrl(serverUrl, outlet.id), "details", { class: "outlet-page", title: `Ownership graph and label timeline of ${outlet.name}, on your server` })]
        : null),
  );
}

/** A page on a host the outlet left: whose it was, and that the labels are the outlet's, not the host's holder's. */
function formerDomainNotice(answer) {
  const former = answer.former_domain;
  if (!former) return null;
  return h("p", { class: "former-domain", role: "note" },
    h("strong", {}, formerDomainLine(former)), ". ",
    `The labels below apply to ${former.outlet}, not to whoever holds ${answer.display_host || former.host} now.`,
    former.note ? h("span", { class: "muted" }, ` ${former.note}`) : null);
}

function showOutlet(answer, serverUrl) {
  show("outlet", outletHeader(answer, serverUrl), formerDomainNotice(answer), ownershipSection(answer), labelsSection(answer.labels),
    relatedSection(answer, serverUrl), backgroundSection(answer.background));
}

function showUnknown(answer, serverUrl) {
  const domain = answer.registered_domain ?? answer.host;
  show(
    "unknown",
    h("section", { class: "notice unknown" },
      h("h1", {}, "Outlet not in the list"),
      h("p", {}, "Your Masthead server knows no outlet publishing on"),
      h("p", { class: "domain" }, domain),
      h("div", { class: "actions" },
        h("button", {
          type: "button",
          class: "button",
          id: "add-outlet",
          onclick: () => ext.tabs.create({ url: addOutletUrl(serverUrl, domain) }),
        }, "Add this outlet")),
      h("p", { class: "muted" }, "Opens your server's edit page in a new tab."),
    ),
    relatedSection(answer, serverUrl),
    backgroundSection(answer.background),
  );
}

// ---------------------------------------------------------------- start

async function targetPage() {
  const params = new URLSearchParams(location.search);
  if (params.has("url")) return { url: params.get("url"), title: params.get("title") ?? "" };
  const [tab] = await ext.tabs.query({ active: true, currentWindow: true });
  return { url: tab?.url ?? "", title: tab?.title ?? "" };
}

async function start() {
  setLoading();
  app.setAttribute("aria-busy", "true");
  const page = await targetPage();
  if (!isWebPage(page.url)) {
    showNotWebPage(page.url);
    return;
  }
  let result;
  try {
    performance.mark("masthead-ask");
    result = await ext.runtime.sendMessage({ type: "context", url: page.url, title: page.title });
    performance.measure("masthead-answer", "masthead-ask");
  } catch (error) {
    result = { ok: false, reason: "server", error: `the extension's background worker did not answer (${error.message})`, serverUrl: "" };
  }
  document.getElementById("server").textContent = result?.serverUrl ? `Server: ${displayHostPort(result.serverUrl)}` : "";
  if (result?.ok) vocabulary = result.vocabulary ?? null;
  if (!result) showServerError({ error: "no answer from the background worker", serverUrl: "" });
  else if (result.ok && result.answer.outlet) showOutlet(result.answer, result.serverUrl);
  else if (result.ok) showUnknown(result.answer, result.serverUrl);
  else if (result.reason === "unreachable") showUnreachable(result);
  else if (result.reason === "not-web") showNotWebPage(page.url);
  else showServerError(result);
  if (result?.ok && result.storePages) storePage(page);
}

const STORED_TEXT = {
  added: "Page added to your server",
  updated: "Page updated on your server",
  duplicate: "Already on your server (a copy)",
  unchanged: "Already on your server",
};

/** The reader opted in: add the page to the corpus after the answer is shown, and say how it went. */
async function storePage(page) {
  const line = document.getElementById("stored");
  line.dataset.state = "pending";
  line.textContent = "Adding the page to your server…";
  let result;
  try {
    result = await ext.runtime.sendMessage({ type: "store-page", url: page.url, title: page.title });
  } catch (error) {
    result = { ok: false, error: error.message };
  }
  line.dataset.state = result?.ok ? result.status : "failed";
  line.textContent = result?.ok ? (STORED_TEXT[result.status] ?? "Added") : `Not added: ${result?.error ?? "no answer"}`;
  line.className = `stored ${result?.ok ? "ok" : "bad"}`;
}

function displayHostPort(url) {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

document.getElementById("open-options").addEventListener("click", () => ext.runtime.openOptionsPage());
start();
