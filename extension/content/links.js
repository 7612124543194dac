/**
 * Labels next to links, on the sites a reader switched on in the options (search results, feeds, aggregators).
 *
 * The links of the page go to the extension's own background worker, which matches them against the local
 * domain map (redirect wrappers unwrapped as the server does); no visited address and no link leaves the
 * browser. A link whose outlet carries a label gets a small badge; hovering or focusing the link shows who
 * issued the labels and since when.
 *
 * - Infinite scroll: a MutationObserver only queues added nodes; the links are read in one batch per idle
 *   moment (at most every 100 ms), so a long feed costs one pass per batch, never one per mutation.
 * - Never shifts the page's layout: the badge is absolutely positioned (at the link text's end, raised) and
 *   the tooltip is fixed; neither takes space. One style sheet of !important rules styles every badge (its
 *   word comes from an attribute, so link texts stay as they were); the tooltip lives in a shadow root.
 * - Follows the page's dark mode: the colour behind the link decides the palette, not only the system's.
 * - A classic script (content scripts cannot be modules everywhere): everything it needs is here.
 */
(() => {
  // Run once per page. The mark is a Symbol: a page element <div id="__mastheadLinks"> is a named property of
  // window and would read as a string-named mark (DOM clobbering, issue 26), but no element names a Symbol.
  const RUNNING = Symbol.for("masthead.links");
  if (Object.prototype.hasOwnProperty.call(globalThis, RUNNING)) return;
  Object.defineProperty(globalThis, RUNNING, { value: true });

  const ext = globalThis.browser ?? globalThis.chrome;
  const BATCH_DELAY_MS = 100;
  const MAX_BATCH = 2000; // links per message; a bigger batch is split
  // Light pages: kind colour behind white text; dark pages: a light tint behind near-black (both WCAG AA).
  const PALETTE = {
    light: { control: "#b45309", designation: "#7e22ce", restriction: "#b91c1c", platform: "#1d4ed8", other: "#475569", text: "#ffffff" },
    dark: { control: "#fcd34d", designation: "#d8b4fe", restriction: "#fca5a5", platform: "#93c5fd", other: "#cbd5e1", text: "#0f172a" },
  };

  const seen = new WeakSet();
  const badges = new WeakMap(); // link -> {outlet}
  let queue = [];
  let timer = null;

  // Each part of the work (observe, collect, badge) runs through here. The shipped script keeps no counters;
  // bench/link_badges.py loads a copy whose timed() times the parts and answers its questions (issue 21).
  const timed = (part, work) => work();

  // ------------------------------------------------------------ collecting links

  function schedule() {
    if (timer !== null) return;
    const run = () => {
      timer = null;
      flush();
    };
    timer = typeof requestIdleCallback === "function"
      ? requestIdleCallback(run, { timeout: BATCH_DELAY_MS })
      : setTimeout(run, BATCH_DELAY_MS);
  }

  /**
   * The address a link stands for, from its href attribute (cheaper than the resolved .href): absolute and
   * protocol-relative links, and relative ones that carry an address (a redirect wrapper), since any other
   * relative link stays on the site the reader is on; for X's t.co links on X itself, the address the link shows.
   */
  function linkTarget(link) {
    let href = link.getAttribute("href");
    if (!href) return null;
    if (href.startsWith("//")) href = location.protocol + href;
    else if (!(href.startsWith("https://") || href.startsWith("http://"))) {
      // A relative link that carries an address (Google's /url?q=https://...) is a redirect wrapper: resolve it.
      if (!/https?(:|%3A)/i.test(href)) return null;
      href = link.href;
    }
    if (href.startsWith("https://t.co/")) {
      // Only X writes the destination as a t.co link's text; elsewhere the text is the page's word, not the
      // link's (on google.com <a href="https://t.co/x">www.rt.com</a> leads wherever it likes, issue 26).
      if (!ON_X) return null;
      const shown = (link.textContent || "").replace(/…$/, "").trim();
      return /^(https?:\/\/)?[a-z0-9.-]+\.[a-z]{2,}(\/\S*)?$/i.test(shown) ? (shown.startsWith("http") ? shown : "https://" + shown) : null;
    }
    return href;
  }

  const ON_X = /(^|\.)(x\.com|twitter\.com)$/i.test(location.hostname);

  // What linkTarget() can use: absolute and protocol-relative links, and relative ones carrying an address.
  const OFFSITE = 'a[href^="http:" i], a[href^="https:" i], a[href^="//"], a[href*="http%3a" i], a[href*="https%3a" i], a[href*="http:" i], a[href*="https:" i]';

  function flush() {
    const batch = timed("collect", () => {
      const links = [];
      const roots = queue;
      queue = [];
      for (const root of roots) {
        if (root.nodeType !== 1 || !root.isConnected) continue;
        // Only links that can lead off the site: the selector is matched inside the browser, so the page's own
        // relative links cost no call from here (each call crosses Firefox's content-script wrappers).
        const found = root.localName === "a" ? (root.matches(OFFSITE) ? [root] : []) : root.querySelectorAll(OFFSITE);
        for (let i = 0, count = found.length; i < count; i++) {
          const link = found[i];
          if (seen.has(link)) continue;
          seen.add(link);
          const target = linkTarget(link);
          if (target) links.push([link, target]);
        }
      }
      return links;
    });
    for (let start = 0; start < batch.length; start += MAX_BATCH) {
      send(batch.slice(start, start + MAX_BATCH));
    }
  }

  async function send(links) {
    if (!links.length) return;
    const urls = [...new Set(links.map(([, target]) => target))];
    let answer;
    try {
      answer = await ext.runtime.sendMessage({ type: "match-links", urls });
    } catch {
      return; // the extension was reloaded or the site switched off meanwhile
    }
    if (!answer?.ok) return;
    for (const outlet of Object.values(answer.outlets)) {
      outlet.spoken = `Masthead: ${outlet.name}, ${(outlet.labels ?? []).map((label) => label.title).join("; ")}`;
    }
    timed("badge", () => {
      queueAdded(observer.takeRecords()); // the page's own changes so far still count
      for (const [link, target] of links) {
        const outlet = answer.outlets[answer.matches[target]];
        if (outlet && link.isConnected) addBadge(link, outlet);
      }
      observer.takeRecords(); // and the badges just added are not news to read again
    });
    if (queue.length) schedule();
  }

  // ------------------------------------------------------------ badges

  function parseColour(value) {
    const found = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/.exec(value || "");
    if (!found) return null;
    const alpha = found[4] === undefined ? 1 : Number(found[4]);
    return alpha < 0.5 ? null : [Number(found[1]), Number(found[2]), Number(found[3])];
  }

  let dark = false;

  /**
   * The page's own background decides (a site's dark theme need not follow the system's); else the system.
   * Read when the script starts, when the system theme changes and at idle moments, never inside a batch:
   * getComputedStyle right after a feed inserted nodes would make the browser recompute the page's styles.
   */
  function readTheme() {
    let colour = null;
    for (const element of [document.body, document.documentElement]) {
      if (element && (colour = parseColour(getComputedStyle(element).backgroundColor))) break;
    }
    dark = colour
      ? 0.2126 * colour[0] + 0.7152 * colour[1] + 0.0722 * colour[2] < 110
      : matchMedia("(prefers-color-scheme: dark)").matches;
    return dark;
  }

  function labelLine(label) {
    // An assessment is dated by its edition ("as of Aug 2023"), a designation by its start (issue 24).
    const when = label.as_of ? `as of ${formatDate(label.as_of)}`
      : label.since ? `since ${formatDate(label.since)}` : "";
    return [label.title, [label.issuer, when].filter(Boolean).join(", ")].filter(Boolean).join(" — ");
  }

  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function formatDate(value) {
    const found = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/.exec(String(value));
    if (!found) return String(value);
    const [, year, month, day] = found;
    if (day) return `${Number(day)} ${MONTHS[Number(month) - 1]} ${year}`;
    if (month) return `${MONTHS[Number(month) - 1]} ${year}`;
    return year;
  }

  // One style sheet for every badge, added to the page once: a badge is then one small element, its word drawn
  // from an attribute (so it is not part of the link's text), every rule !important against the page's CSS.
  const KINDS = new Set(["control", "designation", "restriction", "platform"]);
  const BADGE_STYLE = [
    "masthead-label { all: initial !important; position: absolute !important; pointer-events: auto !important;" +
      " display: inline-block !important; margin-left: 3px !important; transform: translateY(-60%) !important;" +
      " font: 700 9px/1.2 system-ui, sans-serif !important; letter-spacing: .03em !important; padding: 1px 3px !important;" +
      " border-radius: 3px !important; white-space: nowrap !important; cursor: help !important; }",
    "masthead-label::before { content: attr(data-word) !important; }",
    ...["light", "dark"].flatMap((theme) => Object.entries(PALETTE[theme]).filter(([kind]) => kind !== "text").map(([kind, colour]) =>
      `masthead-label[data-theme=${theme}][data-kind=${kind}] { background: ${colour} !important; color: ${PALETTE[theme].text} !important; }`)),
  ].join("\n");
  let styled = false;

  // One finished badge per word, kind and theme; each link gets a shallow copy and its own spoken name. Copying
  // costs one DOM call where building costs five (and each call crosses Firefox's content-script wrappers).
  const templates = new Map();

  function badgeFor(outlet) {
    const word = outlet.badge || "LABEL";
    const kind = KINDS.has(outlet.badge_kind) ? outlet.badge_kind : "other";
    const key = `${word}|${kind}|${dark}`;
    let template = templates.get(key);
    if (!template) {
      template = document.createElement("masthead-label");
      template.setAttribute("data-word", word);
      template.setAttribute("data-kind", kind);
      template.setAttribute("data-theme", dark ? "dark" : "light");
      template.setAttribute("role", "img");
      templates.set(key, template);
    }
    const badge = template.cloneNode(false);
    badge.setAttribute("aria-label", outlet.spoken);
    return badge;
  }

  function addBadge(link, outlet) {
    if (badges.has(link)) return;
    if (!styled) {
      const sheet = document.createElement("style");
      sheet.id = "masthead-label-style";
      sheet.textContent = BADGE_STYLE;
      (document.head ?? document.documentElement).append(sheet);
      styled = true;
    }
    badges.set(link, outlet);
    // Inside a heading of the link when it has one (a search result's title), else the link itself.
    const anchor = link.firstElementChild ? link.querySelector("h1, h2, h3, h4, [role=heading]") ?? link : link;
    anchor.append(badgeFor(outlet));
    link.setAttribute("data-masthead-badge", outlet.badge || "LABEL");
  }

  // ------------------------------------------------------------ the tooltip (hover and keyboard focus)

  let tooltip = null;
  let tooltipBox = null;

  function ensureTooltip() {
    if (tooltip) return;
    tooltip = document.createElement("masthead-tooltip");
    tooltip.setAttribute("style", "all: initial; position: fixed; z-index: 2147483647; display: none; pointer-events: none;");
    const shadow = tooltip.attachShadow({ mode: "open" });
    tooltipBox = document.createElement("div");
    tooltipBox.setAttribute("role", "tooltip");
    shadow.append(tooltipBox);
    document.documentElement.append(tooltip);
  }

  function showTooltip(link) {
    const outlet = badges.get(link);
    if (!outlet) return;
    ensureTooltip();
    readTheme();
    tooltipBox.setAttribute("style", [
      "font: 12px/1.4 system-ui, sans-serif", "max-width: 320px", "padding: 6px 8px", "border-radius: 6px",
      "box-shadow: 0 2px 8px rgba(0,0,0,.25)", "white-space: pre-line",
      dark ? "background: #1e293b; color: #e2e8f0; border: 1px solid #475569" : "background: #ffffff; color: #0f172a; border: 1px solid #cbd5e1",
    ].join(";"));
    const lines = (outlet.labels ?? []).map(labelLine);
    tooltipBox.textContent = `${outlet.name} (Masthead)\n${lines.join("\n")}`;
    const box = link.getBoundingClientRect();
    tooltip.style.display = "block";
    tooltip.style.left = `${Math.max(4, Math.min(box.left, innerWidth - 330))}px`;
    tooltip.style.top = `${box.bottom + 6 < innerHeight - 80 ? box.bottom + 6 : Math.max(4, box.top - 90)}px`;
    tooltip.dataset.for = link.href;
  }

  function hideTooltip() {
    if (tooltip) tooltip.style.display = "none";
  }

  function badgedLink(target) {
    const link = target instanceof Element ? target.closest("a[data-masthead-badge]") : null;
    return link && badges.has(link) ? link : null;
  }

  document.addEventListener("mouseover", (event) => {
    const link = badgedLink(event.target);
    if (link) showTooltip(link);
  }, { passive: true });
  document.addEventListener("mouseout", (event) => {
    if (badgedLink(event.target) && !badgedLink(event.relatedTarget)) hideTooltip();
  }, { passive: true });
  document.addEventListener("focusin", (event) => {
    const link = badgedLink(event.target);
    if (link) showTooltip(link);
    else hideTooltip();
  });
  document.addEventListener("focusout", hideTooltip);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") hideTooltip();
  });
  addEventListener("scroll", hideTooltip, { passive: true });

  // ------------------------------------------------------------ start

  // Added nodes are queued unread (every property read crosses the content-script wrappers); the batch reads
  // each root once. Our own badges never arrive here: their records are taken and dropped as they are added.
  function queueAdded(mutations) {
    for (const mutation of mutations) {
      const added = mutation.addedNodes;
      for (let i = 0, count = added.length; i < count; i++) queue.push(added[i]);
    }
  }

  const observer = new MutationObserver((mutations) => {
    timed("observe", () => queueAdded(mutations));
    if (queue.length) schedule();
  });
  observer.observe(document.documentElement, { childList: true, subtree: true });

  readTheme();
  matchMedia("(prefers-color-scheme: dark)").addEventListener?.("change", readTheme);
  setInterval(() => (typeof requestIdleCallback === "function" ? requestIdleCallback(readTheme) : readTheme()), 5000);
  queue.push(document.documentElement);
  flush();
})();
