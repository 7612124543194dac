"""The corpus API (/api/search, /api/articles) and the wiring of related coverage into /api/context and /api/health."""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections import OrderedDict
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify

from .. import corpus as corpus_module
from .. import embed, urls
from ..context import with_outlet
from ..corpus import CorpusUnavailable, RecordError
from ..extract import extract_html
from ..fetch import Fetcher, Refused
from ..records import prepare
from ..related import related
from .api import APIError, json_body, limit_fetches, query_arg, query_as_of, query_int
from .auth import require_token
from .openapi import register_paths

__all__ = ["attach"]

log = logging.getLogger("masthead.web")


FETCH_SLOTS = 2  # reader pages fetched at once per worker process: a slow site never holds every thread


class _Busy(Exception):
    """Every fetch slot is taken: answer without the page this time (never cached)."""


class _PageCache:
    """Recently fetched reader pages, in memory only: the popup asks again on every open.

    A failed fetch is remembered for a minute only, so that a page that was briefly down can be tried again.
    """

    def __init__(self, size: int = 256, ttl: float = 600.0, failure_ttl: float = 60.0):
        self.size, self.ttl, self.failure_ttl = size, ttl, failure_ttl
        self.items, self.lock = OrderedDict(), threading.Lock()

    def forget(self, url: str) -> None:
        with self.lock:
            self.items.pop(url, None)

    def get(self, url: str, load):
        now = time.monotonic()
        with self.lock:
            hit = self.items.get(url)
            if hit and now - hit[0] < (self.failure_ttl if isinstance(hit[1], Exception) else self.ttl):
                return hit[1]
        value = load(url)
        if isinstance(value, _Busy):
            return value
        with self.lock:
            self.items[url] = (now, value)
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value


def attach(app, state) -> None:
    """Wire the corpus into the app: related coverage for /api/context, /api/search, /api/articles, /api/health."""
    db_path = app.config["DB"]
    reader_page = None  # url -> extracted record, or the exception saying why there is none
    state.extras["forget_page"] = lambda url: None
    if app.config.get("FETCH_PAGES") or app.config.get("STORE_PAGES"):
        # The reader is waiting: 4 s per network operation, 12 s in all (connect, headers, body, redirects).
        fetcher = Fetcher(timeout=4.0, deadline=12.0, max_bytes=3 * 1024 * 1024, delay=0.5,
                          allow=app.config.get("FETCH_ALLOW") or ())
        cache = _PageCache()
        state.extras["forget_page"] = cache.forget
        slots = threading.BoundedSemaphore(FETCH_SLOTS)

        def load(url: str):
            if not slots.acquire(blocking=False):
                return _Busy("the server is fetching other pages; try again shortly")
            try:
                response = fetcher.fetch(url)
                record = extract_html(response.body, url=response.url)
                return record if record is not None else RecordError("no article text found on the page")
            except Exception as exc:  # a page we cannot fetch still gets an answer from its title
                # The host only: the reader's full URL never goes to the log.
                log.info("could not fetch the reader's page on %s: %s", urlsplit(url).hostname, type(exc).__name__)
                return exc
            finally:
                slots.release()

        def reader_page(url: str):  # noqa: F811
            return cache.get(url, load)

    fetch_page = None
    if app.config.get("FETCH_PAGES"):
        def fetch_page(url: str):  # noqa: F811 (None when fetching is off)
            found = reader_page(url)
            return None if isinstance(found, Exception) else found

    use_vectors = app.config.get("EMBED", True) and embed.available()

    def related_for(page, outlet, title, as_of, limit):
        try:
            encoder = embed.encoder() if use_vectors else None  # loaded on the first request of each worker
            return related(corpus_module.local(db_path), state.sources.current(), page, outlet, title, as_of, limit,
                           fetch_page, encoder=encoder)
        except CorpusUnavailable as exc:  # the rest of the answer (outlet, owners, labels) does not need the corpus
            log.warning("related coverage unavailable: %s", exc)
            return []

    def corpus_stats():
        try:
            return corpus_module.local(db_path).stats()
        except CorpusUnavailable as exc:
            return {"error": str(exc)}

    state.related = related_for
    state.corpus_stats = corpus_stats
    state.extras["reader_page"] = reader_page
    app.register_blueprint(_blueprint(state, db_path))
    register_paths(_OPENAPI_PATHS)


def _blueprint(state, db_path: str):
    bp = Blueprint("corpus", __name__, url_prefix="/api")

    @bp.get("/search")
    def search():
        q = query_arg("q", required=True, limit=500)
        limit = query_int("limit", 10, 1, 50)
        offset = query_int("offset", 0, 0, 10_000)
        if not corpus_module.terms(q):
            raise APIError(400, "the query has no words to search for", {"q": q[:200]})
        registry, date = state.sources.current(), query_as_of()
        corpus = corpus_module.local(db_path)
        plan = corpus.plan_search(q)
        rows = corpus.search(q, limit, offset)
        results = [with_outlet(registry, {
            "url": row["url"], "title": row["title"] or None, "published": row["published"],
            "snippet": row["snippet"] or None, "score": round(row["score"], 4),
            "registered_domain": row["registered_domain"], "site_name": row["site_name"], "outlet_id": row["outlet_id"],
        }, date) for row in rows]
        return jsonify({"query": q, "words": plan.words, "ignored": plan.ignored, "offset": offset,
                        "count": len(results), "results": results})

    @bp.get("/articles")
    def article():
        raw = query_arg("url", required=True, limit=urls.MAX_URL_LENGTH)
        page = _page(raw)
        found = corpus_module.local(db_path).article(page.url)
        if found is None:
            raise APIError(404, "no stored article has this URL", {"url": page.url[:200]})
        found.pop("id", None)
        return jsonify(with_outlet(state.sources.current(), found, query_as_of()))

    @bp.delete("/articles")
    @require_token
    def forget_article():
        """Forget one stored article (a reader's page, or any other) with every URL it is known under."""
        raw = query_arg("url", required=True, limit=urls.MAX_URL_LENGTH)
        page = _page(raw)
        forgotten = corpus_module.local(db_path).delete(page.url)
        state.extras["forget_page"](page.url)  # this worker's copy of the fetched page, if any
        if forgotten is None:
            raise APIError(404, "no stored article has this URL", {"url": page.url[:200]})
        log.info("forgot a stored article from %s (%d URL(s))", page.host, len(forgotten))
        return jsonify({"ok": True, "url": forgotten[0], "urls": forgotten})

    @bp.post("/articles")
    @require_token
    def store_article():
        """Add the page a reader is on to the corpus: only when the server allows it and the reader opted in."""
        if not current_app.config.get("STORE_PAGES"):
            raise APIError(403, "this server does not add readers' pages to its corpus",
                           {"hint": "start it with MASTHEAD_STORE_PAGES=1 to allow it"})
        body = json_body()
        raw = body.get("url")
        if not isinstance(raw, str) or not raw.strip():
            raise APIError(400, "the body needs 'url', the address of the page to add")
        if len(raw) > urls.MAX_URL_LENGTH:
            raise APIError(400, f"'url' is longer than {urls.MAX_URL_LENGTH} characters")
        page = _page(raw)
        corpus = corpus_module.local(db_path)
        registry = state.sources.current()
        if corpus.has_url(page.url):
            return jsonify(_stored(registry, corpus, page.url, "unchanged", query_as_of()))
        refused = limit_fetches()
        if refused is not None:
            return refused
        found = state.extras["reader_page"](page.url)
        if isinstance(found, _Busy):
            raise APIError(503, str(found), {"url": page.url[:200]})
        if isinstance(found, Refused):
            raise APIError(422, f"the server will not fetch this page: {_without_addresses(str(found))}", {"url": page.url[:200]})
        if isinstance(found, RecordError):
            raise APIError(422, str(found), {"url": page.url[:200]})
        if isinstance(found, Exception):
            raise APIError(502, f"could not fetch the page: {_without_addresses(str(found))}", {"url": page.url[:200]})
        title = body.get("title") if isinstance(body.get("title"), str) else ""
        record = {**found, "url": page.url, "title": found.get("title") or title[:corpus_module.MAX_TITLE]}
        try:
            # No language detection here: its model would add ~100 MB to every worker and seconds to the first request.
            article = prepare(record, registry, source="reader", detect_language=False)
        except RecordError as exc:
            raise APIError(422, str(exc), {"url": page.url[:200]}) from None
        try:
            status = corpus.add(article).status
        except RecordError as exc:
            raise APIError(422, str(exc), {"url": page.url[:200]}) from None
        log.info("stored a reader's page from %s (%s)", page.host, status)
        return jsonify(_stored(registry, corpus, page.url, status, query_as_of())), 201 if status == "added" else 200

    return bp


def _without_addresses(message: str) -> str:
    """The reason without the addresses a name resolved to: what this server's resolver sees (an intranet's
    10.x address, say) is not the client's to learn (issue 13)."""
    words = []
    for word in message.split(" "):
        core = word.lstrip("('\"").rstrip(",;.'\")").removesuffix(":")
        if core.startswith("[") and "]" in core:
            core = core[1:core.index("]")]
        try:
            ipaddress.ip_address(core)
        except ValueError:
            words.append(word)
        else:
            words.append(word.replace(core, "(address withheld)"))
    return " ".join(words)


def _page(raw: str) -> urls.PageURL:
    """The normalised page a request names, or the API error that says why it is not one."""
    try:
        return urls.normalise(raw)
    except urls.URLError as exc:
        raise APIError(exc.status, str(exc), {"url": raw[:200]}) from None


def _stored(registry, corpus, url: str, status: str, date: str) -> dict:
    found = corpus.article(url) or {"url": url}
    return with_outlet(registry, {"status": status, "url": found.get("url", url), "title": found.get("title"),
                                  "published": found.get("published"), "outlet_id": found.get("outlet_id")}, date)


def _openapi_paths() -> dict:
    def q(name, description, required=False, schema=None):
        return {"name": name, "in": "query", "required": required, "description": description, "schema": schema or {"type": "string"}}

    def ok(schema):
        return {"description": "OK", "content": {"application/json": {"schema": schema}}}

    def err(description):
        return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}

    as_of = q("as_of", "evaluate labels as of this date (YYYY-MM-DD); default today")
    stored = {"type": "object", "required": ["status", "url", "control_model"],
              "properties": {"status": {"type": "string", "enum": ["added", "updated", "duplicate", "unchanged"]}}}
    return {
        "/api/search": {"get": {
            "summary": "Full-text search over the article corpus: every word in `words` must match (repeats count once); "
                       "`ignored` lists words in more than half of the articles (while a rarer one remains) and words past the "
                       "8 rarest; a query matching more than 5,000 articles ranks the newest 5,000 or so",
            "parameters": [q("q", "words to search for", required=True),
                           q("limit", "results per page (1-50, default 10)", schema={"type": "integer", "minimum": 1, "maximum": 50}),
                           q("offset", "skip this many results", schema={"type": "integer", "minimum": 0}), as_of],
            "responses": {"200": ok({"type": "object", "required": ["query", "words", "ignored", "count", "results"],
                                     "properties": {"words": {"type": "array", "items": {"type": "string"}},
                                                    "ignored": {"type": "array", "items": {"type": "string"}},
                                                    "results": {"type": "array", "items": {"type": "object", "required": ["url", "title", "score", "control_model"]}}}}),
                          "400": err("missing or malformed query"), "503": err("the corpus cannot be read")},
        }},
        "/api/articles": {"get": {
            "summary": "One stored article by any URL it is known under, with every URL and its outlet",
            "parameters": [q("url", "the article URL", required=True), as_of],
            "responses": {"200": ok({"type": "object", "required": ["url", "title", "text", "urls", "outlet", "control_model"]}),
                          "400": err("missing or malformed URL"), "404": err("not in the corpus"), "503": err("the corpus cannot be read")},
        }, "post": {
            "summary": "Fetch the page a reader is on and add it to the corpus, for readers who opted in "
                       "(needs `Authorization: Bearer <token>` and a server started with MASTHEAD_STORE_PAGES=1)",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["url"],
                "properties": {"url": {"type": "string"}, "title": {"type": "string", "description": "used when the page has none"}}}}}},
            "responses": {"201": ok(stored), "200": ok(stored), "400": err("no URL, or a malformed one"), "401": err("no valid token"),
                          "403": err("this server does not store readers' pages"), "415": err("the body is not JSON"),
                          "422": err("not a web page, a refused address, or no article text on the page"),
                          "429": err("too many requests from this client"), "502": err("the page could not be fetched"),
                          "503": err("the corpus cannot be written")},
        }, "delete": {
            "summary": "Forget one stored article: its text and every URL it is known under; the ranking's statistics "
                       "follow (needs `Authorization: Bearer <token>`)",
            "parameters": [q("url", "any URL the article is known under", required=True)],
            "responses": {"200": ok({"type": "object", "required": ["ok", "url", "urls"],
                                     "properties": {"url": {"type": "string"}, "urls": {"type": "array", "items": {"type": "string"}}}}),
                          "400": err("missing or malformed URL"), "401": err("no valid token"), "404": err("not in the corpus"),
                          "503": err("the corpus cannot be written")},
        }},
    }


_OPENAPI_PATHS = _openapi_paths()
