"""A raw article record -> an Article ready for the corpus: URL normalised, outlet matched, hashes computed."""

from __future__ import annotations

import datetime as dt
import re

from . import urls
from .untrusted import shown, surrogate_at
from .corpus import Article, RecordError
from .corpus.text import MAX_TEXT, MAX_TITLE, clean, content_hash, parse_published, sketch, terms

__all__ = ["prepare"]


def prepare(record: dict, registry=None, source: str | None = None) -> Article:
    """A raw record ({url, title, text, published, outlet?, language?, ...}) -> an Article, or RecordError."""
    if not isinstance(record, dict):
        raise RecordError("record is not a JSON object")
    where = surrogate_at(record)
    if where is not None:  # a "\\ud800" escape: stored, it would break every answer that includes it (issue 13)
        raise RecordError(f"{shown(where, 40)} holds a lone surrogate (a \\uD800-\\uDFFF escape without its pair), which is not text")
    raw_url = record.get("url")
    if not isinstance(raw_url, str) or not raw_url.strip():
        raise RecordError("no url")
    try:
        page = urls.normalise(raw_url)
    except urls.URLError as exc:
        raise RecordError(f"bad url: {exc}") from None
    if page.scheme not in ("http", "https"):
        raise RecordError(f"bad url: scheme {page.scheme!r}")
    title = clean(record.get("title"))[:MAX_TITLE]
    text = clean(record.get("text"))[:MAX_TEXT]
    if not title and not text:
        raise RecordError("no title and no text")
    outlet_id = record.get("outlet") or None
    if registry is not None:
        if outlet_id and outlet_id not in registry.outlets:
            raise RecordError(f"unknown outlet id {str(outlet_id)[:60]!r}")
        if not outlet_id:
            match = registry.match(page)
            outlet_id = match.outlet.id if match else None
    site_name = clean(record.get("site_name") or record.get("sitename")) or None
    if site_name is None and registry is not None and outlet_id:
        site_name = registry.outlets[outlet_id].name
    words = terms(text)
    authors = record.get("authors") or record.get("author") or []
    if isinstance(authors, str):
        authors = [a.strip() for a in re.split(r";|\band\b", authors) if a.strip()]
    return Article(
        url=page.url, registered_domain=page.registered_domain or page.host, host=page.host,
        title=title, text=text, outlet_id=outlet_id, site_name=site_name,
        published=parse_published(record.get("published") or record.get("date")),
        language=(record.get("language") or None), authors=[str(a)[:200] for a in authors][:20],
        fetched_at=record.get("fetched_at") or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        source=source, digest=content_hash(title, text, words), hashes=sketch(text, words),
    )
