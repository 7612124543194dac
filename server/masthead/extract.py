"""trafilatura: a page's HTML -> an article record (title, text, date, authors, site name, language)."""

from __future__ import annotations

__all__ = ["extract_html"]


def extract_html(html: bytes | str, url: str | None = None) -> dict | None:
    """The article in a page: {url, title, text, published, authors, site_name, language, description}; None if none."""
    from trafilatura import bare_extraction

    doc = bare_extraction(html, url=url, with_metadata=True, include_comments=False)
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
