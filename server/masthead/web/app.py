"""create_app(): wiring only: settings, the application object (service.Masthead), the blueprints, CORS and headers."""

from __future__ import annotations

import fnmatch
import ipaddress
import logging

from flask import Flask, request

from .. import config as config_module
from ..service import READ, Masthead
from . import corpus_api, edit_api, edit_page, outlet_page, story_page
from .api import FETCH_LIMITER, LOOKUP_LIMITER, error_response, register_error_handlers
from .auth import FAILED_TOKENS, bearer, failed_token_limiter, token_check
from .ratelimit import RateLimiter
from .read import bp as read_bp

__all__ = ["create_app"]


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__)
    settings = config_module.defaults()
    settings.update(test_config or {})
    app.config.update(settings)
    app.config["MAX_CONTENT_LENGTH"] = settings.get("MAX_CONTENT_LENGTH", 2 * 1024 * 1024)
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    _check_host(app, settings)  # first: a request for a foreign host name gets nothing else
    _refuse_cross_site(app, settings["CORS_ORIGINS"])

    masthead = Masthead(settings)
    app.extensions["masthead"] = masthead
    app.extensions[FAILED_TOKENS] = failed_token_limiter()
    # One popup opened is one title lookup; a burst of ten, then two a second, leaves a reader untouched and keeps
    # one client's flood of distinct long titles from taking every thread (issue 26).
    if settings.get("LOOKUP_RATE", 2.0) > 0:
        rate = settings.get("LOOKUP_RATE", 2.0)
        app.extensions[LOOKUP_LIMITER] = RateLimiter(rate=rate, burst=max(1, round(rate * 5)))
    if masthead.pages is not None:  # only servers that fetch pages for readers limit them
        app.extensions[FETCH_LIMITER] = RateLimiter(rate=settings.get("FETCH_RATE", 2.0), burst=settings.get("FETCH_BURST", 10))
    corpus_api.attach(app, masthead)
    app.register_blueprint(edit_api.bp)
    app.register_blueprint(edit_page.bp)
    app.register_blueprint(outlet_page.bp)
    app.register_blueprint(story_page.bp)

    app.register_blueprint(read_bp)
    register_error_handlers(app)
    if settings.get("REQUIRE_READ_TOKEN"):
        _require_token_for_reads(app, masthead)
    _cors(app, settings["CORS_ORIGINS"])
    logging.getLogger("masthead").info("sources loaded from %s", masthead.sources.path)
    return app


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARD_BINDS = ("0.0.0.0", "::", "")


def host_name(host: str) -> str:
    """'Example.org:8765' -> 'example.org', '[::1]:8765' -> '::1'."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def _check_host(app: Flask, settings: dict) -> None:
    """Answer only for the names the server is bound or configured for (issue 13: DNS rebinding).

    A page on attacker.example whose name re-resolves to 127.0.0.1 is same-origin with this server in the
    browser, but its requests still say `Host: attacker.example`: they get 421 and no data, on every route."""
    allowed = {host_name(h) for h in (*LOOPBACK_NAMES, *(settings.get("ALLOWED_HOSTS") or ())) if host_name(h)}
    # Bound to every address: any of the machine's IP addresses may be asked for. An IP literal is no
    # rebinding risk: a page can only be same-origin with an address by being served from it.
    any_address = bool(set(settings.get("ALLOWED_HOSTS") or ()) & set(WILDCARD_BINDS))

    def is_ip(name: str) -> bool:
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True

    @app.before_request
    def check_host():
        name = host_name(request.host)
        if name in allowed or (any_address and is_ip(name)):
            return None
        return error_response(421, "this server answers only for the host names it is bound or configured for; "
                                   "the request named another one", {"hint": "add the name to MASTHEAD_ALLOWED_HOSTS"})


def _require_token_for_reads(app: Flask, masthead: Masthead) -> None:
    """Off loopback, every API read needs a bearer token too (a read or a write token): browsing questions are private."""
    open_paths = {"/api/ping"}

    @app.before_request
    def check_token():
        if request.method == "OPTIONS" or request.path in open_paths:
            return None
        found = token_check(READ, bearer(request.headers.get("Authorization")),
                            "this server is reachable from the network, so reads need `Authorization: Bearer <token>` too")
        return None if isinstance(found, tuple) else found


def origin_allowed(origin: str | None, allowed: list[str]) -> bool:
    return bool(origin) and any(fnmatch.fnmatchcase(origin, pattern) for pattern in allowed)


def _refuse_cross_site(app: Flask, allowed: list[str]) -> None:
    """A page on another site gets nothing from /api/*, not even by <img src> (issue 26): an image or a script
    request carries no Origin but the browser marks it `Sec-Fetch-Site: cross-site` (or `same-site` from a
    neighbouring name); the extension's requests come from its own origin (in CORS_ORIGINS), the server's own
    pages are `same-origin`, and a typed address or a tool sends `none` or no header."""

    @app.before_request
    def refuse_cross_site():
        if not request.path.startswith("/api/") or request.method == "OPTIONS":
            return None
        if request.headers.get("Sec-Fetch-Site") in ("cross-site", "same-site") \
                and not origin_allowed(request.headers.get("Origin"), allowed):
            return error_response(403, "the API answers the extension and this server's own pages, not other sites' pages",
                                  {"sec_fetch_site": request.headers.get("Sec-Fetch-Site")})
        return None


def _cors(app: Flask, allowed: list[str]) -> None:
    """Browsers may call the API only from the extension's origins (configurable)."""

    @app.after_request
    def add_cors(response):
        origin = request.headers.get("Origin")
        if origin_allowed(origin, allowed):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, If-Match, If-None-Match"
            response.headers["Access-Control-Expose-Headers"] = "ETag"
            response.headers["Access-Control-Max-Age"] = "600"
        response.headers.add("Vary", "Origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin" if response.mimetype == "text/html" else "no-referrer")
        if response.mimetype == "text/html":
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
        return response
