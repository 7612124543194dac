import { test } from "node:test";
import assert from "node:assert/strict";

import { CONTROL_MODELS, LABEL_KINDS, badgeFor, controlModelName, groupRelated, kindInfo, splitLabels } from "../../extension/lib/labels.js";

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

const DOMAIN_MAP = {
  outlets: {
    statenews: { name: "State News", badge: "BAN", labels: ["Broadcasting ban", "State-controlled media"] },
    freepress: { name: "Free Press Daily", badge: "UNDES", labels: ["Undesirable organisation (Russia)"] },
    bignews: { name: "Big News", badge: null, labels: [] },
    odd: { name: "Odd", badge: "TOOLONG", labels: ["x"] },
  },
};

test("badgeFor: the server's badge word, coloured by its kind, with the labels in the tooltip", () => {
  const rows = [
    ["statenews", "BAN", kindInfo("restriction").colour, "State News: Broadcasting ban; State-controlled media (Masthead)"],
    ["freepress", "UNDES", kindInfo("designation").colour, "Free Press Daily: Undesirable organisation (Russia) (Masthead)"],
    ["bignews", "", kindInfo(undefined).colour, "Big News: no active labels (Masthead)"],
    ["odd", "TOOLO", kindInfo(undefined).colour, "Odd: x (Masthead)"],
  ];
  for (const [id, text, colour, title] of rows) {
    assert.deepEqual(badgeFor(DOMAIN_MAP, id), { text, colour, title }, id);
  }
  assert.equal(badgeFor(DOMAIN_MAP, "missing"), null);
  assert.equal(badgeFor(null, "statenews"), null);
});

test("groupRelated: fixed order of control models, empty groups left out, unknown models to 'unknown'", () => {
  const item = (url, control_model) => ({ url, control_model });
  const groups = groupRelated([
    item("a", "commercial"),
    item("b", "state-controlled"),
    item("c", "weird"),
    item("d", "state-controlled"),
    item("e", undefined),
  ]);
  assert.deepEqual(groups.map((g) => g.id), ["state-controlled", "commercial", "unknown"]);
  assert.deepEqual(groups[0].items.map((i) => i.url), ["b", "d"]);
  assert.deepEqual(groups[2].items.map((i) => i.url), ["c", "e"]);
  assert.equal(groups[0].title, "State-controlled outlets");
  assert.deepEqual(groupRelated([]), []);
  assert.deepEqual(groupRelated(undefined), []);
});

test("control models match the server's vocabulary and have short names", () => {
  assert.deepEqual(CONTROL_MODELS.map((m) => m.id), ["state-controlled", "public", "independent", "commercial", "unknown"]);
  assert.equal(controlModelName("public"), "Public-service");
  assert.equal(controlModelName("other"), "other");
});
