/**
 * Label kinds and colours, label order and summaries, control-model groups for related coverage, the badge.
 *
 * The vocabulary lives on the server (server/masthead/registry/vocabulary.py, served at GET /api/labels: every label type with its kind, badge word and
 * control-model group, and the control models in the order the popup lists them). The background worker
 * caches it with the domain map; this module only knows the four kinds' names and colours.
 */

import { formatPeriod, shortIssuer, shortJurisdiction } from "./format.js";

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

// Unions and international bodies first: "Sanctioned · EU, UK, Canada, US".
const SUPRANATIONAL = new Set(["EU", "UN"]);

/** Who issued a label, in a few words: the jurisdiction for a state's label, the issuer for INT or none. */
export function labelWho(label) {
  const code = label.jurisdiction;
  if (code && code !== "INT") return shortJurisdiction(code);
  return shortIssuer(label.issuer) || shortJurisdiction(code);
}

/**
 * Labels summarised by type, in the server's order (most significant first): one line each, for the first
 * screen of the popup. A type issued once reads "Broadcasting ban · Council of the EU · since 2 Mar 2022"; a
 * type issued by several reads "Sanctioned · EU, UK, Canada, US" and opens to one card per issuer.
 * Returns [{type, kind, title, labels, who, period, line}].
 */
export function summariseLabels(labels) {
  const groups = new Map();
  for (const label of labels ?? []) {
    const key = label.type ?? label.title;
    if (!groups.has(key)) groups.set(key, { type: label.type, kind: label.kind, title: label.title, labels: [] });
    groups.get(key).labels.push(label);
  }
  return [...groups.values()].map((group) => {
    if (group.labels.length === 1) {
      const [label] = group.labels;
      const who = shortIssuer(label.issuer) || shortJurisdiction(label.jurisdiction);
      const period = formatPeriod(label);
      return { ...group, who, period, line: [group.title, who, period].filter(Boolean).join(" · ") };
    }
    const ordered = [...group.labels].sort(
      (a, b) => SUPRANATIONAL.has(b.jurisdiction) - SUPRANATIONAL.has(a.jurisdiction) || String(a.since ?? "").localeCompare(String(b.since ?? "")),
    );
    const who = [...new Set(ordered.map(labelWho).filter(Boolean))].join(", ");
    return { ...group, labels: ordered, who, period: "", line: [group.title, who].filter(Boolean).join(" · ") };
  });
}

// ---------------------------------------------------------------- the server's vocabulary

/**
 * The kind whose colour a badge word takes, from the server's vocabulary: its `badges` table, else a type's
 * `badge_kind`, else the kind of the most significant type with that word ("STATE" is used by a control
 * label and by the US foreign-mission designation: the control label ranks higher).
 */
export function badgeKind(vocabulary, text) {
  if (!text) return null;
  if (vocabulary?.badges?.[text]) return vocabulary.badges[text];
  let best = null;
  for (const type of vocabulary?.types ?? []) {
    if (type.badge !== text) continue;
    if (!best || (type.rank ?? 0) > (best.rank ?? 0)) best = type;
  }
  return best ? (best.badge_kind ?? best.kind) : null;
}

/**
 * The toolbar badge for a matched outlet: {text, title, colour}. The text is the most significant
 * active label's badge word (the server picks it); an outlet without labels gets an empty badge but
 * still a tooltip saying it is listed.
 */
export function badgeFor(domainMap, outletId, vocabulary = domainMap?.vocabulary) {
  const outlet = domainMap?.outlets?.[outletId];
  if (!outlet) return null;
  const text = (outlet.badge ?? "").slice(0, 5);
  const titles = (outlet.labels ?? []).map((label) => (typeof label === "string" ? label : label.title));
  const title = titles.length
    ? `${outlet.name}: ${titles.join("; ")} (Masthead)`
    : `${outlet.name}: no active labels (Masthead)`;
  const colour = kindInfo(outlet.badge_kind ?? badgeKind(vocabulary, outlet.badge)).colour;
  return { text, title, colour };
}

/** The control models from the server's vocabulary, in its order: [{id, title, short}]. */
export function controlModels(vocabulary) {
  return (vocabulary?.control_models ?? []).map((model) =>
    typeof model === "string" ? { id: model, title: model, short: model } : { title: model.id, short: model.id, ...model });
}

/** "state-controlled" -> "State-controlled" (the server's short name); unknown ids as they are. */
export function controlModelName(id, vocabulary) {
  return controlModels(vocabulary).find((model) => model.id === id)?.short ?? String(id ?? "");
}

/**
 * Related coverage grouped by control model, in the server's order; empty groups are left out, items of a
 * model the vocabulary does not list go to its last model ("unknown"), or to groups of their own when the
 * vocabulary is missing.
 */
export function groupRelated(related, vocabulary) {
  const models = controlModels(vocabulary);
  const groups = new Map(models.map((model) => [model.id, { ...model, items: [] }]));
  const fallback = models.at(-1)?.id;
  for (const item of related ?? []) {
    let model = groups.has(item.control_model) ? item.control_model : fallback;
    if (model === undefined) {
      model = String(item.control_model ?? "unknown");
      if (!groups.has(model)) groups.set(model, { id: model, title: model, short: model, items: [] });
    }
    groups.get(model).items.push(item);
  }
  return [...groups.values()].filter((group) => group.items.length > 0);
}

/**
 * How a story was covered, in one line of counts: "12 outlets: 5 state-controlled · 3 public · 4 unknown",
 * in the vocabulary's order of control models. No verdict: counts only.
 */
export function coverageSummary(coverage, vocabulary) {
  if (!coverage?.outlets) return "";
  const counts = coverage.by_control_model ?? {};
  const order = controlModels(vocabulary).map((model) => model.id);
  const ids = [...order.filter((id) => counts[id]), ...Object.keys(counts).filter((id) => !order.includes(id))];
  const parts = ids.map((id) => `${counts[id]} ${controlModelName(id, vocabulary).toLowerCase()}`);
  const noun = coverage.outlets === 1 ? "outlet" : "outlets";
  return `${coverage.outlets} ${noun}: ${parts.join(" · ")}`;
}
