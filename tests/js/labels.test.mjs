import { test } from "node:test";
import assert from "node:assert/strict";

import { LABEL_KINDS, badgeFor, badgeKind, controlModelName, groupRelated, kindInfo, labelWho, splitLabels, summariseLabels } from "../../extension/lib/labels.js";

const label = (type, status, kind = "control") => ({ type, status, kind, title: type });

test("splitLabels keeps labels in force apart from historical ones, active before future, server order inside", () => {
  const { current, historical } = splitLabels([
    label("old-1", "historical"),
    label("future-1", "future"),
    label("ban", "active", "restriction"),
    label("old-2", "historical"),
    label("state", "active"),
  ]);
  assert.deepEqual(current.map((l) => l.type), ["ban", "state", "future-1"]);
  assert.deepEqual(historical.map((l) => l.type), ["old-1", "old-2"]);
});

test("splitLabels copes with nothing", () => {
  assert.deepEqual(splitLabels(undefined), { current: [], historical: [] });
});

test("every kind has a name and a distinct colour; unknown kinds fall back", () => {
  const kinds = ["control", "designation", "restriction", "platform"];
  assert.deepEqual(Object.keys(LABEL_KINDS), kinds);
  const colours = new Set(kinds.map((kind) => kindInfo(kind).colour));
  assert.equal(colours.size, 4);
  for (const colour of colours) assert.match(colour, /^#[0-9a-f]{6}$/);
  assert.equal(kindInfo("restriction").name, "Sanction or ban");
  assert.equal(kindInfo("nonsense").name, "Label");
});

// The shape of GET /api/labels (a test in tests/browser runs these functions on the server's real answer).
const VOCABULARY = {
  types: [
    { type: "broadcast-ban", kind: "restriction", badge: "BAN", rank: 90 },
    { type: "state-controlled", kind: "control", badge: "STATE", rank: 100 },
    { type: "foreign-mission", kind: "designation", badge: "STATE", rank: 55 },
    { type: "undesirable-organisation", kind: "designation", badge: "UNDES", rank: 75 },
    { type: "platform-restricted", kind: "platform", badge: "BAN", badge_kind: "restriction", rank: 45 },
  ],
  control_models: [
    { id: "state-controlled", title: "State-controlled outlets", short: "State-controlled" },
    { id: "public", title: "Public-service outlets", short: "Public-service" },
    { id: "independent", title: "Independent outlets", short: "Independent" },
    { id: "commercial", title: "Commercial outlets", short: "Commercial" },
    { id: "unknown", title: "Outlets of unknown control", short: "Control unknown" },
  ],
};

const DOMAIN_MAP = {
  vocabulary: VOCABULARY,
  outlets: {
    statenews: { name: "State News", badge: "STATE", labels: ["State-controlled media", "Broadcasting ban"] },
    freepress: { name: "Free Press Daily", badge: "UNDES", labels: ["Undesirable organisation (Russia)"] },
    bignews: { name: "Big News", badge: null, labels: [] },
    odd: { name: "Odd", badge: "TOOLONG", labels: ["x"] },
    rich: { name: "Rich", badge: "BAN", labels: [{ title: "Broadcasting ban", issuer: "Council of the EU" }] },
  },
};

test("badgeFor: the server's badge word, coloured by its kind from the vocabulary, with the labels in the tooltip", () => {
  const rows = [
    ["statenews", "STATE", kindInfo("control").colour, "State News: State-controlled media; Broadcasting ban (Masthead)"],
    ["freepress", "UNDES", kindInfo("designation").colour, "Free Press Daily: Undesirable organisation (Russia) (Masthead)"],
    ["bignews", "", kindInfo(undefined).colour, "Big News: no active labels (Masthead)"],
    ["odd", "TOOLO", kindInfo(undefined).colour, "Odd: x (Masthead)"],
    ["rich", "BAN", kindInfo("restriction").colour, "Rich: Broadcasting ban (Masthead)"],
  ];
  for (const [id, text, colour, title] of rows) {
    assert.deepEqual(badgeFor(DOMAIN_MAP, id), { text, colour, title }, id);
  }
  assert.equal(badgeFor(DOMAIN_MAP, "missing"), null);
  assert.equal(badgeFor(null, "statenews"), null);
  assert.equal(badgeFor({ outlets: DOMAIN_MAP.outlets }, "statenews").colour, kindInfo(undefined).colour, "no vocabulary: neutral");
});

test("badgeKind: the most significant type with that word decides, badge_kind when the server gives one", () => {
  const rows = [["STATE", "control"], ["BAN", "restriction"], ["UNDES", "designation"], ["NOPE", null], [null, null]];
  for (const [word, kind] of rows) assert.equal(badgeKind(VOCABULARY, word), kind, String(word));
  assert.equal(badgeKind(null, "STATE"), null);
});

test("groupRelated: the server's order of control models, empty groups left out, unknown models to the last", () => {
  const item = (url, control_model) => ({ url, control_model });
  const groups = groupRelated([
    item("a", "commercial"),
    item("b", "state-controlled"),
    item("c", "weird"),
    item("d", "state-controlled"),
    item("e", undefined),
  ], VOCABULARY);
  assert.deepEqual(groups.map((g) => g.id), ["state-controlled", "commercial", "unknown"]);
  assert.deepEqual(groups[0].items.map((i) => i.url), ["b", "d"]);
  assert.deepEqual(groups[2].items.map((i) => i.url), ["c", "e"]);
  assert.equal(groups[0].title, "State-controlled outlets");
  assert.deepEqual(groupRelated([], VOCABULARY), []);
  assert.deepEqual(groupRelated(undefined, VOCABULARY), []);
});

test("groupRelated without a vocabulary: one group per model, in order of appearance", () => {
  const groups = groupRelated([{ url: "a", control_model: "independent" }, { url: "b" }, { url: "c", control_model: "independent" }], null);
  assert.deepEqual(groups.map((g) => [g.id, g.items.length]), [["independent", 2], ["unknown", 1]]);
});

test("controlModelName reads the server's short names; unknown ids as they are", () => {
  assert.equal(controlModelName("public", VOCABULARY), "Public-service");
  assert.equal(controlModelName("other", VOCABULARY), "other");
  assert.equal(controlModelName("public", null), "public");
});

const sanction = (jurisdiction, since, issuer = "x") => ({ type: "sanctioned", kind: "restriction", title: "Sanctioned", jurisdiction, since, issuer, status: "active" });

test("summariseLabels: one line per type, issuers named, unions first then by date", () => {
  const lines = summariseLabels([
    { type: "broadcast-ban", kind: "restriction", title: "Broadcasting ban", issuer: "Council of the European Union", jurisdiction: "EU", since: "2022-03-02", status: "active" },
    sanction("GB", "2022-03-31", "UK Government (Foreign, Commonwealth and Development Office)"),
    sanction("CA", "2022-07-08"),
    sanction("EU", "2023-02-25"),
    sanction("US", "2024-09-13"),
    { type: "platform-restricted", kind: "platform", title: "Removed or restricted by a platform", issuer: "YouTube (Google)", jurisdiction: "INT", since: "2022-03-01", status: "active" },
    { type: "platform-restricted", kind: "platform", title: "Removed or restricted by a platform", issuer: "Meta", jurisdiction: "INT", since: "2024-09-16", status: "active" },
    { type: "state-controlled", kind: "control", title: "State-controlled media", issuer: "State Media Monitor (Media and Journalism Research Center)", jurisdiction: "INT", since: "2022-03", status: "active" },
  ]);
  assert.deepEqual(lines.map((g) => g.line), [
    "Broadcasting ban · Council of the EU · since 2 Mar 2022",
    "Sanctioned · EU, UK, Canada, US",
    "Removed or restricted by a platform · YouTube, Meta",
    "State-controlled media · State Media Monitor · since Mar 2022",
  ]);
  assert.deepEqual(lines[1].labels.map((l) => l.jurisdiction), ["EU", "GB", "CA", "US"]);
  assert.deepEqual(summariseLabels(undefined), []);
});

test("labelWho: a state's label by its jurisdiction, an international one by its issuer", () => {
  const rows = [
    [{ jurisdiction: "GB", issuer: "UK Government" }, "UK"],
    [{ jurisdiction: "RU", issuer: "Ministry of Justice" }, "Russia"],
    [{ jurisdiction: "INT", issuer: "YouTube (Google)" }, "YouTube"],
    [{ jurisdiction: "INT" }, "international"],
    [{ issuer: "Meta" }, "Meta"],
  ];
  for (const [label, who] of rows) assert.equal(labelWho(label), who, JSON.stringify(label));
});

test("badgeKind reads the server's badges table first", () => {
  assert.equal(badgeKind({ badges: { STATE: "control" }, types: [{ badge: "STATE", kind: "platform", rank: 1 }] }, "STATE"), "control");
});
