// Local matching must agree with the server's Registry.match: these rows mirror the server's semantics
// (server/masthead/registry/model.py, urls.match_hosts) on the domain map of tests/data/sources-small.yaml.
import { test } from "node:test";
import assert from "node:assert/strict";

import { isIpAddress, isWebPage, matchHosts, matchOutlet, schemeOf, stripAliasPrefix } from "../../extension/lib/match.js";

// GET /api/domains for tests/data/sources-small.yaml (hosts and paths as the server sends them).
const MAP = {
  hosts: {
    "bignews.example": "bignews",
    "freepress.example": "freepress",
    "nbc-example.co.uk": "national-broadcaster",
    "nbc-example.com": "national-broadcaster",
    "region.statenews.example": "statenews-regional",
    "sn.blogspot.com": "statenews",
    "statenews-mirror.test": "statenews",
    "statenews.co.uk": "statenews",
    "statenews.example": "statenews",
    "xn----7sbcdli2dbmkcka.xn--p1ai": "freepress",
  },
  paths: { "nbc-example.com": [["/russian", "national-broadcaster-russian"]] },
};

const CASES = [
  { url: "https://statenews.example/world/story", outlet: "statenews", kind: "host", rule: "statenews.example" },
  { url: "https://www.statenews.example/", outlet: "statenews", kind: "host" },
  { url: "https://m.statenews.example/a", outlet: "statenews", kind: "host" },
  { url: "https://amp.statenews.example/a", outlet: "statenews", kind: "host" },
  { url: "https://mobile.statenews.example/a", outlet: "statenews", kind: "host" },
  { url: "https://m.www.statenews.example/a", outlet: "statenews", kind: "host" },
  { url: "https://news.statenews.example/a", outlet: "statenews", kind: "domain", rule: "statenews.example" },
  { url: "https://a.b.c.statenews.example/", outlet: "statenews", kind: "domain" },
  // A more specific host rule beats the parent domain.
  { url: "https://region.statenews.example/x", outlet: "statenews-regional", kind: "host" },
  { url: "https://www.region.statenews.example/x", outlet: "statenews-regional", kind: "host" },
  { url: "https://city.region.statenews.example/x", outlet: "statenews-regional", kind: "domain" },
  // Path rules: the whole prefix or prefix + "/", case-insensitive, before the host rule.
  { url: "https://www.nbc-example.com/russian", outlet: "national-broadcaster-russian", kind: "path", rule: "nbc-example.com/russian" },
  { url: "https://www.nbc-example.com/russian/news-123", outlet: "national-broadcaster-russian", kind: "path" },
  { url: "https://www.nbc-example.com/Russian/news-123", outlet: "national-broadcaster-russian", kind: "path" },
  { url: "https://www.nbc-example.com/russians", outlet: "national-broadcaster", kind: "host" },
  { url: "https://www.nbc-example.com/news", outlet: "national-broadcaster", kind: "host" },
  { url: "https://sport.nbc-example.com/russian/x", outlet: "national-broadcaster-russian", kind: "path" },
  { url: "https://nbc-example.co.uk/russian", outlet: "national-broadcaster", kind: "host" },
  // Multi-label suffixes and platform subdomains need no Public Suffix List: keys are never suffixes.
  { url: "https://www.statenews.co.uk/", outlet: "statenews", kind: "host" },
  { url: "https://sn.blogspot.com/2024/01/post.html", outlet: "statenews", kind: "host" },
  { url: "https://other.blogspot.com/", outlet: null },
  { url: "https://co.uk/", outlet: null },
  // Internationalised names arrive in punycode from URL parsing.
  { url: "https://свобода-пресс.рф/статья", outlet: "freepress", kind: "host" },
  { url: "https://xn----7sbcdli2dbmkcka.xn--p1ai/", outlet: "freepress", kind: "host" },
  // Upper case, ports, trailing dots and credentials do not matter.
  { url: "HTTPS://StateNews.Example:8443/x", outlet: "statenews", kind: "host" },
  { url: "http://statenews.example./x", outlet: "statenews", kind: "host" },
  { url: "https://user:pw@statenews.example/x", outlet: "statenews", kind: "host" },
  // Not matched.
  { url: "https://unknown-news.example/a", outlet: null },
  { url: "https://example/", outlet: null },
  { url: "https://statenews.example.evil.test/", outlet: null },
  { url: "https://notstatenews.example/", outlet: null },
  { url: "http://127.0.0.1:8765/api", outlet: null },
  { url: "http://[::1]/", outlet: null },
  { url: "chrome://newtab/", outlet: null },
  { url: "about:blank", outlet: null },
  { url: "not a url", outlet: null },
  { url: "", outlet: null },
];

for (const { url, outlet, kind, rule } of CASES) {
  test(`matchOutlet ${url || "(empty)"} -> ${outlet}`, () => {
    const found = matchOutlet(MAP, url);
    if (outlet === null) {
      assert.equal(found, null);
      return;
    }
    assert.equal(found?.outletId, outlet);
    if (kind) assert.equal(found.kind, kind);
    if (rule) assert.equal(found.rule, rule);
  });
}

test("matchOutlet tries longer path prefixes first whatever their order in the map", () => {
  const map = { hosts: { "example.com": "site" }, paths: { "example.com": [["/news", "news"], ["/news/world", "world"]] } };
  assert.equal(matchOutlet(map, "https://example.com/news/world/1").outletId, "world");
  assert.equal(matchOutlet(map, "https://example.com/news/local/1").outletId, "news");
  assert.equal(matchOutlet(map, "https://example.com/newsletter").outletId, "site");
});

test("matchOutlet ignores inherited object keys and copes with no map", () => {
  assert.equal(matchOutlet({ hosts: {}, paths: {} }, "https://constructor.example/"), null);
  assert.equal(matchOutlet({ hosts: {} }, "https://x.toString/"), null);
  assert.equal(matchOutlet(null, "https://statenews.example/"), null);
  assert.equal(matchOutlet({}, "https://statenews.example/"), null);
});

test("matchHosts walks parents, most specific first, never to a single label", () => {
  assert.deepEqual(matchHosts("www.news.example.co.uk"), ["news.example.co.uk", "example.co.uk", "co.uk"]);
  assert.deepEqual(matchHosts("example.com"), ["example.com"]);
  assert.deepEqual(matchHosts("localhost"), ["localhost"]);
});

test("stripAliasPrefix mirrors the server: mobile prefixes first, then www", () => {
  const rows = [
    ["www.example.com", "example.com"],
    ["m.example.com", "example.com"],
    ["amp.example.com", "example.com"],
    ["mobile.example.com", "example.com"],
    ["m.www.example.com", "example.com"],
    ["www.m.example.com", "example.com"], // the server keeps stripping while a prefix applies
    ["www.com", "www.com"],
    ["WWW.Example.COM.", "example.com"],
    ["media.example.com", "media.example.com"],
  ];
  for (const [host, expected] of rows) assert.equal(stripAliasPrefix(host), expected, host);
});

test("isWebPage, schemeOf and isIpAddress", () => {
  assert.equal(isWebPage("https://example.com/"), true);
  assert.equal(isWebPage("http://example.com"), true);
  for (const url of ["chrome://extensions", "about:blank", "file:///tmp/a.html", "", undefined, "example.com", "data:text/html,x"]) {
    assert.equal(isWebPage(url), false, String(url));
  }
  assert.equal(schemeOf("chrome://extensions"), "chrome");
  assert.equal(schemeOf("About:blank"), "about");
  assert.equal(schemeOf(""), "");
  assert.equal(isIpAddress("127.0.0.1"), true);
  assert.equal(isIpAddress("[::1]"), true);
  assert.equal(isIpAddress("1.2.3.example"), false);
});

test("stacked alias prefixes are all dropped, as on the server", () => {
  assert.deepEqual(matchHosts("www.m.statenews.example"), ["statenews.example"]);
  assert.deepEqual(matchHosts("m.amp.statenews.example"), ["statenews.example"]);
});

test("unwrapUrl follows seven nested redirect wrappers to the page, as the server does (issue 13)", async () => {
  const { unwrapUrl } = await import("../../extension/lib/match.js");
  let wrapped = "https://freepress.example/news/1";
  for (let i = 0; i < 7; i++) wrapped = "https://l.facebook.com/l.php?u=" + encodeURIComponent(wrapped);
  assert.equal(unwrapUrl(wrapped), "https://freepress.example/news/1");
});

test("only a platform's redirect endpoint unwraps, never its other pages (issue 26)", async () => {
  const { unwrapUrl } = await import("../../extension/lib/match.js");
  for (const url of ["https://vk.com/rt_russian?to=https://www.bbc.co.uk/",
                     "https://www.youtube.com/watch?v=abc&q=https://www.rt.com/",
                     "https://steamcommunity.com/id/x?url=https://www.rt.com/",
                     "https://www.google.com/urlfoo?q=https://www.rt.com/"]) {
    assert.equal(unwrapUrl(url), url);
  }
  assert.equal(unwrapUrl("https://vk.com/away.php?to=https%3A%2F%2Fwww.bbc.co.uk%2F"), "https://www.bbc.co.uk/");
  assert.equal(unwrapUrl("https://www.youtube.com/redirect?q=https%3A%2F%2Fwww.rt.com%2F"), "https://www.rt.com/");
  assert.equal(unwrapUrl("https://steamcommunity.com/linkfilter/?url=https://www.rt.com/"), "https://www.rt.com/");
});
