"""Source quality: the documented weak (aggregator, content-farm, mirror) and primary (issuer) domains of labels' sources.

The lists live in `data/source_quality.yaml` (issue 12, rule 4): a label whose only sources are weak is
refused by the loader; `masthead stats` counts the labels that cite a primary source.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Iterable
from urllib.parse import urlsplit

from ruamel.yaml import YAML

__all__ = ["SourceQuality", "source_quality", "source_host", "QUALITY_FILE"]

QUALITY_FILE = Path(__file__).resolve().parent.parent / "data" / "source_quality.yaml"


def source_host(url: str) -> str:
    """The lower-case host of a source URL, without a leading `www.` or a port."""
    try:
        host = (urlsplit(url.strip()).hostname or "").rstrip(".")
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


class SourceQuality:
    """Two documented maps, domain -> why: `weak` and `primary`. A domain covers its subdomains."""

    def __init__(self, weak: dict[str, str], primary: dict[str, str]):
        self.weak = {domain.lower(): str(why) for domain, why in weak.items()}
        self.primary = {domain.lower(): str(what) for domain, what in primary.items()}

    @staticmethod
    def _lookup(table: dict[str, str], url: str) -> str | None:
        labels = source_host(url).split(".")
        for start in range(len(labels) - 1):
            domain = ".".join(labels[start:])
            if domain in table:
                return domain
        return None

    def weak_domain(self, url: str) -> str | None:
        """The listed weak domain `url` is on, or None."""
        return self._lookup(self.weak, url)

    def primary_domain(self, url: str) -> str | None:
        """The listed primary domain `url` is on, or None."""
        return self._lookup(self.primary, url)

    def only_weak(self, urls: Iterable[str]) -> list[str]:
        """The weak domains when every one of `urls` is weak; an empty list when any is not (or there are none)."""
        found = [self.weak_domain(url) for url in urls]
        return sorted(set(found)) if found and all(found) else []

    def cites_primary(self, urls: Iterable[str]) -> bool:
        return any(self.primary_domain(url) for url in urls)


@functools.cache
def source_quality(path: str | None = None) -> SourceQuality:
    """The bundled lists (or those in `path`), read once."""
    data = YAML(typ="safe").load(Path(path or QUALITY_FILE).read_text(encoding="utf-8")) or {}
    return SourceQuality(data.get("weak") or {}, data.get("primary") or {})
