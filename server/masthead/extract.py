"""trafilatura: a page's HTML -> an article record (title, text, date, authors, site name, language)."""

from __future__ import annotations

import re

__all__ = ["extract_html", "bounded_markup", "MAX_ATTRIBUTES"]

# Attributes one element may keep. The HTML parser checks each new attribute against the element's others, so
# one element with 40,000 attributes (0.35 MB) took 10 s to extract, 100,000 over a minute, holding the GIL
# (issue 26). Real elements carry a few dozen at most; beyond this an element keeps its name and text only.
MAX_ATTRIBUTES = 256
_LONG_TAG = 2 * MAX_ATTRIBUTES  # characters of attribute text below which a tag cannot hold too many
# A start tag, its quoted values read whole (a `<` or `>` inside quotes does not end it); possessive, so a tag
# that never closes costs one scan, never a backtrack.
_TAG_PATTERN = r"<([A-Za-z][^\s/>]*)((?:[^<>\"']++|\"[^\"]*+\"|'[^']*+')*+)>"
_ATTRIBUTE_PATTERN = r"[^\s\"'>/=]+(?:\s*=\s*(?:\"[^\"]*+\"|'[^']*+'|[^\s\"'>]++))?"
_TAG = {str: re.compile(_TAG_PATTERN), bytes: re.compile(_TAG_PATTERN.encode())}
_ATTRIBUTE = {str: re.compile(_ATTRIBUTE_PATTERN), bytes: re.compile(_ATTRIBUTE_PATTERN.encode())}


def bounded_markup(html: bytes | str) -> bytes | str:
    """The page with every element that carries more than MAX_ATTRIBUTES attributes reduced to its bare tag.

    One linear pass with regular expressions, before any parser sees the page; a page with no long tag is
    returned as it is."""
    kind = type(html)
    tag, attribute = _TAG[kind], _ATTRIBUTE[kind]

    def bounded(found):
        attributes = found.group(2)
        if len(attributes) < _LONG_TAG:
            return found.group(0)
        count = 0
        for _ in attribute.finditer(attributes):
            count += 1
            if count > MAX_ATTRIBUTES:
                return found.group(0)[:1] + found.group(1) + found.group(0)[-1:]
        return found.group(0)

    return tag.sub(bounded, html)


def extract_html(html: bytes | str, url: str | None = None) -> dict | None:
    """The article in a page: {url, title, text, published, authors, site_name, language, description}; None if none."""
    from trafilatura import bare_extraction

    doc = bare_extraction(bounded_markup(html), url=url, with_metadata=True, include_comments=False)
    if doc is None:
        return None
    get = doc.get if isinstance(doc, dict) else (lambda name: getattr(doc, name, None))
    text = get("text") or ""
    title = get("title") or ""
    if not text.strip() and not title.strip():
        return None
    author = get("author")
    return {
        "url": get("url") or url,
        "title": title,
        "text": text,
        "published": get("date"),
        "authors": [a.strip() for a in author.split(";") if a.strip()] if author else [],
        "site_name": get("sitename"),
        "language": get("language"),
        "description": get("description"),
    }
