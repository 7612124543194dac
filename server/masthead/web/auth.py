"""The bearer check on the server's routes: which token a request presents, and what it may do.

Writes need `Authorization: Bearer <token>` (never a cookie), so a page on another site cannot make a browser
write on the user's behalf. The tokens themselves live in service/tokens.py.
"""

from __future__ import annotations

import functools

from flask import current_app, g, request

from .api import error_response

__all__ = ["require_token", "bearer"]


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def require_token(view):
    """Decorator for write routes: 401 unless `Authorization: Bearer <token>` names a known token.

    The token's name is left in `flask.g.token_name` for the change log.
    """

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        store = current_app.extensions["masthead"].tokens
        name = store.who(bearer(request.headers.get("Authorization")))
        if name is None:
            response = error_response(401, "a write needs `Authorization: Bearer <token>`",
                                      {"hint": "the token is in config.json in your Masthead config directory, or MASTHEAD_TOKEN; `masthead token --show` prints it"})
            response.headers["WWW-Authenticate"] = 'Bearer realm="masthead"'
            return response
        g.token_name = name
        return view(*args, **kwargs)

    return wrapped
