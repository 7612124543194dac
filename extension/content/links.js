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
 *   the tooltip is fixed; neither takes space. Both live in closed shadow roots, away from the page's CSS.
 * - Follows the page's dark mode: the colour behind the link decides the palette, not only the system's.
 * - A classic script (content scripts cannot be modules everywhere): everything it needs is here.
 */
(() => {
  if (globalThis.__mastheadLinks) return;
  globalThis.__mastheadLinks = true;

  const ext = globalThis.browser ?? globalThis.chrome;
  const BATCH_DELAY_MS = 100;
  const MAX_BATCH = 2000; // links per message; a bigger batch is split
  // Light pages: kind colour behind white text; dark pages: a light tint behind near-black (both WCAG AA).
  const PALETTE = {
    light: { control: "#b45309", designation: "#7e22ce", restriction: "#b91c1c", platform: "#1d4ed8", other: "#475569", text: "#ffffff" },
    dark: { control: "#fcd34d", designation: "#d8b4fe", restriction: "#fca5a5", platform: "#93c5fd", other: "#cbd5e1", text: "#0f172a" },
  };

  const stats = { links: 0, badged: 0, batches: 0, mainThreadMs: 0, maxBatchMs: 0 };
  const seen = new WeakSet();
  const badges = new WeakMap(); // link -> {outlet}
  let queue = [];
  let timer = null;

  function timed(work) {
    const started = performance.now();
    try {
      return work();
    } finally {
      const spent = performance.now() - started;
      stats.mainThreadMs += spent;
      stats.maxBatchMs = Math.max(stats.maxBatchMs, spent);
    }
  }

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

  /** The address a link stands for: its href, or for X's t.co links the address it shows. */
  function linkTarget(link) {
    const href = link.href;
    if (typeof href !== "string" || !href.startsWith("http")) return null;
    if (link.hostname === "t.co") {
      const shown = (link.textContent || "").replace(/…$/, "").trim();
      return /^(https?:\/\/)?[a-z0-9.-]+\.[a-z]{2,}(\/\S*)?$/i.test(shown) ? (shown.startsWith("http") ? shown : "https://" + shown) : null;
    }
    return href;
  }

  function flush() {
    const batch = timed(() => {
      const links = [];
      const roots = queue;
      queue = [];
      for (const root of roots) {
        if (!root.isConnected) continue;
        const found = root.tagName === "A" ? [root] : root.querySelectorAll ? root.querySelectorAll("a[href]") : [];
        for (const link of found) {
          if (seen.has(link)) continue;
          seen.add(link);
          const target = linkTarget(link);
          if (target) links.push([link, target]);
        }
      }
      stats.links += links.length;
      stats.batches += 1;
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
    timed(() => {
      const dark = pageIsDark();
      for (const [link, target] of links) {
        const outlet = answer.outlets[answer.matches[target]];
        if (outlet && link.isConnected) addBadge(link, outlet, dark);
      }
    });
  }

  // ------------------------------------------------------------ badges

  function parseColour(value) {
    const found = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/.exec(value || "");
    if (!found) return null;
    const alpha = found[4] === undefined ? 1 : Number(found[4]);
    return alpha < 0.5 ? null : [Number(found[1]), Number(found[2]), Number(found[3])];
  }

  let darkCache = null;
  let darkCheckedAt = 0;

  /** The page's own background decides (a site's dark theme need not follow the system's); else the system. */
  function pageIsDark() {
    const now = performance.now();
    if (darkCache !== null && now - darkCheckedAt < 1000) return darkCache;
    let colour = null;
    for (const element of [document.body, document.documentElement]) {
      if (element && (colour = parseColour(getComputedStyle(element).backgroundColor))) break;
    }
    darkCache = colour
      ? 0.2126 * colour[0] + 0.7152 * colour[1] + 0.0722 * colour[2] < 110
      : matchMedia("(prefers-color-scheme: dark)").matches;
    darkCheckedAt = now;
    return darkCache;
  }

  function labelLine(label) {
    const when = label.since ? `since ${formatDate(label.since)}` : "";
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

  function addBadge(link, outlet, dark) {
    if (badges.has(link)) return;
    badges.set(link, outlet);
    // Inside a heading of the link when it has one (a search result's title), else the link itself.
    const anchor = link.querySelector("h1, h2, h3, h4, [role=heading]") ?? link;
    const host = document.createElement("masthead-label");
    host.setAttribute("style", "all: initial; position: absolute; pointer-events: auto;");
    const shadow = host.attachShadow({ mode: "closed" });
    const palette = dark ? PALETTE.dark : PALETTE.light;
    const pill = document.createElement("span");
    pill.textContent = outlet.badge || "LABEL";
    pill.setAttribute("role", "img");
    pill.setAttribute("aria-label", `Masthead: ${outlet.name}, ${(outlet.labels ?? []).map((l) => l.title).join("; ")}`);
    pill.setAttribute("style", [
      "display: inline-block", "margin-left: 3px", "transform: translateY(-60%)",
      "font: 700 9px/1.2 system-ui, sans-serif", "letter-spacing: .03em", "padding: 1px 3px", "border-radius: 3px",
      `background: ${palette[outlet.badge_kind] ?? palette.other}`, `color: ${palette.text}`, "white-space: nowrap",
      "cursor: help", "text-decoration: none",
    ].join(";"));
    shadow.append(pill);
    anchor.append(host);
    host.dataset.theme = dark ? "dark" : "light";
    link.dataset.mastheadBadge = outlet.badge || "LABEL";
    stats.badged += 1;
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
    const dark = pageIsDark();
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

  const observer = new MutationObserver((mutations) => {
    timed(() => {
      for (const mutation of mutations) {
        for (const node of mutation.addedNodes) {
          if (node.nodeType === 1 && node.localName !== "masthead-label" && node.localName !== "masthead-tooltip") queue.push(node);
        }
      }
    });
    if (queue.length) schedule();
  });
  observer.observe(document.documentElement, { childList: true, subtree: true });

  ext.runtime.onMessage.addListener((message, sender, sendResponse) => {
    if (message?.type !== "link-stats" || sender.id !== ext.runtime.id) return false;
    sendResponse({ ...stats, pending: queue.length });
    return false;
  });

  queue.push(document.documentElement);
  flush();
})();
