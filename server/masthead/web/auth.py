"""The bearer check on the server's routes: which token a request presents, and what it may do.

Writes need a write token as `Authorization: Bearer <token>` (never a cookie), so a page on another site cannot
make a browser write on the user's behalf; reads off loopback take a read or a write token. Wrong tokens are
counted per client: past a small burst they are answered 429 before any comparison, and each is logged with the
client's address, never the value (issue 26). The tokens themselves live in service/tokens.py.
"""

from __future__ import annotations

import functools
import logging

from flask import Response, current_app, g, request

from ..service import WRITE
from .api import error_response
from .ratelimit import RateLimiter

__all__ = ["require_token", "bearer", "identify", "token_check", "FAILED_TOKENS"]

log = logging.getLogger("masthead.web")

FAILED_TOKENS = "masthead.failed_tokens"  # app.extensions key: the per-client limit on wrong tokens
HINT = "the token is in config.json in your Masthead config directory, or MASTHEAD_TOKEN; `masthead token --show` prints it"


def failed_token_limiter() -> RateLimiter:
    """Ten wrong tokens at once, then one every ten seconds, per client: guessing stops being a plan."""
    return RateLimiter(rate=0.1, burst=10)


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def identify(presented: str | None) -> tuple[str, str] | float | None:
    """(name, kind) of the token presented; None for a wrong one (counted and logged for this client); or, for a
    client that has sent too many wrong tokens, the seconds it must wait, without a comparison."""
    limiter = current_app.extensions.get(FAILED_TOKENS)
    client = request.remote_addr or "?"
    wait = limiter.waiting(client) if limiter is not None and presented else 0.0
    if wait:
        return wait
    found = current_app.extensions["masthead"].tokens.identify(presented)
    if found is None and presented and limiter is not None:
        limiter.allow(client)
        log.warning("refused an unknown token from %s on %s %s", client, request.method, request.path)
    return found


def token_check(kind: str, presented: str | None, refusal: str) -> Response | tuple[str, str]:
    """(name, kind) of the token presented when it allows `kind` (WRITE, or READ which either kind allows), else the
    401/403/429 to answer."""
    found = identify(presented)
    if isinstance(found, float):
        return _too_many(found)
    if found is None:
        response = error_response(401, refusal, {"hint": HINT})
        response.headers["WWW-Authenticate"] = 'Bearer realm="masthead"'
        return response
    if kind == WRITE and found[1] != WRITE:
        return error_response(403, "this token may only read; a write needs a write token", {"hint": "`masthead token NAME` creates one"})
    return found


def _too_many(wait: float) -> Response:
    response = error_response(429, f"too many wrong tokens from this client; try again in {wait:.0f} s", {"retry_after": round(wait, 1)})
    response.headers["Retry-After"] = str(max(1, round(wait)))
    return response


def require_token(view):
    """Decorator for write routes: 401 unless `Authorization: Bearer <token>` names a known write token (403 for a
    read token).

    The token's name is left in `flask.g.token_name` for the change log.
    """

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        found = token_check(WRITE, bearer(request.headers.get("Authorization")), "a write needs `Authorization: Bearer <token>`")
        if isinstance(found, Response):
            return found
        g.token_name = found[0]
        return view(*args, **kwargs)

    return wrapped

