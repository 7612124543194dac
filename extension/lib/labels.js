/**
 * Label kinds, their colours and order; control-model groups for related coverage; the toolbar badge.
 *
 * The vocabulary lives on the server (server/masthead/registry/vocabulary.py, served at /api/labels); this module only knows the four
 * kinds and the badge words so the badge can be coloured without a round trip.
 */

export const LABEL_KINDS = {
  control: { name: "State control", short: "Control", colour: "#b45309" },
  designation: { name: "Legal designation", short: "Designation", colour: "#7e22ce" },
  restriction: { name: "Sanction or ban", short: "Restriction", colour: "#b91c1c" },
  platform: { name: "Platform label", short: "Platform", colour: "#1d4ed8" },
};
const UNKNOWN_KIND = { name: "Label", short: "Label", colour: "#475569" };

export function kindInfo(kind) {
  return LABEL_KINDS[kind] ?? UNKNOWN_KIND;
}

const STATUS_ORDER = { active: 0, future: 1, historical: 2 };

/**
 * Labels as the popup shows them: in force (active, then future) apart from those no longer in force.
 * Keeps the server's order inside each group (most significant first).
 */
export function splitLabels(labels) {
  const ordered = [...(labels ?? [])]
    .map((label, index) => ({ label, index }))
    .sort((a, b) => (STATUS_ORDER[a.label.status] ?? 3) - (STATUS_ORDER[b.label.status] ?? 3) || a.index - b.index)
    .map(({ label }) => label);
  return {
    current: ordered.filter((label) => label.status !== "historical"),
    historical: ordered.filter((label) => label.status === "historical"),
  };
}

// Badge words from vocabulary.LabelType.badge, and the kind whose colour they take.
const BADGE_KINDS = {
  BAN: "restriction",
  SANC: "restriction",
  BLOCK: "restriction",
  AGENT: "designation",
  FARA: "designation",
  UNDES: "designation",
  EXTR: "designation",
  STATE: "control",
  PUB: "control",
  FUND: "control",
};

/**
 * The toolbar badge for a matched outlet: {text, title, colour}. The text is the most significant
 * active label's badge word (the server picks it); an outlet without labels gets an empty badge but
 * still a tooltip saying it is listed.
 */
export function badgeFor(domainMap, outletId) {
  const outlet = domainMap?.outlets?.[outletId];
  if (!outlet) return null;
  const text = (outlet.badge ?? "").slice(0, 5);
  const titles = outlet.labels ?? [];
  const title = titles.length
    ? `${outlet.name}: ${titles.join("; ")} (Masthead)`
    : `${outlet.name}: no active labels (Masthead)`;
  const colour = kindInfo(BADGE_KINDS[text]).colour;
  return { text, title, colour };
}

// The server's control models (vocabulary.CONTROL_MODELS), in the order the popup lists them.
export const CONTROL_MODELS = [
  { id: "state-controlled", title: "State-controlled outlets", short: "State-controlled" },
  { id: "public", title: "Public-service outlets", short: "Public-service" },
  { id: "independent", title: "Independent outlets", short: "Independent" },
  { id: "commercial", title: "Commercial outlets", short: "Commercial" },
  { id: "unknown", title: "Outlets of unknown control", short: "Control unknown" },
];

/** "state-controlled" -> "State-controlled"; unknown ids as they are. */
export function controlModelName(id) {
  return CONTROL_MODELS.find((model) => model.id === id)?.short ?? String(id ?? "");
}

/** Related coverage grouped by control model, in a fixed order; empty groups are left out. */
export function groupRelated(related) {
  const groups = new Map(CONTROL_MODELS.map((model) => [model.id, { ...model, items: [] }]));
  for (const item of related ?? []) {
    const model = groups.has(item.control_model) ? item.control_model : "unknown";
    groups.get(model).items.push(item);
  }
  return [...groups.values()].filter((group) => group.items.length > 0);
}
