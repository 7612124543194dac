import { test } from "node:test";
import assert from "node:assert/strict";

import {
  DEFAULT_SERVER_URL,
  addOutletUrl,
  apiUrl,
  countryName,
  displayHost,
  formatAsOf,
  formatDate,
  formatPeriod,
  formerDomainLine,
  fundingLine,
  formatShare,
  jurisdictionName,
  normaliseServerUrl,
  ownerKindName,
  ownerPath,
  permissionPattern,
} from "../../extension/lib/format.js";

test("formatDate reads the partial dates of sources.yaml", () => {
  const rows = [
    ["2023-11-17", "17 Nov 2023"],
    ["2024-07", "Jul 2024"],
    ["2023", "2023"],
    ["2022-03-02T10:00:00Z", "2 Mar 2022"],
    ["2024-13", "2024-13"],
    ["soon", "soon"],
    [null, ""],
    ["", ""],
  ];
  for (const [value, expected] of rows) assert.equal(formatDate(value), expected, String(value));
});

test("formatPeriod says when a label applies", () => {
  const rows = [
    [{ since: "2022-03-02", status: "active" }, "since 2 Mar 2022"],
    [{ since: "2020-08-06", until: "2023-04-21", status: "historical" }, "6 Aug 2020 – 21 Apr 2023"],
    [{ since: "2030-01-01", status: "future" }, "from 1 Jan 2030"],
    [{ until: "2023", status: "historical" }, "until 2023"],
    [{ status: "active" }, ""],
    [undefined, ""],
  ];
  for (const [label, expected] of rows) assert.equal(formatPeriod(label), expected, JSON.stringify(label));
});

test("jurisdictionName and countryName", () => {
  assert.equal(jurisdictionName("EU"), "European Union");
  assert.equal(jurisdictionName("INT"), "International (no single state)");
  assert.equal(jurisdictionName("RU"), "Russia (RU)");
  assert.equal(jurisdictionName(""), "");
  assert.equal(countryName("NL"), "Netherlands");
  assert.equal(countryName(null), "");
});

test("formatShare and ownerKindName", () => {
  assert.equal(formatShare(100), "100%");
  assert.equal(formatShare(33.333), "33.3%");
  assert.equal(formatShare(null), "");
  assert.equal(formatShare("abc"), "");
  assert.equal(ownerKindName("state-agency"), "state agency");
  assert.equal(ownerKindName("unheard-of"), "unheard-of");
});

const node = (id, extra = {}) => ({ id, name: id.toUpperCase(), kind: "company", ...extra });

test("ownerPath drops the outlet and keeps short chains whole", () => {
  const chain = [{ id: "o", name: "O", kind: "outlet" }, node("a"), node("b", { ultimate: true })];
  assert.deepEqual(ownerPath(chain).map((s) => s.node.id), ["a", "b"]);
  assert.deepEqual(ownerPath([{ id: "o", kind: "outlet" }]), []);
  assert.deepEqual(ownerPath(undefined), []);
});

test("ownerPath shortens long chains to first owner, a gap, and the last owners", () => {
  const chain = [{ id: "o", kind: "outlet" }, ...["a", "b", "c", "d", "e", "f"].map((id) => node(id))];
  const path = ownerPath(chain, 4);
  assert.deepEqual(path.map((s) => (s.type === "gap" ? `gap:${s.count}` : s.node.id)), ["a", "gap:3", "e", "f"]);
  assert.deepEqual(path[1].names, ["B", "C", "D"]);
  assert.equal(ownerPath(chain, 6).length, 6);
});

test("normaliseServerUrl accepts what people type and explains what it refuses", () => {
  const rows = [
    ["http://127.0.0.1:8765", "http://127.0.0.1:8765"],
    ["http://127.0.0.1:8765/", "http://127.0.0.1:8765"],
    ["  127.0.0.1:9000  ", "http://127.0.0.1:9000"],
    ["localhost:8765", "http://localhost:8765"],
    ["https://masthead.example.org/base/", "https://masthead.example.org/base"],
    ["HTTP://LOCALHOST:8765", "http://localhost:8765"],
  ];
  for (const [input, expected] of rows) assert.equal(normaliseServerUrl(input), expected, input);
  assert.throws(() => normaliseServerUrl(""), /server address/);
  assert.throws(() => normaliseServerUrl("ftp://example.org"), /http:\/\//);
  assert.throws(() => normaliseServerUrl("http://user:secret@example.org"), /token/);
  assert.throws(() => normaliseServerUrl("http://exa mple.org"), /not a web address/);
  assert.equal(DEFAULT_SERVER_URL, "http://127.0.0.1:8765");
});

test("permissionPattern has no port (match patterns in both browsers)", () => {
  assert.equal(permissionPattern("http://127.0.0.1:8765"), "http://127.0.0.1/*");
  assert.equal(permissionPattern("https://masthead.example.org/base"), "https://masthead.example.org/*");
});

test("apiUrl and addOutletUrl encode their parameters", () => {
  assert.equal(
    apiUrl("http://127.0.0.1:8765", "/api/context", { url: "https://a.example/x?y=1&z=2", title: "A & B", empty: "" }),
    "http://127.0.0.1:8765/api/context?url=https%3A%2F%2Fa.example%2Fx%3Fy%3D1%26z%3D2&title=A+%26+B",
  );
  assert.equal(apiUrl("https://h.example/base/", "/api/domains"), "https://h.example/base/api/domains");
  assert.equal(addOutletUrl("http://127.0.0.1:8765", "unknown-news.example"), "http://127.0.0.1:8765/edit?domain=unknown-news.example");
});

test("displayHost", () => {
  assert.equal(displayHost("https://www.statenews.example/"), "statenews.example");
  assert.equal(displayHost("https://example.org/eu/2022-350"), "example.org");
  assert.equal(displayHost("nonsense"), "");
});

test("shortIssuer and shortJurisdiction: a few words for one-line summaries", async () => {
  const { shortIssuer, shortJurisdiction, outletPageUrl } = await import("../../extension/lib/format.js");
  const issuers = [
    ["Council of the European Union", "Council of the EU"],
    ["YouTube (Google)", "YouTube"],
    ["UK Government (Foreign, Commonwealth and Development Office)", "UK Government"],
    ["State Media Monitor (Media and Journalism Research Center)", "State Media Monitor"],
    ["", ""],
    [null, ""],
  ];
  for (const [issuer, short] of issuers) assert.equal(shortIssuer(issuer), short, String(issuer));
  const codes = [["GB", "UK"], ["EU", "EU"], ["US", "US"], ["CA", "Canada"], ["INT", "international"], ["", ""]];
  for (const [code, short] of codes) assert.equal(shortJurisdiction(code), short, code);
  assert.equal(outletPageUrl("http://127.0.0.1:8765", "rt news"), "http://127.0.0.1:8765/outlets/rt%20news");
});

test("cutUtf8 cuts a title by UTF-8 bytes, never inside a character (issue 13)", async () => {
  const { cutUtf8, apiUrl } = await import("../../extension/lib/format.js");
  const cyrillic = "Ж".repeat(2000); // 4,000 bytes; 12,000 characters percent-encoded
  const cut = cutUtf8(cyrillic, 1500);
  assert.equal(new TextEncoder().encode(cut).length, 1500);
  assert.equal(cut, "Ж".repeat(750));
  assert.equal(cutUtf8("aЖ", 2), "a"); // the two-byte letter does not fit: left out whole
  assert.equal(cutUtf8("😀😀", 7), "😀");
  assert.equal(cutUtf8("short", 1500), "short");
  const url = apiUrl("http://127.0.0.1:8765", "/api/context", { url: "https://ria.ru/20240101/x.html", title: cut });
  assert.ok(`GET ${new URL(url).pathname}${new URL(url).search} HTTP/1.1`.length < 8190);
});

test("formatPeriod dates an assessment by its edition and a designation by its start (issue 24)", () => {
  const rows = [
    [{ as_of: "2025", date_kind: "as_of", status: "active" }, "as of 2025 edition"],
    [{ as_of: "2024-03", date_kind: "as_of", status: "active" }, "as of Mar 2024"],
    [{ as_of: "2023-08-24", date_kind: "as_of", status: "active" }, "as of 24 Aug 2023"],
    [{ since: "2024-07", as_of: "2025", date_kind: "as_of", status: "active" }, "since Jul 2024, as of 2025 edition"],
    [{ since: "2022-03-02", as_of: null, date_kind: "since", status: "active" }, "since 2 Mar 2022"],
  ];
  for (const [label, expected] of rows) assert.equal(formatPeriod(label), expected, JSON.stringify(label));
  assert.equal(formatAsOf(""), "");
  assert.equal(formatAsOf(null), "");
});

test("formerDomainLine says whose a host was and until when", () => {
  assert.equal(formerDomainLine({ outlet: "Strategic Culture Foundation", until: "2023-08", host: "strategic-culture.org" }),
    "Former domain of Strategic Culture Foundation until Aug 2023");
  assert.equal(formerDomainLine({ outlet: "News Front" }), "Former domain of News Front");
  assert.equal(formerDomainLine(null), "");
});

test("fundingLine names the funder, how it pays and since when", () => {
  assert.equal(fundingLine({ name: "U.S. Agency for Global Media", kind: "grant", since: "1995" }),
    "U.S. Agency for Global Media (grant, since 1995)");
  assert.equal(fundingLine({ name: "Households", kind: "licence-fee", share: 90 }), "Households (licence fee, 90%)");
  assert.equal(fundingLine({ name: "Owner" }), "Owner");
  assert.equal(fundingLine(null), "");
});
