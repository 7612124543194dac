import { test } from "node:test";
import assert from "node:assert/strict";

import { coverageSummary } from "../../extension/lib/labels.js";
import { formatDateTime, storyPageUrl } from "../../extension/lib/format.js";

const vocabulary = {
  control_models: [
    { id: "state-controlled", short: "State-controlled" }, { id: "public", short: "Public" },
    { id: "independent", short: "Independent" }, { id: "commercial", short: "Commercial" }, { id: "unknown", short: "Unknown" },
  ],
};

test("coverageSummary counts outlets by control model in the vocabulary's order, no verdict", () => {
  const coverage = { outlets: 12, by_control_model: { unknown: 2, commercial: 2, public: 3, "state-controlled": 5 } };
  assert.equal(coverageSummary(coverage, vocabulary), "12 outlets: 5 state-controlled · 3 public · 2 commercial · 2 unknown");
  assert.equal(coverageSummary({ outlets: 1, by_control_model: { "new-model": 1 } }, vocabulary), "1 outlet: 1 new-model");
  assert.equal(coverageSummary(null, vocabulary), "");
});

test("formatDateTime shows the time where the outlet gave one", () => {
  assert.equal(formatDateTime("2026-02-26T09:14:00+03:00"), "26 Feb 2026, 09:14");
  assert.equal(formatDateTime("2026-02-26T00:00:00"), "26 Feb 2026");
  assert.equal(formatDateTime("2022-07-01"), "1 Jul 2022");
});

test("storyPageUrl names the page on the server", () => {
  assert.equal(storyPageUrl("http://127.0.0.1:8765", "https://a.example/x?y=1"),
    "http://127.0.0.1:8765/stories?url=https%3A%2F%2Fa.example%2Fx%3Fy%3D1");
});
