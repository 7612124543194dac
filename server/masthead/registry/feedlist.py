"""An outlet's `feeds:` entries (plain URLs or {url, sources, checked, language, note}) read and checked across the list."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..untrusted import shown
from .fields import item_pos, key_pos
from .model import parse_partial_date

__all__ = ["FeedReader", "FEED_KEYS", "FEED_CDNS"]

FEED_KEYS = {"url", "sources", "checked", "language", "note"}
# Hosts that serve other outlets' feeds: a feed there is not a sign of a wrong entry.
FEED_CDNS = ("feeds.bbci.co.uk", "feeds.feedburner.com", "feeds.washingtonpost.com", "rss.nytimes.com",
             "feeds.npr.org", "rss.cnn.com", "feeds.skynews.com", "feeds.reuters.com")
_URL = re.compile(r"^https?://[^\s/\\@]+\.[^\s\\]*$")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


class FeedReader:
    """Mixed into the loader's builder (which supplies `_add` and `_urls`): `feeds:` of one outlet, then checks
    across all of them."""

    def _feeds(self, file: str, node: CommentedMap) -> tuple[tuple[str, ...], tuple[dict, ...]]:
        """(feed URLs, entries as dicts) of an outlet; each problem recorded where it is."""
        value = node.get("feeds")
        if value is None:
            return (), ()
        if not isinstance(value, (CommentedSeq, list)):
            self._add(*key_pos(file, node, "feeds"), "`feeds` must be a list", "e.g. `feeds: [https://example.org/rss.xml]`")
            return (), ()
        urls, entries = [], []
        for i, item in enumerate(value):
            pos = item_pos(file, node, "feeds", value, i) if isinstance(value, CommentedSeq) else key_pos(file, node, "feeds")
            entry = self._feed_entry(file, item, pos)
            if entry is None:
                continue
            urls.append(entry["url"])
            entries.append(entry)
        return tuple(urls), tuple(entries)

    def _feed_entry(self, file: str, item, pos) -> dict | None:
        if isinstance(item, CommentedMap):
            self._unknown_keys(file, item, FEED_KEYS, "feed")
            url = item.get("url")
            entry = {"url": url}
            if "sources" in item:
                entry["sources"] = list(self._urls(file, item, "sources"))
            if "checked" in item:
                checked = str(item["checked"])
                if parse_partial_date(checked) is None or len(checked) != 10:
                    self._add(*key_pos(file, item, "checked", value=True), f"feed `checked` {shown(checked)} is not a date", "write YYYY-MM-DD")
                entry["checked"] = checked
            if "language" in item:
                if not isinstance(item["language"], str) or not _LANG.match(item["language"]):
                    self._add(*key_pos(file, item, "language", value=True), f"feed language {shown(item['language'])} is not a language code", "use ISO 639-1, e.g. 'en'")
                entry["language"] = item["language"]
            if item.get("note"):
                entry["note"] = str(item["note"])
        else:
            url, entry = item, {"url": item}
        if not isinstance(url, str) or not _URL.match(url.strip()):
            self._add(*pos, f"feed {shown(url)} is not an http(s) URL without user name or backslash",
                      "give the feed's full public address, starting with https://")
            return None
        entry["url"] = url.strip()
        return entry

    def _check_feeds(self, outlets: dict) -> None:
        """A feed listed for two outlets is an error; a feed on a host that is neither the outlet's nor a feed CDN, a note."""
        places_of: dict[str, list] = {}
        for outlet_id, outlet in outlets.items():
            if outlet.feeds and outlet_id in self.outlet_nodes and not outlet.parent:
                file, node, _ = self.outlet_nodes[outlet_id]
                for url in outlet.feeds:
                    places_of.setdefault(url, []).append((key_pos(file, node, "feeds"), outlet_id))
        for url, places in places_of.items():
            owners = sorted({outlet for _, outlet in places})
            if len(owners) > 1:
                for pos, outlet in places[1:]:
                    self._add(*pos, f"feed {shown(url)} is listed for several outlets: {', '.join(owners)}",
                              "a feed belongs to one outlet; keep it where it is documented")
            host = (urlsplit(url).hostname or "").lower()
            pos, outlet_id = places[0]
            outlet = outlets.get(outlet_id)
            if outlet is None or host in FEED_CDNS:
                continue
            domains = [d.lower() for d in outlet.domains] + [urlsplit(outlet.homepage or "").hostname or ""]
            if not any(d and (host == d or host.endswith("." + d) or d.endswith("." + host)) for d in domains):
                self._add(*pos, f"feed host {host} is neither a domain of '{outlet_id}' nor a known feed host",
                          "check that the outlet documents this feed (cite it in the feed's `sources:`)", severity="info")
