"""What every API blueprint shares: the JSON error shape and its one handler, query and body parsing, the fetch limit."""

from __future__ import annotations

import errno

from flask import Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from .. import untrusted, urls
from ..context import ContextError, parse_as_of
from ..corpus import CorpusUnavailable

__all__ = ["APIError", "error_response", "state", "query_arg", "query_int", "query_as_of", "json_body", "limit_fetches",
           "register_error_handlers", "outlet_or_404", "as_page", "page_arg", "FETCH_LIMITER", "LOOKUP_LIMITER"]

MAX_QUERY_PARAM = 200


FETCH_LIMITER = "masthead.fetch_limiter"  # app.extensions key: the per-client limit on pages fetched for readers
LOOKUP_LIMITER = "masthead.lookup_limiter"  # and on answers ranked from a title the client sent (issue 26)


def state():
    """The application object (service.Masthead) the views call."""
    return current_app.extensions["masthead"]


def error_response(status: int, error: str, detail=None) -> Response:
    response = jsonify({"ok": False, "status": status, "error": error, "detail": detail})
    response.status_code = status
    return response


class APIError(Exception):
    def __init__(self, status: int, error: str, detail=None):
        super().__init__(error)
        self.status, self.error, self.detail = status, error, detail


def json_body() -> dict:
    """The request's JSON object, or a 415/400 that says what to send."""
    if not request.is_json:
        raise APIError(415, "send the entry as JSON (Content-Type: application/json)")
    try:
        # Depth bounded before parsing, lone surrogates refused after: either would be a 500 later (issue 13).
        data = untrusted.loads(request.get_data(cache=True), "the body")
    except untrusted.UntrustedError as exc:
        raise APIError(400, str(exc)) from None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise APIError(400, "the body must be a JSON object")
    return data


def limit_fetches(key: str = FETCH_LIMITER) -> Response | None:
    """A 429 with Retry-After when this client has made the server fetch pages (or, with LOOKUP_LIMITER, rank
    related coverage from titles it sent) too often; None to go on.

    Only requests that can make the server do that work pass through here."""
    limiter = current_app.extensions.get(key)
    if limiter is None:
        return None
    allowed, wait = limiter.allow(request.remote_addr or "?")
    if allowed:
        return None
    response = error_response(429, f"too many requests from this client; try again in {wait:.1f} s", {"retry_after": round(wait, 1)})
    response.headers["Retry-After"] = str(max(1, round(wait)))
    return response


def query_arg(name: str, required: bool = False, limit: int = MAX_QUERY_PARAM) -> str | None:
    value = request.args.get(name)
    if value is None or value == "":
        if required:
            raise APIError(400, f"missing query parameter '{name}'", {"parameter": name})
        return None
    if len(value) > limit:
        raise APIError(400, f"query parameter '{name}' is {len(value)} characters long; the limit is {limit}", {"parameter": name})
    return value


def query_int(name: str, default: int, low: int, high: int) -> int:
    raw = query_arg(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise APIError(400, f"'{name}' must be a whole number", {"parameter": name}) from None
    if not low <= value <= high:
        raise APIError(400, f"'{name}' must be between {low} and {high}", {"parameter": name})
    return value


def outlet_or_404(registry, outlet_id: str):
    """The outlet with this id in the loaded list, or a 404 naming the id."""
    found = registry.outlets.get(outlet_id)
    if found is None:
        raise APIError(404, f"no outlet with id '{outlet_id[:80]}'")
    return found


def as_page(raw: str) -> urls.PageURL:
    """The normalised page a URL names, or the API error that says why it is not one."""
    try:
        return urls.normalise(raw)
    except urls.URLError as exc:
        raise APIError(exc.status, str(exc), {"url": raw[:200]}) from None


def page_arg(name: str = "url") -> urls.PageURL:
    """The page named by a required query parameter (see as_page())."""
    return as_page(query_arg(name, required=True, limit=urls.MAX_URL_LENGTH))


def query_as_of() -> str:
    try:
        return parse_as_of(query_arg("as_of", limit=40))
    except ContextError as exc:
        raise APIError(400, str(exc)) from None


def register_error_handlers(app) -> None:
    @app.errorhandler(APIError)
    def _api_error(exc: APIError):
        return error_response(exc.status, exc.error, exc.detail)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return error_response(exc.code or 500, exc.description or exc.name, {"name": exc.name})

    @app.errorhandler(OSError)
    def _storage_error(exc: OSError):
        # A full or read-only disk is the operator's to fix: say so plainly, and that nothing changed.
        where = f" ({exc.filename})" if exc.filename else ""
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            return error_response(507, f"the disk is full{where}; nothing was changed. Free some space and try again", {"errno": exc.errno})
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return error_response(503, f"cannot write{where}: {exc.strerror}; nothing was changed. Check the file system and permissions", {"errno": exc.errno})
        current_app.logger.exception("storage error")
        return error_response(500, f"storage error: {exc.strerror or exc}", {"errno": exc.errno})

    @app.errorhandler(CorpusUnavailable)
    def _corpus_error(exc: CorpusUnavailable):
        if exc.reason == "full":
            return error_response(507, "the disk holding the corpus database is full; nothing was changed", None)
        if exc.reason == "read-only":
            return error_response(503, "the corpus database is read-only; nothing was changed", None)
        current_app.logger.warning("corpus unavailable: %s", exc)
        return error_response(503, "the article corpus is unavailable; see the server log", None)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        current_app.logger.exception("unexpected error")
        return error_response(500, "internal error; the server log has the details", None)
