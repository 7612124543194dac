"""A raw article record -> an Article ready for the corpus: URL normalised, outlet matched, hashes computed."""

from __future__ import annotations

import datetime as dt
import re

from . import language as language_module
from . import urls
from .untrusted import shown, surrogate_at
from .corpus import Article, RecordError
from .corpus.text import MAX_TEXT, MAX_TITLE, clean, content_hash, parse_published, sketch, terms

__all__ = ["prepare", "outlet_by_name"]

_NAME_KEY = re.compile(r"[^\w]+")


def _text(record: dict, *names: str) -> str | None:
    """The first of `names` the record has, as text; RecordError when it is a JSON object, a list or not Unicode.

    A value the store cannot take must fail its own record here, not the batch it would be stored in (issue 13 B9).
    """
    for name in names:
        value = record.get(name)
        if value is None or value == "":
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise RecordError(f"{name} must be text, not {'a list' if isinstance(value, list) else 'an object'}")
        text = str(value)
        _unicode(text, name)
        return text
    return None


def _unicode(text: str, name: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise RecordError(f"{name} is not valid Unicode (it holds a lone surrogate)") from None


def _authors(record: dict) -> list[str]:
    authors = record.get("authors") or record.get("author") or []
    if isinstance(authors, str):
        authors = [a.strip() for a in re.split(r";|\band\b", authors) if a.strip()]
    if not isinstance(authors, list) or any(isinstance(a, (dict, list)) for a in authors):
        raise RecordError("authors must be a list of names (text)")
    names = [str(a)[:200] for a in authors if a is not None][:20]
    for name in names:
        _unicode(name, "an author")
    return names


def _name_key(name: str) -> str:
    """'The Moscow Times' ~ 'moscow times' ~ 'MoscowTimes': case, spaces, punctuation and a leading 'the' ignored."""
    key = _NAME_KEY.sub("", str(name).casefold())
    return key[3:] if key.startswith("the") and len(key) > 6 else key


def outlet_by_name(registry, name: str) -> str | None:
    """The id of the outlet `name` designates: an id, a display name, an alias (any spelling of case and spaces),
    or its web address (foxnews.com); None when sources.yaml has no such outlet. Data sets name outlets by name."""
    if not name:
        return None
    if name in registry.outlets:
        return name
    index = registry.cache.get(("outlet-names",))
    if index is None:
        index = {}
        for outlet in registry.outlets.values():
            for alias in (outlet.id, outlet.name, *getattr(outlet, "aliases", ())):
                index.setdefault(_name_key(alias), outlet.id)
        registry.cache_put(("outlet-names",), index)
    found = index.get(_name_key(name))
    if found is None and "." in name and " " not in name.strip():
        try:
            match = registry.match(urls.normalise(name if "://" in name else f"https://{name.strip()}/"))
        except urls.URLError:
            match = None
        found = match.outlet.id if match else None
    return found


def _language(registry, outlet_id: str | None, title: str, text: str, detect: bool) -> str | None:
    """An outlet that publishes in one language (sources.yaml says so) gives it: surer than a guess from a short
    headline, and free (detection is the dearest step of preparing a record). Otherwise the text decides."""
    if registry is not None and outlet_id in registry.outlets:
        languages = registry.outlets[outlet_id].languages
        if len(languages) == 1:
            return languages[0].split("-")[0].lower()
    return language_module.detect(title, text) if detect else None


def prepare(record: dict, registry=None, source: str | None = None, detect_language: bool = True) -> Article:
    """A raw record ({url, title, text, published, outlet?, language?, ...}) -> an Article, or RecordError.

    `outlet` may be an id from sources.yaml or a name (see outlet_by_name()); a name the list does not know is kept
    as the site name, with a warning. Without `language`, the language is detected from the headline and lead.
    """
    if not isinstance(record, dict):
        raise RecordError("record is not a JSON object")
    where = surrogate_at(record)
    if where is not None:  # a "\\ud800" escape: stored, it would break every answer that includes it (issue 13)
        raise RecordError(f"{shown(where, 40)} holds a lone surrogate (a \\uD800-\\uDFFF escape without its pair), which is not text")
    raw_url = record.get("url")
    if not isinstance(raw_url, str) or not raw_url.strip():
        raise RecordError("no url")
    _unicode(raw_url, "url")
    try:
        page = urls.normalise(raw_url)
    except urls.URLError as exc:
        raise RecordError(f"bad url: {exc}") from None
    if page.scheme not in ("http", "https"):
        raise RecordError(f"bad url: scheme {page.scheme!r}")
    title = clean(_text(record, "title"))[:MAX_TITLE]
    text = clean(_text(record, "text"))[:MAX_TEXT]
    if not title and not text:
        raise RecordError("no title and no text")
    outlet_id = _text(record, "outlet")
    warnings = []
    unknown_outlet = None
    if registry is not None:
        if outlet_id and outlet_id not in registry.outlets:
            found = outlet_by_name(registry, outlet_id)
            if found is None:
                unknown_outlet = clean(outlet_id)[:200]
                warnings.append(f"outlet {unknown_outlet!r} is not in the source list: kept as the site name")
            outlet_id = found
        if not outlet_id:
            match = registry.match(page)
            outlet_id = match.outlet.id if match else None
    site_name = clean(_text(record, "site_name", "sitename")) or unknown_outlet or None
    if site_name is None and registry is not None and outlet_id:
        site_name = registry.outlets[outlet_id].name
    words = terms(text)
    authors = _authors(record)
    published = record.get("published") or record.get("date")
    return Article(
        url=page.url, registered_domain=page.registered_domain or page.host, host=page.host,
        title=title, text=text, outlet_id=outlet_id, site_name=site_name,
        published=parse_published(published) if isinstance(published, (str, int, float)) else None,
        language=_text(record, "language") or _language(registry, outlet_id, title, text, detect_language),
        authors=authors,
        fetched_at=_text(record, "fetched_at") or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        source=source, digest=content_hash(title, text, words), hashes=sketch(text, words), warnings=warnings,
    )
