"""The corpus API: /api/search, /api/articles (read, store a reader's page, forget)."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request

from .. import corpus as corpus_module
from .. import urls
from ..service import ServiceError
from .api import APIError, as_page, json_body, limit_fetches, page_arg, query_arg, query_as_of, query_int
from .auth import bearer, require_token
from .openapi import register_paths

__all__ = ["attach"]

log = logging.getLogger("masthead.web")


def attach(app, masthead) -> None:
    """Mount the corpus API (/api/search, /api/articles) and its OpenAPI paths."""
    app.register_blueprint(_blueprint(masthead))
    register_paths(_OPENAPI_PATHS)


def _blueprint(masthead):
    bp = Blueprint("corpus", __name__, url_prefix="/api")

    @bp.get("/search")
    def search():
        q = query_arg("q", required=True, limit=500)
        limit = query_int("limit", 10, 1, 50)
        offset = query_int("offset", 0, 0, 10_000)
        if not corpus_module.terms(q):
            raise APIError(400, "the query has no words to search for", {"q": q[:200]})
        return jsonify(masthead.search(q, limit, offset, query_as_of()))

    @bp.get("/articles")
    def article():
        page = page_arg()
        found = masthead.article(page.url, query_as_of())
        if found is None:
            raise APIError(404, "no stored article has this URL", {"url": page.url[:200]})
        if masthead.tokens.identify(bearer(request.headers.get("Authorization"))) is None:
            # A page a reader added, and when, is browsing history (docs/PRIVACY.md): shown to token holders only.
            # Dropped from every article, so that which ones a reader added does not show by its absence either.
            found.pop("source", None)
            found.pop("fetched_at", None)
        return jsonify(found)

    @bp.delete("/articles")
    @require_token
    def forget_article():
        """Forget one stored article (a reader's page, or any other) with every URL it is known under."""
        page = page_arg()
        forgotten = masthead.forget(page.url)
        if forgotten is None:
            raise APIError(404, "no stored article has this URL", {"url": page.url[:200]})
        log.info("forgot a stored article from %s (%d URL(s))", page.host, len(forgotten))
        return jsonify({"ok": True, "url": forgotten[0], "urls": forgotten})

    @bp.post("/articles")
    @require_token
    def store_article():
        """Add the page a reader is on to the corpus: only when the server allows it and the reader opted in."""
        if not masthead.store_pages:
            raise APIError(403, "this server does not add readers' pages to its corpus",
                           {"hint": "start it with MASTHEAD_STORE_PAGES=1 to allow it"})
        body = json_body()
        raw = body.get("url")
        if not isinstance(raw, str) or not raw.strip():
            raise APIError(400, "the body needs 'url', the address of the page to add")
        if len(raw) > urls.MAX_URL_LENGTH:
            raise APIError(400, f"'url' is longer than {urls.MAX_URL_LENGTH} characters")
        page = as_page(raw)
        if not masthead.corpus().has_url(page.url):
            refused = limit_fetches()
            if refused is not None:
                return refused
        title = body.get("title") if isinstance(body.get("title"), str) else ""
        try:
            stored, status = masthead.store_page(page, title, query_as_of())
        except ServiceError as exc:
            raise APIError(exc.status, str(exc), exc.detail) from None
        return jsonify(stored), 201 if status == "added" else 200

    return bp


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
